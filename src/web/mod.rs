//! HTTP: one router per feature, merged here; extractors; one error type per surface.

pub mod api;
pub mod api_billing;
pub mod assets;
pub mod billing;
pub mod error;
pub mod fee_form;
pub mod funding;
pub mod funding_edit;
pub mod home;
pub mod import;
pub mod invoices;
pub mod memberships;
pub mod offers;
pub mod openapi;
pub mod payers;
pub mod schools;
pub mod session;
pub mod settings;
pub mod sign_in;
pub mod users;
pub mod view;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Mark cookies `Secure` (on whenever the service is reached over HTTPS).
    pub secure_cookies: bool,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<WebSettings>,
    pub clock: crate::clock::Clock,
    /// Billing runs started from the billing page, by token, while and after they run.
    pub runs: Arc<std::sync::Mutex<std::collections::HashMap<String, crate::services::billing::RunProgress>>>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, settings: WebSettings) -> AppState {
        AppState {
            db,
            settings: Arc::new(settings),
            clock: crate::clock::Clock::System,
            runs: Arc::default(),
        }
    }
}

/// The whole service as one router: pages, the JSON API, assets and the health check.
pub fn router(state: AppState) -> Router {
    let headers = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    let mut app = Router::new()
        .merge(sign_in::router())
        .merge(home::router())
        .merge(schools::router())
        .merge(import::router())
        .merge(billing::router())
        .merge(offers::router())
        .merge(memberships::router())
        .merge(payers::router())
        .merge(settings::router())
        .merge(funding::router())
        .merge(funding_edit::router())
        .merge(invoices::router())
        .merge(users::router())
        .nest("/api/v1", api::router().merge(api_billing::router()))
        .merge(assets::router())
        .route("/health", get(health))
        .fallback(not_found)
        .with_state(state)
        .layer(TraceLayer::new_for_http());
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    app
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
