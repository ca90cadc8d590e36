//! The register of schools: lists, one school, pupil-number history.

use super::{FieldError, ServiceError};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::pupils::{PupilFigure, PupilSource, figure_in_force, parse_pupils};
use crate::domain::role::SchoolScope;
use crate::domain::school::{SchoolStatus, Urn};
use chrono::NaiveDate;
use entity::{local_authority, pupil_count, school, school_link, trust, user};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use std::collections::HashMap;

/// A local authority of the partnership.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LocalAuthority {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// A multi-academy trust of the partnership.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Trust {
    pub id: i64,
    pub name: String,
    pub companies_house_number: Option<String>,
}

/// A school as lists and pages show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SchoolSummary {
    #[serde(skip)]
    pub id: i64,
    pub urn: Urn,
    pub name: String,
    pub local_authority: LocalAuthority,
    pub type_name: String,
    pub type_group: Option<String>,
    pub gias_phase: String,
    pub billing_phase: BillingPhase,
    pub status: SchoolStatus,
    pub trust: Option<Trust>,
    pub postcode: Option<String>,
    /// The number on roll in force on the date asked about; `None` means it needs one.
    pub pupils: Option<i32>,
    pub needs_pupil_number: bool,
}

/// Filters for the schools list; every field optional.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SchoolFilter {
    /// Part of the name, or a URN.
    pub q: Option<String>,
    /// Local authority code.
    pub la: Option<String>,
    pub phase: Option<String>,
    pub type_group: Option<String>,
    pub status: Option<String>,
    /// Trust record id.
    pub trust: Option<i64>,
    /// Only schools with no pupil number in force today.
    pub needs_pupils: Option<bool>,
}

/// One page of schools and the count over all pages.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SchoolPage {
    pub schools: Vec<SchoolSummary>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub pages: u64,
}

/// The partnership's local authorities and trusts, for names and filter lists.
pub struct Lookups {
    pub las: HashMap<i64, LocalAuthority>,
    pub trusts: HashMap<i64, Trust>,
}

pub async fn local_authorities(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<LocalAuthority>, ServiceError> {
    Ok(local_authority::Entity::find()
        .filter(local_authority::Column::PartnershipId.eq(partnership_id))
        .order_by_asc(local_authority::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|m| LocalAuthority { id: m.id, code: m.code, name: m.name })
        .collect())
}

pub async fn trusts(db: &impl ConnectionTrait, partnership_id: i64) -> Result<Vec<Trust>, ServiceError> {
    Ok(trust::Entity::find()
        .filter(trust::Column::PartnershipId.eq(partnership_id))
        .order_by_asc(trust::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|m| Trust { id: m.id, name: m.name, companies_house_number: m.companies_house_number })
        .collect())
}

pub async fn lookups(db: &impl ConnectionTrait, partnership_id: i64) -> Result<Lookups, ServiceError> {
    Ok(Lookups {
        las: local_authorities(db, partnership_id).await?.into_iter().map(|l| (l.id, l)).collect(),
        trusts: trusts(db, partnership_id).await?.into_iter().map(|t| (t.id, t)).collect(),
    })
}

fn scope_condition(scope: SchoolScope) -> Condition {
    match scope {
        SchoolScope::All => Condition::all(),
        SchoolScope::School(id) => Condition::all().add(school::Column::Id.eq(id)),
        SchoolScope::Trust(id) => Condition::all().add(school::Column::TrustId.eq(id)),
        SchoolScope::Nothing => Condition::all().add(school::Column::Id.is_null()),
    }
}

/// Checks the filter's closed-list values, naming any that is not one of them.
fn check_filter(filter: &SchoolFilter) -> Result<(), ServiceError> {
    let mut errors = Vec::new();
    if let Some(phase) = filter.phase.as_deref().filter(|p| !p.is_empty())
        && BillingPhase::parse(phase).is_none()
    {
        errors.push(FieldError {
            field: "phase".into(),
            message: format!("\"{phase}\" is not a billing phase"),
        });
    }
    if let Some(status) = filter.status.as_deref().filter(|s| !s.is_empty())
        && SchoolStatus::parse(status).is_none()
    {
        errors.push(FieldError {
            field: "status".into(),
            message: format!("\"{status}\" is not a school status"),
        });
    }
    if errors.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(errors)) }
}

