//! Signing in and out.

use crate::services::FieldError;
use crate::services::auth::{self, LOCK_OUT, MAX_FAILED_SIGN_INS, SignInRefused};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::session::{PRE_SESSION_CSRF_COOKIE, SESSION_COOKIE, cookie, same_secret, set_cookie};
use crate::web::view::{Chrome, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Utc;
use secrecy::SecretString;

pub fn router() -> Router<AppState> {
    Router::new().route("/sign-in", get(show).post(submit)).route("/sign-out", post(sign_out))
}

#[derive(Template)]
#[template(path = "account/sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    csrf_token: String,
    next: String,
    email: String,
    errors: Vec<FieldError>,
    max_failures: i32,
    lock_minutes: i64,
}

#[derive(serde::Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

/// Only local paths are followed after sign-in, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

fn page(csrf_token: String, next: String, email: String, errors: Vec<FieldError>) -> SignInPage {
    SignInPage {
        chrome: Chrome::anonymous(),
        csrf_token,
        next,
        email,
        errors,
        max_failures: MAX_FAILED_SIGN_INS,
        lock_minutes: LOCK_OUT.num_minutes(),
    }
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Result<Response, PageError> {
    let token = cookie(&headers, PRE_SESSION_CSRF_COOKIE)
        .filter(|t| t.len() == 64)
        .unwrap_or_else(auth::random_token);
    let body = render(&page(token.clone(), safe_next(query.next.as_deref()), String::new(), vec![]))?
        .into_response();
    Ok((
        [(
            header::SET_COOKIE,
            set_cookie(PRE_SESSION_CSRF_COOKIE, &token, 3600, state.settings.secure_cookies),
        )],
        body,
    )
        .into_response())
}

#[derive(serde::Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageError> {
    let expected = cookie(&headers, PRE_SESSION_CSRF_COOKIE).unwrap_or_default();
    if !same_secret(&form.csrf_token, &expected) {
        return Err(PageError::BadRequest(
            "The sign-in form expired. Go back, reload the page and sign in again.".into(),
        ));
    }
    let next = safe_next(Some(&form.next));
    let refuse = |message: String| {
        let errors = vec![FieldError { field: "email".into(), message }];
        let page = page(expected.clone(), next.clone(), form.email.clone(), errors);
        Ok((StatusCode::UNAUTHORIZED, render(&page)?).into_response())
    };
    if form.email.trim().is_empty() || form.password.is_empty() {
        return refuse("Enter your email address and password".into());
    }
    let password = SecretString::from(form.password.clone());
    match auth::sign_in(&state.db, &form.email, &password, Utc::now()).await? {
        Ok(session) => {
            tracing::info!(user_id = session.user.id, "signed in");
            let cookie = set_cookie(
                SESSION_COOKIE,
                secrecy::ExposeSecret::expose_secret(&session.cookie_value),
                auth::SESSION_LIFETIME.num_seconds(),
                state.settings.secure_cookies,
            );
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
        }
        Err(SignInRefused::WrongDetails) => refuse("Enter a correct email address and password".into()),
        Err(SignInRefused::LockedUntil(until)) => refuse(format!(
            "This account is locked after too many wrong passwords. Try again after {} (UTC).",
            until.format("%H:%M")
        )),
    }
}

#[derive(serde::Deserialize)]
struct SignOutForm {
    #[serde(default)]
    csrf_token: String,
}

async fn sign_out(
    State(state): State<AppState>,
    user: crate::web::session::PageUser,
    headers: HeaderMap,
    Form(form): Form<SignOutForm>,
) -> Result<Response, PageError> {
    user.check_csrf(&form.csrf_token)?;
    if let Some(value) = cookie(&headers, SESSION_COOKIE) {
        auth::sign_out(&state.db, &value).await?;
    }
    let gone = set_cookie(SESSION_COOKIE, "", 0, state.settings.secure_cookies);
    Ok(([(header::SET_COOKIE, gone)], Redirect::to("/sign-in")).into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/schools?q=a")), "/schools?q=a");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
