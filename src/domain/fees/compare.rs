//! A proposed rule against today's: totals, and how many schools would pay more, less or the
//! same (the offer editor's preview, read as the funding comparison reads).

use crate::domain::money::Money;

/// What a change of rule means across the schools it prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeSummary {
    pub schools: usize,
    /// Today's total, over the schools today's rule prices.
    pub today: Money,
    /// The proposed total, over the schools the proposed rule prices.
    pub proposed: Money,
    pub more: usize,
    pub less: usize,
    pub same: usize,
    /// Schools one of the two rules cannot price (no pupil number, say): not compared.
    pub not_compared: usize,
}

impl ChangeSummary {
    /// The proposed total less today's (negative when the change brings in less).
    pub fn difference(&self) -> Money {
        self.proposed - self.today
    }
}

/// Summarises (today, proposed) fees, one pair a school.
pub fn summarise(pairs: impl IntoIterator<Item = (Option<Money>, Option<Money>)>) -> ChangeSummary {
    let mut s = ChangeSummary::default();
    for (today, proposed) in pairs {
        s.schools += 1;
        s.today = s.today + today.unwrap_or(Money::ZERO);
        s.proposed = s.proposed + proposed.unwrap_or(Money::ZERO);
        match (today, proposed) {
            (Some(t), Some(p)) if p > t => s.more += 1,
            (Some(t), Some(p)) if p < t => s.less += 1,
            (Some(_), Some(_)) => s.same += 1,
            _ => s.not_compared += 1,
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(pence: i64) -> Option<Money> {
        Some(Money::from_pence(pence))
    }

    #[test]
    fn counts_winners_losers_and_the_unpriced() {
        let s = summarise([(m(100), m(150)), (m(100), m(50)), (m(100), m(100)), (None, m(10)), (m(5), None)]);
        assert_eq!((s.schools, s.more, s.less, s.same, s.not_compared), (5, 1, 1, 1, 2));
        assert_eq!(s.today, Money::from_pence(305));
        assert_eq!(s.proposed, Money::from_pence(310));
        assert_eq!(s.difference(), Money::from_pence(5));
    }

    proptest! {
        #[test]
        fn every_school_is_counted_once(pairs in proptest::collection::vec(
            (proptest::option::of(0i64..1_000_000), proptest::option::of(0i64..1_000_000)), 0..50)) {
            let s = summarise(pairs.iter().map(|(a, b)| (a.map(Money::from_pence), b.map(Money::from_pence))));
            prop_assert_eq!(s.more + s.less + s.same + s.not_compared, pairs.len());
            let today: i64 = pairs.iter().filter_map(|p| p.0).sum();
            prop_assert_eq!(s.today, Money::from_pence(today));
        }
    }
}
