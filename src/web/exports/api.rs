//! `/api/v1/exports` and `/api/v1/vat-summary`: accounting exports and a quarter's VAT.

use crate::domain::role::Action;
use crate::services::exports;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, date, parse_id};
use crate::web::openapi::{
    Op, READ, READ_ONE, READ_QUERY, WRITE, array_of, json_body, json_content, obj, path_param, query_param,
};
use crate::web::session::ApiUser;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/exports", get(list).post(make))
        .route("/exports/{id}/files/{part}", get(file))
        .route("/vat-summary", get(vat_summary))
        .route("/account-codes", get(account_codes).post(set_account_codes))
}

async fn list(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    Ok(Json(json!({ "exports": exports::list(&state.db, caller.user.partnership_id).await? })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewExport {
    format: String,
    from: NaiveDate,
    to: NaiveDate,
}

async fn make(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let n: NewExport = body(&bytes)?;
    let made = exports::record(
        &state.db,
        &caller.partnership,
        n.format.trim(),
        n.from,
        n.to,
        Some(caller.user.id),
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

async fn file(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, part)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let id = parse_id(&id)?;
    let part = parse_id(&part)?;
    let (name, csv) = exports::file(&state.db, caller.user.partnership_id, id, part as usize).await?;
    Ok(crate::web::view::download(csv.into_bytes(), "text/csv; charset=utf-8", &name))
}

#[derive(serde::Deserialize, Default)]
struct Range {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

async fn vat_summary(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<Range>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let (from, to) = (date("from", &q.from)?, date("to", &q.to)?);
    let s = exports::vat_summary(&state.db, &caller.partnership, from, to).await?;
    Ok(Json(json!({ "from": from, "to": to, "rates": s.rates, "box1": s.box1, "box6": s.box6 })))
}

async fn account_codes(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let list = exports::account_codes(&state.db, caller.user.partnership_id).await?;
    Ok(Json(
        json!({ "codes": list.into_iter().map(|(s, l, c)| json!({ "stream": s, "label": l, "account_code": c })).collect::<Vec<_>>() }),
    ))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Codes {
    codes: std::collections::BTreeMap<String, String>,
}

async fn set_account_codes(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let c: Codes = body(&bytes)?;
    let codes: Vec<(String, String)> = c.codes.into_iter().collect();
    exports::set_account_codes(&state.db, &caller.partnership, &codes, Some(caller.user.id)).await?;
    account_codes(State(state), caller).await
}

/// The paths of exports.
pub fn openapi_paths() -> Value {
    let money = || json!({ "type": "string", "example": "1200.00" });
    let date = || json!({ "type": "string", "format": "date" });
    let export = obj(
        &["id", "format", "from", "to", "invoices", "credit_notes", "payments", "files"],
        json!({ "id": { "type": "integer" }, "format": { "type": "string" }, "from": date(), "to": date(),
                "invoices": { "type": "integer" }, "credit_notes": { "type": "integer" }, "payments": { "type": "integer" }, "files": { "type": "integer" },
                "by": { "type": "string" }, "at": { "type": "string", "format": "date-time" } }),
    );
    let range =
        |name: &str, what: &str| query_param(name, json!({ "type": "string", "format": "date" }), true, what);
    json!({
        "/exports": {
            "get": Op { summary: "The latest accounting exports, newest first", id: "listExports", parameters: vec![], body: None,
                ok: (200, "The exports", json_content(obj(&["exports"], json!({ "exports": array_of(export.clone()) })))), errors: READ }.build(),
            "post": Op { summary: "Export the invoices and credit notes issued in a date range: Xero's sales-invoice import (at most 500 documents a file), Xero's bank-statement import of the payments received (at most 1,000 lines a file), Sage 50's audit trail (with receipts), QuickBooks Online's invoice import, or a journal", id: "makeExport", parameters: vec![],
                body: Some(json_body(obj(&["format", "from", "to"], json!({ "format": { "type": "string", "enum": ["xero", "xero_payments", "sage50", "quickbooks", "journal"] }, "from": date(), "to": date() })),
                    Some(json!({ "format": "xero", "from": "2026-10-01", "to": "2026-10-31" })))),
                ok: (201, "The export", json_content(export)), errors: WRITE }.build()
        },
        "/exports/{id}/files/{part}": { "get": Op { summary: "One file of an export, as CSV (made again identically: issued documents never change)", id: "exportFile",
            parameters: vec![path_param("id", "integer", "The export's id", json!(1)), path_param("part", "integer", "The file, from 1", json!(1))], body: None,
            ok: (200, "The CSV file", json!({ "text/csv": { "schema": { "type": "string" } } })), errors: READ_ONE }.build() },
        "/account-codes": {
            "get": Op { summary: "The account code each income stream posts to in exports", id: "listAccountCodes", parameters: vec![], body: None,
                ok: (200, "The codes", json_content(obj(&["codes"], json!({ "codes": array_of(obj(&["stream", "label"], json!({ "stream": { "type": "string" }, "label": { "type": "string" }, "account_code": { "type": "string", "nullable": true } }))) })))), errors: READ }.build(),
            "post": Op { summary: "Set the account code of each income stream given (empty removes it)", id: "setAccountCodes", parameters: vec![],
                body: Some(json_body(obj(&["codes"], json!({ "codes": { "type": "object", "additionalProperties": { "type": "string", "maxLength": 20 }, "example": { "memberships": "4000", "la_commission": "4100" } } })), None)),
                ok: (200, "The codes", json_content(obj(&["codes"], json!({ "codes": array_of(json!({ "type": "object" })) })))), errors: WRITE }.build()
        },
        "/vat-summary": { "get": Op { summary: "Output VAT and net sales by rate for invoices and credit notes issued in a date range: box 1 and box 6 of the VAT return", id: "vatSummary",
            parameters: vec![range("from", "The first day, like 2026-07-01"), range("to", "The last day, like 2026-09-30")], body: None,
            ok: (200, "The summary", json_content(obj(&["rates", "box1", "box6"], json!({ "from": date(), "to": date(),
                "rates": array_of(obj(&["rate", "net", "vat"], json!({ "rate": { "type": "string" }, "net": money(), "vat": money() }))),
                "box1": money(), "box6": money() })))), errors: READ_QUERY }.build() },
    })
}
