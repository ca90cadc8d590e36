//! The payments part of the JSON API: payments, allocations, reversals, refunds, write-offs,
//! council budget deductions, statements of account, aged debt and the ledger check.

use crate::domain::ledger::{PaymentMethod, PaymentSource, WriteOffKind};
use crate::domain::money::Money;
use crate::domain::role::Action;
use crate::services::invoices::{self, InvoiceScope};
use crate::services::ledger::{self, Allocate, NewPayment, NewRefund, NewSettlement, NewWriteOff};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, invalid, page_number, parse_id};
use crate::web::session::ApiUser;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/payments", get(list).post(record))
        .route("/payments/{id}", get(show))
        .route("/payments/{id}/allocations", post(allocate))
        .route("/payments/{id}/reverse", post(reverse))
        .route("/payments/{id}/refunds", post(refund))
        .route("/allocations/{id}/undo", post(unallocate))
        .route("/invoices/{id}/write-offs", post(write_off))
        .route("/settlements", post(settle))
        .route("/payers/{id}/statement", get(statement))
        .route("/aged-debt", get(aged_debt))
        .route("/ledger-check", get(ledger_check))
}

use crate::web::extract::money;

fn method(text: &str) -> Result<PaymentMethod, ApiError> {
    PaymentMethod::parse(text).ok_or_else(|| {
        invalid(
            "method",
            format!(
                "\"{text}\" is not a payment method: use one of {}",
                PaymentMethod::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AllocationRequest {
    invoice_id: i64,
    amount: String,
}

/// How to allocate: "oldest_first" (the default), "none", or the chosen `allocations`.
fn how(allocate: Option<&str>, chosen: &Option<Vec<AllocationRequest>>) -> Result<Allocate, ApiError> {
    if let Some(list) = chosen {
        let mut out = Vec::new();
        for a in list {
            out.push((a.invoice_id, money("allocations", &a.amount)?));
        }
        return Ok(Allocate::Chosen(out));
    }
    match allocate.map(str::trim) {
        None | Some("oldest_first") => Ok(Allocate::OldestFirst),
        Some("none") => Ok(Allocate::Nothing),
        Some(other) => Err(invalid(
            "allocate",
            format!("\"{other}\" is not a way to allocate: use oldest_first or none"),
        )),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentRequest {
    payer_id: i64,
    received_on: NaiveDate,
    amount: String,
    method: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    allocate: Option<String>,
    #[serde(default)]
    allocations: Option<Vec<AllocationRequest>>,
}

async fn record(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: PaymentRequest = body(&bytes)?;
    let new = NewPayment {
        payer_id: r.payer_id,
        received_on: r.received_on,
        amount: money("amount", &r.amount)?,
        method: method(&r.method)?,
        reference: r.reference,
        source: PaymentSource::Typed,
        source_ref: None,
    };
    let how = how(r.allocate.as_deref(), &r.allocations)?;
    let partnership = &caller.partnership;
    let view = ledger::record(&state.db, partnership, &new, &how, state.actor(caller.user.id)).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    page: String,
    #[serde(default)]
    payer: Option<i64>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    with_credit: Option<bool>,
}

async fn list(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let page = page_number(&q.page)?;
    let filter = ledger::PaymentFilter {
        payer_id: q.payer,
        search: Some(q.q),
        with_credit: q.with_credit.unwrap_or(false),
        ..Default::default()
    };
    let found =
        ledger::list_payments(&state.db, caller.user.partnership_id, &filter, page, super::PER_PAGE).await?;
    Ok(Json(json!({
        "rows": found.rows, "total": found.total, "page": found.page, "pages": found.pages, "per_page": super::PER_PAGE,
    })))
}

async fn show(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ledger::PaymentView>, ApiError> {
    caller.require(Action::ManageBilling)?;
    Ok(Json(ledger::get_payment(&state.db, caller.user.partnership_id, parse_id(&id)?).await?))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AllocateRequest {
    #[serde(default)]
    allocate: Option<String>,
    #[serde(default)]
    allocations: Option<Vec<AllocationRequest>>,
}

async fn allocate(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<ledger::PaymentView>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: AllocateRequest = body(&bytes)?;
    let how = how(r.allocate.as_deref(), &r.allocations)?;
    let partnership = &caller.partnership;
    Ok(Json(
        ledger::allocate(&state.db, partnership, parse_id(&id)?, &how, state.actor(caller.user.id)).await?,
    ))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonRequest {
    reason: String,
}

async fn reverse(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<ledger::PaymentView>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: ReasonRequest = body(&bytes)?;
    let partnership = &caller.partnership;
    Ok(Json(
        ledger::reverse(&state.db, partnership, parse_id(&id)?, &r.reason, state.actor(caller.user.id))
            .await?,
    ))
}

async fn unallocate(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<ledger::PaymentView>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: ReasonRequest = body(&bytes)?;
    let partnership = &caller.partnership;
    Ok(Json(
        ledger::unallocate(&state.db, partnership, parse_id(&id)?, &r.reason, state.actor(caller.user.id))
            .await?,
    ))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundRequest {
    amount: String,
    refunded_on: NaiveDate,
    method: String,
    reason: String,
}

async fn refund(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: RefundRequest = body(&bytes)?;
    let payment_id = parse_id(&id)?;
    let paid = ledger::get_payment(&state.db, caller.partnership.id, payment_id).await?;
    if paid.source == crate::domain::ledger::PaymentSource::Provider {
        // Through Stripe, back where it came from; recorded when Stripe confirms it.
        let refund = crate::services::stripe::refund_card(
            &state.db,
            &state.settings.payments,
            &caller.partnership,
            payment_id,
            money("amount", &r.amount)?,
            state.actor(caller.user.id),
        )
        .await?;
        return Ok((
            StatusCode::ACCEPTED,
            Json(
                json!({"stripe_refund": refund, "state": "requested", "amount": money("amount", &r.amount)?}),
            ),
        )
            .into_response());
    }
    let new = NewRefund {
        payment_id,
        amount: money("amount", &r.amount)?,
        refunded_on: r.refunded_on,
        method: method(&r.method)?,
        reason: r.reason,
    };
    let partnership = &caller.partnership;
    let row = ledger::refund(&state.db, partnership, &new, state.actor(caller.user.id)).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": row.id, "amount": Money::from_pence(row.amount_pence)})))
        .into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WriteOffRequest {
    #[serde(default)]
    amount: Option<String>,
    kind: String,
    reason: String,
}

async fn write_off(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: WriteOffRequest = body(&bytes)?;
    let kind = WriteOffKind::parse(&r.kind).ok_or_else(|| {
        invalid("kind", format!("\"{}\" is not a kind of write-off: use small_remainder or bad_debt", r.kind))
    })?;
    let amount = r.amount.as_deref().map(|a| money("amount", a)).transpose()?;
    let new = NewWriteOff { invoice_id: parse_id(&id)?, amount, kind, reason: r.reason };
    let partnership = &caller.partnership;
    let row = ledger::write_off(&state.db, partnership, &new, state.actor(caller.user.id)).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": row.id, "amount": Money::from_pence(row.amount_pence)})))
        .into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SettlementRequest {
    #[serde(default)]
    council_payer_id: Option<i64>,
    reference: String,
    settled_on: NaiveDate,
    invoice_ids: Vec<i64>,
}

async fn settle(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: SettlementRequest = body(&bytes)?;
    let new = NewSettlement {
        council_payer_id: r.council_payer_id,
        reference: r.reference,
        settled_on: r.settled_on,
        invoice_ids: r.invoice_ids,
    };
    let partnership = &caller.partnership;
    let row = ledger::settle(&state.db, partnership, &new, state.actor(caller.user.id)).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": row.id, "reference": row.reference}))).into_response())
}

#[derive(serde::Deserialize, Default)]
struct StatementQuery {
    #[serde(default)]
    from: Option<NaiveDate>,
    #[serde(default)]
    to: Option<NaiveDate>,
}

/// Whether the caller may read a payer's account: finance any, others only their own.
pub async fn may_read_account(
    state: &AppState,
    user: &crate::services::users::User,
    payer_id: i64,
) -> Result<bool, crate::services::ServiceError> {
    Ok(match invoices::scope_for(&state.db, user).await? {
        Some(InvoiceScope::All) => true,
        Some(InvoiceScope::Payers(ids)) => ids.contains(&payer_id),
        None => false,
    })
}

async fn statement(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<StatementQuery>,
) -> Result<Json<ledger::Account>, ApiError> {
    let payer_id = parse_id(&id)?;
    if !may_read_account(&state, &caller.user, payer_id).await? {
        return Err(ApiError::NotFound(format!("payer {payer_id} not found")));
    }
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f > t
    {
        return Err(invalid("from", "the start of the statement is after its end"));
    }
    Ok(Json(
        ledger::account(&state.db, caller.user.partnership_id, payer_id, q.from, q.to, state.clock.today())
            .await?,
    ))
}

#[derive(serde::Deserialize, Default)]
struct AgedQuery {
    #[serde(default)]
    page: String,
}

async fn aged_debt(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<AgedQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let page = page_number(&q.page)?;
    let found = ledger::aged_debt(
        &state.db,
        caller.user.partnership_id,
        state.clock.today(),
        page,
        Some(super::PER_PAGE),
    )
    .await?;
    let bands = |a: &crate::domain::ledger::AgedDebt| {
        let mut m = serde_json::Map::new();
        for b in crate::domain::ledger::AgeBand::ALL {
            m.insert(b.as_str().to_string(), json!(a.band(b)));
        }
        m.insert("total".into(), json!(a.total()));
        Value::Object(m)
    };
    Ok(Json(json!({
        "today": found.today,
        "owed": bands(&found.total),
        "rows": found.payers.iter().map(|p| json!({"payer_id": p.payer_id, "name": p.name, "invoices": p.invoices, "aged": bands(&p.aged)})).collect::<Vec<_>>(),
        "total": found.payers_owing, "page": found.page, "pages": found.pages, "per_page": super::PER_PAGE,
    })))
}

async fn ledger_check(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let slug = caller.partnership.slug.clone();
    let found = ledger::check_ledger(&state.db, Some(&slug)).await?;
    Ok(Json(json!({
        "ok": found.breaches.is_empty(),
        "invoices": found.invoices, "payments": found.payments, "payers": found.payers,
        "breaches": found.breaches.iter().map(|b| b.breach.to_string()).collect::<Vec<_>>(),
    })))
}
