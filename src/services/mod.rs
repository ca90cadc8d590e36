//! Database work: async functions over a connection; entity <-> domain conversions.

pub mod audit;
pub mod auth;
pub mod bank;
pub mod billing;
pub mod budgets;
pub mod contracts;
pub mod counts;
pub mod demo;
pub mod events;
pub mod exports;
pub mod funding;
pub mod import;
pub mod invoices;
pub mod ledger;
pub mod mail;
pub mod memberships;
pub mod offers;
pub mod orders;
pub mod partnerships;
pub mod payers;
pub mod providers;
pub mod register;
pub mod reminders;
pub mod renewals;
pub mod reports;
pub mod setup;
mod sqlite_memory;
pub mod stripe;
pub mod traded;
pub mod users;

use migration::MigratorTrait;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// What can go wrong in the service layer; only `web` turns these into status codes.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// A stored value that does not read back as its domain type: never defaulted, always named.
    #[error("{table}.{column} holds {value:?}, which cannot be read: {reason}")]
    Corrupt { table: &'static str, column: &'static str, value: String, reason: String },
    /// A service we depend on (Stripe, the mail server) did not answer or refused; nothing
    /// here was changed. A 503 naming it.
    #[error("{0}")]
    Unavailable(String),
    /// Something that should not happen (a background task that stopped); logged, a 500.
    #[error("{0}")]
    Internal(String),
    #[error("database error")]
    Database(#[from] DbErr),
}

/// One field of some input that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl ServiceError {
    /// A single invalid field.
    pub fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid(vec![FieldError { field: field.to_string(), message: message.into() }])
    }
}

/// Turns a unique-key clash (two people saving the same name at once, or a check that raced)
/// into a 422 naming the field; any other database error passes through as it is.
pub trait OrClash<T> {
    fn or_clash(self, field: &str, message: impl Into<String>) -> Result<T, ServiceError>;
}

impl<T> OrClash<T> for Result<T, DbErr> {
    fn or_clash(self, field: &str, message: impl Into<String>) -> Result<T, ServiceError> {
        self.map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ServiceError::invalid(field, message),
            _ => ServiceError::Database(e),
        })
    }
}

/// Reads a stored text column into its domain type; a value that does not parse is
/// [`ServiceError::Corrupt`], naming the table, column and value.
pub fn read_stored<T>(table: &'static str, column: &'static str, value: &str) -> Result<T, ServiceError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    value.parse::<T>().map_err(|e| ServiceError::Corrupt {
        table,
        column,
        value: value.to_string(),
        reason: e.to_string(),
    })
}

/// An amount as whole pence for storage; an amount too large to store is an error naming
/// `field`, never £0.00.
pub fn to_stored_pence(field: &str, amount: crate::domain::money::Money) -> Result<i64, ServiceError> {
    amount.to_pence().map_err(|_| {
        ServiceError::invalid(field, format!("{amount} is more than the service can store in one amount"))
    })
}

/// Switches off SQLite's memory statistics, which the service never reads: keeping them takes
/// one lock shared by every connection on each allocation SQLite makes, and with the pool's
/// connections working at once that lock was a fifth of the service's time under load
/// (BENCHMARKS.md). SQLite only accepts it before it is first used, and while no other thread
/// uses it: `main` calls this first thing. Later calls do nothing; a refusal is harmless (the
/// statistics stay on). It also gives SQLite the service's allocator ([`sqlite_memory`]).
pub fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if !sqlite_memory::install() {
            tracing::debug!("SQLite was already in use: it keeps the C library's allocator");
        }
        // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int. Called once, from `main` before any
        // connection is opened, so no other thread is inside SQLite.
        let _ = unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int)
        };
    });
}

