//! The `job_runs` table: each run of a background job for one partnership.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    /// send_mail or reminders.
    pub job: String,
    /// schedule, page or command_line.
    pub trigger: String,
    /// Which process ran it (host and process id).
    pub instance: String,
    /// The day the job took as today.
    pub today: Date,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// running, succeeded, failed or skipped.
    pub outcome: String,
    /// What it did, in words.
    pub summary: String,
    pub user_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
