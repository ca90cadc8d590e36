//! CPD courses and conferences as rules: the states of a place on an event, and the
//! cancellation policy that says what a school pays when it cancels a place or its delegate
//! does not come.

use super::money::Money;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Where one place (one delegate) on an event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceState {
    /// Holds a place, invoiced as the partnership chooses.
    Booked,
    /// On the waiting list, in the order asked.
    Waiting,
    /// A freed place held for the first on the waiting list until they accept or decline.
    Offered,
    Cancelled,
    Attended,
    NoShow,
}

impl PlaceState {
    pub const ALL: [PlaceState; 6] = [
        PlaceState::Booked,
        PlaceState::Waiting,
        PlaceState::Offered,
        PlaceState::Cancelled,
        PlaceState::Attended,
        PlaceState::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlaceState::Booked => "booked",
            PlaceState::Waiting => "waiting",
            PlaceState::Offered => "offered",
            PlaceState::Cancelled => "cancelled",
            PlaceState::Attended => "attended",
            PlaceState::NoShow => "no_show",
        }
    }

    pub fn parse(text: &str) -> Option<PlaceState> {
        PlaceState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            PlaceState::Booked => "Booked",
            PlaceState::Waiting => "On the waiting list",
            PlaceState::Offered => "Offered a place",
            PlaceState::Cancelled => "Cancelled",
            PlaceState::Attended => "Attended",
            PlaceState::NoShow => "Did not attend",
        }
    }

    /// Whether the place counts against the event's capacity.
    pub fn holds_a_place(self) -> bool {
        matches!(self, PlaceState::Booked | PlaceState::Offered | PlaceState::Attended | PlaceState::NoShow)
    }
}

/// "Cancelling within `within_days` days of the start costs `percent`% of the place."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancellationRule {
    pub within_days: u32,
    pub percent: Decimal,
}

/// What cancelling or not coming costs: rules by notice given, and a fixed charge for a
/// delegate who does not come to a free event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancellationPolicy {
    #[serde(default)]
    pub rules: Vec<CancellationRule>,
    /// Charged for a no-show when the place itself was free.
    #[serde(default)]
    pub no_show_charge: Option<Decimal>,
}

/// Why a policy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

impl CancellationPolicy {
    /// Checks the policy: at most ten rules, each within 1 to 365 days and 0 to 100%, no two for
    /// the same notice; a no-show charge from £0.01 to £10,000.
    pub fn check(&self) -> Result<(), PolicyError> {
        if self.rules.len() > 10 {
            return Err(PolicyError("give at most ten cancellation rules".into()));
        }
        for (i, r) in self.rules.iter().enumerate() {
            if r.within_days == 0 || r.within_days > 365 {
                return Err(PolicyError(format!("rule {}: the notice must be 1 to 365 days", i + 1)));
            }
            if r.percent < Decimal::ZERO || r.percent > Decimal::from(100) || r.percent.scale() > 2 {
                return Err(PolicyError(format!("rule {}: the charge must be 0 to 100%", i + 1)));
            }
            if self.rules[..i].iter().any(|o| o.within_days == r.within_days) {
                return Err(PolicyError(format!("two rules are for {} days' notice", r.within_days)));
            }
        }
        if let Some(c) = self.no_show_charge
            && (c <= Decimal::ZERO || c > Decimal::from(10_000) || c.scale() > 2)
        {
            return Err(PolicyError("a no-show charge is from £0.01 to £10,000.00".into()));
        }
        Ok(())
    }

    /// The percentage of a place's price charged for cancelling on `on` an event starting
    /// `starts`: the highest charge among the rules whose notice was not given (cancelling fewer
    /// than `within_days` days before the start; exactly `within_days` is in time). Cancelling
    /// on or after the start is charged in full.
    pub fn percent_due(&self, starts: NaiveDate, on: NaiveDate) -> Decimal {
        let notice = (starts - on).num_days();
        if notice <= 0 {
            return Decimal::from(100);
        }
        self.rules
            .iter()
            .filter(|r| notice < i64::from(r.within_days))
            .map(|r| r.percent)
            .max()
            .unwrap_or(Decimal::ZERO)
    }

    /// What cancelling a place of `price` costs, rounded half up to the penny once.
    pub fn cancellation_fee(&self, price: Money, starts: NaiveDate, on: NaiveDate) -> Money {
        Money::from_decimal_rounded(price.amount() * self.percent_due(starts, on) / Decimal::from(100))
    }

    /// What a no-show adds: the fixed charge when the place was free, else nothing more (the
    /// place is already charged).
    pub fn no_show_fee(&self, price: Money) -> Money {
        match self.no_show_charge {
            Some(c) if price == Money::ZERO => Money::from_decimal_rounded(c),
            _ => Money::ZERO,
        }
    }

    /// The policy in words, for the booking page and the confirmation.
    pub fn describe(&self) -> String {
        let mut rules: Vec<&CancellationRule> = self.rules.iter().collect();
        rules.sort_by_key(|r| std::cmp::Reverse(r.within_days));
        let mut parts = Vec::new();
        match rules.first() {
            None => parts.push("Free to cancel until the start".to_string()),
            Some(first) => {
                parts.push(format!("Free to cancel until {} days before the start", first.within_days))
            }
        }
        for r in &rules {
            parts.push(format!("{}% of the price within {} days", r.percent.normalize(), r.within_days));
        }
        if let Some(c) = self.no_show_charge {
            parts.push(format!(
                "{} if a delegate does not come to a free event",
                Money::from_decimal_rounded(c)
            ));
        }
        parts.join("; ")
    }
}

