//! The `payments` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub payer_id: i64,
    pub received_on: Date,
    pub amount_pence: i64,
    pub method: String,
    pub reference: String,
    pub source: String,
    pub source_ref: Option<String>,
    pub settlement_id: Option<i64>,
    pub reversed_at: Option<DateTimeUtc>,
    pub reversed_by_user_id: Option<i64>,
    pub reversal_reason: Option<String>,
    pub created_by_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
