//! Indexes for what every page reads on a national register: the invoice list newest first, the
//! home page's totals by year and its count of open schools by phase, the register's list of
//! type groups: each answered from an index instead of sorting or reading every row.

use crate::helpers::index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &[&str]); 4] = [
    ("invoices", &["partnership_id", "id"]),
    ("invoices", &["partnership_id", "year", "status", "gross_pence"]),
    ("schools", &["partnership_id", "status", "billing_phase"]),
    ("schools", &["partnership_id", "type_group"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
        Ok(())
    }
}
