//! Contracts and grants as rules (issue 13's core): a contract's value per contract year (the
//! same each year, or declining tranches such as 300,000 / 225,000 / 150,000 / 75,000 / 0),
//! split into monthly, quarterly or annual instalments in advance or in arrears that add up to
//! each year's value exactly; and matched funding, a ratio of what schools paid up to a cap,
//! with its working.

use super::money::{Money, round_half_up_to_penny};
use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;

/// How often a contract is invoiced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Monthly,
    Quarterly,
    Annually,
}

impl Frequency {
    /// Months in one instalment's period.
    pub fn months(self) -> u32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::Annually => 12,
        }
    }
}

/// Whether an instalment falls due at the start of its period or at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    InAdvance,
    InArrears,
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [Frequency::Monthly, Frequency::Quarterly, Frequency::Annually];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Annually => "annually",
        }
    }

    pub fn parse(text: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Frequency::Monthly => "Monthly",
            Frequency::Quarterly => "Quarterly",
            Frequency::Annually => "Once a year",
        }
    }
}

super::unknown_name::from_str_by_parse!(Frequency, "instalment frequency");

impl Timing {
    pub const ALL: [Timing; 2] = [Timing::InAdvance, Timing::InArrears];

    pub fn as_str(self) -> &'static str {
        match self {
            Timing::InAdvance => "in_advance",
            Timing::InArrears => "in_arrears",
        }
    }

    pub fn parse(text: &str) -> Option<Timing> {
        Timing::ALL.into_iter().find(|t| t.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Timing::InAdvance => "In advance (at the start of each period)",
            Timing::InArrears => "In arrears (at the end of each period)",
        }
    }
}

super::unknown_name::from_str_by_parse!(Timing, "instalment timing");

/// Which of the partnership's income streams a contract's money is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    /// A council's commission of its school-improvement work.
    LaCommission,
    /// A commission from another body (health, a charity, another council's service).
    OtherCommission,
    /// A grant for a bid: outside the scope of VAT, not a supply.
    Grant,
}

impl Stream {
    pub const ALL: [Stream; 3] = [Stream::LaCommission, Stream::OtherCommission, Stream::Grant];

    pub fn as_str(self) -> &'static str {
        match self {
            Stream::LaCommission => "la_commission",
            Stream::OtherCommission => "other_commission",
            Stream::Grant => "grant",
        }
    }

    pub fn parse(text: &str) -> Option<Stream> {
        Stream::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Stream::LaCommission => "Local authority commission",
            Stream::OtherCommission => "Other commission",
            Stream::Grant => "Grant",
        }
    }

    /// The VAT a contract of this stream carries unless finance says otherwise: commissioned
    /// services are standard-rated supplies; a grant is outside the scope of VAT.
    pub fn default_vat(self) -> super::vat::VatRate {
        match self {
            Stream::Grant => super::vat::VatRate::OutsideScope,
            _ => super::vat::VatRate::Standard,
        }
    }
}

super::unknown_name::from_str_by_parse!(Stream, "income stream");

/// How a contract is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleKind {
    /// Each contract year's value in monthly, quarterly or annual instalments.
    Fixed,
    /// Amounts on dates named in the contract.
    NamedDates,
    /// A ratio of what schools were invoiced for membership in a year, up to a cap.
    Matched,
    /// Amounts due when deliverables are signed off.
    Milestones,
}

impl ScheduleKind {
    pub const ALL: [ScheduleKind; 4] =
        [ScheduleKind::Fixed, ScheduleKind::NamedDates, ScheduleKind::Matched, ScheduleKind::Milestones];

    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleKind::Fixed => "fixed",
            ScheduleKind::NamedDates => "named_dates",
            ScheduleKind::Matched => "matched",
            ScheduleKind::Milestones => "milestones",
        }
    }

    pub fn parse(text: &str) -> Option<ScheduleKind> {
        ScheduleKind::ALL.into_iter().find(|k| k.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            ScheduleKind::Fixed => "Regular instalments of each year's value",
            ScheduleKind::NamedDates => "Amounts on named dates",
            ScheduleKind::Matched => "Matched funding",
            ScheduleKind::Milestones => "Milestones",
        }
    }
}

