//! Memberships: enrolling, leaving and changing level; pages and API.

mod api;
mod enrol;
mod membership;
pub(crate) mod pages;

use crate::web::AppState;
use axum::Router;

/// The feature's pages.
pub fn router() -> Router<AppState> {
    pages::router().merge(enrol::router()).merge(membership::router())
}

/// The feature's JSON API routes (nested under `/api/v1`).
pub fn api() -> Router<AppState> {
    api::router()
}
