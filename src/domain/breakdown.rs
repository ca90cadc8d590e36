//! A year's membership income broken down by a fact about each school (billing phase, type of
//! school, local authority, trust), with the income per pupil of each group.

use super::money::{Money, round_half_up_to_penny};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// What one school was invoiced for its membership in a year, and its pupils then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolIncome {
    pub invoiced: Money,
    /// The pupil number in force at the start of the year, if the register has one.
    pub pupils: Option<i32>,
}

/// One group's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub group: String,
    pub schools: u64,
    pub invoiced: Money,
    /// Pupils of the group's schools with a pupil number.
    pub pupils: i64,
    /// The invoicing of the schools with a pupil number, per pupil.
    pub per_pupil: Option<Money>,
}

/// `amount` per pupil, rounded half up to the penny; none for no pupils.
pub fn per_pupil(amount: Money, pupils: i64) -> Option<Money> {
    (pupils > 0)
        .then(|| Money::from_decimal_rounded(round_half_up_to_penny(amount.amount() / Decimal::from(pupils))))
}

/// The schools grouped by `key` (a school in no group, such as one outside any trust, goes in
/// `none`), largest invoicing first, then by name.
pub fn group_by<'a, T>(rows: impl IntoIterator<Item = (&'a SchoolIncome, T)>, none: &str) -> Vec<Group>
where
    T: Into<Option<&'a str>>,
{
    let mut groups: BTreeMap<String, (u64, Money, i64, Money)> = BTreeMap::new();
    for (row, key) in rows {
        let name = key.into().unwrap_or(none).to_string();
        let g = groups.entry(name).or_insert((0, Money::ZERO, 0, Money::ZERO));
        g.0 += 1;
        g.1 = g.1 + row.invoiced;
        if let Some(p) = row.pupils {
            g.2 += i64::from(p);
            g.3 = g.3 + row.invoiced;
        }
    }
    let mut out: Vec<Group> = groups
        .into_iter()
        .map(|(group, (schools, invoiced, pupils, with_pupils))| Group {
            group,
            schools,
            invoiced,
            pupils,
            per_pupil: per_pupil(with_pupils, pupils),
        })
        .collect();
    out.sort_by(|a, b| b.invoiced.cmp(&a.invoiced).then_with(|| a.group.cmp(&b.group)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn school(pence: i64, pupils: Option<i32>) -> SchoolIncome {
        SchoolIncome { invoiced: Money::from_pence(pence), pupils }
    }

    #[test]
    fn groups_add_up_and_read_per_pupil() {
        let rows = [school(210_000, Some(210)), school(99_900, Some(100)), school(50_000, None)];
        let keys = [Some("Primary"), Some("Primary"), None];
        let groups = group_by(rows.iter().zip(keys), "No phase");
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].group, "Primary");
        assert_eq!(
            (groups[0].schools, groups[0].invoiced, groups[0].pupils),
            (2, Money::from_pence(309_900), 310)
        );
        // £3,099.00 over 310 pupils is £9.9967..., so £10.00.
        assert_eq!(groups[0].per_pupil, Some(Money::from_pence(1_000)));
        assert_eq!((groups[1].group.as_str(), groups[1].per_pupil), ("No phase", None));
    }

    #[test]
    fn per_pupil_rounds_half_up_and_needs_pupils() {
        assert_eq!(per_pupil(Money::from_pence(1), 2), Some(Money::from_pence(1)));
        assert_eq!(per_pupil(Money::from_pence(100), 0), None);
    }

    proptest! {
        #[test]
        fn every_school_is_in_one_group(rows in proptest::collection::vec((0i64..10_000_000, proptest::option::of(0i32..2_000), 0usize..4), 0..60)) {
            let schools: Vec<SchoolIncome> = rows.iter().map(|(p, n, _)| school(*p, *n)).collect();
            let names = ["A", "B", "C"];
            let keys: Vec<Option<&str>> = rows.iter().map(|(_, _, k)| names.get(*k).copied()).collect();
            let groups = group_by(schools.iter().zip(keys), "None");
            prop_assert_eq!(groups.iter().map(|g| g.schools).sum::<u64>(), schools.len() as u64);
            let total: i64 = schools.iter().map(|s| s.invoiced.to_pence().unwrap()).sum();
            prop_assert_eq!(groups.iter().map(|g| g.invoiced.to_pence().unwrap()).sum::<i64>(), total);
        }
    }
}
