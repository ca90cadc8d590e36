//! Membership offers and their levels, on pages and in the API.

mod api;
pub(crate) mod levels;
pub(crate) mod pages;
mod preview;

use crate::web::AppState;
use axum::Router;

/// The feature's pages.
pub fn router() -> Router<AppState> {
    pages::router().merge(levels::router())
}

/// The feature's JSON API routes (nested under `/api/v1`).
pub fn api() -> Router<AppState> {
    api::router()
}
