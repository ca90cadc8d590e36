//! The `renewal_answers` table: one invited school's answer in a renewal round.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "renewal_answers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub round_id: i64,
    pub partnership_id: i64,
    pub school_id: i64,
    pub current_level: Option<String>,
    pub current_paid_by: Option<String>,
    /// waiting, accepted or declined.
    pub state: String,
    pub level_id: Option<i64>,
    pub pupils: Option<i32>,
    pub po_number: Option<String>,
    pub comment: Option<String>,
    pub answered_by_user_id: Option<i64>,
    pub answered_at: Option<DateTimeUtc>,
    pub chased: i32,
    pub last_chased_at: Option<DateTimeUtc>,
    pub membership_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
