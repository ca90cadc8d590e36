//! A payer's account: every document in date order with a running balance (the statement of
//! account), what each invoice owes and its state, credit and aged debt.

use super::super::ServiceError;
use super::money_of;
use super::payments::PaymentView;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::ledger::{AccountTotals, AgedDebt, InvoiceMoney, PaymentState, payment_state};
use crate::domain::money::Money;
use chrono::NaiveDate;
use entity::{credit_note, invoice, payer, payment, refund, write_off};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

/// What kind of document a statement line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Invoice,
    CreditNote,
    Payment,
    PaymentReversed,
    Refund,
    WriteOff,
}

impl EntryKind {
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Invoice => "Invoice",
            EntryKind::CreditNote => "Credit note",
            EntryKind::Payment => "Payment",
            EntryKind::PaymentReversed => "Payment reversed",
            EntryKind::Refund => "Refund",
            EntryKind::WriteOff => "Written off",
        }
    }
}

/// One line of a statement of account.
#[derive(Debug, Clone, Serialize)]
pub struct AccountEntry {
    pub date: NaiveDate,
    pub kind: EntryKind,
    pub document: String,
    pub description: String,
    pub invoice_id: Option<i64>,
    pub credit_note_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub debit: Money,
    pub credit: Money,
    pub balance: Money,
}

/// One issued invoice of the account.
#[derive(Debug, Clone, Serialize)]
pub struct AccountInvoice {
    pub id: i64,
    pub number: String,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub money: InvoiceMoney,
    pub outstanding: Money,
    pub state: PaymentState,
}

/// A payer's account over a date range (all time when open-ended).
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub payer_id: i64,
    pub payer_name: String,
    pub payer_address: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub opening_balance: Money,
    pub entries: Vec<AccountEntry>,
    pub closing_balance: Money,
    /// All time, whatever the range.
    pub totals: AccountTotals,
    pub outstanding: Money,
    pub credit: Money,
    pub overdue: Money,
    pub aged: AgedDebt,
    pub invoices: Vec<AccountInvoice>,
    pub payments: Vec<PaymentView>,
}

