//! The `contract_deliverables` table: reports and work a contract expects back, some of them
//! milestones that release a payment when signed off.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contract_deliverables")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub contract_id: i64,
    pub title: String,
    pub due_on: Date,
    pub done_on: Option<Date>,
    pub note: Option<String>,
    pub done_by_user_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
