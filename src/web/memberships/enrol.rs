//! Enrolling many schools at once: open schools of chosen phases, local authorities or trusts
//! (previewed before anything is written), or a CSV of URNs with a level and payer each.

use crate::domain::billing_phase::BillingPhase;
use crate::domain::partnership::MembershipYear;
use crate::domain::payer::PaidBy;
use crate::domain::role::{Action, SchoolScope};
use crate::services::memberships::{self, Chosen, Enrolment, EnrolmentPlan};
use crate::services::{FieldError, ServiceError, offers, register};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::forms::date::{DateInput, DateParts, date_field};
use crate::web::forms::fields::FormData;
use crate::web::forms::page::{refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, SelectOption, field_errors, render};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Datelike;

/// The largest CSV of URNs accepted (30,000 rows of a URN, a level and a payer fit easily).
const MAX_CSV_BYTES: usize = 4 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/billing/memberships/enrol",
        get(show).post(enrol).layer(DefaultBodyLimit::max(MAX_CSV_BYTES + 64 * 1024)),
    )
}

field_errors!(EnrolPage);

/// A checkbox: value, label, ticked.
type Tick = (String, String, bool);

/// What the enrolment would do, shown before it is done.
struct PlanView {
    count: usize,
    already: usize,
    names: Vec<String>,
}

#[derive(Template)]
#[template(path = "memberships/enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    year: String,
    years: Vec<SelectOption>,
    levels: Vec<SelectOption>,
    starts_on: DateInput,
    paid: Vec<SelectOption>,
    first_year: bool,
    phases: Vec<Tick>,
    las: Vec<Tick>,
    trusts: String,
    csv_chosen: bool,
    plan: Option<PlanView>,
}

/// The form's values, as typed (or the defaults).
#[derive(Default)]
struct Typed {
    year: String,
    level: String,
    starts_on: DateParts,
    paid_by: String,
    first_year: bool,
    phases: Vec<String>,
    las: Vec<String>,
    trusts: String,
    source: String,
}

impl Typed {
    fn posted(form: &FormData) -> Typed {
        let all = |name: &str| {
            form.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).collect()
        };
        Typed {
            year: form.get("year").to_string(),
            level: form.get("level").to_string(),
            starts_on: DateParts::of(
                form.get("starts_on-day"),
                form.get("starts_on-month"),
                form.get("starts_on-year"),
            ),
            paid_by: form.get("paid_by").to_string(),
            first_year: form.has("first_year", "true"),
            phases: all("phase"),
            las: all("la"),
            trusts: form.get("trusts").to_string(),
            source: form.get("source").to_string(),
        }
    }

    /// Checks the shared fields: the enrolment every school gets.
    fn enrolment(&self, errors: &mut Vec<FieldError>) -> Option<Enrolment> {
        let starts_on = date_field("starts_on", self.starts_on.clone(), "Date membership starts", errors);
        let paid_by = PaidBy::parse(&self.paid_by);
        if paid_by.is_none() {
            errors.push(FieldError { field: "paid_by".into(), message: "Choose who pays".into() });
        }
        Some(Enrolment {
            year: self.year.clone(),
            level: self.level.clone(),
            starts_on: starts_on?,
            paid_by: paid_by?,
            first_year: self.first_year,
        })
    }
}

