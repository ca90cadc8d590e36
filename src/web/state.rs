//! What every handler can reach: the database, the settings the web layer needs, the clock.

use crate::clock::Clock;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Mark cookies `Secure` and send HSTS (on whenever the service is reached over HTTPS).
    pub secure_cookies: bool,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<WebSettings>,
    pub clock: Clock,
}

impl AppState {
    pub fn new(db: DatabaseConnection, settings: WebSettings) -> AppState {
        AppState { db, settings: Arc::new(settings), clock: Clock::System }
    }
}
