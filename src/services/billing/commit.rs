//! Committing a run: every planned invoice written and issued (or held for a PO) in batches, one
//! transaction each, with the run's record updated in the same transaction.

use super::super::partnerships::Partnership;
use super::super::{ServiceError, begin_write, invoices, to_stored_pence};
use super::runs;
use super::{PlannedInvoice, PlannedLine, RunPlan, Skipped, plan};
use crate::domain::invoice::InvoiceStatus as Status;
use crate::domain::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{audit_entry, invoice, invoice_line, payer};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set,
    SqlErr, TransactionSession, TransactionTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Who runs billing, on which day (the invoices' date of issue) and at what moment.
#[derive(Debug, Clone, Copy)]
pub struct RunBy {
    pub user_id: Option<i64>,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}

impl RunBy {
    /// A run by `user_id` at the clock's time.
    pub fn at(user_id: Option<i64>, clock: &crate::clock::Clock) -> RunBy {
        RunBy { user_id, today: clock.today(), now: clock.now() }
    }

    /// A run on `today` (tests and benchmarks that bill a given day).
    pub fn on(today: NaiveDate) -> RunBy {
        let now = today.and_hms_opt(9, 0, 0).map_or_else(Utc::now, |t| t.and_utc());
        RunBy { user_id: None, today, now }
    }
}

/// What a committed run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run_id: i64,
    pub year: String,
    pub period: String,
    /// Invoices this run raised (issued or held for a PO).
    pub invoices: usize,
    pub issued: usize,
    pub waiting_for_po: usize,
    /// Charges another run raised first, or that were raised before.
    pub already_raised: usize,
    pub skipped: Vec<Skipped>,
    pub net: Money,
    pub vat: Money,
    pub total: Money,
}

fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// How a run writes its invoices.
#[derive(Debug, Clone, Copy)]
pub struct CommitOptions {
    /// Invoices written per transaction: a killed run loses at most one batch, which the next
    /// run raises again; smaller batches report progress more often.
    pub batch_size: usize,
    /// The run's record when the caller started it (a run from the billing page); otherwise one
    /// is started here.
    pub run_id: Option<i64>,
}

impl Default for CommitOptions {
    fn default() -> CommitOptions {
        CommitOptions { batch_size: 1000, run_id: None }
    }
}

/// Raises the period's invoices: each batch in its own transaction, issued at once unless its
/// payer is waiting for a PO. `progress(done, total)` is called after each batch.
pub async fn commit<C>(
    db: &C,
    partnership: &Partnership,
    year: &str,
    period: &str,
    by: RunBy,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<RunSummary, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    commit_with(db, partnership, year, period, by, CommitOptions::default(), progress).await
}

/// [`commit`] with chosen options. A run that stops with an error has its record marked failed
/// with the reason; the batches it committed stay, and running again raises the rest.
pub async fn commit_with<C>(
    db: &C,
    partnership: &Partnership,
    year: &str,
    period: &str,
    by: RunBy,
    options: CommitOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<RunSummary, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let planned = match plan(db, partnership, year, period).await {
        Ok(planned) => planned,
        Err(e) => {
            if let Some(run_id) = options.run_id {
                runs::finish_run(db, run_id, Some(&e.to_string()), by.now).await?;
            }
            return Err(e);
        }
    };
    let run_id = match options.run_id {
        Some(id) => id,
        None => {
            let count = planned.invoices.len();
            runs::start_run(db, partnership.id, year, &planned.period, count, by.user_id, by.now).await?
        }
    };
    match raise_all(db, partnership, &planned, run_id, by, options, progress).await {
        Ok(summary) => {
            runs::finish_run(db, run_id, None, by.now).await?;
            Ok(summary)
        }
        Err(e) => {
            let reason = match &e {
                ServiceError::Database(_) => "The database refused a write.".to_string(),
                other => other.to_string(),
            };
            runs::finish_run(db, run_id, Some(&reason), by.now).await?;
            Err(e)
        }
    }
}