async fn page(
    state: &AppState,
    user: &PageUser,
    mut typed: Typed,
    errors: Vec<FieldError>,
    plan: Option<&EnrolmentPlan>,
) -> Result<Response, PageError> {
    let all = offers::list(&state.db, user.partnership.id).await?;
    if typed.year.is_empty() {
        typed.year = all.first().map(|o| o.year.clone()).unwrap_or_default();
    }
    let offer = all.iter().find(|o| o.year == typed.year);
    let first_day = MembershipYear::parse(user.partnership.year_kind, &typed.year).map(|y| y.first_day());
    let mut starts_on = typed.starts_on.clone();
    if starts_on.day.is_empty()
        && starts_on.month.is_empty()
        && starts_on.year.is_empty()
        && let Some(d) = first_day
    {
        starts_on = DateParts::of(&d.day().to_string(), &d.month().to_string(), &d.year().to_string());
    }
    let phases_here = register::count_by_phase(&state.db, user.partnership.id, SchoolScope::All).await?;
    let las = register::local_authorities(&state.db, user.partnership.id).await?;
    let paid_by = if typed.paid_by.is_empty() { "school".to_string() } else { typed.paid_by.clone() };
    let view = EnrolPage {
        chrome: Chrome::for_user(user, "/billing"),
        errors,
        years: all
            .iter()
            .map(|o| SelectOption::new(o.year.clone(), o.year.clone(), Some(typed.year.as_str())))
            .collect(),
        levels: offer
            .into_iter()
            .flat_map(|o| &o.levels)
            .map(|l| SelectOption::new(l.name.clone(), l.name.clone(), Some(typed.level.as_str())))
            .collect(),
        paid: [
            (PaidBy::School, "Each school"),
            (PaidBy::Trust, "Its trust, for schools in a trust (other schools pay themselves)"),
            (PaidBy::Council, "The council, for maintained schools (other schools pay themselves)"),
        ]
        .iter()
        .map(|(p, label)| SelectOption::new(p.as_str(), *label, Some(paid_by.as_str())))
        .collect(),
        phases: phases_here
            .iter()
            .map(|(p, n)| {
                let label = p.label().to_string();
                (label.clone(), format!("{label} ({n} open)"), typed.phases.contains(&label))
            })
            .collect(),
        las: las
            .iter()
            .map(|l| (l.code.clone(), format!("{} ({})", l.name, l.code), typed.las.contains(&l.code)))
            .collect(),
        plan: plan.map(|p| PlanView {
            count: p.to_enrol.len(),
            already: p.already.len(),
            names: p
                .to_enrol
                .iter()
                .take(50)
                .map(|e| format!("{} (URN {}), {}", e.name, e.urn, e.level))
                .collect(),
        }),
        year: typed.year,
        starts_on: DateInput::new(
            "starts_on",
            "Member from",
            first_day.unwrap_or(chrono::NaiveDate::MIN),
            "",
        )
        .typed(&starts_on),
        first_year: typed.first_year,
        trusts: typed.trusts,
        csv_chosen: typed.source == "csv",
    };
    Ok(with_problems(&view.errors, render(&view)?))
}

#[derive(serde::Deserialize, Default)]
struct ShowQuery {
    #[serde(default)]
    year: String,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    page(&state, &user, Typed { year: q.year, ..Default::default() }, vec![], None).await
}

fn done(year: &str, plan: &EnrolmentPlan) -> Response {
    let mut message = format!("{} schools were enrolled", plan.to_enrol.len());
    if !plan.already.is_empty() {
        message.push_str(&format!("; {} already members were left as they are", plan.already.len()));
    }
    Redirect::to(&format!("/billing/memberships?year={}&joined={}", urlencode(year), urlencode(&message)))
        .into_response()
}

/// The posted form: its fields, and the CSV file if one was chosen.
async fn enrol(
    State(state): State<AppState>,
    user: PageUser,
    multipart: Multipart,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let (form, file) = crate::web::forms::upload::read_multipart(multipart, MAX_CSV_BYTES).await?;
    user.check_csrf(form.get("csrf_token"))?;
    let typed = Typed::posted(&form);
    let mut errors = Vec::new();
    let chosen = if form.get("source") == "csv" {
        if file.is_empty() {
            errors.push(FieldError { field: "file".into(), message: "Choose a CSV file of URNs".into() });
        }
        Chosen::Csv(file)
    } else {
        let mut phases = Vec::new();
        for p in &typed.phases {
            match BillingPhase::parse(p) {
                Some(phase) => phases.push(phase),
                None => errors.push(FieldError {
                    field: "phase".into(),
                    message: format!("\"{p}\" is not a billing phase"),
                }),
            }
        }
        Chosen::Register {
            phases,
            la_codes: typed.las.clone(),
            trusts: typed
                .trusts
                .lines()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
        }
    };
    let Some(enrolment) = typed.enrolment(&mut errors).filter(|_| errors.is_empty()) else {
        return page(&state, &user, typed, errors, None).await;
    };
    let result = if form.get("action") == "enrol" {
        memberships::enrol_many(&state.db, user.partnership.id, &enrolment, &chosen, Some(user.user.id)).await
    } else {
        match memberships::plan_enrolment(&state.db, user.partnership.id, &enrolment, &chosen).await {
            Ok(plan) => {
                let errors = plan.problems.clone();
                return page(&state, &user, typed, errors, Some(&plan)).await;
            }
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(plan) => Ok(done(&enrolment.year, &plan)),
        Err(e @ ServiceError::Invalid(_)) => {
            let errors = refused_as(e, &[])?;
            page(&state, &user, typed, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}
