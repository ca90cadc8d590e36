//! The reminders and emails page: whether new documents are emailed, the reminder schedule
//! (steps before and after the due date, each with its wording, and a minimum amount), the
//! reminders due today and the invoices held back with why; and pausing reminders for one
//! invoice or one payer.

use crate::domain::money::Money;
use crate::domain::reminders::{self, MAX_STEPS};
use crate::domain::role::Action;
use crate::services::FieldError;
use crate::services::reminders::{self as service, PauseOf, Schedule};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::fields::{FormData, Problems, amount_text};
use crate::web::forms::page::{refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, field_errors, long_date, page_id, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

field_errors!(RemindersPage);

pub(super) struct StepRow {
    n: usize,
    days: String,
    before: bool,
    wording: String,
}

pub(super) struct DueRow {
    invoice_id: i64,
    number: String,
    payer: String,
    owed: String,
    step: String,
}

pub(super) struct ClaimView {
    invoice_id: i64,
    number: String,
    payer: String,
    owed: String,
    working: String,
    total: String,
}

pub(super) struct HeldRow {
    invoice_id: i64,
    number: String,
    payer: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "mail_pages/reminders.html")]
struct RemindersPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    documents: bool,
    on: bool,
    claims_on: bool,
    reference_rate: String,
    minimum: String,
    steps: Vec<StepRow>,
    today: String,
    due: Vec<DueRow>,
    held: Vec<HeldRow>,
    claims: Vec<ClaimView>,
}

fn rows_of(schedule: &Schedule) -> Vec<StepRow> {
    (1..=MAX_STEPS)
        .map(|n| match schedule.steps.get(n - 1) {
            Some(s) => StepRow {
                n,
                days: s.days_from_due.unsigned_abs().to_string(),
                before: s.days_from_due < 0,
                wording: s.wording.clone(),
            },
            None => StepRow { n, days: String::new(), before: false, wording: String::new() },
        })
        .collect()
}

async fn page(
    state: &AppState,
    user: &PageUser,
    form: Option<(Schedule, Vec<StepRow>, String, String)>,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let today = state.clock.today();
    let (schedule, steps, minimum, rate) = match form {
        Some(f) => f,
        None => {
            let s = service::schedule(&state.db, user.partnership.id).await?;
            let rows = rows_of(&s);
            let minimum = amount_text(s.minimum.amount());
            let rate = s.reference_rate.to_string();
            (s, rows, minimum, rate)
        }
    };
    let (due, held) = service::due(&state.db, user.partnership.id, today).await?;
    let claims = crate::services::invoices::claims::claimable(&state.db, user.partnership.id, today).await?;
    let view = RemindersPage {
        chrome: Chrome::for_user(user, "/billing"),
        errors,
        notice,
        documents: schedule.documents_mailed,
        on: schedule.on,
        claims_on: schedule.late_payment_claims,
        reference_rate: rate,
        minimum,
        steps,
        today: long_date(today),
        due: due
            .into_iter()
            .map(|d| DueRow {
                invoice_id: d.invoice.id,
                number: d.invoice.number.clone().unwrap_or_default(),
                payer: d.payer.name.clone(),
                owed: d.owed.to_string(),
                step: crate::web::forms::page::sentence_case(&d.step.when_words()),
            })
            .collect(),
        claims: claims
            .into_iter()
            .map(|c| ClaimView {
                invoice_id: c.invoice.id,
                number: c.invoice.number.clone().unwrap_or_default(),
                payer: c.invoice.payer_name.clone(),
                owed: c.owed.to_string(),
                working: format!(
                    "{} interest ({}% a year for {} days) and a fixed sum of {}",
                    c.claim.interest, c.claim.rate, c.claim.days_late, c.claim.fixed_sum
                ),
                total: c.claim.total().to_string(),
            })
            .collect(),
        held: held
            .into_iter()
            .map(|h| HeldRow {
                invoice_id: h.invoice.id,
                number: h.invoice.number.clone().unwrap_or_default(),
                payer: h.payer_name,
                reason: h.reason,
            })
            .collect(),
    };
    Ok(with_problems(&view.errors, render(&view)?))
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ShowQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let notice = (q.done == "saved").then(|| "The reminders and emails settings were saved.".to_string());
    page(&state, &user, None, vec![], notice).await
}

