//! The `invoice_lines` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub invoice_id: i64,
    pub position: i32,
    pub description: String,
    /// Decimal string.
    pub quantity: String,
    pub unit_price_pence: i64,
    pub net_pence: i64,
    pub vat_rate: String,
    pub school_id: Option<i64>,
    /// membership (later: order, commission).
    pub source_kind: String,
    pub source_id: i64,
    /// What this line charges, unique: the same charge can never be raised twice.
    pub charge_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
