//! `/api/v1/events` and `/api/v1/bookings`: CPD courses and conferences, booking named
//! delegates (the waiting list beyond the capacity), cancelling by the event's policy,
//! answering an offered place, substituting a delegate, and the attendance register.

use super::api::order_scope;
use crate::domain::role::Action;
use crate::services::events::{self, NewBooking, NewEvent};
use crate::services::ledger::Actor;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::extract::{body, parse_id};
use crate::web::openapi::{
    Op, READ_ONE, WRITE, WRITE_ONE, array_of, json_body, json_content, obj, path_param, query_param,
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
        .route("/events", get(list).post(create))
        .route("/events/{id}", get(show))
        .route("/events/{id}/bookings", post(book))
        .route("/events/{id}/attendance", post(attendance))
        .route("/bookings/{id}/cancel", post(cancel))
        .route("/bookings/{id}/accept", post(accept))
        .route("/bookings/{id}/decline", post(decline))
        .route("/bookings/{id}/delegate", post(delegate))
}

#[derive(serde::Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    page: String,
}

async fn list(
    State(state): State<AppState>,
    caller: ApiUser,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    order_scope(&caller)?;
    let page = crate::web::extract::page_number(&q.page)?;
    let (list, total) = events::list(&state.db, caller.user.partnership_id, page).await?;
    Ok(Json(json!({ "events": list, "total": total, "page": page, "per_page": events::PER_PAGE })))
}

async fn create(
    State(state): State<AppState>,
    caller: ApiUser,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Action::ManageBilling)?;
    let new: NewEvent = body(&bytes)?;
    let made =
        events::create(&state.db, &caller.partnership, &new, Some(caller.user.id), state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

async fn show(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let scope = order_scope(&caller)?;
    let id = parse_id(&id)?;
    let event = events::get(&state.db, caller.user.partnership_id, id).await?;
    let places = events::places(&state.db, caller.user.partnership_id, scope, id).await?;
    Ok(Json(json!({ "event": event, "places": places })))
}

async fn book(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let scope = order_scope(&caller)?;
    let id = parse_id(&id)?;
    let new: NewBooking = body(&bytes)?;
    let places = events::book(
        &state.db,
        &caller.partnership,
        scope,
        id,
        &new,
        Actor::at(Some(caller.user.id), state.clock),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "places": places }))).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Attendance {
    #[serde(default)]
    attended: Vec<i64>,
    #[serde(default)]
    no_show: Vec<i64>,
}

