//! Credit notes: load what an invoice has left, plan the note (pure), commit it in one transaction.

use super::super::audit::{self, Event};
use super::super::partnerships::Partnership;
use super::super::{FieldError, ServiceError, begin_write, to_stored_pence};
use super::numbering::{CREDIT_NOTE, allocate_number};
use super::{InvoiceScope, get, in_scope, stored};
use crate::domain::credit::{
    CreditError, CreditPlan, Credited, allocate_amount, everything_left, left_by_line, plan_credit,
};
use crate::domain::invoice::{InvoiceStatus, Line, RateTotal, Totals, document_number};
use crate::domain::money::Money;
use crate::domain::text::{self, MAX_REASON_CHARS};
use crate::domain::vat::VatRate;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{credit_note, credit_note_line, credit_note_rate, invoice};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde::Serialize;

/// What to credit: every line's remainder, or chosen amounts (net) on chosen lines.
#[derive(Debug, Clone)]
pub enum CreditAmounts {
    Everything,
    /// (invoice line id, net amount); each line at most once.
    Lines(Vec<(i64, Money)>),
    /// A net amount, spread over the lines in order, each up to what is left on it.
    Amount(Money),
}

/// Who raises a credit note, when, and why.
#[derive(Debug, Clone, Copy)]
pub struct CreditRequest<'a> {
    pub reason: &'a str,
    pub user_id: Option<i64>,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}

fn invalid(field: &str, e: CreditError) -> ServiceError {
    ServiceError::Invalid(vec![FieldError { field: field.into(), message: e.to_string() }])
}

