//! Background jobs: one function per job, each taking the day and moment it runs at, so tests
//! fix them. Each run is recorded in `job_runs` (what ran, for which partnership, how it ended
//! and what it did); a lease row in `job_leases` lets only one instance run a job for one
//! partnership at a time, so several service processes on one PostgreSQL never double up.

pub mod billing_run;
pub mod lease;
pub mod schedule;

use crate::services::ServiceError;
use crate::services::mail::transport::Mailer;
use crate::services::partnerships::Partnership;
use chrono::{DateTime, NaiveDate, Utc};
use entity::job_run;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};

/// The jobs there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Queue messages for new documents, then send what the outbox holds.
    SendMail,
    /// Queue the day's reminders of unpaid invoices.
    Reminders,
    /// Send Direct Debit advance notices and collect what is due.
    DirectDebit,
    /// Invoice traded services delivered last month that are invoiced monthly in arrears.
    TradedInvoicing,
    /// Invoice contract instalments that have fallen due.
    ContractInvoicing,
}

impl Job {
    pub const ALL: [Job; 5] =
        [Job::DirectDebit, Job::Reminders, Job::SendMail, Job::TradedInvoicing, Job::ContractInvoicing];

    /// The name used on the command line and in the database.
    pub fn name(self) -> &'static str {
        match self {
            Job::SendMail => "send-mail",
            Job::Reminders => "reminders",
            Job::DirectDebit => "direct-debit",
            Job::TradedInvoicing => "traded-invoicing",
            Job::ContractInvoicing => "contract-invoicing",
        }
    }

    pub fn parse(text: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.name() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Job::SendMail => "Send mail",
            Job::Reminders => "Queue reminders",
            Job::DirectDebit => "Collect Direct Debits",
            Job::TradedInvoicing => "Invoice last month's services",
            Job::ContractInvoicing => "Invoice contract instalments due",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Job::SendMail => {
                "Queues an email for each new invoice, credit note and payment received (when emailing is on), then sends every queued message, trying failed ones again later."
            }
            Job::Reminders => {
                "Queues a reminder for each unpaid invoice whose next reminder step has come (when reminders are on). The mail job sends them."
            }
            Job::DirectDebit => {
                "For payers with an active Direct Debit: tells them three working days ahead what will be collected and when, then collects each invoice on its day through Stripe."
            }
            Job::TradedInvoicing => {
                "Raises one invoice per payer per month for the traded services delivered in earlier months that are invoiced monthly in arrears."
            }
            Job::ContractInvoicing => {
                "Raises an invoice for each contract or grant instalment due today or earlier that is not yet invoiced, matched funding worked out from the ledger. Each instalment is invoiced once."
            }
        }
    }

    /// When `serve` runs it unless the settings say otherwise (six fields, seconds first, UTC).
    pub fn default_cron(self) -> &'static str {
        match self {
            Job::SendMail => "0 */5 * * * *",
            Job::Reminders => "0 0 7 * * *",
            Job::DirectDebit => "0 0 6 * * *",
            Job::TradedInvoicing => "0 0 5 1 * *",
            Job::ContractInvoicing => "0 30 5 * * *",
        }
    }

    /// The variable that changes its schedule.
    pub fn cron_variable(self) -> &'static str {
        match self {
            Job::SendMail => "PB_CRON_SEND_MAIL",
            Job::Reminders => "PB_CRON_REMINDERS",
            Job::DirectDebit => "PB_CRON_DIRECT_DEBIT",
            Job::TradedInvoicing => "PB_CRON_TRADED_INVOICING",
            Job::ContractInvoicing => "PB_CRON_CONTRACT_INVOICING",
        }
    }
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Page,
    CommandLine,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Page => "page",
            Trigger::CommandLine => "command_line",
        }
    }

    pub fn label(text: &str) -> &'static str {
        match text {
            "schedule" => "On schedule",
            "page" => "Run now (page)",
            "command_line" => "Command line",
            _ => "Unknown",
        }
    }
}

