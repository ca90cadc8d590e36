//! A payer's billing email addresses, changed by finance or by the payer's own school business
//! manager (who cannot change anything else about the payer).

use crate::domain::role::{Action, Role};
use crate::services::{FieldError, payers};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::forms::fields::FormData;
use crate::web::forms::page::{refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, field_errors, page_id, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

field_errors!(EmailsPage);

#[derive(Template)]
#[template(path = "mail_pages/emails.html")]
struct EmailsPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    id: i64,
    name: String,
    value: String,
}

/// Whether the user may change this payer's billing addresses: finance, or a business manager
/// whose invoices include this payer's.
pub async fn may_change(state: &AppState, user: &PageUser, payer_id: i64) -> Result<bool, PageError> {
    if user.require(Action::ManageBilling).is_ok() {
        return Ok(true);
    }
    Ok(user.user.role == Role::SchoolBusinessManager
        && crate::web::payments::may_read_account(state, &user.user, payer_id).await?)
}

pub(super) async fn form(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = page_id(&id)?;
    if !may_change(&state, &user, id).await? {
        return Err(PageError::NotFound);
    }
    let p = payers::get(&state.db, user.partnership.id, id).await?;
    let view = EmailsPage {
        chrome: Chrome::for_user(&user, "/invoices"),
        errors: vec![],
        id,
        name: p.name,
        value: p.email.unwrap_or_default(),
    };
    Ok(render(&view)?.into_response())
}

pub(super) async fn save(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = page_id(&id)?;
    let form = FormData(pairs);
    user.check_csrf(form.get("csrf_token"))?;
    if !may_change(&state, &user, id).await? {
        return Err(PageError::NotFound);
    }
    match payers::set_billing_emails(
        &state.db,
        user.partnership.id,
        id,
        form.get("email"),
        Some(user.user.id),
    )
    .await
    {
        Ok(p) => {
            let done = format!("{}'s billing email addresses were saved.", p.name);
            Ok(Redirect::to(&format!("/payers/{id}/account?done={}", urlencode(&done))).into_response())
        }
        Err(e) => {
            let errors = refused_as(e, &[])?;
            let p = payers::get(&state.db, user.partnership.id, id).await?;
            let view = EmailsPage {
                chrome: Chrome::for_user(&user, "/invoices"),
                errors,
                id,
                name: p.name,
                value: form.get("email").to_string(),
            };
            Ok(with_problems(&view.errors, render(&view)?))
        }
    }
}
