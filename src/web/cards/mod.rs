//! Card payments on the pages: the partnership's Stripe keys (settings), paying invoices by
//! card (to Stripe's payment page and back), and the webhook Stripe tells us what happened on.

mod direct_debit;
mod pay;
mod settings;
mod webhook;

use crate::web::AppState;
use axum::Router;
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/payments", get(settings::show).post(settings::save))
        .route("/settings/payments/remove", post(settings::remove))
        .route("/invoices/{id}/pay", post(pay::pay_invoice))
        .route("/payers/{id}/pay", post(pay::pay_several))
        .route("/pay/done", get(pay::done))
        .route("/payers/{id}/direct-debit", post(direct_debit::set_up))
        .route("/payers/{id}/direct-debit/resume", post(direct_debit::resume))
        .route("/direct-debit/done", get(direct_debit::done))
        .route("/pay/cancelled", get(pay::cancelled))
        .route("/stripe/webhook/{slug}", post(webhook::receive))
}
