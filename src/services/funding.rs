//! Loading a funding-model scenario's schools: from a GIAS-format CSV or a partnership's
//! register, with the pupil numbers in force at the start of the modelled year.

use super::{OrClash, ServiceError, partnerships, register};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::funding::{ModelSchool, Scenario, SchoolsSource};
use crate::domain::gias::{ParseOptions, parse_file};
use crate::domain::partnership::MembershipYear;
use crate::domain::school::SchoolStatus;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
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
    let mut kept = Vec::new();
    for s in schools {
        let phase = register::billing_phase_of(&s)?;
        if register::status_of(&s)? == SchoolStatus::Closed && !source.include_closed {
            continue;
        }
        if keep_phase(source, phase) && keep_group(source, s.type_group.as_deref()) {
            kept.push(ModelSchool {
                pupils: register::pupils_in_force(&figures, s.id, year.first_day()).map(|p| p.max(0) as u32),
                urn: s.urn,
                name: s.name,
                billing_phase: phase,
            });
        }
    }
    Ok(kept)
}

pub use crate::domain::funding::MAX_OPTIONS;

/// The longest scenario name: it is a page's address and a sheet's title.
pub const MAX_SCENARIO_NAME_CHARS: usize = 80;

/// Refuses a scenario with anything out of bounds (amounts, counts, shares, years), naming each
/// field; fee rules were checked as they were read.
pub fn check_scenario(scenario: &Scenario) -> Result<(), ServiceError> {
    let problems = scenario.check();
    if problems.is_empty() {
        return Ok(());
    }
    Err(ServiceError::Invalid(
        problems.into_iter().map(|p| super::FieldError { field: p.field, message: p.message }).collect(),
    ))
}

