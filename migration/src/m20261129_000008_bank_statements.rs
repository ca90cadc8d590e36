//! Bank statements: each imported file, its lines (a fingerprint unique per partnership, so an
//! overlapping statement adds only new lines), what matching decided for each, and the names
//! payers use at the bank, learned when finance confirms a match.

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
        let mut mapping = text_null("bank_csv_mapping");
        manager.alter_table(Table::alter().table("partnerships").add_column(&mut mapping).to_owned()).await?;
        let tables = [
            Table::create()
                .table("bank_statements")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(string("file_name"))
                .col(string("format"))
                .col(integer("line_count"))
                .col(integer("new_count"))
                .col(big_integer_null("imported_by_user_id"))
                .col(timestamp_with_time_zone("imported_at"))
                .foreign_key(&mut fk("bank_statements", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("bank_statements", "imported_by_user_id", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("bank_lines")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(big_integer("statement_id"))
                .col(integer("line_no"))
                .col(date("booked_on"))
                .col(big_integer("amount_pence"))
                .col(text("description"))
                .col(string_null("counterparty"))
                .col(big_integer_null("balance_pence"))
                .col(string_null("bank_id"))
                .col(string("fingerprint"))
                .col(string("state"))
                .col(text_null("suggestions"))
                .col(text_null("decision"))
                .col(big_integer_null("decided_by_user_id"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .foreign_key(&mut fk("bank_lines", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("bank_lines", "statement_id", "bank_statements", Cascade))
                .foreign_key(&mut fk("bank_lines", "decided_by_user_id", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("payer_aliases")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(big_integer("payer_id"))
                .col(string("alias"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("payer_aliases", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("payer_aliases", "payer_id", "payers", Cascade))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        manager.create_index(index("bank_lines", &["partnership_id", "fingerprint"], true)).await?;
        manager.create_index(index("bank_lines", &["statement_id", "state", "line_no"], false)).await?;
        manager.create_index(index("payer_aliases", &["partnership_id", "alias"], true)).await?;
        manager.create_index(index("payments", &["source_ref"], false)).await?;
        // What the home pages count and add up: lines waiting by state, a year's raised and owed.
        manager.create_index(index("bank_lines", &["partnership_id", "state"], false)).await?;
        manager
            .create_index(index(
                "invoices",
                &["partnership_id", "year", "status", "gross_pence", "outstanding_pence"],
                false,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_payments_source_ref").table("payments").to_owned()).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_invoices_partnership_id_year_status_gross_pence_outstanding_pence")
                    .table("invoices")
                    .to_owned(),
            )
            .await?;
        for table in ["payer_aliases", "bank_lines", "bank_statements"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .alter_table(Table::alter().table("partnerships").drop_column("bank_csv_mapping").to_owned())
            .await?;
        Ok(())
    }
}
