//! `check-ledger`: every invariant of every account, from stored documents, each breach named.

use super::super::ServiceError;
use super::money_of;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::ledger::{AccountTotals, Breach, check_invoice, check_numbers, check_payer};
use crate::domain::money::Money;
use entity::{allocation, credit_note, invoice, partnership, payer, payment, refund};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::HashMap;

/// A breach in one partnership's books.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerBreach {
    pub partnership: String,
    pub breach: Breach,
}

/// What the check looked at, and what it found.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerCheck {
    pub partnerships: usize,
    pub invoices: usize,
    pub payments: usize,
    pub payers: usize,
    pub breaches: Vec<LedgerBreach>,
}

/// Checks the books of one partnership (by slug) or of all of them.
pub async fn check_ledger(
    db: &impl ConnectionTrait,
    slug: Option<&str>,
) -> Result<LedgerCheck, ServiceError> {
    let mut query = partnership::Entity::find().order_by_asc(partnership::Column::Id);
    if let Some(slug) = slug {
        query = query.filter(partnership::Column::Slug.eq(slug));
    }
    let partnerships = query.all(db).await?;
    if let Some(slug) = slug.filter(|_| partnerships.is_empty()) {
        return Err(ServiceError::NotFound(format!("partnership {slug}")));
    }
    let mut result = LedgerCheck {
        partnerships: partnerships.len(),
        invoices: 0,
        payments: 0,
        payers: 0,
        breaches: Vec::new(),
    };
    for p in partnerships {
        let found = check_one(db, p.id).await?;
        result.invoices += found.0;
        result.payments += found.1;
        result.payers += found.2;
        result
            .breaches
            .extend(found.3.into_iter().map(|breach| LedgerBreach { partnership: p.slug.clone(), breach }));
    }
    Ok(result)
}

async fn check_one(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<(usize, usize, usize, Vec<Breach>), ServiceError> {
    let mut breaches = Vec::new();
    let invoices =
        invoice::Entity::find().filter(invoice::Column::PartnershipId.eq(partnership_id)).all(db).await?;
    let money = money_of(db, &invoices).await?;
    let by_id: HashMap<i64, &invoice::Model> = invoices.iter().map(|i| (i.id, i)).collect();
    let name = |i: &invoice::Model| i.number.clone().unwrap_or_else(|| format!("held invoice {}", i.id));
    let mut payer_totals: HashMap<i64, (AccountTotals, Money, Money)> = HashMap::new();
    let mut sequences = Vec::new();
    for i in &invoices {
        if i.status != InvoiceStatus::Issued.as_str() {
            continue;
        }
        sequences.extend(i.sequence);
        let m = money[&i.id];
        breaches.extend(check_invoice(&name(i), &m, Money::from_pence(i.outstanding_pence)));
        let entry = payer_totals.entry(i.payer_id).or_default();
        entry.0.invoiced = entry.0.invoiced + m.gross;
        entry.0.credited = entry.0.credited + m.credited;
        entry.0.written_off = entry.0.written_off + m.written_off;
        entry.1 = entry.1 + m.outstanding();
    }
    sequences.sort_unstable();
    breaches.extend(check_numbers("invoice", &sequences));
    let mut note_numbers: Vec<i64> = credit_note::Entity::find()
        .filter(credit_note::Column::PartnershipId.eq(partnership_id))
        .all(db)
        .await?
        .into_iter()
        .map(|n| n.sequence)
        .collect();
    note_numbers.sort_unstable();
    breaches.extend(check_numbers("credit note", &note_numbers));

    let payments =
        payment::Entity::find().filter(payment::Column::PartnershipId.eq(partnership_id)).all(db).await?;
    let allocations = allocation::Entity::find()
        .filter(allocation::Column::PartnershipId.eq(partnership_id))
        .filter(allocation::Column::UndoneAt.is_null())
        .all(db)
        .await?;
    let refunds =
        refund::Entity::find().filter(refund::Column::PartnershipId.eq(partnership_id)).all(db).await?;
    let mut allocated_of: HashMap<i64, Money> = HashMap::new();
    for a in &allocations {
        *allocated_of.entry(a.payment_id).or_default() =
            allocated_of.get(&a.payment_id).copied().unwrap_or_default() + Money::from_pence(a.amount_pence);
        let payer_of_payment = payments.iter().find(|p| p.id == a.payment_id).map(|p| p.payer_id);
        match by_id.get(&a.invoice_id) {
            Some(i) if i.status == InvoiceStatus::Issued.as_str() && Some(i.payer_id) == payer_of_payment => {
            }
            other => breaches.push(Breach::ForeignAllocation {
                payment: a.payment_id,
                invoice: other.map_or_else(|| format!("invoice {}", a.invoice_id), |i| name(i)),
            }),
        }
    }
    for p in &payments {
        let amount = Money::from_pence(p.amount_pence);
        let allocated = allocated_of.get(&p.id).copied().unwrap_or_default();
        let refunded: Money = refunds
            .iter()
            .filter(|r| r.payment_id == Some(p.id))
            .map(|r| Money::from_pence(r.amount_pence))
            .sum();
        if p.reversed_at.is_some() {
            if allocated > Money::ZERO {
                breaches.push(Breach::ReversedStillAllocated { payment: p.id, allocated });
            }
            continue;
        }
        if allocated + refunded > amount {
            breaches.push(Breach::PaymentOverAllocated { payment: p.id, amount, allocated, refunded });
        }
        let entry = payer_totals.entry(p.payer_id).or_default();
        entry.0.paid = entry.0.paid + amount;
        entry.2 = entry.2 + amount - allocated - refunded;
    }
    for r in &refunds {
        let entry = payer_totals.entry(r.payer_id).or_default();
        entry.0.refunded = entry.0.refunded + Money::from_pence(r.amount_pence);
    }

    let names: HashMap<i64, String> = payer::Entity::find()
        .filter(payer::Column::PartnershipId.eq(partnership_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let mut payer_ids: Vec<&i64> = payer_totals.keys().collect();
    payer_ids.sort();
    for id in payer_ids {
        let (totals, outstanding, credit) = payer_totals[id];
        let payer_name = names.get(id).cloned().unwrap_or_else(|| format!("payer {id}"));
        breaches.extend(check_payer(&payer_name, &totals, outstanding, credit));
    }
    Ok((invoices.len(), payments.len(), payer_totals.len(), breaches))
}
