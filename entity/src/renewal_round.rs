//! The `renewal_rounds` table: finance's invitation to schools to renew for a year's offer.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "renewal_rounds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub offer_id: i64,
    pub answer_by: Date,
    pub note: Option<String>,
    pub opened_by_user_id: Option<i64>,
    pub opened_at: DateTimeUtc,
    /// When finance closed the round (after turning its answers into memberships).
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
