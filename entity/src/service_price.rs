//! The `service_prices` table: one service's price list for one year, each price a fee rule.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_prices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub service_id: i64,
    pub year: String,
    /// The member price, as a fee rule's JSON.
    pub member_rule: String,
    /// The non-member price (none: members only).
    pub non_member_rule: Option<String>,
    /// Prices for particular levels: a JSON object of level name to fee rule.
    pub level_rules: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
