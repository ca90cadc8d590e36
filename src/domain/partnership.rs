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

    /// The membership year that contains `date`, e.g. "2025-26"; `None` outside the years the
    /// service handles.
    pub fn year_containing(self, date: NaiveDate) -> Option<MembershipYear> {
        let start_year = if date.month() >= self.first_month() { date.year() } else { date.year() - 1 };
        MembershipYear::new(self, start_year)
    }
}

super::unknown_name::from_str_by_parse!(YearKind, "membership-year kind");

/// The first and last calendar years a membership year may start in.
pub const FIRST_START_YEAR: i32 = 2000;
pub const LAST_START_YEAR: i32 = 2100;

/// One membership year of a partnership, named like "2025-26". Only years starting from 2000 to
/// 2100 exist, so every one has a first and last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MembershipYear {
    kind: YearKind,
    start_year: i32,
    first_day: NaiveDate,
    last_day: NaiveDate,
}

impl MembershipYear {
    /// The year of `kind` starting in `start_year`, if it is one the service handles.
    pub fn new(kind: YearKind, start_year: i32) -> Option<MembershipYear> {
        if !(FIRST_START_YEAR..=LAST_START_YEAR).contains(&start_year) {
            return None;
        }
        let first_day = NaiveDate::from_ymd_opt(start_year, kind.first_month(), 1)?;
        let last_day = NaiveDate::from_ymd_opt(start_year + 1, kind.first_month(), 1)?.pred_opt()?;
        Some(MembershipYear { kind, start_year, first_day, last_day })
    }

    /// Reads "2025-26" (the second part must be the following year; 2000-01 to 2100-01).
    pub fn parse(kind: YearKind, text: &str) -> Option<MembershipYear> {
        let (first, second) = text.trim().split_once('-')?;
        if first.len() != 4
            || second.len() != 2
            || !first.bytes().chain(second.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let start_year: i32 = first.parse().ok()?;
        let end: i32 = second.parse().ok()?;
        if (start_year + 1) % 100 != end {
            return None;
        }
        MembershipYear::new(kind, start_year)
    }

    /// Why `text` is not a membership year, in words, for a form or API error.
    pub fn problem(text: &str) -> String {
        format!(
            "\"{}\" is not a membership year like 2025-26 (from {FIRST_START_YEAR}-{:02} to {LAST_START_YEAR}-{:02})",
            text.trim(),
            (FIRST_START_YEAR + 1) % 100,
            (LAST_START_YEAR + 1) % 100
        )
    }

    pub fn kind(self) -> YearKind {
        self.kind
    }

    pub fn start_year(self) -> i32 {
        self.start_year
    }

    /// The year after this one, if it is one the service handles.
    pub fn next(self) -> Option<MembershipYear> {
        MembershipYear::new(self.kind, self.start_year + 1)
    }

    pub fn label(self) -> String {
        format!("{}-{:02}", self.start_year, (self.start_year + 1) % 100)
    }

    pub fn first_day(self) -> NaiveDate {
        self.first_day
    }

    pub fn last_day(self) -> NaiveDate {
        self.last_day
    }
}

/// A Companies House number as typed ("01234567", "sc123456", "1234567"), in its usual form:
/// two letters or digits then six digits, upper case, with a dropped leading zero put back.
pub fn company_number(text: &str) -> Result<String, String> {
    let mut cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    if cleaned.len() == 7 && cleaned.chars().all(|c| c.is_ascii_digit()) {
        cleaned.insert(0, '0');
    }
    let ok = cleaned.len() == 8
        && cleaned[..2].chars().all(|c| c.is_ascii_alphanumeric())
        && cleaned[2..].chars().all(|c| c.is_ascii_digit());
    if ok {
        Ok(cleaned)
    } else {
        Err(format!(
            "\"{}\" is not a company number: enter the 8 characters Companies House gives, like 01234567 or SC123456",
            text.trim()
        ))
    }
}

/// A UK VAT registration number as typed ("GB 123 4567 89", "123456789"), in the form HMRC
/// prints: GB then 9 digits (12 for a branch), grouped 3, 4, 2 (and 3).
pub fn vat_number(text: &str) -> Result<String, String> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    let digits = cleaned.strip_prefix("GB").unwrap_or(&cleaned);
    if !(digits.len() == 9 || digits.len() == 12) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "\"{}\" is not a UK VAT registration number: enter GB and 9 digits, like GB 123 4567 89",
            text.trim()
        ));
    }
    let mut out = format!("GB {} {} {}", &digits[..3], &digits[3..7], &digits[7..9]);
    if digits.len() == 12 {
        out.push(' ');
        out.push_str(&digits[9..]);
    }
    Ok(out)
}

