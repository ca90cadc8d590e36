//! Payers (schools, trusts, councils): a list to search and page through, and each payer's page
//! with its billing contact and address, whether it needs a PO number, and its held invoices with
//! the PO to record for each year.

use crate::domain::billing::find_period;
use crate::domain::instalments::BillingPlan;
use crate::domain::partnership::MembershipYear;
use crate::domain::role::Action;
use crate::services::payers::{self, Contact};
use crate::services::{FieldError, ServiceError, billing};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::forms::fields::FormData;
use crate::web::forms::page::{refused_as, sentence_case, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, Pagination, SelectOption, field_errors, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/payers", get(list))
        .route("/billing/payers/{id}", get(show))
        .route("/billing/payers/{id}/contact", get(contact_form).post(save_contact))
        .route("/billing/payers/{id}/po", post(record_po))
        .route("/billing/payers/{id}/requires-po", post(requires_po))
}

field_errors!(PayerPage, ContactPage);

fn kind_label(kind: &str) -> &'static str {
    kind.parse::<crate::domain::payer::PayerKind>().map(|k| k.label()).unwrap_or("Other")
}

fn parse_id(text: &str) -> Result<i64, PageError> {
    text.parse().map_err(|_| PageError::NotFound)
}

// ---------------------------------------------------------------------------------------------
// The list

struct Row {
    id: i64,
    name: String,
    kind: &'static str,
    requires_po: bool,
    held: u64,
}

#[derive(Template)]
#[template(path = "payers/list.html")]
struct ListPage {
    chrome: Chrome,
    notice: Option<String>,
    q: String,
    held_only: bool,
    total: u64,
    rows: Vec<Row>,
    pagination: Pagination,
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    held: String,
    #[serde(default)]
    page: Option<String>,
    done: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let page = crate::web::view::page_param(q.page.as_deref().unwrap_or(""))?;
    let held_only = q.held == "yes";
    let found = payers::list(&state.db, user.partnership.id, &q.q, held_only, page).await?;
    let query = q.q.clone();
    let href = move |n: u64| {
        format!(
            "/billing/payers?q={}&held={}&page={n}",
            urlencode(&query),
            if held_only { "yes" } else { "" }
        )
    };
    let view = ListPage {
        chrome: Chrome::for_user(&user, "/billing"),
        notice: q.done,
        q: q.q.clone(),
        held_only,
        total: found.total,
        pagination: Pagination::new("Pages of payers", found.page, found.pages, href),
        rows: found
            .payers
            .into_iter()
            .map(|(p, held)| Row {
                id: p.id,
                kind: kind_label(&p.kind),
                name: p.name,
                requires_po: p.requires_po,
                held,
            })
            .collect(),
    };
    Ok(render(&view)?.into_response())
}

// ---------------------------------------------------------------------------------------------
// One payer

#[derive(Template)]
#[template(path = "payers/payer.html")]
struct PayerPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    id: i64,
    name: String,
    kind: &'static str,
    contact: Vec<(&'static str, String)>,
    requires_po: bool,
    held: Vec<(i64, String, String)>,
    years: Vec<SelectOption>,
    po: String,
    /// Why reminders are paused for this payer, when they are.
    reminders_paused: Option<String>,
}

/// The payer's page, with the PO form set to the year of its oldest held invoice (else this year).
async fn payer_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    errors: Vec<FieldError>,
    notice: Option<String>,
    typed: Option<(&str, &str)>,
) -> Result<Response, PageError> {
    let p = payers::get(&state.db, user.partnership.id, id).await?;
    let held = payers::held_invoices(&state.db, p.id).await?;
    let kind = user.partnership.year_kind;
    let this_year = kind.year_containing(state.clock.today());
    let mut years: Vec<String> = held.iter().map(|(_, y, _, _)| y.clone()).collect();
    years
        .extend(this_year.into_iter().flat_map(|y| [Some(y), y.next()]).flatten().map(MembershipYear::label));
    years.sort();
    years.dedup();
    let chosen = typed.map(|(y, _)| y.to_string()).or_else(|| held.first().map(|h| h.1.clone()));
    let chosen = chosen.or_else(|| this_year.map(MembershipYear::label));
    let po = match typed {
        Some((_, po)) => po.to_string(),
        None => match &chosen {
            Some(y) => payers::po_number(&state.db, p.id, y).await?.unwrap_or_default(),
            None => String::new(),
        },
    };
    let period_label = |year: &str, period: &str| {
        MembershipYear::parse(kind, year)
            .and_then(|y| BillingPlan::ALL.iter().find_map(|plan| find_period(y, *plan, period)))
            .map_or(period.to_string(), |p| p.label())
    };
    let none = || "Not given".to_string();
    let view = PayerPage {
        chrome: Chrome::for_user(user, "/billing"),
        errors,
        notice,
        id: p.id,
        kind: kind_label(&p.kind),
        contact: vec![
            ("Billing contact", p.contact_name.clone().unwrap_or_else(none)),
            ("Billing email addresses", p.email.clone().unwrap_or_else(none)),
            ("Postal address", p.address.lines().collect::<Vec<_>>().join(", ")),
        ],
        requires_po: p.requires_po,
        held: held
            .into_iter()
            .map(|(id, year, period, gross)| {
                (id, format!("{year}, {}", period_label(&year, &period)), gross.to_string())
            })
            .collect(),
        years: years.iter().map(|y| SelectOption::new(y.clone(), y.clone(), chosen.as_deref())).collect(),
        po,
        reminders_paused: p.reminders_paused.clone(),
        name: p.name,
    };
    Ok(with_problems(&view.errors, render(&view)?))
}

