//! The `users` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    /// Unique within the partnership: one person may have accounts in several partnerships.
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
    /// Set when an admin disables the account: it cannot sign in and its tokens stop working.
    pub disabled_at: Option<DateTimeUtc>,
    /// A one-time password set by an admin: the user must choose their own at once.
    pub must_change_password: bool,
    pub password_changed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::partnership::Entity",
        from = "Column::PartnershipId",
        to = "super::partnership::Column::Id"
    )]
    Partnership,
}

impl Related<super::partnership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Partnership.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
