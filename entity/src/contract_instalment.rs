//! The `contract_instalments` table: what a contract is paid in, each invoiced once.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contract_instalments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub contract_id: i64,
    pub position: i32,
    /// instalment, matched or milestone.
    pub kind: String,
    pub contract_year: i32,
    pub description: String,
    pub period_start: Date,
    pub period_end: Date,
    /// None for a milestone not yet signed off.
    pub due_on: Option<Date>,
    /// None for matched funding until it is worked out from the ledger.
    pub amount_pence: Option<i64>,
    /// scheduled, invoiced or cancelled.
    pub state: String,
    pub deliverable_id: Option<i64>,
    pub invoice_id: Option<i64>,
    /// How the amount was worked out (matched funding).
    pub working: Option<String>,
    /// Unique: "contract:ID:POSITION".
    pub charge_key: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