/// Opens the database; an SQLite file is created when it does not exist yet.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(with_create_mode(url));
    let sqlite = options.get_url().starts_with("sqlite:");
    options
        .max_connections(if sqlite { 4 } else { 10 })
        // A pooled connection is pinged before each use by default: one more trip to the
        // connection's thread per query, for a file that cannot have hung up. PostgreSQL's
        // connections are still checked.
        .test_before_acquire(!sqlite)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // PostgreSQL's JIT compiler spends longer compiling the reports' grouped queries (a
        // second, measured) than they take to run (about 150 ms): the service's queries are
        // short, so it is off for its connections.
        .map_sqlx_postgres_opts(|pg| pg.options([("jit", "off")]))
        // SQLite reads the file through memory mapping (up to 1 GiB) rather than a copy per
        // connection: the pool's connections then share the operating system's cache, and a
        // report reading 100,000 invoices on four connections at once spends its time reading
        // rows, not in read calls (measured in BENCHMARKS.md).
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite.pragma("mmap_size", "1073741824").busy_timeout(SQLITE_BUSY_WAIT)
        })
        .map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_connect(|conn, _| Box::pin(sqlite_connection_ready(conn)))
        })
        .map_sqlx_sqlite_before_acquire(|conn, meta| Box::pin(sqlite_statistics_checked(conn, meta)));
    let db = Database::connect(options).await?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        // WAL lets pages read while an import writes; foreign keys are on by default in sqlx.
        db.execute_unprepared("PRAGMA journal_mode = WAL;").await?;
    }
    Ok(db)
}

/// Readies each new SQLite connection of the pool for the service's queries.
///
/// SQLite plans a query from statistics about the tables (`ANALYZE`); with none it guesses that
/// "partnership_id = ?" picks out ten rows, and so walked a partnership's 24,000 payers or
/// schools rather than look up the 50 ids or the few search matches a page asked for. Opening
/// a connection runs `PRAGMA optimize=0x10012`, SQLite's advice for long-lived connections: it
/// analyses every table never analysed or grown (or shrunk) tenfold since, reading a sample of
/// 2,000 rows of each index (0x10) so that it stays quick on a national register. The pool
/// checks again every 15 seconds on each connection ([`sqlite_statistics_checked`]).
///
/// The statistics would otherwise make SQLite plan with the values bound to a statement and
/// plan it again on each run (as a bound LIMIT did, see [`rows_at`]): the query planner
/// stability guarantee (QPSG) keeps one plan per statement.
async fn sqlite_connection_ready(
    conn: &mut sea_orm::sqlx::sqlite::SqliteConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    use std::ffi::c_int;
    {
        let mut handle = conn.lock_handle().await?;
        // SAFETY: the handle is this connection's open database, locked for this call;
        // SQLITE_DBCONFIG_ENABLE_QPSG takes an int and a nullable int pointer.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_db_config(
                handle.as_raw_handle().as_ptr(),
                libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                1 as c_int,
                std::ptr::null_mut::<c_int>(),
            )
        };
        if rc != libsqlite3_sys::SQLITE_OK {
            return Err(sea_orm::sqlx::Error::Configuration(
                format!("SQLite refused its query planner stability guarantee (code {rc})").into(),
            ));
        }
    }
    refresh_statistics(conn).await
}

/// How often each connection checks its statistics.
const STATISTICS_CHECKED_EVERY: Duration = Duration::from_secs(15);

/// Analyses what needs it (see [`sqlite_connection_ready`]) without waiting: analysing writes,
/// so while another connection holds the write lock (an import of the register) it is left
/// for the next check rather than holding up the request that asked for the connection.
async fn refresh_statistics(
    conn: &mut sea_orm::sqlx::sqlite::SqliteConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    use sea_orm::sqlx::Executor;
    conn.execute("PRAGMA busy_timeout = 0").await?;
    let analysed = conn.execute("PRAGMA optimize=0x10012").await;
    conn.execute("PRAGMA busy_timeout = 10000").await?; // SQLITE_BUSY_WAIT again
    match analysed {
        Err(sea_orm::sqlx::Error::Database(e)) if e.message().contains("locked") => Ok(()),
        other => other.map(|_| ()),
    }
}

/// How long a connection waits for another's write to finish.
const SQLITE_BUSY_WAIT: Duration = Duration::from_secs(10);

/// Checks a pooled SQLite connection's statistics every 15 seconds as it is handed out: a
/// connection holds the statistics it read, so one opened before a register was imported or
/// a year billed (by this process or the command line) plans as if the tables were empty
/// (measured: the memberships page at 890 requests a second, 1,659 with fresh statistics).
/// `PRAGMA optimize` analyses again any table grown or shrunk tenfold since this connection's
/// statistics (a sample, quick) and loads the result; when nothing has, it compares sizes.
/// Whether the time has passed is read from the pool's own times: the connection's age now,
/// and when it was last handed back (`age - idle_for`), lie in different 15-second spans.
async fn sqlite_statistics_checked(
    conn: &mut sea_orm::sqlx::sqlite::SqliteConnection,
    meta: sea_orm::sqlx::pool::PoolConnectionMetadata,
) -> Result<bool, sea_orm::sqlx::Error> {
    let span = |age: Duration| age.as_secs() / STATISTICS_CHECKED_EVERY.as_secs();
    if span(meta.age) != span(meta.age.saturating_sub(meta.idle_for)) {
        refresh_statistics(conn).await?;
    }
    Ok(true)
}

