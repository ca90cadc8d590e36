//! The `services` table: one traded service of a partnership's catalogue.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub name: String,
    pub description: String,
    /// adviser_support, peer_review, cpd_course, … (see `domain::traded::Category`).
    pub category: String,
    /// day, half_day, hour, place, … (see `domain::traded::Unit`).
    pub unit: String,
    pub vat_rate: String,
    /// traded_services unless another income stream is chosen.
    pub income_stream: String,
    /// on_confirmation, on_delivery or monthly_in_arrears.
    pub invoicing: String,
    pub active_from: Date,
    pub active_to: Option<Date>,
    pub accounting_code: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
