//! The `income_budgets` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "income_budgets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    /// Membership year, e.g. "2025-26".
    pub year: String,
    /// Income stream, a key of `INCOME_STREAMS`: "memberships", "traded_services", "la_commission", ...
    pub stream: String,
    /// Whole pence.
    pub amount_pence: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
