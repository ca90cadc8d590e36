//! Billing commands: runs (preview or commit) and invoice settings.

use super::{open, service_error};
use crate::clock::Clock;
use crate::services::billing;
use crate::services::partnerships;
use crate::settings::Settings;
use sea_orm::DatabaseConnection;
use std::process::ExitCode;

/// `invoice-settings`: shows (and with options, changes) how invoices are numbered and paid.
#[allow(clippy::too_many_arguments)]
pub async fn invoice_settings(
    settings: &Settings,
    partnership: Option<String>,
    invoice_prefix: Option<String>,
    credit_note_prefix: Option<String>,
    payment_terms_days: Option<i32>,
    bank_account_name: Option<String>,
    sort_code: Option<String>,
    account_number: Option<String>,
    remittance_email: Option<String>,
) -> anyhow::Result<ExitCode> {
    let db = open(settings).await?;
    let p = partnerships::resolve(&db, partnership.as_deref()).await.map_err(service_error)?;
    let keep = |new: Option<String>, old: Option<String>| {
        new.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).or(old)
    };
    let changed = partnerships::InvoiceSettings {
        invoice_prefix: invoice_prefix.unwrap_or(p.invoice_prefix.clone()),
        credit_note_prefix: credit_note_prefix.unwrap_or(p.credit_note_prefix.clone()),
        payment_terms_days: payment_terms_days.unwrap_or(p.payment_terms_days),
        bank_account_name: keep(bank_account_name, p.bank_account_name.clone()),
        bank_sort_code: keep(sort_code, p.bank_sort_code.clone()),
        bank_account_number: keep(account_number, p.bank_account_number.clone()),
        remittance_email: keep(remittance_email, p.remittance_email.clone()),
        small_write_off: None,
    };
    let saved = partnerships::set_invoice_settings(&db, p.id, changed, None).await.map_err(service_error)?;
    say!("Invoices of {}:", saved.name);
    say!("  invoice numbers       {}000001, ...", saved.invoice_prefix);
    say!("  credit note numbers   {}000001, ...", saved.credit_note_prefix);
    say!("  payment terms         {} days", saved.payment_terms_days);
    say!("  VAT number            {}", saved.vat_number.as_deref().unwrap_or("none: invoices carry no VAT"));
    say!(
        "  bank account          {} {} {}",
        saved.bank_account_name.as_deref().unwrap_or("(no name)"),
        saved.bank_sort_code.as_deref().unwrap_or("(no sort code)"),
        saved.bank_account_number.as_deref().unwrap_or("(no account number)")
    );
    say!("  remittance email      {}", saved.remittance_email.as_deref().unwrap_or("(none)"));
    Ok(ExitCode::SUCCESS)
}

pub async fn billing_run(
    db: &DatabaseConnection,
    partnership: &partnerships::Partnership,
    (year, period): (&str, &str),
    commit: Option<crate::services::billing::CommitOptions>,
    today: chrono::NaiveDate,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let Some(options) = commit else {
        let plan = billing::plan(db, partnership, year, period).await.map_err(service_error)?;
        if json {
            let summary = serde_json::json!({
                "committed": false,
                "year": plan.year,
                "period": plan.period,
                "invoices": plan.invoices.len(),
                "net": plan.net.amount().to_string(),
                "vat": plan.vat.amount().to_string(),
                "total": plan.total.amount().to_string(),
                "waiting_for_po": plan.invoices.iter().filter(|i| i.waiting_for_po).count(),
                "already_raised": plan.already_raised,
                "skipped": plan.skipped,
                "plan": plan.invoices,
            });
            say!("{}", serde_json::to_string_pretty(&summary)?);
        } else {
            say!(
                "Preview of {} {} for {} ({} to {}): nothing is raised without --commit.",
                year,
                plan.period,
                partnership.name,
                plan.period_start,
                plan.period_end
            );
            say!("{:<50} {:>6} {:>14} {:>12} {:>14}", "Payer", "Lines", "Net", "VAT", "Total");
            for invoice in &plan.invoices {
                let held = if invoice.waiting_for_po { "  (waiting for PO)" } else { "" };
                say!(
                    "{:<50} {:>6} {:>14} {:>12} {:>14}{held}",
                    invoice.payer_name,
                    invoice.lines.len(),
                    invoice.totals.net.to_string(),
                    invoice.totals.vat.to_string(),
                    invoice.totals.gross.to_string()
                );
            }
            say!(
                "{} invoices, total {} (net {}, VAT {}).",
                plan.invoices.len(),
                plan.total,
                plan.net,
                plan.vat
            );
            for (phase, net) in &plan.by_phase {
                say!("  {phase:<24} net {net}");
            }
            if plan.already_raised > 0 {
                say!("{} charges for this period were raised before and are left out.", plan.already_raised);
            }
            for skipped in &plan.skipped {
                say!("Skipped {} (URN {}): {}", skipped.school_name, skipped.urn, skipped.reason);
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("Raising invoices [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress_bar = bar.clone();
    let mut progress = move |done: u64, total: u64| {
        progress_bar.set_length(total);
        progress_bar.set_position(done);
    };
    let by = billing::RunBy { user_id: None, today, now: Clock::System.now() };
    let summary = billing::commit_with(db, partnership, year, period, by, options, &mut progress)
        .await
        .map_err(service_error)?;
    bar.finish_and_clear();
    if json {
        let out = serde_json::json!({
            "committed": true,
            "run_id": summary.run_id,
            "year": summary.year,
            "period": summary.period,
            "invoices": summary.invoices,
            "issued": summary.issued,
            "waiting_for_po": summary.waiting_for_po,
            "already_raised": summary.already_raised,
            "net": summary.net.amount().to_string(),
            "vat": summary.vat.amount().to_string(),
            "total": summary.total.amount().to_string(),
            "skipped": summary.skipped,
        });
        say!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        say!(
            "Raised {} invoices for {} {} ({} issued, {} waiting for a PO), total {}; {} charges were already raised.",
            summary.invoices,
            year,
            summary.period,
            summary.issued,
            summary.waiting_for_po,
            summary.total,
            summary.already_raised
        );
        for skipped in &summary.skipped {
            say!("Skipped {} (URN {}): {}", skipped.school_name, skipped.urn, skipped.reason);
        }
    }
    Ok(ExitCode::SUCCESS)
}
