//! Importing the register from a GIAS extract: the page and the API.

mod api;
pub(crate) mod pages;
mod spool;

use crate::web::AppState;
use axum::Router;

/// The feature's pages.
pub fn router() -> Router<AppState> {
    pages::router()
}

/// The feature's JSON API routes (nested under `/api/v1`).
pub fn api() -> Router<AppState> {
    api::router()
}

pub use pages::MAX_UPLOAD_BYTES;
