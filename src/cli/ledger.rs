//! Ledger commands: `check-ledger`, `import-statement`, `stripe-keys`.

use super::{open, service_error};
use crate::clock::Clock;
use crate::domain::bank::Format;
use crate::services::ledger;
use crate::services::{ServiceError, bank, partnerships};
use crate::settings::Settings;
use anyhow::Context;
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

/// `import-statement`: reads, stores and matches a bank statement; a file that does not read is
/// refused whole (exit code 2) with the line and reason.
pub async fn import_statement(
    settings: &Settings,
    file: &std::path::Path,
    format: Option<String>,
    partnership: Option<String>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let format = match format {
        Some(f) => Some(Format::parse(&f).ok_or_else(|| {
            anyhow::anyhow!("\"{f}\" is not a statement format: use lloyds, barclays, natwest, hsbc, generic, ofx or camt053")
        })?),
        None => None,
    };
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let db = open(settings).await?;
    let p = partnerships::resolve(&db, partnership.as_deref()).await.map_err(service_error)?;
    let clock = Clock::System;
    let actor = ledger::Actor::at(None, clock);
    let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    match bank::import(&db, &p, &bytes, &name, format, None, actor).await {
        Ok(summary) => {
            if json {
                say!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                say!(
                    "{}: {} lines, {} new; {} matched automatically, {} with suggestions, {} unmatched, {} money out.",
                    name,
                    summary.lines,
                    summary.new,
                    summary.auto_matched,
                    summary.suggested,
                    summary.unmatched,
                    summary.debits
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ServiceError::Invalid(problems)) => {
            for p in &problems {
                eprintln!("{}: {}", p.field, p.message);
            }
            say!("Nothing was imported.");
            Ok(ExitCode::from(2))
        }
        Err(other) => Err(service_error(other)),
    }
}

/// `stripe-keys`: reads the secret key and the webhook signing secret from standard input and
/// stores them sealed; or removes them. Neither is ever printed.
pub async fn stripe_keys(
    settings: &Settings,
    partnership: Option<String>,
    remove: bool,
) -> anyhow::Result<ExitCode> {
    let db = open(settings).await?;
    let p = partnerships::resolve(&db, partnership.as_deref()).await.map_err(service_error)?;
    let actor = ledger::Actor::at(None, Clock::System);
    if remove {
        let removed = crate::services::stripe::remove_keys(&db, &p, actor).await.map_err(service_error)?;
        say!(
            "{}",
            if removed {
                "The Stripe keys were removed: card payment is off."
            } else {
                "No Stripe keys were set."
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut lines = std::io::stdin().lines();
    let mut next = |what: &str| -> anyhow::Result<String> {
        lines
            .next()
            .transpose()
            .with_context(|| format!("cannot read the {what} from standard input"))?
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .with_context(|| format!("give the {what} on its own line on standard input"))
    };
    let secret_key = next("secret key (sk_...)")?;
    let webhook_secret = next("webhook signing secret (whsec_...)")?;
    match crate::services::stripe::set_keys(&db, &settings.payments, &p, &secret_key, &webhook_secret, actor)
        .await
    {
        Ok(status) => {
            say!(
                "Card payments are on for {} with {} keys. Point Stripe's webhook at {}/stripe/webhook/{}.",
                p.name,
                if status.live { "live" } else { "test" },
                settings.web.public_url,
                p.slug
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ServiceError::Invalid(problems)) => {
            for problem in problems {
                eprintln!("{}: {}", problem.field, problem.message);
            }
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(service_error(e)),
    }
}
