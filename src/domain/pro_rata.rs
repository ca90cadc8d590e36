//! How much of a membership year a membership covers, for joining, leaving or changing mid-year.
//!
//! **By months** (the default): a calendar month of the year is charged to the membership that
//! holds its **first day**. So joining on the 1st counts that month; joining on the 2nd or later
//! (even the last day) starts the charge from the next month; leaving (`left_on` is the last day
//! of membership) on any day of a month counts that month, because the member held its 1st. When
//! a membership is split on any date (a change of level or payer, an academy conversion), the
//! month the change falls in is charged once, to the side that held it on the 1st: no month is
//! lost and none is charged twice. The share is months covered / 12.
//!
//! **By days**: the share is days covered / days in the membership year (365 or 366).

use super::partnership::MembershipYear;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// How a part year is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProRataUnit {
    #[default]
    Months,
    Days,
}

impl ProRataUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            ProRataUnit::Months => "months",
            ProRataUnit::Days => "days",
        }
    }

    /// Both units, in the order pages offer them.
    pub const ALL: [ProRataUnit; 2] = [ProRataUnit::Months, ProRataUnit::Days];

    /// How the unit reads on a page.
    pub fn label(self) -> &'static str {
        match self {
            ProRataUnit::Months => "By whole months: a month is charged to whoever holds its 1st",
            ProRataUnit::Days => "By days",
        }
    }

    pub fn parse(text: &str) -> Option<ProRataUnit> {
        [ProRataUnit::Months, ProRataUnit::Days].into_iter().find(|u| u.as_str() == text.trim())
    }
}

super::unknown_name::from_str_by_parse!(ProRataUnit, "pro-rata unit");

/// The share of the year a membership covers: `covered` of `of` months or days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    pub covered: u32,
    pub of: u32,
}

impl Coverage {
    pub const WHOLE_YEAR: Coverage = Coverage { covered: 12, of: 12 };

    pub fn is_whole(self) -> bool {
        self.covered == self.of
    }

    pub fn is_none(self) -> bool {
        self.covered == 0
    }
}

/// Why a membership's dates make no sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatesError {
    #[error("the school cannot leave on {left} before it joins on {joined}")]
    LeavesBeforeJoining { joined: NaiveDate, left: NaiveDate },
}

/// The part of `year` that a membership from `joined` to `left_on` (inclusive, `None` while it
/// goes on) covers.
pub fn coverage(
    year: MembershipYear,
    joined: NaiveDate,
    left_on: Option<NaiveDate>,
    unit: ProRataUnit,
) -> Result<Coverage, DatesError> {
    if let Some(left) = left_on
        && left < joined
    {
        return Err(DatesError::LeavesBeforeJoining { joined, left });
    }
    let start = joined.max(year.first_day());
    let end = left_on.unwrap_or(year.last_day()).min(year.last_day());
    let days_in_year = (year.last_day() - year.first_day()).num_days() as u32 + 1;
    match unit {
        ProRataUnit::Days => {
            let covered = if end < start { 0 } else { (end - start).num_days() as u32 + 1 };
            Ok(Coverage { covered, of: days_in_year })
        }
        ProRataUnit::Months => {
            let mut covered = 0;
            let mut month_start = year.first_day();
            for _ in 0..12 {
                let next = next_month(month_start);
                if start <= month_start && month_start <= end {
                    covered += 1;
                }
                month_start = next;
            }
            Ok(Coverage { covered, of: 12 })
        }
    }
}

