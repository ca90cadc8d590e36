//! The register of schools: lists, one school, pupil-number history. Every stored school and
//! pupil figure is read strictly (see `stored`).

mod pupils;
mod school_detail;
mod stored;

pub use pupils::{
    FiguresBySchool, ManualPupilFigure, add_manual_pupil_figure, pupil_figures, pupil_figures_of_partnership,
    pupils_in_force,
};
pub use school_detail::{LinkedSchool, PupilHistoryEntry, SchoolDetail, school_detail};
pub use stored::{billing_phase_of, status_of};

use super::{FieldError, ServiceError};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::role::SchoolScope;
use crate::domain::school::{SchoolStatus, Urn};
use chrono::NaiveDate;
use entity::{local_authority, pupil_count, school, trust};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
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
    /// Street to county, one part a line.
    pub address: Option<String>,
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
    let read = async {
        Ok(local_authority::Entity::find()
            .filter(local_authority::Column::PartnershipId.eq(partnership_id))
            .order_by_asc(local_authority::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|m| LocalAuthority { id: m.id, code: m.code, name: m.name })
            .collect())
    };
    super::counts::kept(|| format!("local authorities of {partnership_id}"), read).await
}

pub async fn trusts(db: &impl ConnectionTrait, partnership_id: i64) -> Result<Vec<Trust>, ServiceError> {
    let read = async {
        Ok(trust::Entity::find()
            .filter(trust::Column::PartnershipId.eq(partnership_id))
            .order_by_asc(trust::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|m| Trust { id: m.id, name: m.name, companies_house_number: m.companies_house_number })
            .collect())
    };
    super::counts::kept(|| format!("trusts of {partnership_id}"), read).await
}

/// The local authorities the scope's schools are in (all of them for finance and admins): a
/// business manager does not list every council of the partnership.
pub async fn local_authorities_in_scope(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
) -> Result<Vec<LocalAuthority>, ServiceError> {
    let mut all = local_authorities(db, partnership_id).await?;
    if scope != SchoolScope::All {
        let ids = scoped_ids(db, partnership_id, scope, school::Column::LocalAuthorityId).await?;
        all.retain(|la| ids.contains(&la.id));
    }
    Ok(all)
}

/// The trusts the scope's schools belong to (all of them for finance and admins).
pub async fn trusts_in_scope(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
) -> Result<Vec<Trust>, ServiceError> {
    let mut all = trusts(db, partnership_id).await?;
    if scope != SchoolScope::All {
        let ids = scoped_ids(db, partnership_id, scope, school::Column::TrustId).await?;
        all.retain(|t| ids.contains(&t.id));
    }
    Ok(all)
}

async fn scoped_ids(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    column: school::Column,
) -> Result<Vec<i64>, ServiceError> {
    use sea_orm::QuerySelect;
    let ids: Vec<Option<i64>> = school::Entity::find()
        .select_only()
        .column(column)
        .distinct()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .filter(scope_condition(scope))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().flatten().collect())
}

/// The partnership's local authorities and trusts by id, kept like the lists they come from (a
/// national register has hundreds of each: the maps are not built again for every page).
pub async fn lookups(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<std::sync::Arc<Lookups>, ServiceError> {
    let read = async {
        Ok::<_, ServiceError>(std::sync::Arc::new(Lookups {
            las: local_authorities(db, partnership_id).await?.into_iter().map(|l| (l.id, l)).collect(),
            trusts: trusts(db, partnership_id).await?.into_iter().map(|t| (t.id, t)).collect(),
        }))
    };
    super::counts::kept(|| format!("lookups of {partnership_id}"), read).await
}

/// The names and URNs of schools by id (one query, however many).
pub async fn school_names(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> Result<std::collections::HashMap<i64, (String, i32)>, ServiceError> {
    use sea_orm::QuerySelect;
    Ok(school::Entity::find()
        .select_only()
        .column(school::Column::Id)
        .column(school::Column::Name)
        .column(school::Column::Urn)
        .filter(school::Column::Id.is_in(ids))
        .into_tuple::<(i64, String, i32)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, name, urn)| (id, (name, urn)))
        .collect())
}

