//! The `payers` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    /// school, trust or council.
    pub kind: String,
    /// "school:ID", "trust:ID" or "council:ID": one payer per thing that pays.
    pub reference: String,
    pub name: String,
    pub address: String,
    pub email: Option<String>,
    pub contact_name: Option<String>,
    pub requires_po: bool,
    pub ledger_version: i64,
    /// Why reminders are paused for this payer (none when they are on).
    pub reminders_paused: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
