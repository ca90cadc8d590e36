//! The renewal round: finance opens it, chases and converts answers (`/renewals`); business
//! managers answer for their schools (`/renewal`); the JSON API does the same.

mod api;
mod pages;

use crate::domain::role::{Action, SchoolScope};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::session::PageUser;
use axum::Router;
use axum::routing::{get, post};

pub use api::openapi_paths;

/// The JSON API of renewal rounds (nested under `/api/v1`).
pub fn api() -> Router<AppState> {
    api::router()
}

/// The pages of renewal rounds.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/renewals", get(pages::list).post(pages::open))
        .route("/renewals/{id}", get(pages::show))
        .route("/renewals/{id}/chase", post(pages::chase))
        .route("/renewals/{id}/convert", get(pages::confirm_convert).post(pages::convert))
        .route("/renewals/{id}/close", get(pages::confirm_close).post(pages::close))
        .route("/renewals/{id}/schools/{urn}", get(pages::answer_form).post(pages::answer))
        .route("/renewal", get(pages::portal))
}

/// The schools a user may answer for: finance any, a business manager their own.
fn answering_scope(user: &PageUser) -> Result<SchoolScope, PageError> {
    if user.require(Action::ManageBilling).is_ok() {
        return Ok(SchoolScope::All);
    }
    user.require(Action::AnswerRenewal)?;
    match user.user.school_scope() {
        SchoolScope::Nothing => Err(PageError::Forbidden),
        scope => Ok(scope),
    }
}
