//! Payments: recorded, allocated to a payer's invoices (oldest first or as chosen), un-allocated
//! and reversed as recorded actions, never deleted.

use super::super::audit::{self, Event};
use super::super::partnerships::Partnership;
use super::super::{Paged, ServiceError, begin_write, page_of, to_stored_pence};
use super::{Actor, check_amount, check_date, lock_payers, open_invoices, reason_of, refresh};
use crate::domain::ledger::{AllocationError, PaymentMethod, PaymentSource, check_chosen, oldest_first};
use crate::domain::money::Money;
use crate::domain::text;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{allocation, invoice, payer, payment, refund};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde::Serialize;

/// The longest payment reference kept (a Bacs reference is 18 characters; a typed note can be more).
pub const MAX_REFERENCE_CHARS: usize = 140;

/// A payment to record.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub payer_id: i64,
    pub received_on: NaiveDate,
    pub amount: Money,
    pub method: PaymentMethod,
    pub reference: String,
    pub source: PaymentSource,
    pub source_ref: Option<String>,
}

/// How to allocate a payment.
#[derive(Debug, Clone)]
pub enum Allocate {
    /// To the payer's open invoices, earliest due first, until the payment runs out.
    OldestFirst,
    /// These amounts to these invoices (by id).
    Chosen(Vec<(i64, Money)>),
    /// Not yet: the whole payment stays as the payer's credit.
    Nothing,
}

/// One allocation as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct AllocationView {
    pub id: i64,
    pub payment_id: i64,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub amount: Money,
    pub at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
    pub undone_reason: Option<String>,
}

/// A payment with what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentView {
    pub id: i64,
    pub payer_id: i64,
    pub payer_name: String,
    pub received_on: NaiveDate,
    pub amount: Money,
    pub method: PaymentMethod,
    pub reference: String,
    pub source: PaymentSource,
    pub settlement_id: Option<i64>,
    pub reversed_at: Option<DateTime<Utc>>,
    pub reversal_reason: Option<String>,
    pub allocated: Money,
    pub refunded: Money,
    /// Neither allocated nor refunded: the payer's credit.
    pub unallocated: Money,
    pub allocations: Vec<AllocationView>,
}

fn allocation_error(e: AllocationError) -> ServiceError {
    ServiceError::invalid("allocations", e.to_string())
}

/// Records a payment and allocates it, in one transaction.
pub async fn record<C>(
    db: &C,
    partnership: &Partnership,
    new: &NewPayment,
    how: &Allocate,
    actor: Actor,
) -> Result<PaymentView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_write(db).await?;
    let id = record_in(&txn, partnership, new, None, actor).await?;
    allocate_in(&txn, partnership, id, how, actor).await?;
    let view = get_payment(&txn, partnership.id, id).await?;
    txn.commit().await?;
    Ok(view)
}

/// Records a payment inside a caller's transaction (a statement line, a settlement), after
/// checking it and locking its payer; returns its id. Allocating is the caller's next step.
pub(crate) async fn record_in(
    txn: &impl ConnectionTrait,
    partnership: &Partnership,
    new: &NewPayment,
    settlement_id: Option<i64>,
    actor: Actor,
) -> Result<i64, ServiceError> {
    check_amount("amount", new.amount)?;
    check_date("received_on", new.received_on, actor.today)?;
    let reference = text::optional(&new.reference, MAX_REFERENCE_CHARS)
        .map_err(|m| ServiceError::invalid("reference", m))?
        .unwrap_or_default();
    let payer = payer::Entity::find_by_id(new.payer_id)
        .filter(payer::Column::PartnershipId.eq(partnership.id))
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::invalid("payer_id", format!("there is no payer {}", new.payer_id)))?;
    lock_payers(txn, partnership.id, &[payer.id]).await?;
    let row = payment::ActiveModel {
        partnership_id: Set(partnership.id),
        payer_id: Set(payer.id),
        received_on: Set(new.received_on),
        amount_pence: Set(to_stored_pence("amount", new.amount)?),
        method: Set(new.method.as_str().to_string()),
        reference: Set(reference.clone()),
        source: Set(new.source.as_str().to_string()),
        source_ref: Set(new.source_ref.clone()),
        settlement_id: Set(settlement_id),
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
            action: "payment.recorded",
            entity: "payer",
            entity_id: payer.id,
            before: None,
            after: Some(serde_json::json!({
                "amount": new.amount, "method": new.method.label(), "reference": reference,
                "received_on": new.received_on.to_string(),
            })),
        },
    )
    .await?;
    Ok(row.id)
}

