//! The home page.

pub mod figures;
pub(crate) mod pages;

use crate::web::AppState;
use axum::Router;

/// The feature's pages.
pub fn router() -> Router<AppState> {
    pages::router()
}
