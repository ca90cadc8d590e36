//! How much of a membership year a membership covers, for joining, leaving or changing mid-year.
//!
//! **By months** (the default): a calendar month of the year counts when the membership covers
//! every day of it. So joining on the 1st counts that month; joining on the 2nd or later (even
//! the last day) starts the charge from the next month. Leaving (`left_on` is the last day of
//! membership) on the last day of a month counts that month; leaving earlier in the month does
//! not. The share is months covered / 12.
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
                let month_end = next.pred_opt().unwrap_or(next);
                if start <= month_start && end >= month_end {
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
    fn leaving_on_the_last_day_counts_that_month() {
        assert_eq!(months(d(2025, 9, 1), Some(d(2025, 12, 31))), 4);
        assert_eq!(months(d(2025, 9, 1), Some(d(2025, 12, 30))), 3);
        assert_eq!(months(d(2025, 9, 1), Some(d(2025, 9, 1))), 0);
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
