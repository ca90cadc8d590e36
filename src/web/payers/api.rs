//! The payers part of the JSON API: payers and their purchase-order numbers.

use crate::domain::role::Action;
use crate::services::billing;
use crate::services::payers;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, parse_id};
use crate::web::session::ApiUser;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/payers", get(list_payers))
        .route("/payers/{id}/po", post(record_po))
        .route("/payers/{id}/requires-po", post(requires_po))
}

#[derive(serde::Deserialize, Default)]
struct PayerQuery {
    #[serde(default)]
    page: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    held: Option<bool>,
}

async fn list_payers(
    State(state): State<AppState>,
    caller: ApiUser,
    axum::extract::Query(q): axum::extract::Query<PayerQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let page = crate::web::extract::page_number(&q.page)?;
    let found =
        payers::list(&state.db, caller.user.partnership_id, &q.q, q.held.unwrap_or(false), page).await?;
    Ok(Json(json!({
        "payers": found.payers.into_iter().map(|(p, held)| json!({
            "id": p.id, "kind": p.kind, "name": p.name, "address": p.address, "contact_name": p.contact_name,
            "email": p.email, "requires_po": p.requires_po, "held_invoices": held,
        })).collect::<Vec<_>>(),
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "per_page": payers::PER_PAGE,
    })))
}

#[derive(serde::Deserialize)]
struct PoRequest {
    year: String,
    po_number: String,
}

async fn record_po(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let request: PoRequest = body(&bytes)?;
    let partnership = caller.partnership.clone();
    let issued = billing::release_with_po(
        &state.db,
        &partnership,
        parse_id(&id)?,
        request.year.trim(),
        &request.po_number,
        Some(caller.user.id),
        state.clock.now(),
    )
    .await?;
    Ok(Json(json!({ "issued": issued })))
}

#[derive(serde::Deserialize)]
struct RequiresPoRequest {
    requires_po: bool,
}

async fn requires_po(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let request: RequiresPoRequest = body(&bytes)?;
    let p = payers::set_requires_po(
        &state.db,
        caller.user.partnership_id,
        parse_id(&id)?,
        request.requires_po,
        Some(caller.user.id),
    )
    .await?;
    Ok(Json(json!({ "id": p.id, "requires_po": p.requires_po })))
}
