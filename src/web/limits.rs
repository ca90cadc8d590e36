//! Sign-in attempts counted per address and per email address in a fixed window, so that
//! guessing passwords is slow whatever the lock-out of one account allows.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// How many attempts a window allows from one address and at one email address.
#[derive(Debug, Clone, Copy)]
pub struct SignInLimits {
    pub per_address: u32,
    pub per_email: u32,
    pub window: Duration,
}

impl Default for SignInLimits {
    fn default() -> SignInLimits {
        SignInLimits { per_address: 30, per_email: 10, window: Duration::minutes(5) }
    }
}

/// The counts of the current windows. Old windows are forgotten as the map grows.
#[derive(Debug, Default)]
pub struct SignInCounter {
    windows: Mutex<HashMap<String, (DateTime<Utc>, u32)>>,
}

const FORGET_AFTER_ENTRIES: usize = 10_000;

impl SignInCounter {
    /// Counts an attempt from `address` at `email`; `Err(minutes)` to wait when either is over
    /// its limit.
    pub fn attempt(
        &self,
        limits: SignInLimits,
        address: &str,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<(), i64> {
        let Ok(mut windows) = self.windows.lock() else { return Ok(()) };
        if windows.len() > FORGET_AFTER_ENTRIES {
            windows.retain(|_, (start, _)| *start + limits.window > now);
        }
        let mut over = None;
        for (key, limit) in [
            (format!("address:{address}"), limits.per_address),
            (format!("email:{}", email.trim().to_lowercase()), limits.per_email),
        ] {
            let entry = windows.entry(key).or_insert((now, 0));
            if entry.0 + limits.window <= now {
                *entry = (now, 0);
            }
            entry.1 += 1;
            if entry.1 > limit {
                let seconds = (entry.0 + limits.window - now).num_seconds();
                let left = ((seconds + 59) / 60).max(1);
                over = Some(over.map_or(left, |o: i64| o.max(left)));
            }
        }
        over.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_over_the_limit_wait_for_the_window() {
        let limits = SignInLimits { per_address: 3, per_email: 2, window: Duration::minutes(5) };
        let counter = SignInCounter::default();
        let t = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        assert!(counter.attempt(limits, "a", "x@y", t).is_ok());
        assert!(counter.attempt(limits, "a", "x@y", t).is_ok());
        assert_eq!(counter.attempt(limits, "a", "X@y ", t), Err(5), "the same email, however written");
        assert_eq!(counter.attempt(limits, "a", "other@y", t), Err(5), "the address is spent too");
        assert!(counter.attempt(limits, "b", "new@y", t).is_ok(), "another address and email");
        assert!(counter.attempt(limits, "a", "x@y", t + Duration::minutes(5)).is_ok(), "a new window");
    }
}
