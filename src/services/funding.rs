//! Loading a funding-model scenario's schools: from a GIAS-format CSV or a partnership's
//! register, with the pupil numbers in force at the start of the modelled year.

use super::{ServiceError, partnerships, register};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::funding::{ModelSchool, Scenario, SchoolsSource};
use crate::domain::gias::{ParseOptions, parse_file};
use crate::domain::partnership::MembershipYear;
use crate::domain::pupils::figure_in_force;
use crate::domain::school::SchoolStatus;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::path::Path;

fn keep_phase(source: &SchoolsSource, phase: BillingPhase) -> bool {
    source.phases.is_empty() || source.phases.iter().any(|p| BillingPhase::parse(p) == Some(phase))
}

fn keep_group(source: &SchoolsSource, group: Option<&str>) -> bool {
    source.type_groups.is_empty()
        || group.is_some_and(|g| source.type_groups.iter().any(|t| t.eq_ignore_ascii_case(g)))
}

/// The schools of a scenario whose `schools` names a GIAS CSV, read relative to `base`.
pub fn schools_from_csv(scenario: &Scenario, base: &Path) -> Result<Vec<ModelSchool>, ServiceError> {
    let source = &scenario.schools;
    let file = source
        .gias_csv
        .as_deref()
        .ok_or_else(|| ServiceError::invalid("schools", "give gias_csv or register"))?;
    let path = base.join(file);
    let bytes = std::fs::read(&path).map_err(|e| {
        ServiceError::invalid("schools.gias_csv", format!("cannot read {}: {e}", path.display()))
    })?;
    let year = MembershipYear::parse(crate::domain::partnership::YearKind::Academic, &scenario.year)
        .ok_or_else(|| {
            ServiceError::invalid("year", format!("\"{}\" is not a year like 2026-27", scenario.year))
        })?;
    let parsed = parse_file(
        &bytes,
        &ParseOptions { default_census_date: Some(year.first_day()), only_la_codes: vec![] },
    );
    if let Some(first) = parsed.errors.first() {
        return Err(ServiceError::invalid("schools.gias_csv", format!("{}: {first}", path.display())));
    }
    Ok(parsed
        .schools
        .into_iter()
        .filter(|s| source.include_closed || s.status != SchoolStatus::Closed)
        .filter(|s| {
            source.la.is_empty()
                || source.la.iter().any(|la| la.eq_ignore_ascii_case(&s.la_name) || *la == s.la_code)
        })
        .filter(|s| keep_phase(source, s.billing_phase) && keep_group(source, s.type_group.as_deref()))
        .map(|s| ModelSchool {
            urn: s.urn.value(),
            name: s.name,
            billing_phase: s.billing_phase,
            pupils: s.pupils.filter(|p| p.census_date <= year.first_day()).map(|p| p.pupils.max(0) as u32),
        })
        .collect())
}

/// The schools of a scenario whose `schools` names a partnership's register.
pub async fn schools_from_register(
    db: &impl ConnectionTrait,
    scenario: &Scenario,
) -> Result<Vec<ModelSchool>, ServiceError> {
    let source = &scenario.schools;
    let slug = source
        .register
        .as_deref()
        .ok_or_else(|| ServiceError::invalid("schools", "give gias_csv or register"))?;
    let partnership = partnerships::resolve(db, Some(slug)).await?;
    let year = MembershipYear::parse(partnership.year_kind, &scenario.year).ok_or_else(|| {
        ServiceError::invalid("year", format!("\"{}\" is not a year like 2026-27", scenario.year))
    })?;
    let figures = register::pupil_figures_of_partnership(db, partnership.id).await?;
    let schools = entity::school::Entity::find()
        .filter(entity::school::Column::PartnershipId.eq(partnership.id))
        .order_by_asc(entity::school::Column::Name)
        .all(db)
        .await?;
    Ok(schools
        .into_iter()
        .filter(|s| source.include_closed || s.status != SchoolStatus::Closed.as_str())
        .filter_map(|s| {
            let phase = BillingPhase::parse(&s.billing_phase)?;
            (keep_phase(source, phase) && keep_group(source, s.type_group.as_deref())).then(|| {
                let plain: Vec<_> = figures
                    .get(&s.id)
                    .map(|f| f.iter().map(|(p, _)| p.clone()).collect())
                    .unwrap_or_default();
                ModelSchool {
                    urn: s.urn,
                    name: s.name,
                    billing_phase: phase,
                    pupils: figure_in_force(&plain, year.first_day()).map(|f| f.pupils.max(0) as u32),
                }
            })
        })
        .collect())
}