/// Allocates what is left of a payment.
pub async fn allocate<C>(
    db: &C,
    partnership: &Partnership,
    payment_id: i64,
    how: &Allocate,
    actor: Actor,
) -> Result<PaymentView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_write(db).await?;
    let found = find_payment(&txn, partnership.id, payment_id).await?;
    lock_payers(&txn, partnership.id, &[found.payer_id]).await?;
    allocate_in(&txn, partnership, payment_id, how, actor).await?;
    let view = get_payment(&txn, partnership.id, payment_id).await?;
    txn.commit().await?;
    Ok(view)
}

async fn find_payment(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
) -> Result<payment::Model, ServiceError> {
    payment::Entity::find_by_id(id)
        .filter(payment::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("payment {id}")))
}

/// Allocates inside a transaction that already holds the payer's lock; returns the invoices
/// allocated to.
pub(crate) async fn allocate_in(
    txn: &impl ConnectionTrait,
    partnership: &Partnership,
    payment_id: i64,
    how: &Allocate,
    actor: Actor,
) -> Result<Vec<i64>, ServiceError> {
    if matches!(how, Allocate::Nothing) {
        return Ok(Vec::new());
    }
    // Read after the lock: what another finance user allocated a moment ago counts.
    let view = get_payment(txn, partnership.id, payment_id).await?;
    if view.reversed_at.is_some() {
        return Err(ServiceError::Conflict("this payment was reversed; it cannot be allocated".into()));
    }
    let open = open_invoices(txn, view.payer_id).await?;
    let open_only: Vec<_> = open.iter().map(|(_, o)| o.clone()).collect();
    let plan = match how {
        Allocate::OldestFirst => oldest_first(view.unallocated, &open_only),
        Allocate::Chosen(chosen) => {
            let numbers =
                invoice_numbers(txn, partnership.id, chosen.iter().map(|(id, _)| *id).collect()).await?;
            check_chosen(view.unallocated, chosen, &open_only, |id| {
                numbers.get(&id).cloned().unwrap_or_else(|| format!("invoice {id}"))
            })
            .map_err(allocation_error)?;
            chosen.clone()
        }
        Allocate::Nothing => Vec::new(),
    };
    if matches!(how, Allocate::Chosen(_)) && plan.is_empty() {
        return Err(ServiceError::invalid("allocations", "choose at least one invoice and an amount"));
    }
    for (invoice_id, amount) in &plan {
        allocation::ActiveModel {
            partnership_id: Set(partnership.id),
            payment_id: Set(payment_id),
            invoice_id: Set(*invoice_id),
            amount_pence: Set(to_stored_pence("amount", *amount)?),
            created_by_user_id: Set(actor.user_id),
            created_at: Set(actor.now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    let ids: Vec<i64> = plan.iter().map(|(id, _)| *id).collect();
    refresh(txn, &ids).await?;
    if !plan.is_empty() {
        let words: Vec<String> = plan
            .iter()
            .map(|(id, amount)| {
                let number = open.iter().find(|(m, _)| m.id == *id).and_then(|(m, _)| m.number.clone());
                format!("{amount} to {}", number.unwrap_or_default())
            })
            .collect();
        audit::record(
            txn,
            Event {
                partnership_id: partnership.id,
                user_id: actor.user_id,
                action: "payment.allocated",
                entity: "payer",
                entity_id: view.payer_id,
                before: None,
                after: Some(serde_json::json!({
                    "payment": view.reference, "amount": view.amount, "allocations": words.join(", "),
                })),
            },
        )
        .await?;
    }
    Ok(ids)
}

async fn invoice_numbers(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    ids: Vec<i64>,
) -> Result<std::collections::HashMap<i64, String>, ServiceError> {
    Ok(invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .filter(invoice::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.number.unwrap_or_else(|| format!("draft invoice {}", m.id))))
        .collect())
}

/// Undoes one allocation (a mis-match): the invoice owes it again and the payment has it back.
pub async fn unallocate<C>(
    db: &C,
    partnership: &Partnership,
    allocation_id: i64,
    reason: &str,
    actor: Actor,
) -> Result<PaymentView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let reason = reason_of(reason, "Say why the allocation is undone")?;
    let txn = begin_write(db).await?;
    let found = allocation::Entity::find_by_id(allocation_id)
        .filter(allocation::Column::PartnershipId.eq(partnership.id))
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("allocation {allocation_id}")))?;
    let pay = find_payment(&txn, partnership.id, found.payment_id).await?;
    lock_payers(&txn, partnership.id, &[pay.payer_id]).await?;
    let undone = undo_allocations(&txn, &[found.id], &reason, actor).await?;
    if undone == 0 {
        return Err(ServiceError::Conflict("this allocation was already undone".into()));
    }
    refresh(&txn, &[found.invoice_id]).await?;
    let number = invoice_numbers(&txn, partnership.id, vec![found.invoice_id]).await?;
    audit::record(
        &txn,
        Event {
            partnership_id: partnership.id,
            user_id: actor.user_id,
            action: "payment.unallocated",
            entity: "payer",
            entity_id: pay.payer_id,
            before: None,
            after: Some(serde_json::json!({
                "amount": Money::from_pence(found.amount_pence),
                "invoice": number.get(&found.invoice_id), "reason": reason,
            })),
        },
    )
    .await?;
    let view = get_payment(&txn, partnership.id, pay.id).await?;
    txn.commit().await?;
    Ok(view)
}

