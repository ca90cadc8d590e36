//! The users page: who can use the service, and adding someone (admins only).

use crate::domain::role::{Action, Role};
use crate::domain::school::Urn;
use crate::services::users::{self, NewUser};
use crate::services::{FieldError, ServiceError, register};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, SelectOption, long_date, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use secrecy::SecretString;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(show).post(create))
        .route("/users/{id}", get(account))
        .route("/users/{id}/disabled", post(set_disabled))
        .route("/users/{id}/password", post(reset_password))
        .route("/users/{id}/tokens", post(create_token))
        .route("/users/{id}/tokens/{token}/revoke", post(revoke_token))
}

struct UserRow {
    id: i64,
    status: &'static str,
    name: String,
    email: String,
    role: &'static str,
    scope: String,
}

struct TextField {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    kind: &'static str,
    value: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct UsersPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    rows: Vec<UserRow>,
    text_fields: Vec<TextField>,
    role_options: Vec<SelectOption>,
}

#[derive(serde::Deserialize, Default, Clone)]
struct UserForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    school: String,
    #[serde(default)]
    trust: String,
    #[serde(default)]
    local_authority: String,
}

async fn view(
    state: &AppState,
    user: &PageUser,
    form: &UserForm,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<UsersPage, PageError> {
    let pid = user.partnership.id;
    let all = users::list_with_status(&state.db, pid).await?;
    let lookups = register::lookups(&state.db, pid).await?;
    let mut school_names = std::collections::HashMap::new();
    for (u, _) in all.iter().filter(|(u, _)| u.school_id.is_some()) {
        if let Some(id) = u.school_id {
            let page = register::list_schools(
                &state.db,
                pid,
                crate::domain::role::SchoolScope::School(id),
                &Default::default(),
                state.clock.today(),
                1,
                1,
            )
            .await?;
            if let Some(s) = page.schools.first() {
                school_names.insert(id, format!("{} (URN {})", s.name, s.urn));
            }
        }
    }
    let rows = all
        .iter()
        .map(|(u, disabled)| UserRow {
            id: u.id,
            status: if *disabled { "Disabled" } else { "Active" },
            name: u.name.clone(),
            email: u.email.clone(),
            role: u.role.label(),
            scope: match u.role {
                Role::Admin | Role::Finance | Role::Board => "Every school".into(),
                Role::SchoolBusinessManager => match (u.school_id, u.trust_id) {
                    (Some(id), _) => school_names.get(&id).cloned().unwrap_or_default(),
                    (None, Some(t)) => {
                        lookups.trusts.get(&t).map(|t| format!("All of {}", t.name)).unwrap_or_default()
                    }
                    _ => "Nothing".into(),
                },
                Role::Commissioner => u
                    .local_authority_id
                    .and_then(|id| lookups.las.get(&id))
                    .map(|l| format!("{} council's invoices", l.name))
                    .unwrap_or_default(),
            },
        })
        .collect();
    let error_for = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.message.clone());
    let field = |name, label, hint, kind, value: &str| TextField {
        name,
        label,
        hint,
        kind,
        value: value.to_string(),
        error: error_for(name),
    };
    let text_fields = vec![
        field("name", "Full name", "", "text", &form.name),
        field("email", "Email address", "", "email", &form.email),
        field(
            "password",
            "One-time password",
            "At least 12 characters. Give it to the person privately: they sign in with it once and then choose their own.",
            "password",
            "",
        ),
        field(
            "school",
            "School URN (school business managers of one school)",
            "For example 990003",
            "text",
            &form.school,
        ),
        field(
            "trust",
            "Trust name (business managers of a whole trust)",
            "As the register names it",
            "text",
            &form.trust,
        ),
        field(
            "local_authority",
            "Council's LA code (commissioners)",
            "For example 990",
            "text",
            &form.local_authority,
        ),
    ];
    let chosen = if form.role.is_empty() { None } else { Some(form.role.as_str()) };
    Ok(UsersPage {
        chrome: Chrome::for_user(user, "/users"),
        errors,
        notice,
        rows,
        text_fields,
        role_options: Role::ALL.iter().map(|r| SelectOption::new(r.as_str(), r.label(), chosen)).collect(),
    })
}

#[derive(serde::Deserialize, Default)]
struct ShowQuery {
    added: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageUsers)?;
    let notice = q.added.map(|email| format!("{email} can now sign in."));
    Ok(render(&view(&state, &user, &UserForm::default(), vec![], notice).await?)?.into_response())
}

