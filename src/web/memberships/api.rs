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
) -> Result<Json<ListBody>, ApiError> {
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
    // Written straight from the rows (no JSON tree built first): the list is a hot path.
    Ok(Json(ListBody {
        memberships: found
            .rows
            .into_iter()
            .map(|m| {
                let (fee, fee_problem) = match m.fee {
                    Ok(fee) => (Some(fee), None),
                    Err(why) => (None, Some(why)),
                };
                Listed { row: m.row, phase: m.phase.label(), pupils: m.pupils, fee, fee_problem }
            })
            .collect(),
        total: found.total,
        page: found.page,
        pages: found.pages,
        per_page: memberships::PER_PAGE,
    }))
}

/// A page of the list as the API returns it.
#[derive(serde::Serialize)]
struct ListBody {
    memberships: Vec<Listed>,
    total: u64,
    page: u64,
    pages: u64,
    per_page: u64,
}

/// One membership in the list: the row, its phase and pupils, and its fee for the year or why
/// it cannot be priced.
#[derive(serde::Serialize)]
struct Listed {
    #[serde(flatten)]
    row: memberships::MembershipRow,
    phase: &'static str,
    pupils: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fee: Option<crate::domain::money::Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fee_problem: Option<String>,
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