/// A business manager's own schools (one, or their trust's), by name; none for a scope of every
/// school or of none.
pub async fn own_schools(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
) -> Result<Vec<school::Model>, ServiceError> {
    use sea_orm::{QueryOrder, QuerySelect};
    if matches!(scope, SchoolScope::All | SchoolScope::Nothing) {
        return Ok(vec![]);
    }
    Ok(school::Entity::find()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .filter(scope_condition(scope))
        .order_by_asc(school::Column::Name)
        .limit(1000)
        .all(db)
        .await?)
}

pub(super) fn scope_condition(scope: SchoolScope) -> Condition {
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
    let query = filtered(db, partnership_id, scope, filter, &lookups, today);
    let per_page = per_page.clamp(1, 500);
    let query = query.order_by_asc(school::Column::Name).order_by_asc(school::Column::Id);
    let searched = filter.q.as_deref().is_some_and(|q| !q.trim().is_empty());
    let found = if searched {
        super::page_of(db, query, page, per_page).await?
    } else {
        super::page_in_kept_order(db, query, school::Column::Id, page, per_page).await?
    };
    let schools = summaries(db, &lookups, found.rows, today).await?;
    Ok(SchoolPage { schools, total: found.total, page: found.page, per_page, pages: found.pages })
}

/// How many schools a scope reaches that match the filter (one count, no rows read back).
pub async fn count_schools(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    filter: &SchoolFilter,
    today: NaiveDate,
) -> Result<u64, ServiceError> {
    use sea_orm::PaginatorTrait;
    check_filter(filter)?;
    let lookups = if filter.la.as_deref().is_some_and(|c| !c.is_empty()) {
        lookups(db, partnership_id).await?
    } else {
        std::sync::Arc::new(Lookups { las: HashMap::new(), trusts: HashMap::new() })
    };
    Ok(filtered(db, partnership_id, scope, filter, &lookups, today).count(db).await?)
}

/// Schools whose name contains `q` (any case). On SQLite the trigram index of names
/// (`school_names`, migration 24) finds the few schools holding the pieces of `q` first; its
/// LIKE has no escape character, so it may find more (a `%` or `_` typed is a wildcard to it)
/// and the name itself is then checked as every backend checks it. On PostgreSQL, ILIKE reads
/// the name's trigram index.
pub(crate) fn name_contains(backend: sea_orm::DatabaseBackend, q: &str) -> Condition {
    let exact = super::contains_text(backend, Expr::col((school::Entity, school::Column::Name)), q);
    if backend != sea_orm::DatabaseBackend::Sqlite {
        return Condition::all().add(exact);
    }
    let names = sea_orm::sea_query::Alias::new("school_names");
    let holding = Query::select()
        .expr(Expr::col((names.clone(), sea_orm::sea_query::Alias::new("rowid"))))
        .from(names.clone())
        .and_where(Expr::col((names, sea_orm::sea_query::Alias::new("name"))).like(format!("%{q}%")))
        .to_owned();
    Condition::all().add(Expr::col((school::Entity, school::Column::Id)).in_subquery(holding)).add(exact)
}

/// The schools a scope reaches that match the filter, unordered.
fn filtered(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    filter: &SchoolFilter,
    lookups: &Lookups,
    today: NaiveDate,
) -> sea_orm::Select<school::Entity> {
    let mut query = school::Entity::find()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .filter(scope_condition(scope));
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let mut by_text = Condition::any().add(name_contains(db.get_database_backend(), q));
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
        // No figure in force: NOT EXISTS looks each school up in the (school, census) index
        // instead of building the list of every school that has one.
        let has_figure = Query::select()
            .expr(Expr::val(1))
            .from(pupil_count::Entity)
            .and_where(
                Expr::col((pupil_count::Entity, pupil_count::Column::SchoolId))
                    .equals((school::Entity, school::Column::Id)),
            )
            .and_where(Expr::col((pupil_count::Entity, pupil_count::Column::CensusDate)).lte(today))
            .to_owned();
        query = query.filter(Expr::exists(has_figure).not());
    }
    query
}

