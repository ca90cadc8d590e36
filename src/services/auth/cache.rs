//! Sessions and API tokens checked in the last moment, so a burst of requests from one person
//! or tool reads the database once instead of once a request.
//!
//! Anything that changes who may do what (signing out, ending sessions, revoking a token,
//! disabling a user, a new password, a partnership's settings) calls [`changed`] once it is
//! written, and everything cached before is read again: in this process such a change applies
//! to the very next request. Another instance of the service (several web processes on one
//! PostgreSQL database) trusts what it checked for at most [`TRUSTED_FOR`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a checked session or token is trusted without reading it again.
pub const TRUSTED_FOR: Duration = Duration::from_secs(2);
/// At most this many are kept; when full, the stale go, and if none are stale, all go.
const MAX_ENTRIES: usize = 10_000;

static CHANGES: AtomicU64 = AtomicU64::new(0);

/// Records that sessions, tokens, users or a partnership changed: nothing cached before this is
/// used again.
pub fn changed() {
    CHANGES.fetch_add(1, Ordering::SeqCst);
}

/// The count of changes so far: read it before reading the database, and store what was read
/// with it, so a change made while reading is not hidden.
pub(crate) fn generation() -> u64 {
    CHANGES.load(Ordering::SeqCst)
}

/// Values by a key (a SHA-256 digest, never a secret itself), each trusted for [`TRUSTED_FOR`].
pub(crate) struct Recent<T> {
    entries: Mutex<HashMap<String, (Instant, u64, T)>>,
}

impl<T> Default for Recent<T> {
    fn default() -> Self {
        Recent { entries: Mutex::new(HashMap::new()) }
    }
}

impl<T: Clone> Recent<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, u64, T)>> {
        // A panic elsewhere while holding the lock leaves a map that is still whole.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value kept for `key`, if it is fresh and nothing has changed since it was read.
    pub(crate) fn get(&self, key: &str) -> Option<T> {
        let entries = self.lock();
        let (at, generation, value) = entries.get(key)?;
        (at.elapsed() < TRUSTED_FOR && *generation == self::generation()).then(|| value.clone())
    }

    /// Keeps `value`, read from the database after `generation` was taken.
    pub(crate) fn put(&self, key: String, value: T, generation: u64) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.retain(|_, (at, _, _)| at.elapsed() < TRUSTED_FOR);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), generation, value));
    }

    /// Forgets `key` (a session that ended, a token that failed).
    pub(crate) fn forget(&self, key: &str) {
        self.lock().remove(key);
    }

    /// Forgets everything.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

/// What the service has checked lately: sessions and API tokens.
#[derive(Default)]
pub struct AuthCache {
    pub(crate) sessions: Recent<super::sessions::Checked>,
    pub(crate) tokens: Recent<super::tokens::Checked>,
}

impl AuthCache {
    /// Forgets everything checked (as if the service had just started).
    pub fn clear(&self) {
        self.sessions.clear();
        self.tokens.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_kept_until_anything_changes() {
        let recent: Recent<u32> = Recent::default();
        let before = generation();
        recent.put("a".into(), 1, before);
        assert_eq!(recent.get("a"), Some(1));
        assert_eq!(recent.get("b"), None);
        changed();
        assert_eq!(recent.get("a"), None, "a change anywhere makes everything be read again");
        recent.put("a".into(), 2, before);
        assert_eq!(recent.get("a"), None, "read before the change: not trusted");
        recent.put("a".into(), 3, generation());
        assert_eq!(recent.get("a"), Some(3));
        recent.forget("a");
        assert_eq!(recent.get("a"), None);
    }

    #[test]
    fn a_full_cache_makes_room() {
        let recent: Recent<usize> = Recent::default();
        let g = generation();
        for i in 0..=MAX_ENTRIES {
            recent.put(i.to_string(), i, g);
        }
        assert!(recent.lock().len() <= MAX_ENTRIES);
        assert_eq!(recent.lock().get(&MAX_ENTRIES.to_string()).map(|e| e.2), Some(MAX_ENTRIES));
    }
}