/// The billing phases of the partnership's open schools, in the usual order: the phases a
/// scenario's per-phase amounts are asked for.
pub async fn register_phases(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<BillingPhase>, ServiceError> {
    use sea_orm::QuerySelect;
    let found: Vec<String> = entity::school::Entity::find()
        .select_only()
        .column(entity::school::Column::BillingPhase)
        .distinct()
        .filter(entity::school::Column::PartnershipId.eq(partnership_id))
        .filter(entity::school::Column::Status.ne(SchoolStatus::Closed.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(BillingPhase::ALL
        .into_iter()
        .filter(|p| found.iter().any(|f| BillingPhase::parse(f) == Some(*p)))
        .collect())
}

/// Saves a new scenario; refuses a name already taken.
pub async fn create_scenario(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    name: &str,
    scenario: Scenario,
    user_id: Option<i64>,
) -> Result<SavedScenario, ServiceError> {
    if name.trim().eq_ignore_ascii_case("new") {
        return Err(ServiceError::invalid(
            "name",
            "\"new\" is kept for creating scenarios: choose another name",
        ));
    }
    if get_scenario(db, partnership_id, name.trim()).await.is_ok() {
        return Err(ServiceError::invalid(
            "name",
            format!("there is already a scenario called \"{}\": choose another name", name.trim()),
        ));
    }
    save_scenario(db, partnership_id, name, scenario, user_id).await
}

/// Copies a scenario under a new name.
pub async fn duplicate_scenario(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    from: &str,
    to: &str,
    user_id: Option<i64>,
) -> Result<SavedScenario, ServiceError> {
    let original = get_scenario(db, partnership_id, from).await?;
    create_scenario(db, partnership_id, to, original.scenario, user_id).await
}

/// Deletes a saved scenario.
pub async fn delete_scenario(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    name: &str,
) -> Result<(), ServiceError> {
    let found = get_scenario(db, partnership_id, name).await?;
    entity::scenario::Entity::delete_by_id(found.id).exec(db).await?;
    Ok(())
}

/// A saved scenario.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SavedScenario {
    pub id: i64,
    pub name: String,
    pub scenario: Scenario,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub paper: PaperText,
}

/// What finance writes on a scenario's board paper.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PaperText {
    pub purpose: String,
    pub decision: String,
    pub recommendation: String,
    /// The day it was marked final; a draft until then.
    pub final_on: Option<chrono::NaiveDate>,
}

/// A stored scenario, read by the same checking readers as a new one; a document that no longer
/// reads is an error naming it, never a scenario that silently disappears.
fn saved(m: entity::scenario::Model) -> Result<SavedScenario, ServiceError> {
    let scenario = serde_json::from_str(&m.document).map_err(|e| ServiceError::Corrupt {
        table: "scenarios",
        column: "document",
        value: m.name.clone(),
        reason: e.to_string(),
    })?;
    let final_on = match m.paper_final_on.as_deref() {
        None => None,
        Some(text) => Some(super::read_stored::<chrono::NaiveDate>("scenarios", "paper_final_on", text)?),
    };
    let paper = PaperText {
        purpose: m.paper_purpose.unwrap_or_default(),
        decision: m.paper_decision.unwrap_or_default(),
        recommendation: m.paper_recommendation.unwrap_or_default(),
        final_on,
    };
    Ok(SavedScenario { id: m.id, name: m.name, scenario, updated_at: m.updated_at, paper })
}

/// The partnership's saved scenarios, by name.
pub async fn list_scenarios(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<SavedScenario>, ServiceError> {
    entity::scenario::Entity::find()
        .filter(entity::scenario::Column::PartnershipId.eq(partnership_id))
        .order_by_asc(entity::scenario::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(saved)
        .collect::<Result<_, _>>()
}

/// One saved scenario by name.
pub async fn get_scenario(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    name: &str,
) -> Result<SavedScenario, ServiceError> {
    entity::scenario::Entity::find()
        .filter(entity::scenario::Column::PartnershipId.eq(partnership_id))
        .filter(entity::scenario::Column::Name.eq(name))
        .one(db)
        .await?
        .map(saved)
        .transpose()?
        .ok_or_else(|| ServiceError::NotFound(format!("scenario \"{name}\"")))
}

/// Saves a scenario under a name, replacing one of the same name. Every fee rule is checked
/// first; the schools always come from the partnership's own register.
pub async fn save_scenario(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    name: &str,
    mut scenario: Scenario,
    user_id: Option<i64>,
) -> Result<SavedScenario, ServiceError> {
    use sea_orm::{ActiveModelTrait, Set};
    let name = crate::domain::text::required(name, MAX_SCENARIO_NAME_CHARS, "give the scenario a name")
        .map_err(|m| ServiceError::invalid("name", m))?;
    let name = name.as_str();
    if scenario.schools.gias_csv.take().is_some() {
        return Err(ServiceError::invalid(
            "schools.gias_csv",
            "a saved scenario models the partnership's register",
        ));
    }
    let mut errors: Vec<super::FieldError> = scenario
        .check()
        .into_iter()
        .map(|p| super::FieldError { field: p.field, message: p.message })
        .collect();
    for (i, option) in scenario.options.iter().enumerate() {
        let rules = std::iter::once(("membership_fee".to_string(), &option.membership_fee))
            .chain(option.levels.iter().enumerate().map(|(j, t)| (format!("levels[{j}].fee"), &t.fee)));
        for (field, rule) in rules {
            if let Err(e) = rule.check() {
                errors.push(super::FieldError {
                    field: format!("options[{i}].{field}"),
                    message: e.to_string(),
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let document =
        serde_json::to_string(&scenario).map_err(|e| ServiceError::invalid("scenario", e.to_string()))?;
    let existing = entity::scenario::Entity::find()
        .filter(entity::scenario::Column::PartnershipId.eq(partnership_id))
        .filter(entity::scenario::Column::Name.eq(name))
        .one(db)
        .await?;
    let now = chrono::Utc::now();
    let model = match existing {
        Some(row) => {
            let mut active: entity::scenario::ActiveModel = row.into();
            active.document = Set(document);
            active.updated_by_user_id = Set(user_id);
            active.updated_at = Set(now);
            active.update(db).await?
        }
        None => entity::scenario::ActiveModel {
            partnership_id: Set(partnership_id),
            name: Set(name.to_string()),
            document: Set(document),
            updated_by_user_id: Set(user_id),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .or_clash("name", format!("there is already a scenario called \"{name}\": choose another name"))?,
    };
    saved(model)
}

/// Sets what the board paper says beside the figures, and whether it is final (a final paper
/// records the day; an unticked box makes it a draft again).
#[allow(clippy::too_many_arguments)]
pub async fn set_paper(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    name: &str,
    text: &PaperText,
    is_final: bool,
    today: chrono::NaiveDate,
    user_id: Option<i64>,
) -> Result<SavedScenario, ServiceError> {
    use crate::domain::text::{MAX_DESCRIPTION_CHARS, optional};
    let mut errors = Vec::new();
    let mut read = |field: &str, value: &str| match optional(value, MAX_DESCRIPTION_CHARS) {
        Ok(v) => v,
        Err(message) => {
            errors.push(super::FieldError { field: field.into(), message });
            None
        }
    };
    let purpose = read("purpose", &text.purpose);
    let decision = read("decision", &text.decision);
    let recommendation = read("recommendation", &text.recommendation);
    if is_final && recommendation.is_none() && errors.is_empty() {
        errors.push(super::FieldError {
            field: "recommendation".into(),
            message: "Write finance's recommendation before marking the paper final".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let model = entity::scenario::Entity::find()
        .filter(entity::scenario::Column::PartnershipId.eq(partnership_id))
        .filter(entity::scenario::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("scenario \"{name}\"")))?;
    let before = serde_json::json!({"final_on": model.paper_final_on});
    let mut active: entity::scenario::ActiveModel = model.into();
    active.paper_purpose = Set(purpose);
    active.paper_decision = Set(decision);
    active.paper_recommendation = Set(recommendation);
    active.paper_final_on = Set(is_final.then(|| today.format("%Y-%m-%d").to_string()));
    let updated = active.update(db).await?;
    super::audit::record(
        db,
        super::audit::Event {
            partnership_id,
            user_id,
            action: "scenario.paper_changed",
            entity: "scenario",
            entity_id: updated.id,
            before: Some(before),
            after: Some(serde_json::json!({"final_on": updated.paper_final_on})),
        },
    )
    .await?;
    saved(updated)
}
