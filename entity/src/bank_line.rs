//! The `bank_lines` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bank_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub statement_id: i64,
    pub line_no: i32,
    pub booked_on: Date,
    pub amount_pence: i64,
    pub description: String,
    pub counterparty: Option<String>,
    pub balance_pence: Option<i64>,
    pub bank_id: Option<String>,
    pub fingerprint: String,
    pub state: String,
    pub suggestions: Option<String>,
    pub decision: Option<String>,
    pub decided_by_user_id: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
