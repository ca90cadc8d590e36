//! Bacs Direct Debit as rules: the states of a payer's mandate, the working days Bacs counts
//! (weekends and England and Wales bank holidays are not), and when an invoice may be collected:
//! never before it is due, and never less than three working days after the payer was told the
//! amount and the date (advance notice).

use super::money::Money;
use chrono::{Datelike, NaiveDate, Weekday};

/// The most one Direct Debit may collect (Stripe's Bacs limit per payment).
pub const MAX_DIRECT_DEBIT: Money = Money::from_pence_const(10_000_000);
/// Working days between the advance notice and the collection.
pub const NOTICE_WORKING_DAYS: u32 = 3;

/// Where a payer's mandate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MandateState {
    /// The payer was sent to Stripe to give their bank details; nothing back yet.
    SettingUp,
    /// The bank details were given; Bacs is checking the mandate (a few working days).
    Pending,
    /// Collections can be made.
    Active,
    /// Cancelled by the payer or their bank, or refused: nothing can be collected.
    Inactive,
}

impl MandateState {
    pub const ALL: [MandateState; 4] =
        [MandateState::SettingUp, MandateState::Pending, MandateState::Active, MandateState::Inactive];

    pub fn as_str(self) -> &'static str {
        match self {
            MandateState::SettingUp => "setting_up",
            MandateState::Pending => "pending",
            MandateState::Active => "active",
            MandateState::Inactive => "inactive",
        }
    }

    pub fn parse(text: &str) -> Option<MandateState> {
        MandateState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Stripe's mandate status (`active`, `pending`, `inactive`).
    pub fn from_stripe(status: &str) -> Option<MandateState> {
        match status {
            "active" => Some(MandateState::Active),
            "pending" => Some(MandateState::Pending),
            "inactive" => Some(MandateState::Inactive),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MandateState::SettingUp => "Being set up",
            MandateState::Pending => "Waiting for the bank to confirm",
            MandateState::Active => "Active",
            MandateState::Inactive => "Cancelled",
        }
    }
}

/// England and Wales bank holidays (gov.uk), 2025 to 2028. Dates beyond are treated as working
/// days unless at a weekend.
const BANK_HOLIDAYS: [(i32, u32, u32); 32] = [
    (2025, 1, 1),
    (2025, 4, 18),
    (2025, 4, 21),
    (2025, 5, 5),
    (2025, 5, 26),
    (2025, 8, 25),
    (2025, 12, 25),
    (2025, 12, 26),
    (2026, 1, 1),
    (2026, 4, 3),
    (2026, 4, 6),
    (2026, 5, 4),
    (2026, 5, 25),
    (2026, 8, 31),
    (2026, 12, 25),
    (2026, 12, 28),
    (2027, 1, 1),
    (2027, 3, 26),
    (2027, 3, 29),
    (2027, 5, 3),
    (2027, 5, 31),
    (2027, 8, 30),
    (2027, 12, 27),
    (2027, 12, 28),
    (2028, 1, 3),
    (2028, 4, 14),
    (2028, 4, 17),
    (2028, 5, 1),
    (2028, 5, 29),
    (2028, 8, 28),
    (2028, 12, 25),
    (2028, 12, 26),
];

/// Whether Bacs works on the day.
pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
        && !BANK_HOLIDAYS.iter().any(|(y, m, d)| day.year() == *y && day.month() == *m && day.day() == *d)
}

/// The working day `n` working days after `day` (0: `day` itself if it is one, else the next).
pub fn add_working_days(day: NaiveDate, n: u32) -> NaiveDate {
    let mut at = day;
    while !is_working_day(at) {
        at = at.succ_opt().unwrap_or(at);
    }
    for _ in 0..n {
        at = at.succ_opt().unwrap_or(at);
        while !is_working_day(at) {
            at = at.succ_opt().unwrap_or(at);
        }
    }
    at
}

/// What to do today about one unpaid invoice of a payer with an active mandate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// Too early to say anything.
    Wait,
    /// Tell the payer now: this amount will be collected on that day.
    SendNotice { collect_on: NaiveDate },
    /// Told in time and the day has come: collect now.
    Collect,
    /// Told; the collection day has not come yet.
    Due { collect_on: NaiveDate },
}

