//! The `scenarios` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scenarios")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub partnership_id: i64,
    pub name: String,
    /// The scenario as JSON (see `domain::funding::Scenario`).
    pub document: String,
    pub updated_by_user_id: Option<i64>,
    pub updated_at: DateTimeUtc,
    pub paper_purpose: Option<String>,
    pub paper_decision: Option<String>,
    pub paper_recommendation: Option<String>,
    /// The day finance marked the board paper final (YYYY-MM-DD); a draft until then.
    pub paper_final_on: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
