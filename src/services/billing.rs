//! Billing runs: preview what a period's membership invoices would be, then commit them.
//!
//! Each invoice is written and issued in its own transaction, and every line carries a unique
//! charge key (membership, year, period), so a run that is re-run raises nothing twice, a run
//! killed part-way resumes without gaps or duplicates, and two runs at once cannot raise the
//! same charge: the database refuses the second.

use super::invoices;
use super::memberships::{self, PaidBy};
use super::partnerships::Partnership;
use super::{FieldError, ServiceError, offers, register};
use crate::domain::billing::{ChargeError, MembershipTerms, Period, find_period, period_charge, periods};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::fees::Discounts;
use crate::domain::invoice::InvoiceStatus as Status;
use crate::domain::invoice::{Line, LineSource, Totals, totals};
use crate::domain::money::Money;
use crate::domain::partnership::MembershipYear;
use crate::domain::vat::VatRate;
use chrono::NaiveDate;
use entity::{
    audit_entry, billing_run, invoice, invoice_line, local_authority, payer, purchase_order, school, trust,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set,
    SqlErr, TransactionSession, TransactionTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One line a run would raise.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedLine {
    pub urn: i32,
    pub school_name: String,
    #[serde(skip)]
    pub school_id: i64,
    pub billing_phase: BillingPhase,
    pub membership_id: i64,
    pub description: String,
    pub net: Money,
    pub vat_rate: VatRate,
    pub charge_key: String,
}

/// One invoice a run would raise, to one payer.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedInvoice {
    pub payer_reference: String,
    pub payer_kind: PaidBy,
    pub payer_name: String,
    pub payer_address: String,
    pub lines: Vec<PlannedLine>,
    pub totals: Totals,
    /// The payer needs a PO and has not given one for the year: the invoice will be held.
    pub waiting_for_po: bool,
    pub po_number: Option<String>,
}

/// A school the run leaves out, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub urn: i32,
    pub school_name: String,
    pub reason: String,
}

/// What a run would do.
#[derive(Debug, Clone, Serialize)]
pub struct RunPlan {
    pub year: String,
    pub period: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub invoices: Vec<PlannedInvoice>,
    pub skipped: Vec<Skipped>,
    /// Charges for this period already on earlier invoices (raised by an earlier run).
    pub already_raised: usize,
    pub by_phase: Vec<(BillingPhase, Money)>,
    pub by_payer: Vec<(String, Money)>,
    pub net: Money,
    pub vat: Money,
    pub total: Money,
}

fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
}

/// The membership year and billing period a run is for, checked against the offer.
pub async fn resolve_period(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    year: &str,
    period: &str,
) -> Result<(offers::Offer, MembershipYear, Period), ServiceError> {
    let my = MembershipYear::parse(partnership.year_kind, year)
        .ok_or_else(|| invalid("year", format!("\"{year}\" is not a membership year like 2025-26")))?;
    let offer = offers::find(db, partnership.id, year)
        .await?
        .ok_or_else(|| invalid("year", format!("there is no membership offer for {year}")))?;
    let found = find_period(my, offer.billing_plan, period).ok_or_else(|| {
        let names: Vec<String> = periods(my, offer.billing_plan).into_iter().map(|p| p.name).collect();
        invalid(
            "period",
            format!(
                "\"{period}\" is not a billing period of {year}'s {} plan ({})",
                offer.billing_plan.as_str(),
                names.join(", ")
            ),
        )
    })?;
    Ok((offer, my, found))
}

