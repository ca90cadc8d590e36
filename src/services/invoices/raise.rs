//! Raising one invoice outside a billing run (a traded-service order, a late-payment claim):
//! numbered from the partnership's unbroken sequence in the caller's transaction, its totals
//! by the domain's VAT rule, its lines each with the charge it is for.

use super::numbering::{INVOICE, allocate_number};
use crate::domain::invoice::{InvoiceStatus, Line, document_number, totals};
use crate::services::partnerships::Partnership;
use crate::services::{ServiceError, to_stored_pence};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{invoice, invoice_line, payer};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

/// One line and what it charges for.
pub struct RaisedLine {
    pub line: Line,
    pub school_id: Option<i64>,
    /// order, late_payment, …
    pub source_kind: &'static str,
    pub source_id: i64,
    /// Unique: the same charge is never raised twice.
    pub charge_key: String,
}

/// An invoice to raise.
pub struct Raise {
    pub payer: payer::Model,
    /// Unique per partnership: what the invoice is for.
    pub source_key: String,
    pub year: String,
    pub period: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub po_number: Option<String>,
    pub lines: Vec<RaisedLine>,
}

/// Issues the invoice on `today` (due after the partnership's payment terms).
pub async fn raise(
    txn: &impl ConnectionTrait,
    partnership: &Partnership,
    r: Raise,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<invoice::Model, ServiceError> {
    let lines: Vec<Line> = r.lines.iter().map(|l| l.line.clone()).collect();
    let t = totals(&lines, partnership.vat_registered());
    let sequence = allocate_number(txn, partnership.id, INVOICE).await?;
    let made = invoice::ActiveModel {
        partnership_id: Set(partnership.id),
        payer_id: Set(r.payer.id),
        billing_run_id: Set(None),
        source_key: Set(r.source_key),
        year: Set(r.year),
        period: Set(r.period),
        status: Set(InvoiceStatus::Issued.as_str().into()),
        number: Set(Some(document_number(&partnership.invoice_prefix, sequence))),
        sequence: Set(Some(sequence)),
        issue_date: Set(Some(today)),
        supply_date: Set(Some(today)),
        due_date: Set(Some(partnership.due_date(today))),
        period_start: Set(r.period_start),
        period_end: Set(r.period_end),
        po_number: Set(r.po_number),
        payer_name: Set(r.payer.name.clone()),
        payer_address: Set(r.payer.address.clone()),
        supplier_name: Set(partnership.name.clone()),
        supplier_address: Set(partnership.address.clone()),
        supplier_company_number: Set(partnership.company_number.clone()),
        supplier_registered_office: Set(partnership.registered_office.clone()),
        supplier_vat_number: Set(partnership.vat_number.clone().filter(|_| partnership.vat_registered())),
        net_pence: Set(to_stored_pence("total", t.net)?),
        vat_pence: Set(to_stored_pence("total", t.vat)?),
        gross_pence: Set(to_stored_pence("total", t.gross)?),
        outstanding_pence: Set(to_stored_pence("total", t.gross)?),
        created_at: Set(now),
        issued_at: Set(Some(now)),
        reminders_paused: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    for (position, l) in r.lines.into_iter().enumerate() {
        invoice_line::ActiveModel {
            invoice_id: Set(made.id),
            position: Set(position as i32 + 1),
            description: Set(l.line.description),
            quantity: Set(l.line.quantity.normalize().to_string()),
            unit_price_pence: Set(to_stored_pence("unit price", l.line.unit_price)?),
            net_pence: Set(to_stored_pence("net", l.line.net)?),
            vat_rate: Set(l.line.vat_rate.as_str().into()),
            school_id: Set(l.school_id),
            source_kind: Set(l.source_kind.into()),
            source_id: Set(l.source_id),
            charge_key: Set(Some(l.charge_key)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(made)
}
