//! Getting paid: payments, allocations, refunds, write-offs, council budget deductions,
//! statements of account and aged debt, as pages and the API.

mod api;
mod openapi;
pub(crate) mod pages;

use crate::web::AppState;
use axum::Router;

/// Rows per page on every list of this feature.
pub const PER_PAGE: u64 = 50;

/// The feature's pages.
pub fn router() -> Router<AppState> {
    pages::router()
}

/// The feature's JSON API routes (nested under `/api/v1`).
pub fn api() -> Router<AppState> {
    api::router()
}

pub use api::may_read_account;
pub use openapi::openapi_paths;
