//! Database work: async functions over a connection; entity <-> domain conversions.

pub mod audit;
pub mod auth;
pub mod billing;
pub mod budgets;
pub mod demo;
pub mod funding;
pub mod import;
pub mod invoices;
pub mod memberships;
pub mod offers;
pub mod partnerships;
pub mod register;
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

/// Opens the database; an SQLite file is created when it does not exist yet.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(with_create_mode(url));
    options
        .max_connections(if options.get_url().starts_with("sqlite:") { 4 } else { 10 })
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        // WAL lets pages read while an import writes; foreign keys are on by default in sqlx.
        db.execute_unprepared("PRAGMA journal_mode = WAL;").await?;
        db.execute_unprepared("PRAGMA busy_timeout = 10000;").await?;
    }
    Ok(db)
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
    db.begin_with_options(sea_orm::TransactionOptions {
        isolation_level: None,
        access_mode: None,
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
    })
    .await
}