fn next_month(first: NaiveDate) -> NaiveDate {
    let (y, m) = if first.month() == 12 { (first.year() + 1, 1) } else { (first.year(), first.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(first)
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

    fn months(joined: NaiveDate, left: Option<NaiveDate>) -> u32 {
        coverage(year(), joined, left, ProRataUnit::Months).unwrap().covered
    }

    #[test]
    fn a_whole_year_is_twelve_twelfths() {
        assert_eq!(coverage(year(), d(2020, 1, 1), None, ProRataUnit::Months).unwrap(), Coverage::WHOLE_YEAR);
        assert_eq!(months(d(2025, 9, 1), Some(d(2026, 8, 31))), 12);
    }

    #[test]
    fn joining_on_the_first_counts_that_month() {
        assert_eq!(months(d(2026, 2, 1), None), 7);
    }

    #[test]
    fn joining_later_in_a_month_starts_next_month() {
        assert_eq!(months(d(2026, 2, 2), None), 6);
        assert_eq!(
            months(d(2026, 1, 31), None),
            7,
            "joining on the last day of January counts from February"
        );
    }

    #[test]
    fn leaving_counts_the_month_it_held_on_the_first() {
        assert_eq!(months(d(2025, 9, 1), Some(d(2025, 12, 31))), 4);
        assert_eq!(months(d(2025, 9, 1), Some(d(2025, 12, 30))), 4);
        assert_eq!(months(d(2025, 9, 1), Some(d(2025, 9, 1))), 1);
        assert_eq!(months(d(2025, 9, 2), Some(d(2025, 9, 30))), 0, "never held a first day");
    }

    #[test]
    fn a_change_on_the_fifteenth_charges_that_month_once_to_the_old_side() {
        let old = months(d(2025, 9, 1), Some(d(2026, 1, 14)));
        let new = months(d(2026, 1, 15), None);
        assert_eq!((old, new), (5, 7), "January goes with the level held on 1 January");
    }

    #[test]
    fn leaving_before_joining_is_refused() {
        let e = coverage(year(), d(2026, 1, 10), Some(d(2026, 1, 9)), ProRataUnit::Months).unwrap_err();
        assert_eq!(e.to_string(), "the school cannot leave on 2026-01-09 before it joins on 2026-01-10");
    }

    #[test]
    fn memberships_outside_the_year_cover_nothing() {
        assert_eq!(months(d(2026, 9, 1), None), 0);
        assert_eq!(months(d(2024, 9, 1), Some(d(2025, 8, 31))), 0);
    }

    proptest! {
        /// However a membership is split (change of level or payer, conversion), the two parts
        /// together charge each month of the year exactly once, by months or by days.
        #[test]
        fn a_split_charges_each_month_exactly_once(
            start in 0u64..420, length in 0u64..420, split in 0u64..420, by_days in any::<bool>(),
        ) {
            let unit = if by_days { ProRataUnit::Days } else { ProRataUnit::Months };
            let first = d(2025, 7, 1) + chrono::Days::new(start);
            let last = first + chrono::Days::new(length);
            let change = first + chrono::Days::new(split.min(length));
            let whole = coverage(year(), first, Some(last), unit).unwrap();
            let covered = |from: NaiveDate, to: NaiveDate| {
                if to < from { 0 } else { coverage(year(), from, Some(to), unit).unwrap().covered }
            };
            let before = change.pred_opt().unwrap();
            prop_assert_eq!(covered(first, before) + covered(change, last), whole.covered);
            // And month by month: each month of the year goes to at most one side.
            if !by_days {
                let mut month = year().first_day();
                for _ in 0..12 {
                    let next = next_month(month);
                    let month_end = next.pred_opt().unwrap();
                    let side = |from: NaiveDate, to: NaiveDate| {
                        let (a, b) = (from.max(month), to.min(month_end));
                        b >= a && covered(a, b) == 1
                    };
                    let parts = [side(first, before), side(change, last)];
                    prop_assert!(!(parts[0] && parts[1]), "{} charged twice", month);
                    let held = first <= month && month <= last;
                    prop_assert_eq!(parts[0] || parts[1], held, "{} lost", month);
                    month = next;
                }
            }
        }
    }

    #[test]
    fn by_days() {
        let c = coverage(year(), d(2026, 3, 1), None, ProRataUnit::Days).unwrap();
        assert_eq!(c, Coverage { covered: 184, of: 365 });
        let leap = MembershipYear::parse(YearKind::Financial, "2027-28").unwrap();
        assert_eq!(
            coverage(leap, d(2027, 4, 1), None, ProRataUnit::Days).unwrap(),
            Coverage { covered: 366, of: 366 }
        );
    }
}
