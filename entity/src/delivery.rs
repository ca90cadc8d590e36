//! The `deliveries` table: one delivery of (part of) an order: when, how many units, who.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub order_id: i64,
    pub delivered_on: Date,
    /// A decimal string of the order's units.
    pub units: String,
    pub delivered_by: String,
    /// The school the person came from, when the partnership buys the time from a school.
    pub provider_school_id: Option<i64>,
    /// What the partnership owes the provider for it (0 for its own advisers).
    pub payable_pence: i64,
    pub notes: String,
    pub statement_id: Option<i64>,
    pub created_by_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