super::unknown_name::from_str_by_parse!(ScheduleKind, "kind of schedule");

/// One instalment: the period it pays for, when it is due, and how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instalment {
    /// 1 for the contract's first year.
    pub contract_year: usize,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due: NaiveDate,
    pub amount: Money,
}

/// Splits `total` into `n` parts that add up to it exactly: part *k* is the total's share up to
/// *k*, rounded half up to the penny, less the parts before it.
pub fn split_exact(total: Money, n: usize) -> Vec<Money> {
    if n == 0 {
        return Vec::new();
    }
    let whole = total.amount();
    let count = Decimal::from(n as u64);
    let mut before = Decimal::ZERO;
    (1..=n)
        .map(|k| {
            let upto = round_half_up_to_penny(whole * Decimal::from(k as u64) / count);
            let part = upto - before;
            before = upto;
            Money::from_decimal_rounded(part)
        })
        .collect()
}

/// Why a schedule cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScheduleError(pub String);

/// The instalments of a contract that starts on `start` and runs one contract year for each of
/// `yearly` (each year's value), invoiced every `frequency` in advance or in arrears. Each
/// year's instalments add up to its value exactly; a year worth nothing has none.
pub fn schedule(
    start: NaiveDate,
    yearly: &[Money],
    frequency: Frequency,
    timing: Timing,
) -> Result<Vec<Instalment>, ScheduleError> {
    if yearly.is_empty() || yearly.len() > 10 {
        return Err(ScheduleError("a contract runs 1 to 10 years".into()));
    }
    if yearly.iter().any(|v| *v < Money::ZERO) {
        return Err(ScheduleError("a year's value cannot be below £0.00".into()));
    }
    let per_year = (12 / frequency.months()) as usize;
    let mut out = Vec::new();
    for (y, value) in yearly.iter().enumerate() {
        if *value == Money::ZERO {
            continue;
        }
        for (k, amount) in split_exact(*value, per_year).into_iter().enumerate() {
            let months_in = (y as u32) * 12 + (k as u32) * frequency.months();
            let period_start = start
                .checked_add_months(Months::new(months_in))
                .ok_or_else(|| ScheduleError("the contract runs past the dates handled".into()))?;
            let period_end = period_start
                .checked_add_months(Months::new(frequency.months()))
                .and_then(|d| d.pred_opt())
                .ok_or_else(|| ScheduleError("the contract runs past the dates handled".into()))?;
            out.push(Instalment {
                contract_year: y + 1,
                period_start,
                period_end,
                due: match timing {
                    Timing::InAdvance => period_start,
                    Timing::InArrears => period_end,
                },
                amount,
            });
        }
    }
    Ok(out)
}

/// Which contract year (1 for the first) a date falls in, for a contract starting on `start`.
pub fn contract_year_of(start: NaiveDate, day: NaiveDate) -> usize {
    let mut year = 1;
    while let Some(next) = start.checked_add_months(Months::new(12 * year as u32)) {
        if day < next {
            break;
        }
        year += 1;
    }
    year
}

/// Instalments on dates the contract names: each pays for the time since the one before (the
/// first, since the start).
pub fn on_named_dates(
    start: NaiveDate,
    end: NaiveDate,
    dates: &[(NaiveDate, Money)],
) -> Result<Vec<Instalment>, ScheduleError> {
    if dates.is_empty() || dates.len() > 120 {
        return Err(ScheduleError("name 1 to 120 dates".into()));
    }
    let mut out: Vec<Instalment> = Vec::new();
    for (due, amount) in dates {
        if *amount <= Money::ZERO {
            return Err(ScheduleError(format!(
                "the amount due on {} must be more than £0.00",
                due.format("%-d %B %Y")
            )));
        }
        if *due < start || *due > end {
            return Err(ScheduleError(format!(
                "{} is not within the contract ({} to {})",
                due.format("%-d %B %Y"),
                start.format("%-d %B %Y"),
                end.format("%-d %B %Y")
            )));
        }
        let period_start = match out.last() {
            Some(previous) if previous.due >= *due => {
                return Err(ScheduleError("put the dates in order, each after the one before".into()));
            }
            Some(previous) => previous.due.succ_opt().unwrap_or(*due),
            None => start,
        };
        out.push(Instalment {
            contract_year: contract_year_of(start, *due),
            period_start,
            period_end: *due,
            due: *due,
            amount: *amount,
        });
    }
    Ok(out)
}

