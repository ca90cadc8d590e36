//! What one membership owes for one billing period: the pure heart of a billing run.
//!
//! The annual amount (the rule, floors and caps, discounts; exact) is charged for the share of
//! the year the membership covers (see [`crate::domain::pro_rata`]). Period *n* charges the amount due
//! for the share covered up to the end of period *n*, rounded half up to the penny, less the
//! same up to the end of period *n-1*. So a whole year's termly charges add up exactly to the
//! annual fee, and a school that joins, leaves or converts mid-year pays each period only for
//! the months it is a member.

use crate::domain::billing_phase::BillingPhase;
use crate::domain::fees::{Discounts, FeeRule, Unpriced, discounted_annual, discounted_annual_amount};
use crate::domain::instalments::BillingPlan;
use crate::domain::money::{Money, round_half_up_to_penny};
use crate::domain::partnership::MembershipYear;
use crate::domain::pro_rata::{Coverage, ProRataUnit, coverage};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// One billing period of a membership year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// "annual", "autumn", "spring", "summer" or "month-1" to "month-12".
    pub name: String,
    pub index: usize,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl Period {
    /// How the period reads on an invoice line.
    pub fn label(&self) -> String {
        match self.name.as_str() {
            "annual" => "full year".into(),
            "autumn" | "spring" | "summer" => format!("{} term", self.name),
            _ => self.first_day.format("%B %Y").to_string(),
        }
    }
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    let total = date.month0() + months;
    let year = date.year() + (total / 12) as i32;
    NaiveDate::from_ymd_opt(year, total % 12 + 1, 1).unwrap_or(date)
}

/// The periods of a plan within a membership year, in order.
pub fn periods(year: MembershipYear, plan: BillingPlan) -> Vec<Period> {
    let mut start = year.first_day();
    plan.periods()
        .into_iter()
        .enumerate()
        .map(|(index, (name, months))| {
            let next = add_months(start, months);
            let period = Period { name, index, first_day: start, last_day: next.pred_opt().unwrap_or(next) };
            start = next;
            period
        })
        .collect()
}

/// The period of `plan` called `name`, if there is one.
pub fn find_period(year: MembershipYear, plan: BillingPlan, name: &str) -> Option<Period> {
    periods(year, plan).into_iter().find(|p| p.name.eq_ignore_ascii_case(name.trim()))
}

/// The period to bill next among offers (each: its year, its plan and the periods already
/// billed): the earliest one not billed yet, begun or not. `None` when everything is billed.
pub fn next_due(offers: &[(MembershipYear, BillingPlan, Vec<String>)]) -> Option<(MembershipYear, Period)> {
    offers
        .iter()
        .flat_map(|(year, plan, billed)| {
            periods(*year, *plan).into_iter().filter(|p| !billed.contains(&p.name)).map(|p| (*year, p))
        })
        .min_by_key(|(_, p)| p.first_day)
}

/// Everything that prices one membership.
#[derive(Debug, Clone)]
pub struct MembershipTerms<'a> {
    /// e.g. "Membership 2025-26, Standard".
    pub title: String,
    pub rule: &'a FeeRule,
    pub phase: BillingPhase,
    pub pupils: Option<u32>,
    pub discounts: Discounts,
    pub unit: ProRataUnit,
    /// The first day of membership (already no earlier than the school's opening).
    pub start: NaiveDate,
    /// The last day of membership (already no later than the school's closing), if it ends.
    pub end: Option<NaiveDate>,
}

/// What a membership owes for a period, and how the figure was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodCharge {
    pub net: Money,
    pub description: String,
}

/// Why a membership cannot be charged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeError {
    Unpriced(Unpriced),
    LeavesBeforeJoining,
}

impl std::fmt::Display for ChargeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChargeError::Unpriced(u) => u.fmt(f),
            ChargeError::LeavesBeforeJoining => f.write_str("the membership ends before it starts"),
        }
    }
}

fn covered_until(
    year: MembershipYear,
    terms: &MembershipTerms,
    until: Option<NaiveDate>,
    unit: ProRataUnit,
) -> Coverage {
    let of = match unit {
        ProRataUnit::Months => 12,
        ProRataUnit::Days => (year.last_day() - year.first_day()).num_days() as u32 + 1,
    };
    let Some(until) = until else { return Coverage { covered: 0, of } };
    let end = terms.end.map_or(until, |e| e.min(until));
    if end < terms.start {
        return Coverage { covered: 0, of };
    }
    coverage(year, terms.start, Some(end), unit).unwrap_or(Coverage { covered: 0, of })
}

