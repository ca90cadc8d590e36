//! The `provider_rates` table: what the partnership pays a provider school a unit of a service.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_rates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub school_id: i64,
    pub service_id: i64,
    pub rate_pence: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
