//! Accounting exports (issue 14): issued invoices and credit notes of a date range in Xero's
//! sales-invoice import, recorded so the next export can start where this one ended and made
//! again identically (issued documents never change); and the VAT summary of a quarter.

use super::audit::{self, Event};
use super::partnerships::Partnership;
use super::{ServiceError, read_stored};
use crate::domain::exports::{self as rules, Document, DocumentLine, Format, Receipt, VatSummary};
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::Money;
use crate::domain::vat::VatRate;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    contract, contract_instalment, credit_note, credit_note_line, credit_note_rate, export, invoice,
    invoice_line, order, payer, payment, service, stream_account,
};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use std::collections::HashMap;

/// The account code a line goes to when neither its service nor its income stream names one.
pub const DEFAULT_ACCOUNT: &str = "200";

/// The longest range one export covers.
const MOST_DAYS: i64 = 400;

fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), ServiceError> {
    use chrono::Datelike;
    if !(2000..=2100).contains(&from.year()) || !(2000..=2100).contains(&to.year()) {
        return Err(ServiceError::invalid("from", "Dates must be between the years 2000 and 2100"));
    }
    if to < from {
        return Err(ServiceError::invalid("to", "The end date must be on or after the start date"));
    }
    if (to - from).num_days() >= MOST_DAYS {
        return Err(ServiceError::invalid("to", "An export covers at most 400 days"));
    }
    Ok(())
}

fn stream_label(stream: &str) -> String {
    crate::domain::traded::INCOME_STREAMS
        .iter()
        .find(|(k, _)| *k == stream)
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| "Traded services".into())
}