/// One page (from 1) of the schools a scope reaches, filtered, by name.
pub async fn list_schools(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    filter: &SchoolFilter,
    today: NaiveDate,
    page: u64,
    per_page: u64,
) -> Result<SchoolPage, ServiceError> {
    check_filter(filter)?;
    let lookups = lookups(db, partnership_id).await?;
    let mut query = school::Entity::find()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .filter(scope_condition(scope));
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
        let mut by_text =
            Condition::any().add(Expr::expr(Func::lower(Expr::col(school::Column::Name))).like(pattern));
        if let Ok(urn) = Urn::parse(q) {
            by_text = by_text.add(school::Column::Urn.eq(urn.value()));
        }
        query = query.filter(by_text);
    }
    if let Some(code) = filter.la.as_deref().filter(|c| !c.is_empty()) {
        let la_ids: Vec<i64> = lookups.las.values().filter(|l| l.code == code).map(|l| l.id).collect();
        query = query.filter(school::Column::LocalAuthorityId.is_in(la_ids));
    }
    if let Some(phase) = filter.phase.as_deref().and_then(BillingPhase::parse) {
        query = query.filter(school::Column::BillingPhase.eq(phase.label()));
    }
    if let Some(group) = filter.type_group.as_deref().filter(|g| !g.is_empty()) {
        query = query.filter(school::Column::TypeGroup.eq(group));
    }
    if let Some(status) = filter.status.as_deref().and_then(SchoolStatus::parse) {
        query = query.filter(school::Column::Status.eq(status.as_str()));
    }
    if let Some(trust_id) = filter.trust {
        query = query.filter(school::Column::TrustId.eq(trust_id));
    }
    if filter.needs_pupils == Some(true) {
        query = query.filter(
            school::Column::Id.not_in_subquery(
                Query::select()
                    .column(pupil_count::Column::SchoolId)
                    .from(pupil_count::Entity)
                    .and_where(pupil_count::Column::CensusDate.lte(today))
                    .to_owned(),
            ),
        );
    }
    let per_page = per_page.clamp(1, 500);
    let paginator =
        query.order_by_asc(school::Column::Name).order_by_asc(school::Column::Urn).paginate(db, per_page);
    let counts = paginator.num_items_and_pages().await?;
    let pages = Ord::max(counts.number_of_pages, 1);
    let page = page.clamp(1, pages);
    let models = paginator.fetch_page(page - 1).await?;
    let schools = summaries(db, &lookups, models, today).await?;
    Ok(SchoolPage { schools, total: counts.number_of_items, page, per_page, pages })
}

/// Pupil figures by school id, each with the row it was read from.
pub type FiguresBySchool = HashMap<i64, Vec<(PupilFigure, pupil_count::Model)>>;

fn add_figures(by_school: &mut FiguresBySchool, rows: Vec<pupil_count::Model>) {
    for row in rows {
        let figure = PupilFigure {
            census_date: row.census_date,
            pupils: row.pupils,
            source: PupilSource::parse(&row.source).unwrap_or(PupilSource::Manual),
            sequence: row.id,
        };
        by_school.entry(row.school_id).or_default().push((figure, row));
    }
}

/// The pupil number of a school in force on `on` (see [`figure_in_force`]).
pub fn pupils_in_force(figures: &FiguresBySchool, school_id: i64, on: NaiveDate) -> Option<i32> {
    let plain: Vec<PupilFigure> =
        figures.get(&school_id).map(|f| f.iter().map(|(p, _)| p.clone()).collect()).unwrap_or_default();
    figure_in_force(&plain, on).map(|f| f.pupils)
}

