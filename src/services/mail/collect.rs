//! Queues a message for each document that appeared since the partnership turned emailing on:
//! issued invoices, credit notes and payments received. Run by the mail job before it sends, so
//! billing, crediting and payment code stay as they are, and a document is never queued twice
//! (its message key is unique).

use super::{ServiceError, compose, queue};
use crate::domain::ledger::PaymentMethod;
use crate::domain::money::Money;
use crate::services::begin_write;
use crate::services::partnerships::Partnership;
use chrono::{DateTime, Utc};
use entity::{allocation, credit_note, invoice, outbox_message, partnership, payer, payment};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::{HashMap, HashSet};

/// How many documents of each kind were queued.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    pub invoices: u64,
    pub credit_notes: u64,
    pub receipts: u64,
}

/// Messages queued per transaction.
const CHUNK: usize = 500;

/// Since when the partnership emails its documents, if it does.
pub async fn mailing_since(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    Ok(partnership::Entity::find_by_id(partnership_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("partnership {partnership_id}")))?
        .documents_mailed_from)
}

/// Queues a message for every new invoice, credit note and payment not yet queued.
pub async fn queue_new_documents<C>(
    db: &C,
    partnership: &Partnership,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<Collected, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut collected = Collected::default();
    let Some(since) = mailing_since(db, partnership.id).await? else { return Ok(collected) };
    let queued: HashSet<String> = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::DedupeKey)
        .filter(outbox_message::Column::PartnershipId.eq(partnership.id))
        .filter(outbox_message::Column::QueuedAt.gte(since))
        .filter(outbox_message::Column::Kind.is_in(["invoice", "credit_note", "receipt"]))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut payers: HashMap<i64, payer::Model> = HashMap::new();

    let new_invoices: Vec<invoice::Model> = invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(partnership.id))
        .filter(invoice::Column::Status.eq("issued"))
        .filter(invoice::Column::IssuedAt.gte(since))
        .order_by_asc(invoice::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|i| !queued.contains(&format!("invoice:{}", i.id)))
        .collect();
    for chunk in new_invoices.chunks(CHUNK) {
        let txn = begin_write(db).await?;
        for i in chunk {
            let p = payer_of(&txn, &mut payers, i.payer_id).await?;
            if queue(&txn, partnership.id, compose::invoice(partnership, public_url, &p, i), now).await? {
                collected.invoices += 1;
            }
        }
        sea_orm::TransactionSession::commit(txn).await?;
    }

    let notes: Vec<credit_note::Model> = credit_note::Entity::find()
        .filter(credit_note::Column::PartnershipId.eq(partnership.id))
        .filter(credit_note::Column::CreatedAt.gte(since))
        .order_by_asc(credit_note::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|n| !queued.contains(&format!("credit_note:{}", n.id)))
        .collect();
    for chunk in notes.chunks(CHUNK) {
        let txn = begin_write(db).await?;
        for note in chunk {
            let Some(i) = invoice::Entity::find_by_id(note.invoice_id).one(&txn).await? else { continue };
            let p = payer_of(&txn, &mut payers, i.payer_id).await?;
            let message = compose::credit_note(
                partnership,
                public_url,
                &p,
                note,
                i.number.as_deref().unwrap_or_default(),
            );
            if queue(&txn, partnership.id, message, now).await? {
                collected.credit_notes += 1;
            }
        }
        sea_orm::TransactionSession::commit(txn).await?;
    }

    let payments: Vec<payment::Model> = payment::Entity::find()
        .filter(payment::Column::PartnershipId.eq(partnership.id))
        .filter(payment::Column::CreatedAt.gte(since))
        .filter(payment::Column::ReversedAt.is_null())
        .filter(payment::Column::AmountPence.gt(0))
        // a council's budget deduction is the council's book entry, not money the school sent
        .filter(payment::Column::Method.ne(PaymentMethod::CouncilBudgetDeduction.as_str()))
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|pay| !queued.contains(&format!("receipt:{}", pay.id)))
        .collect();
    for chunk in payments.chunks(CHUNK) {
        let txn = begin_write(db).await?;
        for pay in chunk {
            let p = payer_of(&txn, &mut payers, pay.payer_id).await?;
            let method = PaymentMethod::parse(&pay.method).ok_or_else(|| ServiceError::Corrupt {
                table: "payments",
                column: "method",
                value: pay.method.clone(),
                reason: "not a payment method".into(),
            })?;
            let paid: Vec<(Option<String>, i64)> = allocation::Entity::find()
                .select_only()
                .column(invoice::Column::Number)
                .column(allocation::Column::AmountPence)
                .join(
                    sea_orm::JoinType::InnerJoin,
                    allocation::Entity::belongs_to(invoice::Entity)
                        .from(allocation::Column::InvoiceId)
                        .to(invoice::Column::Id)
                        .into(),
                )
                .filter(allocation::Column::PaymentId.eq(pay.id))
                .filter(allocation::Column::UndoneAt.is_null())
                .order_by_asc(allocation::Column::Id)
                .into_tuple()
                .all(&txn)
                .await?;
            let paid: Vec<(String, Money)> = paid
                .into_iter()
                .map(|(n, pence)| (n.unwrap_or_default(), Money::from_pence(pence)))
                .collect();
            let message = compose::receipt(partnership, public_url, &p, pay, method.label(), &paid);
            if queue(&txn, partnership.id, message, now).await? {
                collected.receipts += 1;
            }
        }
        sea_orm::TransactionSession::commit(txn).await?;
    }
    Ok(collected)
}

async fn payer_of(
    db: &impl ConnectionTrait,
    cache: &mut HashMap<i64, payer::Model>,
    id: i64,
) -> Result<payer::Model, ServiceError> {
    if let Some(p) = cache.get(&id) {
        return Ok(p.clone());
    }
    let p = payer::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("payer {id}")))?;
    cache.insert(id, p.clone());
    Ok(p)
}
