//! Late-payment claims: the invoices whose final reminder has gone and that are still unpaid,
//! what the partnership could claim on each under the Late Payment of Commercial Debts
//! (Interest) Act 1998, and the separate invoice finance raises for it (outside the scope of
//! VAT; one per late invoice at most).

use crate::domain::invoice::{InvoiceStatus, Line, LineSource};
use crate::domain::late_payment::{self, Claim};
use crate::domain::money::Money;
use crate::domain::vat::VatRate;
use crate::services::audit::{self, Event};
use crate::services::partnerships::Partnership;
use crate::services::{ServiceError, begin_write, reminders};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{invoice, outbox_message};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionSession,
    TransactionTrait,
};
use std::collections::HashSet;

/// The source key of the claim on an invoice: unique, so a claim is never raised twice.
fn claim_key(invoice_id: i64) -> String {
    format!("late-payment:{invoice_id}")
}

/// A claim finance could raise.
#[derive(Debug, Clone)]
pub struct ClaimRow {
    pub invoice: invoice::Model,
    pub owed: Money,
    pub claim: Claim,
}

/// The late invoices whose final reminder was sent, still owing and not yet claimed on, with
/// the claim on each as of `today` (none when claims are off).
pub async fn claimable(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    today: NaiveDate,
) -> Result<Vec<ClaimRow>, ServiceError> {
    let schedule = reminders::schedule(db, partnership_id).await?;
    let Some(last) = schedule.steps.iter().map(|s| s.days_from_due).max() else { return Ok(Vec::new()) };
    if !schedule.late_payment_claims {
        return Ok(Vec::new());
    }
    let finally_reminded: Vec<i64> = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::DocumentId)
        .filter(outbox_message::Column::PartnershipId.eq(partnership_id))
        .filter(outbox_message::Column::Kind.eq("reminder"))
        .filter(outbox_message::Column::DedupeKey.like(format!("reminder:%:{last}")))
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    if finally_reminded.is_empty() {
        return Ok(Vec::new());
    }
    let claimed: HashSet<String> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::SourceKey)
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .filter(invoice::Column::SourceKey.like("late-payment:%"))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut rows = Vec::new();
    for chunk in finally_reminded.chunks(500) {
        let found = invoice::Entity::find()
            .filter(invoice::Column::PartnershipId.eq(partnership_id))
            .filter(invoice::Column::Id.is_in(chunk.to_vec()))
            .filter(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
            .filter(invoice::Column::OutstandingPence.gt(0))
            .order_by_asc(invoice::Column::DueDate)
            .all(db)
            .await?;
        for inv in found {
            if claimed.contains(&claim_key(inv.id)) {
                continue;
            }
            let owed = Money::from_pence(inv.outstanding_pence);
            let Some(due) = inv.due_date else { continue };
            if let Some(claim) = late_payment::claim(owed, due, today, schedule.reference_rate) {
                rows.push(ClaimRow { invoice: inv, owed, claim });
            }
        }
    }
    Ok(rows)
}

/// Raises the claim on a late invoice as its own issued invoice, when finance confirms it.
pub async fn raise_claim<C>(
    db: &C,
    partnership: &Partnership,
    invoice_id: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
    user_id: Option<i64>,
) -> Result<invoice::Model, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let row = claimable(db, partnership.id, today)
        .await?
        .into_iter()
        .find(|r| r.invoice.id == invoice_id)
        .ok_or_else(|| {
            ServiceError::Conflict(
                "no late-payment claim can be made on this invoice: claims are off, its final reminder has not gone, it is paid, or it was claimed already".into(),
            )
        })?;
    let late = &row.invoice;
    let number = late.number.clone().unwrap_or_default();
    let c = row.claim;
    let lines = [
        (
            format!(
                "Statutory interest on {} owed on invoice {number}: {}% a year for {} days after its due date (Late Payment of Commercial Debts (Interest) Act 1998)",
                row.owed, c.rate, c.days_late
            ),
            c.interest,
            "interest",
        ),
        (
            format!(
                "Fixed sum for the cost of recovering the debt on invoice {number} (Late Payment of Commercial Debts (Interest) Act 1998)"
            ),
            c.fixed_sum,
            "fixed-sum",
        ),
    ];
    let txn = begin_write(db).await?;
    let payer = entity::payer::Entity::find_by_id(late.payer_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("payer {}", late.payer_id)))?;
    let claim = super::raise::raise(
        &txn,
        partnership,
        super::raise::Raise {
            payer,
            source_key: claim_key(late.id),
            year: late.year.clone(),
            period: "late payment claim".into(),
            period_start: late.due_date.unwrap_or(today),
            period_end: today,
            po_number: late.po_number.clone(),
            lines: lines
                .into_iter()
                .map(|(description, amount, part)| super::raise::RaisedLine {
                    line: Line {
                        description,
                        quantity: rust_decimal::Decimal::ONE,
                        unit_price: amount,
                        net: amount,
                        vat_rate: VatRate::OutsideScope,
                        source: LineSource::Other { reference: claim_key(late.id) },
                    },
                    school_id: None,
                    source_kind: "late_payment",
                    source_id: late.id,
                    charge_key: format!("{}:{part}", claim_key(late.id)),
                })
                .collect(),
        },
        today,
        now,
    )
    .await?;
    audit::record(
        &txn,
        Event {
            partnership_id: partnership.id,
            user_id,
            action: "invoice.late_payment_claimed",
            entity: "invoice",
            entity_id: claim.id,
            before: None,
            after: Some(serde_json::json!({
                "late_invoice": number, "interest": c.interest.to_string(), "fixed_sum": c.fixed_sum.to_string(),
                "rate": c.rate.to_string(), "days_late": c.days_late,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(claim)
}