/// Pupil figures of some schools, by school id.
pub async fn pupil_figures(
    db: &impl ConnectionTrait,
    school_ids: &[i64],
) -> Result<FiguresBySchool, ServiceError> {
    let mut by_school = FiguresBySchool::new();
    for chunk in school_ids.chunks(500) {
        let rows = pupil_count::Entity::find()
            .filter(pupil_count::Column::SchoolId.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        add_figures(&mut by_school, rows);
    }
    Ok(by_school)
}

/// Every pupil figure of a partnership's schools, by school id, in one query.
pub async fn pupil_figures_of_partnership(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<FiguresBySchool, ServiceError> {
    let rows = pupil_count::Entity::find()
        .filter(
            pupil_count::Column::SchoolId.in_subquery(
                Query::select()
                    .column(school::Column::Id)
                    .from(school::Entity)
                    .and_where(school::Column::PartnershipId.eq(partnership_id))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?;
    let mut by_school = FiguresBySchool::new();
    add_figures(&mut by_school, rows);
    Ok(by_school)
}

async fn summaries(
    db: &impl ConnectionTrait,
    lookups: &Lookups,
    models: Vec<school::Model>,
    today: NaiveDate,
) -> Result<Vec<SchoolSummary>, ServiceError> {
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let figures = pupil_figures(db, &ids).await?;
    Ok(models
        .into_iter()
        .map(|m| {
            let pupils = pupils_in_force(&figures, m.id, today);
            summary(lookups, m, pupils)
        })
        .collect())
}

fn summary(lookups: &Lookups, m: school::Model, pupils: Option<i32>) -> SchoolSummary {
    let local_authority = lookups.las.get(&m.local_authority_id).cloned().unwrap_or(LocalAuthority {
        id: m.local_authority_id,
        code: String::new(),
        name: String::new(),
    });
    SchoolSummary {
        id: m.id,
        urn: Urn::from_stored(m.urn),
        name: m.name,
        local_authority,
        billing_phase: BillingPhase::parse(&m.billing_phase).unwrap_or(BillingPhase::Other),
        type_name: m.type_name,
        type_group: m.type_group,
        gias_phase: m.gias_phase,
        status: SchoolStatus::parse(&m.status).unwrap_or(SchoolStatus::Open),
        trust: m.trust_id.and_then(|id| lookups.trusts.get(&id).cloned()),
        postcode: m.postcode,
        pupils,
        needs_pupil_number: pupils.is_none(),
    }
}

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
    let figures = pupil_figures(db, &[model.id]).await?.remove(&model.id).unwrap_or_default();
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
        summary: summary(&lookups, model, pupils),
        history,
        links,
    })
}

async fn find_school(
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
    let reason = input.reason.trim();
    if reason.is_empty() {
        errors.push(FieldError {
            field: "reason".into(),
            message: "Say why this figure is entered by hand (e.g. the school's own census return)".into(),
        });
    }
    let (Some(census_date), Some(pupils), true) = (census_date, pupils, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    pupil_count::ActiveModel {
        school_id: Set(school.id),
        census_date: Set(census_date),
        pupils: Set(pupils),
        source: Set(PupilSource::Manual.as_str().to_string()),
        entered_by_user_id: Set(Some(entered_by)),
        reason: Set(Some(reason.to_string())),
        recorded_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// How many schools the partnership has, by billing phase (home pages and reports).
pub async fn count_by_phase(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
) -> Result<Vec<(BillingPhase, u64)>, ServiceError> {
    let mut counts = Vec::new();
    for phase in BillingPhase::ALL {
        let n = school::Entity::find()
            .filter(school::Column::PartnershipId.eq(partnership_id))
            .filter(school::Column::BillingPhase.eq(phase.label()))
            .filter(school::Column::Status.ne(SchoolStatus::Closed.as_str()))
            .filter(scope_condition(scope))
            .count(db)
            .await?;
        if n > 0 {
            counts.push((phase, n));
        }
    }
    Ok(counts)
}

/// The GIAS type groups present in the partnership's register, for filter lists.
pub async fn type_groups(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<String>, ServiceError> {
    use sea_orm::QuerySelect;
    let mut groups: Vec<Option<String>> = school::Entity::find()
        .select_only()
        .column(school::Column::TypeGroup)
        .distinct()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .into_tuple()
        .all(db)
        .await?;
    groups.sort();
    Ok(groups.into_iter().flatten().collect())
}
