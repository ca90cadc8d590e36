//! Ledger commands: `check-ledger`.

use super::{open, service_error};
use crate::services::ledger;
use crate::settings::Settings;
use std::process::ExitCode;

/// `check-ledger`: every invariant of every account; exit code 1 when any is broken.
pub async fn check(settings: &Settings, partnership: Option<String>, json: bool) -> anyhow::Result<ExitCode> {
    let db = open(settings).await?;
    let found = ledger::check_ledger(&db, partnership.as_deref()).await.map_err(service_error)?;
    if json {
        say!(
            "{}",
            serde_json::json!({
                "ok": found.breaches.is_empty(),
                "partnerships": found.partnerships, "invoices": found.invoices,
                "payments": found.payments, "payers": found.payers,
                "breaches": found.breaches.iter().map(|b| serde_json::json!({
                    "partnership": b.partnership, "breach": b.breach.to_string(),
                })).collect::<Vec<_>>(),
            })
        );
    } else {
        say!(
            "Checked {} partnership(s): {} invoices, {} payments, {} payer accounts.",
            found.partnerships,
            found.invoices,
            found.payments,
            found.payers
        );
        for b in &found.breaches {
            say!("{}: {}", b.partnership, b.breach);
        }
        if found.breaches.is_empty() {
            say!("Every account adds up.");
        } else {
            say!("{} breach(es) found.", found.breaches.len());
        }
    }
    Ok(if found.breaches.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
