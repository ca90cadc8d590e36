//! Direct Debit on the pages: a payer's own people set one up (on Stripe's page, in setup
//! mode) from their statement of account; finance starts automatic collection again after a
//! failed collection.

use super::pay::ResultPage;
use crate::domain::role::Action;
use crate::services::stripe;
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::forms::fields::FormData;
use crate::web::invoices::pages::scope;
use crate::web::session::PageUser;
use crate::web::view::{Chrome, page_id, render};
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

pub(super) async fn set_up(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    user.require(Action::ViewOwnInvoices)?;
    let form = FormData(pairs);
    user.check_csrf(form.get("csrf_token"))?;
    let payer_id = page_id(&id)?;
    let scope = scope(&state, &user).await?;
    let url = stripe::direct_debit::start_mandate(
        &state.db,
        &state.settings.payments,
        &user.partnership,
        &scope,
        payer_id,
        &state.settings.public_url,
        state.actor(user.user.id),
    )
    .await?;
    Ok(Redirect::to(&url).into_response())
}

pub(super) async fn done(State(_state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    let page = ResultPage {
        chrome: Chrome::for_user(&user, "/invoices"),
        heading: "Thank you: your Direct Debit is being set up".into(),
        paragraphs: vec![
            "Your bank confirms the Direct Debit in a few working days; your statement of account shows when it is active.".into(),
            "Before each collection we email you the amount and the date, at least three working days ahead. Invoices are collected on their due date.".into(),
        ],
        links: vec![("/invoices".into(), "Your invoices".into())],
    };
    Ok(render(&page)?.into_response())
}

pub(super) async fn resume(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    crate::web::forms::page::editor(&user, &form)?;
    let payer_id = page_id(&id)?;
    stripe::direct_debit::resume(&state.db, user.partnership.id, payer_id, Some(user.user.id)).await?;
    let done = "Direct Debit collection is on again: the next run collects what is due.";
    Ok(Redirect::to(&format!("/payers/{payer_id}/account?done={}", urlencode(done))).into_response())
}
