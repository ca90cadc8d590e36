//! A billing run started from the billing page, carried on in the background; its record (see
//! [`crate::services::billing::runs`]) is what the run's page shows.

use crate::services::ServiceError;
use crate::services::billing::{self, CommitOptions, RunBy, RunSummary};
use crate::services::partnerships::Partnership;
use sea_orm::DatabaseConnection;

/// Raises the period's invoices into the run record `run_id` (already started with what it
/// plans to raise). The outcome is written to the record; it is also returned for logging.
pub async fn run(
    db: DatabaseConnection,
    partnership: Partnership,
    year: String,
    period: String,
    by: RunBy,
    run_id: i64,
) -> Result<RunSummary, ServiceError> {
    let options = CommitOptions { run_id: Some(run_id), ..CommitOptions::default() };
    let outcome = billing::commit_with(&db, &partnership, &year, &period, by, options, &mut |_, _| {}).await;
    match &outcome {
        Ok(summary) => tracing::info!(run_id, invoices = summary.invoices, "billing run committed"),
        Err(e) => tracing::error!(run_id, error = %e, "billing run stopped"),
    }
    outcome
}
