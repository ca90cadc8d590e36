//! Splitting an annual fee into instalments that add up exactly.
//!
//! Every plan splits the year into periods of whole months (annual: one of 12; termly: autumn,
//! spring and summer of 4 months each, in membership-year order; monthly: 12 of 1). Instalment
//! *n* is the fee for the months up to the end of period *n*, rounded half up to the penny, less
//! the same for the periods before it. So full-year termly instalments of £100.00 are £33.33,
//! £33.34 and £33.33, and the instalments always add up to the fee exactly.

use super::money::{Money, round_half_up_to_penny};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How often a partnership bills an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingPlan {
    /// Once, in advance, for the year.
    #[default]
    Annual,
    /// Autumn, spring and summer.
    Termly,
    Monthly,
}

impl BillingPlan {
    /// The periods of the plan and how many months each spans.
    pub fn periods(self) -> Vec<(String, u32)> {
        match self {
            BillingPlan::Annual => vec![("annual".into(), 12)],
            BillingPlan::Termly => vec![("autumn".into(), 4), ("spring".into(), 4), ("summer".into(), 4)],
            BillingPlan::Monthly => (1..=12).map(|m| (format!("month-{m}"), 1)).collect(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BillingPlan::Annual => "annual",
            BillingPlan::Termly => "termly",
            BillingPlan::Monthly => "monthly",
        }
    }

    /// Every plan, in the order pages offer them.
    pub const ALL: [BillingPlan; 3] = [BillingPlan::Annual, BillingPlan::Termly, BillingPlan::Monthly];

    /// How the plan reads on a page.
    pub fn label(self) -> &'static str {
        match self {
            BillingPlan::Annual => "Once a year, for the whole year",
            BillingPlan::Termly => "Termly: autumn, spring and summer",
            BillingPlan::Monthly => "Monthly",
        }
    }

    pub fn parse(text: &str) -> Option<BillingPlan> {
        [BillingPlan::Annual, BillingPlan::Termly, BillingPlan::Monthly]
            .into_iter()
            .find(|p| p.as_str() == text.trim())
    }
}

super::unknown_name::from_str_by_parse!(BillingPlan, "billing plan");

/// The instalments of `fee` under `plan`, in order; they add up to `fee` exactly.
pub fn instalments(fee: Money, plan: BillingPlan) -> Vec<Money> {
    let mut result = Vec::new();
    let mut months_so_far = 0u32;
    let mut billed_so_far = Money::ZERO;
    for (_, months) in plan.periods() {
        months_so_far += months;
        let due_so_far = if months_so_far == 12 {
            fee
        } else {
            Money::from_decimal_rounded(round_half_up_to_penny(
                fee.amount() * Decimal::from(months_so_far) / Decimal::from(12),
            ))
        };
        result.push(due_so_far - billed_so_far);
        billed_so_far = due_so_far;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn termly_thirds_add_up() {
        assert_eq!(
            instalments(Money::from_pence(10_000), BillingPlan::Termly),
            vec![Money::from_pence(3333), Money::from_pence(3334), Money::from_pence(3333)]
        );
        assert_eq!(
            instalments(Money::from_pence(2), BillingPlan::Termly),
            vec![Money::from_pence(1), Money::from_pence(0), Money::from_pence(1)]
        );
        assert_eq!(
            instalments(Money::from_pence(798_000), BillingPlan::Annual),
            vec![Money::from_pence(798_000)]
        );
    }

    #[test]
    fn monthly_has_twelve() {
        let parts = instalments(Money::from_pence(100_000), BillingPlan::Monthly);
        assert_eq!(parts.len(), 12);
        assert_eq!(parts[0], Money::from_pence(8333));
        assert_eq!(parts.into_iter().sum::<Money>(), Money::from_pence(100_000));
    }

    proptest! {
        #[test]
        fn instalments_add_up_and_differ_by_at_most_a_penny(pence in 0i64..100_000_000_000, termly in any::<bool>()) {
            let plan = if termly { BillingPlan::Termly } else { BillingPlan::Monthly };
            let fee = Money::from_pence(pence);
            let parts = instalments(fee, plan);
            prop_assert_eq!(parts.iter().copied().sum::<Money>(), fee);
            let max = parts.iter().max().unwrap().to_pence().unwrap();
            let min = parts.iter().min().unwrap().to_pence().unwrap();
            prop_assert!(max - min <= 1);
        }
    }
}
