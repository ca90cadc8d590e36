//! The scheduler `serve` starts: each job on its cron schedule (six fields, seconds first, UTC),
//! run for every partnership in turn.

use super::{Job, JobContext, Trigger};
use crate::settings::SettingsError;
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};

/// Each job's cron schedule from the settings (`PB_CRON_SEND_MAIL`, `PB_CRON_REMINDERS`), or its
/// default; "off" leaves a job unscheduled (it can still be run from the Jobs page or the CLI).
pub fn schedules(var: impl Fn(&str) -> Option<String>) -> Result<Vec<(Job, String)>, SettingsError> {
    let mut out = Vec::new();
    for job in Job::ALL {
        let text = var(job.cron_variable()).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let cron = text.unwrap_or_else(|| job.default_cron().to_string());
        if cron.eq_ignore_ascii_case("off") {
            continue;
        }
        if cron.split_whitespace().count() != 6 {
            return Err(SettingsError {
                variable: job.cron_variable(),
                message: format!(
                    "\"{cron}\" is not a schedule of six fields (seconds minutes hours day month weekday), e.g. \"{}\", or \"off\"",
                    job.default_cron()
                ),
            });
        }
        CronJob::new_async(cron.as_str(), |_, _| Box::pin(async {})).map_err(|e| SettingsError {
            variable: job.cron_variable(),
            message: format!("\"{cron}\" is not a schedule: {e}"),
        })?;
        out.push((job, cron));
    }
    Ok(out)
}

/// Starts the scheduler with the given schedules; the returned scheduler runs until dropped
/// or shut down.
pub async fn start(ctx: JobContext, schedules: Vec<(Job, String)>) -> anyhow::Result<JobScheduler> {
    let scheduler = JobScheduler::new().await?;
    for (job, cron) in schedules {
        let ctx = ctx.clone();
        let cron_job = CronJob::new_async(cron.as_str(), move |_, _| {
            let ctx = ctx.clone();
            Box::pin(async move { run_everywhere(&ctx, job, Trigger::Schedule).await })
        })?;
        scheduler.add(cron_job).await?;
        tracing::info!(job = job.name(), schedule = %cron, "job scheduled");
    }
    scheduler.start().await?;
    Ok(scheduler)
}

/// Runs a job for every partnership, one after another, logging (never stopping on) failures.
pub async fn run_everywhere(ctx: &JobContext, job: Job, trigger: Trigger) {
    let now = chrono::Utc::now();
    if let Err(e) = super::close_abandoned(&ctx.db, now).await {
        tracing::error!(error = %e, "could not close abandoned job runs");
    }
    let partnerships = match crate::services::partnerships::list(&ctx.db).await {
        Ok(list) => list,
        Err(e) => {
            tracing::error!(job = job.name(), error = %e, "could not list partnerships for a job");
            return;
        }
    };
    for partnership in partnerships {
        let now = chrono::Utc::now();
        match super::run(ctx, job, &partnership, now.date_naive(), now, trigger, None).await {
            Ok(run) => {
                tracing::info!(job = job.name(), partnership = %partnership.slug, outcome = %run.outcome, "{}", run.summary)
            }
            Err(e) => {
                tracing::error!(job = job.name(), partnership = %partnership.slug, error = %e, "a job run was not recorded")
            }
        }
    }
}
