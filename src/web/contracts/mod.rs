//! Contracts and grants: the JSON API and the pages. Finance and admins manage them, the board
//! reads them with the income summary, and a council commissioner sees their council's.

mod api;
mod pages;

use crate::services::contracts::ContractScope;
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::session::PageUser;
use axum::Router;
use axum::routing::{get, post};

pub use api::openapi_paths;

/// The JSON API of contracts (nested under `/api/v1`).
pub fn api() -> Router<AppState> {
    api::router()
}

/// The pages of contracts.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contracts", get(pages::list))
        .route("/contracts/new", get(pages::new_form).post(pages::create))
        .route("/contracts/{id}", get(pages::show))
        .route("/contracts/{id}/vary", post(pages::vary))
        .route("/contracts/{id}/instalments/{i}/invoice", post(pages::raise_now))
        .route("/contracts/{id}/deliverables/{d}/sign-off", post(pages::sign_off))
}

/// The contracts a signed-in user may see, or 403.
fn scope_of(user: &PageUser) -> Result<ContractScope, PageError> {
    ContractScope::of(&user.user).ok_or(PageError::Forbidden)
}