/// Works out every invoice the period would raise, without writing anything.
pub async fn plan(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    year: &str,
    period: &str,
) -> Result<RunPlan, ServiceError> {
    let (offer, my, period) = resolve_period(db, partnership, year, period).await?;
    let memberships = memberships::of_offer(db, offer.id).await?;
    // One query each for the partnership's schools and pupil figures: a run touches most of them.
    let schools: HashMap<i64, school::Model> = school::Entity::find()
        .filter(school::Column::PartnershipId.eq(partnership.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let figures = register::pupil_figures_of_partnership(db, partnership.id).await?;
    let trusts: HashMap<i64, String> = trust::Entity::find()
        .filter(trust::Column::PartnershipId.eq(partnership.id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let councils: HashMap<i64, String> = local_authority::Entity::find()
        .filter(local_authority::Column::PartnershipId.eq(partnership.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let payers: HashMap<String, payer::Model> = memberships::payers(db, partnership.id)
        .await?
        .into_iter()
        .map(|p| (p.reference.clone(), p))
        .collect();
    let pos: HashMap<i64, String> = purchase_order::Entity::find()
        .filter(purchase_order::Column::Year.eq(year))
        .filter(purchase_order::Column::PayerId.is_in(payers.values().map(|p| p.id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.payer_id, p.po_number))
        .collect();
    // Charges of this period already on invoices (raised by an earlier or concurrent run).
    let raised: HashSet<String> = invoice_line::Entity::find()
        .filter(
            invoice_line::Column::InvoiceId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(invoice::Column::Id)
                    .from(invoice::Entity)
                    .and_where(invoice::Column::PartnershipId.eq(partnership.id))
                    .and_where(invoice::Column::Year.eq(year))
                    .and_where(invoice::Column::Period.eq(period.name.as_str()))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .filter_map(|l| l.charge_key)
        .collect();
    let levels: HashMap<i64, &offers::Level> = offer.levels.iter().map(|l| (l.id, l)).collect();
    let mut grouped: BTreeMap<String, PlannedInvoice> = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut already_raised = 0;
    for m in &memberships {
        let (Some(s), Some(level)) = (schools.get(&m.school_id), levels.get(&m.level_id)) else { continue };
        let key = charge_key(m.id, year, &period.name);
        if raised.contains(&key) {
            already_raised += 1;
            continue;
        }
        let paid_by = PaidBy::parse(&m.paid_by).unwrap_or(PaidBy::School);
        let start = s.open_date.map_or(m.starts_on, |open| open.max(m.starts_on));
        let end = match (m.ends_on, s.close_date) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let pupils_on = start.max(my.first_day());
        let pupils = register::pupils_in_force(&figures, s.id, pupils_on).map(|p| p.max(0) as u32);
        let phase = BillingPhase::parse(&s.billing_phase).unwrap_or(BillingPhase::Other);
        let discounts = Discounts {
            trust_percent: if paid_by == PaidBy::Trust {
                offer.discounts.trust_percent
            } else {
                Default::default()
            },
            first_year_percent: if m.first_year {
                offer.discounts.first_year_percent
            } else {
                Default::default()
            },
        };
        let terms = MembershipTerms {
            title: format!("Membership {year}, {}: {}", level.name, s.name),
            rule: &level.rule,
            phase,
            pupils,
            discounts,
            unit: offer.pro_rata_unit,
            start,
            end,
        };
        let charge = match period_charge(&terms, my, offer.billing_plan, &period) {
            Ok(Some(c)) => c,
            Ok(None) => continue,
            Err(e) => {
                let reason = match e {
                    ChargeError::Unpriced(u) => u.to_string(),
                    other => other.to_string(),
                };
                skipped.push(Skipped { urn: s.urn, school_name: s.name.clone(), reason });
                continue;
            }
        };
        let (reference, payer_name, new_address) = match paid_by {
            PaidBy::School => (
                format!("school:{}", s.id),
                s.name.clone(),
                [s.name.clone(), s.postcode.clone().unwrap_or_default()].join("\n").trim().to_string(),
            ),
            PaidBy::Trust => match s.trust_id.and_then(|t| trusts.get(&t).map(|n| (t, n))) {
                Some((t, name)) => (format!("trust:{t}"), name.clone(), format!("{name}\nFinance team")),
                None => {
                    skipped.push(Skipped {
                        urn: s.urn,
                        school_name: s.name.clone(),
                        reason: "paid by its trust, but it has no trust".into(),
                    });
                    continue;
                }
            },
            PaidBy::Council => {
                let council = councils.get(&s.local_authority_id).cloned().unwrap_or_default();
                (
                    format!("council:{}", s.local_authority_id),
                    format!("{council} Council"),
                    format!("{council} Council\nSchools Finance"),
                )
            }
        };
        let existing_payer = payers.get(&reference);
        let po_number = existing_payer.and_then(|p| pos.get(&p.id).cloned());
        let entry = grouped.entry(reference.clone()).or_insert_with(|| PlannedInvoice {
            payer_reference: reference.clone(),
            payer_kind: paid_by,
            payer_address: existing_payer.map(|p| p.address.clone()).unwrap_or(new_address),
            payer_name: existing_payer.map(|p| p.name.clone()).unwrap_or(payer_name),
            lines: Vec::new(),
            totals: totals(&[], false),
            waiting_for_po: existing_payer.is_some_and(|p| p.requires_po) && po_number.is_none(),
            po_number,
        });
        entry.lines.push(PlannedLine {
            urn: s.urn,
            school_name: s.name.clone(),
            school_id: s.id,
            billing_phase: phase,
            membership_id: m.id,
            description: charge.description,
            net: charge.net,
            vat_rate: level.vat_rate,
            charge_key: key,
        });
    }
    let vat_registered = partnership.vat_registered();
    let mut invoices: Vec<PlannedInvoice> = grouped.into_values().collect();
    let mut by_phase: BTreeMap<BillingPhase, Money> = BTreeMap::new();
    let mut by_payer = Vec::new();
    for inv in &mut invoices {
        inv.lines.sort_by(|a, b| a.school_name.cmp(&b.school_name).then(a.urn.cmp(&b.urn)));
        inv.totals = totals(&domain_lines(&inv.lines), vat_registered);
        for line in &inv.lines {
            *by_phase.entry(line.billing_phase).or_default() =
                by_phase.get(&line.billing_phase).copied().unwrap_or_default() + line.net;
        }
        by_payer.push((inv.payer_name.clone(), inv.totals.gross));
    }
    invoices.sort_by(|a, b| a.payer_name.cmp(&b.payer_name));
    by_payer.sort();
    skipped.sort_by(|a, b| a.school_name.cmp(&b.school_name));
    let net = invoices.iter().map(|i| i.totals.net).sum();
    let vat = invoices.iter().map(|i| i.totals.vat).sum();
    let total = invoices.iter().map(|i| i.totals.gross).sum();
    Ok(RunPlan {
        year: year.to_string(),
        period: period.name.clone(),
        period_start: period.first_day,
        period_end: period.last_day,
        invoices,
        skipped,
        already_raised,
        by_phase: by_phase.into_iter().collect(),
        by_payer,
        net,
        vat,
        total,
    })
}

fn charge_key(membership_id: i64, year: &str, period: &str) -> String {
    format!("membership:{membership_id}:{year}:{period}")
}

fn domain_lines(lines: &[PlannedLine]) -> Vec<Line> {
    lines
        .iter()
        .map(|l| Line {
            description: l.description.clone(),
            quantity: rust_decimal::Decimal::ONE,
            unit_price: l.net,
            net: l.net,
            vat_rate: l.vat_rate,
            source: LineSource::Membership { membership_id: l.membership_id, period: l.charge_key.clone() },
        })
        .collect()
}

/// How a run started from the billing page is getting on.
#[derive(Debug, Clone)]
pub struct RunProgress {
    pub year: String,
    pub period: String,
    pub partnership_id: i64,
    pub raised: u64,
    pub total: u64,
    /// Set when the run has finished.
    pub summary: Option<RunSummary>,
    /// Set when the run stopped with an error.
    pub error: Option<String>,
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
    /// Invoices another run raised first, or that were raised before.
    pub already_raised: usize,
    pub skipped: Vec<Skipped>,
    pub net: Money,
    pub vat: Money,
    pub total: Money,
}

fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Raises the period's invoices: each in its own transaction, issued at once unless its payer
/// is waiting for a PO. `progress(done, total)` is called after each invoice.
pub async fn commit<C>(
    db: &C,
    partnership: &Partnership,
    year: &str,
    period: &str,
    user_id: Option<i64>,
    today: NaiveDate,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<RunSummary, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    commit_with(db, partnership, year, period, user_id, today, CommitOptions::default(), progress).await
}

/// How a run writes its invoices.
#[derive(Debug, Clone, Copy)]
pub struct CommitOptions {
    /// Invoices written per transaction: a killed run loses at most one batch, which the next
    /// run raises again; smaller batches report progress more often.
    pub batch_size: usize,
}

impl Default for CommitOptions {
    fn default() -> CommitOptions {
        CommitOptions { batch_size: 1000 }
    }
}

/// [`commit`] with chosen options.
#[allow(clippy::too_many_arguments)]
pub async fn commit_with<C>(
    db: &C,
    partnership: &Partnership,
    year: &str,
    period: &str,
    user_id: Option<i64>,
    today: NaiveDate,
    options: CommitOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<RunSummary, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let planned = plan(db, partnership, year, period).await?;
    let run = start_run(db, partnership.id, year, &planned.period, user_id).await?;
    let pause = std::env::var("PB_BILLING_PAUSE_MS").ok().and_then(|v| v.parse::<u64>().ok());
    let mut summary = RunSummary {
        run_id: run.id,
        year: year.to_string(),
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
    let payers = ensure_payers(db, partnership.id, &planned).await?;
    let mut done = 0u64;
    for chunk in planned.invoices.chunks(options.batch_size.max(1)) {
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
        match raise_batch(db, partnership, &planned, chunk, &payers, run.id, user_id, today).await {
            Ok(statuses) => {
                for (invoice, status) in chunk.iter().zip(statuses) {
                    account(&mut summary, invoice, status);
                }
            }
            // Another run raised some of these first: raise the rest one at a time.
            Err(ServiceError::Database(e)) if is_unique_violation(&e) => {
                for invoice in chunk {
                    let one = std::slice::from_ref(invoice);
                    match raise_batch(db, partnership, &planned, one, &payers, run.id, user_id, today).await {
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
    finish_run(db, run.id, &summary).await?;
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
    let txn = super::begin_write(db).await?;
    for batch in missing.chunks(BATCH) {
        match payer::Entity::insert_many(batch.to_vec()).exec(&txn).await {
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
    user_id: Option<i64>,
    today: NaiveDate,
) -> Result<Vec<Status>, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = super::begin_write(db).await?;
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
            memberships::po_number(&txn, payer.id, &plan.year).await?
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
    let now = chrono::Utc::now();
    let due = today + chrono::Days::new(Ord::max(partnership.payment_terms_days, 0) as u64);
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
            supplier_vat_number: Set(partnership.vat_number.clone().filter(|_| partnership.vat_registered())),
            net_pence: Set(i.totals.net.to_pence().unwrap_or_default()),
            vat_pence: Set(i.totals.vat.to_pence().unwrap_or_default()),
            gross_pence: Set(i.totals.gross.to_pence().unwrap_or_default()),
            created_at: Set(now),
            issued_at: Set(issued.then_some(now)),
            ..Default::default()
        });
    }
    for batch in models.chunks(BATCH) {
        invoice::Entity::insert_many(batch.to_vec()).exec(&txn).await?;
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
            lines.push(line_model(invoice_id, position, line));
        }
        if let Some(number) = number {
            issued_numbers.push(number);
            issued_ids.push(invoice_id);
            gross = gross + i.totals.gross;
        }
    }
    for batch in lines.chunks(BATCH) {
        invoice_line::Entity::insert_many(batch.to_vec()).exec(&txn).await?;
    }
    // One audit entry for the batch: the run issued these numbers, for this much, in one go.
    if let (Some(first), Some(last)) = (issued_numbers.first(), issued_numbers.last()) {
        audit_entry::ActiveModel {
            partnership_id: Set(partnership.id),
            user_id: Set(user_id),
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
    txn.commit().await?;
    Ok(statuses)
}

fn line_model(invoice_id: i64, position: usize, line: &PlannedLine) -> invoice_line::ActiveModel {
    invoice_line::ActiveModel {
        invoice_id: Set(invoice_id),
        position: Set(position as i32 + 1),
        description: Set(line.description.clone()),
        quantity: Set("1".into()),
        unit_price_pence: Set(line.net.to_pence().unwrap_or_default()),
        net_pence: Set(line.net.to_pence().unwrap_or_default()),
        vat_rate: Set(line.vat_rate.as_str().to_string()),
        school_id: Set(Some(line.school_id)),
        source_kind: Set("membership".into()),
        source_id: Set(line.membership_id),
        charge_key: Set(Some(line.charge_key.clone())),
        ..Default::default()
    }
}

async fn start_run(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
    period: &str,
    user_id: Option<i64>,
) -> Result<billing_run::Model, ServiceError> {
    let find = || {
        billing_run::Entity::find()
            .filter(billing_run::Column::PartnershipId.eq(partnership_id))
            .filter(billing_run::Column::Year.eq(year))
            .filter(billing_run::Column::Period.eq(period))
    };
    if let Some(existing) = find().one(db).await? {
        return Ok(existing);
    }
    let created = billing_run::ActiveModel {
        partnership_id: Set(partnership_id),
        year: Set(year.to_string()),
        period: Set(period.to_string()),
        status: Set("running".into()),
        started_by_user_id: Set(user_id),
        started_at: Set(chrono::Utc::now()),
        finished_at: Set(None),
        invoices_raised: Set(0),
        total_pence: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await;
    match created {
        Ok(run) => Ok(run),
        // Another run for the same period started at the same moment: share its record.
        Err(e) if is_unique_violation(&e) => {
            find().one(db).await?.ok_or_else(|| ServiceError::NotFound("billing run".into()))
        }
        Err(e) => Err(e.into()),
    }
}

async fn finish_run(
    db: &impl ConnectionTrait,
    run_id: i64,
    summary: &RunSummary,
) -> Result<(), ServiceError> {
    let Some(run) = billing_run::Entity::find_by_id(run_id).one(db).await? else { return Ok(()) };
    let raised = run.invoices_raised + summary.invoices as i32;
    let total = run.total_pence + summary.total.to_pence().unwrap_or_default();
    let mut active: billing_run::ActiveModel = run.into();
    active.status = Set("committed".into());
    active.finished_at = Set(Some(chrono::Utc::now()));
    active.invoices_raised = Set(raised);
    active.total_pence = Set(total);
    active.update(db).await?;
    Ok(())
}

fn source_key(plan: &RunPlan, planned: &PlannedInvoice) -> String {
    let mut keys: Vec<&str> = planned.lines.iter().map(|l| l.charge_key.as_str()).collect();
    keys.sort();
    let digest = hex::encode(Sha256::digest(keys.join("|").as_bytes()));
    format!("membership:{}:{}:{}:{}", plan.year, plan.period, planned.payer_reference, &digest[..16])
}

/// Records a payer's PO number for a year and issues every invoice of theirs held for it.
/// Returns the numbers issued.
pub async fn release_with_po<C>(
    db: &C,
    partnership: &Partnership,
    payer_id: i64,
    year: &str,
    po: &str,
    user_id: Option<i64>,
    today: NaiveDate,
) -> Result<Vec<String>, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = super::begin_write(db).await?;
    let payer = payer::Entity::find_by_id(payer_id)
        .filter(payer::Column::PartnershipId.eq(partnership.id))
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("payer {payer_id}")))?;
    memberships::record_po(&txn, payer.id, year, po, user_id).await?;
    let held = invoice::Entity::find()
        .filter(invoice::Column::PayerId.eq(payer.id))
        .filter(invoice::Column::Year.eq(year))
        .filter(invoice::Column::Status.eq(Status::WaitingForPo.as_str()))
        .all(&txn)
        .await?;
    let mut numbers = Vec::new();
    for draft in held {
        let issued = invoices::issue(
            &txn,
            partnership,
            draft,
            Some(po.trim().to_string()),
            today,
            chrono::Utc::now(),
            user_id,
        )
        .await?;
        numbers.extend(issued.number);
    }
    txn.commit().await?;
    Ok(numbers)
}

/// The partnership's billing runs, newest year first.
pub async fn runs(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<billing_run::Model>, ServiceError> {
    use sea_orm::QueryOrder;
    Ok(billing_run::Entity::find()
        .filter(billing_run::Column::PartnershipId.eq(partnership_id))
        .order_by_desc(billing_run::Column::Year)
        .order_by_asc(billing_run::Column::Id)
        .all(db)
        .await?)
}