/// An instalment already on a contract, for a variation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub contract_year: usize,
    pub due: NaiveDate,
    pub amount: Money,
    /// Invoiced (or its invoice raised): it stays as it is.
    pub invoiced: bool,
}

/// A variation of a contract's yearly values from `from`: instalments invoiced, or due before
/// `from`, stay as they are; each year's later instalments share what is left of its new
/// value, so the year adds up to it exactly. Returns each later instalment's new amount, by its
/// place in `standing`.
pub fn vary(
    standing: &[Standing],
    new_yearly: &[Money],
    from: NaiveDate,
) -> Result<Vec<(usize, Money)>, ScheduleError> {
    let years = standing.iter().map(|s| s.contract_year).max().unwrap_or(0).max(new_yearly.len());
    if new_yearly.len() != years {
        return Err(ScheduleError(format!("give a value for each of the contract's {years} years")));
    }
    let mut out = Vec::new();
    for (y, value) in new_yearly.iter().enumerate() {
        let year = y + 1;
        if *value < Money::ZERO {
            return Err(ScheduleError(format!("year {year}'s value cannot be below £0.00")));
        }
        let fixed = standing
            .iter()
            .filter(|s| s.contract_year == year && (s.invoiced || s.due < from))
            .fold(Money::ZERO, |a, s| a + s.amount);
        let later: Vec<usize> = standing
            .iter()
            .enumerate()
            .filter(|(_, s)| s.contract_year == year && !s.invoiced && s.due >= from)
            .map(|(i, _)| i)
            .collect();
        if fixed > *value {
            return Err(ScheduleError(format!(
                "year {year}: {fixed} is already invoiced or due before {}, more than its new value of {value}",
                from.format("%-d %B %Y")
            )));
        }
        let rest = *value - fixed;
        if later.is_empty() {
            if rest != Money::ZERO {
                return Err(ScheduleError(format!(
                    "year {year} has no instalments left from {} to change",
                    from.format("%-d %B %Y")
                )));
            }
            continue;
        }
        out.extend(later.iter().copied().zip(split_exact(rest, later.len())));
    }
    Ok(out)
}

/// Tranches that fall by the same step each year, from `first` to `last`, over `years` years:
/// 300,000 falling to 0 over five years is 300,000 / 225,000 / 150,000 / 75,000 / 0. Each is
/// rounded half up to the penny.
pub fn declining(first: Money, last: Money, years: usize) -> Vec<Money> {
    match years {
        0 => Vec::new(),
        1 => vec![first],
        n => {
            let step = (first.amount() - last.amount()) / Decimal::from((n - 1) as u64);
            (0..n)
                .map(|k| Money::from_decimal_rounded(first.amount() - step * Decimal::from(k as u64)))
                .collect()
        }
    }
}

