//! The memberships part of the JSON API: enrolling, leaving and changing level.

use crate::domain::role::Action;
use crate::services::memberships::{self, NewMembership};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, parse_id};
use crate::web::session::ApiUser;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/memberships", get(list_memberships).post(join))
        .route("/memberships/{id}/leave", post(leave))
        .route("/memberships/{id}/change-level", post(change_level))
}

#[derive(serde::Deserialize)]
struct YearQuery {
    year: String,
}

async fn list_memberships(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<YearQuery>,
) -> Result<Json<Vec<memberships::MembershipRow>>, ApiError> {
    caller.require(Action::ManageBilling)?;
    Ok(Json(memberships::list_for_year(&state.db, caller.user.partnership_id, &q.year, None).await?))
}

async fn join(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let new: NewMembership = body(&bytes)?;
    let created =
        memberships::join(&state.db, caller.user.partnership_id, &new, Some(caller.user.id)).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": created.id }))).into_response())
}

#[derive(serde::Deserialize)]
struct LeaveRequest {
    /// The last day of membership.
    ends_on: chrono::NaiveDate,
}

async fn leave(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let request: LeaveRequest = body(&bytes)?;
    let m = memberships::leave(
        &state.db,
        caller.user.partnership_id,
        parse_id(&id)?,
        request.ends_on,
        Some(caller.user.id),
    )
    .await?;
    Ok(Json(json!({ "id": m.id, "starts_on": m.starts_on, "ends_on": m.ends_on })))
}

#[derive(serde::Deserialize)]
struct ChangeRequest {
    level: String,
    /// The first day at the new level.
    from: chrono::NaiveDate,
}

async fn change_level(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let request: ChangeRequest = body(&bytes)?;
    let m = memberships::change_level(
        &state.db,
        caller.user.partnership_id,
        parse_id(&id)?,
        &request.level,
        request.from,
        Some(caller.user.id),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": m.id, "starts_on": m.starts_on }))).into_response())
}