/// A payer's account on `today`, with the statement lines between `from` and `to`.
pub async fn account(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    payer_id: i64,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Account, ServiceError> {
    let p = payer::Entity::find_by_id(payer_id)
        .filter(payer::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("payer {payer_id}")))?;
    let invoices = invoice::Entity::find()
        .filter(invoice::Column::PayerId.eq(payer_id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
        .order_by_asc(invoice::Column::IssueDate)
        .order_by_asc(invoice::Column::Id)
        .all(db)
        .await?;
    let money = money_of(db, &invoices).await?;
    let ids: Vec<i64> = invoices.iter().map(|i| i.id).collect();
    let number_of =
        |id: i64| invoices.iter().find(|i| i.id == id).and_then(|i| i.number.clone()).unwrap_or_default();
    let notes =
        credit_note::Entity::find().filter(credit_note::Column::InvoiceId.is_in(ids.clone())).all(db).await?;
    let offs = write_off::Entity::find().filter(write_off::Column::InvoiceId.is_in(ids)).all(db).await?;
    let payment_rows = payment::Entity::find()
        .filter(payment::Column::PayerId.eq(payer_id))
        .order_by_asc(payment::Column::ReceivedOn)
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?;
    let payments = super::payments::views_of(db, payment_rows).await?;
    let refunds = refund::Entity::find().filter(refund::Column::PayerId.eq(payer_id)).all(db).await?;

    let mut entries = Vec::new();
    let mut totals = AccountTotals::default();
    let entry =
        |date, kind, document: String, description: String, debit: Money, credit: Money| AccountEntry {
            date,
            kind,
            document,
            description,
            invoice_id: None,
            credit_note_id: None,
            payment_id: None,
            debit,
            credit,
            balance: Money::ZERO,
        };
    for i in &invoices {
        let gross = Money::from_pence(i.gross_pence);
        totals.invoiced = totals.invoiced + gross;
        let mut e = entry(
            i.issue_date.unwrap_or(i.period_start),
            EntryKind::Invoice,
            i.number.clone().unwrap_or_default(),
            format!("{} {}", i.year, i.period),
            gross,
            Money::ZERO,
        );
        e.invoice_id = Some(i.id);
        entries.push(e);
    }
    for n in &notes {
        let gross = Money::from_pence(n.gross_pence);
        totals.credited = totals.credited + gross;
        let mut e = entry(
            n.issue_date,
            EntryKind::CreditNote,
            n.number.clone(),
            format!("Against {}", number_of(n.invoice_id)),
            Money::ZERO,
            gross,
        );
        e.credit_note_id = Some(n.id);
        e.invoice_id = Some(n.invoice_id);
        entries.push(e);
    }
    for w in &offs {
        let amount = Money::from_pence(w.amount_pence);
        totals.written_off = totals.written_off + amount;
        let mut e = entry(
            w.written_off_on,
            EntryKind::WriteOff,
            number_of(w.invoice_id),
            w.reason.clone(),
            Money::ZERO,
            amount,
        );
        e.invoice_id = Some(w.invoice_id);
        entries.push(e);
    }
    for pay in &payments {
        let mut e = entry(
            pay.received_on,
            EntryKind::Payment,
            pay.reference.clone(),
            pay.method.label().to_string(),
            Money::ZERO,
            pay.amount,
        );
        e.payment_id = Some(pay.id);
        entries.push(e);
        if let Some(at) = pay.reversed_at {
            let mut r = entry(
                at.date_naive(),
                EntryKind::PaymentReversed,
                pay.reference.clone(),
                pay.reversal_reason.clone().unwrap_or_default(),
                pay.amount,
                Money::ZERO,
            );
            r.payment_id = Some(pay.id);
            entries.push(r);
        } else {
            totals.paid = totals.paid + pay.amount;
        }
    }
    for r in &refunds {
        let amount = Money::from_pence(r.amount_pence);
        totals.refunded = totals.refunded + amount;
        let mut e =
            entry(r.refunded_on, EntryKind::Refund, String::new(), r.reason.clone(), amount, Money::ZERO);
        e.payment_id = r.payment_id;
        entries.push(e);
    }
    entries.sort_by_key(|e| (e.date, e.kind));
    let mut running = Money::ZERO;
    let mut opening = Money::ZERO;
    let mut shown = Vec::new();
    for mut e in entries {
        running = running + e.debit - e.credit;
        e.balance = running;
        if from.is_some_and(|f| e.date < f) {
            opening = running;
        } else if to.is_none_or(|t| e.date <= t) {
            shown.push(e);
        }
    }
    let closing = shown.last().map_or(opening, |e| e.balance);
    let mut aged = AgedDebt::default();
    let account_invoices: Vec<AccountInvoice> = invoices
        .iter()
        .map(|i| {
            let m = money[&i.id];
            aged.add(m.outstanding(), i.due_date, today);
            AccountInvoice {
                id: i.id,
                number: i.number.clone().unwrap_or_default(),
                issue_date: i.issue_date,
                due_date: i.due_date,
                money: m,
                outstanding: m.outstanding(),
                state: payment_state(&m, i.due_date, today),
            }
        })
        .collect();
    let outstanding: Money = account_invoices.iter().map(|i| i.outstanding).sum();
    let credit: Money = payments.iter().map(|p| p.unallocated).sum();
    Ok(Account {
        payer_id: p.id,
        payer_name: p.name,
        payer_address: p.address,
        from,
        to,
        opening_balance: opening,
        entries: shown,
        closing_balance: closing,
        totals,
        outstanding,
        credit,
        overdue: aged.overdue(),
        aged,
        invoices: account_invoices,
        payments,
    })
}