/// What the jobs need besides the database.
#[derive(Debug, Clone)]
pub struct JobContext {
    pub db: DatabaseConnection,
    pub mailer: Mailer,
    /// Where each partnership's Stripe keys open (for Direct Debit).
    pub payments: crate::settings::PaymentSettings,
    /// The service's address, for links in messages.
    pub public_url: String,
    /// This process, as recorded on runs and leases (host and process id).
    pub instance: String,
}

/// This process's name for runs and leases.
pub fn instance_name() -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// How a run ended.
pub mod outcome {
    pub const RUNNING: &str = "running";
    pub const SUCCEEDED: &str = "succeeded";
    pub const FAILED: &str = "failed";
    pub const SKIPPED: &str = "skipped";

    pub fn label(text: &str) -> &'static str {
        match text {
            RUNNING => "Running",
            SUCCEEDED => "Done",
            FAILED => "Failed",
            SKIPPED => "Skipped",
            _ => "Unknown",
        }
    }
}

/// How long a run may hold its lease before another instance may take the job over.
pub fn lease_time() -> chrono::Duration {
    chrono::Duration::minutes(10)
}

/// Runs `job` for one partnership as of `today` and `now`, recording the run. Another instance
/// holding the job's lease makes this run "skipped" (recorded, nothing done).
pub async fn run(
    ctx: &JobContext,
    job: Job,
    partnership: &Partnership,
    today: NaiveDate,
    now: DateTime<Utc>,
    trigger: Trigger,
    user_id: Option<i64>,
) -> Result<job_run::Model, ServiceError> {
    let db = &ctx.db;
    let lease_name = format!("{}:{}", job.name(), partnership.id);
    let record = |outcome: &str, summary: String| job_run::ActiveModel {
        partnership_id: Set(partnership.id),
        job: Set(job.name().into()),
        trigger: Set(trigger.as_str().into()),
        instance: Set(ctx.instance.clone()),
        today: Set(today),
        started_at: Set(now),
        finished_at: Set(None),
        outcome: Set(outcome.into()),
        summary: Set(summary),
        user_id: Set(user_id),
        ..Default::default()
    };
    let Some(holder) = lease::take(db, &lease_name, &ctx.instance, now, now + lease_time()).await? else {
        let holder = lease::holder(db, &lease_name).await?.unwrap_or_default();
        let mut skipped =
            record(outcome::SKIPPED, format!("Not run: another instance ({holder}) is running it"));
        skipped.finished_at = Set(Some(now));
        return Ok(skipped.insert(db).await?);
    };
    let running = record(outcome::RUNNING, String::new()).insert(db).await?;
    let result = match job {
        Job::SendMail => send_mail(ctx, partnership, now).await,
        Job::Reminders => reminders(ctx, partnership, today, now).await,
        Job::DirectDebit => direct_debit(ctx, partnership, today, now).await,
        Job::TradedInvoicing => {
            crate::services::orders::invoice_month(&ctx.db, partnership, today, now).await.map(|d| {
                let plural =
                    |n: usize, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
                format!(
                    "Raised {} for {} delivered before this month (orders, and places on courses).",
                    plural(d.invoices, "invoice"),
                    plural(d.orders, "order")
                )
            })
        }
        Job::ContractInvoicing => {
            crate::services::contracts::raise_due(&ctx.db, partnership, today, now).await.map(|d| {
                format!(
                    "Raised {} for contract instalments due; {} came to nothing.",
                    if d.invoices == 1 {
                        "1 invoice".to_string()
                    } else {
                        format!("{} invoices", d.invoices)
                    },
                    d.nothing_due
                )
            })
        }
    };
    lease::release(db, &lease_name, &holder, now).await?;
    let (outcome, summary) = match result {
        Ok(summary) => (outcome::SUCCEEDED, summary),
        Err(e) => {
            tracing::error!(job = job.name(), partnership = partnership.id, error = %e, "a job failed");
            (outcome::FAILED, format!("Failed: {e}"))
        }
    };
    let finished = now.max(Utc::now());
    let mut active: job_run::ActiveModel = running.into();
    active.outcome = Set(outcome.into());
    active.summary = Set(summary);
    active.finished_at = Set(Some(finished));
    Ok(active.update(db).await?)
}