fn due(annual: Decimal, c: Coverage) -> Money {
    Money::from_decimal_rounded(round_half_up_to_penny(
        annual * Decimal::from(c.covered) / Decimal::from(c.of),
    ))
}

/// How much of the year the membership covers before `period` and to its end; `None` when it
/// covers none of the period.
fn covered_by(
    terms: &MembershipTerms,
    year: MembershipYear,
    period: &Period,
) -> Result<Option<(Coverage, Coverage)>, ChargeError> {
    if terms.end.is_some_and(|end| end < terms.start) {
        return Err(ChargeError::LeavesBeforeJoining);
    }
    let before = (period.index > 0).then(|| period.first_day.pred_opt().unwrap_or(period.first_day));
    let covered_before = covered_until(year, terms, before, terms.unit);
    let covered_to_end = covered_until(year, terms, Some(period.last_day), terms.unit);
    Ok((covered_to_end.covered != covered_before.covered).then_some((covered_before, covered_to_end)))
}

/// [`period_charge`]'s amount alone, without its description: the same calculation for lists
/// that show a fee for each of a page of memberships on every request.
pub fn period_net(
    terms: &MembershipTerms,
    year: MembershipYear,
    period: &Period,
) -> Result<Option<Money>, ChargeError> {
    let Some((covered_before, covered_to_end)) = covered_by(terms, year, period)? else {
        return Ok(None);
    };
    let annual = discounted_annual_amount(terms.rule, terms.phase, terms.pupils, terms.discounts)
        .map_err(ChargeError::Unpriced)?;
    let net = due(annual, covered_to_end) - due(annual, covered_before);
    Ok((!net.amount().is_zero()).then_some(net))
}

