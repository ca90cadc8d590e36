//! Accounting exports: what each covered (format and dates) and what it held, so the next one
//! starts where the last ended and any can be made again.

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
        manager
            .create_table(
                Table::create()
                    .table("exports")
                    .col(big_pk_auto("id"))
                    .col(big_integer("partnership_id"))
                    .col(string("format"))
                    .col(date("from_date"))
                    .col(date("to_date"))
                    .col(big_integer("invoices"))
                    .col(big_integer("credit_notes"))
                    .col(big_integer("files"))
                    .col(big_integer_null("user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("exports", "partnership_id", "partnerships", Cascade))
                    .foreign_key(&mut fk("exports", "user_id", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("exports", &["partnership_id", "to_date"], false)).await?;
        // The VAT summary and exports read documents by date of issue.
        manager.create_index(index("invoices", &["partnership_id", "issue_date"], false)).await?;
        manager.create_index(index("credit_notes", &["partnership_id", "issue_date"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_credit_notes_partnership_id_issue_date")
                    .table("credit_notes")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop().name("ix_invoices_partnership_id_issue_date").table("invoices").to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table("exports").to_owned()).await
    }
}