/// Marks allocations undone (only those still in force); returns how many were.
pub(crate) async fn undo_allocations(
    txn: &impl ConnectionTrait,
    ids: &[i64],
    reason: &str,
    actor: Actor,
) -> Result<u64, ServiceError> {
    let done = allocation::Entity::update_many()
        .col_expr(allocation::Column::UndoneAt, Expr::value(Some(actor.now)))
        .col_expr(allocation::Column::UndoneByUserId, Expr::value(actor.user_id))
        .col_expr(allocation::Column::UndoneReason, Expr::value(Some(reason.to_string())))
        .filter(allocation::Column::Id.is_in(ids.to_vec()))
        .filter(allocation::Column::UndoneAt.is_null())
        .exec(txn)
        .await?;
    Ok(done.rows_affected)
}

/// Reverses a payment (a bounced cheque, money that was never ours): its allocations are undone
/// and it no longer counts; the record stays.
pub async fn reverse<C>(
    db: &C,
    partnership: &Partnership,
    payment_id: i64,
    reason: &str,
    actor: Actor,
) -> Result<PaymentView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let reason = reason_of(reason, "Say why the payment is reversed")?;
    let txn = begin_write(db).await?;
    let view = reverse_in(&txn, partnership, payment_id, &reason, actor).await?;
    txn.commit().await?;
    Ok(view)
}