async fn raise_all<C>(
    db: &C,
    partnership: &Partnership,
    planned: &RunPlan,
    run_id: i64,
    by: RunBy,
    options: CommitOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<RunSummary, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let pause = std::env::var("PB_BILLING_PAUSE_MS").ok().and_then(|v| v.parse::<u64>().ok());
    let mut summary = RunSummary {
        run_id,
        year: planned.year.clone(),
        period: planned.period.clone(),
        invoices: 0,
        issued: 0,
        waiting_for_po: 0,
        already_raised: planned.already_raised,
        skipped: planned.skipped.clone(),
        net: Money::ZERO,
        vat: Money::ZERO,
        total: Money::ZERO,
    };
    let count = planned.invoices.len() as u64;
    let started = std::time::Instant::now();
    let payers = ensure_payers(db, partnership.id, planned).await?;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "billing run: payers ready");
    let mut done = 0u64;
    let account = |summary: &mut RunSummary, invoice: &PlannedInvoice, status: Status| {
        summary.invoices += 1;
        match status {
            Status::Issued => summary.issued += 1,
            _ => summary.waiting_for_po += 1,
        }
        summary.net = summary.net + invoice.totals.net;
        summary.vat = summary.vat + invoice.totals.vat;
        summary.total = summary.total + invoice.totals.gross;
    };
    for chunk in planned.invoices.chunks(options.batch_size.max(1)) {
        match raise_batch(db, partnership, planned, chunk, &payers, run_id, by).await {
            Ok(statuses) => {
                for (invoice, status) in chunk.iter().zip(statuses) {
                    account(&mut summary, invoice, status);
                }
            }
            // Another run raised some of these first: raise the rest one at a time.
            Err(ServiceError::Database(e)) if is_unique_violation(&e) => {
                for invoice in chunk {
                    let one = std::slice::from_ref(invoice);
                    match raise_batch(db, partnership, planned, one, &payers, run_id, by).await {
                        Ok(statuses) => {
                            for status in statuses {
                                account(&mut summary, invoice, status);
                            }
                        }
                        Err(ServiceError::Database(e)) if is_unique_violation(&e) => {
                            summary.already_raised += invoice.lines.len()
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
        done += chunk.len() as u64;
        progress(done, count);
        if let Some(ms) = pause {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
    }
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "billing run: invoices written");
    Ok(summary)
}

/// Creates, in one transaction, every payer the plan needs that does not exist yet.
async fn ensure_payers<C>(
    db: &C,
    partnership_id: i64,
    plan: &RunPlan,
) -> Result<HashMap<String, payer::Model>, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let known = payers_by_reference(db, partnership_id).await?;
    let missing: Vec<payer::ActiveModel> = plan
        .invoices
        .iter()
        .filter(|i| !known.contains_key(&i.payer_reference))
        .map(|i| payer::ActiveModel {
            partnership_id: Set(partnership_id),
            kind: Set(i.payer_kind.as_str().to_string()),
            reference: Set(i.payer_reference.clone()),
            name: Set(i.payer_name.clone()),
            address: Set(i.payer_address.clone()),
            email: Set(None),
            requires_po: Set(false),
            ..Default::default()
        })
        .collect();
    if missing.is_empty() {
        return Ok(known);
    }
    let txn = begin_write(db).await?;
    for batch in in_batches(missing) {
        match payer::Entity::insert_many(batch).exec(&txn).await {
            Ok(_) => {}
            // A concurrent run created the same payers: use theirs.
            Err(e) if is_unique_violation(&e) => {
                drop(txn);
                return payers_by_reference(db, partnership_id).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    txn.commit().await?;
    payers_by_reference(db, partnership_id).await
}

async fn payers_by_reference(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<HashMap<String, payer::Model>, ServiceError> {
    Ok(payer::Entity::find()
        .filter(payer::Column::PartnershipId.eq(partnership_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.reference.clone(), p))
        .collect())
}

/// Rows per INSERT statement, under SQLite's limit on bound values.
const BATCH: usize = 500;

/// `rows` in INSERT-sized batches, moved rather than copied.
fn in_batches<T>(rows: Vec<T>) -> impl Iterator<Item = Vec<T>> {
    let mut rows = rows.into_iter().peekable();
    std::iter::from_fn(move || {
        rows.peek()?;
        Some(rows.by_ref().take(BATCH).collect())
    })
}

/// Writes a batch of invoices in one transaction: numbers for the issued ones taken as one
/// block, invoices, lines and audit entries inserted many at a time.
#[allow(clippy::too_many_arguments)]
async fn raise_batch<C>(
    db: &C,
    partnership: &Partnership,
    plan: &RunPlan,
    chunk: &[PlannedInvoice],
    payers: &HashMap<String, payer::Model>,
    run_id: i64,
    by: RunBy,
) -> Result<Vec<Status>, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_write(db).await?;
    let payer_of = |i: &PlannedInvoice| {
        payers
            .get(&i.payer_reference)
            .ok_or_else(|| ServiceError::NotFound(format!("payer {}", i.payer_reference)))
    };
    let mut held = Vec::new();
    let mut pos = HashMap::new();
    for i in chunk {
        let payer = payer_of(i)?;
        let po = if payer.requires_po {
            crate::services::payers::po_number(&txn, payer.id, &plan.year).await?
        } else {
            i.po_number.clone()
        };
        held.push(payer.requires_po && po.is_none());
        pos.insert(i.payer_reference.clone(), po);
    }
    let to_issue = held.iter().filter(|h| !**h).count() as i64;
    let mut next_sequence = if to_issue > 0 {
        invoices::allocate_block(&txn, partnership.id, invoices::INVOICE, to_issue).await?
    } else {
        0
    };
    let (today, now) = (by.today, by.now);
    let due = partnership.due_date(today);
    let mut models = Vec::new();
    let mut statuses = Vec::new();
    for (i, waiting) in chunk.iter().zip(&held) {
        let payer = payer_of(i)?;
        let (status, sequence) = if *waiting {
            (Status::WaitingForPo, None)
        } else {
            next_sequence += 1;
            (Status::Issued, Some(next_sequence - 1))
        };
        statuses.push(status);
        let issued = status == Status::Issued;
        models.push(invoice::ActiveModel {
            partnership_id: Set(partnership.id),
            payer_id: Set(payer.id),
            billing_run_id: Set(Some(run_id)),
            source_key: Set(source_key(plan, i)),
            year: Set(plan.year.clone()),
            period: Set(plan.period.clone()),
            status: Set(status.as_str().to_string()),
            number: Set(
                sequence.map(|s| crate::domain::invoice::document_number(&partnership.invoice_prefix, s))
            ),
            sequence: Set(sequence),
            issue_date: Set(issued.then_some(today)),
            supply_date: Set(issued.then_some(today)),
            due_date: Set(issued.then_some(due)),
            period_start: Set(plan.period_start),
            period_end: Set(plan.period_end),
            po_number: Set(pos.get(&i.payer_reference).cloned().flatten()),
            payer_name: Set(payer.name.clone()),
            payer_address: Set(payer.address.clone()),
            supplier_name: Set(partnership.name.clone()),
            supplier_address: Set(partnership.address.clone()),
            supplier_company_number: Set(partnership.company_number.clone()),
            supplier_registered_office: Set(partnership.registered_office.clone()),
            supplier_vat_number: Set(partnership.vat_number.clone().filter(|_| partnership.vat_registered())),
            net_pence: Set(to_stored_pence("total", i.totals.net)?),
            vat_pence: Set(to_stored_pence("total", i.totals.vat)?),
            gross_pence: Set(to_stored_pence("total", i.totals.gross)?),
            outstanding_pence: Set(to_stored_pence("total", i.totals.gross)?),
            created_at: Set(now),
            issued_at: Set(issued.then_some(now)),
            ..Default::default()
        });
    }
    for batch in in_batches(models) {
        invoice::Entity::insert_many(batch).exec(&txn).await?;
    }
    let keys: Vec<String> = chunk.iter().map(|i| source_key(plan, i)).collect();
    let ids: HashMap<String, (i64, Option<String>)> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::SourceKey)
        .column(invoice::Column::Id)
        .column(invoice::Column::Number)
        .filter(invoice::Column::PartnershipId.eq(partnership.id))
        .filter(invoice::Column::SourceKey.is_in(keys.clone()))
        .into_tuple::<(String, i64, Option<String>)>()
        .all(&txn)
        .await?
        .into_iter()
        .map(|(key, id, number)| (key, (id, number)))
        .collect();
    let mut lines = Vec::new();
    let mut issued_numbers = Vec::new();
    let mut issued_ids = Vec::new();
    let mut gross = Money::ZERO;
    for (i, key) in chunk.iter().zip(&keys) {
        let (invoice_id, number) =
            ids.get(key).cloned().ok_or_else(|| ServiceError::NotFound("the new invoice".into()))?;
        for (position, line) in i.lines.iter().enumerate() {
            lines.push(line_model(invoice_id, position, line)?);
        }
        if let Some(number) = number {
            issued_numbers.push(number);
            issued_ids.push(invoice_id);
            gross = gross + i.totals.gross;
        }
    }
    for batch in in_batches(lines) {
        invoice_line::Entity::insert_many(batch).exec(&txn).await?;
    }
    // One audit entry for the batch: the run issued these numbers, for this much, in one go.
    if let (Some(first), Some(last)) = (issued_numbers.first(), issued_numbers.last()) {
        audit_entry::ActiveModel {
            partnership_id: Set(partnership.id),
            user_id: Set(by.user_id),
            at: Set(now),
            action: Set("invoices.issued".into()),
            entity: Set("billing_run".into()),
            entity_id: Set(run_id),
            before_json: Set(None),
            after_json: Set(Some(
                serde_json::json!({
                    "year": plan.year, "period": plan.period, "count": issued_numbers.len(),
                    "numbers": format!("{first} to {last}"), "invoice_ids": issued_ids, "gross": gross,
                })
                .to_string(),
            )),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let raised: Money = chunk.iter().map(|i| i.totals.gross).sum();
    runs::record_batch(&txn, run_id, chunk.len(), raised, now).await?;
    txn.commit().await?;
    Ok(statuses)
}

fn line_model(
    invoice_id: i64,
    position: usize,
    line: &PlannedLine,
) -> Result<invoice_line::ActiveModel, ServiceError> {
    Ok(invoice_line::ActiveModel {
        invoice_id: Set(invoice_id),
        position: Set(position as i32 + 1),
        description: Set(line.description.clone()),
        quantity: Set("1".into()),
        unit_price_pence: Set(to_stored_pence("net", line.net)?),
        net_pence: Set(to_stored_pence("net", line.net)?),
        vat_rate: Set(line.vat_rate.as_str().to_string()),
        school_id: Set(Some(line.school_id)),
        source_kind: Set("membership".into()),
        source_id: Set(line.membership_id),
        charge_key: Set(Some(line.charge_key.clone())),
        ..Default::default()
    })
}

fn source_key(plan: &RunPlan, planned: &PlannedInvoice) -> String {
    let mut keys: Vec<&str> = planned.lines.iter().map(|l| l.charge_key.as_str()).collect();
    keys.sort();
    let digest = hex::encode(Sha256::digest(keys.join("|").as_bytes()));
    format!("membership:{}:{}:{}:{}", plan.year, plan.period, planned.payer_reference, &digest[..16])
}
