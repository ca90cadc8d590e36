//! The register pages: the schools list and one school.

use crate::domain::billing_phase::BillingPhase;
use crate::domain::role::{Action, SchoolScope, allows};
use crate::domain::school::{SchoolStatus, Urn};
use crate::services::register::{self, ManualPupilFigure, SchoolDetail, SchoolFilter};
use crate::services::{FieldError, ServiceError};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::forms::date::{DateInput, DateParts};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, Pagination, SelectOption, long_date, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

/// Schools shown on one page of the list.
pub const PER_PAGE: u64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/schools", get(list))
        .route("/schools/{urn}", get(show))
        .route("/schools/{urn}/pupil-numbers", post(add_pupils))
}

/// The list's query string as typed: every value optional and possibly blank.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    pub q: Option<String>,
    pub la: Option<String>,
    pub phase: Option<String>,
    pub type_group: Option<String>,
    pub status: Option<String>,
    pub trust: Option<String>,
    pub needs_pupils: Option<String>,
    pub page: Option<String>,
}

impl ListQuery {
    /// The filter this query asks for; a trust or page that is not a number is an error.
    pub fn to_filter(&self) -> Result<(SchoolFilter, u64), Vec<FieldError>> {
        let blank_to_none =
            |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        let mut errors = Vec::new();
        let trust = match blank_to_none(&self.trust) {
            None => None,
            Some(t) => match t.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(FieldError {
                        field: "trust".into(),
                        message: format!("\"{t}\" is not a trust"),
                    });
                    None
                }
            },
        };
        let page =
            crate::web::view::page_number(self.page.as_deref().unwrap_or("")).unwrap_or_else(|message| {
                errors.push(FieldError { field: "page".into(), message });
                1
            });
        let filter = SchoolFilter {
            q: blank_to_none(&self.q),
            la: blank_to_none(&self.la),
            phase: blank_to_none(&self.phase),
            type_group: blank_to_none(&self.type_group),
            status: blank_to_none(&self.status),
            trust,
            needs_pupils: blank_to_none(&self.needs_pupils).map(|v| v == "true" || v == "yes" || v == "1"),
        };
        if errors.is_empty() { Ok((filter, page)) } else { Err(errors) }
    }
}

struct Row {
    urn: String,
    name: String,
    la: String,
    phase: String,
    type_name: String,
    trust: String,
    pupils: Option<i32>,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "schools/list.html")]
struct ListPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    filter_q: String,
    la_options: Vec<SelectOption>,
    phase_options: Vec<SelectOption>,
    group_options: Vec<SelectOption>,
    status_options: Vec<SelectOption>,
    trust_options: Vec<SelectOption>,
    needs_pupils: bool,
    result_text: String,
    rows: Vec<Row>,
    page: u64,
    pages: u64,
    pagination: Pagination,
}

