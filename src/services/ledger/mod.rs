//! Payer accounts in storage: payments, allocations, refunds, write-offs and council budget
//! deductions, each a recorded document; what an invoice owes derived from them. Every money
//! action locks its payers' rows first (one at a time, by id), recomputes the outstanding
//! amounts it touched and is audited, all in one transaction.

pub mod account;
pub mod adjustments;
pub mod aged;
pub mod check;
pub mod payments;

pub use account::{Account, AccountEntry, EntryKind, account};
pub use adjustments::{
    Deductible, NewRefund, NewSettlement, NewWriteOff, after_credit, deductible, refund, settle, write_off,
};
pub use aged::{AgedDebtPage, AgedPayer, Collection, Owed, aged_debt, collection, owed};
pub use check::{LedgerBreach, LedgerCheck, check_ledger};
pub use payments::{
    Allocate, AllocationView, NewPayment, PaymentFilter, PaymentView, allocate, allocations_of_invoice,
    get_payment, list_payments, record, reverse, unallocate,
};

use super::ServiceError;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::ledger::{InvoiceMoney, OpenInvoice};
use crate::domain::money::Money;
use crate::domain::text::{self, MAX_REASON_CHARS};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{allocation, credit_note, invoice, payer, write_off};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// Who acts, on what day.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}

impl Actor {
    /// `user_id` (or the service itself) acting now, by `clock`.
    pub fn at(user_id: Option<i64>, clock: crate::clock::Clock) -> Actor {
        let now = clock.now();
        Actor { user_id, today: now.date_naive(), now }
    }
}

/// The earliest date a payment, refund or write-off may carry.
pub const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// Checks a date typed for a money document: not before 2000, not after today.
pub(crate) fn check_date(field: &str, date: NaiveDate, today: NaiveDate) -> Result<(), ServiceError> {
    if date > today {
        return Err(ServiceError::invalid(field, format!("{} is in the future", date.format("%-d %B %Y"))));
    }
    if date < EARLIEST {
        return Err(ServiceError::invalid(field, "the date must be in 2000 or later"));
    }
    Ok(())
}

/// Checks an amount typed for a money document: more than nothing.
pub(crate) fn check_amount(field: &str, amount: Money) -> Result<(), ServiceError> {
    if amount <= Money::ZERO {
        return Err(ServiceError::invalid(field, "enter an amount more than £0.00"));
    }
    Ok(())
}

/// A reason typed for a money action: required, at most [`MAX_REASON_CHARS`], named `reason`.
pub(crate) fn reason_of(reason: &str, missing: &str) -> Result<String, ServiceError> {
    text::required(reason, MAX_REASON_CHARS, missing).map_err(|m| ServiceError::invalid("reason", m))
}

/// Takes each payer's row lock in turn (lowest id first, so two actions never wait on each
/// other): the database makes a second action on the same account wait until the first commits.
pub(crate) async fn lock_payers(
    txn: &impl ConnectionTrait,
    partnership_id: i64,
    payer_ids: &[i64],
) -> Result<(), ServiceError> {
    let mut ids = payer_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let done = payer::Entity::update_many()
            .col_expr(payer::Column::LedgerVersion, Expr::col(payer::Column::LedgerVersion).add(1))
            .filter(payer::Column::Id.eq(id))
            .filter(payer::Column::PartnershipId.eq(partnership_id))
            .exec(txn)
            .await?;
        if done.rows_affected != 1 {
            return Err(ServiceError::NotFound(format!("payer {id}")));
        }
    }
    Ok(())
}

/// Whole pence summed by the database, cast back from PostgreSQL's NUMERIC.
pub(crate) fn pence_sum(column: &str) -> Expr {
    Expr::cust(format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)"))
}

