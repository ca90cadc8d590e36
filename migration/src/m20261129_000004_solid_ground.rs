//! Credit notes keep their net and VAT per rate, as issued; each billing run (every attempt) has
//! its own record with its progress, so a run's page survives a restart and shows CLI runs;
//! emails are unique within a partnership (not across them), users can be disabled and given a
//! one-time password, and sessions record when they were last used and from where.

use crate::helpers::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
use std::collections::BTreeMap;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too (its schema changes are transactional): a migration that
    /// stops half-way leaves the database as it was.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        manager
            .create_table(
                Table::create()
                    .table("credit_note_rates")
                    .col(big_pk_auto("id"))
                    .col(big_integer("credit_note_id"))
                    .col(string("vat_rate"))
                    .col(big_integer("net_pence"))
                    .col(big_integer("vat_pence"))
                    .foreign_key(&mut fk("credit_note_rates", "credit_note_id", "credit_notes", Cascade))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("credit_note_rates", &["credit_note_id", "vat_rate"], true)).await?;
        backfill_credit_note_rates(manager).await?;
        billing_run_attempts(manager).await?;
        emails_unique_within_a_partnership(manager).await?;
        accounts_and_sessions(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("credit_note_rates").to_owned()).await
    }
}

/// One record per run attempt (the unique year-and-period index goes), with what it planned to
/// raise, a heartbeat while it runs and the error it stopped with.
async fn billing_run_attempts(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .drop_index(
            Index::drop().name("ix_billing_runs_partnership_id_year_period").table("billing_runs").to_owned(),
        )
        .await?;
    manager.create_index(index("billing_runs", &["partnership_id", "year", "period"], false)).await?;
    let columns = [
        integer("planned").default(0).to_owned(),
        timestamp_with_time_zone_null("heartbeat_at").to_owned(),
        text_null("error").to_owned(),
    ];
    for mut column in columns {
        manager.alter_table(Table::alter().table("billing_runs").add_column(&mut column).to_owned()).await?;
    }
    Ok(())
}

/// An email address may have an account in several partnerships (one each), so that creating a
/// user never reveals whether an address is known to another partnership.
async fn emails_unique_within_a_partnership(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match db.get_database_backend() {
        sea_orm_migration::sea_orm::DatabaseBackend::Postgres => {
            db.execute_unprepared("ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_key").await?;
        }
        _ => {
            // SQLite cannot drop a column's UNIQUE: rebuild the table. With legacy renaming, the
            // tables that refer to "users" keep referring to that name, which the rebuilt table
            // then takes; nothing that refers to users is touched.
            db.execute_unprepared("PRAGMA defer_foreign_keys = ON").await?;
            db.execute_unprepared("PRAGMA legacy_alter_table = ON").await?;
            let columns = "id, partnership_id, email, name, role, school_id, trust_id, local_authority_id, \
                           password_hash, failed_sign_ins, locked_until, created_at, last_sign_in_at";
            db.execute_unprepared(
                "CREATE TABLE users_rebuilt ( \
                 id integer NOT NULL PRIMARY KEY AUTOINCREMENT, partnership_id integer NOT NULL, \
                 email varchar NOT NULL, name varchar NOT NULL, role varchar NOT NULL, \
                 school_id integer NULL, trust_id integer NULL, local_authority_id integer NULL, \
                 password_hash varchar NOT NULL, failed_sign_ins integer NOT NULL DEFAULT 0, \
                 locked_until timestamp_with_timezone_text NULL, created_at timestamp_with_timezone_text NOT NULL, \
                 last_sign_in_at timestamp_with_timezone_text NULL, \
                 FOREIGN KEY (partnership_id) REFERENCES partnerships (id) ON DELETE CASCADE, \
                 FOREIGN KEY (school_id) REFERENCES schools (id) ON DELETE RESTRICT, \
                 FOREIGN KEY (trust_id) REFERENCES trusts (id) ON DELETE RESTRICT, \
                 FOREIGN KEY (local_authority_id) REFERENCES local_authorities (id) ON DELETE RESTRICT )",
            )
            .await?;
            db.execute_unprepared(&format!(
                "INSERT INTO users_rebuilt ({columns}) SELECT {columns} FROM users"
            ))
            .await?;
            db.execute_unprepared("ALTER TABLE users RENAME TO users_replaced").await?;
            db.execute_unprepared("ALTER TABLE users_rebuilt RENAME TO users").await?;
            db.execute_unprepared("DROP TABLE users_replaced").await?;
            db.execute_unprepared("PRAGMA legacy_alter_table = OFF").await?;
            manager
                .create_index(index("users", &["partnership_id"], false).if_not_exists().to_owned())
                .await?;
        }
    }
    manager.create_index(index("users", &["partnership_id", "email"], true)).await?;
    manager.create_index(index("users", &["email"], false)).await
}