fn page_href(filter: &SchoolFilter, page: u64) -> String {
    let mut parts = Vec::new();
    let mut add = |key: &str, value: Option<&str>| {
        if let Some(v) = value {
            parts.push(format!("{key}={}", urlencode(v)));
        }
    };
    add("q", filter.q.as_deref());
    add("la", filter.la.as_deref());
    add("phase", filter.phase.as_deref());
    add("type_group", filter.type_group.as_deref());
    add("status", filter.status.as_deref());
    let trust = filter.trust.map(|t| t.to_string());
    add("trust", trust.as_deref());
    add("needs_pupils", filter.needs_pupils.filter(|b| *b).map(|_| "true"));
    let pg = page.to_string();
    add("page", Some(&pg));
    format!("/schools?{}", parts.join("&"))
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ViewSchools)?;
    let pid = user.partnership.id;
    let scope = user.user.school_scope();
    let today = state.clock.today();
    let (filter, page_number, mut errors) = match query.to_filter() {
        Ok((f, p)) => (f, p, vec![]),
        Err(errors) => (SchoolFilter::default(), 1, errors),
    };
    let result = register::list_schools(&state.db, pid, scope, &filter, today, page_number, PER_PAGE).await;
    let (page, status) = match result {
        Ok(page) => (Some(page), StatusCode::OK),
        Err(ServiceError::Invalid(e)) => {
            errors.extend(e);
            (None, StatusCode::BAD_REQUEST)
        }
        Err(e) => return Err(e.into()),
    };
    let status = if errors.is_empty() { status } else { StatusCode::BAD_REQUEST };
    let las = register::local_authorities(&state.db, pid).await?;
    let show_trusts = scope == SchoolScope::All;
    let trusts = if show_trusts { register::trusts(&state.db, pid).await? } else { vec![] };
    let groups = register::type_groups(&state.db, pid).await?;
    let trust_choice = filter.trust.map(|t| t.to_string());
    let (rows, result_text, number, pages) = match &page {
        Some(p) => (
            p.schools
                .iter()
                .map(|s| Row {
                    urn: s.urn.to_string(),
                    name: s.name.clone(),
                    la: s.local_authority.name.clone(),
                    phase: s.billing_phase.label().to_string(),
                    type_name: s.type_name.clone(),
                    trust: s.trust.as_ref().map(|t| t.name.clone()).unwrap_or_default(),
                    pupils: s.pupils,
                    status: s.status.label(),
                })
                .collect(),
            match p.total {
                0 => "No schools match these filters.".to_string(),
                1 => "1 school".to_string(),
                n => format!("{n} schools, page {} of {}", p.page, p.pages),
            },
            p.page,
            p.pages,
        ),
        None => (vec![], "No schools shown: correct the filters.".into(), 1, 1),
    };
    let view = ListPage {
        chrome: Chrome::for_user(&user, "/schools"),
        errors,
        filter_q: filter.q.clone().unwrap_or_default(),
        la_options: las
            .iter()
            .map(|l| {
                SelectOption::new(l.code.clone(), format!("{} ({})", l.name, l.code), filter.la.as_deref())
            })
            .collect(),
        phase_options: BillingPhase::ALL
            .iter()
            .map(|p| SelectOption::new(p.label(), p.label(), filter.phase.as_deref()))
            .collect(),
        group_options: groups
            .iter()
            .map(|g| SelectOption::new(g.clone(), g.clone(), filter.type_group.as_deref()))
            .collect(),
        status_options: SchoolStatus::ALL
            .iter()
            .map(|s| SelectOption::new(s.as_str(), s.label(), filter.status.as_deref()))
            .collect(),
        trust_options: trusts
            .iter()
            .map(|t| SelectOption::new(t.id.to_string(), t.name.clone(), trust_choice.as_deref()))
            .collect(),
        needs_pupils: filter.needs_pupils == Some(true),
        result_text,
        rows,
        page: number,
        pages,
        pagination: Pagination::new("Pages of schools", number, pages, |n| page_href(&filter, n)),
    };
    Ok((status, render(&view)?).into_response())
}

struct HistoryRow {
    census_date: String,
    pupils: i32,
    source: String,
    recorded: String,
    in_force: bool,
}

struct LinkRow {
    urn: String,
    kind: String,
    name: Option<String>,
}

#[derive(Template)]
#[template(path = "schools/school.html")]
struct SchoolPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    s: SchoolDetail,
    details: Vec<(&'static str, String)>,
    links: Vec<LinkRow>,
    history: Vec<HistoryRow>,
    can_edit: bool,
    census: DateInput,
    form_pupils: String,
    form_reason: String,
}

impl FieldErrors for SchoolPage {
    fn errors(&self) -> &[FieldError] {
        &self.errors
    }
}

fn parse_urn(text: &str) -> Result<Urn, PageError> {
    Urn::parse(text).map_err(|_| PageError::NotFound)
}

#[derive(serde::Deserialize, Default)]
struct ShowQuery {
    added: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(urn): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ViewSchools)?;
    let notice = query.added.is_some().then(|| "The pupil number was recorded.".to_string());
    school_page(&state, &user, parse_urn(&urn)?, vec![], notice, None).await
}

