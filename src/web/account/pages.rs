//! Signing in and out, changing one's own password, and one's own sessions.

use crate::services::FieldError;
use crate::services::auth::{self, LOCK_OUT, MAX_FAILED_SIGN_INS, SignInAttempt, SignInRefused};
use crate::services::users;
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::session::{
    PRE_SESSION_CSRF_COOKIE, PageUser, SESSION_COOKIE, cookie, same_secret, set_cookie,
};
use crate::web::view::{Chrome, FieldErrors, SelectOption, long_date, render};
use askama::Template;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use secrecy::SecretString;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(show).post(submit))
        .route("/sign-out", post(sign_out))
        .route("/account/password", get(password_form).post(change_password))
        .route("/account/sessions", get(sessions))
        .route("/account/sessions/end", post(end_session))
        .route("/account/sessions/end-others", post(end_others))
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
    /// Set when the email has accounts in several partnerships: which one.
    partnership_options: Vec<SelectOption>,
}

impl FieldErrors for SignInPage {
    fn errors(&self) -> &[FieldError] {
        &self.errors
    }
}

#[derive(serde::Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

/// Whether `path` can only be read as a path on this site: it starts with one `/`, and holds only
/// visible ASCII (no spaces, tabs or line breaks, which browsers drop, and no backslashes, which
/// they read as slashes).
fn local_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/') | Some(b'\\'))
        && bytes.iter().all(|b| (0x21..=0x7e).contains(b) && *b != b'\\')
}

/// Decodes `%XX` escapes once.
fn decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Only a path on this site is followed after sign-in, checked as sent and after decoding (twice,
/// for doubly encoded tricks); anything else goes home.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if local_path(path) && local_path(&decoded(path)) && local_path(&decoded(&decoded(path))) =>
        {
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
        partnership_options: Vec::new(),
    }
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Result<Response, PageError> {
    let token = cookie(&headers, PRE_SESSION_CSRF_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(auth::random_token);
    let body = render(&page(token.clone(), safe_next(query.next.as_deref()), String::new(), vec![]))?;
    let csrf = set_cookie(PRE_SESSION_CSRF_COOKIE, &token, 3600, state.settings.secure_cookies);
    Ok(([(header::SET_COOKIE, csrf)], body).into_response())
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
    #[serde(default)]
    partnership: String,
}

/// The address a request came from, as the connection says (not a header anyone can set).
fn address_of(request: &Request) -> String {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string())
}

async fn submit(State(state): State<AppState>, request: Request) -> Result<Response, PageError> {
    let address = address_of(&request);
    let headers = request.headers().clone();
    let Form(form) = Form::<SignInForm>::from_request(request, &state)
        .await
        .map_err(|e| PageError::BadRequest(format!("The sign-in form could not be read: {e}")))?;
    let expected = cookie(&headers, PRE_SESSION_CSRF_COOKIE).unwrap_or_default();
    if !same_secret(&form.csrf_token, &expected) {
        return Err(PageError::BadRequest(
            "The sign-in form expired. Go back, reload the page and sign in again.".into(),
        ));
    }
    let now = state.clock.now();
    state
        .sign_ins
        .attempt(state.settings.sign_in_limits, &address, &form.email, now)
        .map_err(PageError::TooMany)?;
    let next = safe_next(Some(&form.next));
    let refuse = |message: String, choices: Vec<(i64, String)>| -> Result<Response, PageError> {
        let field = if choices.is_empty() { "email" } else { "partnership" };
        let mut view = page(
            expected.clone(),
            next.clone(),
            form.email.clone(),
            vec![FieldError { field: field.into(), message }],
        );
        view.partnership_options =
            choices.into_iter().map(|(id, name)| SelectOption::new(id.to_string(), name, None)).collect();
        Ok((StatusCode::UNAUTHORIZED, render(&view)?).into_response())
    };
    if form.email.trim().is_empty() || form.password.is_empty() {
        return refuse("Enter your email address and password".into(), vec![]);
    }
    let password = SecretString::from(form.password.clone());
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let attempt = SignInAttempt {
        email: &form.email,
        password: &password,
        partnership_id: form.partnership.trim().parse().ok(),
        now,
        user_agent,
        ip_address: Some(&address),
    };
    match auth::sign_in(&state.db, attempt).await?.result {
        Ok(session) => {
            tracing::info!(user_id = session.user.id, "signed in");
            let cookie = set_cookie(
                SESSION_COOKIE,
                secrecy::ExposeSecret::expose_secret(&session.cookie_value),
                auth::SESSION_LIFETIME.num_seconds(),
                state.settings.secure_cookies,
            );
            let target = if session.must_change_password { "/account/password".to_string() } else { next };
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&target)).into_response())
        }
        // The same words for a wrong password, an unknown email, a locked or disabled account.
        Err(SignInRefused::WrongDetails) => refuse("Enter a correct email address and password".into(), vec![]),
        Err(SignInRefused::ChoosePartnership(choices)) => refuse(
            "Your email address has accounts with more than one partnership: choose which, and enter your password again".into(),
            choices,
        ),
    }
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

