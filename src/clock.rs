//! The one source of the current time: the system clock, or a fixed moment in tests.

use chrono::{DateTime, NaiveDate, Utc};

/// What time it is. Handlers, jobs and the CLI ask this instead of the system clock, so tests
/// can fix the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => *at,
        }
    }

    /// Today's date (UTC).
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}