/// Reverses a payment inside a caller's transaction.
pub(crate) async fn reverse_in(
    txn: &impl ConnectionTrait,
    partnership: &Partnership,
    payment_id: i64,
    reason: &str,
    actor: Actor,
) -> Result<PaymentView, ServiceError> {
    let reason = reason.to_string();
    let pay = find_payment(txn, partnership.id, payment_id).await?;
    lock_payers(txn, partnership.id, &[pay.payer_id]).await?;
    let view = get_payment(txn, partnership.id, payment_id).await?;
    if view.reversed_at.is_some() {
        return Err(ServiceError::Conflict("this payment was already reversed".into()));
    }
    if view.refunded > Money::ZERO {
        return Err(ServiceError::Conflict(format!(
            "{} of this payment was refunded; a refunded payment cannot be reversed",
            view.refunded
        )));
    }
    let active: Vec<&AllocationView> = view.allocations.iter().filter(|a| a.undone_at.is_none()).collect();
    let ids: Vec<i64> = active.iter().map(|a| a.id).collect();
    undo_allocations(txn, &ids, &format!("Payment reversed: {reason}"), actor).await?;
    payment::Entity::update_many()
        .col_expr(payment::Column::ReversedAt, Expr::value(Some(actor.now)))
        .col_expr(payment::Column::ReversedByUserId, Expr::value(actor.user_id))
        .col_expr(payment::Column::ReversalReason, Expr::value(Some(reason.clone())))
        .filter(payment::Column::Id.eq(payment_id))
        .exec(txn)
        .await?;
    let invoices: Vec<i64> = active.iter().map(|a| a.invoice_id).collect();
    refresh(txn, &invoices).await?;
    audit::record(
        txn,
        Event {
            partnership_id: partnership.id,
            user_id: actor.user_id,
            action: "payment.reversed",
            entity: "payer",
            entity_id: pay.payer_id,
            before: None,
            after: Some(
                serde_json::json!({"amount": view.amount, "reference": view.reference, "reason": reason}),
            ),
        },
    )
    .await?;
    get_payment(txn, partnership.id, payment_id).await
}

/// Reads a payment's stored names strictly.
fn method_of(m: &payment::Model) -> Result<(PaymentMethod, PaymentSource), ServiceError> {
    Ok((
        super::super::read_stored("payments", "method", &m.method)?,
        super::super::read_stored("payments", "source", &m.source)?,
    ))
}

/// Builds the views of payments with their allocations and refunds.
pub(crate) async fn views_of(
    db: &impl ConnectionTrait,
    rows: Vec<payment::Model>,
) -> Result<Vec<PaymentView>, ServiceError> {
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let allocations = allocation::Entity::find()
        .filter(allocation::Column::PaymentId.is_in(ids.clone()))
        .order_by_asc(allocation::Column::Id)
        .all(db)
        .await?;
    let refunds = refund::Entity::find().filter(refund::Column::PaymentId.is_in(ids)).all(db).await?;
    let invoice_ids: Vec<i64> = allocations.iter().map(|a| a.invoice_id).collect();
    let numbers: std::collections::HashMap<i64, String> = invoice::Entity::find()
        .filter(invoice::Column::Id.is_in(invoice_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.number.unwrap_or_default()))
        .collect();
    let payer_ids: Vec<i64> = rows.iter().map(|p| p.payer_id).collect();
    let names: std::collections::HashMap<i64, String> = payer::Entity::find()
        .filter(payer::Column::Id.is_in(payer_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        let (method, source) = method_of(&m)?;
        let mine: Vec<AllocationView> = allocations
            .iter()
            .filter(|a| a.payment_id == m.id)
            .map(|a| AllocationView {
                id: a.id,
                payment_id: a.payment_id,
                invoice_id: a.invoice_id,
                invoice_number: numbers.get(&a.invoice_id).cloned().unwrap_or_default(),
                amount: Money::from_pence(a.amount_pence),
                at: a.created_at,
                undone_at: a.undone_at,
                undone_reason: a.undone_reason.clone(),
            })
            .collect();
        let allocated: Money = mine.iter().filter(|a| a.undone_at.is_none()).map(|a| a.amount).sum();
        let refunded: Money = refunds
            .iter()
            .filter(|r| r.payment_id == Some(m.id))
            .map(|r| Money::from_pence(r.amount_pence))
            .sum();
        let amount = Money::from_pence(m.amount_pence);
        out.push(PaymentView {
            id: m.id,
            payer_id: m.payer_id,
            payer_name: names.get(&m.payer_id).cloned().unwrap_or_default(),
            received_on: m.received_on,
            amount,
            method,
            reference: m.reference,
            source,
            settlement_id: m.settlement_id,
            unallocated: if m.reversed_at.is_some() { Money::ZERO } else { amount - allocated - refunded },
            reversed_at: m.reversed_at,
            reversal_reason: m.reversal_reason,
            allocated,
            refunded,
            allocations: mine,
        });
    }
    Ok(out)
}

/// One payment.
pub async fn get_payment(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
) -> Result<PaymentView, ServiceError> {
    let m = find_payment(db, partnership_id, id).await?;
    views_of(db, vec![m]).await?.pop().ok_or_else(|| ServiceError::NotFound(format!("payment {id}")))
}

/// Which payments a list shows.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub payer_id: Option<i64>,
    pub method: Option<PaymentMethod>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Only payments with money not yet allocated.
    pub with_credit: bool,
    pub search: Option<String>,
}

