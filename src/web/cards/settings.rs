//! The card payments settings page: a partnership admin enters the Stripe secret key and the
//! webhook signing secret; they are sealed and never shown again.

use crate::domain::role::Action;
use crate::services::{FieldError, stripe};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::fields::FormData;
use crate::web::forms::page::{refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, field_errors, long_date, render};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};

field_errors!(PaymentsPage);

#[derive(Template)]
#[template(path = "cards/settings.html")]
struct PaymentsPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    /// The service can keep keys (it has a `PB_SECRET_KEY`).
    can_store: bool,
    /// How card payments stand, in words, when keys are set.
    status: Option<String>,
    webhook_url: String,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ShowQuery {
    done: Option<String>,
}

async fn page(
    state: &AppState,
    user: &PageUser,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let status = stripe::status(&state.db, &state.settings.payments, user.partnership.id).await?;
    let page = PaymentsPage {
        chrome: Chrome::for_user(user, "/billing"),
        errors,
        notice,
        can_store: state.settings.payments.sealing_key.is_some(),
        status: status.map(|s| {
            format!(
                "Card payments are on, with {} keys set on {}.{}",
                if s.live { "live" } else { "test" },
                long_date(s.set_at.date_naive()),
                if s.locked { " This service cannot open them now: it has no PB_SECRET_KEY." } else { "" }
            )
        }),
        webhook_url: format!("{}/stripe/webhook/{}", state.settings.public_url, user.partnership.slug),
    };
    Ok(with_problems(&page.errors, render(&page)?))
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManagePaymentKeys)?;
    let notice = match q.done.as_deref() {
        Some("saved") => {
            Some("The Stripe keys were saved. Schools can now pay their invoices by card.".to_string())
        }
        Some("removed") => {
            Some("The Stripe keys were removed. Card payment is no longer offered.".to_string())
        }
        _ => None,
    };
    page(&state, &user, vec![], notice).await
}

pub(super) async fn save(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    user.require(Action::ManagePaymentKeys)?;
    let form = FormData(pairs);
    user.check_csrf(form.get("csrf_token"))?;
    let outcome = stripe::set_keys(
        &state.db,
        &state.settings.payments,
        &user.partnership,
        form.get("secret_key"),
        form.get("webhook_secret"),
        state.actor(user.user.id),
    )
    .await;
    match outcome {
        Ok(_) => Ok(Redirect::to("/settings/payments?done=saved").into_response()),
        Err(e) => {
            let errors = refused_as(e, &[])?;
            page(&state, &user, errors, None).await
        }
    }
}

pub(super) async fn remove(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    user.require(Action::ManagePaymentKeys)?;
    let form = FormData(pairs);
    user.check_csrf(form.get("csrf_token"))?;
    stripe::remove_keys(&state.db, &user.partnership, state.actor(user.user.id)).await?;
    Ok(Redirect::to("/settings/payments?done=removed").into_response())
}
