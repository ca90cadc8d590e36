//! CPD courses and conferences on the pages: the events list (finance and schools), a new
//! event (finance), and an event's page: its sessions and policy, the booking form for named
//! delegates, each place with what can be done to it (cancel by the policy, accept or decline
//! an offered place, send another delegate), and finance's attendance register.

use super::school::ordering_scope;
use crate::domain::events::{CancellationPolicy, CancellationRule, PlaceState};
use crate::domain::money::Money;
use crate::domain::role::{Action, SchoolScope};
use crate::domain::traded::{Category, Unit};
use crate::services::events::{self, NewBooking, NewEvent, NewSession, PlaceView};
use crate::services::ledger::Actor;
use crate::services::{FieldError, ServiceError, traded as catalogue};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::date::{DateInput, DateParts, date_field};
use crate::web::forms::fields::{FormData, read_amount};
use crate::web::forms::page::{editor, refused_as, sentence_case, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{
    Chrome, FieldErrors, Pagination, SelectOption, field_errors, page_id, page_param, render,
};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

field_errors!(NewEventPage, EventPage);

fn long(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

struct Row {
    id: i64,
    title: String,
    when: String,
    places: String,
    waiting: u64,
}

#[derive(Template)]
#[template(path = "services/events.html")]
struct EventsPage {
    chrome: Chrome,
    finance: bool,
    rows: Vec<Row>,
    count_text: String,
    pagination: Pagination,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    page: String,
}

pub(super) async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    ordering_scope(&user)?;
    let page = page_param(&q.page)?;
    let (list, total) = events::list(&state.db, user.partnership.id, page).await?;
    let pages = total.div_ceil(events::PER_PAGE).max(1);
    let view = EventsPage {
        chrome: Chrome::for_user(&user, "/services"),
        finance: user.require(Action::ManageBilling).is_ok(),
        count_text: match total {
            0 => "No courses or conferences yet.".into(),
            1 => "1 course or conference.".into(),
            n => format!("{n} courses and conferences, soonest first."),
        },
        rows: list
            .into_iter()
            .map(|e| Row {
                id: e.id,
                when: if e.starts_on == e.ends_on {
                    long(e.starts_on)
                } else {
                    format!("{} to {}", long(e.starts_on), long(e.ends_on))
                },
                places: if e.places_left == 0 {
                    "Full".into()
                } else {
                    format!("{} of {} left", e.places_left, e.capacity)
                },
                waiting: e.waiting,
                title: e.title,
            })
            .collect(),
        pagination: Pagination::new("Pages of events", page, pages, |n| format!("/events?page={n}")),
    };
    Ok(render(&view)?.into_response())
}

/// A session row of the new-event form.
struct SessionFields {
    date: DateInput,
    starts: String,
    ends: String,
    n: usize,
}

#[derive(Template)]
#[template(path = "services/new_event.html")]
struct NewEventPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    services: Vec<SelectOption>,
    title: String,
    description: String,
    venue: String,
    online: bool,
    capacity: String,
    deadline: DateInput,
    sessions: Vec<SessionFields>,
    notice_days: String,
    late_percent: String,
    no_show: String,
    monthly: bool,
}

const SESSION_ROWS: usize = 3;

async fn new_event_page(state: &AppState, user: &PageUser, chosen: &str) -> Result<NewEventPage, PageError> {
    let today = state.clock.today();
    let services = catalogue::list(&state.db, user.partnership.id)
        .await?
        .into_iter()
        .filter(|s| {
            matches!(Category::parse(s.category), Some(Category::CpdCourse | Category::Conference))
                && s.unit == Unit::Place.as_str()
        })
        .map(|s| SelectOption::new(s.id.to_string(), s.name, Some(chosen)))
        .collect();
    Ok(NewEventPage {
        chrome: Chrome::for_user(user, "/services"),
        errors: vec![],
        services,
        title: String::new(),
        description: String::new(),
        venue: String::new(),
        online: false,
        capacity: String::new(),
        deadline: DateInput::new("deadline", "Bookings close on", today, ""),
        sessions: (0..SESSION_ROWS)
            .map(|n| SessionFields {
                date: DateInput::new(
                    &format!("session{n}"),
                    &format!("Session {} date{}", n + 1, if n == 0 { "" } else { " (optional)" }),
                    today,
                    "",
                ),
                starts: String::new(),
                ends: String::new(),
                n,
            })
            .collect(),
        notice_days: "14".into(),
        late_percent: "100".into(),
        no_show: String::new(),
        monthly: false,
    })
}

