//! The partnership's details page: name, address, VAT and company numbers, registered office
//! (as invoices print them) and which months a membership year covers.

use crate::domain::partnership::YearKind;
use crate::domain::role::Action;
use crate::services::FieldError;
use crate::services::partnerships::{self, Details};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::fields::FormData;
use crate::web::forms::page::{refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, SelectOption, field_errors, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/settings/partnership", get(show).post(save))
}

field_errors!(DetailsPage);

#[derive(Template)]
#[template(path = "settings/details.html")]
struct DetailsPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    details: Details,
    kinds: Vec<SelectOption>,
}

fn kinds(chosen: &str) -> Vec<SelectOption> {
    [YearKind::Academic, YearKind::Financial]
        .iter()
        .map(|k| SelectOption::new(k.as_str(), k.describe(), Some(chosen)))
        .collect()
}

#[derive(serde::Deserialize, Default)]
struct ShowQuery {
    saved: Option<String>,
}

async fn show(user: PageUser, Query(q): Query<ShowQuery>) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let p = &user.partnership;
    let details = Details {
        name: p.name.clone(),
        address: p.address.clone(),
        vat_number: p.vat_number.clone().unwrap_or_default(),
        company_number: p.company_number.clone().unwrap_or_default(),
        registered_office: p.registered_office.clone().unwrap_or_default(),
        year_kind: p.year_kind.as_str().to_string(),
    };
    let page = DetailsPage {
        chrome: Chrome::for_user(&user, "/billing"),
        errors: vec![],
        notice: q
            .saved
            .map(|_| "The partnership's details were saved. Invoices raised from now on show them.".into()),
        kinds: kinds(&details.year_kind),
        details,
    };
    Ok(render(&page)?.into_response())
}

async fn save(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    crate::web::forms::page::editor(&user, &form)?;
    let details = Details {
        name: form.get("name").to_string(),
        address: form.get("address").to_string(),
        vat_number: form.get("vat_number").to_string(),
        company_number: form.get("company_number").to_string(),
        registered_office: form.get("registered_office").to_string(),
        year_kind: form.get("year_kind").to_string(),
    };
    let errors =
        match partnerships::set_details(&state.db, user.partnership.id, &details, Some(user.user.id)).await {
            Ok(_) => return Ok(Redirect::to("/settings/partnership?saved=1").into_response()),
            Err(e) => refused_as(e, &[])?,
        };
    let page = DetailsPage {
        chrome: Chrome::for_user(&user, "/billing"),
        errors,
        notice: None,
        kinds: kinds(&details.year_kind),
        details,
    };
    Ok(with_problems(&page.errors, render(&page)?))
}
