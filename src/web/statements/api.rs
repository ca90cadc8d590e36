//! The statements part of the JSON API.

use super::PER_PAGE;
use crate::domain::bank::{ColumnMapping, Format, LineState};
use crate::domain::money::Money;
use crate::domain::role::Action;
use crate::services::bank::{self, Choice, LineFilter};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, invalid, page_number, parse_id};
use crate::web::session::ApiUser;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bank-statements", get(list).post(upload).layer(DefaultBodyLimit::max(bank::MAX_FILE_BYTES)))
        .route("/bank-statements/{id}/lines", get(lines))
        .route("/bank-statement-lines/{id}/match", post(decide))
}

#[derive(serde::Deserialize, Default)]
struct UploadQuery {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    file_name: Option<String>,
    #[serde(default)]
    date_column: Option<String>,
    #[serde(default)]
    description_column: Option<String>,
    #[serde(default)]
    amount_column: Option<String>,
    #[serde(default)]
    credit_column: Option<String>,
    #[serde(default)]
    debit_column: Option<String>,
    #[serde(default)]
    balance_column: Option<String>,
}

/// The format asked for, if any; a name that is not one is an error naming it.
pub fn format_of(text: Option<&str>) -> Result<Option<Format>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => Format::parse(t).map(Some).ok_or_else(|| {
            format!("\"{t}\" is not a statement format: use lloyds, barclays, natwest, hsbc, generic, ofx or camt053")
        }),
    }
}

async fn upload(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<UploadQuery>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let format = format_of(q.format.as_deref()).map_err(|m| invalid("format", m))?;
    if bytes.is_empty() {
        return Err(invalid("body", "send the statement file as the request body"));
    }
    let mapping = match (&q.date_column, &q.description_column) {
        (Some(date), Some(description)) => Some(ColumnMapping {
            date: date.clone(),
            description: description.clone(),
            amount: q.amount_column.clone(),
            credit: q.credit_column.clone(),
            debit: q.debit_column.clone(),
            balance: q.balance_column.clone(),
            counterparty: None,
        }),
        (None, None) => None,
        _ => {
            return Err(invalid(
                "date_column",
                "a column mapping needs both date_column and description_column",
            ));
        }
    };
    let partnership = &caller.partnership;
    let name = q.file_name.unwrap_or_else(|| "statement".into());
    let summary =
        bank::import(&state.db, partnership, &bytes, &name, format, mapping, state.actor(caller.user.id))
            .await?;
    Ok((StatusCode::CREATED, Json(summary)).into_response())
}

#[derive(serde::Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    page: String,
    #[serde(default)]
    state: String,
}

async fn list(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let page = page_number(&q.page)?;
    let found = bank::statements(&state.db, caller.user.partnership_id, page, PER_PAGE).await?;
    Ok(Json(
        json!({ "rows": found.rows, "total": found.total, "page": found.page, "pages": found.pages, "per_page": PER_PAGE }),
    ))
}

async fn lines(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let page = page_number(&q.page)?;
    let filter = LineFilter {
        state: match q.state.trim() {
            "" => None,
            s => Some(LineState::parse(s).ok_or_else(|| {
                invalid("state", format!("\"{s}\" is not a line state: use unmatched, suggested, matched, ignored, debit or refund"))
            })?),
        },
    };
    let found =
        bank::lines(&state.db, caller.user.partnership_id, parse_id(&id)?, &filter, page, PER_PAGE).await?;
    let rows: Vec<Value> = found
        .rows
        .iter()
        .map(|l| {
            json!({
                "id": l.id, "line": l.line_no, "date": l.booked_on, "amount": l.amount, "description": l.description,
                "counterparty": l.counterparty, "state": l.state, "decision": l.decision, "payment_ids": l.payment_ids, "matched_invoice_ids": l.matched_invoice_ids,
                "candidates": l.suggestions.iter().map(|s| json!({
                    "payer_id": s.payer_id, "payer_name": s.payer_name, "reason": s.reason, "score": s.score,
                    "invoice_ids": s.allocations.iter().map(|a| a.0).collect::<Vec<_>>(),
                    "allocations": s.allocations.iter().map(|a| json!({"invoice_id": a.0, "amount": a.1})).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(
        json!({ "rows": rows, "total": found.total, "page": found.page, "pages": found.pages, "per_page": PER_PAGE }),
    ))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideAllocation {
    invoice_id: i64,
    amount: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideRequest {
    /// The place (from 0) of the suggestion confirmed.
    #[serde(default)]
    suggestion: Option<usize>,
    #[serde(default)]
    allocations: Option<Vec<DecideAllocation>>,
    /// Keep the money as this payer's credit.
    #[serde(default)]
    payer_id: Option<i64>,
    /// Invoice numbers as typed ("RH-000123 RH-000124"), all one payer's.
    #[serde(default)]
    invoice_numbers: Option<String>,
    /// reject, ignore, refund or undo.
    #[serde(default)]
    action: Option<String>,
}

async fn decide(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: DecideRequest = body(&bytes)?;
    let choice = match (r.suggestion, r.allocations, r.payer_id, r.action.as_deref()) {
        _ if r.invoice_numbers.is_some() => Choice::Numbers(r.invoice_numbers.unwrap_or_default()),
        (Some(n), None, None, None) => Choice::Suggestion(n),
        (None, Some(list), None, None) => {
            let mut chosen = Vec::new();
            for a in list {
                chosen.push((
                    a.invoice_id,
                    Money::parse(&a.amount).map_err(|e| invalid("allocations", e.to_string()))?,
                ));
            }
            Choice::Invoices(chosen)
        }
        (None, None, Some(p), None) => Choice::Credit(p),
        (None, None, None, Some(action)) => match action.trim() {
            "reject" => Choice::Reject,
            "ignore" => Choice::Ignore,
            "refund" => Choice::Refund,
            "undo" => Choice::Undo,
            other => {
                return Err(invalid(
                    "action",
                    format!("\"{other}\" is not an action: use reject, ignore, refund or undo"),
                ));
            }
        },
        _ => {
            return Err(invalid(
                "suggestion",
                "send exactly one of suggestion, allocations, payer_id or action",
            ));
        }
    };
    let partnership = &caller.partnership;
    let line_id = parse_id(&id)?;
    let new_state =
        bank::decide(&state.db, partnership, line_id, &choice, state.actor(caller.user.id)).await?;
    Ok(Json(json!({ "id": line_id, "state": new_state })))
}
