//! The partnership's details and its invoice settings.

mod details;
pub(crate) mod pages;

use crate::web::AppState;
use axum::Router;

/// The feature's pages.
pub fn router() -> Router<AppState> {
    pages::router().merge(details::router())
}
