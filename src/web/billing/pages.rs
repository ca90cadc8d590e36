//! Billing pages for finance: run billing (preview, commit, result), with links to offers,
//! memberships, payers and the audit log.

use crate::domain::billing::periods;
use crate::domain::role::Action;
use crate::services::billing::{self, RunBy, RunPlan, RunState, Skipped};
use crate::services::{FieldError, ServiceError, offers};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::page::sentence_case;
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, SelectOption, long_date, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing", get(overview))
        .route("/billing/preview", get(preview))
        .route("/billing/runs", get(all_runs).post(commit))
        .route("/billing/runs/{id}", get(progress))
}

#[derive(Template)]
#[template(path = "billing/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    year_options: Vec<SelectOption>,
    /// The chosen year's periods: value, label, hint (what is billed), chosen.
    periods: Vec<(String, String, String, bool)>,
    due: Option<String>,
    offers: Vec<(String, String)>,
    runs: Vec<RunRow>,
}

/// One billing run in the overview's list.
struct RunRow {
    id: i64,
    year: String,
    period: String,
    state: &'static str,
    when: String,
    invoices: String,
    total: String,
}

impl FieldErrors for OverviewPage {
    fn errors(&self) -> &[FieldError] {
        &self.errors
    }
}

async fn overview_page(
    state: &AppState,
    user: &PageUser,
    errors: Vec<FieldError>,
    year: Option<&str>,
    period: &str,
) -> Result<Response, PageError> {
    let all = offers::list(&state.db, user.partnership.id).await?;
    let runs = billing::runs(&state.db, user.partnership.id, 5, state.clock.now()).await?;
    let code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let errors: Vec<FieldError> =
        errors.into_iter().map(|e| FieldError { message: sentence_case(&e.message), ..e }).collect();
    // What each year has billed, and the period due next (the default choice).
    let (billed, due) = billing::billed_so_far(&state.db, &user.partnership).await?;
    let chosen_year = year
        .filter(|y| billed.iter().any(|(my, _, _)| my.label() == *y))
        .map(str::to_string)
        .or_else(|| due.as_ref().map(|(y, _)| y.label()))
        .or_else(|| all.first().map(|o| o.year.clone()));
    let chosen_period = if period.is_empty() {
        due.as_ref().filter(|(y, _)| Some(y.label()) == chosen_year).map(|(_, p)| p.name.clone())
    } else {
        Some(period.to_string())
    };
    let periods = billed
        .iter()
        .filter(|(y, _, _)| Some(y.label()) == chosen_year)
        .flat_map(|(y, plan, counts)| {
            periods(*y, *plan).into_iter().map(|p| {
                let hint = match counts.iter().find(|(n, _)| *n == p.name) {
                    Some((_, n)) => format!(
                        "Billed: {n} invoice{} so far. Running it again raises only what is new.",
                        if *n == 1 { "" } else { "s" }
                    ),
                    None => "Not billed yet".to_string(),
                };
                let label = format!(
                    "{} ({} to {})",
                    sentence_case(&p.label()),
                    long_date(p.first_day),
                    long_date(p.last_day)
                );
                (p.name.clone(), label, hint, chosen_period.as_deref() == Some(p.name.as_str()))
            })
        })
        .collect();
    let page = OverviewPage {
        chrome: Chrome::for_user(user, "/billing"),
        year_options: all
            .iter()
            .map(|o| SelectOption::new(o.year.clone(), o.year.clone(), chosen_year.as_deref()))
            .collect(),
        periods,
        due: due
            .map(|(y, p)| format!("Due next: {} {}, from {}.", y.label(), p.label(), long_date(p.first_day))),
        offers: all
            .iter()
            .map(|o| {
                let names: Vec<&str> = o.levels.iter().map(|l| l.name.as_str()).collect();
                (o.year.clone(), format!("{}; levels {}", o.billing_plan.label(), names.join(", ")))
            })
            .collect(),
        runs: runs.into_iter().map(run_row).collect(),
        errors,
    };
    Ok((code, render(&page)?).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
struct OverviewQuery {
    #[serde(default)]
    year: String,
}

async fn overview(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<OverviewQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let year = Some(q.year.trim()).filter(|y| !y.is_empty());
    overview_page(&state, &user, vec![], year, "").await
}

#[derive(Debug, Default, serde::Deserialize)]
struct RunQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    period: String,
}

struct InvoiceRow {
    payer: String,
    lines: usize,
    net: String,
    vat: String,
    gross: String,
    note: &'static str,
}

#[derive(Template)]
#[template(path = "billing/preview.html")]
struct PreviewPage {
    chrome: Chrome,
    heading: String,
    period_text: String,
    year: String,
    period: String,
    summary: Vec<(&'static str, String)>,
    can_commit: bool,
    invoice_count: usize,
    by_phase: Vec<(String, String)>,
    invoices: Vec<InvoiceRow>,
    skipped: Vec<Skipped>,
}

fn preview_page(user: &PageUser, plan: &RunPlan) -> PreviewPage {
    let held = plan.invoices.iter().filter(|i| i.waiting_for_po).count();
    PreviewPage {
        chrome: Chrome::for_user(user, "/billing"),
        heading: format!("Preview: {} {}", plan.year, plan.period),
        period_text: format!(
            "{} to {}",
            plan.period_start.format("%-d %B %Y"),
            plan.period_end.format("%-d %B %Y")
        ),
        year: plan.year.clone(),
        period: plan.period.clone(),
        summary: vec![
            ("Invoices to raise", plan.invoices.len().to_string()),
            ("Held until a PO number is given", held.to_string()),
            ("Total net", plan.net.to_string()),
            ("Total VAT", plan.vat.to_string()),
            ("Total", plan.total.to_string()),
            ("Charges raised before (left out)", plan.already_raised.to_string()),
            ("Schools not charged", plan.skipped.len().to_string()),
        ],
        can_commit: !plan.invoices.is_empty(),
        invoice_count: plan.invoices.len(),
        by_phase: plan.by_phase.iter().map(|(p, m)| (p.label().to_string(), m.to_string())).collect(),
        invoices: plan
            .invoices
            .iter()
            .map(|i| InvoiceRow {
                payer: i.payer_name.clone(),
                lines: i.lines.len(),
                net: i.totals.net.to_string(),
                vat: i.totals.vat.to_string(),
                gross: i.totals.gross.to_string(),
                note: if i.waiting_for_po { "Waiting for PO" } else { "" },
            })
            .collect(),
        skipped: plan.skipped.clone(),
    }
}

async fn preview(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<RunQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    match billing::plan(&state.db, &user.partnership, q.year.trim(), q.period.trim()).await {
        Ok(plan) => Ok(render(&preview_page(&user, &plan))?.into_response()),
        Err(ServiceError::Invalid(errors)) => {
            overview_page(&state, &user, errors, Some(q.year.trim()), q.period.trim()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct CommitForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    period: String,
}

async fn commit(
    State(state): State<AppState>,
    user: PageUser,
    Form(form): Form<CommitForm>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    user.check_csrf(&form.csrf_token)?;
    // Check the year and period now, so mistakes show at once; the run itself goes on in the
    // background and its page shows how far it has got.
    let plan = match billing::plan(&state.db, &user.partnership, &form.year, &form.period).await {
        Ok(plan) => plan,
        Err(ServiceError::Invalid(errors)) => {
            return overview_page(&state, &user, errors, Some(&form.year), &form.period).await;
        }
        Err(e) => return Err(e.into()),
    };
    let by = RunBy::at(Some(user.user.id), &state.clock);
    let run_id = billing::start_run(
        &state.db,
        user.partnership.id,
        &plan.year,
        &plan.period,
        plan.invoices.len(),
        by.user_id,
        by.now,
    )
    .await?;
    let job = crate::jobs::billing_run::run(
        state.db.clone(),
        user.partnership.clone(),
        plan.year.clone(),
        plan.period.clone(),
        by,
        run_id,
    );
    tokio::spawn(job);
    Ok(Redirect::to(&format!("/billing/runs/{run_id}")).into_response())
}

#[derive(Template)]
#[template(path = "billing/run.html")]
struct RunPage {
    chrome: Chrome,
    heading: String,
    year: String,
    period: String,
    running: bool,
    raised: i64,
    total: i64,
    done: Option<String>,
    failed: Option<String>,
    skipped: Vec<Skipped>,
}

async fn progress(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let id: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    let run = billing::get_run(&state.db, user.partnership.id, id, state.clock.now()).await?;
    let running = run.state == RunState::Running;
    // Schools the period leaves out, as the register stands now: what finance can act on.
    let skipped = if run.state == RunState::Committed {
        billing::plan(&state.db, &user.partnership, &run.year, &run.period)
            .await
            .map(|p| p.skipped)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let failed = match run.state {
        RunState::Failed => run.error.clone(),
        RunState::Stopped => Some("The run stopped before it finished (the service restarted).".into()),
        _ => None,
    };
    let page = RunPage {
        chrome: Chrome::for_user(&user, "/billing"),
        heading: if running {
            format!("Billing {} {}: raising invoices", run.year, run.period)
        } else {
            format!("Billing {} {}", run.year, run.period)
        },
        running,
        raised: run.raised,
        total: run.planned,
        done: (run.state == RunState::Committed).then(|| {
            format!(
                "{} invoices raised ({} issued, {} waiting for a PO), total {}.",
                run.raised,
                run.issued.unwrap_or_default(),
                run.waiting_for_po.unwrap_or_default(),
                run.total
            )
        }),
        failed,
        skipped,
        year: run.year,
        period: run.period,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "billing/runs.html")]
struct RunsPage {
    chrome: Chrome,
    total: u64,
    runs: Vec<RunRow>,
    pagination: crate::web::view::Pagination,
}

#[derive(Debug, Default, serde::Deserialize)]
struct RunsQuery {
    #[serde(default)]
    page: String,
}

fn run_row(r: billing::RunRecord) -> RunRow {
    RunRow {
        id: r.id,
        state: r.state.label(),
        when: r.finished_at.unwrap_or(r.started_at).format("%-d %B %Y %H:%M").to_string(),
        invoices: format!("{} of {}", r.raised, r.planned),
        total: r.total.to_string(),
        year: r.year,
        period: r.period,
    }
}

/// Every billing run, newest first, a page at a time, each linking to its result.
async fn all_runs(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<RunsQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let page = crate::web::view::page_param(&q.page)?;
    let (runs, total, page, pages) =
        billing::runs_page(&state.db, user.partnership.id, page, state.clock.now()).await?;
    let view = RunsPage {
        chrome: Chrome::for_user(&user, "/billing"),
        total,
        runs: runs.into_iter().map(run_row).collect(),
        pagination: crate::web::view::Pagination::new("Pages of billing runs", page, pages, |n| {
            format!("/billing/runs?page={n}")
        }),
    };
    Ok(render(&view)?.into_response())
}
