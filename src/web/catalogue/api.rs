//! `/api/v1/services`: the catalogue, one service, and the price a school pays.

use crate::domain::role::Action;
use crate::services::orders;
use crate::services::traded::{self, NewService};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, invalid, parse_id};
use crate::web::openapi::{
    Op, READ, READ_ONE, WRITE, array_of, json_body, json_content, obj, path_param, query_param,
};
use crate::web::session::ApiUser;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services", get(list).post(create))
        .route("/services/{id}", get(show))
        .route("/services/{id}/price", get(price))
        .route("/services/{id}/prices/{year}", axum::routing::put(set_prices))
        .route("/orders", get(list_orders).post(place_order))
        .route("/customers", axum::routing::post(add_customer))
        .route("/orders/{id}/confirm", axum::routing::post(confirm_order))
        .route("/orders/{id}/deliver", axum::routing::post(deliver_order))
        .route("/orders/{id}/cancel", axum::routing::post(cancel_order))
        .route("/orders/{id}/schedule", axum::routing::post(schedule_order))
}

async fn add_customer(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let new: traded::NewCustomer = body(&bytes)?;
    let made =
        traded::add_customer(&state.db, &caller.partnership, &new, Some(caller.user.id), state.clock.now())
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": made.id, "urn": made.urn, "name": made.name, "address": made.address, "postcode": made.postcode,
                     "phase": made.billing_phase, "outside_area": made.outside_area })),
    )
        .into_response())
}

/// Finance orders and books for any school; a business manager for their own schools.
pub(super) fn order_scope(caller: &ApiUser) -> Result<crate::domain::role::SchoolScope, ApiError> {
    if caller.require(Action::ManageBilling).is_ok() {
        return Ok(crate::domain::role::SchoolScope::All);
    }
    caller.require(Action::OrderServices)?;
    Ok(caller.user.school_scope())
}

#[derive(serde::Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    page: String,
}

async fn list_orders(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let scope = order_scope(&caller)?;
    let page = crate::web::extract::page_number(&q.page)?;
    let (orders, total) = orders::list(&state.db, caller.user.partnership_id, scope, None, page).await?;
    Ok(Json(json!({ "orders": orders, "total": total, "page": page, "per_page": orders::PER_PAGE })))
}

