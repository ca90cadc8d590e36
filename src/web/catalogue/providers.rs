//! Provider schools on finance's pages: the rates agreed with them, each month's self-billing
//! statements (made, read, printed as PDF, marked paid), the timesheet of who delivered what,
//! and the margin the partnership keeps by service and by provider.

use crate::domain::money::Money;
use crate::domain::role::Action;
use crate::services::{FieldError, ServiceError, providers, traded as catalogue};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::date::{DateInput, DateParts, date_field};
use crate::web::forms::fields::{FormData, read_amount};
use crate::web::forms::page::{editor, refused_as, sentence_case, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, SelectOption, field_errors, page_id, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};

field_errors!(ProvidersPage, StatementPage);

/// A question in the address that the service refuses (a year or month that is not one) is a
/// bad request naming what was wrong; anything else passes on.
fn asked_wrongly(e: ServiceError) -> PageError {
    match e {
        ServiceError::Invalid(list) => PageError::BadRequest(
            list.into_iter().map(|f| sentence_case(&f.message)).collect::<Vec<_>>().join(". "),
        ),
        other => other.into(),
    }
}

/// The last twelve months that have ended, newest first, as ("2026-10", "October 2026").
fn ended_months(today: NaiveDate) -> Vec<(String, String)> {
    let mut month = today.with_day(1).unwrap_or(today);
    let mut out = Vec::new();
    for _ in 0..12 {
        month = month.checked_sub_months(chrono::Months::new(1)).unwrap_or(month);
        out.push((month.format("%Y-%m").to_string(), month.format("%B %Y").to_string()));
    }
    out
}

fn month_words(month: &str) -> String {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_default()
}

struct StatementRow {
    id: i64,
    number: String,
    school: String,
    month: String,
    total: String,
    paid: String,
}

#[derive(Template)]
#[template(path = "services/providers.html")]
struct ProvidersPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    rates: Vec<providers::RateView>,
    services: Vec<SelectOption>,
    urn: String,
    rate: String,
    months: Vec<SelectOption>,
    statements: Vec<StatementRow>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn providers_page(state: &AppState, user: &PageUser) -> Result<ProvidersPage, PageError> {
    let today = state.clock.today();
    let rates = providers::rates(&state.db, user.partnership.id).await?;
    let services = catalogue::list(&state.db, user.partnership.id)
        .await?
        .into_iter()
        .map(|s| SelectOption::new(s.id.to_string(), s.name, None))
        .collect();
    let statements = providers::statements(&state.db, user.partnership.id, None)
        .await?
        .into_iter()
        .map(|s| StatementRow {
            id: s.id,
            number: s.number,
            school: s.school,
            month: month_words(&s.month),
            total: Money::parse(&s.total).map(|m| m.to_string()).unwrap_or_default(),
            paid: match (s.paid_on, s.paid_reference) {
                (Some(on), Some(r)) => format!("Paid {} ({r})", on.format("%-d %B %Y")),
                _ => "Not paid yet".into(),
            },
        })
        .collect();
    Ok(ProvidersPage {
        chrome: Chrome::for_user(user, "/services"),
        errors: vec![],
        notice: None,
        rates,
        services,
        urn: String::new(),
        rate: String::new(),
        months: ended_months(today).into_iter().map(|(v, l)| SelectOption::new(v, l, None)).collect(),
        statements,
    })
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let mut page = providers_page(&state, &user).await?;
    page.notice = match q.done.as_str() {
        "rate" => Some("The rate is saved. Deliveries from now on are owed at it.".into()),
        "none" => Some("Every delivery of that month by a provider school is on a statement already.".into()),
        "made" => Some("The statements are made.".into()),
        _ => None,
    };
    Ok(render(&page)?.into_response())
}

