//! The renewal round's pages: finance's list of rounds and the form that opens one, a round with
//! every school's answer (chase, convert, close), and the answer form a business manager (or
//! finance, for a school on the phone) fills in.

use super::answering_scope;
use crate::domain::billing_phase::BillingPhase;
use crate::domain::money::{Money, round_half_up_to_penny};
use crate::domain::renewals::{AnswerState, TypedAnswer};
use crate::domain::role::{Action, SchoolScope};
use crate::services::renewals::{self, AnswerFilter, AnswerRow, NewRound, RoundView};
use crate::services::{FieldError, ServiceError};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::forms::date::{DateInput, date_field};
use crate::web::forms::fields::FormData;
use crate::web::forms::page::{editor, refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{
    Chrome, ConfirmPage, FieldErrors, Pagination, SelectOption, field_errors, long_date, page_id, render,
};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

field_errors!(RoundsPage, RoundPage, AnswerPage);

fn tally_words(r: &RoundView) -> String {
    format!(
        "{} invited: {} renewing, {} not renewing, {} not answered",
        r.tally.invited, r.tally.accepted, r.tally.declined, r.tally.waiting
    )
}

struct RoundLine {
    id: i64,
    year: String,
    answer_by: String,
    tally: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "renewals/rounds.html")]
struct RoundsPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    rounds: Vec<RoundLine>,
    years: Vec<SelectOption>,
    answer_by: DateInput,
    note: String,
}

async fn rounds_page(state: &AppState, user: &PageUser) -> Result<RoundsPage, PageError> {
    let pid = user.partnership.id;
    let today = state.clock.today();
    let years = renewals::years_to_open(&state.db, pid).await?;
    let example = today + chrono::Days::new(28);
    Ok(RoundsPage {
        chrome: Chrome::for_user(user, "/billing"),
        errors: Vec::new(),
        rounds: renewals::rounds(&state.db, pid)
            .await?
            .into_iter()
            .map(|r| RoundLine {
                id: r.id,
                year: r.year.clone(),
                answer_by: long_date(r.answer_by),
                tally: tally_words(&r),
                status: if r.closed_at.is_some() { "Closed" } else { "Open" },
            })
            .collect(),
        years: years
            .iter()
            .map(|y| SelectOption::new(y.clone(), y.clone(), years.first().map(String::as_str)))
            .collect(),
        answer_by: DateInput::new("answer_by", "Answer by", example, "The date schools should answer by"),
        note: String::new(),
    })
}

pub(super) async fn list(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    Ok(render(&rounds_page(&state, &user).await?)?.into_response())
}

pub(super) async fn open(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let mut errors = Vec::new();
    let parts = form.date("answer_by");
    let answer_by = date_field("answer_by", parts.clone(), "Date to answer by", &mut errors);
    if let (Some(answer_by), true) = (answer_by, errors.is_empty()) {
        let new =
            NewRound { year: form.get("year").to_string(), answer_by, note: form.get("note").to_string() };
        match renewals::open(
            &state.db,
            &user.partnership,
            &new,
            &state.settings.public_url,
            Some(user.user.id),
            state.clock.now(),
        )
        .await
        {
            Ok(r) => return Ok(Redirect::to(&format!("/renewals/{}?done=opened", r.id)).into_response()),
            Err(ServiceError::Conflict(m)) => errors.push(FieldError { field: "year".into(), message: m }),
            Err(e) => errors = refused_as(e, &[])?,
        }
    }
    let mut view = rounds_page(&state, &user).await?;
    view.answer_by.retype(&parts);
    view.note = form.get("note").to_string();
    for y in &mut view.years {
        y.selected = y.value == form.get("year");
    }
    view.errors = errors;
    let errors = view.errors.clone();
    Ok(with_problems(&errors, render(&view)?))
}

struct AnswerLine {
    urn: i32,
    school: String,
    current: String,
    state: &'static str,
    state_tag: &'static str,
    answer: String,
    po: String,
    answered: String,
    chased: String,
}

