//! Billing runs in the JSON API: preview and commit.

use crate::domain::role::Action;
use crate::services::billing;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::body;
use crate::web::session::ApiUser;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/billing-runs/preview", get(preview_run)).route("/billing-runs", post(commit_run))
}

#[derive(serde::Deserialize)]
struct RunQuery {
    year: String,
    period: String,
}

async fn preview_run(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<RunQuery>,
) -> Result<Json<billing::RunPlan>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let partnership = caller.partnership.clone();
    Ok(Json(billing::plan(&state.db, &partnership, &q.year, &q.period).await?))
}

async fn commit_run(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let q: RunQuery = body(&bytes)?;
    let partnership = caller.partnership.clone();
    let summary = billing::commit(
        &state.db,
        &partnership,
        &q.year,
        &q.period,
        billing::RunBy::at(Some(caller.user.id), &state.clock),
        &mut |_, _| {},
    )
    .await?;
    Ok((StatusCode::CREATED, Json(summary)).into_response())
}