pub(super) async fn new_form(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let page = new_event_page(&state, &user, "").await?;
    Ok(render(&page)?.into_response())
}

const EVENT_FIELDS: &[(&str, &str)] = &[
    ("service_id", "service_id"),
    ("title", "title"),
    ("description", "description"),
    ("venue", "venue"),
    ("capacity", "capacity"),
    ("booking_deadline", "deadline"),
    ("sessions", "session0"),
    ("sessions[0].starts_at", "session0-starts"),
    ("sessions[0].ends_at", "session0-ends"),
    ("sessions[1].starts_at", "session1-starts"),
    ("sessions[1].ends_at", "session1-ends"),
    ("sessions[2].starts_at", "session2-starts"),
    ("sessions[2].ends_at", "session2-ends"),
    ("cancellation_policy", "notice_days"),
];

pub(super) async fn create(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let mut page = new_event_page(&state, &user, form.get("service_id")).await?;
    page.title = form.get("title").to_string();
    page.description = form.get("description").to_string();
    page.venue = form.get("venue").to_string();
    page.online = form.has("online", "yes");
    page.capacity = form.get("capacity").to_string();
    page.notice_days = form.get("notice_days").to_string();
    page.late_percent = form.get("late_percent").to_string();
    page.no_show = form.get("no_show").to_string();
    page.monthly = form.has("invoicing", events::MONTHLY);
    let mut errors = Vec::new();
    let deadline_parts =
        DateParts::of(form.get("deadline-day"), form.get("deadline-month"), form.get("deadline-year"));
    page.deadline = page.deadline.typed(&deadline_parts);
    let deadline = date_field("deadline", deadline_parts, "Date bookings close", &mut errors);
    let mut sessions = Vec::new();
    for s in &mut page.sessions {
        let name = format!("session{}", s.n);
        let parts = DateParts::of(
            form.get(&format!("{name}-day")),
            form.get(&format!("{name}-month")),
            form.get(&format!("{name}-year")),
        );
        s.date =
            std::mem::replace(&mut s.date, DateInput::new("x", "", chrono::NaiveDate::MIN, "")).typed(&parts);
        s.starts = form.get(&format!("{name}-starts")).to_string();
        s.ends = form.get(&format!("{name}-ends")).to_string();
        let blank = s.date.day.is_empty() && s.date.month.is_empty() && s.date.year.is_empty();
        if blank && s.n > 0 {
            continue;
        }
        if let Some(date) = date_field(&name, parts, &format!("Session {} date", s.n + 1), &mut errors) {
            sessions.push(NewSession {
                date,
                starts_at: s.starts.clone(),
                ends_at: s.ends.clone(),
                venue: String::new(),
            });
        }
    }
    let service_id = match form.get("service_id").parse::<i64>() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.push(FieldError {
                field: "service_id".into(),
                message: "Choose the course's service".into(),
            });
            None
        }
    };
    let capacity = match form.get("capacity").trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError {
                field: "capacity".into(),
                message: "Enter how many places there are, like 20".into(),
            });
            None
        }
    };
    let mut rules = Vec::new();
    match (form.get("notice_days").trim(), form.get("late_percent").trim()) {
        ("", "") => {}
        (days, percent) => match (
            days.parse::<u32>(),
            percent.trim_end_matches('%').parse::<rust_decimal::Decimal>(),
        ) {
            (Ok(within_days), Ok(percent)) => rules.push(CancellationRule { within_days, percent }),
            _ => errors.push(FieldError {
                field: "notice_days".into(),
                message:
                    "Enter the days' notice as a whole number and the charge as a percentage, like 14 and 100"
                        .into(),
            }),
        },
    }
    let no_show_charge = match read_amount(form.get("no_show"), "The no-show charge") {
        Ok(v) => v,
        Err(m) => {
            errors.push(FieldError { field: "no_show".into(), message: m });
            None
        }
    };
    let (Some(deadline), Some(service_id), Some(capacity), true) =
        (deadline, service_id, capacity, errors.is_empty())
    else {
        page.errors = errors;
        return Ok(with_problems(&page.errors.clone(), render(&page)?));
    };
    let new = NewEvent {
        service_id,
        title: page.title.clone(),
        description: page.description.clone(),
        venue: page.venue.clone(),
        online: page.online,
        capacity,
        booking_deadline: deadline,
        sessions,
        cancellation_policy: CancellationPolicy { rules, no_show_charge },
        invoicing: Some(if page.monthly { events::MONTHLY } else { events::PER_BOOKING }.to_string()),
    };
    match events::create(&state.db, &user.partnership, &new, Some(user.user.id), state.clock.now()).await {
        Ok(made) => Ok(Redirect::to(&format!("/events/{}?done=added", made.id)).into_response()),
        Err(e) => {
            page.errors = refused_as(e, EVENT_FIELDS)?;
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
    }
}

