//! The other money documents: refunds of a payer's credit, write-offs, council budget
//! deductions settling many invoices at once, and what a credit note on a paid invoice frees.

use super::super::audit::{self, Event};
use super::super::partnerships::Partnership;
use super::super::{ServiceError, begin_write, to_stored_pence};
use super::payments::{Allocate, NewPayment, allocate_in, get_payment, record_in, undo_allocations};
use super::{Actor, check_amount, check_date, lock_payers, money_of, reason_of, refresh};
use crate::domain::invoice::InvoiceStatus;
use crate::domain::ledger::{PaymentMethod, PaymentSource, WriteOffKind, to_free};
use crate::domain::money::Money;
use crate::domain::payer::PayerKind;
use crate::domain::text;
use chrono::NaiveDate;
use entity::{allocation, invoice, payer, refund, settlement, write_off};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};

/// A refund of money a payer has in credit, from one payment.
#[derive(Debug, Clone)]
pub struct NewRefund {
    pub payment_id: i64,
    pub amount: Money,
    pub refunded_on: NaiveDate,
    pub method: PaymentMethod,
    pub reason: String,
}

/// Records a refund: never more than the payment has unallocated.
pub async fn refund<C>(
    db: &C,
    partnership: &Partnership,
    new: &NewRefund,
    actor: Actor,
) -> Result<refund::Model, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    check_amount("amount", new.amount)?;
    check_date("refunded_on", new.refunded_on, actor.today)?;
    let reason = reason_of(&new.reason, "Say why the money is refunded")?;
    let txn = begin_write(db).await?;
    let row = refund_in(&txn, partnership, new, &reason, actor).await?;
    txn.commit().await?;
    Ok(row)
}

