//! The `contract_variations` table: who changed a contract's value, when, from when and why.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contract_variations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub contract_id: i64,
    pub effective_from: Date,
    pub reason: String,
    pub old_value_pence: i64,
    pub new_value_pence: i64,
    pub old_yearly_pence: String,
    pub new_yearly_pence: String,
    pub user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