/// Brings the schema of the database at `url` up to date (all migrations, or the first
/// `steps`). PostgreSQL migrates in transactions. SQLite changes some tables by rebuilding them,
/// which its guide says to do with foreign-key enforcement off: the migrations run on one
/// connection of their own with it off, and every foreign key is checked afterwards.
pub async fn migrate_to(url: &str, steps: Option<u32>) -> Result<(), DbErr> {
    let sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(with_create_mode(url));
    options
        .max_connections(1)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    if sqlite {
        db.execute_unprepared("PRAGMA busy_timeout = 10000;").await?;
        db.execute_unprepared("PRAGMA foreign_keys = OFF;").await?;
    }
    let outcome = migration::Migrator::up(&db, steps).await;
    if sqlite && outcome.is_ok() {
        let broken = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "PRAGMA foreign_key_check",
            ))
            .await?;
        if !broken.is_empty() {
            db.close().await.ok();
            return Err(DbErr::Migration(format!(
                "{} rows break a foreign key after migrating",
                broken.len()
            )));
        }
    }
    db.close().await.ok();
    outcome
}

/// Brings the schema up to date.
pub async fn migrate(url: &str) -> Result<(), DbErr> {
    migrate_to(url, None).await
}

/// An SQLite URL that creates its file when it does not exist yet.
fn with_create_mode(url: &str) -> String {
    if url.starts_with("sqlite:") && !url.contains("mode=") && !url.contains(":memory:") {
        let joiner = if url.contains('?') { '&' } else { '?' };
        format!("{url}{joiner}mode=rwc")
    } else {
        url.to_string()
    }
}

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// Starts a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so a concurrent writer waits its turn instead of failing with
/// "database is locked" half-way; PostgreSQL ignores the option.
pub async fn begin_write<C: sea_orm::TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    counts::changed();
    db.begin_with_options(sea_orm::TransactionOptions {
        isolation_level: None,
        access_mode: None,
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
    })
    .await
}

/// `column` contains `text`, ignoring case as each database's own operator does (`LIKE` on
/// SQLite, ASCII letters; `ILIKE` on PostgreSQL). Neither wraps the column in a function, so a
/// search reads each row once; `%` and `_` typed in a search match themselves.
pub(crate) fn contains_text(
    backend: sea_orm::DatabaseBackend,
    column: impl Into<sea_orm::sea_query::Expr>,
    text: &str,
) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::extension::postgres::PgExpr;
    use sea_orm::sea_query::{ExprTrait, LikeExpr};
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    match backend {
        // PostgreSQL's LIKE and ILIKE take the backslash as their escape by default (and
        // sea-query writes an explicit ESCAPE after ILIKE where PostgreSQL cannot read it).
        sea_orm::DatabaseBackend::Postgres => column.into().ilike(pattern),
        _ => column.into().like(LikeExpr::new(pattern).escape('\\')),
    }
}

/// One page of rows, and where it sits among them all.
pub struct Paged<T> {
    pub rows: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

/// The highest page number any list serves: beyond it, an offset no longer fits the
/// databases' 64-bit integers.
pub const MAX_PAGE: u64 = 1_000_000;

/// `limit` of `query`'s rows from `offset`. The two numbers are written into the SQL rather
/// than bound as parameters: SQLite (since 3.48) reads a bound LIMIT while it plans, so a
/// statement whose LIMIT or OFFSET is bound again is planned again on every run, which under
/// load on the invoice list cost 11% of the service's time (BENCHMARKS.md); written in, the
/// pool's cached statement keeps its plan. Both are whole numbers the caller bounded.
pub(crate) async fn rows_at<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    query: sea_orm::Select<E>,
    offset: u64,
    limit: u64,
) -> Result<Vec<E::Model>, DbErr> {
    rows_at_as(db, query, offset, limit).await
}

