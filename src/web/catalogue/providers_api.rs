//! `/api/v1/provider-rates`, `/api/v1/provider-statements`, `/api/v1/deliveries` and
//! `/api/v1/traded-margin`: paying provider schools, timesheets and the brokerage margin
//! (finance and admins).

use crate::domain::role::Action;
use crate::services::providers;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, parse_id};
use crate::web::openapi::{
    Op, READ_ONE, READ_QUERY, WRITE, WRITE_ONE, array_of, json_body, json_content, obj, path_param,
    query_param,
};
use crate::web::session::ApiUser;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/provider-rates", get(list_rates).post(set_rate))
        .route("/provider-statements", get(list_statements).post(make_statements))
        .route("/provider-statements/{id}", get(show_statement))
        .route("/provider-statements/{id}/paid", post(mark_paid))
        .route("/deliveries", get(deliveries))
        .route("/traded-margin", get(margin))
        .route("/traded-take-up", get(take_up))
}

async fn list_rates(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let rates = providers::rates(&state.db, caller.user.partnership_id).await?;
    Ok(Json(json!({ "rates": rates })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRate {
    urn: String,
    service_id: i64,
    rate: String,
}

async fn set_rate(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: NewRate = body(&bytes)?;
    let rate = crate::web::extract::money("rate", &r.rate)?;
    let made =
        providers::set_rate(&state.db, &caller.partnership, &r.urn, r.service_id, rate, Some(caller.user.id))
            .await?;
    Ok((StatusCode::OK, Json(made)).into_response())
}

#[derive(serde::Deserialize, Default)]
struct MonthQuery {
    #[serde(default)]
    month: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    year: String,
}

async fn list_statements(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let list = providers::statements(&state.db, caller.user.partnership_id, Some(&q.month)).await?;
    Ok(Json(json!({ "statements": list })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MakeStatements {
    month: String,
}

async fn make_statements(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: MakeStatements = body(&bytes)?;
    let made = providers::make_statements(
        &state.db,
        &caller.partnership,
        &r.month,
        Some(caller.user.id),
        state.clock.today(),
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "statements": made }))).into_response())
}

async fn show_statement(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    Ok(Json(json!(providers::statement(&state.db, caller.user.partnership_id, parse_id(&id)?).await?)))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Paid {
    paid_on: chrono::NaiveDate,
    reference: String,
}

async fn mark_paid(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let id = parse_id(&id)?;
    let p: Paid = body(&bytes)?;
    let done = providers::mark_paid(
        &state.db,
        &caller.partnership,
        id,
        p.paid_on,
        &p.reference,
        Some(caller.user.id),
        state.clock.today(),
    )
    .await?;
    Ok(Json(json!(done)))
}

async fn deliveries(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let list = providers::timesheet(&state.db, caller.user.partnership_id, Some(&q.person), &q.month).await?;
    Ok(Json(json!({ "deliveries": list })))
}

async fn margin(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let (by_service, by_provider) = providers::margin(&state.db, &caller.partnership, &q.year).await?;
    Ok(Json(json!({ "year": q.year, "by_service": by_service, "by_provider": by_provider })))
}

async fn take_up(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ViewTotals)?;
    let rows = crate::services::traded::take_up(&state.db, &caller.partnership, &q.year).await?;
    Ok(Json(json!({ "year": q.year, "services": rows })))
}

/// The paths of provider payments, timesheets and margin.
pub fn openapi_paths() -> Value {
    let money = || json!({ "type": "string", "example": "550.00" });
    let rate = obj(
        &["urn", "school", "service_id", "rate"],
        json!({ "id": { "type": "integer" }, "urn": { "type": "integer" }, "school": { "type": "string" }, "service_id": { "type": "integer" },
                "service": { "type": "string" }, "rate": money(), "rate_in_words": { "type": "string" } }),
    );
    let line = obj(
        &["id", "delivered_on", "delivered_by", "units", "payable"],
        json!({ "id": { "type": "integer" }, "order_id": { "type": "integer" }, "delivered_on": { "type": "string", "format": "date" },
                "delivered_by": { "type": "string" }, "service": { "type": "string" }, "school": { "type": "string" },
                "units": { "type": "string" }, "units_in_words": { "type": "string" }, "provider": { "type": "string", "nullable": true },
                "payable": money(), "notes": { "type": "string" } }),
    );
    let statement = obj(
        &["id", "number", "school", "month", "total", "lines"],
        json!({ "id": { "type": "integer" }, "number": { "type": "string" }, "urn": { "type": "integer" }, "school": { "type": "string" },
                "month": { "type": "string", "example": "2026-10" }, "total": money(),
                "paid_on": { "type": "string", "format": "date", "nullable": true }, "paid_reference": { "type": "string", "nullable": true },
                "lines": array_of(line.clone()) }),
    );
    let margin = obj(
        &["name", "income", "cost", "margin"],
        json!({ "name": { "type": "string" }, "units": { "type": "string" }, "income": money(), "cost": money(), "margin": money() }),
    );
    let month = |required| {
        query_param(
            "month",
            json!({ "type": "string", "example": "2026-10" }),
            required,
            "The month, like 2026-10",
        )
    };
    json!({
        "/provider-rates": {
            "get": Op { summary: "Rates agreed with provider schools, per unit of a service", id: "listProviderRates", parameters: vec![], body: None,
                ok: (200, "The rates", json_content(obj(&["rates"], json!({ "rates": array_of(rate.clone()) })))), errors: crate::web::openapi::READ }.build(),
            "post": Op { summary: "Set the rate agreed with a provider school for a service", id: "setProviderRate", parameters: vec![],
                body: Some(json_body(obj(&["urn", "service_id", "rate"], json!({ "urn": { "type": "string", "example": "990007" },
                    "service_id": { "type": "integer" }, "rate": money() })), None)),
                ok: (200, "The rate", json_content(rate)), errors: WRITE }.build()
        },
        "/provider-statements": {
            "get": Op { summary: "Self-billing statements for provider schools, newest month first", id: "listProviderStatements",
                parameters: vec![month(false)], body: None,
                ok: (200, "The statements", json_content(obj(&["statements"], json!({ "statements": array_of(statement.clone()) })))), errors: READ_QUERY }.build(),
            "post": Op { summary: "Make an ended month's statements: one per provider school for its deliveries not yet on one", id: "makeProviderStatements",
                parameters: vec![], body: Some(json_body(obj(&["month"], json!({ "month": { "type": "string", "example": "2026-10" } })), None)),
                ok: (201, "The statements made or added to", json_content(obj(&["statements"], json!({ "statements": array_of(statement.clone()) })))), errors: WRITE }.build()
        },
        "/provider-statements/{id}": { "get": Op { summary: "One statement with its deliveries", id: "getProviderStatement",
            parameters: vec![path_param("id", "integer", "The statement's id", json!(1))], body: None,
            ok: (200, "The statement", json_content(statement.clone())), errors: READ_ONE }.build() },
        "/provider-statements/{id}/paid": { "post": Op { summary: "Record a statement paid", id: "payProviderStatement",
            parameters: vec![path_param("id", "integer", "The statement's id", json!(1))],
            body: Some(json_body(obj(&["paid_on", "reference"], json!({ "paid_on": { "type": "string", "format": "date" }, "reference": { "type": "string", "maxLength": 100 } })), None)),
            ok: (200, "The statement", json_content(statement)), errors: WRITE_ONE }.build() },
        "/deliveries": { "get": Op { summary: "A month's deliveries (a timesheet), for one person when named", id: "listDeliveries",
            parameters: vec![month(true), query_param("person", json!({ "type": "string" }), false, "Who delivered")], body: None,
            ok: (200, "The deliveries", json_content(obj(&["deliveries"], json!({ "deliveries": array_of(line) })))), errors: READ_QUERY }.build() },
        "/traded-take-up": { "get": Op { summary: "Take-up of each traded service in a membership year: schools, members among them, orders, places, units and value (board, finance, admin)", id: "tradedTakeUp",
            parameters: vec![query_param("year", json!({ "type": "string", "example": "2026-27" }), true, "The membership year")], body: None,
            ok: (200, "Take-up by service", json_content(obj(&["services"], json!({ "year": { "type": "string" }, "services": array_of(obj(&["service", "schools", "orders"], json!({
                "service_id": { "type": "integer" }, "service": { "type": "string" }, "category": { "type": "string" }, "schools": { "type": "integer" },
                "member_schools": { "type": "integer" }, "orders": { "type": "integer" }, "places": { "type": "integer" }, "units": { "type": "string" },
                "included_units": { "type": "string" }, "value": { "type": "string" } }))) })))), errors: READ_QUERY }.build() },
        "/traded-margin": { "get": Op { summary: "Income, cost and margin of deliveries in a membership year, by service and by provider", id: "tradedMargin",
            parameters: vec![query_param("year", json!({ "type": "string", "example": "2026-27" }), true, "The membership year")], body: None,
            ok: (200, "The margin", json_content(obj(&["by_service", "by_provider"], json!({ "year": { "type": "string" },
                "by_service": array_of(margin.clone()), "by_provider": array_of(margin) })))), errors: READ_QUERY }.build() },
    })
}
