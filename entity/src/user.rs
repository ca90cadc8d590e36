//! The `users` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    pub role: String,
    pub school_id: Option<i64>,
    pub trust_id: Option<i64>,
    pub local_authority_id: Option<i64>,
    pub password_hash: String,
    pub failed_sign_ins: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub last_sign_in_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
