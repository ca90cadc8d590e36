//! The `service_budgets` table: a year's budget for one traded service.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_budgets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    /// Membership year, e.g. "2025-26".
    pub year: String,
    /// The traded service budgeted for.
    pub service_id: i64,
    /// Whole pence.
    pub amount_pence: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