/// Records a refund inside a caller's transaction (the reason already checked).
pub(crate) async fn refund_in(
    txn: &impl ConnectionTrait,
    partnership: &Partnership,
    new: &NewRefund,
    reason: &str,
    actor: Actor,
) -> Result<refund::Model, ServiceError> {
    let before = get_payment(txn, partnership.id, new.payment_id).await?;
    lock_payers(txn, partnership.id, &[before.payer_id]).await?;
    let pay = get_payment(txn, partnership.id, new.payment_id).await?;
    if pay.reversed_at.is_some() {
        return Err(ServiceError::Conflict("this payment was reversed; there is nothing to refund".into()));
    }
    if new.amount > pay.unallocated {
        return Err(ServiceError::invalid(
            "amount",
            format!("the payment has {} not allocated; {} is more than that", pay.unallocated, new.amount),
        ));
    }
    let row = refund::ActiveModel {
        partnership_id: Set(partnership.id),
        payer_id: Set(pay.payer_id),
        payment_id: Set(Some(pay.id)),
        amount_pence: Set(to_stored_pence("amount", new.amount)?),
        refunded_on: Set(new.refunded_on),
        method: Set(new.method.as_str().to_string()),
        reason: Set(reason.to_string()),
        created_by_user_id: Set(actor.user_id),
        created_at: Set(actor.now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        Event {
            partnership_id: partnership.id,
            user_id: actor.user_id,
            action: "payment.refunded",
            entity: "payer",
            entity_id: pay.payer_id,
            before: None,
            after: Some(
                serde_json::json!({"amount": new.amount, "method": new.method.label(), "reason": reason}),
            ),
        },
    )
    .await?;
    Ok(row)
}

/// A write-off of what an invoice still owes.
#[derive(Debug, Clone)]
pub struct NewWriteOff {
    pub invoice_id: i64,
    /// `None` writes off everything still owed.
    pub amount: Option<Money>,
    pub kind: WriteOffKind,
    pub reason: String,
}

/// Writes off part or all of what an invoice owes. A small remainder is at most the
/// partnership's limit; a bad debt can be any amount owed.
pub async fn write_off<C>(
    db: &C,
    partnership: &Partnership,
    new: &NewWriteOff,
    actor: Actor,
) -> Result<write_off::Model, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let reason = reason_of(&new.reason, "Say why the amount is written off")?;
    let txn = begin_write(db).await?;
    let inv = issued_invoice(&txn, partnership.id, new.invoice_id).await?;
    lock_payers(&txn, partnership.id, &[inv.payer_id]).await?;
    let money = money_of(&txn, std::slice::from_ref(&inv)).await?;
    let owed = money[&inv.id].outstanding();
    let number = inv.number.clone().unwrap_or_default();
    if owed <= Money::ZERO {
        return Err(ServiceError::Conflict(format!("{number} owes nothing; there is nothing to write off")));
    }
    let amount = new.amount.unwrap_or(owed);
    check_amount("amount", amount)?;
    if amount > owed {
        return Err(ServiceError::invalid(
            "amount",
            format!("{number} owes {owed}; {amount} is more than that"),
        ));
    }
    if new.kind == WriteOffKind::SmallRemainder && amount > partnership.small_write_off {
        return Err(ServiceError::invalid(
            "amount",
            format!(
                "a small remainder is at most {}; write {amount} off as a bad debt instead",
                partnership.small_write_off
            ),
        ));
    }
    let row = write_off::ActiveModel {
        partnership_id: Set(partnership.id),
        invoice_id: Set(inv.id),
        amount_pence: Set(to_stored_pence("amount", amount)?),
        written_off_on: Set(actor.today),
        kind: Set(new.kind.as_str().to_string()),
        reason: Set(reason.clone()),
        created_by_user_id: Set(actor.user_id),
        created_at: Set(actor.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    refresh(&txn, &[inv.id]).await?;
    audit::record(
        &txn,
        Event {
            partnership_id: partnership.id,
            user_id: actor.user_id,
            action: "invoice.written_off",
            entity: "invoice",
            entity_id: inv.id,
            before: Some(serde_json::json!({"outstanding": owed})),
            after: Some(serde_json::json!({"amount": amount, "kind": new.kind.label(), "reason": reason, "outstanding": owed - amount})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

async fn issued_invoice(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
) -> Result<invoice::Model, ServiceError> {
    let inv = invoice::Entity::find_by_id(id)
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("invoice {id}")))?;
    if inv.status != InvoiceStatus::Issued.as_str() {
        return Err(ServiceError::Conflict("only an issued invoice has money owed on it".into()));
    }
    Ok(inv)
}

/// A council budget deduction: the council settles its maintained schools' invoices by
/// deducting what each owes from the school's budget.
#[derive(Debug, Clone)]
pub struct NewSettlement {
    /// The council's payer, when the partnership bills the council too.
    pub council_payer_id: Option<i64>,
    pub reference: String,
    pub settled_on: NaiveDate,
    pub invoice_ids: Vec<i64>,
}

/// Records one settlement: for each invoice, a payment of what it owes by council budget
/// deduction, allocated to it in full. Every invoice must be a school's and owe something.
pub async fn settle<C>(
    db: &C,
    partnership: &Partnership,
    new: &NewSettlement,
    actor: Actor,
) -> Result<settlement::Model, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    check_date("settled_on", new.settled_on, actor.today)?;
    let reference =
        text::required(&new.reference, super::payments::MAX_REFERENCE_CHARS, "Enter the council's reference")
            .map_err(|m| ServiceError::invalid("reference", m))?;
    if new.invoice_ids.is_empty() {
        return Err(ServiceError::invalid("invoice_ids", "choose at least one invoice the council settles"));
    }
    let mut ids = new.invoice_ids.clone();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(ServiceError::invalid("invoice_ids", "an invoice is chosen more than once"));
    }
    let txn = begin_write(db).await?;
    let invoices = invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(partnership.id))
        .filter(invoice::Column::Id.is_in(ids.clone()))
        .all(&txn)
        .await?;
    if let Some(missing) = ids.iter().find(|id| !invoices.iter().any(|i| i.id == **id)) {
        return Err(ServiceError::invalid("invoice_ids", format!("there is no invoice {missing}")));
    }
    let payer_ids: Vec<i64> = invoices.iter().map(|i| i.payer_id).collect();
    let payers = payer::Entity::find().filter(payer::Column::Id.is_in(payer_ids.clone())).all(&txn).await?;
    if let Some(council) = new.council_payer_id {
        let found = payer::Entity::find_by_id(council)
            .filter(payer::Column::PartnershipId.eq(partnership.id))
            .one(&txn)
            .await?;
        if found.is_none_or(|p| p.kind != PayerKind::Council.as_str()) {
            return Err(ServiceError::invalid("council_payer_id", "choose a council"));
        }
    }
    lock_payers(&txn, partnership.id, &payer_ids).await?;
    let money = money_of(&txn, &invoices).await?;
    for inv in &invoices {
        let number = inv.number.clone().unwrap_or_default();
        let kind = payers.iter().find(|p| p.id == inv.payer_id).map(|p| p.kind.as_str());
        if inv.status != InvoiceStatus::Issued.as_str() || money[&inv.id].outstanding() <= Money::ZERO {
            return Err(ServiceError::invalid(
                "invoice_ids",
                format!("{} owes nothing", if number.is_empty() { "a held invoice" } else { &number }),
            ));
        }
        if kind != Some(PayerKind::School.as_str()) {
            return Err(ServiceError::invalid(
                "invoice_ids",
                format!(
                    "{number} is addressed to a trust or council, not a school: a budget deduction settles schools' invoices"
                ),
            ));
        }
    }
    let row = settlement::ActiveModel {
        partnership_id: Set(partnership.id),
        payer_id: Set(new.council_payer_id),
        reference: Set(reference.clone()),
        settled_on: Set(new.settled_on),
        created_by_user_id: Set(actor.user_id),
        created_at: Set(actor.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut total = Money::ZERO;
    for inv in &invoices {
        let owed = money[&inv.id].outstanding();
        total = total + owed;
        let payment = NewPayment {
            payer_id: inv.payer_id,
            received_on: new.settled_on,
            amount: owed,
            method: PaymentMethod::CouncilBudgetDeduction,
            reference: reference.clone(),
            source: PaymentSource::Settlement,
            source_ref: Some(format!("settlement:{}", row.id)),
        };
        let id = record_in(&txn, partnership, &payment, Some(row.id), actor).await?;
        allocate_in(&txn, partnership, id, &Allocate::Chosen(vec![(inv.id, owed)]), actor).await?;
    }
    if let Some(council) = new.council_payer_id {
        audit::record(
            &txn,
            Event {
                partnership_id: partnership.id,
                user_id: actor.user_id,
                action: "payment.settled_by_council",
                entity: "payer",
                entity_id: council,
                before: None,
                after: Some(
                    serde_json::json!({"invoices": invoices.len(), "amount": total, "reference": reference}),
                ),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(row)
}

/// After a credit note on `invoice_id` (in the same transaction): if payments now cover more
/// than the invoice owes, the newest allocations give back the excess, which becomes the
/// payer's credit; then the outstanding amount is stored.
pub async fn after_credit(
    txn: &impl ConnectionTrait,
    invoice_id: i64,
    note_number: &str,
    actor: Actor,
) -> Result<(), ServiceError> {
    let inv = invoice::Entity::find_by_id(invoice_id)
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("invoice {invoice_id}")))?;
    let money = money_of(txn, std::slice::from_ref(&inv)).await?[&inv.id];
    let owed = money.outstanding();
    if owed < Money::ZERO {
        let active = allocation::Entity::find()
            .filter(allocation::Column::InvoiceId.eq(invoice_id))
            .filter(allocation::Column::UndoneAt.is_null())
            .order_by_desc(allocation::Column::Id)
            .all(txn)
            .await?;
        let reason = format!(
            "Credit note {note_number} reduced what {} owes",
            inv.number.as_deref().unwrap_or("the invoice")
        );
        undo_newest(txn, &active, -owed, &reason, actor).await?;
    }
    refresh(txn, &[invoice_id]).await?;
    Ok(())
}

/// One maintained school's invoice a council could settle by budget deduction.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Deductible {
    pub invoice_id: i64,
    pub number: String,
    pub school: String,
    pub due: Option<NaiveDate>,
    pub outstanding: Money,
}

/// The issued invoices, still owing, of a council's maintained schools (schools of that local
/// authority in no trust, paying their own invoices), oldest due first.
pub async fn deductible(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    local_authority_id: i64,
) -> Result<Vec<Deductible>, ServiceError> {
    let schools: Vec<String> = entity::school::Entity::find()
        .filter(entity::school::Column::PartnershipId.eq(partnership_id))
        .filter(entity::school::Column::LocalAuthorityId.eq(local_authority_id))
        .filter(entity::school::Column::TrustId.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|s| format!("school:{}", s.id))
        .collect();
    let mut payers = Vec::new();
    for chunk in schools.chunks(500) {
        payers.extend(
            payer::Entity::find()
                .filter(payer::Column::PartnershipId.eq(partnership_id))
                .filter(payer::Column::Reference.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    let mut out = Vec::new();
    for chunk in payers.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|p| p.id).collect();
        for inv in invoice::Entity::find()
            .filter(invoice::Column::PayerId.is_in(ids))
            .filter(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
            .filter(invoice::Column::OutstandingPence.gt(0))
            .all(db)
            .await?
        {
            out.push(Deductible {
                invoice_id: inv.id,
                number: inv.number.unwrap_or_default(),
                school: inv.payer_name,
                due: inv.due_date,
                outstanding: Money::from_pence(inv.outstanding_pence),
            });
        }
    }
    out.sort_by(|a, b| (a.due, &a.number).cmp(&(b.due, &b.number)));
    Ok(out)
}

/// Frees `need` of a payment's allocated money (in a caller's transaction, its payer locked):
/// the newest allocations give it back, as after a credit note, and their invoices owe it again.
/// Used when the card company returns money that was paying invoices.
pub(crate) async fn free_payment(
    txn: &impl ConnectionTrait,
    payment_id: i64,
    need: Money,
    reason: &str,
    actor: Actor,
) -> Result<(), ServiceError> {
    let active = allocation::Entity::find()
        .filter(allocation::Column::PaymentId.eq(payment_id))
        .filter(allocation::Column::UndoneAt.is_null())
        .order_by_desc(allocation::Column::Id)
        .all(txn)
        .await?;
    let touched = undo_newest(txn, &active, need, reason, actor).await?;
    refresh(txn, &touched).await?;
    Ok(())
}

/// Undoes `active` allocations (newest first) until `need` is freed, re-allocating what is
/// kept of the last one; returns the invoices touched (the caller refreshes them).
async fn undo_newest(
    txn: &impl ConnectionTrait,
    active: &[allocation::Model],
    need: Money,
    reason: &str,
    actor: Actor,
) -> Result<Vec<i64>, ServiceError> {
    let newest: Vec<(i64, Money)> =
        active.iter().map(|a| (a.id, Money::from_pence(a.amount_pence))).collect();
    let mut touched = Vec::new();
    for (id, take) in to_free(need, &newest) {
        let Some(a) = active.iter().find(|a| a.id == id) else { continue };
        undo_allocations(txn, &[id], reason, actor).await?;
        touched.push(a.invoice_id);
        let keep = Money::from_pence(a.amount_pence) - take;
        if keep > Money::ZERO {
            allocation::ActiveModel {
                partnership_id: Set(a.partnership_id),
                payment_id: Set(a.payment_id),
                invoice_id: Set(a.invoice_id),
                amount_pence: Set(to_stored_pence("amount", keep)?),
                created_by_user_id: Set(actor.user_id),
                created_at: Set(actor.now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
    }
    Ok(touched)
}
