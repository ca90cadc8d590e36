//! Mail and scheduled jobs: an outbox of every message (recorded before it is sent, with its
//! state), the runs of each job and the lease that keeps two instances from running one job for
//! one partnership at once, and each partnership's reminder schedule with the switches that
//! pause reminders for a payer or an invoice.

use crate::helpers::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        let partnership_columns = [
            boolean("reminders_on").default(false).to_owned(),
            big_integer("reminder_minimum_pence").default(0).to_owned(),
            boolean("late_payment_claims").default(false).to_owned(),
            timestamp_with_time_zone_null("documents_mailed_from").to_owned(),
        ];
        for mut column in partnership_columns {
            manager
                .alter_table(Table::alter().table("partnerships").add_column(&mut column).to_owned())
                .await?;
        }
        for table in ["payers", "invoices"] {
            let mut paused = text_null("reminders_paused");
            manager.alter_table(Table::alter().table(table).add_column(&mut paused).to_owned()).await?;
        }
        let tables = [
            Table::create()
                .table("outbox_messages")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(string("kind"))
                .col(string("dedupe_key"))
                .col(big_integer_null("payer_id"))
                .col(big_integer_null("document_id"))
                .col(text("recipients"))
                .col(text("subject"))
                .col(text("text_body"))
                .col(text("html_body"))
                .col(string_null("attachment"))
                .col(string("state"))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("queued_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .col(big_integer_null("queued_by_user_id"))
                .foreign_key(&mut fk("outbox_messages", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("outbox_messages", "payer_id", "payers", Cascade))
                .foreign_key(&mut fk("outbox_messages", "queued_by_user_id", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("job_runs")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(string("job"))
                .col(string("trigger"))
                .col(string("instance"))
                .col(date("today"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .col(string("outcome"))
                .col(text("summary"))
                .col(big_integer_null("user_id"))
                .foreign_key(&mut fk("job_runs", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("job_runs", "user_id", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("job_leases")
                .col(big_pk_auto("id"))
                .col(string("name"))
                .col(string("holder"))
                .col(timestamp_with_time_zone("held_until"))
                .to_owned(),
            Table::create()
                .table("reminder_steps")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(integer("days_from_due"))
                .col(text("wording"))
                .foreign_key(&mut fk("reminder_steps", "partnership_id", "partnerships", Cascade))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        manager.create_index(index("outbox_messages", &["partnership_id", "dedupe_key"], true)).await?;
        manager.create_index(index("outbox_messages", &["state", "next_attempt_at"], false)).await?;
        manager.create_index(index("outbox_messages", &["partnership_id", "queued_at"], false)).await?;
        manager.create_index(index("job_runs", &["partnership_id", "started_at"], false)).await?;
        manager.create_index(index("job_leases", &["name"], true)).await?;
        manager.create_index(index("reminder_steps", &["partnership_id", "days_from_due"], true)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["reminder_steps", "job_leases", "job_runs", "outbox_messages"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for table in ["payers", "invoices"] {
            manager
                .alter_table(Table::alter().table(table).drop_column("reminders_paused").to_owned())
                .await?;
        }
        for column in
            ["reminders_on", "reminder_minimum_pence", "late_payment_claims", "documents_mailed_from"]
        {
            manager.alter_table(Table::alter().table("partnerships").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
