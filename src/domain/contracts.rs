//! Contracts and grants as rules (issue 13's core): a contract's value per contract year (the
//! same each year, or declining tranches such as 300,000 / 225,000 / 150,000 / 75,000 / 0),
//! split into monthly, quarterly or annual instalments in advance or in arrears that add up to
//! each year's value exactly; and matched funding, a ratio of what schools paid up to a cap,
//! with its working.

use super::money::{Money, round_half_up_to_penny};
use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;

/// How often a contract is invoiced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    InAdvance,
    InArrears,
}

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

        #[test]
        fn parts_never_differ_by_more_than_a_penny(pence in 0i64..10_000_000, n in 1usize..40) {
            let parts = split_exact(Money::from_pence(pence), n);
            let p: Vec<i64> = parts.iter().map(|m| m.to_pence().unwrap()).collect();
            prop_assert_eq!(p.iter().sum::<i64>(), pence);
            prop_assert!(p.iter().max().unwrap() - p.iter().min().unwrap() <= 1);
        }
    }
}