#[derive(serde::Deserialize, Default)]
struct ShowQuery {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    payer_page(&state, &user, parse_id(&id)?, vec![], q.done, None).await
}

#[derive(serde::Deserialize)]
struct PoForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    po_number: String,
    /// Where to go back to: the invoice the PO was recorded from, if any.
    #[serde(default)]
    invoice: String,
}

async fn record_po(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(form): Form<PoForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    user.check_csrf(&form.csrf_token)?;
    let id = parse_id(&id)?;
    let payer = payers::get(&state.db, user.partnership.id, id).await?;
    let year = form.year.trim();
    let recorded = billing::release_with_po(
        &state.db,
        &user.partnership,
        payer.id,
        year,
        &form.po_number,
        Some(user.user.id),
        state.clock.now(),
    )
    .await;
    match recorded {
        Ok(numbers) => {
            let done = if numbers.is_empty() {
                format!("PO number {} recorded for {year}.", form.po_number.trim())
            } else {
                format!("PO number {} recorded; issued {}.", form.po_number.trim(), numbers.join(", "))
            };
            let back = match form.invoice.parse::<i64>() {
                Ok(invoice) => format!("/invoices/{invoice}?done={}", urlencode(&done)),
                Err(_) => format!("/billing/payers/{id}?done={}", urlencode(&done)),
            };
            Ok(Redirect::to(&back).into_response())
        }
        Err(e @ ServiceError::Invalid(_)) => {
            let errors = refused_as(e, &[])?;
            payer_page(&state, &user, id, errors, None, Some((year, form.po_number.trim()))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct RequiresForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    requires_po: String,
}

async fn requires_po(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(form): Form<RequiresForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    user.check_csrf(&form.csrf_token)?;
    let requires = form.requires_po == "true";
    let id = parse_id(&id)?;
    let payer =
        payers::set_requires_po(&state.db, user.partnership.id, id, requires, Some(user.user.id)).await?;
    let done =
        format!("{} {} a PO number.", payer.name, if requires { "now needs" } else { "no longer needs" });
    Ok(Redirect::to(&format!("/billing/payers/{id}?done={}", urlencode(&done))).into_response())
}

// ---------------------------------------------------------------------------------------------
// Contact and address

#[derive(Template)]
#[template(path = "payers/contact.html")]
struct ContactPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    id: i64,
    name: String,
    contact: Contact,
}

async fn contact_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let p = payers::get(&state.db, user.partnership.id, parse_id(&id)?).await?;
    let view = ContactPage {
        chrome: Chrome::for_user(&user, "/billing"),
        errors: vec![],
        id: p.id,
        contact: Contact {
            contact_name: p.contact_name.clone().unwrap_or_default(),
            email: p.email.clone().unwrap_or_default(),
            address: payers::address_lines(&p),
        },
        name: p.name,
    };
    Ok(render(&view)?.into_response())
}

async fn save_contact(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    crate::web::forms::page::editor(&user, &form)?;
    let p = payers::get(&state.db, user.partnership.id, parse_id(&id)?).await?;
    let contact = Contact {
        contact_name: form.get("contact_name").to_string(),
        email: form.get("email").to_string(),
        address: form.get("address").to_string(),
    };
    let errors = match payers::update_contact(
        &state.db,
        user.partnership.id,
        p.id,
        &contact,
        Some(user.user.id),
    )
    .await
    {
        Ok(saved) => {
            let done = sentence_case(&format!("{}'s billing contact and address were saved.", saved.name));
            return Ok(Redirect::to(&format!("/billing/payers/{}?done={}", saved.id, urlencode(&done)))
                .into_response());
        }
        Err(e) => refused_as(e, &[])?,
    };
    let view =
        ContactPage { chrome: Chrome::for_user(&user, "/billing"), errors, id: p.id, name: p.name, contact };
    Ok(with_problems(&view.errors, render(&view)?))
}
