//! The `level_entitlements` table: units of a service a membership level includes.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "level_entitlements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub offer_level_id: i64,
    pub service_id: i64,
    /// A decimal string, e.g. "2" days.
    pub units: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
