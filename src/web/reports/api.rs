//! `/api/v1/reports/funding` and `/api/v1/budgets`.

use crate::domain::role::Action;
use crate::services::reports;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, money};
use crate::web::openapi::{Op, READ_QUERY, WRITE, array_of, json_body, json_content, obj, query_param};
use crate::web::session::ApiUser;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports/funding", get(funding))
        .route("/reports/take-up", get(take_up))
        .route("/reports/income", get(income))
        .route("/reports/breakdown", get(breakdown))
        .route("/budgets", post(set_budgets))
}

#[derive(serde::Deserialize, Default)]
struct YearQuery {
    #[serde(default)]
    year: String,
}

async fn funding(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<YearQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewTotals)?;
    let mut report = json!(reports::funding(&state.db, &caller.partnership, &q.year).await?);
    report["services"] = json!(reports::by_service(&state.db, &caller.partnership, &q.year).await?);
    report["health"] =
        json!(reports::health(&state.db, caller.user.partnership_id, state.clock.today()).await?);
    Ok(Json(report))
}

async fn take_up(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<YearQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewTotals)?;
    Ok(Json(json!(reports::take_up(&state.db, &caller.partnership, &q.year).await?)))
}

async fn breakdown(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<YearQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewTotals)?;
    Ok(Json(json!(reports::breakdown(&state.db, &caller.partnership, &q.year).await?)))
}

