//! Row counts of the paged lists, and the short lists their filters offer (the register's
//! local authorities, trusts and kinds of school), kept for a few seconds per query so that
//! paging through 24,000 invoices or schools does not count them all again, nor read every
//! trust, for every page. Each web application keeps its own (a request reads them through a
//! task-local set by the web layer); outside a request, they are read every time. Any write in
//! this process (every write transaction, and every request that is not a read) drops them
//! all; a change made by another process shows within [`FRESH_FOR`] and the time one request
//! takes to read the value again (meanwhile, the other requests are answered from the old one,
//! rather than all waiting for it).

use sea_orm::DbErr;
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a value is kept when nothing is written through this process.
pub const FRESH_FOR: Duration = Duration::from_secs(5);

/// The most values kept at once (each search is a query of its own).
const MOST: usize = 10_000;

/// Writes made in this process so far: a value read before the latest is not used.
static WRITES: AtomicU64 = AtomicU64::new(0);

tokio::task_local! {
    static KEPT: Arc<Counts>;
}

type Entry = (Instant, u64, Arc<dyn Any + Send + Sync>);

/// One application's kept values, by a key naming what was read (the SQL of a count).
#[derive(Default)]
pub struct Counts {
    entries: Mutex<HashMap<String, Entry>>,
    /// One reading at a time per key: requests arriving while a value is read wait for it
    /// rather than each reading it again (64 at once, when a value goes stale under load).
    reading: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// The longest a value older than [`FRESH_FOR`] is still served while one request reads it again.
const AGED_AT_MOST: Duration = Duration::from_secs(60);

/// What is kept under a key, for a request that arrived after a given write.
enum Found<T> {
    /// Read after that write, no longer ago than [`FRESH_FOR`].
    Fresh(T),
    /// Read after that write but longer ago: served while another request reads it again.
    Aged(T),
    Missing,
}

impl Counts {
    /// The value kept under `key`, if it is of type `T` and began to be read after write number
    /// `since`, and how old it is.
    fn found<T: Clone + 'static>(&self, key: &str, since: u64) -> Found<T> {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some((at, seen, value)) = entries.get(key) else { return Found::Missing };
        let Some(value) = value.downcast_ref::<T>().filter(|_| *seen >= since).cloned() else {
            return Found::Missing;
        };
        match at.elapsed() {
            age if age < FRESH_FOR => Found::Fresh(value),
            age if age < AGED_AT_MOST => Found::Aged(value),
            _ => Found::Missing,
        }
    }
}

/// Records that something may have changed: every kept value is read again.
pub fn changed() {
    WRITES.fetch_add(1, Ordering::SeqCst);
}

/// Runs `work` (a request) with `counts` as the values it keeps.
pub async fn within<F: Future>(counts: Arc<Counts>, work: F) -> F::Output {
    KEPT.scope(counts, work).await
}

/// The value `key` names: kept while fresh and nothing was written, else `read` again. `key`
/// must name everything the value depends on (its partnership, its filters). Only for reads on
/// the pool, never inside a write transaction: it would keep what others cannot see yet (every
/// caller today reads through the application's connection).
pub(crate) async fn kept<T, E, F>(key: impl FnOnce() -> String, read: F) -> Result<T, E>
where
    T: Clone + Send + Sync + 'static,
    F: Future<Output = Result<T, E>>,
{
    let Ok(counts) = KEPT.try_with(Arc::clone) else {
        return read.await;
    };
    counts.keep(key(), || WRITES.load(Ordering::SeqCst), read).await
}

impl Counts {
    /// The value `key` names, kept while fresh and while `writes` (a count of writes) has not
    /// moved since it was read, else `read` again; one request reads while others asking for
    /// the same key wait for it. [`kept`] counts this process's writes; a cache of its own
    /// (the home pages' figures) may count its own.
    pub(crate) async fn keep<T, E, F>(&self, key: String, writes: impl Fn() -> u64, read: F) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = Result<T, E>>,
    {
        let arrived = writes();
        let aged = match self.found(&key, arrived) {
            Found::Fresh(value) => return Ok(value),
            Found::Aged(value) => Some(value),
            Found::Missing => None,
        };
        let turn = {
            let mut reading = self.reading.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if reading.len() >= MOST {
                reading.clear();
            }
            Arc::clone(reading.entry(key.clone()).or_default())
        };
        let _turn = match (aged, turn.try_lock()) {
            (_, Ok(turn)) => turn,
            // Only old, with nothing written since: while another request reads it again, the
            // others are answered from it rather than all waiting (a pause every few seconds).
            (Some(aged), Err(_)) => return Ok(aged),
            (None, Err(_)) => turn.lock().await,
        };
        // Read, after this request arrived, by the one it waited for?
        if let Found::Fresh(value) = self.found(&key, arrived) {
            return Ok(value);
        }
        let generation = writes();
        let value = read.await?;
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MOST {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), generation, Arc::new(value.clone())));
        Ok(value)
    }
}

