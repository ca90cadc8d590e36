//! The invoices part of the JSON API: invoices, credit notes and their PDFs.

use crate::domain::money::Money;
use crate::domain::role::Action;
use crate::pdf::documents::invoice_document;
use crate::services::invoices::{self, CreditAmounts, InvoiceScope};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, invalid, parse_id};
use crate::web::invoices::{ListQuery, pdf_response};
use crate::web::session::ApiUser;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/invoices", get(list_invoices))
        .route("/invoices/{id}", get(invoice))
        .route("/invoices/{id}/pdf", get(invoice_pdf))
        .route("/invoices/{id}/credit-notes", post(credit))
        .route("/credit-notes/{id}/pdf", get(credit_note_pdf))
}

async fn scope(state: &AppState, caller: &ApiUser) -> Result<InvoiceScope, ApiError> {
    invoices::scope_for(&state.db, &caller.user).await?.ok_or(ApiError::Forbidden)
}

async fn list_invoices(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<invoices::InvoicePage>, ApiError> {
    let scope = scope(&state, &caller).await?;
    let filter = q.to_filter().map_err(ApiError::Invalid)?;
    let (page, per_page) = q.paging().map_err(ApiError::Invalid)?;
    let found = invoices::list(
        &state.db,
        caller.user.partnership_id,
        &scope,
        &filter,
        state.clock.today(),
        page,
        per_page,
    )
    .await?;
    Ok(Json(found))
}

async fn invoice(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<invoices::InvoiceView>, ApiError> {
    let scope = scope(&state, &caller).await?;
    Ok(Json(
        invoices::get(&state.db, caller.user.partnership_id, parse_id(&id)?, &scope, state.clock.today())
            .await?,
    ))
}

async fn invoice_pdf(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let scope = scope(&state, &caller).await?;
    let view =
        invoices::get(&state.db, caller.user.partnership_id, parse_id(&id)?, &scope, state.clock.today())
            .await?;
    let number = view
        .number
        .clone()
        .ok_or_else(|| ApiError::Conflict("the invoice has no number yet: it is waiting for a PO".into()))?;
    let partnership = caller.partnership.clone();
    Ok(pdf_response(crate::pdf::render(&invoice_document(&view, &partnership)), &number))
}

#[derive(serde::Deserialize)]
struct CreditRequest {
    reason: String,
    /// "everything" to void what is left, or a list of {line_id, amount} (net, decimal strings).
    #[serde(default)]
    everything: bool,
    #[serde(default)]
    lines: Vec<CreditLine>,
    /// A net amount (decimal string) spread over the lines in order.
    #[serde(default)]
    amount: Option<String>,
}

#[derive(serde::Deserialize)]
struct CreditLine {
    line_id: i64,
    amount: String,
}

async fn credit(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let request: CreditRequest = body(&bytes)?;
    let amounts = if request.everything {
        CreditAmounts::Everything
    } else if let Some(amount) = request.amount.as_deref() {
        CreditAmounts::Amount(Money::parse(amount).map_err(|e| invalid("amount", e.to_string()))?)
    } else {
        let mut lines = Vec::new();
        for l in &request.lines {
            lines.push((l.line_id, Money::parse(&l.amount).map_err(|e| invalid("lines", e.to_string()))?));
        }
        CreditAmounts::Lines(lines)
    };
    let partnership = caller.partnership.clone();
    let note = invoices::credit(
        &state.db,
        &partnership,
        parse_id(&id)?,
        &amounts,
        invoices::CreditRequest {
            reason: &request.reason,
            user_id: Some(caller.user.id),
            today: state.clock.today(),
            now: state.clock.now(),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": note.id, "number": note.number, "gross": Money::from_pence(note.gross_pence) })),
    )
        .into_response())
}

async fn credit_note_pdf(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let scope = scope(&state, &caller).await?;
    let note =
        invoices::get_credit_note(&state.db, caller.user.partnership_id, parse_id(&id)?, &scope).await?;
    Ok(pdf_response(crate::pdf::render(&crate::pdf::documents::credit_note_document(&note)), &note.number))
}
