//! The Jobs page: each background job, when it runs, its last runs for this partnership, and a
//! "run now" button (finance and admins).

use super::when;
use crate::domain::role::Action;
use crate::jobs::{self, Job, Trigger, outcome};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::fields::FormData;
use crate::web::session::PageUser;
use crate::web::view::{Chrome, Pagination, page_param, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

pub(super) struct JobRow {
    name: &'static str,
    label: &'static str,
    description: &'static str,
    schedule: String,
    last: String,
}

pub(super) struct RunRow {
    job: &'static str,
    started: String,
    trigger: &'static str,
    outcome: &'static str,
    tag: &'static str,
    summary: String,
}

#[derive(Template)]
#[template(path = "mail_pages/jobs.html")]
struct JobsPage {
    chrome: Chrome,
    notice: Option<String>,
    jobs: Vec<JobRow>,
    runs: Vec<RunRow>,
    pagination: Pagination,
}

/// A cron schedule in words, for the schedules this service ships with; others as written.
pub fn schedule_words(cron: Option<&str>) -> String {
    match cron {
        None => "Only when run by hand".into(),
        Some("0 */5 * * * *") => "Every 5 minutes".into(),
        Some("0 0 7 * * *") => "Every day at 07:00 (UTC)".into(),
        Some("0 0 6 * * *") => "Every day at 06:00 (UTC)".into(),
        Some(other) => {
            format!("On the schedule \"{other}\" (seconds, minutes, hours, day, month, weekday; UTC)")
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub(super) struct JobsQuery {
    #[serde(default)]
    page: String,
    #[serde(default)]
    ran: String,
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<JobsQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let page = page_param(&q.page)?;
    let (runs, total) = jobs::runs(&state.db, user.partnership.id, page).await?;
    let last = jobs::last_runs(&state.db, user.partnership.id).await?;
    let notice = Job::parse(&q.ran).and_then(|job| {
        runs.iter().find(|r| r.job == job.name()).map(|r| format!("{}: {}", job.label(), r.summary))
    });
    let view = JobsPage {
        chrome: Chrome::for_user(&user, "/billing"),
        notice,
        jobs: last
            .into_iter()
            .map(|(job, last)| JobRow {
                name: job.name(),
                label: job.label(),
                description: job.description(),
                schedule: schedule_words(
                    state.settings.schedules.iter().find(|(j, _)| *j == job).map(|(_, c)| c.as_str()),
                ),
                last: match last {
                    None => "Not run yet".into(),
                    Some(r) => {
                        format!("{} ({})", when(r.started_at), outcome::label(&r.outcome).to_lowercase())
                    }
                },
            })
            .collect(),
        runs: runs
            .into_iter()
            .map(|r| RunRow {
                job: Job::parse(&r.job).map_or("Unknown job", Job::label),
                started: when(r.started_at),
                trigger: Trigger::label(&r.trigger),
                outcome: outcome::label(&r.outcome),
                tag: match r.outcome.as_str() {
                    outcome::SUCCEEDED => "govuk-tag--green",
                    outcome::FAILED => "govuk-tag--red",
                    outcome::RUNNING => "govuk-tag--blue",
                    _ => "govuk-tag--grey",
                },
                summary: r.summary,
            })
            .collect(),
        pagination: Pagination::new(
            "Pages of job runs",
            page,
            total.div_ceil(jobs::RUNS_PAGE_SIZE).max(1),
            |n| format!("/jobs?page={n}"),
        ),
    };
    Ok(render(&view)?.into_response())
}

pub(super) async fn run_now(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    crate::web::forms::page::editor(&user, &form)?;
    let job = Job::parse(&name).ok_or(PageError::NotFound)?;
    let now = state.clock.now();
    jobs::run(
        &state.job_context(),
        job,
        &user.partnership,
        now.date_naive(),
        now,
        Trigger::Page,
        Some(user.user.id),
    )
    .await?;
    Ok(Redirect::to(&format!("/jobs?ran={}", job.name())).into_response())
}