async fn attendance(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ManageBilling)?;
    let id = parse_id(&id)?;
    let a: Attendance = body(&bytes)?;
    if a.attended.len() + a.no_show.len() > 5000 {
        return Err(crate::web::extract::invalid("attended", "at most 5000 places at once"));
    }
    let places = events::register_attendance(
        &state.db,
        &caller.partnership,
        id,
        &a.attended,
        &a.no_show,
        Actor::at(Some(caller.user.id), state.clock),
    )
    .await?;
    Ok(Json(json!({ "places": places })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

async fn cancel(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let scope = order_scope(&caller)?;
    let id = parse_id(&id)?;
    if !bytes.is_empty() {
        let _: Empty = body(&bytes)?;
    }
    let place = events::cancel(
        &state.db,
        &caller.partnership,
        scope,
        id,
        Actor::at(Some(caller.user.id), state.clock),
    )
    .await?;
    Ok(Json(json!(place)))
}

async fn answer(state: &AppState, caller: &ApiUser, id: &str, accept: bool) -> Result<Json<Value>, ApiError> {
    let scope = order_scope(caller)?;
    let id = parse_id(id)?;
    let place = events::answer_offer(
        &state.db,
        &caller.partnership,
        scope,
        id,
        accept,
        Actor::at(Some(caller.user.id), state.clock),
    )
    .await?;
    Ok(Json(json!(place)))
}

async fn accept(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    answer(&state, &caller, &id, true).await
}

async fn decline(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    answer(&state, &caller, &id, false).await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Delegate {
    delegate: String,
}

async fn delegate(
    State(state): State<AppState>,
    caller: ApiUser,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let scope = order_scope(&caller)?;
    let id = parse_id(&id)?;
    let d: Delegate = body(&bytes)?;
    let place =
        events::substitute(&state.db, &caller.partnership, scope, id, &d.delegate, Some(caller.user.id))
            .await?;
    Ok(Json(json!(place)))
}

/// The paths of events and bookings.
pub fn openapi_paths() -> Value {
    let event_id = || path_param("id", "integer", "The event's id", json!(1));
    let place_id = || path_param("id", "integer", "The booked place's id", json!(1));
    let date = || json!({ "type": "string", "format": "date" });
    let policy = obj(
        &[],
        json!({ "rules": array_of(obj(&["within_days", "percent"], json!({ "within_days": { "type": "integer", "minimum": 1, "maximum": 365 },
                    "percent": { "type": "string", "example": "100" } }))),
                "no_show_charge": { "type": "string", "nullable": true, "example": "50.00" } }),
    );
    let event = obj(
        &["id", "title", "capacity", "places_left", "starts_on", "sessions"],
        json!({ "id": { "type": "integer" }, "service_id": { "type": "integer" }, "title": { "type": "string" },
                "description": { "type": "string" }, "venue": { "type": "string" }, "online": { "type": "boolean" },
                "capacity": { "type": "integer" }, "places_taken": { "type": "integer" }, "places_left": { "type": "integer" },
                "waiting": { "type": "integer" }, "booking_deadline": date(), "starts_on": date(), "ends_on": date(),
                "cancellation_policy": policy.clone(), "cancellation_policy_in_words": { "type": "string" },
                "sessions": array_of(obj(&["date", "starts_at", "ends_at"], json!({ "date": date(), "starts_at": { "type": "string" }, "ends_at": { "type": "string" }, "venue": { "type": "string" } }))) }),
    );
    let place = obj(
        &["id", "event_id", "delegate", "state", "price"],
        json!({ "id": { "type": "integer" }, "event_id": { "type": "integer" }, "school_id": { "type": "integer" },
                "urn": { "type": "integer" }, "school": { "type": "string" }, "delegate": { "type": "string" },
                "state": { "type": "string", "enum": crate::domain::events::PlaceState::ALL.map(|s| s.as_str()) },
                "price": { "type": "string" }, "why": { "type": "string" }, "po_number": { "type": "string", "nullable": true },
                "invoice_id": { "type": "integer", "nullable": true }, "cancelled_on": { "type": "string", "format": "date", "nullable": true },
                "fee": { "type": "string", "nullable": true }, "credit_note_id": { "type": "integer", "nullable": true },
                "charge_invoice_id": { "type": "integer", "nullable": true } }),
    );
    let places = obj(&["places"], json!({ "places": array_of(place.clone()) }));
    let new_event = obj(
        &["service_id", "title", "capacity", "booking_deadline", "sessions"],
        json!({ "service_id": { "type": "integer" }, "title": { "type": "string", "maxLength": 200 },
                "description": { "type": "string", "maxLength": 2000 }, "venue": { "type": "string", "maxLength": 500 },
                "online": { "type": "boolean" }, "capacity": { "type": "integer", "minimum": 1, "maximum": 10000 },
                "booking_deadline": date(),
                "sessions": array_of(obj(&["date", "starts_at", "ends_at"], json!({ "date": date(),
                    "starts_at": { "type": "string", "example": "09:30" }, "ends_at": { "type": "string", "example": "15:30" },
                    "venue": { "type": "string", "maxLength": 500 } }))),
                "cancellation_policy": policy }),
    );
    let on_place = |summary: &'static str, op: &'static str, schema: Option<Value>| {
        Op {
            summary,
            id: op,
            parameters: vec![place_id()],
            body: schema.map(|s| json_body(s, None)),
            ok: (200, "The place", json_content(place.clone())),
            errors: WRITE_ONE,
        }
        .build()
    };
    json!({
        "/events": {
            "get": Op { summary: "A page of CPD courses and conferences, soonest first, with places left", id: "listEvents",
                parameters: vec![query_param("page", json!({ "type": "integer", "minimum": 1 }), false, "Page number, from 1")], body: None,
                ok: (200, "The events", json_content(obj(&["events", "total"], json!({ "events": array_of(event.clone()), "total": { "type": "integer" },
                    "page": { "type": "integer" }, "per_page": { "type": "integer" } })))), errors: crate::web::openapi::READ_QUERY }.build(),
            "post": Op { summary: "Add an event sold through a CPD service (finance, admin)", id: "createEvent", parameters: vec![],
                body: Some(json_body(new_event, Some(json!({ "service_id": 3, "title": "Phonics for new teachers", "venue": "The Learning Centre",
                    "capacity": 20, "booking_deadline": "2027-01-15", "sessions": [{ "date": "2027-01-29", "starts_at": "09:30", "ends_at": "15:30" }],
                    "cancellation_policy": { "rules": [{ "within_days": 14, "percent": "100" }] } })))),
                ok: (201, "The event", json_content(event.clone())), errors: WRITE }.build()
        },
        "/events/{id}": { "get": Op { summary: "One event with its places (finance: all; a business manager: their schools')", id: "getEvent",
            parameters: vec![event_id()], body: None,
            ok: (200, "The event and places", json_content(obj(&["event", "places"], json!({ "event": event, "places": array_of(place.clone()) })))),
            errors: READ_ONE }.build() },
        "/events/{id}/bookings": { "post": Op { summary: "Book places for named delegates of a school: as many as are left, the rest on the waiting list; booked places are invoiced", id: "bookEvent",
            parameters: vec![event_id()],
            body: Some(json_body(obj(&["urn", "delegates"], json!({ "urn": { "type": "string", "example": "990003" },
                "delegates": array_of(json!({ "type": "string", "maxLength": 200 })), "po_number": { "type": "string", "maxLength": 100, "nullable": true } })), None)),
            ok: (201, "The places", json_content(places.clone())), errors: WRITE_ONE }.build() },
        "/events/{id}/attendance": { "post": Op { summary: "The attendance register (finance): places attended and not; a no-show at a free place is charged", id: "eventAttendance",
            parameters: vec![event_id()],
            body: Some(json_body(obj(&[], json!({ "attended": array_of(json!({ "type": "integer" })), "no_show": array_of(json!({ "type": "integer" })) })), None)),
            ok: (200, "The places", json_content(places)), errors: WRITE_ONE }.build() },
        "/bookings/{id}/cancel": { "post": on_place("Cancel a place: the policy's fee is kept and the rest credited; the place goes to the waiting list", "cancelBooking", None) },
        "/bookings/{id}/accept": { "post": on_place("Accept a place offered from the waiting list (it is invoiced)", "acceptBookingOffer", None) },
        "/bookings/{id}/decline": { "post": on_place("Decline a place offered from the waiting list (it passes to the next)", "declineBookingOffer", None) },
        "/bookings/{id}/delegate": { "post": on_place("Send another delegate in a place", "substituteDelegate",
            Some(obj(&["delegate"], json!({ "delegate": { "type": "string", "maxLength": 200 } })))) },
    })
}
