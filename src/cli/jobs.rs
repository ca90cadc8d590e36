//! `jobs list` and `jobs run NAME [--today DATE]`: the background jobs from the command line
//! (for cron on a server that runs no scheduler, or to catch up by hand).

use super::{JobsAction, open, service_error};
use crate::jobs::{self, Job, JobContext, Trigger, outcome};
use crate::services::mail::transport::Mailer;
use crate::services::partnerships;
use crate::settings::Settings;
use std::process::ExitCode;

pub async fn jobs(settings: &Settings, action: JobsAction) -> anyhow::Result<ExitCode> {
    let db = open(settings).await?;
    let chosen = |slug: Option<String>| {
        let db = db.clone();
        async move {
            match slug {
                Some(slug) => Ok(vec![partnerships::resolve(&db, Some(&slug)).await.map_err(service_error)?]),
                None => partnerships::list(&db).await.map_err(service_error),
            }
        }
    };
    match action {
        JobsAction::List { partnership } => {
            for (job, cron) in Job::ALL.iter().map(|j| {
                let cron = settings.jobs.schedules.iter().find(|(s, _)| s == j).map(|(_, c)| c.clone());
                (*j, cron)
            }) {
                say!(
                    "{}  ({}) runs {}: {}",
                    job.name(),
                    job.label(),
                    cron.map_or_else(
                        || "only when asked".to_string(),
                        |c| format!("on the schedule \"{c}\" (UTC)")
                    ),
                    job.description()
                );
            }
            for p in chosen(partnership).await? {
                for (job, last) in jobs::last_runs(&db, p.id).await.map_err(service_error)? {
                    match last {
                        None => say!("{}: {} has not run yet.", p.slug, job.name()),
                        Some(run) => say!(
                            "{}: {} last ran {} ({}): {}",
                            p.slug,
                            job.name(),
                            run.started_at.format("%Y-%m-%d %H:%M UTC"),
                            outcome::label(&run.outcome).to_lowercase(),
                            run.summary
                        ),
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        JobsAction::Run { name, today, partnership } => {
            let Some(job) = Job::parse(&name) else {
                let names: Vec<&str> = Job::ALL.iter().map(|j| j.name()).collect();
                eprintln!("error: there is no job \"{name}\"; the jobs are {}", names.join(", "));
                return Ok(ExitCode::from(2));
            };
            let mailer = Mailer::from_settings(&settings.email)?;
            let ctx = JobContext {
                db: db.clone(),
                mailer,
                payments: settings.payments.clone(),
                public_url: settings.web.public_url.clone(),
                instance: jobs::instance_name(),
            };
            let mut failed = false;
            for p in chosen(partnership).await? {
                let now = chrono::Utc::now();
                let day = today.unwrap_or_else(|| now.date_naive());
                let run = jobs::run(&ctx, job, &p, day, now, Trigger::CommandLine, None)
                    .await
                    .map_err(service_error)?;
                failed |= run.outcome == outcome::FAILED;
                say!(
                    "{}: {} {}: {}",
                    p.slug,
                    job.name(),
                    outcome::label(&run.outcome).to_lowercase(),
                    run.summary
                );
            }
            Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
    }
}
