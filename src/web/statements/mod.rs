//! Bank statements: upload, the lines with what matching found, and finance's decisions, as
//! pages and the API.

mod api;
mod openapi;
pub(crate) mod pages;

use crate::web::AppState;
use axum::Router;

/// Lines per page.
pub const PER_PAGE: u64 = 50;

/// The feature's pages.
pub fn router() -> Router<AppState> {
    pages::router()
}

/// The feature's JSON API routes (nested under `/api/v1`).
pub fn api() -> Router<AppState> {
    api::router()
}

pub use openapi::openapi_paths;
