//! The `exports` table: an accounting export, what it covered and what it held.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    /// xero, xero_payments, sage50, quickbooks or journal.
    pub format: String,
    pub from_date: Date,
    pub to_date: Date,
    pub invoices: i64,
    pub credit_notes: i64,
    /// Payments received the export holds (a bank-statement file's lines).
    pub payments: i64,
    pub files: i64,
    pub user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
