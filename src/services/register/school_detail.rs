//! One school as its page shows it: details, pupil-number history and GIAS links.

use super::super::ServiceError;
use super::pupils::figure_of;
use super::{SchoolSummary, lookups, scope_condition, summary};
use crate::domain::pupils::{PupilFigure, PupilSource, figure_in_force};
use crate::domain::role::SchoolScope;
use crate::domain::school::Urn;
use chrono::NaiveDate;
use entity::{pupil_count, school, school_link, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// One entry of a school's pupil-number history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PupilHistoryEntry {
    pub census_date: NaiveDate,
    pub pupils: i32,
    pub source: PupilSource,
    pub entered_by: Option<String>,
    pub reason: Option<String>,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub in_force: bool,
}

/// A school linked to another by GIAS (e.g. the academy that succeeded it).
#[derive(Debug, Clone, serde::Serialize)]
pub struct LinkedSchool {
    pub urn: Urn,
    pub kind: String,
    /// The linked school's name when it is in this partnership's register.
    pub name: Option<String>,
}

/// Everything the school page shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SchoolDetail {
    #[serde(flatten)]
    pub summary: SchoolSummary,
    pub establishment_number: Option<String>,
    pub low_age: Option<i32>,
    pub high_age: Option<i32>,
    pub open_date: Option<NaiveDate>,
    pub close_date: Option<NaiveDate>,
    pub history: Vec<PupilHistoryEntry>,
    pub links: Vec<LinkedSchool>,
}

/// One school by URN, if the scope reaches it; otherwise not found (never "forbidden", so
/// URNs of other schools are not revealed).
pub async fn school_detail(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    urn: Urn,
    today: NaiveDate,
) -> Result<SchoolDetail, ServiceError> {
    let model = find_school(db, partnership_id, scope, urn).await?;
    let lookups = lookups(db, partnership_id).await?;
    let rows = pupil_count::Entity::find().filter(pupil_count::Column::SchoolId.eq(model.id)).all(db).await?;
    let figures: Vec<(PupilFigure, pupil_count::Model)> =
        rows.into_iter().map(|r| figure_of(&r).map(|f| (f, r))).collect::<Result<_, _>>()?;
    let plain: Vec<PupilFigure> = figures.iter().map(|(f, _)| f.clone()).collect();
    let in_force = figure_in_force(&plain, today).map(|f| f.sequence);
    let user_ids: Vec<i64> = figures.iter().filter_map(|(_, m)| m.entered_by_user_id).collect();
    let names: HashMap<i64, String> = if user_ids.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(user_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect()
    };
    let mut history: Vec<PupilHistoryEntry> = figures
        .iter()
        .map(|(f, m)| PupilHistoryEntry {
            census_date: f.census_date,
            pupils: f.pupils,
            source: f.source,
            entered_by: m.entered_by_user_id.and_then(|id| names.get(&id).cloned()),
            reason: m.reason.clone(),
            recorded_at: m.recorded_at,
            in_force: Some(f.sequence) == in_force,
        })
        .collect();
    history.sort_by_key(|h| std::cmp::Reverse((h.census_date, h.recorded_at)));
    let link_rows = school_link::Entity::find()
        .filter(school_link::Column::SchoolId.eq(model.id))
        .order_by_asc(school_link::Column::LinkedUrn)
        .all(db)
        .await?;
    let linked_urns: Vec<i32> = link_rows.iter().map(|l| l.linked_urn).collect();
    let linked_names: HashMap<i32, String> = school::Entity::find()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .filter(school::Column::Urn.is_in(linked_urns))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.urn, s.name))
        .collect();
    let links = link_rows
        .into_iter()
        .map(|l| LinkedSchool {
            urn: Urn::from_stored(l.linked_urn),
            name: linked_names.get(&l.linked_urn).cloned(),
            kind: l.kind,
        })
        .collect();
    let pupils = in_force.and_then(|seq| plain.iter().find(|f| f.sequence == seq)).map(|f| f.pupils);
    Ok(SchoolDetail {
        establishment_number: model.establishment_number.clone(),
        low_age: model.low_age,
        high_age: model.high_age,
        open_date: model.open_date,
        close_date: model.close_date,
        summary: summary(&lookups, model, pupils)?,
        history,
        links,
    })
}

pub(super) async fn find_school(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    urn: Urn,
) -> Result<school::Model, ServiceError> {
    school::Entity::find()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .filter(school::Column::Urn.eq(urn.value()))
        .filter(scope_condition(scope))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("school with URN {urn}")))
}
