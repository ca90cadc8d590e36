//! The funding-model part of the JSON API: running scenarios and saved scenarios.

use crate::domain::role::Action;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, invalid};
use crate::web::session::ApiUser;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/funding-models/run", post(run_model))
        .route("/scenarios", get(list_scenarios))
        .route("/scenarios/{name}", get(get_scenario).put(put_scenario))
        .route("/scenarios/{name}/results", get(scenario_results))
}

/// Runs a funding-model scenario over the caller's own register (board, finance, admin).
pub async fn run_model(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Json<crate::domain::funding::ModelResult>, ApiError> {
    caller.require(Action::ViewTotals)?;
    let mut scenario: crate::domain::funding::Scenario = body(&bytes)?;
    if scenario.schools.gias_csv.is_some() {
        return Err(invalid(
            "schools.gias_csv",
            "the API models your partnership's register: leave out gias_csv (the CLI reads files)",
        ));
    }
    crate::services::funding::check_scenario(&scenario)?;
    let partnership = caller.partnership.clone();
    scenario.schools.register = Some(partnership.slug.clone());
    let schools = crate::services::funding::schools_from_register(&state.db, &scenario).await?;
    Ok(Json(crate::domain::funding::model(&scenario, &schools)))
}

/// The partnership's saved scenarios (board, finance, admin).
pub async fn list_scenarios(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewTotals)?;
    let all = crate::services::funding::list_scenarios(&state.db, caller.user.partnership_id).await?;
    Ok(Json(json!(all.iter().map(|s| json!({ "name": s.name, "year": s.scenario.year, "options": s.scenario.options.len(), "updated_at": s.updated_at })).collect::<Vec<_>>())))
}

/// One saved scenario.
pub async fn get_scenario(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(name): Path<String>,
) -> Result<Json<crate::services::funding::SavedScenario>, ApiError> {
    caller.require(Action::ViewTotals)?;
    Ok(Json(crate::services::funding::get_scenario(&state.db, caller.user.partnership_id, &name).await?))
}

/// Saves (or replaces) a scenario under a name (finance, admin).
pub async fn put_scenario(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(name): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<crate::services::funding::SavedScenario>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let scenario: crate::domain::funding::Scenario = body(&bytes)?;
    Ok(Json(
        crate::services::funding::save_scenario(
            &state.db,
            caller.user.partnership_id,
            &name,
            scenario,
            Some(caller.user.id),
        )
        .await?,
    ))
}

/// A saved scenario's results over the register as it is now.
pub async fn scenario_results(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(name): Path<String>,
) -> Result<Json<crate::domain::funding::ModelResult>, ApiError> {
    caller.require(Action::ViewTotals)?;
    let saved = crate::services::funding::get_scenario(&state.db, caller.user.partnership_id, &name).await?;
    let partnership = caller.partnership.clone();
    let mut scenario = saved.scenario;
    scenario.schools.register = Some(partnership.slug);
    let schools = crate::services::funding::schools_from_register(&state.db, &scenario).await?;
    Ok(Json(crate::domain::funding::model(&scenario, &schools)))
}
