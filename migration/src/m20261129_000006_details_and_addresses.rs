//! What a school's finance office needs on a document: the partnership's company number and
//! registered office; full postal addresses for schools, trusts and councils; a payer's billing
//! contact; a board paper's purpose, decision sought, recommendation and the day it was marked
//! final; and, on each invoice as issued, the company number and registered office. Indexes
//! answer the lists and counts every page shows on a national register: the audit log's entries
//! about one thing, invoices by period and by state, payers by name.

use crate::helpers::index;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string_null, text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, column, is long text)
const COLUMNS: [(&str, &str, bool); 12] = [
    ("partnerships", "company_number", false),
    ("partnerships", "registered_office", true),
    ("schools", "address", true),
    ("trusts", "address", true),
    ("local_authorities", "address", true),
    ("payers", "contact_name", false),
    ("invoices", "supplier_company_number", false),
    ("invoices", "supplier_registered_office", true),
    ("scenarios", "paper_purpose", true),
    ("scenarios", "paper_decision", true),
    ("scenarios", "paper_recommendation", true),
    ("scenarios", "paper_final_on", false),
];

const INDEXES: [(&str, &[&str]); 4] = [
    ("audit_log", &["partnership_id", "entity", "entity_id"]),
    ("invoices", &["partnership_id", "year", "period"]),
    ("invoices", &["partnership_id", "status", "payer_id"]),
    ("payers", &["partnership_id", "name"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column, long) in COLUMNS {
            let mut def = if long { text_null(column) } else { string_null(column) };
            manager.alter_table(Table::alter().table(table).add_column(&mut def).to_owned()).await?;
        }
        for (table, columns) in INDEXES {
            manager.create_index(index(table, columns, false)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in INDEXES {
            let name = format!("ix_{table}_{}", columns.join("_"));
            manager.drop_index(Index::drop().name(name).table(table.to_owned()).to_owned()).await?;
        }
        for (table, column, _) in COLUMNS {
            manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
