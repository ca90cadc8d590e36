//! Commands that set up a partnership and its people: partnerships, users, API tokens.

use super::{open, service_error};
use crate::domain::partnership::YearKind;
use crate::domain::role::Role;
use crate::services::auth;
use crate::services::partnerships::{self, NewPartnership};
use crate::services::users::{self, NewUser};
use crate::settings::Settings;
use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};
use std::process::ExitCode;

/// `create-partnership`.
pub async fn create_partnership(
    settings: &Settings,
    slug: String,
    name: String,
    address: String,
    vat_number: Option<String>,
    year_kind: String,
) -> anyhow::Result<ExitCode> {
    let db = open(settings).await?;
    let year_kind = YearKind::parse(&year_kind)
        .with_context(|| format!("--year-kind \"{year_kind}\" must be academic or financial"))?;
    let created = partnerships::create(
        &db,
        NewPartnership { slug, name, address: address.replace("\\n", "\n"), vat_number, year_kind },
    )
    .await
    .map_err(service_error)?;
    say!("Created partnership {} ({}).", created.name, created.slug);
    Ok(ExitCode::SUCCESS)
}

/// `create-user`: the password comes from `PB_PASSWORD` or standard input.
#[allow(clippy::too_many_arguments)]
pub async fn create_user(
    settings: &Settings,
    partnership: Option<String>,
    email: String,
    name: String,
    role: String,
    school: Option<i32>,
    trust: Option<String>,
    council: Option<String>,
) -> anyhow::Result<ExitCode> {
    let db = open(settings).await?;
    let partnership = partnerships::resolve(&db, partnership.as_deref()).await.map_err(service_error)?;
    let role = Role::parse(&role).with_context(|| {
        format!("--role \"{role}\" must be admin, finance, board, school_business_manager or commissioner")
    })?;
    let password = read_password()?;
    let created = users::create(
        &db,
        NewUser {
            partnership_id: partnership.id,
            one_time_password: false,
            email,
            name,
            role,
            password,
            school_urn: school,
            trust_name: trust,
            local_authority_code: council,
        },
    )
    .await
    .map_err(service_error)?;
    say!("Created {} ({}) in {}.", created.email, created.role.label(), partnership.name);
    Ok(ExitCode::SUCCESS)
}

/// `create-token`: prints the token once.
pub async fn create_token(settings: &Settings, email: String, name: String) -> anyhow::Result<ExitCode> {
    let db = open(settings).await?;
    let user = users::find_by_email(&db, &email)
        .await
        .map_err(service_error)?
        .with_context(|| format!("no user with email {email}"))?;
    let token = auth::create_api_token(&db, user.id, &name).await.map_err(service_error)?;
    say!("API token for {email} (shown once; keep it secret):\n{}", token.expose_secret());
    Ok(ExitCode::SUCCESS)
}

fn read_password() -> anyhow::Result<SecretString> {
    if let Ok(p) = std::env::var("PB_PASSWORD") {
        return Ok(SecretString::from(p));
    }
    eprintln!("Password (at least {} characters), then Enter:", users::MIN_PASSWORD_LEN);
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("no password given: set PB_PASSWORD or type one on standard input");
    }
    Ok(SecretString::from(password))
}
