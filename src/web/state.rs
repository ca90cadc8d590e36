//! What every handler can reach: the database, the settings the web layer needs, the clock.

use crate::clock::Clock;
use crate::services::auth::AuthCache;
use crate::web::limits::{SignInCounter, SignInLimits};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Mark cookies `Secure` and send HSTS (on whenever the service is reached over HTTPS).
    pub secure_cookies: bool,
    /// How many sign-in attempts a window allows per address and per email address.
    pub sign_in_limits: SignInLimits,
    /// The key partnerships' Stripe keys are sealed with, and where Stripe's API is.
    pub payments: crate::settings::PaymentSettings,
    /// Where people and Stripe reach the service (no trailing slash).
    pub public_url: String,
    /// Where mail goes: an SMTP server, or the outbox folder.
    pub mailer: crate::services::mail::transport::Mailer,
    /// The jobs `serve` runs on a schedule, with their cron schedules.
    pub schedules: Vec<(crate::jobs::Job, String)>,
}

impl WebSettings {
    /// Plain HTTP (a laptop, a test) with the usual sign-in limits.
    pub fn local() -> WebSettings {
        WebSettings {
            secure_cookies: false,
            sign_in_limits: SignInLimits::default(),
            payments: crate::settings::PaymentSettings::default(),
            public_url: format!("http://{}", crate::settings::DEFAULT_BIND),
            mailer: crate::services::mail::transport::Mailer::Folder {
                dir: std::env::temp_dir().join("partnership-billing-mail"),
                from: crate::services::mail::transport::DEFAULT_FROM.into(),
            },
            schedules: crate::jobs::Job::ALL.iter().map(|j| (*j, j.default_cron().to_string())).collect(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<WebSettings>,
    pub clock: Clock,
    /// Sign-in attempts in the current windows.
    pub sign_ins: Arc<SignInCounter>,
    /// Sessions and API tokens checked a moment ago.
    pub auth_cache: Arc<AuthCache>,
    /// The home pages' partnership-wide figures, kept a moment.
    pub home_cache: Arc<crate::web::home::figures::HomeCache>,
    /// Row counts of the paged lists, kept for a few seconds.
    pub counts: Arc<crate::services::counts::Counts>,
}

impl AppState {
    /// The signed-in user `user_id` acting now, for the ledger's records.
    pub fn actor(&self, user_id: i64) -> crate::services::ledger::Actor {
        crate::services::ledger::Actor::at(Some(user_id), self.clock)
    }

    /// What a job run from a page needs.
    pub fn job_context(&self) -> crate::jobs::JobContext {
        crate::jobs::JobContext {
            db: self.db.clone(),
            mailer: self.settings.mailer.clone(),
            payments: self.settings.payments.clone(),
            public_url: self.settings.public_url.clone(),
            instance: crate::jobs::instance_name(),
        }
    }

    pub fn new(db: DatabaseConnection, settings: WebSettings) -> AppState {
        AppState {
            db,
            settings: Arc::new(settings),
            clock: Clock::System,
            sign_ins: Arc::default(),
            auth_cache: Arc::default(),
            home_cache: Arc::default(),
            counts: Arc::default(),
        }
    }
}
