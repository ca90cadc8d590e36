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
use crate::web::invoices::{ListQuery, pdf_response};
use crate::web::session::ApiUser;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/offers", get(list_offers).post(create_offer))
        .route("/offers/{year}", get(offer))
        .route("/offers/{year}/levels/{level}", axum::routing::put(update_level))
        .route("/fee-rules/preview", post(preview_rule))
        .route("/memberships", get(list_memberships).post(join))
        .route("/memberships/{id}/leave", post(leave))
        .route("/memberships/{id}/change-level", post(change_level))
        .route("/payers", get(list_payers))
        .route("/payers/{id}/po", post(record_po))
        .route("/payers/{id}/requires-po", post(requires_po))
        .route("/credit-notes/{id}/pdf", get(credit_note_pdf))
        .route("/audit", get(audit_log))
        .route("/funding-models/run", post(run_model))
        .route("/scenarios", get(list_scenarios))
        .route("/scenarios/{name}", get(get_scenario).put(put_scenario))
        .route("/scenarios/{name}/results", get(scenario_results))
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
) -> Result<Json<invoices::InvoicePage>, ApiError> {
    let scope = scope(&state, &caller).await?;
    let filter = q.to_filter().map_err(ApiError::Invalid)?;
    let (page, per_page) = q.paging().map_err(ApiError::Invalid)?;
    let found =
        invoices::list(&state.db, caller.user.partnership_id, &scope, &filter, today(), page, per_page)
            .await?;
    Ok(Json(found))
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
    let partnership = partnerships::get(&state.db, caller.user.partnership_id).await?;
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

async fn create_offer(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let new: offers::NewOffer = body(&bytes)?;
    let partnership = partnerships::get(&state.db, caller.user.partnership_id).await?;
    let created =
        offers::create(&state.db, partnership.id, partnership.year_kind, &new, Some(caller.user.id)).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn update_level(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((year, level)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<Json<offers::Level>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let mut changed: offers::NewLevel = body(&bytes)?;
    changed.name = level.clone();
    Ok(Json(
        offers::update_level(
            &state.db,
            caller.user.partnership_id,
            &year,
            &level,
            &changed,
            Some(caller.user.id),
        )
        .await?,
    ))
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

async fn list_payers(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let payers = memberships::payers(&state.db, caller.user.partnership_id).await?;
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
    let partnership = partnerships::get(&state.db, caller.user.partnership_id).await?;
    let issued = billing::release_with_po(
        &state.db,
        &partnership,
        parse_id(&id)?,
        request.year.trim(),
        &request.po_number,
        Some(caller.user.id),
        today(),
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
    let p = memberships::set_requires_po(
        &state.db,
        caller.user.partnership_id,
        parse_id(&id)?,
        request.requires_po,
        Some(caller.user.id),
    )
    .await?;
    Ok(Json(json!({ "id": p.id, "requires_po": p.requires_po })))
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

async fn audit_log(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewAllInvoices)?;
    let entries = crate::services::audit::recent(&state.db, caller.user.partnership_id, 500).await?;
    let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str::<Value>(&t).ok());
    Ok(Json(json!(entries
        .into_iter()
        .map(|e| json!({ "at": e.at, "user_id": e.user_id, "action": e.action, "entity": e.entity, "entity_id": e.entity_id, "before": parse(e.before_json), "after": parse(e.after_json) }))
        .collect::<Vec<_>>())))
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
    let partnership = partnerships::get(&state.db, caller.user.partnership_id).await?;
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
    let partnership = partnerships::get(&state.db, caller.user.partnership_id).await?;
    let mut scenario = saved.scenario;
    scenario.schools.register = Some(partnership.slug);
    let schools = crate::services::funding::schools_from_register(&state.db, &scenario).await?;
    Ok(Json(crate::domain::funding::model(&scenario, &schools)))
}
