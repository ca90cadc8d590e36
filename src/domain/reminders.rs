//! Reminders as rules: a partnership's schedule of steps (days before or after an invoice's due
//! date, each with its wording) and which step, if any, an unpaid invoice is due today.

use chrono::NaiveDate;

/// The most steps a schedule may have.
pub const MAX_STEPS: usize = 6;
/// The earliest and latest a step may be, in days from the due date.
pub const DAYS_RANGE: std::ops::RangeInclusive<i32> = -60..=365;
/// The longest wording of a step.
pub const MAX_WORDING_CHARS: usize = 2000;

/// One step of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Days after the due date; negative is before it, 0 is the due date itself.
    pub days_from_due: i32,
    pub wording: String,
}

impl Step {
    /// When the step falls for an invoice due on `due`.
    pub fn date(&self, due: NaiveDate) -> NaiveDate {
        due + chrono::Duration::days(i64::from(self.days_from_due))
    }

    /// "7 days before the due date", "on the due date", "14 days after the due date".
    pub fn when_words(&self) -> String {
        when_words(self.days_from_due)
    }
}

/// Words for a step's place in the schedule.
pub fn when_words(days: i32) -> String {
    let n = days.unsigned_abs();
    let unit = if n == 1 { "day" } else { "days" };
    match days {
        0 => "on the due date".into(),
        d if d < 0 => format!("{n} {unit} before the due date"),
        _ => format!("{n} {unit} after the due date"),
    }
}

/// The usual schedule: a week before, on the day, and two and four weeks late.
pub fn default_steps() -> Vec<Step> {
    vec![
        Step {
            days_from_due: -7,
            wording: "This is a friendly note that the invoice below falls due in a week.".into(),
        },
        Step { days_from_due: 0, wording: "The invoice below falls due today. Thank you if you have already paid.".into() },
        Step {
            days_from_due: 14,
            wording: "The invoice below is now 14 days overdue. Please pay it, or tell us if there is a problem with it.".into(),
        },
        Step {
            days_from_due: 30,
            wording: "Final reminder: the invoice below is 30 days overdue. Please pay it now or contact us today.".into(),
        },
    ]
}

/// Checks a schedule as entered: each step's days within [`DAYS_RANGE`], no two on one day,
/// wording present and not too long, at most [`MAX_STEPS`]. Returns the steps in date order, or
/// each problem with the number of the row (from 1) it is on.
pub fn check_steps(rows: Vec<(usize, i32, String)>) -> Result<Vec<Step>, Vec<(usize, String)>> {
    let mut errors = Vec::new();
    let mut steps: Vec<(usize, Step)> = Vec::new();
    for (row, days, wording) in rows {
        let wording = wording.trim().to_string();
        if !DAYS_RANGE.contains(&days) {
            errors.push((
                row,
                format!(
                    "a step must be from {} days before to {} days after the due date",
                    -DAYS_RANGE.start(),
                    DAYS_RANGE.end()
                ),
            ));
        }
        if wording.is_empty() {
            errors.push((row, "enter what the reminder says".into()));
        } else if wording.chars().count() > MAX_WORDING_CHARS {
            errors.push((row, format!("the wording is longer than {MAX_WORDING_CHARS} characters")));
        }
        if let Some((other, _)) = steps.iter().find(|(_, s)| s.days_from_due == days) {
            errors.push((row, format!("step {other} is already {}", when_words(days))));
        }
        steps.push((row, Step { days_from_due: days, wording }));
    }
    if steps.len() > MAX_STEPS {
        errors.push((MAX_STEPS + 1, format!("a schedule has at most {MAX_STEPS} steps")));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut steps: Vec<Step> = steps.into_iter().map(|(_, s)| s).collect();
    steps.sort_by_key(|s| s.days_from_due);
    Ok(steps)
}

/// Which step (its days from due) an invoice due on `due` should be reminded at on `today`, given
/// the steps already sent for it: the latest step whose day has come, unless that step or a later
/// one was sent already. Missed earlier steps are not sent late, so a payer never gets two
/// reminders at once.
pub fn step_due(due: NaiveDate, today: NaiveDate, steps: &[i32], sent: &[i32]) -> Option<i32> {
    let latest =
        steps.iter().copied().filter(|d| due + chrono::Duration::days(i64::from(*d)) <= today).max()?;
    if sent.iter().any(|s| *s >= latest) {
        return None;
    }
    Some(latest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + chrono::Duration::days(i64::from(d))
    }

    #[test]
    fn the_latest_step_that_has_come_is_due_once() {
        let steps = [-7, 0, 14, 30];
        let due = day(20);
        assert_eq!(step_due(due, day(12), &steps, &[]), None);
        assert_eq!(step_due(due, day(13), &steps, &[]), Some(-7));
        assert_eq!(step_due(due, day(13), &steps, &[-7]), None);
        assert_eq!(step_due(due, day(20), &steps, &[-7]), Some(0));
        // the job did not run for weeks: only the latest step goes
        assert_eq!(step_due(due, day(60), &steps, &[-7]), Some(30));
        assert_eq!(step_due(due, day(60), &steps, &[30]), None);
        assert_eq!(step_due(due, day(60), &[], &[]), None);
    }

    #[test]
    fn schedules_are_checked_row_by_row() {
        let ok = check_steps(vec![(1, 14, "late".into()), (2, -7, "soon".into())]).unwrap();
        assert_eq!(ok.iter().map(|s| s.days_from_due).collect::<Vec<_>>(), vec![-7, 14]);
        let errors =
            check_steps(vec![(1, 14, "late".into()), (2, 14, " ".into()), (3, 400, "x".into())]).unwrap_err();
        assert!(errors.contains(&(2, "step 1 is already 14 days after the due date".into())), "{errors:?}");
        assert!(errors.contains(&(2, "enter what the reminder says".into())));
        assert!(errors.iter().any(|(row, m)| *row == 3 && m.contains("365 days after")));
        assert_eq!(when_words(-1), "1 day before the due date");
        assert_eq!(when_words(0), "on the due date");
        assert!(
            check_steps(
                default_steps()
                    .into_iter()
                    .enumerate()
                    .map(|(i, s)| (i + 1, s.days_from_due, s.wording))
                    .collect()
            )
            .is_ok()
        );
    }

    proptest! {
        /// Whatever the schedule and however often the job runs, each invoice gets each step at
        /// most once, never before its day, and the steps it gets only move forwards.
        #[test]
        fn reminders_go_forwards_once_each(
            mut steps in proptest::collection::btree_set(-60i32..120, 0..6),
            runs in proptest::collection::vec(0u32..200, 1..40),
        ) {
            let steps: Vec<i32> = std::mem::take(&mut steps).into_iter().collect();
            let due = day(60);
            let mut days = runs;
            days.sort();
            let mut sent: Vec<i32> = Vec::new();
            for d in days {
                let today = day(d);
                if let Some(step) = step_due(due, today, &steps, &sent) {
                    prop_assert!(steps.contains(&step));
                    prop_assert!(due + chrono::Duration::days(i64::from(step)) <= today);
                    prop_assert!(sent.iter().all(|s| *s < step));
                    sent.push(step);
                }
            }
        }
    }
}