/// The count `key` names (the SQL counted): kept as [`kept`] keeps values.
pub(crate) async fn count<F>(key: impl FnOnce() -> String, count: F) -> Result<u64, DbErr>
where
    F: Future<Output = Result<u64, DbErr>>,
{
    kept(key, count).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_count_is_kept_until_something_is_written() {
        let counts = Arc::new(Counts::default());
        let runs = AtomicU64::new(0);
        let counted = || async {
            runs.fetch_add(1, Ordering::SeqCst);
            Ok(7)
        };
        within(counts.clone(), async {
            assert_eq!(count(|| "q".into(), counted()).await.unwrap(), 7);
            assert_eq!(count(|| "q".into(), counted()).await.unwrap(), 7);
            assert_eq!(runs.load(Ordering::SeqCst), 1, "kept");
            count(|| "another".into(), counted()).await.unwrap();
            assert_eq!(runs.load(Ordering::SeqCst), 2, "another query is counted");
            changed();
            count(|| "q".into(), counted()).await.unwrap();
            assert_eq!(runs.load(Ordering::SeqCst), 3, "counted again after a write");
        })
        .await;
        // Outside a request nothing is kept.
        count(|| "q".into(), counted()).await.unwrap();
        count(|| "q".into(), counted()).await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn a_list_is_kept_by_its_key_until_something_is_written() {
        let counts = Arc::new(Counts::default());
        let reads = AtomicU64::new(0);
        let read = |names: &'static [&'static str]| {
            reads.fetch_add(1, Ordering::SeqCst);
            async move { Ok::<_, DbErr>(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()) }
        };
        within(counts, async {
            assert_eq!(kept(|| "trusts:1".into(), read(&["Oak"])).await.unwrap(), ["Oak"]);
            // Kept: the second read's list is not what is returned.
            assert_eq!(kept(|| "trusts:1".into(), read(&["Elm"])).await.unwrap(), ["Oak"]);
            assert_eq!(kept(|| "trusts:2".into(), read(&["Ash"])).await.unwrap(), ["Ash"], "by key");
            // A count under the same key is not taken for the list, nor the list for it.
            assert_eq!(count(|| "trusts:2".into(), async { Ok(3) }).await.unwrap(), 3);
            changed();
            assert_eq!(kept(|| "trusts:1".into(), read(&["Elm"])).await.unwrap(), ["Elm"]);
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_arriving_together_read_a_stale_value_once() {
        let counts = Arc::new(Counts::default());
        let reads = Arc::new(AtomicU64::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let (counts, reads) = (counts.clone(), reads.clone());
            tasks.spawn(within(counts, async move {
                let read = async {
                    reads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok::<_, DbErr>(vec![1_i64, 2, 3])
                };
                kept(|| "member schools in order".into(), read).await.unwrap()
            }));
        }
        while let Some(done) = tasks.join_next().await {
            assert_eq!(done.unwrap(), [1, 2, 3]);
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1, "the others waited for the one read");
    }

    /// Kept under `key` as if read `ago`, after write number `seen`.
    fn kept_since(counts: &Counts, key: &str, value: i64, ago: Duration, seen: u64) {
        let at = Instant::now().checked_sub(ago).expect("a past instant");
        counts.entries.lock().unwrap().insert(key.into(), (at, seen, Arc::new(value)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_old_value_answers_while_one_request_reads_it_again_but_not_after_a_write() {
        // Its own count of writes, so that other tests' writes do not move it.
        let writes = Arc::new(AtomicU64::new(0));
        let counts = Arc::new(Counts::default());
        let ask = |key: &'static str, value: i64| {
            let (counts, writes) = (counts.clone(), writes.clone());
            async move {
                let read = async move {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Ok::<_, DbErr>(value)
                };
                counts.keep(key.into(), move || writes.load(Ordering::SeqCst), read).await.unwrap()
            }
        };
        kept_since(&counts, "total", 1, FRESH_FOR + Duration::from_secs(1), 0);
        let reader = tokio::spawn(ask("total", 2));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        assert_eq!(ask("total", 3).await, 1, "the old value, while the first request reads");
        assert!(started.elapsed() < Duration::from_millis(200), "answered without waiting for the read");
        assert_eq!(reader.await.unwrap(), 2, "the first request read it again");
        assert_eq!(ask("total", 4).await, 2, "fresh now");

        // Too old, or read before a write: nobody is answered from it.
        kept_since(&counts, "ancient", 1, AGED_AT_MOST + Duration::from_secs(1), 0);
        assert_eq!(ask("ancient", 5).await, 5);
        kept_since(&counts, "written", 1, FRESH_FOR + Duration::from_secs(1), 0);
        writes.fetch_add(1, Ordering::SeqCst);
        let reader = tokio::spawn(ask("written", 6));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(ask("written", 7).await, 6, "after a write, the others wait for the new reading");
        assert_eq!(reader.await.unwrap(), 6);
    }
}
