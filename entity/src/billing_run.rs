//! The `billing_runs` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub year: String,
    pub period: String,
    /// running, committed or failed.
    pub status: String,
    pub started_by_user_id: Option<i64>,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub invoices_raised: i32,
    pub total_pence: i64,
    /// Invoices the run planned to raise.
    pub planned: i32,
    /// When the run last wrote a batch (or started).
    pub heartbeat_at: Option<DateTimeUtc>,
    /// Why the run stopped, when it failed.
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