/// Whether a bank account's name matches the company's, as a payer's bank checks it
/// (Confirmation of Payee): the same words, ignoring case, punctuation and "Limited"/"Ltd".
pub fn account_name_matches(account_name: &str, company_name: &str) -> bool {
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric() && c != '&')
            .filter(|w| !w.is_empty())
            .map(|w| match w.to_lowercase().as_str() {
                "limited" | "ltd" => "ltd".to_string(),
                "and" => "&".to_string(),
                other => other.to_string(),
            })
            .collect()
    };
    let (account, company) = (words(account_name), words(company_name));
    let strip = |mut w: Vec<String>| {
        if w.last().is_some_and(|l| l == "ltd") {
            w.pop();
        }
        w
    };
    !account.is_empty() && strip(account) == strip(company)
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
        assert_eq!(k.year_containing(d(2025, 8, 31)).unwrap().label(), "2024-25");
        assert_eq!(k.year_containing(d(2025, 9, 1)).unwrap().label(), "2025-26");
        let y = MembershipYear::parse(k, "2025-26").unwrap();
        assert_eq!(y.first_day(), d(2025, 9, 1));
        assert_eq!(y.last_day(), d(2026, 8, 31));
    }

    #[test]
    fn financial_years_turn_in_april() {
        let k = YearKind::Financial;
        assert_eq!(k.year_containing(d(2026, 3, 31)).unwrap().label(), "2025-26");
        assert_eq!(k.year_containing(d(2026, 4, 1)).unwrap().label(), "2026-27");
        let y = MembershipYear::parse(k, "2099-00").unwrap();
        assert_eq!(y.first_day(), d(2099, 4, 1));
        assert_eq!(y.last_day(), d(2100, 3, 31));
        assert_eq!(y.next().map(|n| n.label()).as_deref(), Some("2100-01"));
    }

    #[test]
    fn refuses_malformed_years() {
        for bad in [
            "2025",
            "2025-27",
            "2025-2026",
            "x-26",
            "",
            "999999-00",
            "262143-44",
            "1999-00",
            "2101-02",
            "+202-03",
            "2025-+6",
        ] {
            assert!(MembershipYear::parse(YearKind::Academic, bad).is_none(), "{bad}");
        }
        assert!(MembershipYear::problem("262143-44").contains("2000-01 to 2100-01"));
        assert!(YearKind::Academic.year_containing(d(1999, 1, 1)).is_none());
    }

    #[test]
    fn company_numbers_in_their_usual_form() {
        assert_eq!(company_number("01234567"), Ok("01234567".into()));
        assert_eq!(company_number("sc 123456"), Ok("SC123456".into()));
        assert_eq!(company_number("1234567"), Ok("01234567".into()));
        assert!(company_number("12345").unwrap_err().contains("\"12345\" is not a company number"));
        assert!(company_number("SC12345X").is_err());
    }

    #[test]
    fn vat_numbers_as_hmrc_prints_them() {
        assert_eq!(vat_number("GB123456789"), Ok("GB 123 4567 89".into()));
        assert_eq!(vat_number("123 4567 89"), Ok("GB 123 4567 89".into()));
        assert_eq!(vat_number("gb123456789001"), Ok("GB 123 4567 89 001".into()));
        assert!(vat_number("GB12345").unwrap_err().contains("is not a UK VAT registration number"));
        assert!(vat_number("FR12345678901").is_err());
    }

    #[test]
    fn account_names_match_ignoring_case_punctuation_and_limited() {
        let company = "Riverside and Hillbrook Schools Partnership Limited";
        assert!(account_name_matches("RIVERSIDE & HILLBROOK SCHOOLS PARTNERSHIP LTD", company));
        assert!(account_name_matches("Riverside and Hillbrook Schools Partnership", company));
        assert!(!account_name_matches("Riverside Schools Partnership", company));
        assert!(!account_name_matches("", company));
    }
}
