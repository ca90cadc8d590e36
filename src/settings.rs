//! Settings from environment variables, in sections (database, web, email, payments, jobs),
//! with defaults that work on a fresh machine. Secrets (a database password, SMTP credentials,
//! Stripe keys) are typed as secrets: a log line or a `{:?}` never shows them.
//!
//! | variable | section | default |
//! |---|---|---|
//! | `DATABASE_URL` | database | `sqlite://partnership-billing.db` |
//! | `BIND` | web | `127.0.0.1:3000` |
//! | `PUBLIC_URL` | web | `http://` and `BIND`: the address people and Stripe reach the service at |
//! | `SECURE_COOKIES` | web | off |
//! | `SIGN_IN_LIMIT_PER_ADDRESS`, `SIGN_IN_LIMIT_PER_EMAIL` | web | 30, 10 (per 5 minutes) |
//! | `SMTP_URL` (secret), `MAIL_FROM` | email | none: no mail is sent |
//! | `PB_SECRET_KEY` (secret: 64 hexadecimal characters) | payments | none: no partnership can store Stripe keys |
//! | `STRIPE_API_BASE` | payments | Stripe's own API |
//! | `PB_JOBS` | jobs | on: `serve` runs the scheduled jobs |

use crate::web::limits::SignInLimits;
use secrecy::{ExposeSecret, SecretString};

/// The SQLite file used when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://partnership-billing.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:3000";
/// The most sign-in attempts a limit may allow per window.
const MAX_SIGN_IN_LIMIT: u32 = 10_000;

/// Everything the service is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub web: WebConfig,
    pub email: EmailSettings,
    pub payments: PaymentSettings,
    pub jobs: JobSettings,
}

/// Where the data is.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// May hold a password, so it is a secret: print [`Settings::database_for_logs`] instead.
    pub url: SecretString,
}

/// How the web service listens and guards sign-in.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub bind: String,
    /// Where people (and Stripe, returning a payer from its payment page) reach the service.
    pub public_url: String,
    /// Set cookies with the `Secure` flag and send HSTS (when served over HTTPS).
    pub secure_cookies: bool,
    pub sign_in_limits: SignInLimits,
}

/// Outgoing mail (invoices and reminders); none configured means none sent.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// `smtp://user:password@host:port`: a secret, as it holds the password.
    pub smtp_url: Option<SecretString>,
    pub from: Option<String>,
    /// Where messages are written when there is no SMTP server (`MAIL_OUTBOX_DIR`).
    pub outbox_dir: std::path::PathBuf,
}

/// Card and Direct Debit payments through Stripe. Each partnership enters its own Stripe keys,
/// sealed with `PB_SECRET_KEY`; without that key no partnership can store them, and payment is
/// by bank transfer only.
#[derive(Debug, Clone, Default)]
pub struct PaymentSettings {
    pub sealing_key: Option<std::sync::Arc<crate::secrets::SealingKey>>,
    /// Another Stripe API address (a local fake Stripe in tests).
    pub stripe_api_base: Option<String>,
}

/// Scheduled background jobs.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// `serve` runs the scheduled jobs (turn off on all but one of several web processes).
    pub run_scheduled: bool,
    /// Each scheduled job with its cron schedule (jobs set "off" are left out).
    pub schedules: Vec<(crate::jobs::Job, String)>,
}

/// A setting that cannot be used, naming the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct SettingsError {
    pub variable: &'static str,
    pub message: String,
}

impl Settings {
    /// The settings from the process environment, with `database_url` as given (the command
    /// line reads `DATABASE_URL` itself).
    pub fn from_env(database_url: SecretString) -> Result<Settings, SettingsError> {
        Settings::from_vars(database_url, |name| std::env::var(name).ok())
    }

    /// The settings from `var` (a variable's value by name), so tests need no environment.
    pub fn from_vars(
        database_url: SecretString,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, SettingsError> {
        let given = |name: &str| var(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let secret = |name: &str| given(name).map(SecretString::from);
        let defaults = SignInLimits::default();
        let bind = given("BIND").unwrap_or_else(|| DEFAULT_BIND.into());
        let public_url = match given("PUBLIC_URL") {
            None => format!("http://{bind}"),
            Some(url)
                if (url.starts_with("http://") || url.starts_with("https://"))
                    && !url.contains(char::is_whitespace) =>
            {
                url.trim_end_matches('/').to_string()
            }
            Some(url) => {
                return Err(SettingsError {
                    variable: "PUBLIC_URL",
                    message: format!("\"{url}\" is not an http:// or https:// address"),
                });
            }
        };
        Ok(Settings {
            database: DatabaseSettings { url: database_url },
            web: WebConfig {
                bind,
                public_url,
                secure_cookies: switch("SECURE_COOKIES", given("SECURE_COOKIES"), false)?,
                sign_in_limits: SignInLimits {
                    per_address: limit(
                        "SIGN_IN_LIMIT_PER_ADDRESS",
                        given("SIGN_IN_LIMIT_PER_ADDRESS"),
                        defaults.per_address,
                    )?,
                    per_email: limit(
                        "SIGN_IN_LIMIT_PER_EMAIL",
                        given("SIGN_IN_LIMIT_PER_EMAIL"),
                        defaults.per_email,
                    )?,
                    window: defaults.window,
                },
            },
            email: EmailSettings {
                smtp_url: secret("SMTP_URL"),
                from: given("MAIL_FROM"),
                outbox_dir: given("MAIL_OUTBOX_DIR").unwrap_or_else(|| "mail-outbox".into()).into(),
            },
            payments: PaymentSettings {
                sealing_key: match var("PB_SECRET_KEY").filter(|v| !v.trim().is_empty()) {
                    None => None,
                    Some(text) => Some(std::sync::Arc::new(
                        crate::secrets::SealingKey::from_text(&text)
                            .map_err(|message| SettingsError { variable: "PB_SECRET_KEY", message })?,
                    )),
                },
                stripe_api_base: match given("STRIPE_API_BASE") {
                    None => None,
                    Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                        Some(if url.ends_with('/') { url } else { format!("{url}/") })
                    }
                    Some(url) => {
                        return Err(SettingsError {
                            variable: "STRIPE_API_BASE",
                            message: format!("\"{url}\" is not an http:// or https:// address"),
                        });
                    }
                },
            },
            jobs: JobSettings {
                run_scheduled: switch("PB_JOBS", given("PB_JOBS"), true)?,
                schedules: crate::jobs::schedule::schedules(&var)?,
            },
        })
    }

    /// The database URL with any password replaced by `***`.
    pub fn database_for_logs(&self) -> String {
        redact_url(self.database.url.expose_secret())
    }
}

/// An on/off variable: true/false, 1/0, yes/no, on/off.
fn switch(variable: &'static str, value: Option<String>, default: bool) -> Result<bool, SettingsError> {
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(SettingsError {
            variable,
            message: format!("\"{other}\" is not on or off (use true or false)"),
        }),
    }
}