/// [`rows_at`] reading each row as `M` (a query that chooses its columns).
pub(crate) async fn rows_at_as<E: sea_orm::EntityTrait, M: sea_orm::FromQueryResult>(
    db: &impl ConnectionTrait,
    query: sea_orm::Select<E>,
    offset: u64,
    limit: u64,
) -> Result<Vec<M>, DbErr> {
    let mut statement = sea_orm::QueryTrait::build(&query, db.get_database_backend());
    statement.sql.push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
    M::find_by_statement(statement).all(db).await
}

/// The ids (column `id`) of the rows `query` finds, in its order. With `keep`, read once and
/// kept while nothing is written ([`counts::kept`], under the query's SQL), so that a deep
/// page of a long list is the ids at its place rather than a step over every row before it
/// on each request: only for filters with a few values each (a name search would keep a list
/// a search).
pub(crate) async fn ordered_ids<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    query: sea_orm::Select<E>,
    id: E::Column,
    keep: bool,
) -> Result<std::sync::Arc<Vec<i64>>, DbErr> {
    use sea_orm::QuerySelect;
    let read = async {
        let ids: Vec<i64> = query.clone().select_only().column(id).into_tuple().all(db).await?;
        Ok(std::sync::Arc::new(ids))
    };
    if !keep {
        return read.await;
    }
    let key = || {
        format!("ordered {}", statement_key(&sea_orm::QueryTrait::build(&query, db.get_database_backend())))
    };
    counts::kept(key, read).await
}

/// A page of the rows `query` finds, in its order, from the kept ordered ids of them all
/// ([`ordered_ids`]): page 200 is 50 rows looked up by id rather than a step over the 9,950
/// before them on every request. Only for filters with a few values each (not a name search).
pub(crate) async fn page_in_kept_order<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    query: sea_orm::Select<E>,
    id: E::Column,
    page: u64,
    per_page: u64,
) -> Result<Paged<E::Model>, DbErr> {
    let ordered = ordered_ids(db, query, id, true).await?;
    let Paged { rows: ids, total, page, pages } = ids_on_page(&ordered, page, per_page);
    let place: std::collections::HashMap<i64, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut rows: Vec<(i64, E::Model)> = rows_by_id(db, E::find(), id, ids).await?.into_iter().collect();
    rows.sort_by_key(|(id, _)| place.get(id).copied().unwrap_or(usize::MAX));
    Ok(Paged { rows: rows.into_iter().map(|(_, row)| row).collect(), total, page, pages })
}

/// The rows of `query` whose `column` (a whole-number id) is one of `ids`, by that id, without a
/// trip to the database when there are none: a page's lookups (the invoices, schools, payers a
/// page names) are often empty.
pub(crate) async fn rows_by_id<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    query: sea_orm::Select<E>,
    column: E::Column,
    ids: Vec<i64>,
) -> Result<std::collections::HashMap<i64, E::Model>, DbErr> {
    use sea_orm::{ColumnTrait, ModelTrait, QueryFilter};
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows = query.filter(column.is_in(ids)).all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| match row.get(column) {
            sea_orm::Value::BigInt(Some(id)) => Some((id, row)),
            _ => None,
        })
        .collect())
}

/// A key naming what a statement reads: its SQL and its values (written out as they are, rather
/// than put into the SQL as `Statement`'s `Display` does, which splits the SQL into tokens to
/// do it, on every request that asks for a kept count).
fn statement_key(statement: &sea_orm::Statement) -> String {
    format!("{} {:?}", statement.sql, statement.values)
}

/// Page `page` (from 1) of `ordered`, `per_page` to a page: its ids, and the page, pages and
/// total as [`Paged`] gives them (asking past the end gives the last page).
pub(crate) fn ids_on_page(ordered: &[i64], page: u64, per_page: u64) -> Paged<i64> {
    let total = ordered.len() as u64;
    let pages = total.div_ceil(per_page.max(1)).max(1);
    let page = page.clamp(1, pages);
    let from = usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX).min(ordered.len());
    let to = from.saturating_add(usize::try_from(per_page).unwrap_or(usize::MAX)).min(ordered.len());
    Paged { rows: ordered[from..to].to_vec(), total, page, pages }
}