/// Matched funding: `ratio` of what schools paid (net of credit notes), capped, rounded half up
/// to the penny once; with the working an invoice line shows.
pub fn matched_funding(schools_paid: Money, ratio: Decimal, cap: Option<Money>) -> (Money, String) {
    let raw = Money::from_decimal_rounded(schools_paid.amount().max(Decimal::ZERO) * ratio);
    let percent = (ratio * Decimal::from(100)).normalize();
    match cap {
        Some(cap) if raw > cap => {
            (cap, format!("{percent}% of {schools_paid} paid by schools is {raw}, capped at {cap}"))
        }
        _ => (raw, format!("{percent}% of {schools_paid} paid by schools")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn pounds(p: i64) -> Money {
        Money::from_pence(p * 100)
    }

    #[test]
    fn a_three_year_commission_quarterly_in_advance() {
        let s = schedule(day(2026, 4, 1), &[pounds(600_000); 3], Frequency::Quarterly, Timing::InAdvance)
            .unwrap();
        assert_eq!(s.len(), 12);
        assert_eq!(
            (s[0].due, s[0].period_end, s[0].amount),
            (day(2026, 4, 1), day(2026, 6, 30), pounds(150_000))
        );
        assert_eq!((s[11].due, s[11].contract_year), (day(2029, 1, 1), 3));
        assert_eq!(s.iter().fold(Money::ZERO, |a, i| a + i.amount), pounds(1_800_000));
    }

    #[test]
    fn in_arrears_falls_due_at_the_end_of_each_period() {
        let s =
            schedule(day(2026, 9, 1), &[Money::from_pence(10_000)], Frequency::Monthly, Timing::InArrears)
                .unwrap();
        assert_eq!((s[0].due, s[1].due, s[11].due), (day(2026, 9, 30), day(2026, 10, 31), day(2027, 8, 31)));
        let parts: Vec<i64> = s.iter().map(|i| i.amount.to_pence().unwrap()).collect();
        assert_eq!(parts.iter().sum::<i64>(), 10_000);
        assert_eq!(&parts[..3], &[833, 834, 833], "£100.00 in twelve adds up exactly");
    }

    #[test]
    fn declining_tranches_split_into_each_years_instalments() {
        let tranches = declining(pounds(300_000), Money::ZERO, 5);
        assert_eq!(
            tranches,
            vec![pounds(300_000), pounds(225_000), pounds(150_000), pounds(75_000), Money::ZERO]
        );
        let s = schedule(day(2026, 4, 1), &tranches, Frequency::Quarterly, Timing::InAdvance).unwrap();
        assert_eq!(s.len(), 16, "the year worth nothing has no instalments");
        let year =
            |y: usize| s.iter().filter(|i| i.contract_year == y).fold(Money::ZERO, |a, i| a + i.amount);
        assert_eq!((year(1), year(2), year(4)), (pounds(300_000), pounds(225_000), pounds(75_000)));
    }

    #[test]
    fn matched_funding_shows_its_working_and_its_cap() {
        let (due, working) = matched_funding(pounds(200_000), dec!(0.5), Some(pounds(80_000)));
        assert_eq!(due, pounds(80_000));
        assert_eq!(working, "50% of £200,000.00 paid by schools is £100,000.00, capped at £80,000.00");
        let (due, working) = matched_funding(Money::from_pence(33_333), dec!(0.5), None);
        assert_eq!((due, working.as_str()), (Money::from_pence(16_667), "50% of £333.33 paid by schools"));
    }

    #[test]
    fn bad_schedules_are_refused() {
        assert!(schedule(day(2026, 4, 1), &[], Frequency::Monthly, Timing::InAdvance).is_err());
        assert!(
            schedule(day(2026, 4, 1), &[Money::from_pence(-1)], Frequency::Monthly, Timing::InAdvance)
                .is_err()
        );
    }

    #[test]
    fn named_dates_pay_for_the_time_since_the_last() {
        let s = on_named_dates(
            day(2026, 9, 1),
            day(2028, 8, 31),
            &[(day(2026, 10, 15), pounds(250_000)), (day(2027, 10, 15), pounds(250_000))],
        )
        .unwrap();
        assert_eq!((s[0].period_start, s[0].contract_year), (day(2026, 9, 1), 1));
        assert_eq!((s[1].period_start, s[1].contract_year), (day(2026, 10, 16), 2));
        assert!(on_named_dates(day(2026, 9, 1), day(2027, 8, 31), &[(day(2027, 9, 1), pounds(1))]).is_err());
        let e = on_named_dates(
            day(2026, 9, 1),
            day(2028, 8, 31),
            &[(day(2027, 1, 1), pounds(1)), (day(2026, 12, 1), pounds(1))],
        )
        .unwrap_err();
        assert_eq!(e.0, "put the dates in order, each after the one before");
    }

    #[test]
    fn a_variation_changes_only_later_instalments() {
        let s = schedule(day(2026, 4, 1), &[pounds(600_000); 2], Frequency::Quarterly, Timing::InAdvance)
            .unwrap();
        let standing: Vec<Standing> = s
            .iter()
            .map(|i| Standing {
                contract_year: i.contract_year,
                due: i.due,
                amount: i.amount,
                invoiced: i.due < day(2026, 10, 1),
            })
            .collect();
        // From 1 October 2026 the council cuts year 1 to £500,000 and year 2 to £400,000.
        let changed = vary(&standing, &[pounds(500_000), pounds(400_000)], day(2026, 10, 1)).unwrap();
        assert_eq!(changed.len(), 6, "two later quarters of year 1 and all four of year 2");
        assert_eq!(changed[0], (2, pounds(100_000)));
        assert_eq!(changed[2], (4, pounds(100_000)));
        let e = vary(&standing, &[pounds(200_000), pounds(400_000)], day(2026, 10, 1)).unwrap_err();
        assert_eq!(
            e.0,
            "year 1: £300,000.00 is already invoiced or due before 1 October 2026, more than its new value of £200,000.00"
        );
        assert!(vary(&standing, &[pounds(1)], day(2026, 10, 1)).is_err(), "a value for each year");
    }

    #[test]
    fn contract_years_count_from_the_start() {
        assert_eq!(contract_year_of(day(2026, 4, 1), day(2026, 4, 1)), 1);
        assert_eq!(contract_year_of(day(2026, 4, 1), day(2027, 3, 31)), 1);
        assert_eq!(contract_year_of(day(2026, 4, 1), day(2027, 4, 1)), 2);
    }

    proptest! {
        /// Every year's instalments add up to its value exactly, whatever the value.
        #[test]
        fn instalments_add_up_exactly(
            values in proptest::collection::vec(0i64..100_000_000, 1..6),
            freq in 0usize..3,
            advance in any::<bool>(),
        ) {
            let frequency = [Frequency::Monthly, Frequency::Quarterly, Frequency::Annually][freq];
            let timing = if advance { Timing::InAdvance } else { Timing::InArrears };
            let yearly: Vec<Money> = values.iter().map(|p| Money::from_pence(*p)).collect();
            let s = schedule(day(2026, 1, 31), &yearly, frequency, timing).unwrap();
            for (y, value) in yearly.iter().enumerate() {
                let sum = s.iter().filter(|i| i.contract_year == y + 1).fold(Money::ZERO, |a, i| a + i.amount);
                prop_assert_eq!(sum, *value);
            }
            prop_assert!(s.windows(2).all(|w| w[0].due <= w[1].due));
        }

        /// After a variation each year adds up to its new value exactly.
        #[test]
        fn a_variation_adds_up_to_the_new_values(
            values in proptest::collection::vec(0i64..10_000_000, 1..4),
            cut in 0i64..100,
            month in 0u32..48,
        ) {
            let yearly: Vec<Money> = values.iter().map(|p| Money::from_pence(*p)).collect();
            let s = schedule(day(2026, 4, 1), &yearly, Frequency::Monthly, Timing::InAdvance).unwrap();
            let from = day(2026, 4, 1).checked_add_months(Months::new(month)).unwrap();
            let standing: Vec<Standing> = s.iter().map(|i| Standing {
                contract_year: i.contract_year, due: i.due, amount: i.amount, invoiced: i.due < from,
            }).collect();
            let new: Vec<Money> = values.iter().map(|p| Money::from_pence(p * (100 - cut) / 100)).collect();
            if let Ok(changed) = vary(&standing, &new, from) {
                let mut amounts: Vec<Money> = standing.iter().map(|s| s.amount).collect();
                for (i, a) in changed { amounts[i] = a; }
                for (y, value) in new.iter().enumerate() {
                    if s.iter().all(|i| i.contract_year != y + 1) { continue; }
                    let sum = standing.iter().zip(&amounts).filter(|(s, _)| s.contract_year == y + 1).fold(Money::ZERO, |a, (_, m)| a + *m);
                    prop_assert_eq!(sum, *value);
                }
            }
        }

        #[test]
        fn parts_never_differ_by_more_than_a_penny(pence in 0i64..10_000_000, n in 1usize..40) {
            let parts = split_exact(Money::from_pence(pence), n);
            let p: Vec<i64> = parts.iter().map(|m| m.to_pence().unwrap()).collect();
            prop_assert_eq!(p.iter().sum::<i64>(), pence);
            prop_assert!(p.iter().max().unwrap() - p.iter().min().unwrap() <= 1);
        }
    }
}
