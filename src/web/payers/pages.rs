//! Payers (schools, trusts, councils), their PO numbers, and the audit log.

use crate::domain::role::Action;
use crate::services::{FieldError, ServiceError, billing, invoices, memberships};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/payers", get(list))
        .route("/billing/payers/{id}/po", post(record_po))
        .route("/billing/payers/{id}/requires-po", post(requires_po))
}

struct Row {
    id: i64,
    name: String,
    kind: String,
    requires_po: bool,
    held: usize,
    po: String,
}

#[derive(Template)]
#[template(path = "payers/list.html")]
struct PayersPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    year: String,
    rows: Vec<Row>,
}

async fn page(
    state: &AppState,
    user: &PageUser,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let year = user
        .partnership
        .year_kind
        .year_containing(state.clock.today())
        .map(|y| y.label())
        .unwrap_or_default();
    let held = invoices::held_by_payer(&state.db, user.partnership.id).await?;
    let mut rows = Vec::new();
    for p in memberships::payers(&state.db, user.partnership.id).await? {
        rows.push(Row {
            po: memberships::po_number(&state.db, p.id, &year).await?.unwrap_or_default(),
            held: held.get(&p.id).copied().unwrap_or(0),
            id: p.id,
            name: p.name,
            kind: p.kind,
            requires_po: p.requires_po,
        });
    }
    let code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let view = PayersPage { chrome: Chrome::for_user(user, "/billing"), errors, notice, year, rows };
    Ok((code, render(&view)?).into_response())
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    done: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    page(&state, &user, vec![], q.done).await
}

fn parse_id(text: &str) -> Result<i64, PageError> {
    text.parse().map_err(|_| PageError::NotFound)
}

#[derive(serde::Deserialize)]
struct PoForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    po_number: String,
}

async fn record_po(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(form): Form<PoForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    user.check_csrf(&form.csrf_token)?;
    match billing::release_with_po(
        &state.db,
        &user.partnership,
        parse_id(&id)?,
        form.year.trim(),
        &form.po_number,
        Some(user.user.id),
        state.clock.now(),
    )
    .await
    {
        Ok(numbers) => {
            let done = if numbers.is_empty() {
                format!("PO number {} recorded for {}.", form.po_number.trim(), form.year.trim())
            } else {
                format!("PO number {} recorded; issued {}.", form.po_number.trim(), numbers.join(", "))
            };
            Ok(Redirect::to(&format!("/billing/payers?done={}", urlencode(&done))).into_response())
        }
        Err(ServiceError::Invalid(errors)) => page(&state, &user, errors, None).await,
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
    let payer = memberships::set_requires_po(
        &state.db,
        user.partnership.id,
        parse_id(&id)?,
        requires,
        Some(user.user.id),
    )
    .await?;
    let done =
        format!("{} {} a PO number.", payer.name, if requires { "now needs" } else { "no longer needs" });
    Ok(Redirect::to(&format!("/billing/payers?done={}", urlencode(&done))).into_response())
}
