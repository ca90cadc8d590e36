//! The users page: who can use the service, and adding someone (admins only).

use crate::domain::role::{Action, Role};
use crate::domain::school::Urn;
use crate::services::users::{self, NewUser};
use crate::services::{FieldError, ServiceError, register};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::session::PageUser;
use crate::web::view::{Chrome, SelectOption, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use secrecy::SecretString;

pub fn router() -> Router<AppState> {
    Router::new().route("/users", get(show).post(create))
}

struct UserRow {
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
    let all = users::list(&state.db, pid).await?;
    let lookups = register::lookups(&state.db, pid).await?;
    let mut school_names = std::collections::HashMap::new();
    for u in all.iter().filter(|u| u.school_id.is_some()) {
        if let Some(id) = u.school_id {
            let page = register::list_schools(
                &state.db,
                pid,
                crate::domain::role::SchoolScope::School(id),
                &Default::default(),
                chrono::Utc::now().date_naive(),
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
        .map(|u| UserRow {
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
            "Password",
            "At least 12 characters. Give it to the person privately; they sign in with it.",
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