fn answer_words(a: &AnswerRow) -> String {
    match (a.state, &a.level, a.pupils) {
        ("accepted", Some(level), Some(pupils)) => format!("{level}, {pupils} pupils"),
        ("accepted", Some(level), None) => level.clone(),
        ("declined", _, _) => a.comment.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

fn line(a: AnswerRow) -> AnswerLine {
    AnswerLine {
        answer: answer_words(&a),
        urn: a.urn,
        current: a.current_level.clone().unwrap_or_else(|| "Not a member".into()),
        state: a.state_label,
        state_tag: match a.state {
            "accepted" if a.converted => "govuk-tag--green",
            "accepted" => "govuk-tag--turquoise",
            "declined" => "govuk-tag--grey",
            _ => "govuk-tag--yellow",
        },
        po: a.po_number.clone().unwrap_or_default(),
        answered: match (&a.answered_by, a.answered_at) {
            (Some(by), Some(at)) => format!("{by}, {}", long_date(at.date_naive())),
            _ => String::new(),
        },
        chased: match a.chased {
            0 => String::new(),
            1 => "Reminded once".into(),
            n => format!("Reminded {n} times"),
        },
        school: a.school,
    }
}

#[derive(Template)]
#[template(path = "renewals/round.html")]
struct RoundPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    id: i64,
    year: String,
    answer_by: String,
    opened: String,
    note: String,
    closed: bool,
    tally: crate::services::renewals::Tally,
    to_convert: u64,
    states: Vec<SelectOption>,
    q: String,
    count_text: String,
    rows: Vec<AnswerLine>,
    pagination: Pagination,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct RoundQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    n: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

async fn round_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    q: &RoundQuery,
) -> Result<RoundPage, PageError> {
    let pid = user.partnership.id;
    let r = renewals::round(&state.db, pid, id).await?;
    let chosen = AnswerState::parse(q.state.trim());
    let page = crate::web::view::page_number(&q.page).unwrap_or(1);
    let filter = AnswerFilter { state: chosen, q: q.q.trim().chars().take(100).collect(), page };
    let (rows, total) = renewals::answers(&state.db, pid, id, &filter).await?;
    let pages = total.div_ceil(renewals::PER_PAGE).max(1);
    let n = q.n.trim().parse::<u64>().unwrap_or(0);
    let notice = match q.done.as_str() {
        "opened" => Some(format!("Renewal round opened: {} schools invited by email", r.tally.invited)),
        "chased" => Some(format!("Reminders queued for the schools that have not answered: {n}")),
        "converted" => {
            Some(format!("Memberships made from the answers: {n}. Nothing is invoiced until you run billing"))
        }
        "answered" => Some("Answer saved".to_string()),
        "closed" => Some("Renewal round closed".to_string()),
        _ => None,
    };
    let (state_q, q_q) = (urlencode(q.state.trim()), urlencode(&filter.q));
    let mut states = vec![SelectOption::new("", "Every school", Some(q.state.trim()))];
    states.extend(
        AnswerState::ALL.iter().map(|s| SelectOption::new(s.as_str(), s.label(), Some(q.state.trim()))),
    );
    Ok(RoundPage {
        chrome: Chrome::for_user(user, "/billing"),
        errors: Vec::new(),
        notice,
        id,
        answer_by: long_date(r.answer_by),
        opened: format!(
            "{}{}",
            long_date(r.opened_at.date_naive()),
            r.opened_by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default()
        ),
        note: r.note.clone().unwrap_or_default(),
        closed: r.closed_at.is_some(),
        to_convert: r.tally.accepted - r.tally.converted,
        tally: r.tally,
        year: r.year,
        states,
        q: filter.q.clone(),
        count_text: match total {
            0 => "No schools match.".into(),
            1 => "1 school.".into(),
            n => format!("{n} schools, by name."),
        },
        rows: rows.into_iter().map(line).collect(),
        pagination: Pagination::new("Pages of schools", page, pages, |p| {
            format!("/renewals/{id}?state={state_q}&q={q_q}&page={p}")
        }),
    })
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<RoundQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let id = page_id(&id)?;
    Ok(render(&round_page(&state, &user, id, &q).await?)?.into_response())
}

pub(super) async fn chase(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let id = page_id(&id)?;
    let n = renewals::chase(
        &state.db,
        &user.partnership,
        id,
        &state.settings.public_url,
        Some(user.user.id),
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/renewals/{id}?done=chased&n={n}")).into_response())
}

pub(super) async fn confirm_convert(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let id = page_id(&id)?;
    let r = renewals::round(&state.db, user.partnership.id, id).await?;
    let n = r.tally.accepted - r.tally.converted;
    Ok(render(&ConfirmPage {
        chrome: Chrome::for_user(&user, "/billing"),
        heading: format!("Make {n} membership{} of {}?", if n == 1 { "" } else { "s" }, r.year),
        message: format!(
            "Each school that said it is renewing becomes a member for {} from the start of the year, at the level it chose. Where a school's pupil number differs from the register's, its figure is recorded; its PO number is recorded for the year. Nothing is invoiced until you run billing.",
            r.year
        ),
        action: format!("/renewals/{id}/convert"),
        button: "Make the memberships".into(),
        cancel: format!("/renewals/{id}"),
        hidden: Vec::new(),
    })?
    .into_response())
}

pub(super) async fn convert(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let id = page_id(&id)?;
    match renewals::convert(&state.db, &user.partnership, id, Some(user.user.id), state.clock.now()).await {
        Ok(done) => {
            Ok(Redirect::to(&format!("/renewals/{id}?done=converted&n={}", done.memberships)).into_response())
        }
        Err(ServiceError::Invalid(list)) => {
            let mut view = round_page(&state, &user, id, &RoundQuery::default()).await?;
            // Each problem names its school; they belong to the list, not to one field.
            view.errors = list
                .into_iter()
                .map(|e| FieldError { field: "answers".into(), message: e.message })
                .collect();
            let errors = view.errors.clone();
            Ok(with_problems(&errors, render(&view)?))
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn confirm_close(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let id = page_id(&id)?;
    let r = renewals::round(&state.db, user.partnership.id, id).await?;
    Ok(render(&ConfirmPage {
        chrome: Chrome::for_user(&user, "/billing"),
        heading: format!("Close the {} renewal round?", r.year),
        message: format!(
            "Schools can no longer answer or change their answers. {} have not answered. Answers already given stay, and you can still make memberships from them.",
            r.tally.waiting
        ),
        action: format!("/renewals/{id}/close"),
        button: "Close the round".into(),
        cancel: format!("/renewals/{id}"),
        hidden: Vec::new(),
    })?
    .into_response())
}

pub(super) async fn close(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let id = page_id(&id)?;
    renewals::close(&state.db, user.partnership.id, id, Some(user.user.id), state.clock.now()).await?;
    Ok(Redirect::to(&format!("/renewals/{id}?done=closed")).into_response())
}

/// One level to choose, with what it would cost the school.
struct LevelChoice {
    name: String,
    description: String,
    price: String,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "renewals/answer.html")]
struct AnswerPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    round_id: i64,
    urn: i32,
    school: String,
    year: String,
    answer_by: String,
    note: String,
    current: String,
    closed: bool,
    converted: bool,
    finance: bool,
    choice: String,
    levels: Vec<LevelChoice>,
    pupils: String,
    register_pupils: String,
    po_number: String,
    comment: String,
    back: String,
}

async fn answer_page(
    state: &AppState,
    user: &PageUser,
    scope: SchoolScope,
    id: i64,
    urn: i32,
    typed: Option<&TypedAnswer>,
) -> Result<AnswerPage, PageError> {
    let form = renewals::answer_of(&state.db, &user.partnership, scope, id, urn).await?;
    let a = &form.answer;
    let finance = user.require(Action::ManageBilling).is_ok();
    let pupils_shown = typed
        .map(|t| t.pupils.clone())
        .unwrap_or_else(|| a.pupils.or(form.register_pupils).map(|p| p.to_string()).unwrap_or_default());
    let pupils_for_price = pupils_shown.trim().parse::<u32>().ok();
    let phase = BillingPhase::parse(&a.phase);
    let chosen_level =
        typed.map(|t| t.level.clone()).or_else(|| a.level.clone()).or_else(|| a.current_level.clone());
    let levels = form
        .levels
        .iter()
        .map(|l| {
            let price = match phase.map(|p| l.rule.exact_amount(p, pupils_for_price)) {
                Some(Ok(amount)) => format!(
                    "{} a year{}, before VAT and any discount",
                    Money::from_decimal_rounded(round_half_up_to_penny(amount)),
                    pupils_for_price.map(|p| format!(" for {p} pupils")).unwrap_or_default()
                ),
                _ => "Priced on your number of pupils".to_string(),
            };
            LevelChoice {
                chosen: chosen_level.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(&l.name)),
                name: l.name.clone(),
                description: l.description.clone(),
                price,
            }
        })
        .collect();
    Ok(AnswerPage {
        chrome: Chrome::for_user(user, if finance { "/billing" } else { "/renewal" }),
        errors: Vec::new(),
        round_id: id,
        urn,
        school: a.school.clone(),
        year: form.round.year.clone(),
        answer_by: long_date(form.round.answer_by),
        note: form.round.note.clone().unwrap_or_default(),
        current: a.current_level.clone().unwrap_or_default(),
        closed: form.round.closed_at.is_some(),
        converted: a.converted,
        finance,
        choice: typed.map(|t| t.choice.clone()).unwrap_or_else(|| match a.state {
            "accepted" => "renew".into(),
            "declined" => "decline".into(),
            _ => String::new(),
        }),
        levels,
        pupils: pupils_shown,
        register_pupils: form.register_pupils.map(|p| p.to_string()).unwrap_or_default(),
        po_number: typed
            .map(|t| t.po_number.clone())
            .unwrap_or_else(|| a.po_number.clone().unwrap_or_default()),
        comment: typed.map(|t| t.comment.clone()).unwrap_or_else(|| a.comment.clone().unwrap_or_default()),
        back: if finance { format!("/renewals/{id}") } else { "/renewal".into() },
    })
}

pub(super) async fn answer_form(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, urn)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let scope = answering_scope(&user)?;
    let id = page_id(&id)?;
    let urn = urn.trim().parse::<i32>().map_err(|_| PageError::NotFound)?;
    Ok(render(&answer_page(&state, &user, scope, id, urn, None).await?)?.into_response())
}

pub(super) async fn answer(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, urn)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    let scope = answering_scope(&user)?;
    user.check_csrf(form.get("csrf_token"))?;
    let id = page_id(&id)?;
    let urn = urn.trim().parse::<i32>().map_err(|_| PageError::NotFound)?;
    let typed = TypedAnswer {
        choice: form.get("choice").to_string(),
        level: form.get("level").to_string(),
        pupils: form.get("pupils").to_string(),
        po_number: form.get("po_number").to_string(),
        comment: form.get("comment").to_string(),
    };
    match renewals::answer(
        &state.db,
        user.partnership.id,
        scope,
        id,
        urn,
        &typed,
        Some(user.user.id),
        state.clock.now(),
    )
    .await
    {
        Ok(_) if scope == SchoolScope::All => {
            Ok(Redirect::to(&format!("/renewals/{id}?done=answered")).into_response())
        }
        Ok(_) => Ok(Redirect::to("/renewal?done=answered").into_response()),
        Err(e) => {
            let errors = refused_as(e, &[])?;
            let mut view = answer_page(&state, &user, scope, id, urn, Some(&typed)).await?;
            view.errors = errors;
            let errors = view.errors.clone();
            Ok(with_problems(&errors, render(&view)?))
        }
    }
}