/// Each invoice's income stream and account code by line: membership for a billing run's
/// lines, the contract's stream for a contract's, the service's for an order's.
async fn line_streams(
    db: &impl ConnectionTrait,
    lines: &[invoice_line::Model],
    codes: &HashMap<String, String>,
) -> Result<HashMap<i64, (String, String)>, ServiceError> {
    let order_ids: Vec<i64> =
        lines.iter().filter(|l| l.source_kind == "order").map(|l| l.source_id).collect();
    let instalment_ids: Vec<i64> =
        lines.iter().filter(|l| l.source_kind == "contract").map(|l| l.source_id).collect();
    let mut orders: HashMap<i64, i64> = HashMap::new();
    for chunk in order_ids.chunks(500) {
        for o in order::Entity::find().filter(order::Column::Id.is_in(chunk.to_vec())).all(db).await? {
            orders.insert(o.id, o.service_id);
        }
    }
    let services: HashMap<i64, service::Model> = service::Entity::find()
        .filter(service::Column::Id.is_in(orders.values().copied().collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut contract_of: HashMap<i64, i64> = HashMap::new();
    for chunk in instalment_ids.chunks(500) {
        for i in contract_instalment::Entity::find()
            .filter(contract_instalment::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            contract_of.insert(i.id, i.contract_id);
        }
    }
    let contracts: HashMap<i64, String> = contract::Entity::find()
        .filter(contract::Column::Id.is_in(contract_of.values().copied().collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.stream))
        .collect();
    let mut out = HashMap::new();
    for l in lines {
        let (stream, code) = match l.source_kind.as_str() {
            "membership" => ("memberships".to_string(), None),
            "contract" => (
                contract_of.get(&l.source_id).and_then(|c| contracts.get(c)).cloned().unwrap_or_default(),
                None,
            ),
            "order" => match orders.get(&l.source_id).and_then(|s| services.get(s)) {
                Some(s) => (s.income_stream.clone(), s.accounting_code.clone()),
                None => ("traded_services".to_string(), None),
            },
            _ => ("traded_services".to_string(), None),
        };
        let code = code
            .filter(|c| !c.trim().is_empty())
            .or_else(|| codes.get(&stream).cloned())
            .unwrap_or_else(|| DEFAULT_ACCOUNT.into());
        out.insert(l.id, (stream_label(&stream), code));
    }
    Ok(out)
}

/// The lines of an address as stored on a document, after the addressee's name.
fn address_lines(text: &str) -> Vec<String> {
    text.lines().skip(1).map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// The issued invoices and credit notes of `from` to `to` (by date of issue) as export
/// documents, invoices first, each in number order.
pub async fn documents(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Document>, ServiceError> {
    check_range(from, to)?;
    let invoices = invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
        .filter(invoice::Column::IssueDate.gte(from))
        .filter(invoice::Column::IssueDate.lte(to))
        .order_by_asc(invoice::Column::Sequence)
        .all(db)
        .await?;
    let notes = credit_note::Entity::find()
        .filter(credit_note::Column::PartnershipId.eq(partnership_id))
        .filter(credit_note::Column::IssueDate.gte(from))
        .filter(credit_note::Column::IssueDate.lte(to))
        .order_by_asc(credit_note::Column::Sequence)
        .all(db)
        .await?;
    let credited_ids: Vec<i64> = notes.iter().map(|n| n.invoice_id).collect();
    let mut credited: HashMap<i64, invoice::Model> = HashMap::new();
    for chunk in credited_ids.chunks(500) {
        for i in invoice::Entity::find().filter(invoice::Column::Id.is_in(chunk.to_vec())).all(db).await? {
            credited.insert(i.id, i);
        }
    }
    let mut lines: Vec<invoice_line::Model> = Vec::new();
    let ids: Vec<i64> = invoices.iter().map(|i| i.id).chain(credited.keys().copied()).collect();
    for chunk in ids.chunks(500) {
        lines.extend(
            invoice_line::Entity::find()
                .filter(invoice_line::Column::InvoiceId.is_in(chunk.to_vec()))
                .order_by_asc(invoice_line::Column::Position)
                .all(db)
                .await?,
        );
    }
    let codes: HashMap<String, String> = stream_account::Entity::find()
        .filter(stream_account::Column::PartnershipId.eq(partnership_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.stream, a.account_code))
        .collect();
    let streams = line_streams(db, &lines, &codes).await?;
    let mut by_invoice: HashMap<i64, Vec<&invoice_line::Model>> = HashMap::new();
    for l in &lines {
        by_invoice.entry(l.invoice_id).or_default().push(l);
    }
    let payer_ids: Vec<i64> = invoices.iter().chain(credited.values()).map(|i| i.payer_id).collect();
    let mut payers: HashMap<i64, payer::Model> = HashMap::new();
    for chunk in payer_ids.chunks(500) {
        for p in payer::Entity::find().filter(payer::Column::Id.is_in(chunk.to_vec())).all(db).await? {
            payers.insert(p.id, p);
        }
    }
    let email = |p: Option<&payer::Model>| {
        p.and_then(|p| p.email.clone()).and_then(|e| e.split(',').next().map(|e| e.trim().to_string()))
    };
    let mut out = Vec::with_capacity(invoices.len() + notes.len());
    for i in &invoices {
        let p = payers.get(&i.payer_id);
        let mut doc_lines = Vec::new();
        let mut as_lines = Vec::new();
        for l in by_invoice.get(&i.id).map(Vec::as_slice).unwrap_or_default() {
            let (stream, code) = streams.get(&l.id).cloned().unwrap_or_default();
            let line = crate::domain::invoice::Line::try_from(*l)?;
            doc_lines.push(DocumentLine {
                description: line.description.clone(),
                quantity: line.quantity,
                unit_amount: line.unit_price,
                vat_rate: line.vat_rate,
                account_code: code,
                stream,
            });
            as_lines.push(line);
        }
        let date = i.issue_date.unwrap_or(from);
        let t = crate::domain::invoice::totals(&as_lines, i.supplier_vat_number.is_some());
        out.push(Document {
            credit_note: false,
            payer_id: i.payer_id,
            vat_by_rate: t.by_rate.iter().map(|r| (r.rate, r.vat)).collect(),
            number: i.number.clone().unwrap_or_default(),
            contact: i.payer_name.clone(),
            email: email(p),
            address: address_lines(&i.payer_address),
            reference: i.po_number.clone(),
            date,
            due: i.due_date.unwrap_or(date),
            lines: doc_lines,
        });
    }
    let note_ids: Vec<i64> = notes.iter().map(|n| n.id).collect();
    let mut note_lines: HashMap<i64, Vec<credit_note_line::Model>> = HashMap::new();
    for chunk in note_ids.chunks(500) {
        for l in credit_note_line::Entity::find()
            .filter(credit_note_line::Column::CreditNoteId.is_in(chunk.to_vec()))
            .order_by_asc(credit_note_line::Column::Id)
            .all(db)
            .await?
        {
            note_lines.entry(l.credit_note_id).or_default().push(l);
        }
    }
    let mut note_rates: HashMap<i64, Vec<(VatRate, Money)>> = HashMap::new();
    for chunk in note_ids.chunks(500) {
        for r in credit_note_rate::Entity::find()
            .filter(credit_note_rate::Column::CreditNoteId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            let rate = crate::domain::invoice::RateTotal::try_from(&r)?;
            note_rates.entry(r.credit_note_id).or_default().push((rate.rate, rate.vat));
        }
    }
    for n in &notes {
        let Some(i) = credited.get(&n.invoice_id) else { continue };
        let p = payers.get(&i.payer_id);
        let mut doc_lines = Vec::new();
        for l in note_lines.get(&n.id).map(Vec::as_slice).unwrap_or_default() {
            let (stream, code) = streams.get(&l.invoice_line_id).cloned().unwrap_or_default();
            doc_lines.push(DocumentLine {
                description: l.description.clone(),
                quantity: Decimal::ONE,
                unit_amount: Money::from_pence(l.net_pence),
                vat_rate: read_stored::<VatRate>("credit_note_lines", "vat_rate", &l.vat_rate)?,
                account_code: code,
                stream,
            });
        }
        out.push(Document {
            credit_note: true,
            payer_id: i.payer_id,
            vat_by_rate: note_rates.remove(&n.id).unwrap_or_default(),
            number: n.number.clone(),
            contact: i.payer_name.clone(),
            email: email(p),
            address: address_lines(&i.payer_address),
            reference: i.number.clone().map(|num| format!("Credits {num}")),
            date: n.issue_date,
            due: n.issue_date,
            lines: doc_lines,
        });
    }
    Ok(out)
}

/// Payments received from `from` to `to` and not reversed, for Sage's receipts and the journal.
pub async fn receipts(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Receipt>, ServiceError> {
    let rows = payment::Entity::find()
        .filter(payment::Column::PartnershipId.eq(partnership_id))
        .filter(payment::Column::ReceivedOn.gte(from))
        .filter(payment::Column::ReceivedOn.lte(to))
        .filter(payment::Column::ReversedAt.is_null())
        .order_by_asc(payment::Column::ReceivedOn)
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|p| p.payer_id).collect();
    let mut names: HashMap<i64, String> = HashMap::new();
    for chunk in ids.chunks(500) {
        for p in payer::Entity::find().filter(payer::Column::Id.is_in(chunk.to_vec())).all(db).await? {
            names.insert(p.id, p.name);
        }
    }
    // The invoices each payment is allocated to (allocations not undone), by number.
    let mut paid: HashMap<i64, Vec<String>> = HashMap::new();
    let payment_ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    for chunk in payment_ids.chunks(500) {
        let allocations = entity::allocation::Entity::find()
            .filter(entity::allocation::Column::PaymentId.is_in(chunk.to_vec()))
            .filter(entity::allocation::Column::UndoneAt.is_null())
            .order_by_asc(entity::allocation::Column::Id)
            .all(db)
            .await?;
        let invoice_ids: Vec<i64> = allocations.iter().map(|a| a.invoice_id).collect();
        let numbers: HashMap<i64, String> = entity::invoice::Entity::find()
            .filter(entity::invoice::Column::Id.is_in(invoice_ids))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|i| i.number.map(|n| (i.id, n)))
            .collect();
        for a in allocations {
            if let Some(n) = numbers.get(&a.invoice_id) {
                let list = paid.entry(a.payment_id).or_default();
                if !list.contains(n) {
                    list.push(n.clone());
                }
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(|p| Receipt {
            payer_id: p.payer_id,
            contact: names.get(&p.payer_id).cloned().unwrap_or_default(),
            date: p.received_on,
            amount: Money::from_pence(p.amount_pence),
            method: method_words(&p.method),
            invoices: paid.remove(&p.id).unwrap_or_default(),
            reference: p.reference,
        })
        .collect())
}

/// A payment method as it reads inside a sentence: "bank transfer", "Direct Debit".
fn method_words(stored: &str) -> String {
    use crate::domain::ledger::method::PaymentMethod;
    match PaymentMethod::parse(stored) {
        Some(m @ (PaymentMethod::DirectDebit | PaymentMethod::BacsCredit)) => m.label().to_string(),
        Some(m) => m.label().to_lowercase(),
        None => "another method".into(),
    }
}

/// An export's documents, receipts (for the formats that take them) and files.
async fn made(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    format: Format,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<Document>, Vec<Receipt>, Vec<Vec<Vec<String>>>), ServiceError> {
    let docs = if format.holds_payments_only() {
        Vec::new()
    } else {
        documents(db, partnership_id, from, to).await?
    };
    let receipts =
        if format.holds_payments() { receipts(db, partnership_id, from, to).await? } else { Vec::new() };
    let files = rules::files(format, &docs, &receipts);
    Ok((docs, receipts, files))
}

/// An export as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ExportView {
    pub id: i64,
    pub format: String,
    pub format_label: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub invoices: i64,
    pub credit_notes: i64,
    pub payments: i64,
    pub files: i64,
    pub by: String,
    pub at: DateTime<Utc>,
}

fn view(e: export::Model, by: String) -> ExportView {
    ExportView {
        id: e.id,
        format_label: e.format.parse::<Format>().map(Format::label).unwrap_or("Unknown format"),
        format: e.format,
        from: e.from_date,
        to: e.to_date,
        invoices: e.invoices,
        credit_notes: e.credit_notes,
        payments: e.payments,
        files: e.files,
        by,
        at: e.created_at,
    }
}

/// Records an export of `from` to `to`: how many documents and files it holds.
pub async fn record(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    format: &str,
    from: NaiveDate,
    to: NaiveDate,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<ExportView, ServiceError> {
    let format: Format = format.parse().map_err(|_| {
        let known: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
        ServiceError::invalid(
            "format",
            format!("\"{format}\" is not an export format: use {}", known.join(", ")),
        )
    })?;
    let (docs, receipts, files) = made(db, partnership.id, format, from, to).await?;
    let notes = docs.iter().filter(|d| d.credit_note).count() as i64;
    let files = files.len() as i64;
    let made = export::ActiveModel {
        partnership_id: Set(partnership.id),
        format: Set(format.as_str().into()),
        from_date: Set(from),
        to_date: Set(to),
        invoices: Set(docs.len() as i64 - notes),
        credit_notes: Set(notes),
        payments: Set(receipts.len() as i64),
        files: Set(files),
        user_id: Set(user_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        Event {
            partnership_id: partnership.id,
            user_id,
            action: "export.made",
            entity: "export",
            entity_id: made.id,
            before: None,
            after: Some(serde_json::json!({ "format": format.label(), "from": from.to_string(), "to": to.to_string(), "documents": docs.len(), "payments": receipts.len() })),
        },
    )
    .await?;
    let by = match user_id {
        Some(id) => entity::user::Entity::find_by_id(id).one(db).await?.map(|u| u.name).unwrap_or_default(),
        None => "The system".into(),
    };
    Ok(view(made, by))
}

/// The partnership's exports, newest first, and where the next would start.
pub async fn list(db: &impl ConnectionTrait, partnership_id: i64) -> Result<Vec<ExportView>, ServiceError> {
    use sea_orm::QuerySelect;
    let rows = export::Entity::find()
        .filter(export::Column::PartnershipId.eq(partnership_id))
        .order_by_desc(export::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    let names: HashMap<i64, String> = entity::user::Entity::find()
        .filter(entity::user::Column::Id.is_in(rows.iter().filter_map(|r| r.user_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let by = r.user_id.and_then(|u| names.get(&u).cloned()).unwrap_or_else(|| "The system".into());
            view(r, by)
        })
        .collect())
}

/// File `part` (from 1) of a recorded export, as CSV, made again from the documents (issued
/// documents never change, so it is the same file).
pub async fn file(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
    part: usize,
) -> Result<(String, String), ServiceError> {
    let e = export::Entity::find_by_id(id)
        .filter(export::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("export {id}")))?;
    let format: Format = read_stored("exports", "format", &e.format)?;
    let (_, _, files) = made(db, partnership_id, format, e.from_date, e.to_date).await?;
    let count = files.len();
    let rows = match files.into_iter().nth(part.saturating_sub(1)) {
        Some(rows) if part >= 1 => rows,
        _ => return Err(ServiceError::NotFound(format!("file {part} of export {id} (it has {count})"))),
    };
    let name = format!(
        "{}-{}-to-{}-part-{part}-of-{count}.csv",
        format.as_str().replace('_', "-"),
        e.from_date,
        e.to_date
    );
    Ok((name, rules::csv(&rows)))
}

/// The VAT summary of `from` to `to`: invoices issued in it at each rate (VAT worked out per
/// invoice and rate, as on the invoice) less credit notes issued in it.
pub async fn vat_summary(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<VatSummary, ServiceError> {
    check_range(from, to)?;
    let invoices = invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(partnership.id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
        .filter(invoice::Column::IssueDate.gte(from))
        .filter(invoice::Column::IssueDate.lte(to))
        .all(db)
        .await?;
    let ids: Vec<i64> = invoices.iter().map(|i| i.id).collect();
    let mut per_invoice: HashMap<i64, Vec<crate::domain::invoice::Line>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for l in invoice_line::Entity::find()
            .filter(invoice_line::Column::InvoiceId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            per_invoice.entry(l.invoice_id).or_default().push(crate::domain::invoice::Line::try_from(&l)?);
        }
    }
    let mut parts: Vec<(VatRate, Money, Money)> = Vec::new();
    for i in &invoices {
        let lines = per_invoice.remove(&i.id).unwrap_or_default();
        // As issued: a partnership that charged no VAT on an invoice charged none.
        let t = crate::domain::invoice::totals(&lines, i.supplier_vat_number.is_some());
        parts.extend(t.by_rate.iter().map(|r| (r.rate, r.net, r.vat)));
    }
    let notes = credit_note::Entity::find()
        .filter(credit_note::Column::PartnershipId.eq(partnership.id))
        .filter(credit_note::Column::IssueDate.gte(from))
        .filter(credit_note::Column::IssueDate.lte(to))
        .all(db)
        .await?;
    let note_ids: Vec<i64> = notes.iter().map(|n| n.id).collect();
    for chunk in note_ids.chunks(500) {
        for r in credit_note_rate::Entity::find()
            .filter(credit_note_rate::Column::CreditNoteId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            let r = crate::domain::invoice::RateTotal::try_from(&r)?;
            parts.push((r.rate, -r.net, -r.vat));
        }
    }
    Ok(rules::vat_summary(&parts))
}

/// Each income stream with the account code it posts to, if set: (stream, label, code).
pub async fn account_codes(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<(&'static str, &'static str, Option<String>)>, ServiceError> {
    let set: HashMap<String, String> = stream_account::Entity::find()
        .filter(stream_account::Column::PartnershipId.eq(partnership_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.stream, a.account_code))
        .collect();
    Ok(crate::domain::traded::INCOME_STREAMS.iter().map(|(k, l)| (*k, *l, set.get(*k).cloned())).collect())
}

/// Sets the account code of each stream given (empty removes it), in one transaction, audited.
/// A code is 1 to 20 letters, digits, dots, dashes or slashes, as accounts packages allow.
pub async fn set_account_codes<C>(
    db: &C,
    partnership: &Partnership,
    codes: &[(String, String)],
    user_id: Option<i64>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + sea_orm::TransactionTrait,
{
    let mut errors = Vec::new();
    for (stream, code) in codes {
        if !crate::domain::traded::INCOME_STREAMS.iter().any(|(k, _)| k == stream) {
            errors.push(super::FieldError {
                field: stream.clone(),
                message: format!("\"{stream}\" is not an income stream"),
            });
        }
        let code = code.trim();
        if code.chars().count() > 20 || !code.chars().all(|c| c.is_ascii_alphanumeric() || ".-/".contains(c))
        {
            errors.push(super::FieldError {
                field: stream.clone(),
                message: format!(
                    "The account code for {} must be up to 20 letters, digits, dots, dashes or slashes",
                    stream_label(stream).to_lowercase()
                ),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let txn = super::begin_write(db).await?;
    for (stream, code) in codes {
        stream_account::Entity::delete_many()
            .filter(stream_account::Column::PartnershipId.eq(partnership.id))
            .filter(stream_account::Column::Stream.eq(stream.as_str()))
            .exec(&txn)
            .await?;
        if !code.trim().is_empty() {
            stream_account::ActiveModel {
                partnership_id: Set(partnership.id),
                stream: Set(stream.clone()),
                account_code: Set(code.trim().to_string()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    let words: Vec<String> = codes
        .iter()
        .map(|(s, c)| format!("{}: {}", stream_label(s), if c.trim().is_empty() { "none" } else { c.trim() }))
        .collect();
    audit::record(
        &txn,
        Event {
            partnership_id: partnership.id,
            user_id,
            action: "export.accounts_set",
            entity: "partnership",
            entity_id: partnership.id,
            before: None,
            after: Some(serde_json::json!({ "codes": words.join("; ") })),
        },
    )
    .await?;
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(())
}
