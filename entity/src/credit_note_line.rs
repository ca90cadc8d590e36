//! The `credit_note_lines` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credit_note_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub credit_note_id: i64,
    pub invoice_line_id: i64,
    pub description: String,
    pub net_pence: i64,
    pub vat_rate: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
