//! HTTP: one router per feature, merged here; extractors; one error type per surface.

pub mod account;
pub mod assets;
pub mod audit;
pub mod billing;
pub mod cards;
pub mod catalogue;
pub mod contracts;
pub mod error;
pub mod exports;
pub mod extract;
pub mod forms;
pub mod funding;
pub mod home;
pub mod imports;
pub mod invoices;
pub mod layers;
pub mod limits;
pub mod mail;
pub mod memberships;
pub mod offers;
pub mod openapi;
pub mod payers;
pub mod payments;
pub mod renewals;
pub mod reports;
pub mod schools;
pub mod session;
pub mod settings;
pub mod state;
pub mod statements;
pub mod users;
pub mod view;

pub use state::{AppState, WebSettings};

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The whole service as one router: pages, the JSON API, assets and the health check.
pub fn router(state: AppState) -> Router {
    // Forms post here; a card or Direct Debit form is answered with a redirect to Stripe's
    // Checkout page, which browsers check against form-action too.
    let policy = format!(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         form-action 'self' {}; frame-ancestors 'none'; base-uri 'none'",
        checkout_origin(state.settings.payments.stripe_api_base.as_deref())
    );
    let policy = HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'self'"));
    let headers = [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    let api = Router::new()
        .route("/openapi.json", get(openapi::document))
        .merge(users::api())
        .merge(schools::api())
        .merge(imports::api())
        .merge(offers::api())
        .merge(memberships::api())
        .merge(payers::api())
        .merge(billing::api())
        .merge(invoices::api())
        .merge(payments::api())
        .merge(catalogue::api())
        .merge(contracts::api())
        .merge(renewals::api())
        .merge(exports::api())
        .merge(reports::api())
        .merge(statements::api())
        .merge(audit::api())
        .merge(funding::api())
        .layer(axum::middleware::from_fn(layers::api_error_envelope));
    let mut app = Router::new()
        .merge(account::router())
        .merge(home::router())
        .merge(schools::router())
        .merge(imports::router())
        .merge(billing::router())
        .merge(offers::router())
        .merge(memberships::router())
        .merge(payers::router())
        .merge(audit::router())
        .merge(settings::router())
        .merge(cards::router())
        .merge(mail::router())
        .merge(catalogue::router())
        .merge(contracts::router())
        .merge(renewals::router())
        .merge(exports::router())
        .merge(reports::router())
        .merge(funding::router())
        .merge(invoices::router())
        .merge(payments::router())
        .merge(statements::router())
        .merge(users::router())
        .nest("/api/v1", api)
        .merge(assets::router())
        .route("/health", get(health))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), layers::signed_in_error_pages))
        .layer(axum::middleware::from_fn_with_state(state.clone(), layers::note_writes))
        .layer(axum::middleware::from_fn(layers::reject_control_characters))
        .layer(axum::middleware::from_fn_with_state(state.settings.secure_cookies, layers::private_headers))
        .layer(axum::middleware::from_fn(layers::catch_panics))
        .with_state(state)
        .layer(TraceLayer::new_for_http());
    app = app.layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, policy));
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    app
}

/// Where Stripe's Checkout pages are: checkout.stripe.com, or the origin of a fake Stripe API
/// (`STRIPE_API_BASE`), which serves its own stand-in pages.
fn checkout_origin(api_base: Option<&str>) -> String {
    let Some(base) = api_base else { return "https://checkout.stripe.com".into() };
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == ';' || c == '\'') {
        return "https://checkout.stripe.com".into();
    }
    format!("{scheme}://{host}")
}

async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    use axum::http::StatusCode;
    if crate::services::ping(&state.db).await {
        (StatusCode::OK, axum::Json(serde_json::json!({"status": "ok", "database": "reachable"})))
            .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "unavailable", "database": "unreachable"})),
        )
            .into_response()
    }
}

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        error::ApiError::NotFound(format!("no such endpoint: {}", uri.path())).into_response()
    } else {
        error::PageError::NotFound.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::checkout_origin;

    #[test]
    fn forms_may_go_on_to_stripe_s_checkout_only() {
        assert_eq!(checkout_origin(None), "https://checkout.stripe.com");
        assert_eq!(checkout_origin(Some("http://127.0.0.1:8420/")), "http://127.0.0.1:8420");
        assert_eq!(checkout_origin(Some("https://stripe.test/v1/")), "https://stripe.test");
        assert_eq!(checkout_origin(Some("http://a b;/")), "https://checkout.stripe.com");
    }
}
