//! The `credit_note_rates` table: a credit note's net and VAT at each rate, as issued.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credit_note_rates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub credit_note_id: i64,
    pub vat_rate: String,
    pub net_pence: i64,
    pub vat_pence: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