/// The places to give a booking of `wanted` places when `free` are left: (booked, waiting).
pub fn split_places(wanted: u32, free: u32) -> (u32, u32) {
    let booked = wanted.min(free);
    (booked, wanted - booked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn usual() -> CancellationPolicy {
        CancellationPolicy {
            rules: vec![CancellationRule { within_days: 14, percent: dec!(100) }],
            no_show_charge: Some(dec!(50.00)),
        }
    }

    #[test]
    fn free_until_fourteen_days_before_then_in_full() {
        let p = usual();
        let starts = day(2027, 1, 29);
        assert_eq!(p.percent_due(starts, day(2027, 1, 15)), dec!(0), "14 days' notice is enough");
        assert_eq!(p.percent_due(starts, day(2027, 1, 16)), dec!(100), "13 days is within 14");
        assert_eq!(p.percent_due(starts, day(2027, 1, 28)), dec!(100));
        assert_eq!(p.percent_due(starts, starts), dec!(100), "on the day");
        assert_eq!(p.percent_due(starts, day(2027, 2, 1)), dec!(100), "after the start");
        assert_eq!(
            p.cancellation_fee(Money::from_pence(12_000), starts, day(2027, 1, 16)),
            Money::from_pence(12_000)
        );
        assert_eq!(p.cancellation_fee(Money::from_pence(12_000), starts, day(2027, 1, 15)), Money::ZERO);
    }

    #[test]
    fn the_highest_charge_of_the_rules_that_apply() {
        let p = CancellationPolicy {
            rules: vec![
                CancellationRule { within_days: 28, percent: dec!(50) },
                CancellationRule { within_days: 7, percent: dec!(100) },
            ],
            no_show_charge: None,
        };
        let starts = day(2027, 3, 1);
        assert_eq!(p.percent_due(starts, day(2027, 2, 1)), dec!(0), "28 days' notice");
        assert_eq!(p.percent_due(starts, day(2027, 2, 2)), dec!(50), "27 days");
        assert_eq!(p.percent_due(starts, day(2027, 2, 22)), dec!(50), "7 days' notice");
        assert_eq!(p.percent_due(starts, day(2027, 2, 23)), dec!(100), "6 days");
        assert_eq!(
            p.cancellation_fee(Money::from_pence(18_001), starts, day(2027, 2, 2)),
            Money::from_pence(9_001)
        );
        assert_eq!(
            p.describe(),
            "Free to cancel until 28 days before the start; 50% of the price within 28 days; 100% of the price within 7 days"
        );
    }

    #[test]
    fn a_no_show_at_a_free_event_pays_the_fixed_charge() {
        let p = usual();
        assert_eq!(p.no_show_fee(Money::ZERO), Money::from_pence(5_000));
        assert_eq!(p.no_show_fee(Money::from_pence(12_000)), Money::ZERO, "a paid place is charged already");
        assert_eq!(CancellationPolicy::default().no_show_fee(Money::ZERO), Money::ZERO);
    }

    #[test]
    fn policies_are_checked() {
        let bad = |rules: Vec<(u32, Decimal)>, charge: Option<Decimal>| {
            CancellationPolicy {
                rules: rules
                    .into_iter()
                    .map(|(within_days, percent)| CancellationRule { within_days, percent })
                    .collect(),
                no_show_charge: charge,
            }
            .check()
            .is_err()
        };
        assert!(bad(vec![(0, dec!(100))], None));
        assert!(bad(vec![(14, dec!(101))], None));
        assert!(bad(vec![(14, dec!(-1))], None));
        assert!(bad(vec![(14, dec!(50)), (14, dec!(100))], None));
        assert!(bad(vec![], Some(dec!(0))));
        assert!(!bad(vec![(14, dec!(100)), (28, dec!(50))], Some(dec!(25))));
    }

    proptest! {
        /// More notice never costs more, and the fee is never more than the price.
        #[test]
        fn more_notice_never_costs_more(
            rules in proptest::collection::vec((1u32..120, 0u32..=100), 0..5),
            pence in 0i64..1_000_000,
            a in 0i64..200,
            b in 0i64..200,
        ) {
            let mut seen = std::collections::HashSet::new();
            let p = CancellationPolicy {
                rules: rules.into_iter().filter(|(d, _)| seen.insert(*d))
                    .map(|(within_days, pc)| CancellationRule { within_days, percent: Decimal::from(pc) }).collect(),
                no_show_charge: None,
            };
            let starts = day(2027, 6, 1);
            let (early, late) = (a.max(b), a.min(b));
            let price = Money::from_pence(pence);
            let fee_early = p.cancellation_fee(price, starts, starts - chrono::Duration::days(early));
            let fee_late = p.cancellation_fee(price, starts, starts - chrono::Duration::days(late));
            prop_assert!(fee_early <= fee_late);
            prop_assert!(fee_late <= price && fee_early >= Money::ZERO);
        }

        #[test]
        fn places_are_never_more_than_asked_or_free(wanted in 0u32..100, free in 0u32..100) {
            let (booked, waiting) = split_places(wanted, free);
            prop_assert_eq!(booked + waiting, wanted);
            prop_assert!(booked <= free);
        }
    }
}
