//! Who is asking: session cookies for pages, API tokens or cookies for the API, and CSRF checks.

use crate::domain::role::{Action, allows};
use crate::services::auth;
use crate::services::partnerships::Partnership;
use crate::services::users::User;
use crate::web::AppState;
use crate::web::error::{ApiError, PageError};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "pb_session";
/// The cookie that carries the CSRF token before anyone signs in.
pub const PRE_SESSION_CSRF_COOKIE: &str = "pb_csrf";

/// Reads one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// A `Set-Cookie` value with this service's flags: HttpOnly, SameSite=Lax, Path=/, Secure when
/// configured.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (da, db) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    da.iter().zip(db.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0 && !a.is_empty()
}

/// A signed-in user on a page, with their partnership and CSRF token.
#[derive(Debug, Clone)]
pub struct PageUser {
    pub user: User,
    pub partnership: Partnership,
    pub csrf_token: String,
    /// The session's stored key, so a person can tell it from their other sessions.
    pub session_key: String,
}

/// The pages a person with a one-time password may reach before choosing their own.
const BEFORE_A_NEW_PASSWORD: [&str; 2] = ["/account/password", "/sign-out"];

impl PageUser {
    /// Refuses with 403 unless the user's role allows `action`.
    pub fn require(&self, action: Action) -> Result<(), PageError> {
        if allows(self.user.role, action) { Ok(()) } else { Err(PageError::Forbidden) }
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        if same_secret(sent, &self.csrf_token) {
            Ok(())
        } else {
            Err(PageError::BadRequest(
                "This form has expired or did not come from this service. Go back, reload the page and try again.".into(),
            ))
        }
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<PageUser, PageError> {
        let next = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let Some(value) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(PageError::SignIn { next });
        };
        let Some(found) = auth::session_user(&state.db, &state.auth_cache, &value, state.clock.now()).await?
        else {
            return Err(PageError::SignIn { next });
        };
        if found.must_change_password && !BEFORE_A_NEW_PASSWORD.contains(&parts.uri.path()) {
            return Err(PageError::ChangePassword);
        }
        Ok(PageUser {
            user: found.user,
            partnership: found.partnership,
            csrf_token: found.csrf_token,
            session_key: found.session_key,
        })
    }
}

/// A caller of the JSON API: an API token, or a session cookie (then writes need the
/// `X-CSRF-Token` header).
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub user: User,
    pub partnership: Partnership,
}

impl ApiUser {
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if allows(self.user.role, action) { Ok(()) } else { Err(ApiError::Forbidden) }
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ApiUser, ApiError> {
        let now = state.clock.now();
        if let Some(auth_header) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth_header
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or(ApiError::Unauthorized)?;
            let (user, partnership) = auth::api_token_user(&state.db, &state.auth_cache, token.trim(), now)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            return Ok(ApiUser { user, partnership });
        }
        let value = cookie(&parts.headers, SESSION_COOKIE).ok_or(ApiError::Unauthorized)?;
        let found = auth::session_user(&state.db, &state.auth_cache, &value, now)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if found.must_change_password {
            return Err(ApiError::Status(
                axum::http::StatusCode::FORBIDDEN,
                "forbidden",
                "choose your own password on the service's pages first (the one you have is one-time)".into(),
            ));
        }
        let (user, partnership, csrf) = (found.user, found.partnership, found.csrf_token);
        let writes = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if writes {
            let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
            if !same_secret(sent, &csrf) {
                return Err(ApiError::BadRequest(
                    "a write with a session cookie needs the X-CSRF-Token header".into(),
                ));
            }
        }
        Ok(ApiUser { user, partnership })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; pb_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, "pb_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn cookie_flags() {
        let c = set_cookie("x", "y", 60, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.ends_with("; Secure"));
        assert!(!set_cookie("x", "y", 60, false).contains("Secure"));
    }

    #[test]
    fn secrets_compare() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("", ""));
    }
}