/// A sign-in limit: a whole number of attempts per window.
fn limit(variable: &'static str, value: Option<String>, default: u32) -> Result<u32, SettingsError> {
    let Some(value) = value else { return Ok(default) };
    value.parse::<u32>().ok().filter(|n| (1..=MAX_SIGN_IN_LIMIT).contains(n)).ok_or_else(|| SettingsError {
        variable,
        message: format!("\"{value}\" is not a whole number from 1 to {MAX_SIGN_IN_LIMIT}"),
    })
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
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_vars(SecretString::from("postgres://pb:s3cret@db/pb"), |name| vars.get(name).cloned())
    }

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(redact_url("postgres://pb:s3cret@db:5432/pb"), "postgres://pb:***@db:5432/pb");
        assert_eq!(redact_url("postgres://pb@db/pb"), "postgres://pb@db/pb");
        assert_eq!(redact_url("sqlite://partnership-billing.db"), "sqlite://partnership-billing.db");
    }

    #[test]
    fn a_fresh_machine_needs_no_settings() {
        let s = settings(&[]).unwrap();
        assert_eq!(
            (s.web.bind.as_str(), s.web.secure_cookies, s.jobs.run_scheduled),
            (DEFAULT_BIND, false, true)
        );
        assert_eq!((s.web.sign_in_limits.per_address, s.web.sign_in_limits.per_email), (30, 10));
        assert!(s.email.smtp_url.is_none() && s.payments.sealing_key.is_none());
    }

    #[test]
    fn secrets_are_kept_but_never_printed() {
        let s = settings(&[
            ("SMTP_URL", "smtp://mail:hunter2@smtp.example:587"),
            ("PB_SECRET_KEY", "ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34"),
            ("STRIPE_API_BASE", "http://127.0.0.1:8420"),
            ("MAIL_FROM", "accounts@partnership.example"),
        ])
        .unwrap();
        assert!(s.payments.sealing_key.is_some());
        assert_eq!(s.payments.stripe_api_base.as_deref(), Some("http://127.0.0.1:8420/"));
        let printed = format!("{s:?}");
        for secret in ["hunter2", "ab12cd34", "s3cret"] {
            assert!(!printed.contains(secret), "{secret} printed in {printed}");
        }
        assert!(printed.contains("accounts@partnership.example"));
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let e = settings(&[("SIGN_IN_LIMIT_PER_EMAIL", "lots")]).unwrap_err();
        assert_eq!(e.to_string(), "SIGN_IN_LIMIT_PER_EMAIL: \"lots\" is not a whole number from 1 to 10000");
        assert_eq!(
            settings(&[("SIGN_IN_LIMIT_PER_ADDRESS", "0")]).unwrap_err().variable,
            "SIGN_IN_LIMIT_PER_ADDRESS"
        );
        assert_eq!(settings(&[("PB_JOBS", "maybe")]).unwrap_err().variable, "PB_JOBS");
        assert_eq!(settings(&[("PB_SECRET_KEY", "letmein")]).unwrap_err().variable, "PB_SECRET_KEY");
        assert_eq!(settings(&[("PUBLIC_URL", "billing.example")]).unwrap_err().variable, "PUBLIC_URL");
        assert_eq!(settings(&[("BIND", "0.0.0.0:80")]).unwrap().web.public_url, "http://0.0.0.0:80");
        assert_eq!(
            settings(&[("PUBLIC_URL", "https://billing.example/")]).unwrap().web.public_url,
            "https://billing.example"
        );
        assert_eq!(settings(&[("STRIPE_API_BASE", "localhost:1")]).unwrap_err().variable, "STRIPE_API_BASE");
        let s = settings(&[("PB_JOBS", "off"), ("SECURE_COOKIES", "1"), ("SIGN_IN_LIMIT_PER_EMAIL", "3")])
            .unwrap();
        assert_eq!(
            (s.jobs.run_scheduled, s.web.secure_cookies, s.web.sign_in_limits.per_email),
            (false, true, 3)
        );
    }
}
