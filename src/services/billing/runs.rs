//! Billing-run records: one per attempt, with what it planned, what it has raised so far
//! (updated in the same transaction as each batch, so the count is never ahead of or behind the
//! invoices), a heartbeat, and how it ended. Pages read progress from here, so it survives a
//! restart and shows runs started from the command line.

use super::super::{ServiceError, to_stored_pence};
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::Money;
use chrono::{DateTime, Duration, Utc};
use entity::{billing_run, invoice};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

/// A running run that has written nothing for this long has stopped (its process ended).
pub const STALE_AFTER: Duration = Duration::minutes(2);

/// How a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Running,
    /// Stopped without finishing (the service restarted): running it again raises the rest.
    Stopped,
    Committed,
    Failed,
}

impl RunState {
    pub fn label(self) -> &'static str {
        match self {
            RunState::Running => "Raising invoices",
            RunState::Stopped => "Stopped before it finished",
            RunState::Committed => "Finished",
            RunState::Failed => "Failed",
        }
    }
}

/// One run as pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub id: i64,
    pub year: String,
    pub period: String,
    pub state: RunState,
    pub planned: i64,
    pub raised: i64,
    pub total: Money,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// Of the invoices it raised: how many are issued and how many wait for a PO (counted
    /// when one run is read, not in lists).
    pub issued: Option<u64>,
    pub waiting_for_po: Option<u64>,
}

fn record(m: billing_run::Model, now: DateTime<Utc>) -> Result<RunRecord, ServiceError> {
    let state = match m.status.as_str() {
        "running" if m.heartbeat_at.unwrap_or(m.started_at) + STALE_AFTER < now => RunState::Stopped,
        "running" => RunState::Running,
        "committed" => RunState::Committed,
        "failed" => RunState::Failed,
        other => {
            return Err(ServiceError::Corrupt {
                table: "billing_runs",
                column: "status",
                value: other.to_string(),
                reason: "not running, committed or failed".into(),
            });
        }
    };
    Ok(RunRecord {
        id: m.id,
        year: m.year,
        period: m.period,
        state,
        planned: i64::from(m.planned),
        raised: i64::from(m.invoices_raised),
        total: Money::from_pence(m.total_pence),
        started_at: m.started_at,
        finished_at: m.finished_at,
        error: m.error,
        issued: None,
        waiting_for_po: None,
    })
}

/// Starts a run's record: it plans to raise `planned` invoices.
pub async fn start_run(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
    period: &str,
    planned: usize,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, ServiceError> {
    let run = billing_run::ActiveModel {
        partnership_id: Set(partnership_id),
        year: Set(year.to_string()),
        period: Set(period.to_string()),
        status: Set("running".into()),
        started_by_user_id: Set(user_id),
        started_at: Set(now),
        finished_at: Set(None),
        invoices_raised: Set(0),
        total_pence: Set(0),
        planned: Set(i32::try_from(planned).unwrap_or(i32::MAX)),
        heartbeat_at: Set(Some(now)),
        error: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(run.id)
}

/// Adds a batch to the run's count and total, in the caller's transaction: one atomic update,
/// so two processes writing to the same run never lose each other's batches.
pub async fn record_batch(
    db: &impl ConnectionTrait,
    run_id: i64,
    invoices: usize,
    total: Money,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let pence = to_stored_pence("total", total)?;
    billing_run::Entity::update_many()
        .col_expr(
            billing_run::Column::InvoicesRaised,
            Expr::col(billing_run::Column::InvoicesRaised).add(i32::try_from(invoices).unwrap_or(i32::MAX)),
        )
        .col_expr(billing_run::Column::TotalPence, Expr::col(billing_run::Column::TotalPence).add(pence))
        .col_expr(billing_run::Column::HeartbeatAt, Expr::value(Some(now)))
        .filter(billing_run::Column::Id.eq(run_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks a run finished, or failed with the reason people see.
pub async fn finish_run(
    db: &impl ConnectionTrait,
    run_id: i64,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    billing_run::Entity::update_many()
        .col_expr(
            billing_run::Column::Status,
            Expr::value(if error.is_some() { "failed" } else { "committed" }),
        )
        .col_expr(billing_run::Column::FinishedAt, Expr::value(Some(now)))
        .col_expr(billing_run::Column::HeartbeatAt, Expr::value(Some(now)))
        .col_expr(billing_run::Column::Error, Expr::value(error.map(str::to_string)))
        .filter(billing_run::Column::Id.eq(run_id))
        .exec(db)
        .await?;
    Ok(())
}

/// One run of the partnership.
pub async fn get_run(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    run_id: i64,
    now: DateTime<Utc>,
) -> Result<RunRecord, ServiceError> {
    let found = billing_run::Entity::find_by_id(run_id)
        .filter(billing_run::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("billing run {run_id}")))?;
    let mut run = record(found, now)?;
    let count = |status: InvoiceStatus| {
        invoice::Entity::find()
            .filter(invoice::Column::BillingRunId.eq(run_id))
            .filter(invoice::Column::Status.eq(status.as_str()))
            .count(db)
    };
    run.issued = Some(count(InvoiceStatus::Issued).await?);
    run.waiting_for_po = Some(count(InvoiceStatus::WaitingForPo).await?);
    Ok(run)
}

/// The partnership's latest runs, newest first.
pub async fn runs(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<RunRecord>, ServiceError> {
    let query = billing_run::Entity::find()
        .filter(billing_run::Column::PartnershipId.eq(partnership_id))
        .order_by_desc(billing_run::Column::Id);
    crate::services::rows_at(db, query, 0, limit).await?.into_iter().map(|m| record(m, now)).collect()
}

/// Runs per page of the list of every run.
pub const RUNS_PER_PAGE: u64 = 20;

/// A page of every run of the partnership, newest first, with the count over all pages.
pub async fn runs_page(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    page: u64,
    now: DateTime<Utc>,
) -> Result<(Vec<RunRecord>, u64, u64, u64), ServiceError> {
    let found = crate::services::page_of(
        db,
        billing_run::Entity::find()
            .filter(billing_run::Column::PartnershipId.eq(partnership_id))
            .order_by_desc(billing_run::Column::Id),
        page,
        RUNS_PER_PAGE,
    )
    .await?;
    let rows = found.rows.into_iter().map(|m| record(m, now)).collect::<Result<Vec<_>, _>>()?;
    Ok((rows, found.total, found.page, found.pages))
}
