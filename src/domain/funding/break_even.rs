//! Where an option breaks even, and how its surplus moves with sign-up.

#[cfg(test)]
use super::income::income;
use super::income::{Prepared, costs_covered, sums_by_phase};
use super::scenario::{CostLine, Council, FundingOption, ModelSchool, SignUp};
use crate::domain::fees::{FeeRule, RuleKind};
use crate::domain::money::Money;
use rust_decimal::Decimal;

/// Surplus (negative: deficit) of an option with a given membership rule.
#[cfg(test)]
pub(super) fn surplus_with(
    option: &FundingOption,
    rule: &FeeRule,
    schools: &[ModelSchool],
    costs: &[CostLine],
    council: Option<&Council>,
    year_index: usize,
) -> Decimal {
    let mut changed = option.clone();
    changed.membership_fee = rule.clone();
    income(&changed, &option.sign_up, schools, council, year_index).total() - costs_covered(option, costs)
}

/// The break-even point of an option's membership fee.
#[derive(Debug, Clone, PartialEq)]
pub enum BreakEven {
    /// The lowest single per-pupil rate or flat amount, in whole pence.
    Amount(Money),
    /// The lowest uniform scaling of every amount of the rule, to 4 decimal places.
    Scale(Decimal),
    /// Already covered with a fee of nothing.
    Free,
    /// No fee under this rule's shape covers the costs (for example a cap holds it down).
    Unreachable,
}

/// The break-even fee as people read it: the option's own rule at that amount or scale ("£2.21
/// per pupil", "£7.71 per pupil plus £162.28 a school"), never a bare multiplier.
pub fn break_even_words(option: &FundingOption, found: &BreakEven) -> String {
    match found {
        BreakEven::Amount(m) => option
            .membership_fee
            .with_single_amount(m.amount())
            .map_or_else(|| m.to_string(), |r| r.describe()),
        BreakEven::Scale(f) => option.membership_fee.scaled(*f).describe(),
        BreakEven::Free => "Covered with no membership fee".into(),
        BreakEven::Unreachable => "Cannot break even under this rule".into(),
    }
}

/// Finds the break-even point by bisection on a monotone surplus: for a single-amount rule the
/// lowest amount in whole pence; otherwise the lowest scale in steps of 0.0001.
pub fn break_even(
    option: &FundingOption,
    schools: &[ModelSchool],
    costs: &[CostLine],
    council: Option<&Council>,
    year_index: usize,
) -> BreakEven {
    let single = option.membership_fee.with_single_amount(Decimal::ZERO).is_some();
    let step = if single { Decimal::new(1, 2) } else { Decimal::new(1, 4) };
    let rule_at = |steps: i64| -> FeeRule {
        let value = step * Decimal::from(steps);
        if single {
            option.membership_fee.with_single_amount(value).unwrap_or_else(|| option.membership_fee.clone())
        } else {
            option.membership_fee.scaled(value)
        }
    };
    let base = Prepared::new(option, schools);
    let covered = costs_covered(option, costs);
    let surplus = |steps: i64| {
        let mut prepared = base.clone();
        prepared.membership_by_phase = sums_by_phase(&rule_at(steps), schools);
        prepared.income(&option.sign_up, council, year_index).total() - covered
    };
    let (mut low, mut f_low) = (0i64, surplus(0));
    if f_low >= Decimal::ZERO {
        return BreakEven::Free;
    }
    // Bracket the answer, starting from the rule's own amount (or a scale of 1).
    let start = match (&option.membership_fee.kind, single) {
        (RuleKind::Flat { flat }, true) => *flat,
        (RuleKind::PerPupil { per_pupil, .. }, true) => *per_pupil,
        _ => Decimal::ONE,
    };
    let mut high = i64::try_from((start / step).round()).unwrap_or(1).max(1);
    let mut f_high = surplus(high);
    while f_high < Decimal::ZERO {
        (low, f_low) = (high, f_high);
        high = high.saturating_mul(2);
        if high > 1_000_000_000_000 {
            return BreakEven::Unreachable;
        }
        f_high = surplus(high);
    }
    // Surplus is monotone and piecewise linear: interpolate (false position), halving instead
    // when one end keeps moving, until the ends are one step apart.
    let mut same_side = 0i32;
    while high - low > 1 {
        let span = high - low;
        let mid = if same_side.abs() >= 2 || f_high == f_low {
            low + span / 2
        } else {
            let t = (-f_low) / (f_high - f_low);
            low + i64::try_from((t * Decimal::from(span)).ceil()).unwrap_or(span / 2)
        };
        let mid = mid.clamp(low + 1, high - 1);
        let f = surplus(mid);
        if f >= Decimal::ZERO {
            (high, f_high) = (mid, f);
            same_side = if same_side > 0 { same_side + 1 } else { 1 };
        } else {
            (low, f_low) = (mid, f);
            same_side = if same_side < 0 { same_side - 1 } else { -1 };
        }
    }
    let value = step * Decimal::from(high);
    if single { BreakEven::Amount(Money::from_decimal_rounded(value)) } else { BreakEven::Scale(value) }
}

/// Surplus at sign-up 0%, 5%, ... 100% of the membership (tiers and services as given).
pub fn sensitivity(
    option: &FundingOption,
    schools: &[ModelSchool],
    costs: &[CostLine],
    council: Option<&Council>,
    year_index: usize,
) -> Vec<(u32, Decimal)> {
    let covered = costs_covered(option, costs);
    let prepared = Prepared::new(option, schools);
    (0..=20)
        .map(|i| {
            let share = Decimal::new(i64::from(i) * 5, 2);
            let total = prepared.income(&SignUp::All(share), council, year_index).total();
            (i * 5, total - covered)
        })
        .collect()
}
