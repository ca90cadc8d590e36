//! The two error types that become responses: HTML pages and JSON API answers.

use crate::services::{FieldError, ServiceError};
use crate::web::view::Chrome;
use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

/// An error on a page; renders the error page with the right status.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: go to the sign-in page, then back.
    SignIn {
        next: String,
    },
    /// Signed in with a one-time password: choose one's own first.
    ChangePassword,
    /// Too many attempts: wait this many minutes.
    TooMany(i64),
    Forbidden,
    NotFound,
    BadRequest(String),
    /// Another service (Stripe) did not answer: 503 with what to do.
    Unavailable(String),
    Internal,
}

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> PageError {
        match e {
            ServiceError::NotFound(_) => PageError::NotFound,
            ServiceError::Invalid(errors) => {
                PageError::BadRequest(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
            }
            ServiceError::Conflict(message) => PageError::BadRequest(message),
            ServiceError::Unavailable(message) => PageError::Unavailable(message),
            ServiceError::Database(db) => {
                tracing::error!(error = %db, cause = ?db, "database error on a page");
                PageError::Internal
            }
            corrupt @ ServiceError::Corrupt { .. } => {
                tracing::error!(error = %corrupt, "a stored value cannot be read");
                PageError::Internal
            }
            ServiceError::Internal(what) => {
                tracing::error!(error = what, "internal error on a page");
                PageError::Internal
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: String,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match self {
            PageError::SignIn { next } => {
                let target = format!("/sign-in?next={}", urlencode(&next));
                return Redirect::to(&target).into_response();
            }
            PageError::ChangePassword => return Redirect::to("/account/password").into_response(),
            PageError::TooMany(minutes) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                format!("There have been too many sign-in attempts. Wait {minutes} minutes, then try again."),
            ),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                "You cannot see this page",
                "Your account does not give you access to this page. Ask your partnership's admin if you need it.".to_string(),
            ),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "If you typed the web address, check it is correct.".to_string(),
            ),
            PageError::BadRequest(message) => (StatusCode::BAD_REQUEST, "There is a problem", message),
            PageError::Unavailable(message) => {
                (StatusCode::SERVICE_UNAVAILABLE, "Sorry, the payment service is not answering", message)
            }
            PageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
                "Try again later. Nothing you sent has been half-saved.".to_string(),
            ),
        };
        let content = ErrorPageContent { heading: heading.to_string(), message };
        let mut response = error_page(status, &content, Chrome::anonymous());
        // A later layer shows the signed-in header and navigation, if someone is signed in.
        response.extensions_mut().insert(content);
        response
    }
}

/// What an error page says, kept on its response so it can be shown again with the header of
/// whoever is signed in.
#[derive(Debug, Clone)]
pub struct ErrorPageContent {
    heading: String,
    message: String,
}

/// An error page with the given header and navigation.
pub fn error_page(status: StatusCode, content: &ErrorPageContent, chrome: Chrome) -> Response {
    let page = ErrorPage { chrome, heading: content.heading.clone(), message: content.message.clone() };
    match page.render() {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        // The last net: the error page itself failed, so say so in plain text.
        Err(e) => {
            tracing::error!(error = %e, "the error page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "Sorry, there is a problem with the service.").into_response()
        }
    }
}

/// Percent-encodes one segment of a path (a scenario's name): a `/` in it is encoded too, so
/// the link reaches the same page.
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Percent-encodes a path for a query string.
pub fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An error from the JSON API: a stable `code` and a human `message`.
#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    Forbidden,
    NotFound(String),
    Invalid(Vec<FieldError>),
    Conflict(String),
    BadRequest(String),
    /// Any other status, with its stable code (405, 413, 415, 429...).
    Status(StatusCode, &'static str, String),
    Internal,
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            ServiceError::Invalid(errors) => ApiError::Invalid(errors),
            ServiceError::Conflict(message) => ApiError::Conflict(message),
            ServiceError::Unavailable(message) => {
                ApiError::Status(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
            }
            ServiceError::Database(db) => {
                tracing::error!(error = %db, cause = ?db, "database error in the API");
                ApiError::Internal
            }
            corrupt @ ServiceError::Corrupt { .. } => {
                tracing::error!(error = %corrupt, "a stored value cannot be read");
                ApiError::Internal
            }
            ServiceError::Internal(what) => {
                tracing::error!(error = what, "internal error in the API");
                ApiError::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, fields) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "sign in, or send an API token as `Authorization: Bearer TOKEN`".to_string(),
                vec![],
            ),
            ApiError::Forbidden => {
                (StatusCode::FORBIDDEN, "forbidden", "your role does not allow this".to_string(), vec![])
            }
            ApiError::NotFound(message) => (StatusCode::NOT_FOUND, "not_found", message, vec![]),
            ApiError::Invalid(fields) => {
                let message = fields.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid", message, fields)
            }
            ApiError::Conflict(message) => (StatusCode::CONFLICT, "conflict", message, vec![]),
            ApiError::BadRequest(message) => (StatusCode::BAD_REQUEST, "bad_request", message, vec![]),
            ApiError::Status(status, code, message) => (status, code, message, vec![]),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the service could not complete the request; nothing was half-saved".to_string(),
                vec![],
            ),
        };
        let mut body = json!({ "error": { "code": code, "message": message } });
        if !fields.is_empty() {
            body["error"]["fields"] = json!(fields);
        }
        (status, Json(body)).into_response()
    }
}
