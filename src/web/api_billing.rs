//! The billing part of the JSON API: offers, fee-rule previews, memberships, billing runs,
//! invoices, credit notes and PDFs.

use crate::domain::fees::FeeRule;
use crate::domain::money::Money;
use crate::domain::partnership::MembershipYear;
use crate::domain::role::Action;
use crate::pdf::documents::invoice_document;
use crate::services::invoices::{self, CreditAmounts, InvoiceScope};
use crate::services::memberships::{self, NewMembership};
use crate::services::{FieldError, billing, offers, partnerships};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::invoices::ListQuery;
use crate::web::session::ApiUser;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/offers", get(list_offers))
        .route("/offers/{year}", get(offer))
        .route("/fee-rules/preview", post(preview_rule))
        .route("/memberships", get(list_memberships).post(join))
        .route("/billing-runs/preview", get(preview_run))
        .route("/billing-runs", post(commit_run))
        .route("/invoices", get(list_invoices))
        .route("/invoices/{id}", get(invoice))
        .route("/invoices/{id}/pdf", get(invoice_pdf))
        .route("/invoices/{id}/credit-notes", post(credit))
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
}

fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the body is not the JSON expected: {e}")))
}

async fn list_offers(
    State(state): State<AppState>,
    caller: ApiUser,
) -> Result<Json<Vec<offers::Offer>>, ApiError> {
    caller.require(Action::ManageBilling)?;
    Ok(Json(offers::list(&state.db, caller.user.partnership_id).await?))
}

async fn offer(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(year): Path<String>,
) -> Result<Json<offers::Offer>, ApiError> {
    caller.require(Action::ManageBilling)?;
    offers::find(&state.db, caller.user.partnership_id, &year)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no offer for {year}")))
}

async fn preview_rule(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let request: Value = body(&bytes)?;
    let rule =
        FeeRule::from_json(&request["rule"].to_string()).map_err(|e| invalid("rule", e.to_string()))?;
    let partnership = partnerships::get(&state.db, caller.user.partnership_id).await?;
    let year = request["year"].as_str().unwrap_or_default();
    let on = MembershipYear::parse(partnership.year_kind, year)
        .ok_or_else(|| invalid("year", format!("\"{year}\" is not a membership year like 2025-26")))?
        .first_day();
    let fees = offers::preview_rule(&state.db, partnership.id, &rule, on).await?;
    let total: Money = fees.iter().filter_map(|f| f.fee).sum();
    Ok(Json(json!({ "total": total, "schools": fees })))
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
    let partnership = partnerships::get(&state.db, caller.user.partnership_id).await?;
    Ok(Json(billing::plan(&state.db, &partnership, &q.year, &q.period).await?))
}

async fn commit_run(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let q: RunQuery = body(&bytes)?;
    let partnership = partnerships::get(&state.db, caller.user.partnership_id).await?;
    let summary = billing::commit(
        &state.db,
        &partnership,
        &q.year,
        &q.period,
        Some(caller.user.id),
        today(),
        &mut |_, _| {},
    )
    .await?;
    Ok((StatusCode::CREATED, Json(summary)).into_response())
}

async fn scope(state: &AppState, caller: &ApiUser) -> Result<InvoiceScope, ApiError> {
    invoices::scope_for(&state.db, &caller.user).await?.ok_or(ApiError::Forbidden)
}

async fn list_invoices(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<invoices::InvoiceSummary>>, ApiError> {
    let scope = scope(&state, &caller).await?;
    let filter = q.to_filter().map_err(ApiError::Invalid)?;
    Ok(Json(invoices::list(&state.db, caller.user.partnership_id, &scope, &filter, today()).await?))
}

fn parse_id(text: &str) -> Result<i64, ApiError> {
    text.parse().map_err(|_| invalid("id", format!("\"{text}\" is not an id")))
}

async fn invoice(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<invoices::InvoiceView>, ApiError> {
    let scope = scope(&state, &caller).await?;
    Ok(Json(invoices::get(&state.db, caller.user.partnership_id, parse_id(&id)?, &scope, today()).await?))
}

async fn invoice_pdf(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let scope = scope(&state, &caller).await?;
    let view = invoices::get(&state.db, caller.user.partnership_id, parse_id(&id)?, &scope, today()).await?;
    let number = view
        .number
        .clone()
        .ok_or_else(|| ApiError::Conflict("the invoice has no number yet: it is waiting for a PO".into()))?;
    let partnership = partnerships::get(&state.db, caller.user.partnership_id).await?;
    let bytes = crate::pdf::render(&invoice_document(&view, &partnership));
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{number}.pdf\"")),
        ],
        bytes,
    )
        .into_response())
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
    let partnership = partnerships::get(&state.db, caller.user.partnership_id).await?;
    let note = invoices::credit(
        &state.db,
        &partnership,
        parse_id(&id)?,
        &amounts,
        &request.reason,
        Some(caller.user.id),
        today(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": note.id, "number": note.number, "gross": Money::from_pence(note.gross_pence) })),
    )
        .into_response())
}
