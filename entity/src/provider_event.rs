//! The `provider_events` table: each Stripe event taken in, once, with what it did.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub event_id: String,
    pub event_type: String,
    pub object_id: Option<String>,
    pub occurred_at: DateTimeUtc,
    pub received_at: DateTimeUtc,
    pub outcome: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
