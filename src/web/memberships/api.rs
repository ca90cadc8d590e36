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
struct ListQuery {
    year: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    paid_by: String,
    #[serde(default)]
    phase: String,
}

async fn list_memberships(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    use crate::domain::billing_phase::BillingPhase;
    use crate::domain::payer::PaidBy;
    use crate::web::extract::{invalid, page_number};
    caller.require(Action::ManageBilling)?;
    let some = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
    let filter = memberships::MembershipFilter {
        q: q.q.trim().to_string(),
        level: some(&q.level),
        paid_by: match some(&q.paid_by) {
            None => None,
            Some(p) => Some(
                PaidBy::parse(&p)
                    .ok_or_else(|| invalid("paid_by", format!("\"{p}\" is not school, trust or council")))?,
            ),
        },
        phase: match some(&q.phase) {
            None => None,
            Some(p) => Some(
                BillingPhase::parse(&p)
                    .ok_or_else(|| invalid("phase", format!("\"{p}\" is not a billing phase")))?,
            ),
        },
    };
    let found = memberships::page_for_year(
        &state.db,
        caller.user.partnership_id,
        caller.partnership.year_kind,
        &q.year,
        &filter,
        page_number(&q.page)?,
    )
    .await?;
    Ok(Json(json!({
        "memberships": found.rows.iter().map(|m| {
            let mut row = serde_json::to_value(&m.row).unwrap_or(Value::Null);
            if let Some(o) = row.as_object_mut() {
                o.insert("phase".into(), json!(m.phase.label()));
                o.insert("pupils".into(), json!(m.pupils));
                match &m.fee {
                    Ok(fee) => o.insert("fee".into(), json!(fee)),
                    Err(why) => o.insert("fee_problem".into(), json!(why)),
                };
            }
            row
        }).collect::<Vec<_>>(),
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "per_page": memberships::PER_PAGE,
    })))
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
