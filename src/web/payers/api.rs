//! The payers part of the JSON API: payers and their purchase-order numbers.

use crate::domain::role::Action;
use crate::services::billing;
use crate::services::invoices::{self};
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

async fn list_payers(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let payers = payers::payers(&state.db, caller.user.partnership_id).await?;
    let held = invoices::held_by_payer(&state.db, caller.user.partnership_id).await?;
    Ok(Json(json!(payers
        .into_iter()
        .map(|p| json!({ "id": p.id, "kind": p.kind, "name": p.name, "address": p.address, "requires_po": p.requires_po, "held_invoices": held.get(&p.id).copied().unwrap_or(0) }))
        .collect::<Vec<_>>())))
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
