//! The `schools` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "schools")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub urn: i32,
    pub name: String,
    pub local_authority_id: i64,
    pub establishment_number: Option<String>,
    pub type_name: String,
    pub type_group: Option<String>,
    pub gias_phase: String,
    pub billing_phase: String,
    pub low_age: Option<i32>,
    pub high_age: Option<i32>,
    pub status: String,
    pub open_date: Option<Date>,
    pub close_date: Option<Date>,
    pub trust_id: Option<i64>,
    pub postcode: Option<String>,
    /// Street to county, one part a line (the postcode is its own column).
    pub address: Option<String>,
    /// A customer from outside the partnership's area: buys traded services at non-member
    /// prices, and is not counted among the area's schools.
    pub outside_area: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