/// Disabling users, one-time passwords, and what a person sees of their own sessions.
async fn accounts_and_sessions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let user_columns = [
        timestamp_with_time_zone_null("disabled_at").to_owned(),
        boolean("must_change_password").default(false).to_owned(),
        timestamp_with_time_zone_null("password_changed_at").to_owned(),
    ];
    for mut column in user_columns {
        manager.alter_table(Table::alter().table("users").add_column(&mut column).to_owned()).await?;
    }
    let session_columns = [
        timestamp_with_time_zone_null("last_seen_at").to_owned(),
        string_null("user_agent").to_owned(),
        string_null("ip_address").to_owned(),
    ];
    for mut column in session_columns {
        manager.alter_table(Table::alter().table("sessions").add_column(&mut column).to_owned()).await?;
    }
    Ok(())
}

/// Gives each existing credit note its rates: VAT rounded down on the net at each rate, and any
/// difference from the note's stored VAT (a note that voided an invoice gave back exactly the VAT
/// left) on its largest rate, so the rates add up to what was issued.
async fn backfill_credit_note_rates(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT l.credit_note_id AS note, l.vat_rate AS rate, CAST(SUM(l.net_pence) AS BIGINT) AS net, n.vat_pence AS note_vat \
             FROM credit_note_lines l JOIN credit_notes n ON n.id = l.credit_note_id \
             GROUP BY l.credit_note_id, l.vat_rate, n.vat_pence ORDER BY l.credit_note_id, l.vat_rate",
        ))
        .await?;
    // note id -> (its stored VAT, [(rate, net, VAT rounded down)])
    type Rates = Vec<(String, i64, i64)>;
    let mut notes: BTreeMap<i64, (i64, Rates)> = BTreeMap::new();
    for row in rows {
        let note: i64 = row.try_get("", "note")?;
        let rate: String = row.try_get("", "rate")?;
        let net: i64 = row.try_get("", "net")?;
        let note_vat: i64 = row.try_get("", "note_vat")?;
        let percent = match rate.as_str() {
            "standard" => 20,
            "reduced" => 5,
            _ => 0,
        };
        let entry = notes.entry(note).or_insert((note_vat, Vec::new()));
        entry.1.push((rate, net, net * percent / 100));
    }
    for (note, (note_vat, mut rates)) in notes {
        let sum: i64 = rates.iter().map(|r| r.2).sum();
        if note_vat == 0 {
            rates.iter_mut().for_each(|r| r.2 = 0);
        } else if sum != note_vat
            && let Some(largest) = rates.iter_mut().max_by_key(|r| r.2)
        {
            largest.2 += note_vat - sum;
        }
        for (rate, net, vat) in rates {
            let insert = Query::insert()
                .into_table("credit_note_rates")
                .columns(["credit_note_id", "vat_rate", "net_pence", "vat_pence"])
                .values([note.into(), rate.into(), net.into(), vat.into()])
                .map_err(|e| DbErr::Migration(e.to_string()))?
                .to_owned();
            manager.exec_stmt(insert).await?;
        }
    }
    Ok(())
}
