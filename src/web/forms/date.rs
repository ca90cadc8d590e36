//! The GOV.UK date input: a date typed as day, month and year, read with the Design System's
//! error messages ("Date membership starts must include a month").

use chrono::{Datelike, NaiveDate};

/// A date input as a page shows it: its name (fields `{name}-day`, `-month`, `-year`), legend,
/// hint and what was typed.
pub struct DateInput {
    pub name: String,
    pub legend: String,
    pub hint: String,
    pub day: String,
    pub month: String,
    pub year: String,
}

impl DateInput {
    /// An empty input whose hint gives an example from `example` (a day of the year being edited).
    pub fn new(name: &str, legend: &str, example: NaiveDate, hint: &str) -> DateInput {
        let example = format!("For example, {} {} {}", example.day(), example.month(), example.year());
        DateInput {
            name: name.to_string(),
            legend: legend.to_string(),
            hint: if hint.is_empty() { example } else { format!("{hint}. {example}") },
            day: String::new(),
            month: String::new(),
            year: String::new(),
        }
    }

    /// The input with the parts as typed.
    pub fn typed(mut self, parts: &DateParts) -> DateInput {
        self.retype(parts);
        self
    }

    /// Shows `parts` in the input, as typed.
    pub fn retype(&mut self, parts: &DateParts) {
        self.day = parts.day.clone();
        self.month = parts.month.clone();
        self.year = parts.year.clone();
    }
}

/// The three parts of a date as typed.
#[derive(Debug, Clone, Default)]
pub struct DateParts {
    pub day: String,
    pub month: String,
    pub year: String,
}

impl DateParts {
    pub fn of(day: &str, month: &str, year: &str) -> DateParts {
        DateParts {
            day: day.trim().to_string(),
            month: month.trim().to_string(),
            year: year.trim().to_string(),
        }
    }

    /// A date's parts as a person would type them (1, 9, 2026).
    pub fn of_date(date: NaiveDate) -> DateParts {
        DateParts {
            day: date.day().to_string(),
            month: date.month().to_string(),
            year: date.year().to_string(),
        }
    }

    /// Whether nothing was typed.
    pub fn is_blank(&self) -> bool {
        self.day.is_empty() && self.month.is_empty() && self.year.is_empty()
    }

    /// The date, or the message saying what is wrong with it; `what` names it in sentence case
    /// ("Date membership starts"). Nothing typed is `Ok(None)`.
    pub fn read(&self, what: &str) -> Result<Option<NaiveDate>, String> {
        let parts = [("day", &self.day), ("month", &self.month), ("year", &self.year)];
        let missing: Vec<&str> = parts.iter().filter(|(_, v)| v.is_empty()).map(|(n, _)| *n).collect();
        match missing.len() {
            3 => return Ok(None),
            0 => {}
            1 => return Err(format!("{what} must include a {}", missing[0])),
            _ => return Err(format!("{what} must include a {} and a {}", missing[0], missing[1])),
        }
        if self.year.len() != 4 {
            return Err(format!("{what}: the year must include 4 numbers"));
        }
        let number = |v: &str| v.parse::<u32>().ok();
        match (number(&self.day), number(&self.month), self.year.parse::<i32>().ok()) {
            (Some(d), Some(m), Some(y)) => NaiveDate::from_ymd_opt(y, m, d)
                .filter(|date| (2000..=2100).contains(&date.year()))
                .map(Some)
                .ok_or_else(|| format!("{what} must be a real date")),
            _ => Err(format!("{what} must be a real date")),
        }
    }
}

/// A required date from a date input: its parts read, or a problem against `field`.
pub fn date_field(
    field: &str,
    parts: DateParts,
    what: &str,
    errors: &mut Vec<crate::services::FieldError>,
) -> Option<chrono::NaiveDate> {
    match parts.read(what) {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.push(crate::services::FieldError {
                field: field.into(),
                message: format!("Enter the {}", what.to_lowercase()),
            });
            None
        }
        Err(message) => {
            errors.push(crate::services::FieldError { field: field.into(), message });
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_with_the_design_systems_messages() {
        let what = "Date membership starts";
        assert_eq!(DateParts::of("1", "9", "2026").read(what), Ok(NaiveDate::from_ymd_opt(2026, 9, 1)));
        assert_eq!(DateParts::of("", "", "").read(what), Ok(None));
        assert_eq!(
            DateParts::of("1", "", "2026").read(what),
            Err("Date membership starts must include a month".into())
        );
        assert_eq!(
            DateParts::of("", "", "2026").read(what),
            Err("Date membership starts must include a day and a month".into())
        );
        assert_eq!(
            DateParts::of("31", "2", "2026").read(what),
            Err("Date membership starts must be a real date".into())
        );
        assert_eq!(
            DateParts::of("1", "9", "26").read(what),
            Err("Date membership starts: the year must include 4 numbers".into())
        );
        assert_eq!(
            DateParts::of("x", "9", "2026").read(what),
            Err("Date membership starts must be a real date".into())
        );
        assert!(DateParts::of("1", "1", "1999").read(what).is_err());
    }
}