async fn sign_out(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    user.check_csrf(&form.csrf_token)?;
    if let Some(value) = cookie(&headers, SESSION_COOKIE) {
        auth::sign_out(&state.db, &value).await?;
    }
    let gone = set_cookie(SESSION_COOKIE, "", 0, state.settings.secure_cookies);
    Ok(([(header::SET_COOKIE, gone)], Redirect::to("/sign-in")).into_response())
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    one_time: bool,
    min_length: usize,
}

impl FieldErrors for PasswordPage {
    fn errors(&self) -> &[FieldError] {
        &self.errors
    }
}

async fn password_page(
    state: &AppState,
    user: &PageUser,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let account = users::account(&state.db, user.partnership.id, user.user.id).await?;
    let code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = PasswordPage {
        chrome: Chrome::for_user(user, "/account/password"),
        errors,
        one_time: account.must_change_password,
        min_length: users::MIN_PASSWORD_LEN,
    };
    Ok((code, render(&view)?).into_response())
}

async fn password_form(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    password_page(&state, &user, vec![]).await
}

#[derive(serde::Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    user: PageUser,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    user.check_csrf(&form.csrf_token)?;
    if form.new != form.confirm {
        let error =
            FieldError { field: "confirm".into(), message: "The new passwords are not the same".into() };
        return password_page(&state, &user, vec![error]).await;
    }
    let (current, new) = (SecretString::from(form.current), SecretString::from(form.new));
    let now = state.clock.now();
    match users::change_password(&state.db, user.user.id, &current, &new, &user.session_key, now).await {
        Ok(()) => Ok(Redirect::to("/account/sessions?changed=1").into_response()),
        Err(crate::services::ServiceError::Invalid(errors)) => password_page(&state, &user, errors).await,
        Err(e) => Err(e.into()),
    }
}

struct SessionRow {
    handle: String,
    device: String,
    signed_in: String,
    last_used: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "account/sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    notice: Option<String>,
    rows: Vec<SessionRow>,
    others: usize,
}

#[derive(serde::Deserialize, Default)]
struct SessionsQuery {
    changed: Option<String>,
    ended: Option<String>,
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("{} at {}", long_date(at.date_naive()), at.format("%H:%M"))
}

async fn sessions(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<SessionsQuery>,
) -> Result<Response, PageError> {
    let found = auth::sessions_of(&state.db, user.user.id, &user.session_key, state.clock.now()).await?;
    let rows: Vec<SessionRow> = found
        .into_iter()
        .map(|s| SessionRow {
            device: match (s.user_agent, s.ip_address) {
                (Some(agent), Some(ip)) => format!("{agent}, from {ip}"),
                (Some(agent), None) => agent,
                (None, Some(ip)) => format!("From {ip}"),
                (None, None) => "Not known".into(),
            },
            signed_in: when(s.created_at),
            last_used: when(s.last_seen_at),
            handle: s.handle,
            current: s.current,
        })
        .collect();
    let notice = match (q.changed.is_some(), q.ended.as_deref()) {
        (true, _) => Some("Your password was changed. You have been signed out everywhere else.".to_string()),
        (false, Some("others")) => Some("You have been signed out everywhere else.".to_string()),
        (false, Some(_)) => Some("That session was ended.".to_string()),
        _ => None,
    };
    let others = rows.iter().filter(|r| !r.current).count();
    let view = SessionsPage { chrome: Chrome::for_user(&user, "/account/sessions"), notice, rows, others };
    Ok(render(&view)?.into_response())
}

#[derive(serde::Deserialize)]
struct EndForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    session: String,
}

async fn end_session(
    State(state): State<AppState>,
    user: PageUser,
    Form(form): Form<EndForm>,
) -> Result<Response, PageError> {
    user.check_csrf(&form.csrf_token)?;
    if !auth::end_session(&state.db, user.user.id, &form.session).await? {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to("/account/sessions?ended=one").into_response())
}

async fn end_others(
    State(state): State<AppState>,
    user: PageUser,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    user.check_csrf(&form.csrf_token)?;
    auth::end_other_sessions(&state.db, user.user.id, Some(&user.session_key)).await?;
    Ok(Redirect::to("/account/sessions?ended=others").into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/schools?q=a")), "/schools?q=a");
        assert_eq!(
            safe_next(Some("/invoices?year=2025-26&status=issued")),
            "/invoices?year=2025-26&status=issued"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "/%252F%252Fevil.example",
            "/a\nb",
            "/%0d%0aSet-Cookie:x",
            "/ space",
            "",
            "evil",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
