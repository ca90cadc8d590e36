//! Paying invoices by card: the button on an invoice (or several on the payer's account) sends
//! the payer to Stripe's payment page; Stripe sends them back to say it is done or not.

use crate::domain::provider::ProviderState;
use crate::services::invoices::InvoiceScope;
use crate::services::stripe;
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::fields::FormData;
use crate::web::invoices::pages::scope;
use crate::web::session::PageUser;
use crate::web::view::{Chrome, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

use crate::web::view::page_id as parse_id;

/// Sends the payer to Stripe's page for the invoices chosen (all `payer`'s, when given).
async fn go_pay(
    state: &AppState,
    user: &PageUser,
    payer: Option<i64>,
    ids: &[i64],
) -> Result<Response, PageError> {
    let scope = scope(state, user).await?;
    let checkout = stripe::start_card_payment(
        &state.db,
        &state.settings.payments,
        &user.partnership,
        &scope,
        payer,
        ids,
        &state.settings.public_url,
        state.actor(user.user.id),
    )
    .await?;
    // 303: the browser follows with a GET to Stripe's page.
    Ok(Redirect::to(&checkout.url).into_response())
}

pub(super) async fn pay_invoice(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    user.check_csrf(form.get("csrf_token"))?;
    go_pay(&state, &user, None, &[parse_id(&id)?]).await
}

pub(super) async fn pay_several(
    State(state): State<AppState>,
    user: PageUser,
    Path(payer): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let payer = parse_id(&payer)?;
    let form = FormData(pairs);
    user.check_csrf(form.get("csrf_token"))?;
    let mut ids = Vec::new();
    for (name, value) in &form.0 {
        if name == "invoice" {
            ids.push(
                value
                    .parse::<i64>()
                    .map_err(|_| PageError::BadRequest(format!("\"{value}\" is not an invoice")))?,
            );
        }
    }
    if ids.is_empty() {
        return Err(PageError::BadRequest("Choose at least one invoice to pay.".into()));
    }
    go_pay(&state, &user, Some(payer), &ids).await
}

#[derive(Template)]
#[template(path = "cards/result.html")]
pub(super) struct ResultPage {
    pub(super) chrome: Chrome,
    pub(super) heading: String,
    pub(super) paragraphs: Vec<String>,
    pub(super) links: Vec<(String, String)>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct DoneQuery {
    session: Option<String>,
}

pub(super) async fn done(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let scope = scope(&state, &user).await?;
    let session = q.session.unwrap_or_default();
    let view = stripe::checkout::by_session(&state.db, user.partnership.id, &scope, &session)
        .await?
        .ok_or(PageError::NotFound)?;
    let links = invoice_links(&state, &user, &scope, &view.invoice_ids).await?;
    let (heading, paragraphs) = match view.state {
        ProviderState::Succeeded => (
            "Payment received".to_string(),
            vec![format!("Thank you. {} was paid by card and is on your account.", view.amount)],
        ),
        ProviderState::Failed => (
            "The payment did not go through".to_string(),
            vec![view.failure.clone().unwrap_or_else(|| "Stripe could not take the payment.".into()), "Nothing was taken. You can try again, or pay by bank transfer.".into()],
        ),
        _ => (
            "Thank you: your payment is on its way".to_string(),
            vec![
                format!("Stripe has your payment of {}.", view.amount),
                "The invoice shows as paid as soon as Stripe confirms it, usually within a minute. A Direct Debit or bank payment can take a few working days.".into(),
            ],
        ),
    };
    let page = ResultPage { chrome: Chrome::for_user(&user, "/invoices"), heading, paragraphs, links };
    Ok(render(&page)?.into_response())
}

#[derive(serde::Deserialize, Default)]
pub(super) struct CancelledQuery {
    invoices: Option<String>,
}

pub(super) async fn cancelled(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<CancelledQuery>,
) -> Result<Response, PageError> {
    let ids = crate::domain::provider::parse_invoice_ids(q.invoices.as_deref().unwrap_or_default())
        .unwrap_or_default();
    let links = invoice_links(&state, &user, &scope(&state, &user).await?, &ids).await?;
    let page = ResultPage {
        chrome: Chrome::for_user(&user, "/invoices"),
        heading: "You have not paid".into(),
        paragraphs: vec![
            "The payment was stopped before it was made: nothing was taken from your card.".into(),
        ],
        links,
    };
    Ok(render(&page)?.into_response())
}

/// Links back to the invoices (the ones the user may read).
async fn invoice_links(
    state: &AppState,
    user: &PageUser,
    scope: &InvoiceScope,
    ids: &[i64],
) -> Result<Vec<(String, String)>, PageError> {
    Ok(stripe::checkout::invoice_numbers(&state.db, user.partnership.id, scope, ids)
        .await?
        .into_iter()
        .map(|(id, number)| (format!("/invoices/{id}"), format!("Invoice {number}")))
        .collect())
}