async fn send_mail(
    ctx: &JobContext,
    partnership: &Partnership,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    use crate::services::mail;
    let collected = mail::collect::queue_new_documents(&ctx.db, partnership, &ctx.public_url, now).await?;
    let sent = mail::send::send_due(&ctx.db, &ctx.mailer, partnership, now).await?;
    Ok(format!(
        "Queued {} invoices, {} credit notes and {} receipts; {}. Mail is {}.",
        collected.invoices,
        collected.credit_notes,
        collected.receipts,
        sent.words(),
        ctx.mailer.describe()
    ))
}

async fn reminders(
    ctx: &JobContext,
    partnership: &Partnership,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let Some((queued, held)) =
        crate::services::reminders::queue_due(&ctx.db, partnership, &ctx.public_url, today, now).await?
    else {
        return Ok("Reminders are off for this partnership: none queued.".into());
    };
    Ok(format!(
        "Queued {queued} reminders; {held} held back (paused, being collected, or under the minimum)."
    ))
}

async fn direct_debit(
    ctx: &JobContext,
    partnership: &Partnership,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let done = crate::services::stripe::direct_debit::collect_due(
        &ctx.db,
        &ctx.payments,
        partnership,
        &ctx.public_url,
        today,
        now,
    )
    .await?;
    let mut words = format!(
        "Sent {} advance notices; asked for {} collections ({}).",
        done.notices, done.collections, done.collected
    );
    if !done.held.is_empty() {
        words.push_str(&format!(" Not collected: {}.", done.held.join("; ")));
    }
    Ok(words)
}

/// Runs per page of the Jobs page.
pub const RUNS_PAGE_SIZE: u64 = 25;

/// A page of the partnership's runs, newest first, with the number of runs in all.
pub async fn runs(
    db: &DatabaseConnection,
    partnership_id: i64,
    page: u64,
) -> Result<(Vec<job_run::Model>, u64), ServiceError> {
    let query = job_run::Entity::find().filter(job_run::Column::PartnershipId.eq(partnership_id));
    let total = query.clone().count(db).await?;
    let offset = page.saturating_sub(1).saturating_mul(RUNS_PAGE_SIZE);
    let rows = crate::services::rows_at(db, query.order_by_desc(job_run::Column::Id), offset, RUNS_PAGE_SIZE)
        .await?;
    Ok((rows, total))
}

/// The last run of each job for the partnership.
pub async fn last_runs(
    db: &DatabaseConnection,
    partnership_id: i64,
) -> Result<Vec<(Job, Option<job_run::Model>)>, ServiceError> {
    let mut out = Vec::new();
    for job in Job::ALL {
        let last = job_run::Entity::find()
            .filter(job_run::Column::PartnershipId.eq(partnership_id))
            .filter(job_run::Column::Job.eq(job.name()))
            .filter(job_run::Column::Outcome.ne(outcome::SKIPPED))
            .order_by_desc(job_run::Column::Id)
            .one(db)
            .await?;
        out.push((job, last));
    }
    Ok(out)
}

/// Marks runs left "running" by a process that stopped (older than the lease) as failed.
pub async fn close_abandoned(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    Ok(job_run::Entity::update_many()
        .col_expr(job_run::Column::Outcome, Expr::value(outcome::FAILED))
        .col_expr(
            job_run::Column::Summary,
            Expr::value("Stopped: the process running it ended before it finished"),
        )
        .col_expr(job_run::Column::FinishedAt, Expr::value(Some(now)))
        .filter(job_run::Column::Outcome.eq(outcome::RUNNING))
        .filter(job_run::Column::StartedAt.lt(now - lease_time()))
        .exec(db)
        .await?
        .rows_affected)
}