/// Page `page` (from 1) of `query`'s rows, `per_page` to a page, with how many there are in
/// all. Counting is a second pass over every matching row, so it is skipped when the page shows
/// the end itself (fewer rows than a page holds), as most searches do; asking past the end
/// gives the last page.
pub(crate) async fn page_of<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    query: sea_orm::Select<E>,
    page: u64,
    per_page: u64,
) -> Result<Paged<E::Model>, DbErr>
where
    E::Model: Send + Sync,
{
    page_shaped(db, query, |rows| rows, page, per_page).await
}

/// [`page_of`] reading each row as `M`, with `shape` choosing its columns (only the columns a
/// list shows, and sums of related rows as subqueries, in one trip to the database): `query`
/// filters and orders, and is what is counted.
pub(crate) async fn page_shaped<E: sea_orm::EntityTrait, M: sea_orm::FromQueryResult + Send + Sync>(
    db: &impl ConnectionTrait,
    query: sea_orm::Select<E>,
    shape: impl Fn(sea_orm::Select<E>) -> sea_orm::Select<E>,
    page: u64,
    per_page: u64,
) -> Result<Paged<M>, DbErr>
where
    E::Model: Send + Sync,
{
    use sea_orm::PaginatorTrait;
    let page = page.clamp(1, MAX_PAGE);
    let per_page = per_page.max(1);
    let fetch =
        |page: u64| rows_at_as(db, shape(query.clone()), (page - 1).saturating_mul(per_page), per_page);
    let rows = fetch(page).await?;
    let shown = rows.len() as u64;
    if shown > 0 && shown < per_page || shown == 0 && page == 1 {
        let total = (page - 1) * per_page + shown;
        return Ok(Paged { rows, total, page, pages: page });
    }
    let key = || statement_key(&sea_orm::QueryTrait::build(&query, db.get_database_backend()));
    let total = counts::count(key, query.clone().count(db)).await?;
    let pages = total.div_ceil(per_page).max(1);
    if page > pages {
        return Ok(Paged { rows: fetch(pages).await?, total, page: pages, pages });
    }
    Ok(Paged { rows, total, page, pages })
}

#[cfg(test)]
mod tests {
    use super::ids_on_page;

    /// A new connection analyses the tables: a table that has rows has statistics, so SQLite
    /// plans from them rather than from its guesses.
    #[tokio::test]
    async fn a_new_sqlite_connection_has_statistics() {
        use sea_orm::ConnectionTrait;
        let dir = tempfile::tempdir().expect("a directory");
        let url = format!("sqlite://{}", dir.path().join("stats.db").display());
        let first = super::connect(&url).await.expect("connect");
        first.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER)").await.expect("table");
        first.execute_unprepared("CREATE INDEX t_k ON t (k)").await.expect("index");
        first
            .execute_unprepared(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
                 INSERT INTO t (k) SELECT i % 7 FROM n",
            )
            .await
            .expect("rows");
        first.close().await.expect("close");
        let second = super::connect(&url).await.expect("connect again");
        let stat = second
            .query_one_raw(sea_orm::Statement::from_string(
                second.get_database_backend(),
                "SELECT stat FROM sqlite_stat1 WHERE idx = 't_k'",
            ))
            .await
            .expect("read statistics")
            .expect("the index has statistics");
        let stat: String = stat.try_get("", "stat").expect("text");
        assert!(stat.starts_with("500 "), "500 rows counted: {stat}");
        second.close().await.expect("close");
    }

    #[test]
    fn a_page_of_kept_ids_is_the_ids_at_its_place() {
        let ids: Vec<i64> = (1..=120).collect();
        let second = ids_on_page(&ids, 2, 50);
        assert_eq!((second.rows.first(), second.rows.last()), (Some(&51), Some(&100)));
        assert_eq!((second.total, second.page, second.pages), (120, 2, 3));
        let last = ids_on_page(&ids, 3, 50);
        assert_eq!(last.rows, (101..=120).collect::<Vec<_>>(), "the last page holds what is left");
        let past = ids_on_page(&ids, 9, 50);
        assert_eq!((past.page, past.rows.len()), (3, 20), "past the end is the last page");
        let none = ids_on_page(&[], 1, 50);
        assert_eq!((none.rows.len(), none.total, none.page, none.pages), (0, 0, 1, 1));
        assert_eq!(ids_on_page(&ids, u64::MAX, 50).page, 3, "a huge page number does not overflow");
    }
}