/// Sums of `amount_pence`-like columns per invoice id, for the given ids.
async fn sums_by_invoice<E, F>(
    db: &impl ConnectionTrait,
    ids: &[i64],
    invoice_column: E::Column,
    amount: &str,
    extra: F,
) -> Result<HashMap<i64, Money>, ServiceError>
where
    E: EntityTrait,
    F: Fn(sea_orm::Select<E>) -> sea_orm::Select<E>,
{
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, i64)> = extra(E::find())
            .select_only()
            .column(invoice_column)
            .column_as(pence_sum(amount), "total")
            .filter(invoice_column.is_in(chunk.to_vec()))
            .group_by(invoice_column)
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|(id, pence)| (id, Money::from_pence(pence))));
    }
    Ok(out)
}

/// What has happened to each invoice's money, from its documents.
pub async fn money_of(
    db: &impl ConnectionTrait,
    invoices: &[invoice::Model],
) -> Result<HashMap<i64, InvoiceMoney>, ServiceError> {
    let ids: Vec<i64> = invoices.iter().map(|i| i.id).collect();
    let credited = sums_by_invoice::<credit_note::Entity, _>(
        db,
        &ids,
        credit_note::Column::InvoiceId,
        "gross_pence",
        |q| q,
    )
    .await?;
    let allocated = sums_by_invoice::<allocation::Entity, _>(
        db,
        &ids,
        allocation::Column::InvoiceId,
        "amount_pence",
        |q| q.filter(allocation::Column::UndoneAt.is_null()),
    )
    .await?;
    let written_off = sums_by_invoice::<write_off::Entity, _>(
        db,
        &ids,
        write_off::Column::InvoiceId,
        "amount_pence",
        |q| q,
    )
    .await?;
    let get = |map: &HashMap<i64, Money>, id: i64| map.get(&id).copied().unwrap_or(Money::ZERO);
    Ok(invoices
        .iter()
        .map(|i| {
            (
                i.id,
                InvoiceMoney {
                    gross: Money::from_pence(i.gross_pence),
                    credited: get(&credited, i.id),
                    allocated: get(&allocated, i.id),
                    written_off: get(&written_off, i.id),
                },
            )
        })
        .collect())
}

/// Recomputes the outstanding amount of each invoice from its documents and stores it for
/// lists; refuses (rolling the action back) if any would owe less than nothing.
pub(crate) async fn refresh(
    txn: &impl ConnectionTrait,
    invoice_ids: &[i64],
) -> Result<HashMap<i64, InvoiceMoney>, ServiceError> {
    let invoices =
        invoice::Entity::find().filter(invoice::Column::Id.is_in(invoice_ids.to_vec())).all(txn).await?;
    let money = money_of(txn, &invoices).await?;
    for i in &invoices {
        let outstanding = money[&i.id].outstanding();
        if outstanding < Money::ZERO {
            return Err(ServiceError::Conflict(format!(
                "{} would owe {outstanding}; nothing was changed",
                i.number.as_deref().unwrap_or("the invoice")
            )));
        }
        let pence = super::to_stored_pence("amount", outstanding)?;
        if pence != i.outstanding_pence {
            invoice::Entity::update_many()
                .col_expr(invoice::Column::OutstandingPence, Expr::value(pence))
                .filter(invoice::Column::Id.eq(i.id))
                .exec(txn)
                .await?;
        }
    }
    Ok(money)
}

/// A payer's issued invoices that still owe something, oldest due first.
pub async fn open_invoices(
    db: &impl ConnectionTrait,
    payer_id: i64,
) -> Result<Vec<(invoice::Model, OpenInvoice)>, ServiceError> {
    let rows = invoice::Entity::find()
        .filter(invoice::Column::PayerId.eq(payer_id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
        .filter(invoice::Column::OutstandingPence.gt(0))
        .order_by_asc(invoice::Column::DueDate)
        .order_by_asc(invoice::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let open = OpenInvoice {
                id: m.id,
                number: m.number.clone().unwrap_or_default(),
                due: m.due_date,
                issued: m.issue_date,
                outstanding: Money::from_pence(m.outstanding_pence),
            };
            (m, open)
        })
        .collect())
}
