//! A partnership's own settings that other rules depend on.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Which twelve months a membership year covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YearKind {
    /// September to August, as academies budget.
    Academic,
    /// April to March, as maintained schools and councils budget.
    Financial,
}

impl YearKind {
    pub fn as_str(self) -> &'static str {
        match self {
            YearKind::Academic => "academic",
            YearKind::Financial => "financial",
        }
    }

    pub fn parse(text: &str) -> Option<YearKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "academic" => Some(YearKind::Academic),
            "financial" => Some(YearKind::Financial),
            _ => None,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            YearKind::Academic => "Academic year (September to August)",
            YearKind::Financial => "Financial year (April to March)",
        }
    }

    fn first_month(self) -> u32 {
        match self {
            YearKind::Academic => 9,
            YearKind::Financial => 4,
        }
    }

    /// The membership year that contains `date`, e.g. "2025-26".
    pub fn year_containing(self, date: NaiveDate) -> MembershipYear {
        let start_year = if date.month() >= self.first_month() { date.year() } else { date.year() - 1 };
        MembershipYear { kind: self, start_year }
    }
}

super::unknown_name::from_str_by_parse!(YearKind, "membership-year kind");

/// One membership year of a partnership, named like "2025-26".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MembershipYear {
    pub kind: YearKind,
    pub start_year: i32,
}

impl MembershipYear {
    /// Reads "2025-26" (the second part must be the following year).
    pub fn parse(kind: YearKind, text: &str) -> Option<MembershipYear> {
        let (first, second) = text.trim().split_once('-')?;
        let start_year: i32 = first.parse().ok()?;
        let end: i32 = second.parse().ok()?;
        ((start_year + 1) % 100 == end && second.len() == 2).then_some(MembershipYear { kind, start_year })
    }

    pub fn label(self) -> String {
        format!("{}-{:02}", self.start_year, (self.start_year + 1) % 100)
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start_year, self.kind.first_month(), 1)
            .expect("the first of a month is a date")
    }

    pub fn last_day(self) -> NaiveDate {
        let next = MembershipYear { kind: self.kind, start_year: self.start_year + 1 };
        next.first_day().pred_opt().expect("a year has a last day")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn academic_years_turn_in_september() {
        let k = YearKind::Academic;
        assert_eq!(k.year_containing(d(2025, 8, 31)).label(), "2024-25");
        assert_eq!(k.year_containing(d(2025, 9, 1)).label(), "2025-26");
        let y = MembershipYear::parse(k, "2025-26").unwrap();
        assert_eq!(y.first_day(), d(2025, 9, 1));
        assert_eq!(y.last_day(), d(2026, 8, 31));
    }

    #[test]
    fn financial_years_turn_in_april() {
        let k = YearKind::Financial;
        assert_eq!(k.year_containing(d(2026, 3, 31)).label(), "2025-26");
        assert_eq!(k.year_containing(d(2026, 4, 1)).label(), "2026-27");
        let y = MembershipYear::parse(k, "1999-00").unwrap();
        assert_eq!(y.first_day(), d(1999, 4, 1));
        assert_eq!(y.last_day(), d(2000, 3, 31));
    }

    #[test]
    fn refuses_malformed_years() {
        for bad in ["2025", "2025-27", "2025-2026", "x-26", ""] {
            assert!(MembershipYear::parse(YearKind::Academic, bad).is_none(), "{bad}");
        }
    }
}