/// Payments, newest first, a page at a time.
pub async fn list_payments(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    filter: &PaymentFilter,
    page: u64,
    per_page: u64,
) -> Result<Paged<PaymentView>, ServiceError> {
    let mut query = payment::Entity::find().filter(payment::Column::PartnershipId.eq(partnership_id));
    if let Some(p) = filter.payer_id {
        query = query.filter(payment::Column::PayerId.eq(p));
    }
    if let Some(m) = filter.method {
        query = query.filter(payment::Column::Method.eq(m.as_str()));
    }
    if let Some(d) = filter.from {
        query = query.filter(payment::Column::ReceivedOn.gte(d));
    }
    if let Some(d) = filter.to {
        query = query.filter(payment::Column::ReceivedOn.lte(d));
    }
    if let Some(text) = filter.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let backend = db.get_database_backend();
        let payers = sea_orm::sea_query::Query::select()
            .column(payer::Column::Id)
            .from(payer::Entity)
            .and_where(payer::Column::PartnershipId.eq(partnership_id))
            .and_where(super::super::contains_text(backend, Expr::col(payer::Column::Name), text))
            .to_owned();
        query = query.filter(
            Condition::any()
                .add(super::super::contains_text(backend, Expr::col(payment::Column::Reference), text))
                .add(payment::Column::PayerId.in_subquery(payers)),
        );
    }
    if filter.with_credit {
        let spent = "(SELECT COALESCE(SUM(a.amount_pence), 0) FROM allocations a WHERE a.payment_id = payments.id AND a.undone_at IS NULL) \
             + (SELECT COALESCE(SUM(r.amount_pence), 0) FROM refunds r WHERE r.payment_id = payments.id)";
        query = query
            .filter(payment::Column::ReversedAt.is_null())
            .filter(Expr::cust(format!("payments.amount_pence > {spent}")));
    }
    let query = query.order_by_desc(payment::Column::ReceivedOn).order_by_desc(payment::Column::Id);
    let found = page_of(db, query, page, per_page).await?;
    Ok(Paged {
        rows: views_of(db, found.rows).await?,
        total: found.total,
        page: found.page,
        pages: found.pages,
    })
}

/// Every allocation to one invoice (undone ones too), oldest first.
pub async fn allocations_of_invoice(
    db: &impl ConnectionTrait,
    invoice_id: i64,
) -> Result<Vec<AllocationView>, ServiceError> {
    let rows = allocation::Entity::find()
        .filter(allocation::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(allocation::Column::Id)
        .all(db)
        .await?;
    let number =
        invoice::Entity::find_by_id(invoice_id).one(db).await?.and_then(|m| m.number).unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|a| AllocationView {
            id: a.id,
            payment_id: a.payment_id,
            invoice_id: a.invoice_id,
            invoice_number: number.clone(),
            amount: Money::from_pence(a.amount_pence),
            at: a.created_at,
            undone_at: a.undone_at,
            undone_reason: a.undone_reason,
        })
        .collect())
}