/// When the notice for an invoice due on `due` goes: the working day [`NOTICE_WORKING_DAYS`]
/// working days before it (so the collection can be on the due date itself).
pub fn notice_day(due: NaiveDate) -> NaiveDate {
    let mut at = due;
    let mut counted = 0;
    while counted < NOTICE_WORKING_DAYS {
        at = at.pred_opt().unwrap_or(at);
        if is_working_day(at) {
            counted += 1;
        }
    }
    at
}

/// The day a collection told on `told` for an invoice due on `due` is made: the due date, or
/// three working days after the notice when that is later, moved to a working day.
pub fn collection_day(due: NaiveDate, told: NaiveDate) -> NaiveDate {
    add_working_days(due, 0).max(add_working_days(told, NOTICE_WORKING_DAYS))
}

/// What to do on `today` for an invoice due on `due`, whose notice went on `told` (if it did).
pub fn plan(due: NaiveDate, today: NaiveDate, told: Option<NaiveDate>) -> Collection {
    match told {
        None if today >= notice_day(due) => Collection::SendNotice { collect_on: collection_day(due, today) },
        None => Collection::Wait,
        Some(told) => {
            let on = collection_day(due, told);
            if today >= on { Collection::Collect } else { Collection::Due { collect_on: on } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn working_days_skip_weekends_and_bank_holidays() {
        // Friday 18 December 2026 + 3 working days: Christmas (Fri) and 28 December are holidays
        assert_eq!(add_working_days(d(2026, 12, 18), 3), d(2026, 12, 23));
        assert_eq!(add_working_days(d(2026, 12, 23), 2), d(2026, 12, 29));
        assert_eq!(add_working_days(d(2026, 11, 28), 0), d(2026, 11, 30), "a Saturday moves to Monday");
        assert!(!is_working_day(d(2026, 8, 31)) && is_working_day(d(2026, 9, 1)));
        assert_eq!(notice_day(d(2026, 12, 2)), d(2026, 11, 27), "three working days before a Wednesday");
    }

    #[test]
    fn the_notice_goes_first_then_the_collection_on_the_due_date() {
        let due = d(2026, 12, 2);
        assert_eq!(plan(due, d(2026, 11, 26), None), Collection::Wait);
        assert_eq!(plan(due, d(2026, 11, 27), None), Collection::SendNotice { collect_on: due });
        assert_eq!(plan(due, d(2026, 12, 1), Some(d(2026, 11, 27))), Collection::Due { collect_on: due });
        assert_eq!(plan(due, due, Some(d(2026, 11, 27))), Collection::Collect);
        // an overdue invoice when the mandate arrives: told today, collected three working days on
        assert_eq!(plan(due, d(2026, 12, 10), None), Collection::SendNotice { collect_on: d(2026, 12, 15) });
        assert_eq!(
            plan(due, d(2026, 12, 14), Some(d(2026, 12, 10))),
            Collection::Due { collect_on: d(2026, 12, 15) }
        );
        assert_eq!(MandateState::from_stripe("active"), Some(MandateState::Active));
        assert_eq!(MandateState::from_stripe("revoked"), None);
        assert_eq!(MAX_DIRECT_DEBIT.to_string(), "£100,000.00");
    }

    proptest! {
        /// Whatever the days, a collection is never made before the due date, without a notice,
        /// or less than three working days after it.
        #[test]
        fn never_collected_early_or_unannounced(due_offset in 0i64..400, told_offset in proptest::option::of(-30i64..60), today_offset in -30i64..90) {
            let due = d(2026, 1, 1) + chrono::Duration::days(due_offset);
            let told = told_offset.map(|o| due + chrono::Duration::days(o));
            let today = due + chrono::Duration::days(today_offset);
            if let Some(t) = told { prop_assume!(t <= today); }
            match plan(due, today, told) {
                Collection::Collect => {
                    let told = told.expect("collected without a notice");
                    prop_assert!(today >= due);
                    prop_assert!(today >= add_working_days(told, NOTICE_WORKING_DAYS));
                }
                Collection::SendNotice { collect_on } | Collection::Due { collect_on } => {
                    prop_assert!(collect_on >= due && is_working_day(collect_on));
                    prop_assert!(collect_on >= add_working_days(told.unwrap_or(today), NOTICE_WORKING_DAYS));
                }
                Collection::Wait => prop_assert!(told.is_none() && today < notice_day(due)),
            }
        }
    }
}
