//! Traded services: the catalogue with its price lists and what each level includes, the price
//! a school pays for a service on a date (with why), and orders, in the JSON API and on the
//! pages (finance's catalogue, price editor and orders queue; a school's services page and
//! order form). CPD events with bookings and provider payables are issue 12's later parts.

mod api;
mod events;
mod events_api;
mod orders;
mod pages;
mod providers;
mod providers_api;
mod school;

/// The JSON API of traded services: the catalogue, orders, events and bookings.
pub fn api() -> Router<AppState> {
    api::router().merge(events_api::router()).merge(providers_api::router())
}

/// The OpenAPI paths of traded services.
pub fn openapi_paths() -> serde_json::Value {
    let mut all = api::openapi_paths();
    for more in [events_api::openapi_paths(), providers_api::openapi_paths()] {
        if let (Some(map), serde_json::Value::Object(more)) = (all.as_object_mut(), more) {
            map.extend(more);
        }
    }
    all
}

use crate::web::AppState;
use axum::Router;
use axum::routing::{get, post};

/// The pages of traded services.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services", get(pages::catalogue))
        .route("/services/new", get(pages::new_form).post(pages::create))
        .route("/services/customers/new", get(pages::customer_form).post(pages::add_customer))
        .route("/services/{id}", get(pages::show))
        .route("/services/{id}/prices/{year}", get(pages::prices_form).post(pages::save_prices))
        .route("/services/{id}/order", get(school::order_form).post(school::place))
        .route("/orders", get(orders::list))
        .route("/orders/{id}", get(orders::show))
        .route("/orders/{id}/{action}", post(orders::step))
        .route("/events", get(events::list))
        .route("/events/new", get(events::new_form).post(events::create))
        .route("/events/{id}", get(events::show))
        .route("/events/{id}/book", post(events::book))
        .route("/events/{id}/attendance", post(events::attendance))
        .route("/bookings/{id}/{action}", post(events::place_action))
        .route("/providers", get(providers::show))
        .route("/providers/rates", post(providers::set_rate))
        .route("/providers/statements", post(providers::make_statements))
        .route("/providers/statements/{id}", get(providers::statement))
        .route("/providers/statements/{id}/paid", post(providers::mark_paid))
        .route("/providers/statements/{id}/pdf", get(providers::pdf))
        .route("/deliveries", get(providers::timesheet))
        .route("/services/margin", get(providers::margin))
        .route("/services/take-up", get(providers::take_up))
}