async fn summaries(
    db: &impl ConnectionTrait,
    lookups: &Lookups,
    models: Vec<school::Model>,
    today: NaiveDate,
) -> Result<Vec<SchoolSummary>, ServiceError> {
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let figures = pupil_figures(db, &ids).await?;
    models
        .into_iter()
        .map(|m| {
            let pupils = pupils_in_force(&figures, m.id, today);
            summary(lookups, m, pupils)
        })
        .collect()
}

pub(super) fn summary(
    lookups: &Lookups,
    m: school::Model,
    pupils: Option<i32>,
) -> Result<SchoolSummary, ServiceError> {
    let local_authority =
        lookups.las.get(&m.local_authority_id).cloned().ok_or_else(|| ServiceError::Corrupt {
            table: "schools",
            column: "local_authority_id",
            value: m.local_authority_id.to_string(),
            reason: "no such local authority in the partnership".into(),
        })?;
    let (billing_phase, status) = (billing_phase_of(&m)?, status_of(&m)?);
    Ok(SchoolSummary {
        id: m.id,
        urn: Urn::from_stored(m.urn),
        name: m.name,
        local_authority,
        billing_phase,
        type_name: m.type_name,
        type_group: m.type_group,
        gias_phase: m.gias_phase,
        status,
        trust: m.trust_id.and_then(|id| lookups.trusts.get(&id).cloned()),
        postcode: m.postcode,
        address: m.address,
        pupils,
        needs_pupil_number: pupils.is_none(),
    })
}

/// How many schools the partnership has, by billing phase (home pages and reports): one
/// grouped count, answered from an index.
pub async fn count_by_phase(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
) -> Result<Vec<(BillingPhase, u64)>, ServiceError> {
    use sea_orm::QuerySelect;
    let rows: Vec<(String, i64)> = school::Entity::find()
        .select_only()
        .column(school::Column::BillingPhase)
        .column_as(Expr::col(school::Column::Id).count(), "schools")
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .filter(school::Column::Status.ne(SchoolStatus::Closed.as_str()))
        .filter(school::Column::OutsideArea.eq(false))
        .filter(scope_condition(scope))
        .group_by(school::Column::BillingPhase)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts = Vec::with_capacity(rows.len());
    for (phase, n) in rows {
        let phase: BillingPhase = super::read_stored("schools", "billing_phase", &phase)?;
        counts.push((phase, u64::try_from(n).unwrap_or_default()));
    }
    counts.sort_by_key(|(phase, _)| BillingPhase::ALL.iter().position(|p| p == phase));
    Ok(counts)
}

/// The GIAS type groups present in the partnership's register, for filter lists.
pub async fn type_groups(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<String>, ServiceError> {
    use sea_orm::QuerySelect;
    let read = async {
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
    };
    super::counts::kept(|| format!("kinds of school of {partnership_id}"), read).await
}

/// Schools whose URN is `typed`, or (when it is not a URN) whose name contains it: URN and name,
/// by name, at most `limit`.
pub async fn find_school(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    typed: &str,
    limit: u64,
) -> Result<Vec<(i32, String)>, ServiceError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = school::Entity::find().filter(school::Column::PartnershipId.eq(partnership_id));
    query = match Urn::parse(typed) {
        Ok(urn) => query.filter(school::Column::Urn.eq(urn.value())),
        Err(_) => query.filter(name_contains(db.get_database_backend(), typed)),
    };
    Ok(super::rows_at(db, query.order_by_asc(school::Column::Name), 0, limit)
        .await?
        .into_iter()
        .map(|s| (s.urn, s.name))
        .collect())
}
