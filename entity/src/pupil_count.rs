//! The `pupil_counts` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pupil_counts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub census_date: Date,
    pub pupils: i32,
    pub source: String,
    pub entered_by_user_id: Option<i64>,
    pub reason: Option<String>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