/// What the membership owes for `period`: `None` when nothing is due (not a member then, or a
/// fee of £0.00).
pub fn period_charge(
    terms: &MembershipTerms,
    year: MembershipYear,
    plan: BillingPlan,
    period: &Period,
) -> Result<Option<PeriodCharge>, ChargeError> {
    let Some((covered_before, covered_to_end)) = covered_by(terms, year, period)? else {
        return Ok(None);
    };
    let priced = discounted_annual(terms.rule, terms.phase, terms.pupils, terms.discounts)
        .map_err(ChargeError::Unpriced)?;
    let net = due(priced.amount, covered_to_end) - due(priced.amount, covered_before);
    if net.amount().is_zero() {
        return Ok(None);
    }
    let share = covered_to_end.covered - covered_before.covered;
    let unit = match terms.unit {
        ProRataUnit::Months => "months",
        ProRataUnit::Days => "days",
    };
    let whole_period = plan == BillingPlan::Annual && covered_to_end.is_whole();
    let description = if whole_period {
        format!("{}: {}", terms.title, priced.working)
    } else if plan == BillingPlan::Annual {
        format!("{}: {}, pro rata {share}/{}", terms.title, priced.working, covered_to_end.of)
    } else {
        format!(
            "{}: {}, {} ({share} of {} {unit})",
            terms.title,
            priced.working,
            period.label(),
            covered_to_end.of
        )
    };
    Ok(Some(PeriodCharge { net, description }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::partnership::YearKind;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn year() -> MembershipYear {
        MembershipYear::parse(YearKind::Academic, "2025-26").unwrap()
    }

    fn per_pupil() -> FeeRule {
        FeeRule::from_json(r#"{"per_pupil": "19.00"}"#).unwrap()
    }

    fn terms(rule: &FeeRule, start: NaiveDate, end: Option<NaiveDate>) -> MembershipTerms<'_> {
        MembershipTerms {
            title: "Membership 2025-26, Standard".into(),
            rule,
            phase: BillingPhase::Primary,
            pupils: Some(420),
            discounts: Discounts::default(),
            unit: ProRataUnit::Months,
            start,
            end,
        }
    }

    fn charges(t: &MembershipTerms, plan: BillingPlan) -> Vec<Option<Money>> {
        periods(year(), plan)
            .iter()
            .map(|p| period_charge(t, year(), plan, p).unwrap().map(|c| c.net))
            .collect()
    }

    #[test]
    fn periods_of_an_academic_year() {
        let terms = periods(year(), BillingPlan::Termly);
        assert_eq!(terms.len(), 3);
        assert_eq!((terms[0].first_day, terms[0].last_day), (d(2025, 9, 1), d(2025, 12, 31)));
        assert_eq!((terms[1].first_day, terms[1].last_day), (d(2026, 1, 1), d(2026, 4, 30)));
        assert_eq!((terms[2].first_day, terms[2].last_day), (d(2026, 5, 1), d(2026, 8, 31)));
        let months = periods(year(), BillingPlan::Monthly);
        assert_eq!(months[11].last_day, d(2026, 8, 31));
        assert_eq!(months[4].label(), "January 2026");
        assert!(find_period(year(), BillingPlan::Termly, "Autumn").is_some());
        assert!(find_period(year(), BillingPlan::Termly, "winter").is_none());
    }

    #[test]
    fn a_whole_year_annual_and_termly() {
        let rule = per_pupil();
        let t = terms(&rule, d(2020, 1, 1), None);
        let annual = periods(year(), BillingPlan::Annual);
        let charge = period_charge(&t, year(), BillingPlan::Annual, &annual[0]).unwrap().unwrap();
        assert_eq!(charge.net, Money::from_pence(798_000));
        assert_eq!(charge.description, "Membership 2025-26, Standard: 420 pupils x £19.00");
        assert_eq!(
            charges(&t, BillingPlan::Termly),
            vec![
                Some(Money::from_pence(266_000)),
                Some(Money::from_pence(266_000)),
                Some(Money::from_pence(266_000))
            ]
        );
        let autumn = &periods(year(), BillingPlan::Termly)[0];
        let text = period_charge(&t, year(), BillingPlan::Termly, autumn).unwrap().unwrap().description;
        assert_eq!(text, "Membership 2025-26, Standard: 420 pupils x £19.00, autumn term (4 of 12 months)");
    }

    #[test]
    fn joining_in_february_pays_from_february() {
        let rule = per_pupil();
        let t = terms(&rule, d(2026, 2, 1), None);
        let annual = &periods(year(), BillingPlan::Annual)[0];
        let c = period_charge(&t, year(), BillingPlan::Annual, annual).unwrap().unwrap();
        assert_eq!(c.net, Money::from_pence(465_500));
        assert_eq!(c.description, "Membership 2025-26, Standard: 420 pupils x £19.00, pro rata 7/12");
        assert_eq!(
            charges(&t, BillingPlan::Termly),
            vec![None, Some(Money::from_pence(199_500)), Some(Money::from_pence(266_000))]
        );
    }

    #[test]
    fn a_conversion_splits_the_year_between_payers() {
        let rule = per_pupil();
        let maintained = terms(&rule, d(2025, 9, 1), Some(d(2025, 12, 31)));
        let academy = terms(&rule, d(2026, 1, 1), None);
        let annual = &periods(year(), BillingPlan::Annual)[0];
        let first = period_charge(&maintained, year(), BillingPlan::Annual, annual).unwrap().unwrap().net;
        let second = period_charge(&academy, year(), BillingPlan::Annual, annual).unwrap().unwrap().net;
        assert_eq!((first, second), (Money::from_pence(266_000), Money::from_pence(532_000)));
        assert_eq!(first + second, Money::from_pence(798_000));
    }

    #[test]
    fn missing_pupils_and_bad_dates_are_reported() {
        let rule = per_pupil();
        let mut t = terms(&rule, d(2025, 9, 1), None);
        t.pupils = None;
        let annual = &periods(year(), BillingPlan::Annual)[0];
        assert_eq!(
            period_charge(&t, year(), BillingPlan::Annual, annual),
            Err(ChargeError::Unpriced(Unpriced::NeedsPupilNumber))
        );
        let backwards = terms(&rule, d(2026, 1, 10), Some(d(2026, 1, 9)));
        assert_eq!(
            period_charge(&backwards, year(), BillingPlan::Annual, annual),
            Err(ChargeError::LeavesBeforeJoining)
        );
        let free = FeeRule::from_json(r#"{"flat": "0.00"}"#).unwrap();
        assert_eq!(
            period_charge(&terms(&free, d(2025, 9, 1), None), year(), BillingPlan::Annual, annual),
            Ok(None)
        );
    }

    proptest! {
        /// However a membership starts and ends, its period charges add up to its pro-rata
        /// annual fee, whichever plan bills it.
        #[test]
        fn period_charges_add_up_to_the_pro_rata_fee(start in 0u64..400, length in 0u64..400, pupils in 0u32..2000, plan in 0usize..3) {
            let rule = FeeRule::from_json(r#"{"per_pupil": "7.37", "lump_sum": "101.01"}"#).unwrap();
            let first = d(2025, 8, 1) + chrono::Days::new(start);
            let mut t = terms(&rule, first, Some(first + chrono::Days::new(length)));
            t.pupils = Some(pupils);
            let plan = [BillingPlan::Annual, BillingPlan::Termly, BillingPlan::Monthly][plan];
            let total: Money = periods(year(), plan).iter().filter_map(|p| period_charge(&t, year(), plan, p).unwrap()).map(|c| c.net).sum();
            let annual_plan: Money = periods(year(), BillingPlan::Annual).iter().filter_map(|p| period_charge(&t, year(), BillingPlan::Annual, p).unwrap()).map(|c| c.net).sum();
            prop_assert_eq!(total, annual_plan);
        }

        /// The list's fee without its description is the billed charge's, to the penny, for
        /// any rule shape, discounts, dates and plan, and fails the same way.
        #[test]
        fn the_net_alone_is_the_charge(
            start in 0u64..400,
            length in prop::option::of(0u64..400),
            pupils in prop::option::of(0u32..3000),
            rule in 0usize..4,
            trust in 0u32..40,
            first in 0u32..40,
            plan in 0usize..3,
        ) {
            let rule = FeeRule::from_json([
                r#"{"per_pupil": "7.37", "lump_sum": "101.01", "min": "900", "max": "9000.50"}"#,
                r#"{"flat": "1234.56"}"#,
                r#"{"by_phase": {"Secondary": {"flat": "6000.00"}, "default": {"per_pupil": "8.50"}}, "max": "9000.00"}"#,
                r#"{"bands": [{"up_to": 200, "flat": "100.00", "per_pupil": "2.00"}, {"flat": "50.00", "per_pupil": "1.00"}], "mode": "graduated"}"#,
            ][rule]).unwrap();
            let first_day = d(2025, 8, 1) + chrono::Days::new(start);
            let mut t = terms(&rule, first_day, length.map(|l| first_day + chrono::Days::new(l)));
            t.pupils = pupils;
            t.discounts = Discounts { trust_percent: Decimal::from(trust), first_year_percent: Decimal::new(i64::from(first) * 5, 1) };
            let plan = [BillingPlan::Annual, BillingPlan::Termly, BillingPlan::Monthly][plan];
            for p in periods(year(), plan) {
                let charged = period_charge(&t, year(), plan, &p).map(|c| c.map(|c| c.net));
                prop_assert_eq!(period_net(&t, year(), &p), charged);
            }
        }
    }

    #[test]
    fn the_next_period_due_is_the_earliest_unbilled() {
        let y25 = MembershipYear::new(YearKind::Academic, 2025).expect("year");
        let y26 = MembershipYear::new(YearKind::Academic, 2026).expect("year");
        let offers =
            vec![(y25, BillingPlan::Termly, vec!["autumn".to_string()]), (y26, BillingPlan::Annual, vec![])];
        let (year, period) = next_due(&offers).expect("due");
        assert_eq!((year, period.name.as_str()), (y25, "spring"));
        let offers = vec![
            (y25, BillingPlan::Termly, vec!["autumn".into(), "spring".into(), "summer".into()]),
            (y26, BillingPlan::Annual, vec![]),
        ];
        let (year, period) = next_due(&offers).expect("the next year");
        assert_eq!((year, period.name.as_str()), (y26, "annual"));
        let offers = vec![(y26, BillingPlan::Annual, vec!["annual".to_string()])];
        assert!(next_due(&offers).is_none());
    }
}
