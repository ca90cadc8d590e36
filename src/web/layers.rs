//! What wraps every request: the last net for panics, control characters refused at the edge,
//! every API error in the `{"error": {...}}` envelope, and the headers that keep pages private.

use crate::domain::text::control_character;
use crate::web::error::{ApiError, PageError};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;

/// The largest JSON or form body read: GIAS uploads are multipart or CSV and have their own limit.
pub const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The last net, not the plan: a handler that panics answers the usual 500 page or JSON error,
/// and the panic is logged with its message.
pub async fn catch_panics(request: Request, next: Next) -> Response {
    let api = is_api(request.uri().path());
    let path = request.uri().path().to_string();
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".into());
            tracing::error!(path, panic = message, "a request panicked");
            if api { ApiError::Internal.into_response() } else { PageError::Internal.into_response() }
        }
    }
}

fn refuse(api: bool, message: String) -> Response {
    if api {
        ApiError::BadRequest(message).into_response()
    } else {
        PageError::BadRequest(message).into_response()
    }
}

/// Decodes `%XX` escapes (and `+` in a query) to find what a value really holds.
fn percent_decoded(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first control character a JSON text holds inside its strings (written `\u0000`), other
/// than tab, carriage return and line feed.
fn json_control_character(bytes: &[u8]) -> Option<char> {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes.get(i + 1) == Some(&b'u')
                && let Some(hex) = bytes.get(i + 2..i + 6)
                && let Ok(code) = u32::from_str_radix(&String::from_utf8_lossy(hex), 16)
                && let Some(c) = char::from_u32(code)
                && c.is_control()
                && !matches!(c, '\t' | '\r' | '\n')
            {
                return Some(c);
            }
            i += 2;
            continue;
        }
        i += 1;
    }
    None
}

fn described(c: char, place: &str) -> String {
    format!("{place} contains a control character (U+{:04X}) that cannot be stored; remove it", u32::from(c))
}

/// Refuses control characters (NUL and the like; tab and line breaks are fine) in the address and
/// in JSON and form bodies, with a message, the same on every database.
pub async fn reject_control_characters(request: Request, next: Next) -> Response {
    // Stripe's events are checked by their signature, byte for byte, and read strictly there.
    if request.uri().path().starts_with("/stripe/webhook/") {
        return next.run(request).await;
    }
    let api = is_api(request.uri().path());
    let path = percent_decoded(request.uri().path(), false);
    if let Some(c) = control_character(&path) {
        return refuse(api, described(c, "The address"));
    }
    if let Some(query) = request.uri().query()
        && let Some(c) = control_character(&percent_decoded(query, true))
    {
        return refuse(api, described(c, "The query"));
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    let json = content_type.starts_with("application/json");
    if !form && !json {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let message = format!("The body is larger than {} MB", MAX_FORM_BYTES / (1024 * 1024));
            return if api {
                ApiError::Status(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message).into_response()
            } else {
                PageError::BadRequest(message).into_response()
            };
        }
    };
    let found = if form {
        control_character(&percent_decoded(&String::from_utf8_lossy(&bytes), true))
    } else {
        control_character(&String::from_utf8_lossy(&bytes)).or_else(|| json_control_character(&bytes))
    };
    if let Some(c) = found {
        return refuse(api, described(c, "What was sent"));
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The stable code of an API error status.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        _ => "internal",
    }
}

/// Every API error is the `{"error": {"code", "message"}}` envelope: axum's own rejections (a bad
/// query or path, a method not allowed, a body too large) come back as text or empty, and are
/// rewritten here with their message.
pub async fn api_error_envelope(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let text = match axum::body::to_bytes(response.into_body(), 16 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let message =
        if text.is_empty() { status.canonical_reason().unwrap_or("error").to_lowercase() } else { text };
    let status = if status.is_server_error() { StatusCode::INTERNAL_SERVER_ERROR } else { status };
    let mut rewritten = ApiError::Status(status, code_of(status), message).into_response();
    if let Some(allow) = allow {
        rewritten.headers_mut().insert(header::ALLOW, allow);
    }
    rewritten
}

/// Signed-in pages, API answers and PDFs are never kept by a browser or proxy; over HTTPS the
/// browser is told to use nothing else.
pub async fn private_headers(State(secure): State<bool>, request: Request, next: Next) -> Response {
    let assets = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !assets && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if secure {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// Error and "not found" pages keep the header and navigation of whoever is signed in, so they
/// can find their way on.
pub async fn signed_in_error_pages(
    axum::extract::State(state): axum::extract::State<crate::web::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::extract::FromRequestParts;
    let headers = request.headers().clone();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    let Some(content) = response.extensions().get::<crate::web::error::ErrorPageContent>().cloned() else {
        return response;
    };
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    parts.uri = uri;
    match crate::web::session::PageUser::from_request_parts(&mut parts, &state).await {
        Ok(user) => {
            let status = response.status();
            let (mut head, _) = response.into_parts();
            let fresh = crate::web::error::error_page(
                status,
                &content,
                crate::web::view::Chrome::for_user(&user, ""),
            );
            let (_, body) = fresh.into_parts();
            // The body changed: its length is the new body's.
            head.headers.remove(axum::http::header::CONTENT_LENGTH);
            axum::response::Response::from_parts(head, body)
        }
        Err(_) => response,
    }
}

/// Marks every request that may change something (anything but a read): figures kept for the
/// home pages are added up again after it, and the lists count their rows again. Each request
/// runs with the application's kept counts.
pub async fn note_writes(
    State(state): State<crate::web::AppState>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !matches!(*request.method(), axum::http::Method::GET | axum::http::Method::HEAD);
    let response = crate::services::counts::within(state.counts.clone(), next.run(request)).await;
    if writes {
        state.home_cache.wrote();
        crate::services::counts::changed();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn boom() -> &'static str {
        let v: Vec<u8> = Vec::new();
        if v.is_empty() {
            panic!("a bug on a request path");
        }
        "never"
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_the_usual_500() {
        let app = Router::new()
            .route("/api/v1/boom", get(boom))
            .route("/boom", get(boom))
            .layer(axum::middleware::from_fn(catch_panics));
        let api =
            app.clone().oneshot(Request::get("/api/v1/boom").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(api.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(api.into_body(), 10_000).await.unwrap();
        assert!(String::from_utf8_lossy(&body).contains("\"code\":\"internal\""));
        let page = app.oneshot(Request::get("/boom").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(page.into_body(), 100_000).await.unwrap();
        assert!(String::from_utf8_lossy(&body).contains("Sorry, there is a problem with the service"));
    }

    #[test]
    fn escapes_are_decoded_before_looking() {
        assert_eq!(percent_decoded("a%00b", false), "a\u{0}b");
        assert_eq!(percent_decoded("q=a+b%2", true), "q=a b%2");
        assert_eq!(percent_decoded("%zz", false), "%zz");
        assert_eq!(percent_decoded("é%é", false), "é%é", "never splits a character");
    }

    #[test]
    fn json_escapes_of_control_characters_are_found() {
        assert_eq!(json_control_character(br#"{"name": "a\u0000b"}"#), Some('\u{0}'));
        assert_eq!(json_control_character(br#"{"name": "a\\u0000b"}"#), None, "an escaped backslash");
        assert_eq!(json_control_character(br#"{"name": "line\nbreak\u000A"}"#), None);
        assert_eq!(json_control_character(br#"{"name": "\u001F"}"#), Some('\u{1f}'));
    }
}
