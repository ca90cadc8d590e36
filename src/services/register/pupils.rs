//! Pupil figures: each school's history, the figure in force on a date, entries by hand.

use super::super::{FieldError, ServiceError, read_stored};
use super::school_detail::find_school;
use crate::domain::pupils::{PupilFigure, PupilSource, figure_in_force, parse_pupils};
use crate::domain::role::SchoolScope;
use crate::domain::school::Urn;
use crate::domain::text::{self, MAX_REASON_CHARS};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{pupil_count, school};
use sea_orm::sea_query::Query;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use std::collections::HashMap;

/// Pupil figures by school id.
pub type FiguresBySchool = HashMap<i64, Vec<PupilFigure>>;

/// A stored pupil figure as the domain reads it; `sequence` orders figures of one census date.
pub(super) fn figure_of(row: &pupil_count::Model) -> Result<PupilFigure, ServiceError> {
    Ok(PupilFigure {
        census_date: row.census_date,
        pupils: row.pupils,
        source: read_stored("pupil_counts", "source", &row.source)?,
        sequence: row.id,
    })
}

/// The columns a figure is read from: school, census date, pupils, source, id.
type FigureRow = (i64, NaiveDate, i32, String, i64);

fn figure_columns(
    query: sea_orm::Select<pupil_count::Entity>,
) -> sea_orm::Selector<sea_orm::SelectGetableTuple<FigureRow>> {
    use pupil_count::Column as C;
    use sea_orm::QuerySelect;
    query.select_only().columns([C::SchoolId, C::CensusDate, C::Pupils, C::Source, C::Id]).into_tuple()
}

fn add_figures(by_school: &mut FiguresBySchool, rows: Vec<FigureRow>) -> Result<(), ServiceError> {
    for (school_id, census_date, pupils, source, id) in rows {
        let source = read_stored("pupil_counts", "source", &source)?;
        by_school.entry(school_id).or_default().push(PupilFigure {
            census_date,
            pupils,
            source,
            sequence: id,
        });
    }
    Ok(())
}

/// The pupil number of a school in force on `on` (see [`figure_in_force`]).
pub fn pupils_in_force(figures: &FiguresBySchool, school_id: i64, on: NaiveDate) -> Option<i32> {
    figures.get(&school_id).and_then(|f| figure_in_force(f, on)).map(|f| f.pupils)
}

/// Pupil figures of some schools, by school id.
pub async fn pupil_figures(
    db: &impl ConnectionTrait,
    school_ids: &[i64],
) -> Result<FiguresBySchool, ServiceError> {
    let mut by_school = FiguresBySchool::new();
    for chunk in school_ids.chunks(500) {
        let query = pupil_count::Entity::find().filter(pupil_count::Column::SchoolId.is_in(chunk.to_vec()));
        let rows = figure_columns(query).all(db).await?;
        add_figures(&mut by_school, rows)?;
    }
    Ok(by_school)
}

/// Every pupil figure of a partnership's schools, by school id, in one query.
pub async fn pupil_figures_of_partnership(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<FiguresBySchool, ServiceError> {
    let query = pupil_count::Entity::find().filter(
        pupil_count::Column::SchoolId.in_subquery(
            Query::select()
                .column(school::Column::Id)
                .from(school::Entity)
                .and_where(school::Column::PartnershipId.eq(partnership_id))
                .to_owned(),
        ),
    );
    let rows = figure_columns(query).all(db).await?;
    let mut by_school = FiguresBySchool::new();
    add_figures(&mut by_school, rows)?;
    Ok(by_school)
}

/// A pupil number typed by a member of staff.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ManualPupilFigure {
    pub census_date: String,
    pub pupils: String,
    pub reason: String,
}

/// Records a pupil number by hand, with who entered it and why.
pub async fn add_manual_pupil_figure(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    urn: Urn,
    entered_by: i64,
    input: &ManualPupilFigure,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let school = find_school(db, partnership_id, scope, urn).await?;
    let mut errors = Vec::new();
    let census_date = crate::domain::gias::parse_gias_date(&input.census_date);
    let census_date = match census_date {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.push(FieldError { field: "census_date".into(), message: "Enter the census date".into() });
            None
        }
        Err(e) => {
            errors.push(FieldError { field: "census_date".into(), message: e });
            None
        }
    };
    let pupils = parse_pupils(&input.pupils)
        .map_err(|e| errors.push(FieldError { field: "pupils".into(), message: e }))
        .ok();
    let reason = text::required(
        &input.reason,
        MAX_REASON_CHARS,
        "Say why this figure is entered by hand (e.g. the school's own census return)",
    )
    .map_err(|message| errors.push(FieldError { field: "reason".into(), message }))
    .ok();
    let (Some(census_date), Some(pupils), Some(reason), true) =
        (census_date, pupils, reason, errors.is_empty())
    else {
        return Err(ServiceError::Invalid(errors));
    };
    pupil_count::ActiveModel {
        school_id: Set(school.id),
        census_date: Set(census_date),
        pupils: Set(pupils),
        source: Set(PupilSource::Manual.as_str().to_string()),
        entered_by_user_id: Set(Some(entered_by)),
        reason: Set(Some(reason)),
        recorded_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
