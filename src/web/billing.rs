//! Billing pages for finance: run billing (preview, commit, result), with links to offers,
//! memberships, payers and the audit log.

use crate::domain::role::Action;
use crate::services::billing::{self, RunPlan, Skipped};
use crate::services::{FieldError, ServiceError, offers};
use crate::web::AppState;
use crate::web::error::{PageError, urlencode};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, SelectOption, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing", get(overview))
        .route("/billing/preview", get(preview))
        .route("/billing/runs", post(commit))
}

#[derive(Template)]
#[template(path = "pages/billing.html")]
struct OverviewPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    year_options: Vec<SelectOption>,
    form_period: String,
    offers: Vec<(String, String)>,
    runs: Vec<(String, String, String, String, i32, String)>,
}

impl OverviewPage {
    fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
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
    let runs = billing::runs(&state.db, user.partnership.id).await?;
    let code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = OverviewPage {
        chrome: Chrome::for_user(user, "/billing"),
        year_options: all.iter().map(|o| SelectOption::new(o.year.clone(), o.year.clone(), year)).collect(),
        form_period: period.to_string(),
        offers: all
            .iter()
            .map(|o| {
                let names: Vec<&str> = o.levels.iter().map(|l| l.name.as_str()).collect();
                (o.year.clone(), format!("{} billing; levels {}", o.billing_plan.as_str(), names.join(", ")))
            })
            .collect(),
        runs: runs
            .into_iter()
            .map(|r| {
                let when = r.finished_at.unwrap_or(r.started_at).format("%-d %B %Y %H:%M").to_string();
                let total = crate::domain::money::Money::from_pence(r.total_pence).to_string();
                (r.year, r.period, r.status, when, r.invoices_raised, total)
            })
            .collect(),
        errors,
    };
    Ok((code, render(&page)).into_response())
}

async fn overview(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    overview_page(&state, &user, vec![], None, "").await
}

#[derive(Debug, Default, serde::Deserialize)]
struct RunQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    period: String,
    /// What the commit that led here did.
    done: Option<String>,
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
#[template(path = "pages/billing_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    notice: Option<String>,
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

fn preview_page(user: &PageUser, plan: &RunPlan, notice: Option<String>) -> PreviewPage {
    let held = plan.invoices.iter().filter(|i| i.waiting_for_po).count();
    PreviewPage {
        chrome: Chrome::for_user(user, "/billing"),
        heading: if notice.is_some() {
            format!("Billing {} {}", plan.year, plan.period)
        } else {
            format!("Preview: {} {}", plan.year, plan.period)
        },
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
        notice,
    }
}

async fn preview(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<RunQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    match billing::plan(&state.db, &user.partnership, q.year.trim(), q.period.trim()).await {
        Ok(plan) => Ok(render(&preview_page(&user, &plan, q.done.clone()))),
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
    let today = chrono::Utc::now().date_naive();
    match billing::commit(
        &state.db,
        &user.partnership,
        &form.year,
        &form.period,
        Some(user.user.id),
        today,
        &mut |_, _| {},
    )
    .await
    {
        Ok(summary) => {
            tracing::info!(
                user_id = user.user.id,
                run_id = summary.run_id,
                invoices = summary.invoices,
                "billing run committed"
            );
            let notice = format!(
                "{} invoices raised ({} issued, {} waiting for a PO), total {}.",
                summary.invoices, summary.issued, summary.waiting_for_po, summary.total
            );
            Ok(Redirect::to(&format!(
                "/billing/preview?year={}&period={}&done={}",
                urlencode(&form.year),
                urlencode(&summary.period),
                urlencode(&notice)
            ))
            .into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            overview_page(&state, &user, errors, Some(&form.year), &form.period).await
        }
        Err(e) => Err(e.into()),
    }
}