#[derive(serde::Deserialize, Default)]
struct Range {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

async fn income(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<Range>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewTotals)?;
    use crate::web::extract::date;
    let (from, to) = (date("from", &q.from)?, date("to", &q.to)?);
    Ok(Json(json!(reports::income_by_month(&state.db, caller.user.partnership_id, from, to).await?)))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Budgets {
    year: String,
    /// Each stream's budget; null removes it.
    #[serde(default)]
    budgets: BTreeMap<String, Option<String>>,
    /// Each traded service's budget by the service's id; null removes it.
    #[serde(default)]
    services: BTreeMap<String, Option<String>>,
}

async fn set_budgets(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let b: Budgets = body(&bytes)?;
    let mut amounts = Vec::new();
    for (stream, amount) in b.budgets {
        let amount = match amount {
            Some(text) => Some(money(&format!("budgets.{stream}"), &text)?),
            None => None,
        };
        amounts.push((stream, amount));
    }
    let mut services = Vec::new();
    for (id, amount) in b.services {
        let field = format!("services.{id}");
        let Ok(service_id) = id.trim().parse::<i64>() else {
            return Err(crate::web::extract::invalid(
                &field,
                format!("\"{id}\" is not a traded service's id"),
            ));
        };
        let amount = match amount {
            Some(text) => Some(money(&field, &text)?),
            None => None,
        };
        services.push((service_id, amount));
    }
    reports::set_budgets(&state.db, &caller.partnership, &b.year, &amounts, &services, Some(caller.user.id))
        .await?;
    let mut report = json!(reports::funding(&state.db, &caller.partnership, &b.year).await?);
    report["services"] = json!(reports::by_service(&state.db, &caller.partnership, &b.year).await?);
    Ok(Json(report))
}

/// The paths of reports.
pub fn openapi_paths() -> Value {
    let money = || json!({ "type": "string", "example": "120000.00" });
    let nullable = || json!({ "type": "string", "nullable": true, "example": "120000.00" });
    let line = obj(
        &["stream", "label", "invoiced", "received", "forecast"],
        json!({ "stream": { "type": "string" }, "label": { "type": "string" }, "budget": nullable(), "invoiced": money(),
                "received": money(), "variance": nullable(), "forecast": money() }),
    );
    let report = obj(
        &["year", "streams", "total", "months"],
        json!({ "year": { "type": "string" }, "streams": array_of(line.clone()), "total": line,
                "months": array_of(obj(&["month", "by_stream", "total"], json!({ "month": { "type": "string" }, "by_stream": array_of(money()), "total": money() }))),
                "collection_rate": { "type": "integer", "nullable": true }, "council_share": { "type": "string", "nullable": true },
                "health": { "type": "object", "description": "What is owed now, what was invoiced in the last 365 days (with VAT) and days sales outstanding" },
                "services": array_of(obj(&["service_id", "service", "stream", "invoiced", "forecast"], json!({ "service_id": { "type": "integer" },
                    "service": { "type": "string" }, "stream": { "type": "string" }, "budget": nullable(), "invoiced": money(),
                    "variance": nullable(), "forecast": money() }))) }),
    );
    let streams = json!({ "type": "object", "additionalProperties": { "type": "string", "nullable": true },
        "example": { "memberships": "450000.00", "traded_services": "80000.00", "la_commission": "600000.00", "other_commission": null, "grant": "250000.00" } });
    json!({
        "/reports/funding": { "get": Op { summary: "A membership year's income by stream: budget, invoiced (before VAT, net of credit notes), received, variance, forecast; invoicing by month; collection rate and council money's share (board, finance, admin)", id: "fundingReport",
            parameters: vec![query_param("year", json!({ "type": "string", "example": "2026-27" }), true, "The membership year")], body: None,
            ok: (200, "The report", json_content(report.clone())), errors: READ_QUERY }.build() },
        "/reports/take-up": { "get": Op { summary: "A year's membership take-up: the area's open schools and members by phase and by type, the trend over the years, and the schools that joined and left (board, finance, admin)", id: "takeUpReport",
            parameters: vec![query_param("year", json!({ "type": "string", "example": "2026-27" }), true, "The membership year")], body: None,
            ok: (200, "The take-up", json_content(obj(&["year", "by_phase", "by_type", "total", "trend", "joined", "left"], json!({
                "year": { "type": "string" },
                "by_phase": array_of(json!({ "type": "object" })), "by_type": array_of(json!({ "type": "object" })), "total": { "type": "object" },
                "trend": array_of(json!({ "type": "array" })), "previous": { "type": "string", "nullable": true },
                "joined": array_of(json!({ "type": "string" })), "left": array_of(json!({ "type": "string" })) })))), errors: READ_QUERY }.build() },
        "/reports/breakdown": { "get": Op { summary: "A membership year's membership income (before VAT, net of credit notes) by billing phase, type of school, council and trust, with members, pupils and income per pupil (board, finance, admin)", id: "membershipBreakdown",
            parameters: vec![query_param("year", json!({ "type": "string", "example": "2026-27" }), true, "The membership year")], body: None,
            ok: (200, "The breakdown", json_content(obj(&["year", "by_phase", "by_type", "by_local_authority", "by_trust"], json!({
                "year": { "type": "string" },
                "by_phase": array_of(json!({ "type": "object" })), "by_type": array_of(json!({ "type": "object" })),
                "by_local_authority": array_of(json!({ "type": "object" })), "by_trust": array_of(json!({ "type": "object" })),
                "total": { "type": "object", "nullable": true } })))), errors: READ_QUERY }.build() },
        "/reports/income": { "get": Op { summary: "Income by month between two days (at most 800), by stream: invoiced (by month of issue) and recognised (each invoice spread over the days of the period it is for), before VAT and net of credit notes; and received (payments by the month they arrived, VAT included, in the stream of the invoices they paid) (board, finance, admin)", id: "incomeByMonth",
            parameters: vec![query_param("from", json!({ "type": "string", "format": "date" }), true, "The first day, like 2026-04-01"),
                query_param("to", json!({ "type": "string", "format": "date" }), true, "The last day, like 2027-03-31")], body: None,
            ok: (200, "Income by month", json_content(obj(&["from", "to", "invoiced", "recognised", "received", "invoiced_total", "recognised_total", "received_total"], json!({
                "from": { "type": "string", "format": "date" }, "to": { "type": "string", "format": "date" },
                "invoiced": array_of(obj(&["month", "by_stream", "total"], json!({ "month": { "type": "string" }, "by_stream": array_of(money()), "total": money() }))),
                "recognised": array_of(obj(&["month", "by_stream", "total"], json!({ "month": { "type": "string" }, "by_stream": array_of(money()), "total": money() }))),
                "received": array_of(obj(&["month", "by_stream", "total"], json!({ "month": { "type": "string" }, "by_stream": array_of(money()), "total": money() }))),
                "invoiced_total": array_of(money()), "recognised_total": array_of(money()), "received_total": array_of(money()) })))), errors: READ_QUERY }.build() },
        "/budgets": { "post": Op { summary: "Set a year's budget for each income stream and traded service given (null removes it), all or nothing", id: "setBudgets", parameters: vec![],
            body: Some(json_body(obj(&["year"], json!({ "year": { "type": "string", "example": "2026-27" }, "budgets": streams,
                "services": { "type": "object", "description": "Each traded service's budget by the service's id (null removes it)",
                    "additionalProperties": { "type": "string", "nullable": true }, "example": { "1": "12000.00" } } })), None)),
            ok: (200, "The year's report with its budgets", json_content(report)), errors: WRITE }.build() },
    })
}
