//! An index of school names by their three-letter pieces (trigrams), so a search for part of a
//! name ("oak prim") looks up the schools holding those pieces instead of reading every name
//! of a national register.
//!
//! SQLite: an FTS5 table with the trigram tokenizer over `schools.name` (external content: it
//! keeps only the index), filled from the schools and kept in step by triggers. A later
//! migration that rebuilds `schools` drops its triggers and must create them again.
//!
//! PostgreSQL: a GIN index with `pg_trgm`'s operator class, which ILIKE uses. `pg_trgm` comes
//! with PostgreSQL and is trusted (the database's owner may create it); where a server does not
//! offer it, the migration says so and searches read every name, as before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE school_names USING fts5(name, content='schools', content_rowid='id', tokenize='trigram')",
    "INSERT INTO school_names(school_names) VALUES ('rebuild')",
    "CREATE TRIGGER school_names_after_insert AFTER INSERT ON schools BEGIN \
     INSERT INTO school_names(rowid, name) VALUES (new.id, new.name); END",
    "CREATE TRIGGER school_names_after_delete AFTER DELETE ON schools BEGIN \
     INSERT INTO school_names(school_names, rowid, name) VALUES ('delete', old.id, old.name); END",
    "CREATE TRIGGER school_names_after_update AFTER UPDATE OF name ON schools BEGIN \
     INSERT INTO school_names(school_names, rowid, name) VALUES ('delete', old.id, old.name); \
     INSERT INTO school_names(rowid, name) VALUES (new.id, new.name); END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS school_names_after_update",
    "DROP TRIGGER IF EXISTS school_names_after_delete",
    "DROP TRIGGER IF EXISTS school_names_after_insert",
    "DROP TABLE IF EXISTS school_names",
];

const POSTGRES_UP: &str = "DO $$ BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX IF NOT EXISTS ix_schools_name_trigrams ON schools USING gin (name gin_trgm_ops);
EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
    RAISE NOTICE 'pg_trgm is not available (%): school searches read every name', SQLERRM;
END $$";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for statement in SQLITE_UP {
                    db.execute_unprepared(statement).await?;
                }
            }
            _ => {
                db.execute_unprepared(POSTGRES_UP).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for statement in SQLITE_DOWN {
                    db.execute_unprepared(statement).await?;
                }
            }
            _ => {
                db.execute_unprepared("DROP INDEX IF EXISTS ix_schools_name_trigrams").await?;
            }
        }
        Ok(())
    }
}