struct PortalRound {
    year: String,
    answer_by: String,
    note: String,
    schools: Vec<PortalSchool>,
}

struct PortalSchool {
    href: String,
    school: String,
    urn: i32,
    current: String,
    state: &'static str,
    state_tag: &'static str,
    answer: String,
    action: &'static str,
}

#[derive(Template)]
#[template(path = "renewals/portal.html")]
struct PortalPage {
    chrome: Chrome,
    notice: Option<String>,
    rounds: Vec<PortalRound>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct PortalQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn portal(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<PortalQuery>,
) -> Result<Response, PageError> {
    let scope = answering_scope(&user)?;
    if scope == SchoolScope::All {
        return Ok(Redirect::to("/renewals").into_response());
    }
    let rounds = renewals::open_for(&state.db, user.partnership.id, scope)
        .await?
        .into_iter()
        .map(|(r, answers)| PortalRound {
            year: r.year.clone(),
            answer_by: long_date(r.answer_by),
            note: r.note.clone().unwrap_or_default(),
            schools: answers
                .into_iter()
                .map(|a| {
                    let l = line(a.clone());
                    PortalSchool {
                        href: format!("/renewals/{}/schools/{}", r.id, a.urn),
                        school: a.school.clone(),
                        urn: a.urn,
                        current: l.current,
                        state: if a.converted { "Member" } else { l.state },
                        state_tag: l.state_tag,
                        answer: l.answer,
                        action: if a.converted {
                            "See the answer"
                        } else if a.state == "waiting" {
                            "Answer"
                        } else {
                            "Change the answer"
                        },
                    }
                })
                .collect(),
        })
        .collect();
    Ok(render(&PortalPage {
        chrome: Chrome::for_user(&user, "/renewal"),
        notice: (q.done == "answered").then(|| "Thank you: your answer is saved".to_string()),
        rounds,
    })?
    .into_response())
}