pub(super) async fn set_rate(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let mut page = providers_page(&state, &user).await?;
    page.urn = form.get("urn").to_string();
    page.rate = form.get("rate").to_string();
    page.services = page
        .services
        .into_iter()
        .map(|o| SelectOption { selected: o.value == form.get("service_id"), ..o })
        .collect();
    let rate = match read_amount(form.get("rate"), "The rate") {
        Ok(Some(r)) => Money::from_decimal_rounded(r),
        Ok(None) => Money::ZERO,
        Err(m) => {
            page.errors = vec![FieldError { field: "rate".into(), message: m }];
            return Ok(with_problems(&page.errors.clone(), render(&page)?));
        }
    };
    let service_id = form.get("service_id").parse::<i64>().unwrap_or(0);
    match providers::set_rate(
        &state.db,
        &user.partnership,
        form.get("urn"),
        service_id,
        rate,
        Some(user.user.id),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/providers?done=rate").into_response()),
        Err(ServiceError::NotFound(_)) => {
            page.errors = vec![FieldError {
                field: "urn".into(),
                message: format!("No school in the register has the URN {}", form.get("urn").trim()),
            }];
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
        Err(e) => {
            page.errors = refused_as(e, &[("service_id", "service_id"), ("rate", "rate"), ("urn", "urn")])?;
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
    }
}

pub(super) async fn make_statements(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    match providers::make_statements(
        &state.db,
        &user.partnership,
        form.get("month"),
        Some(user.user.id),
        state.clock.today(),
        state.clock.now(),
    )
    .await
    {
        Ok(made) if made.is_empty() => Ok(Redirect::to("/providers?done=none").into_response()),
        Ok(_) => Ok(Redirect::to("/providers?done=made").into_response()),
        Err(e) => {
            let mut page = providers_page(&state, &user).await?;
            page.errors = refused_as(e, &[("month", "month")])?;
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
    }
}

#[derive(Template)]
#[template(path = "services/provider_statement.html")]
struct StatementPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    id: i64,
    number: String,
    school: String,
    month: String,
    total: String,
    paid: Option<String>,
    lines: Vec<providers::DeliveryLine>,
    paid_on: DateInput,
    reference: String,
}

async fn statement_page(state: &AppState, user: &PageUser, id: i64) -> Result<StatementPage, PageError> {
    let s = providers::statement(&state.db, user.partnership.id, id).await?;
    Ok(StatementPage {
        chrome: Chrome::for_user(user, "/services"),
        errors: vec![],
        notice: None,
        id,
        number: s.number,
        school: s.school,
        month: month_words(&s.month),
        total: Money::parse(&s.total).map(|m| m.to_string()).unwrap_or_default(),
        paid: match (s.paid_on, s.paid_reference) {
            (Some(on), Some(r)) => Some(format!("Paid on {} (reference {r}).", on.format("%-d %B %Y"))),
            _ => None,
        },
        lines: s
            .lines
            .into_iter()
            .map(|l| providers::DeliveryLine {
                payable: Money::parse(&l.payable).map(|m| m.to_string()).unwrap_or_default(),
                ..l
            })
            .collect(),
        paid_on: DateInput::new("paid_on", "Date paid", state.clock.today(), ""),
        reference: String::new(),
    })
}

pub(super) async fn statement(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let mut page = statement_page(&state, &user, page_id(&id)?).await?;
    if q.done == "paid" {
        page.notice = Some("The statement is marked paid.".into());
    }
    Ok(render(&page)?.into_response())
}

pub(super) async fn mark_paid(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let id = page_id(&id)?;
    let mut page = statement_page(&state, &user, id).await?;
    let parts = DateParts::of(form.get("paid_on-day"), form.get("paid_on-month"), form.get("paid_on-year"));
    page.paid_on = page.paid_on.typed(&parts);
    page.reference = form.get("reference").to_string();
    let mut errors = Vec::new();
    let Some(on) = date_field("paid_on", parts, "Date paid", &mut errors) else {
        page.errors = errors;
        return Ok(with_problems(&page.errors.clone(), render(&page)?));
    };
    let today = state.clock.today();
    match providers::mark_paid(
        &state.db,
        &user.partnership,
        id,
        on,
        form.get("reference"),
        Some(user.user.id),
        today,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/providers/statements/{id}?done=paid")).into_response()),
        Err(ServiceError::Conflict(m)) => {
            page.errors = vec![FieldError { field: "paid_on".into(), message: sentence_case(&m) }];
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
        Err(e) => {
            page.errors = refused_as(e, &[("paid_on", "paid_on"), ("reference", "reference")])?;
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
    }
}

/// The statement as a PDF: a self-billing statement and remittance advice.
pub(super) async fn pdf(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let id = page_id(id.trim_end_matches(".pdf"))?;
    let s = providers::statement(&state.db, user.partnership.id, id).await?;
    let school = catalogue::school_by_urn(&state.db, user.partnership.id, &s.urn.to_string()).await?;
    let address = crate::domain::address::postal_address(
        &school.name,
        [school.address.as_deref(), school.postcode.as_deref()],
    );
    let doc = crate::pdf::documents::self_billing_document(&s, &address, &user.partnership);
    let bytes = tokio::task::spawn_blocking(move || crate::pdf::render(&doc))
        .await
        .map_err(|_| PageError::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{}.pdf\"", s.number)),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "services/timesheet.html")]
struct TimesheetPage {
    chrome: Chrome,
    people: Vec<SelectOption>,
    months: Vec<SelectOption>,
    person: String,
    month: String,
    lines: Vec<providers::DeliveryLine>,
    total_units: String,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct TimesheetQuery {
    #[serde(default)]
    person: String,
    #[serde(default)]
    month: String,
}

pub(super) async fn timesheet(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<TimesheetQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let today = state.clock.today();
    let month = if q.month.trim().is_empty() {
        today.format("%Y-%m").to_string()
    } else {
        q.month.trim().to_string()
    };
    let lines = providers::timesheet(&state.db, user.partnership.id, Some(&q.person), &month)
        .await
        .map_err(asked_wrongly)?;
    let total: rust_decimal::Decimal =
        lines.iter().filter_map(|l| l.units.parse::<rust_decimal::Decimal>().ok()).sum();
    let mut months = vec![(today.format("%Y-%m").to_string(), today.format("%B %Y").to_string())];
    months.extend(ended_months(today));
    let people = providers::people(&state.db, user.partnership.id).await?;
    let page = TimesheetPage {
        chrome: Chrome::for_user(&user, "/services"),
        people: people.into_iter().map(|p| SelectOption::new(p.clone(), p, Some(q.person.trim()))).collect(),
        months: months.into_iter().map(|(v, l)| SelectOption::new(v, l, Some(&month))).collect(),
        person: q.person.trim().to_string(),
        month: month_words(&month),
        total_units: total.normalize().to_string(),
        lines: lines
            .into_iter()
            .map(|l| providers::DeliveryLine {
                payable: Money::parse(&l.payable).map(|m| m.to_string()).unwrap_or_default(),
                ..l
            })
            .collect(),
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "services/margin.html")]
struct MarginPage {
    chrome: Chrome,
    year: String,
    years: Vec<SelectOption>,
    /// Caption, id and rows of each table: by service, then by who delivered.
    tables: Vec<(&'static str, &'static str, Vec<providers::Margin>)>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct YearQuery {
    #[serde(default)]
    year: String,
}

pub(super) async fn margin(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let (year, years) = year_choice(&user, state.clock.today(), &q.year)?;
    let (by_service, by_provider) =
        providers::margin(&state.db, &user.partnership, &year).await.map_err(asked_wrongly)?;
    let money = |m: Vec<providers::Margin>| {
        m.into_iter()
            .map(|r| providers::Margin {
                income: Money::parse(&r.income).map(|m| m.to_string()).unwrap_or_default(),
                cost: Money::parse(&r.cost).map(|m| m.to_string()).unwrap_or_default(),
                margin: Money::parse(&r.margin).map(|m| m.to_string()).unwrap_or_default(),
                ..r
            })
            .collect()
    };
    let page = MarginPage {
        chrome: Chrome::for_user(&user, "/services"),
        years,
        year,
        tables: vec![
            ("By service", "by-service", money(by_service)),
            ("By who delivered", "by-provider", money(by_provider)),
        ],
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "services/take_up.html")]
struct TakeUpPage {
    chrome: Chrome,
    year: String,
    years: Vec<SelectOption>,
    area_schools: i64,
    rows: Vec<crate::services::traded::TakeUp>,
}

/// Which of this year and last the user may choose, and the one chosen.
fn year_choice(
    user: &PageUser,
    today: NaiveDate,
    asked: &str,
) -> Result<(String, Vec<SelectOption>), PageError> {
    let this = super::pages::this_year(user, today)?;
    let year = if asked.trim().is_empty() { this.clone() } else { asked.trim().to_string() };
    let mut years = vec![this];
    if let Some(prev) = user.partnership.year_kind.year_containing(today).and_then(|y| {
        crate::domain::partnership::MembershipYear::new(user.partnership.year_kind, y.start_year() - 1)
    }) {
        years.push(prev.label());
    }
    let options = years.into_iter().map(|y| SelectOption::new(y.clone(), y, Some(&year))).collect();
    Ok((year, options))
}

/// The board's view of traded services: how many schools bought each, and what it is worth.
pub(super) async fn take_up(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ViewTotals)?;
    let (year, years) = year_choice(&user, state.clock.today(), &q.year)?;
    let rows =
        crate::services::traded::take_up(&state.db, &user.partnership, &year).await.map_err(asked_wrongly)?;
    let area_schools: i64 = crate::services::register::count_by_phase(
        &state.db,
        user.partnership.id,
        crate::domain::role::SchoolScope::All,
    )
    .await?
    .iter()
    .map(|(_, n)| *n as i64)
    .sum();
    let page = TakeUpPage {
        chrome: Chrome::for_user(
            &user,
            if user.require(Action::OrderServices).is_ok() { "/services" } else { "/services/take-up" },
        ),
        year,
        years,
        area_schools,
        rows: rows
            .into_iter()
            .map(|r| crate::services::traded::TakeUp {
                value: Money::parse(&r.value).map(|m| m.to_string()).unwrap_or_default(),
                ..r
            })
            .collect(),
    };
    Ok(render(&page)?.into_response())
}
