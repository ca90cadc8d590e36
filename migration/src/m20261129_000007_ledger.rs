//! Payer accounts: payments and their allocations to invoices, refunds, write-offs and council
//! budget deductions (settlements). Each invoice keeps its outstanding amount for lists, always
//! recomputed from these documents in the transaction that changes them; `check-ledger` proves
//! it. A payer row carries a version that every money action bumps first, so two finance users
//! acting on one account take turns.

use crate::helpers::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &[&str]); 8] = [
    ("payments", &["partnership_id", "received_on"]),
    ("payments", &["payer_id"]),
    ("allocations", &["invoice_id"]),
    ("allocations", &["payment_id"]),
    ("refunds", &["payer_id"]),
    ("write_offs", &["invoice_id"]),
    ("invoices", &["payer_id", "status"]),
    ("invoices", &["partnership_id", "status", "due_date", "outstanding_pence"]),
];

const TABLES: [&str; 5] = ["allocations", "write_offs", "refunds", "payments", "settlements"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        let columns = [
            ("invoices", big_integer("outstanding_pence").default(0).to_owned()),
            ("payers", big_integer("ledger_version").default(0).to_owned()),
            ("partnerships", big_integer("small_write_off_pence").default(100).to_owned()),
        ];
        for (table, mut column) in columns {
            manager.alter_table(Table::alter().table(table).add_column(&mut column).to_owned()).await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE invoices SET outstanding_pence = gross_pence - COALESCE((SELECT SUM(c.gross_pence) \
                 FROM credit_notes c WHERE c.invoice_id = invoices.id), 0)",
            )
            .await?;
        let tables = [
            Table::create()
                .table("settlements")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(big_integer_null("payer_id"))
                .col(string("reference"))
                .col(date("settled_on"))
                .col(big_integer_null("created_by_user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("settlements", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("settlements", "payer_id", "payers", Restrict))
                .foreign_key(&mut fk("settlements", "created_by_user_id", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("payments")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(big_integer("payer_id"))
                .col(date("received_on"))
                .col(big_integer("amount_pence"))
                .col(string("method"))
                .col(string("reference"))
                .col(string("source"))
                .col(string_null("source_ref"))
                .col(big_integer_null("settlement_id"))
                .col(timestamp_with_time_zone_null("reversed_at"))
                .col(big_integer_null("reversed_by_user_id"))
                .col(text_null("reversal_reason"))
                .col(big_integer_null("created_by_user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("payments", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("payments", "payer_id", "payers", Restrict))
                .foreign_key(&mut fk("payments", "settlement_id", "settlements", Restrict))
                .foreign_key(&mut fk("payments", "reversed_by_user_id", "users", SetNull))
                .foreign_key(&mut fk("payments", "created_by_user_id", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("allocations")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(big_integer("payment_id"))
                .col(big_integer("invoice_id"))
                .col(big_integer("amount_pence"))
                .col(big_integer_null("created_by_user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("undone_at"))
                .col(big_integer_null("undone_by_user_id"))
                .col(text_null("undone_reason"))
                .foreign_key(&mut fk("allocations", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("allocations", "payment_id", "payments", Restrict))
                .foreign_key(&mut fk("allocations", "invoice_id", "invoices", Restrict))
                .foreign_key(&mut fk("allocations", "created_by_user_id", "users", SetNull))
                .foreign_key(&mut fk("allocations", "undone_by_user_id", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("refunds")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(big_integer("payer_id"))
                .col(big_integer_null("payment_id"))
                .col(big_integer("amount_pence"))
                .col(date("refunded_on"))
                .col(string("method"))
                .col(text("reason"))
                .col(big_integer_null("created_by_user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("refunds", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("refunds", "payer_id", "payers", Restrict))
                .foreign_key(&mut fk("refunds", "payment_id", "payments", Restrict))
                .foreign_key(&mut fk("refunds", "created_by_user_id", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("write_offs")
                .col(big_pk_auto("id"))
                .col(big_integer("partnership_id"))
                .col(big_integer("invoice_id"))
                .col(big_integer("amount_pence"))
                .col(date("written_off_on"))
                .col(string("kind"))
                .col(text("reason"))
                .col(big_integer_null("created_by_user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("write_offs", "partnership_id", "partnerships", Cascade))
                .foreign_key(&mut fk("write_offs", "invoice_id", "invoices", Restrict))
                .foreign_key(&mut fk("write_offs", "created_by_user_id", "users", SetNull))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for (table, columns) in INDEXES {
            manager.create_index(index(table, columns, false)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in INDEXES {
            if TABLES.contains(&table) {
                continue;
            }
            let name = format!("ix_{table}_{}", columns.join("_"));
            manager.drop_index(Index::drop().name(name).table(table.to_owned()).to_owned()).await?;
        }
        for table in TABLES {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for (table, column) in [
            ("invoices", "outstanding_pence"),
            ("payers", "ledger_version"),
            ("partnerships", "small_write_off_pence"),
        ] {
            manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
