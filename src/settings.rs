//! Settings from environment variables, with defaults that work on a fresh machine.

use secrecy::{ExposeSecret, SecretString};

/// The SQLite file used when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://partnership-billing.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:3000";

/// Where the service keeps its data and listens.
#[derive(Debug, Clone)]
pub struct Settings {
    /// May hold a password, so it is a secret: print [`Settings::database_for_logs`] instead.
    pub database_url: SecretString,
    pub bind: String,
    /// Set cookies with the `Secure` flag (when the service is served over HTTPS).
    pub secure_cookies: bool,
}

impl Settings {
    /// The database URL with any password replaced by `***`.
    pub fn database_for_logs(&self) -> String {
        redact_url(self.database_url.expose_secret())
    }
}

/// Replaces the password of `scheme://user:password@host/...` with `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(redact_url("postgres://pb:s3cret@db:5432/pb"), "postgres://pb:***@db:5432/pb");
        assert_eq!(redact_url("postgres://pb@db/pb"), "postgres://pb@db/pb");
        assert_eq!(redact_url("sqlite://partnership-billing.db"), "sqlite://partnership-billing.db");
    }
}
