//! Funding models for boards: compare, export, and edit scenarios; pages and API.

mod api;
mod edit;
mod exports;
pub(crate) mod pages;

use crate::web::AppState;
use axum::Router;

/// The feature's pages.
pub fn router() -> Router<AppState> {
    pages::router().merge(edit::router()).merge(exports::router())
}

/// The feature's JSON API routes (nested under `/api/v1`).
pub fn api() -> Router<AppState> {
    api::router()
}
