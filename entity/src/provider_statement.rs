//! The `provider_statements` table: a month's self-billing statement for a provider school.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_statements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub school_id: i64,
    /// "2026-10".
    pub month: String,
    pub number: String,
    pub total_pence: i64,
    pub created_at: DateTimeUtc,
    pub paid_on: Option<Date>,
    pub paid_reference: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