async fn create(
    State(state): State<AppState>,
    user: PageUser,
    Form(form): Form<UserForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageUsers)?;
    user.check_csrf(&form.csrf_token)?;
    let mut errors = Vec::new();
    let role = Role::parse(&form.role);
    if role.is_none() {
        errors.push(FieldError { field: "role".into(), message: "Choose a role".into() });
    }
    let school_urn = match form.school.trim() {
        "" => None,
        text => match Urn::parse(text) {
            Ok(u) => Some(u.value()),
            Err(m) => {
                errors.push(FieldError { field: "school".into(), message: m });
                None
            }
        },
    };
    let result = match role {
        Some(role) if errors.is_empty() => {
            users::create(
                &state.db,
                NewUser {
                    partnership_id: user.partnership.id,
                    one_time_password: true,
                    email: form.email.clone(),
                    name: form.name.clone(),
                    role,
                    password: SecretString::from(form.password.clone()),
                    school_urn,
                    trust_name: Some(form.trust.clone()),
                    local_authority_code: Some(form.local_authority.clone()),
                },
            )
            .await
        }
        _ => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(created) => {
            tracing::info!(
                by = user.user.id,
                user_id = created.id,
                role = created.role.as_str(),
                "user created"
            );
            Ok(Redirect::to(&format!("/users?added={}", crate::web::error::urlencode(&created.email)))
                .into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let page = view(&state, &user, &form, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

struct TokenRow {
    id: i64,
    name: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "users/account.html")]
struct AccountPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    /// A token just created: shown this once.
    new_token: Option<String>,
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    disabled: bool,
    must_change_password: bool,
    last_sign_in: String,
    is_self: bool,
    tokens: Vec<TokenRow>,
}

impl FieldErrors for AccountPage {
    fn errors(&self) -> &[FieldError] {
        &self.errors
    }
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("{} at {}", long_date(at.date_naive()), at.format("%H:%M"))
}

async fn account_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    errors: Vec<FieldError>,
    notice: Option<String>,
    new_token: Option<String>,
) -> Result<Response, PageError> {
    let found = users::account(&state.db, user.partnership.id, id).await?;
    let tokens = crate::services::auth::tokens_of(&state.db, id).await?;
    let code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = AccountPage {
        chrome: Chrome::for_user(user, "/users"),
        errors,
        notice,
        new_token,
        id,
        name: found.user.name.clone(),
        email: found.user.email.clone(),
        role: found.user.role.label(),
        disabled: found.disabled,
        must_change_password: found.must_change_password,
        last_sign_in: found.last_sign_in_at.map_or_else(|| "Never".to_string(), when),
        is_self: found.user.id == user.user.id,
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name,
                created: when(t.created_at),
                last_used: t.last_used_at.map_or_else(|| "Never".to_string(), when),
                revoked: t.revoked_at.map(when),
            })
            .collect(),
    };
    Ok((code, render(&view)?).into_response())
}

fn user_id(text: &str) -> Result<i64, PageError> {
    text.parse().map_err(|_| PageError::NotFound)
}

#[derive(serde::Deserialize, Default)]
struct AccountQuery {
    done: Option<String>,
}

async fn account(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(q): Query<AccountQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageUsers)?;
    let notice = match q.done.as_deref() {
        Some("disabled") => Some("The account is disabled: it cannot sign in and its API tokens do not work.".to_string()),
        Some("enabled") => Some("The account can sign in again.".to_string()),
        Some("password") => Some("The one-time password is set, and the person has been signed out everywhere. Give them the password privately.".to_string()),
        Some("revoked") => Some("The API token is revoked.".to_string()),
        _ => None,
    };
    account_page(&state, &user, user_id(&id)?, vec![], notice, None).await
}

#[derive(serde::Deserialize)]
struct DisableForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    disabled: String,
}

async fn set_disabled(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    Form(form): Form<DisableForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageUsers)?;
    user.check_csrf(&form.csrf_token)?;
    let id = user_id(&id)?;
    let disabled = form.disabled == "yes";
    match users::set_disabled(&state.db, user.partnership.id, id, disabled, user.user.id, state.clock.now())
        .await
    {
        Ok(()) => {
            let done = if disabled { "disabled" } else { "enabled" };
            Ok(Redirect::to(&format!("/users/{id}?done={done}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => account_page(&state, &user, id, errors, None, None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct ResetForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageUsers)?;
    user.check_csrf(&form.csrf_token)?;
    let id = user_id(&id)?;
    let one_time = SecretString::from(form.password);
    match users::reset_password(&state.db, user.partnership.id, id, &one_time, user.user.id).await {
        Ok(()) => Ok(Redirect::to(&format!("/users/{id}?done=password")).into_response()),
        Err(ServiceError::Invalid(errors)) => account_page(&state, &user, id, errors, None, None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
}

async fn create_token(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageUsers)?;
    user.check_csrf(&form.csrf_token)?;
    let id = user_id(&id)?;
    users::account(&state.db, user.partnership.id, id).await?;
    match crate::services::auth::create_api_token(&state.db, id, &form.name).await {
        Ok(token) => {
            let shown = secrecy::ExposeSecret::expose_secret(&token).to_string();
            tracing::info!(by = user.user.id, user_id = id, "API token created");
            let notice = Some("The API token is created. Copy it now: it is not shown again.".to_string());
            account_page(&state, &user, id, vec![], notice, Some(shown)).await
        }
        Err(ServiceError::Invalid(errors)) => account_page(&state, &user, id, errors, None, None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

async fn revoke_token(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path((id, token)): axum::extract::Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    user.require(Action::ManageUsers)?;
    user.check_csrf(&form.csrf_token)?;
    let id = user_id(&id)?;
    users::account(&state.db, user.partnership.id, id).await?;
    let token: i64 = token.parse().map_err(|_| PageError::NotFound)?;
    crate::services::auth::revoke_token(&state.db, id, token, state.clock.now()).await?;
    tracing::info!(by = user.user.id, user_id = id, "API token revoked");
    Ok(Redirect::to(&format!("/users/{id}?done=revoked")).into_response())
}
