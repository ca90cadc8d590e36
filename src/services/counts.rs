//! Row counts of the paged lists, kept for a few seconds per query so that paging through
//! 24,000 invoices or schools does not count them all again for every page. Each web
//! application keeps its own counts (a request reads them through a task-local set by the web
//! layer); outside a request, lists count every time. Any write in this process (every write
//! transaction, and every request that is not a read) drops them all; a change made by another
//! process shows within [`FRESH_FOR`].

use sea_orm::DbErr;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a count is kept when nothing is written through this process.
pub const FRESH_FOR: Duration = Duration::from_secs(5);

/// The most counts kept at once (each search is a query of its own).
const MOST: usize = 10_000;

/// Writes made in this process so far: a count read before the latest is not used.
static WRITES: AtomicU64 = AtomicU64::new(0);

tokio::task_local! {
    static KEPT: Arc<Counts>;
}

/// One application's counts, by the SQL of the query counted.
#[derive(Default)]
pub struct Counts {
    entries: Mutex<HashMap<String, (Instant, u64, u64)>>,
}

/// Records that something may have changed: every kept count is read again.
pub fn changed() {
    WRITES.fetch_add(1, Ordering::SeqCst);
}

/// Runs `work` (a request) with `counts` as the counts it keeps.
pub async fn within<F: Future>(counts: Arc<Counts>, work: F) -> F::Output {
    KEPT.scope(counts, work).await
}

/// The count `key` names: kept while fresh and nothing was written, else `count` run again.
pub(crate) async fn count<F>(key: impl FnOnce() -> String, count: F) -> Result<u64, DbErr>
where
    F: Future<Output = Result<u64, DbErr>>,
{
    let Ok(counts) = KEPT.try_with(Arc::clone) else {
        return count.await;
    };
    let key = key();
    let generation = WRITES.load(Ordering::SeqCst);
    let lock =
        |c: &Counts| c.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&key).copied();
    if let Some((at, seen, n)) = lock(&counts)
        && seen == generation
        && at.elapsed() < FRESH_FOR
    {
        return Ok(n);
    }
    let n = count.await?;
    let mut entries = counts.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if entries.len() >= MOST {
        entries.clear();
    }
    entries.insert(key, (Instant::now(), generation, n));
    Ok(n)
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
}