/// Raises a credit note against an issued invoice, never for more than is left on any line, rate
/// or the invoice (see [`crate::domain::credit`]). Crediting everything left gives back exactly
/// the VAT left, so voiding leaves nothing owed.
pub async fn credit<C>(
    db: &C,
    partnership: &Partnership,
    invoice_id: i64,
    amounts: &CreditAmounts,
    request: CreditRequest<'_>,
) -> Result<credit_note::Model, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let reason = text::required(request.reason, MAX_REASON_CHARS, "Say why the invoice is credited")
        .map_err(|message| ServiceError::invalid("reason", message))?;
    let txn = begin_write(db).await?;
    let view = get(&txn, partnership.id, invoice_id, &InvoiceScope::All, request.today).await?;
    if view.status != InvoiceStatus::Issued {
        return Err(ServiceError::Conflict(
            "only an issued invoice can be credited; a draft can simply be left unissued".into(),
        ));
    }
    crate::services::ledger::lock_payers(&txn, partnership.id, &[view.payer_id]).await?;
    let view = get(&txn, partnership.id, invoice_id, &InvoiceScope::All, request.today).await?;
    let invoice_lines: Vec<Line> = view.lines.iter().map(super::LineView::line).collect();
    let credited =
        credited_of(&txn, &view.lines.iter().map(|l| l.id).collect::<Vec<_>>(), invoice_id).await?;
    let asks: Vec<(usize, Money)> = match amounts {
        CreditAmounts::Everything => everything_left(&invoice_lines, &credited),
        CreditAmounts::Amount(amount) => allocate_amount(&left_by_line(&invoice_lines, &credited), *amount)
            .map_err(|e| invalid("amount", e))?,
        CreditAmounts::Lines(chosen) => {
            let mut asks = Vec::new();
            for (line_id, amount) in chosen {
                let index = view.lines.iter().position(|l| l.id == *line_id).ok_or_else(|| {
                    ServiceError::invalid("lines", format!("line {line_id} is not on this invoice"))
                })?;
                asks.push((index, *amount));
            }
            asks
        }
    };
    let vat_registered = view.supplier_vat_number.is_some();
    let plan = plan_credit(&invoice_lines, &view.totals, &credited, &asks, vat_registered).map_err(|e| {
        let field = match e {
            CreditError::MoreThanInvoiceLeft { .. } | CreditError::Nothing => "amount",
            _ => "lines",
        };
        invalid(field, e)
    })?;
    let creditable = view.money.creditable();
    if plan.totals.gross > creditable {
        return Err(ServiceError::invalid(
            "amount",
            format!(
                "{} was written off, so at most {creditable} can be credited; {} is more than that",
                view.money.written_off, plan.totals.gross
            ),
        ));
    }
    let voids = plan.totals.gross == creditable;
    let note = write_note(&txn, partnership, invoice_id, &view.lines, &plan, &reason, request).await?;
    let actor =
        crate::services::ledger::Actor { user_id: request.user_id, today: request.today, now: request.now };
    crate::services::ledger::after_credit(&txn, invoice_id, &note.number, actor).await?;
    audit::record(
        &txn,
        Event {
            partnership_id: partnership.id,
            user_id: request.user_id,
            action: if voids { "invoice.credited_in_full" } else { "invoice.credited" },
            entity: "invoice",
            entity_id: invoice_id,
            before: Some(serde_json::json!({"outstanding": view.outstanding})),
            after: Some(serde_json::json!({"credit_note": note.number, "gross": plan.totals.gross, "reason": reason, "outstanding": (view.outstanding - plan.totals.gross).max(Money::ZERO)})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(note)
}

async fn write_note(
    txn: &impl ConnectionTrait,
    partnership: &Partnership,
    invoice_id: i64,
    invoice_lines: &[super::LineView],
    plan: &CreditPlan,
    reason: &str,
    request: CreditRequest<'_>,
) -> Result<credit_note::Model, ServiceError> {
    let sequence = allocate_number(txn, partnership.id, CREDIT_NOTE).await?;
    let note = credit_note::ActiveModel {
        partnership_id: Set(partnership.id),
        invoice_id: Set(invoice_id),
        number: Set(document_number(&partnership.credit_note_prefix, sequence)),
        sequence: Set(sequence),
        reason: Set(reason.to_string()),
        issue_date: Set(request.today),
        net_pence: Set(to_stored_pence("amount", plan.totals.net)?),
        vat_pence: Set(to_stored_pence("amount", plan.totals.vat)?),
        gross_pence: Set(to_stored_pence("amount", plan.totals.gross)?),
        created_by_user_id: Set(request.user_id),
        created_at: Set(request.now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    for (index, line) in &plan.lines {
        credit_note_line::ActiveModel {
            credit_note_id: Set(note.id),
            invoice_line_id: Set(invoice_lines[*index].id),
            description: Set(line.description.clone()),
            net_pence: Set(to_stored_pence("amount", line.net)?),
            vat_rate: Set(line.vat_rate.as_str().to_string()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    for rate in &plan.totals.by_rate {
        credit_note_rate::ActiveModel {
            credit_note_id: Set(note.id),
            vat_rate: Set(rate.rate.as_str().to_string()),
            net_pence: Set(to_stored_pence("amount", rate.net)?),
            vat_pence: Set(to_stored_pence("amount", rate.vat)?),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(note)
}

/// What earlier credit notes took from an invoice, per line (in `line_ids` order) and per rate.
async fn credited_of(
    db: &impl ConnectionTrait,
    line_ids: &[i64],
    invoice_id: i64,
) -> Result<Credited, ServiceError> {
    let note_ids: Vec<i64> = credit_note::Entity::find()
        .filter(credit_note::Column::InvoiceId.eq(invoice_id))
        .all(db)
        .await?
        .into_iter()
        .map(|n| n.id)
        .collect();
    let mut credited = Credited::nothing(line_ids.len());
    for l in credit_note_line::Entity::find()
        .filter(credit_note_line::Column::CreditNoteId.is_in(note_ids.clone()))
        .all(db)
        .await?
    {
        if let Some(index) = line_ids.iter().position(|id| *id == l.invoice_line_id) {
            credited.net_by_line[index] = credited.net_by_line[index] + Money::from_pence(l.net_pence);
        }
    }
    for r in rates_of(db, &note_ids).await?.into_iter().flat_map(|(_, rates)| rates) {
        let entry = credited.by_rate.entry(r.rate).or_insert((Money::ZERO, Money::ZERO));
        *entry = (entry.0 + r.net, entry.1 + r.vat);
    }
    Ok(credited)
}

/// The rates of each credit note, as issued.
async fn rates_of(
    db: &impl ConnectionTrait,
    note_ids: &[i64],
) -> Result<Vec<(i64, Vec<RateTotal>)>, ServiceError> {
    let mut by_note: Vec<(i64, Vec<RateTotal>)> = note_ids.iter().map(|id| (*id, Vec::new())).collect();
    for row in credit_note_rate::Entity::find()
        .filter(credit_note_rate::Column::CreditNoteId.is_in(note_ids.to_vec()))
        .order_by_asc(credit_note_rate::Column::Id)
        .all(db)
        .await?
    {
        let rate = RateTotal::try_from(&row)?;
        if let Some((_, rates)) = by_note.iter_mut().find(|(id, _)| *id == row.credit_note_id) {
            rates.push(rate);
        }
    }
    Ok(by_note)
}

/// A credit note with what it credits, for its page and PDF.
#[derive(Debug, Clone, Serialize)]
pub struct CreditNoteView {
    pub id: i64,
    pub number: String,
    pub issue_date: NaiveDate,
    pub reason: String,
    pub invoice_id: i64,
    pub invoice_number: Option<String>,
    pub payer_name: String,
    pub payer_address: String,
    pub supplier_name: String,
    pub supplier_address: String,
    pub supplier_vat_number: Option<String>,
    pub supplier_company_number: Option<String>,
    pub supplier_registered_office: Option<String>,
    pub lines: Vec<(String, VatRate, Money)>,
    pub totals: Totals,
}

/// One credit note, if the scope reaches its invoice.
pub async fn get_credit_note(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
    scope: &InvoiceScope,
) -> Result<CreditNoteView, ServiceError> {
    let note = credit_note::Entity::find_by_id(id)
        .filter(credit_note::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("credit note {id}")))?;
    let inv = invoice::Entity::find_by_id(note.invoice_id)
        .one(db)
        .await?
        .filter(|m| in_scope(scope, m))
        .ok_or_else(|| ServiceError::NotFound(format!("credit note {id}")))?;
    let mut lines = Vec::new();
    for l in credit_note_line::Entity::find()
        .filter(credit_note_line::Column::CreditNoteId.eq(note.id))
        .order_by_asc(credit_note_line::Column::Id)
        .all(db)
        .await?
    {
        let rate = stored::vat_rate("credit_note_lines", &l.vat_rate)?;
        lines.push((l.description, rate, Money::from_pence(l.net_pence)));
    }
    let by_rate = rates_of(db, &[note.id]).await?.into_iter().flat_map(|(_, r)| r).collect();
    Ok(CreditNoteView {
        id: note.id,
        number: note.number,
        issue_date: note.issue_date,
        reason: note.reason,
        invoice_id: inv.id,
        invoice_number: inv.number,
        payer_name: inv.payer_name,
        payer_address: inv.payer_address,
        supplier_name: inv.supplier_name,
        supplier_address: inv.supplier_address,
        supplier_vat_number: inv.supplier_vat_number,
        supplier_company_number: inv.supplier_company_number,
        supplier_registered_office: inv.supplier_registered_office,
        lines,
        totals: Totals {
            net: Money::from_pence(note.net_pence),
            vat: Money::from_pence(note.vat_pence),
            gross: Money::from_pence(note.gross_pence),
            by_rate,
        },
    })
}