async fn place_order(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let scope = order_scope(&caller)?;
    let new: orders::NewOrder = body(&bytes)?;
    let made =
        orders::place(&state.db, &caller.partnership, scope, &new, Some(caller.user.id), state.clock.now())
            .await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmRequest {
    #[serde(default)]
    unit_price: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliverRequest {
    delivered_on: chrono::NaiveDate,
    delivered_by: String,
    #[serde(default)]
    units: Option<rust_decimal::Decimal>,
    #[serde(default)]
    provider_urn: Option<String>,
    #[serde(default)]
    notes: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleRequest {
    date: chrono::NaiveDate,
}

async fn schedule_order(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: ScheduleRequest = body(&bytes)?;
    step_order(&state, &caller, &id, orders::Step::Schedule { on: r.date }).await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelRequest {
    reason: String,
}

async fn step_order(
    state: &AppState,
    caller: &ApiUser,
    id: &str,
    step: orders::Step,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let id = parse_id(id)?;
    let now = state.clock.now();
    let moved =
        orders::step(&state.db, &caller.partnership, id, step, Some(caller.user.id), now.date_naive(), now)
            .await?;
    Ok(Json(json!(moved)))
}

async fn confirm_order(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: ConfirmRequest = body(&bytes)?;
    let price = match (r.unit_price, r.reason) {
        (None, _) => None,
        (Some(p), reason) => {
            Some((crate::web::extract::money("unit_price", &p)?, reason.unwrap_or_default()))
        }
    };
    step_order(&state, &caller, &id, orders::Step::Confirm { price }).await
}

async fn deliver_order(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: DeliverRequest = body(&bytes)?;
    let delivery = orders::Delivery {
        on: r.delivered_on,
        by: r.delivered_by,
        units: r.units,
        provider_urn: r.provider_urn,
        notes: r.notes,
    };
    step_order(&state, &caller, &id, orders::Step::Deliver(delivery)).await
}

async fn cancel_order(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let r: CancelRequest = body(&bytes)?;
    step_order(&state, &caller, &id, orders::Step::Cancel { reason: r.reason }).await
}

/// Finance and admins see the whole catalogue; schools' business managers and commissioners see
/// it to buy from it.
fn may_read(caller: &ApiUser) -> Result<(), ApiError> {
    caller.require(Action::ManageBilling).or_else(|_| caller.require(Action::ViewOwnInvoices))
}

async fn list(State(state): State<AppState>, caller: ApiUser) -> Result<Json<Value>, ApiError> {
    may_read(&caller)?;
    let services = traded::list(&state.db, caller.user.partnership_id).await?;
    Ok(Json(json!({ "services": services, "total": services.len() })))
}

async fn create(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let new: NewService = body(&bytes)?;
    let made =
        traded::create(&state.db, &caller.partnership, &new, Some(caller.user.id), state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

async fn show(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    may_read(&caller)?;
    Ok(Json(json!(traded::get(&state.db, caller.user.partnership_id, parse_id(&id)?).await?)))
}

async fn set_prices(
    State(state): State<AppState>,
    caller: ApiUser,
    Path((id, year)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let prices: traded::YearPrices = body(&bytes)?;
    let id = parse_id(&id)?;
    Ok(Json(json!(
        traded::set_prices(&state.db, &caller.partnership, id, &year, &prices, Some(caller.user.id)).await?
    )))
}

#[derive(serde::Deserialize, Default)]
struct PriceQuery {
    #[serde(default)]
    urn: String,
    #[serde(default)]
    date: String,
}

async fn price(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<PriceQuery>,
) -> Result<Json<Value>, ApiError> {
    may_read(&caller)?;
    let id = parse_id(&id)?;
    let date = chrono::NaiveDate::parse_from_str(q.date.trim(), "%Y-%m-%d")
        .map_err(|_| invalid("date", format!("\"{}\" is not a date like 2026-10-05", q.date.trim())))?;
    let scope = if caller.require(Action::ManageBilling).is_ok() {
        crate::domain::role::SchoolScope::All
    } else {
        caller.user.school_scope()
    };
    let answer = traded::price_for(&state.db, &caller.partnership, id, &q.urn, date, scope).await?;
    Ok(Json(json!(answer)))
}

/// The paths of the catalogue.
pub fn openapi_paths() -> Value {
    let id = || path_param("id", "integer", "The service's id", json!(1));
    let rule = json!({ "type": "object", "description": "A fee rule, as membership fees use: {\"flat\": \"650.00\"}, {\"by_phase\": {...}}, {\"per_pupil\": \"2.50\", \"min\": \"400.00\"}" });
    let service = obj(
        &["id", "name", "category", "unit", "vat_rate", "invoicing", "active_from", "prices"],
        json!({ "id": { "type": "integer" }, "name": { "type": "string" }, "description": { "type": "string" },
                "category": { "type": "string" }, "category_label": { "type": "string" }, "unit": { "type": "string" },
                "vat_rate": { "type": "string" }, "invoicing": { "type": "string" }, "income_stream": { "type": "string" },
                "active_from": { "type": "string", "format": "date" }, "active_to": { "type": "string", "format": "date", "nullable": true },
                "accounting_code": { "type": "string", "nullable": true }, "prices": array_of(json!({ "type": "object" })) }),
    );
    let new_service = obj(
        &["name", "category", "unit", "vat_rate", "invoicing", "active_from"],
        json!({
            "name": { "type": "string", "maxLength": 200 }, "description": { "type": "string", "maxLength": 2000 },
            "category": { "type": "string", "enum": crate::domain::traded::Category::ALL.map(|c| c.as_str()) },
            "unit": { "type": "string", "enum": crate::domain::traded::Unit::ALL.map(|u| u.as_str()) },
            "vat_rate": { "type": "string", "enum": ["standard", "reduced", "zero", "exempt", "outside_scope"] },
            "invoicing": { "type": "string", "enum": crate::domain::traded::Invoicing::ALL.map(|i| i.as_str()) },
            "income_stream": { "type": "string", "enum": crate::domain::traded::INCOME_STREAMS.map(|(k, _)| k), "nullable": true },
            "active_from": { "type": "string", "format": "date" }, "active_to": { "type": "string", "format": "date", "nullable": true },
            "accounting_code": { "type": "string", "maxLength": 50, "nullable": true },
            "prices": array_of(obj(&["year", "member"], json!({ "year": { "type": "string", "example": "2026-27" },
                "member": rule, "non_member": rule, "by_level": { "type": "object", "additionalProperties": rule } }))),
        }),
    );
    let example = json!({ "name": "Adviser day", "category": "adviser_support", "unit": "day", "vat_rate": "standard",
        "invoicing": "on_delivery", "active_from": "2026-09-01",
        "prices": [{ "year": "2026-27", "member": { "flat": "650.00" }, "non_member": { "flat": "800.00" } }] });
    let order = obj(
        &[
            "id",
            "service_id",
            "school_id",
            "state",
            "quantity",
            "free_units",
            "service_date",
            "unit_price",
            "why",
        ],
        json!({ "id": { "type": "integer" }, "service_id": { "type": "integer" }, "school_id": { "type": "integer" },
                "state": { "type": "string", "enum": crate::domain::traded::OrderState::ALL.map(|s| s.as_str()) },
                "quantity": { "type": "string" }, "free_units": { "type": "string" },
                "service_date": { "type": "string", "format": "date" }, "unit_price": { "type": "string" }, "why": { "type": "string" },
                "po_number": { "type": "string", "nullable": true }, "notes": { "type": "string" },
                "invoice_id": { "type": "integer", "nullable": true }, "price_changed_reason": { "type": "string", "nullable": true } }),
    );
    let order_id = || path_param("id", "integer", "The order's id", json!(1));
    let step = |summary: &'static str, op: &'static str, schema: Value| {
        Op {
            summary,
            id: op,
            parameters: vec![order_id()],
            body: Some(json_body(schema, None)),
            ok: (200, "The order", json_content(order.clone())),
            errors: crate::web::openapi::WRITE_ONE,
        }
        .build()
    };
    json!({
        "/orders": {
            "get": Op { summary: "A page of orders, newest first (finance: all; a business manager: their schools')", id: "listOrders",
                parameters: vec![query_param("page", json!({ "type": "integer", "minimum": 1 }), false, "Page number, from 1")], body: None,
                ok: (200, "The orders", json_content(obj(&["orders", "total", "page"], json!({ "orders": array_of(order.clone()),
                    "total": { "type": "integer" }, "page": { "type": "integer" }, "per_page": { "type": "integer" } })))),
                errors: crate::web::openapi::READ_QUERY }.build(),
            "post": Op { summary: "Order a service for a school, priced on its date with the school's entitlement used first", id: "placeOrder", parameters: vec![],
                body: Some(json_body(obj(&["service_id", "urn", "quantity", "service_date"], json!({
                    "service_id": { "type": "integer" }, "urn": { "type": "string", "example": "990003" },
                    "quantity": { "type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1000 },
                    "service_date": { "type": "string", "format": "date" },
                    "po_number": { "type": "string", "maxLength": 100, "nullable": true }, "notes": { "type": "string", "maxLength": 2000 } })), None)),
                ok: (201, "The order", json_content(order.clone())), errors: crate::web::openapi::WRITE_ONE }.build()
        },
        "/orders/{id}/confirm": { "post": step("Confirm an order (finance), optionally at another unit price with a reason; invoiced now if the service is invoiced on confirmation", "confirmOrder",
            obj(&[], json!({ "unit_price": { "type": "string", "example": "600.00" }, "reason": { "type": "string", "maxLength": 500 } }))) },
        "/orders/{id}/deliver": { "post": step("Record a delivery of an order (finance): all of it, or some units (it stays confirmed until the rest is delivered), by a partnership adviser or a person from a provider school (what is owed them at the agreed rate); invoiced when wholly delivered if the service is invoiced on delivery", "deliverOrder",
            obj(&["delivered_on", "delivered_by"], json!({ "delivered_on": { "type": "string", "format": "date" }, "delivered_by": { "type": "string", "maxLength": 200 },
                "units": { "type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1000 },
                "provider_urn": { "type": "string", "nullable": true, "example": "990007" }, "notes": { "type": "string", "maxLength": 2000 } }))) },
        "/customers": { "post": Op { summary: "Add a school from outside the area as a customer for traded services (finance, admin): it pays non-member prices and is not counted among the area's schools", id: "addCustomer", parameters: vec![],
            body: Some(json_body(obj(&["urn", "name", "postcode", "phase"], json!({ "urn": { "type": "string", "example": "123456" },
                "name": { "type": "string", "maxLength": 200 }, "address": { "type": "string", "maxLength": 500 }, "postcode": { "type": "string", "maxLength": 10, "example": "AB1 2CD" },
                "phase": { "type": "string", "enum": crate::domain::billing_phase::BillingPhase::ALL.map(|p| p.label()) } })), None)),
            ok: (201, "The customer", json_content(obj(&["id", "urn", "name"], json!({ "id": { "type": "integer" }, "urn": { "type": "integer" }, "name": { "type": "string" },
                "address": { "type": "string", "nullable": true }, "postcode": { "type": "string", "nullable": true }, "phase": { "type": "string" }, "outside_area": { "type": "boolean" } })))),
            errors: WRITE }.build() },
        "/orders/{id}/schedule": { "post": step("Schedule a confirmed order on the date agreed with the school (finance); the date stays in the order's membership year", "scheduleOrder",
            obj(&["date"], json!({ "date": { "type": "string", "format": "date" } }))) },
        "/orders/{id}/cancel": { "post": step("Cancel an order not yet invoiced (finance)", "cancelOrder",
            obj(&["reason"], json!({ "reason": { "type": "string", "maxLength": 500 } }))) },
        "/services": {
            "get": Op { summary: "The traded-services catalogue with each year's prices (finance, admin, schools)", id: "listServices",
                parameters: vec![], body: None,
                ok: (200, "The services", json_content(obj(&["services", "total"], json!({ "services": array_of(service.clone()), "total": { "type": "integer" } })))),
                errors: READ }.build(),
            "post": Op { summary: "Add a service with its price lists (finance, admin)", id: "createService", parameters: vec![],
                body: Some(json_body(new_service, Some(example))),
                ok: (201, "The service", json_content(service.clone())), errors: WRITE }.build()
        },
        "/services/{id}/prices/{year}": { "put": Op { summary: "Set or replace a service's price list for one year (finance, admin); orders keep their prices", id: "setServicePrices",
            parameters: vec![id(), path_param("year", "string", "The membership year", json!("2027-28"))],
            body: Some(json_body(obj(&["member"], json!({ "member": rule, "non_member": rule, "by_level": { "type": "object", "additionalProperties": rule } })), None)),
            ok: (200, "The service", json_content(service.clone())), errors: crate::web::openapi::WRITE_ONE }.build() },
        "/services/{id}": { "get": Op { summary: "One service", id: "getService", parameters: vec![id()], body: None,
            ok: (200, "The service", json_content(service)), errors: READ_ONE }.build() },
        "/services/{id}/price": { "get": Op { summary: "What a school pays for one unit on a date, and why (by its membership that day)", id: "servicePrice",
            parameters: vec![id(),
                query_param("urn", json!({ "type": "string", "example": "990003" }), true, "The school's URN"),
                query_param("date", json!({ "type": "string", "format": "date" }), true, "The date of service")],
            body: None,
            ok: (200, "The price", json_content(obj(&["unit_price", "why", "member", "year"], json!({
                "service_id": { "type": "integer" }, "urn": { "type": "integer" }, "school": { "type": "string" },
                "date": { "type": "string", "format": "date" }, "year": { "type": "string" }, "member": { "type": "boolean" },
                "level": { "type": "string", "nullable": true }, "unit_price": { "type": "string" }, "why": { "type": "string" } })))),
            errors: &[400, 401, 403, 404, 409, 422] }.build() }
    })
}
