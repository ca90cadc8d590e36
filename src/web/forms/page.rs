//! Helpers every form page shares: the status of an answer with problems, a service's refusal
//! as the form's problems, and the membership year a form asks for.

use crate::domain::partnership::MembershipYear;
use crate::domain::role::Action;
use crate::services::{FieldError, ServiceError};
use crate::web::error::PageError;
use crate::web::forms::fields::{FormData, Problems};
use crate::web::session::PageUser;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The page answer for a form with problems: 422 with the form shown again.
pub fn with_problems(errors: &[FieldError], page: impl IntoResponse) -> Response {
    let code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (code, page).into_response()
}

/// The year a new offer or scenario is for by default: the partnership's next membership year.
pub fn next_year(user: &PageUser, today: chrono::NaiveDate) -> String {
    user.partnership
        .year_kind
        .year_containing(today)
        .and_then(MembershipYear::next)
        .map(MembershipYear::label)
        .unwrap_or_default()
}

pub fn check_year(user: &PageUser, text: &str, field: &str, problems: &mut Problems) -> Option<String> {
    match MembershipYear::parse(user.partnership.year_kind, text) {
        Some(y) => Some(y.label()),
        None if text.is_empty() => {
            problems.add(field, "Enter the membership year, like 2026-27");
            None
        }
        None => {
            problems.add(field, format!("\"{text}\" is not a membership year like 2026-27"));
            None
        }
    }
}

/// Turns a service's refusal into the form's problems, or passes other errors on.
pub fn refused(e: ServiceError, field: &str) -> Result<Vec<FieldError>, PageError> {
    refused_as(e, &[("name", field)])
}

/// A service's refusal as the form's problems: each service field renamed to the id of the
/// form's field (`fields`: service name, form id) and each message in sentence case.
pub fn refused_as(e: ServiceError, fields: &[(&str, &str)]) -> Result<Vec<FieldError>, PageError> {
    match e {
        ServiceError::Invalid(list) => Ok(list
            .into_iter()
            .map(|f| FieldError {
                field: fields
                    .iter()
                    .find(|(from, _)| *from == f.field)
                    .map_or(f.field.clone(), |(_, to)| to.to_string()),
                message: sentence_case(&f.message),
            })
            .collect()),
        other => Err(other.into()),
    }
}

/// The text with its first letter a capital, as GOV.UK error messages are written.
pub fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Checks that the user may manage billing and that the posted form carries their CSRF token.
pub fn editor(user: &PageUser, form: &FormData) -> Result<(), PageError> {
    user.require(Action::ManageBilling)?;
    user.check_csrf(form.get("csrf_token"))
}