/// A place as a row of the event page, with what the user may do to it.
struct PlaceRow {
    id: i64,
    school: String,
    delegate: String,
    state: &'static str,
    tag: &'static str,
    price: String,
    note: String,
    invoice_id: Option<i64>,
    may_cancel: bool,
    offered: bool,
    may_substitute: bool,
    booked: bool,
}

fn tag(state: PlaceState) -> &'static str {
    match state {
        PlaceState::Booked | PlaceState::Attended => "govuk-tag--green",
        PlaceState::Waiting => "govuk-tag--blue",
        PlaceState::Offered => "govuk-tag--yellow",
        PlaceState::Cancelled => "govuk-tag--grey",
        PlaceState::NoShow => "govuk-tag--red",
    }
}

#[derive(Template)]
#[template(path = "services/event.html")]
struct EventPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    id: i64,
    title: String,
    description: String,
    facts: Vec<(&'static str, String)>,
    sessions: Vec<(String, String, String)>,
    finance: bool,
    may_book: bool,
    by_urn: bool,
    schools: Vec<SelectOption>,
    urn: String,
    delegates: String,
    po_number: String,
    price: Option<String>,
    places: Vec<PlaceRow>,
    register_open: bool,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn event_page(state: &AppState, user: &PageUser, id: i64) -> Result<EventPage, PageError> {
    let scope = ordering_scope(user)?;
    let today = state.clock.today();
    let e = events::get(&state.db, user.partnership.id, id).await?;
    let places = events::places(&state.db, user.partnership.id, scope, id).await?;
    let finance = user.require(Action::ManageBilling).is_ok();
    let schools = crate::services::register::own_schools(&state.db, user.partnership.id, scope).await?;
    let price = match schools.first() {
        Some(s) => match catalogue::quote(&state.db, &user.partnership, e.service_id, s, e.starts_on).await {
            Ok(q) => Some(format!("A place costs {} for {} ({}).", q.unit.amount, s.name, q.unit.why)),
            Err(ServiceError::Conflict(m)) => Some(sentence_case(&m)),
            Err(_) => None,
        },
        None => None,
    };
    let mut facts = vec![
        (
            "When",
            if e.starts_on == e.ends_on {
                long(e.starts_on)
            } else {
                format!("{} to {}", long(e.starts_on), long(e.ends_on))
            },
        ),
        (
            "Where",
            if e.online && e.venue.is_empty() {
                "Online".into()
            } else if e.online {
                format!("{} and online", e.venue)
            } else {
                e.venue.clone()
            },
        ),
        (
            "Places",
            format!(
                "{} of {} left{}",
                e.places_left,
                e.capacity,
                if e.waiting > 0 { format!(", {} on the waiting list", e.waiting) } else { String::new() }
            ),
        ),
        ("Bookings close", long(e.booking_deadline)),
        ("Cancelling", e.cancellation_policy_in_words.clone()),
    ];
    if e.places_left == 0 {
        facts[2].1 = format!("Full: new bookings join the waiting list ({} waiting)", e.waiting);
    }
    let rows =
        places.iter().map(|p| place_row(p, finance, &e.cancellation_policy, e.starts_on, today)).collect();
    Ok(EventPage {
        chrome: Chrome::for_user(user, "/services"),
        errors: vec![],
        notice: None,
        id,
        title: e.title.clone(),
        description: e.description.clone(),
        facts,
        sessions: e
            .sessions
            .iter()
            .map(|s| (long(s.date), format!("{} to {}", s.starts_at, s.ends_at), s.venue.clone()))
            .collect(),
        finance,
        may_book: today <= e.booking_deadline,
        by_urn: finance,
        schools: if schools.len() > 1 {
            schools.iter().map(|s| SelectOption::new(s.urn.to_string(), s.name.clone(), None)).collect()
        } else {
            vec![]
        },
        urn: schools.first().map(|s| s.urn.to_string()).unwrap_or_default(),
        delegates: String::new(),
        po_number: String::new(),
        price,
        places: rows,
        register_open: finance && today >= e.starts_on,
    })
}

fn place_row(
    p: &PlaceView,
    finance: bool,
    policy: &CancellationPolicy,
    starts: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> PlaceRow {
    let state = PlaceState::parse(p.state).unwrap_or(PlaceState::Cancelled);
    let amount = Money::parse(&p.price).unwrap_or(Money::ZERO);
    let price = amount.to_string();
    let note = match (state, &p.fee) {
        (PlaceState::Cancelled, Some(f)) if f != "0.00" => format!("Cancellation fee £{f}"),
        (PlaceState::NoShow, Some(f)) => format!("No-show charge £{f}"),
        (PlaceState::Booked, _) => match policy.cancellation_fee(amount, starts, today) {
            fee if fee == Money::ZERO => "Free to cancel today".to_string(),
            fee => format!("Cancelling today costs {fee}"),
        },
        _ => String::new(),
    };
    PlaceRow {
        id: p.id,
        school: p.school.clone(),
        delegate: p.delegate.clone(),
        state: state.label(),
        tag: tag(state),
        price,
        note,
        invoice_id: p.invoice_id.or(p.charge_invoice_id),
        may_cancel: matches!(state, PlaceState::Booked | PlaceState::Waiting | PlaceState::Offered),
        offered: state == PlaceState::Offered,
        may_substitute: matches!(state, PlaceState::Booked | PlaceState::Waiting | PlaceState::Offered),
        booked: finance && matches!(state, PlaceState::Booked | PlaceState::Attended | PlaceState::NoShow),
    }
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let id = page_id(&id)?;
    let mut page = event_page(&state, &user, id).await?;
    page.notice = match q.done.as_str() {
        "added" => Some("The event is added. Schools can book it now.".into()),
        "booked" => Some("The places are booked. Any beyond the capacity are on the waiting list.".into()),
        "cancelled" => Some("The place is cancelled.".into()),
        "accepted" => Some("The place is accepted and booked.".into()),
        "declined" => Some("The place is declined: it goes to the next on the waiting list.".into()),
        "delegate" => Some("The delegate is changed.".into()),
        "register" => Some("The attendance register is saved.".into()),
        _ => None,
    };
    Ok(render(&page)?.into_response())
}

async fn problem(
    state: &AppState,
    user: &PageUser,
    id: i64,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let mut page = event_page(state, user, id).await?;
    page.errors = errors;
    Ok(with_problems(&page.errors.clone(), render(&page)?))
}

fn said(e: ServiceError, field: &str) -> Result<Vec<FieldError>, PageError> {
    match e {
        ServiceError::Conflict(m) => Ok(vec![FieldError { field: field.into(), message: sentence_case(&m) }]),
        ServiceError::Invalid(list) => Ok(list
            .into_iter()
            .map(|f| FieldError {
                field: if f.field.starts_with("delegates") { "delegates".into() } else { f.field },
                message: sentence_case(&f.message),
            })
            .collect()),
        other => Err(other.into()),
    }
}

pub(super) async fn book(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    let scope = ordering_scope(&user)?;
    user.check_csrf(form.get("csrf_token"))?;
    let id = page_id(&id)?;
    let delegates: Vec<String> =
        form.get("delegates").lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
    if delegates.is_empty() {
        let mut page = event_page(&state, &user, id).await?;
        page.errors = vec![FieldError {
            field: "delegates".into(),
            message: "Enter each delegate's name, one a line".into(),
        }];
        page.urn = form.get("urn").to_string();
        page.po_number = form.get("po_number").to_string();
        return Ok(with_problems(&page.errors.clone(), render(&page)?));
    }
    let new = NewBooking {
        urn: form.get("urn").to_string(),
        delegates,
        po_number: Some(form.get("po_number").to_string()),
    };
    match events::book(
        &state.db,
        &user.partnership,
        scope,
        id,
        &new,
        Actor::at(Some(user.user.id), state.clock),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/events/{id}?done=booked")).into_response()),
        Err(ServiceError::NotFound(_)) if scope == SchoolScope::All => {
            let errors = vec![FieldError {
                field: "urn".into(),
                message: format!("No school in the register has the URN {}", form.get("urn").trim()),
            }];
            let mut page = event_page(&state, &user, id).await?;
            page.delegates = form.get("delegates").to_string();
            page.urn = form.get("urn").to_string();
            page.errors = errors;
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
        Err(e) => {
            let errors = said(e, "delegates")?;
            let mut page = event_page(&state, &user, id).await?;
            page.delegates = form.get("delegates").to_string();
            page.urn = form.get("urn").to_string();
            page.po_number = form.get("po_number").to_string();
            page.errors = errors;
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
    }
}

/// Cancel, accept, decline or change the delegate of a place, from the event's page.
pub(super) async fn place_action(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, action)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    let scope = ordering_scope(&user)?;
    user.check_csrf(form.get("csrf_token"))?;
    let id = page_id(&id)?;
    let event = events::event_of_place(&state.db, user.partnership.id, scope, id).await?;
    let actor = Actor::at(Some(user.user.id), state.clock);
    let (done, result) = match action.as_str() {
        "cancel" => ("cancelled", events::cancel(&state.db, &user.partnership, scope, id, actor).await),
        "accept" => {
            ("accepted", events::answer_offer(&state.db, &user.partnership, scope, id, true, actor).await)
        }
        "decline" => {
            ("declined", events::answer_offer(&state.db, &user.partnership, scope, id, false, actor).await)
        }
        "delegate" => (
            "delegate",
            events::substitute(
                &state.db,
                &user.partnership,
                scope,
                id,
                form.get("delegate"),
                Some(user.user.id),
            )
            .await,
        ),
        _ => return Err(PageError::NotFound),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/events/{event}?done={done}")).into_response()),
        Err(e) => {
            let errors = said(e, &format!("place-{id}"))?
                .into_iter()
                .map(|f| FieldError { field: format!("place-{id}"), message: f.message })
                .collect();
            problem(&state, &user, event, errors).await
        }
    }
}

/// Finance's attendance register: a choice per booked place.
pub(super) async fn attendance(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let id = page_id(&id)?;
    let mut attended = Vec::new();
    let mut no_show = Vec::new();
    for (k, v) in &form.0 {
        let Some(place) = k.strip_prefix("attendance-").and_then(|p| p.parse::<i64>().ok()) else { continue };
        match v.as_str() {
            "attended" => attended.push(place),
            "no_show" => no_show.push(place),
            _ => {}
        }
    }
    let actor = Actor::at(Some(user.user.id), state.clock);
    match events::register_attendance(&state.db, &user.partnership, id, &attended, &no_show, actor).await {
        Ok(_) => Ok(Redirect::to(&format!("/events/{id}?done=register")).into_response()),
        Err(e) => {
            let errors = said(e, "register")?
                .into_iter()
                .map(|f| FieldError { field: "register".into(), message: f.message })
                .collect();
            problem(&state, &user, id, errors).await
        }
    }
}
