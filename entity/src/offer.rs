//! The `offers` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    /// Membership year, e.g. "2025-26".
    pub year: String,
    pub billing_plan: String,
    pub pro_rata_unit: String,
    /// Percent as a decimal string.
    pub trust_discount_percent: String,
    pub first_year_discount_percent: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
