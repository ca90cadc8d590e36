//! Pupil numbers with their history: which figure is in force on a date.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The largest number on roll the service accepts; no school in England is near it.
pub const MAX_PUPILS: i32 = 20_000;

/// Where a pupil figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PupilSource {
    /// The number on roll in an imported GIAS extract (its census date).
    GiasImport,
    /// Typed in by a member of staff, with a reason.
    Manual,
    /// Made by the demo data generator.
    Demo,
}

impl PupilSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PupilSource::GiasImport => "gias_import",
            PupilSource::Manual => "manual",
            PupilSource::Demo => "demo",
        }
    }

    pub fn parse(text: &str) -> Option<PupilSource> {
        match text {
            "gias_import" => Some(PupilSource::GiasImport),
            "manual" => Some(PupilSource::Manual),
            "demo" => Some(PupilSource::Demo),
            _ => None,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            PupilSource::GiasImport => "GIAS import",
            PupilSource::Manual => "Manual entry",
            PupilSource::Demo => "Demo data",
        }
    }
}

super::unknown_name::from_str_by_parse!(PupilSource, "pupil-number source");

/// One recorded pupil figure. `sequence` orders figures recorded for the same census date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PupilFigure {
    pub census_date: NaiveDate,
    pub pupils: i32,
    pub source: PupilSource,
    pub sequence: i64,
}

/// The figure billing uses on `date`: the latest census on or before it; among figures for the
/// same census date, the one recorded last (a correction replaces what it corrects).
///
/// `None` means the school needs a pupil number for that date; it is never treated as zero.
pub fn figure_in_force(figures: &[PupilFigure], date: NaiveDate) -> Option<&PupilFigure> {
    figures.iter().filter(|f| f.census_date <= date).max_by_key(|f| (f.census_date, f.sequence))
}

/// Reads a number on roll typed by a person or found in a file.
pub fn parse_pupils(text: &str) -> Result<i32, String> {
    let trimmed = text.trim();
    let value: i64 = trimmed.parse().map_err(|_| format!("\"{trimmed}\" is not a whole number of pupils"))?;
    if value < 0 {
        return Err(format!("{value} pupils is negative"));
    }
    if value > i64::from(MAX_PUPILS) {
        return Err(format!("{value} pupils is more than the {MAX_PUPILS} any school could have"));
    }
    Ok(value as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn fig(date: NaiveDate, pupils: i32, sequence: i64) -> PupilFigure {
        PupilFigure { census_date: date, pupils, source: PupilSource::GiasImport, sequence }
    }

    #[test]
    fn no_figure_means_none_not_zero() {
        assert_eq!(figure_in_force(&[], d(2025, 9, 1)), None);
    }

    #[test]
    fn a_figure_counts_from_its_census_date() {
        let figures = [fig(d(2025, 1, 16), 420, 1)];
        assert_eq!(figure_in_force(&figures, d(2025, 1, 15)), None);
        assert_eq!(figure_in_force(&figures, d(2025, 1, 16)).unwrap().pupils, 420);
        assert_eq!(figure_in_force(&figures, d(2030, 1, 1)).unwrap().pupils, 420);
    }

    #[test]
    fn the_latest_census_before_the_date_wins() {
        let figures = [fig(d(2025, 1, 16), 420, 1), fig(d(2024, 1, 18), 400, 2), fig(d(2026, 1, 15), 430, 3)];
        assert_eq!(figure_in_force(&figures, d(2025, 9, 1)).unwrap().pupils, 420);
        assert_eq!(figure_in_force(&figures, d(2024, 12, 31)).unwrap().pupils, 400);
        assert_eq!(figure_in_force(&figures, d(2026, 9, 1)).unwrap().pupils, 430);
    }

    #[test]
    fn a_correction_for_the_same_census_replaces_it() {
        let mut correction = fig(d(2025, 1, 16), 415, 9);
        correction.source = PupilSource::Manual;
        let figures = [fig(d(2025, 1, 16), 420, 1), correction];
        assert_eq!(figure_in_force(&figures, d(2025, 9, 1)).unwrap().pupils, 415);
    }

    proptest::proptest! {
        /// The figure in force is never after the date, and no figure on or before the date is
        /// from a later census (or the same census recorded later).
        #[test]
        fn the_figure_in_force_is_the_latest_on_or_before_the_date(
            raw in proptest::collection::vec((0u32..2000, 0i32..3000), 0..12),
            day in 0u32..2000,
        ) {
            let start = d(2020, 1, 1);
            let figures: Vec<PupilFigure> = raw
                .iter()
                .enumerate()
                .map(|(i, (offset, pupils))| fig(start + chrono::Days::new(u64::from(*offset)), *pupils, i as i64))
                .collect();
            let date = start + chrono::Days::new(u64::from(day));
            match figure_in_force(&figures, date) {
                None => proptest::prop_assert!(figures.iter().all(|f| f.census_date > date)),
                Some(chosen) => {
                    proptest::prop_assert!(chosen.census_date <= date);
                    for f in figures.iter().filter(|f| f.census_date <= date) {
                        proptest::prop_assert!((f.census_date, f.sequence) <= (chosen.census_date, chosen.sequence));
                    }
                }
            }
        }
    }

    #[test]
    fn parses_pupil_numbers() {
        assert_eq!(parse_pupils(" 0 "), Ok(0));
        assert_eq!(parse_pupils("1234"), Ok(1234));
        assert!(parse_pupils("-1").unwrap_err().contains("negative"));
        assert!(parse_pupils("12.5").unwrap_err().contains("whole number"));
        assert!(parse_pupils("20001").unwrap_err().contains("more than"));
        assert!(parse_pupils("").is_err());
    }
}
