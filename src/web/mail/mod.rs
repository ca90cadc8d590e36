//! Mail, reminders and jobs on the pages: the outbox finance watches (every message and its
//! state, sent again when it failed), the reminder schedule with the reminders due today, and
//! the Jobs page with each job's last runs and a "run now" button.

pub mod emails;
mod jobs;
mod outbox;
mod reminders;

use crate::web::AppState;
use axum::Router;
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mail", get(outbox::list))
        .route("/mail/{id}", get(outbox::show))
        .route("/mail/{id}/send-again", post(outbox::send_again))
        .route("/reminders", get(reminders::show).post(reminders::save))
        .route("/invoices/{id}/reminders", post(reminders::pause_invoice))
        .route("/invoices/{id}/late-payment-claim", post(reminders::raise_claim))
        .route("/billing/payers/{id}/reminders", post(reminders::pause_payer))
        .route("/payers/{id}/emails", get(emails::form).post(emails::save))
        .route("/payers/{id}/statement/email", post(outbox::email_statement))
        .route("/jobs", get(jobs::show))
        .route("/jobs/{name}/run", post(jobs::run_now))
}

/// Date and time as finance reads them: 30 November 2026 at 09:05 (UTC).
fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%-d %B %Y at %H:%M").to_string()
}