async fn school_page(
    state: &AppState,
    user: &PageUser,
    urn: Urn,
    errors: Vec<FieldError>,
    notice: Option<String>,
    form: Option<&ManualPupilFigure>,
) -> Result<Response, PageError> {
    let today = state.clock.today();
    let detail =
        register::school_detail(&state.db, user.partnership.id, user.user.school_scope(), urn, today).await?;
    let s = &detail.summary;
    let ages = match (detail.low_age, detail.high_age) {
        (Some(l), Some(h)) => format!("{l} to {h}"),
        _ => "Not recorded".into(),
    };
    let mut details = vec![
        ("Local authority", format!("{} ({})", s.local_authority.name, s.local_authority.code)),
        ("Billing phase", s.billing_phase.label().to_string()),
        ("Phase (GIAS)", if s.gias_phase.is_empty() { "Not recorded".into() } else { s.gias_phase.clone() }),
        ("Type", s.type_name.clone()),
        ("Type group", s.type_group.clone().unwrap_or_else(|| "Not recorded".into())),
        ("Ages", ages),
        ("Status", s.status.label().to_string()),
        ("Trust", s.trust.as_ref().map(|t| t.name.clone()).unwrap_or_else(|| "None".into())),
        ("Address", {
            let lines: Vec<&str> = [s.address.as_deref(), s.postcode.as_deref()]
                .into_iter()
                .flatten()
                .flat_map(str::lines)
                .collect();
            if lines.is_empty() { "Not recorded".into() } else { lines.join(", ") }
        }),
        ("Pupils today", s.pupils.map(|p| p.to_string()).unwrap_or_else(|| "Needs pupil number".into())),
    ];
    if let Some(number) = &detail.establishment_number {
        details.insert(1, ("LA establishment number", format!("{}/{number}", s.local_authority.code)));
    }
    if let Some(d) = detail.open_date {
        details.push(("Opened", long_date(d)));
    }
    if let Some(d) = detail.close_date {
        details.push(("Closed", long_date(d)));
    }
    let history = detail
        .history
        .iter()
        .map(|h| HistoryRow {
            census_date: long_date(h.census_date),
            pupils: h.pupils,
            source: match (&h.entered_by, &h.reason) {
                (Some(who), Some(why)) => format!("{} by {who}: {why}", h.source.describe()),
                (None, Some(why)) => format!("{}: {why}", h.source.describe()),
                _ => h.source.describe().to_string(),
            },
            recorded: h.recorded_at.format("%-d %B %Y %H:%M").to_string(),
            in_force: h.in_force,
        })
        .collect();
    let links = detail
        .links
        .iter()
        .map(|l| LinkRow { urn: l.urn.to_string(), kind: l.kind.clone(), name: l.name.clone() })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = SchoolPage {
        chrome: Chrome::for_user(user, "/schools"),
        errors,
        notice,
        details,
        links,
        history,
        can_edit: allows(user.user.role, Action::EditPupilNumbers),
        census: {
            let typed: Vec<String> =
                form.map_or(vec![], |f| f.census_date.split('-').map(str::to_string).collect());
            let part = |i: usize| typed.get(i).cloned().unwrap_or_default();
            DateInput::new(
                "census_date",
                "Census date",
                state.clock.today(),
                "The day the number on roll was counted, such as the January census",
            )
            .typed(&DateParts { day: part(0), month: part(1), year: part(2) })
        },
        form_pupils: form.map(|f| f.pupils.clone()).unwrap_or_default(),
        form_reason: form.map(|f| f.reason.clone()).unwrap_or_default(),
        s: detail,
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(serde::Deserialize)]
struct PupilForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default, rename = "census_date-day")]
    day: String,
    #[serde(default, rename = "census_date-month")]
    month: String,
    #[serde(default, rename = "census_date-year")]
    year: String,
    #[serde(default)]
    pupils: String,
    #[serde(default)]
    reason: String,
}

async fn add_pupils(
    State(state): State<AppState>,
    user: PageUser,
    Path(urn): Path<String>,
    Form(form): Form<PupilForm>,
) -> Result<Response, PageError> {
    user.require(Action::EditPupilNumbers)?;
    user.check_csrf(&form.csrf_token)?;
    let urn = parse_urn(&urn)?;
    let parts = DateParts::of(&form.day, &form.month, &form.year);
    let typed = format!("{}-{}-{}", parts.day, parts.month, parts.year);
    // A date that does not read is sent as none, so every other problem is found too, and
    // nothing is written; its own message then replaces "Enter the census date".
    let (census_date, census_problem) = match parts.read("Census date") {
        Ok(Some(d)) => (d.format("%d-%m-%Y").to_string(), None),
        Ok(None) => (String::new(), None),
        Err(message) => (String::new(), Some(message)),
    };
    let mut input = ManualPupilFigure { census_date, pupils: form.pupils, reason: form.reason };
    match register::add_manual_pupil_figure(
        &state.db,
        user.partnership.id,
        user.user.school_scope(),
        urn,
        user.user.id,
        &input,
        state.clock.now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/schools/{urn}?added=1")).into_response()),
        Err(ServiceError::Invalid(mut errors)) => {
            if let Some(message) = census_problem {
                for e in errors.iter_mut().filter(|e| e.field == "census_date") {
                    e.message = message.clone();
                }
            }
            input.census_date = typed;
            school_page(&state, &user, urn, errors, None, Some(&input)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_filters() {
        let filter = SchoolFilter {
            q: Some("St Mary's".into()),
            phase: Some("Primary".into()),
            trust: Some(4),
            needs_pupils: Some(true),
            ..Default::default()
        };
        assert_eq!(
            page_href(&filter, 3),
            "/schools?q=St%20Mary%27s&phase=Primary&trust=4&needs_pupils=true&page=3"
        );
    }

    #[test]
    fn query_values_are_checked() {
        let bad = ListQuery { trust: Some("x".into()), page: Some("two".into()), ..Default::default() };
        let errors = bad.to_filter().unwrap_err();
        assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), vec!["trust", "page"]);
        let blank =
            ListQuery { la: Some(" ".into()), needs_pupils: Some("true".into()), ..Default::default() };
        let (filter, page) = blank.to_filter().unwrap();
        assert_eq!((filter.la, filter.needs_pupils, page), (None, Some(true), 1));
    }
}