pub(super) async fn save(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    crate::web::forms::page::editor(&user, &form)?;
    let mut problems = Problems::default();
    let documents = match form.get("documents") {
        "yes" => true,
        "no" => false,
        _ => {
            problems.add("documents", "Choose whether to email new invoices, credit notes and receipts");
            false
        }
    };
    let on = match form.get("reminders") {
        "on" => true,
        "off" => false,
        _ => {
            problems.add("reminders", "Choose whether to send reminders");
            false
        }
    };
    let minimum = form.get("minimum");
    let minimum_money = if minimum.is_empty() {
        Some(Money::ZERO)
    } else {
        match problems
            .amount(&form, "minimum", "the smallest amount to remind about")
            .map(Money::from_decimal)
        {
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => {
                problems.add("minimum", format!("The smallest amount to remind about: {e}"));
                None
            }
            None => None,
        }
    };
    let mut rows = Vec::new();
    let mut shown = Vec::new();
    for n in 1..=MAX_STEPS {
        let days_text = form.get(&format!("days_{n}"));
        let wording = form.get(&format!("wording_{n}")).to_string();
        let before = form.get(&format!("when_{n}")) == "before";
        shown.push(StepRow { n, days: days_text.to_string(), before, wording: wording.clone() });
        if days_text.is_empty() && wording.is_empty() {
            continue;
        }
        match days_text.parse::<i32>() {
            Ok(days) if (0..=365).contains(&days) => rows.push((n, if before { -days } else { days }, wording)),
            _ => problems.add(
                &format!("days_{n}"),
                format!(
                    "Step {n}: enter the number of days as a whole number from 0 to 365 (you wrote \"{days_text}\")"
                ),
            ),
        }
    }
    let steps = match reminders::check_steps(rows) {
        Ok(steps) => steps,
        Err(list) => {
            for (n, message) in list {
                let field =
                    if message.contains("wording") || message.contains("says") { "wording" } else { "days" };
                problems.add(&format!("{field}_{}", n.min(MAX_STEPS)), format!("Step {n}: {message}"));
            }
            Vec::new()
        }
    };
    if on && steps.is_empty() && problems.0.is_empty() {
        problems.add("days_1", "Enter at least one step, or turn reminders off");
    }
    let claims = match form.get("claims") {
        "yes" => true,
        "no" | "" => false,
        _ => {
            problems.add("claims", "Choose whether to offer late-payment claims");
            false
        }
    };
    let rate_text = form.get("reference_rate");
    let reference_rate = if rate_text.is_empty() {
        rust_decimal::Decimal::new(400, 2)
    } else {
        crate::domain::late_payment::parse_reference_rate(rate_text).unwrap_or_else(|m| {
            problems.add("reference_rate", crate::web::forms::page::sentence_case(&m));
            rust_decimal::Decimal::ZERO
        })
    };
    let schedule = Schedule {
        on,
        minimum: minimum_money.unwrap_or(Money::ZERO),
        steps,
        documents_mailed: documents,
        late_payment_claims: claims,
        reference_rate,
    };
    if !problems.0.is_empty() {
        return page(
            &state,
            &user,
            Some((schedule, shown, minimum.to_string(), rate_text.to_string())),
            problems.0,
            None,
        )
        .await;
    }
    match service::save_schedule(
        &state.db,
        user.partnership.id,
        &schedule,
        Some(user.user.id),
        state.clock.now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/reminders?done=saved").into_response()),
        Err(e) => {
            let errors = refused_as(e, &[])?;
            page(
                &state,
                &user,
                Some((schedule, shown, minimum.to_string(), rate_text.to_string())),
                errors,
                None,
            )
            .await
        }
    }
}

async fn pause(
    state: &AppState,
    user: &PageUser,
    of: PauseOf,
    form: &FormData,
    back: String,
) -> Result<Response, PageError> {
    crate::web::forms::page::editor(user, form)?;
    let reason = if form.get("action") == "resume" { None } else { Some(form.get("reason")) };
    match service::set_pause(&state.db, user.partnership.id, of, reason, Some(user.user.id)).await {
        Ok(()) => {
            let done = if reason.is_some() { "Reminders are paused." } else { "Reminders are on again." };
            Ok(Redirect::to(&format!("{back}?done={}", crate::web::error::urlencode(done))).into_response())
        }
        Err(crate::services::ServiceError::Invalid(list)) => {
            Err(PageError::BadRequest(list.into_iter().map(|f| f.message).collect::<Vec<_>>().join(". ")))
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn pause_invoice(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = page_id(&id)?;
    pause(&state, &user, PauseOf::Invoice(id), &FormData(pairs), format!("/invoices/{id}")).await
}

pub(super) async fn pause_payer(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = page_id(&id)?;
    pause(&state, &user, PauseOf::Payer(id), &FormData(pairs), format!("/billing/payers/{id}")).await
}

/// Finance raises the late-payment claim on an invoice as its own invoice.
pub(super) async fn raise_claim(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    crate::web::forms::page::editor(&user, &form)?;
    let id = page_id(&id)?;
    let claim = crate::services::invoices::claims::raise_claim(
        &state.db,
        &user.partnership,
        id,
        state.clock.today(),
        state.clock.now(),
        Some(user.user.id),
    )
    .await?;
    let done = format!(
        "Late-payment claim {} was raised for {}.",
        claim.number.clone().unwrap_or_default(),
        Money::from_pence(claim.gross_pence)
    );
    Ok(Redirect::to(&format!("/invoices/{}?done={}", claim.id, crate::web::error::urlencode(&done)))
        .into_response())
}
