//! Aged debt across a partnership's payers, and the share of a year's invoices collected.

use super::super::ServiceError;
use super::pence_sum;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::ledger::AgedDebt;
use crate::domain::ledger::aged::collection_rate;
use crate::domain::money::Money;
use chrono::NaiveDate;
use entity::{credit_note, invoice, payer};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;

/// One payer's debt by age.
#[derive(Debug, Clone, Serialize)]
pub struct AgedPayer {
    pub payer_id: i64,
    pub name: String,
    pub invoices: usize,
    pub aged: AgedDebt,
}

/// Aged debt: the total, and payers (most overdue first) a page at a time.
#[derive(Debug, Clone, Serialize)]
pub struct AgedDebtPage {
    pub today: NaiveDate,
    pub total: AgedDebt,
    pub payers: Vec<AgedPayer>,
    pub payers_owing: u64,
    pub page: u64,
    pub pages: u64,
}

/// What every payer owes on `today`, by age; `per_page` of `None` gives every payer (exports).
pub async fn aged_debt(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    today: NaiveDate,
    page: u64,
    per_page: Option<u64>,
) -> Result<AgedDebtPage, ServiceError> {
    let rows: Vec<(i64, Option<NaiveDate>, i64)> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::PayerId)
        .column(invoice::Column::DueDate)
        .column(invoice::Column::OutstandingPence)
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
        .filter(invoice::Column::OutstandingPence.gt(0))
        .into_tuple()
        .all(db)
        .await?;
    let mut total = AgedDebt::default();
    let mut by_payer: HashMap<i64, (usize, AgedDebt)> = HashMap::new();
    for (payer_id, due, pence) in rows {
        let amount = Money::from_pence(pence);
        total.add(amount, due, today);
        let entry = by_payer.entry(payer_id).or_default();
        entry.0 += 1;
        entry.1.add(amount, due, today);
    }
    let mut ordered: Vec<(i64, usize, AgedDebt)> =
        by_payer.into_iter().map(|(id, (n, a))| (id, n, a)).collect();
    ordered.sort_by(|a, b| (b.2.overdue(), b.2.total(), a.0).cmp(&(a.2.overdue(), a.2.total(), b.0)));
    let payers_owing = ordered.len() as u64;
    let (page, pages, chosen) = match per_page {
        None => (1, 1, ordered),
        Some(per) => {
            let per = per.max(1);
            let pages = payers_owing.div_ceil(per).max(1);
            let page = page.clamp(1, pages);
            let skip = usize::try_from((page - 1) * per).unwrap_or(usize::MAX);
            let take = usize::try_from(per).unwrap_or(usize::MAX);
            (page, pages, ordered.into_iter().skip(skip).take(take).collect())
        }
    };
    let names: HashMap<i64, String> = payer::Entity::find()
        .filter(payer::Column::Id.is_in(chosen.iter().map(|c| c.0).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let payers = chosen
        .into_iter()
        .map(|(payer_id, invoices, aged)| AgedPayer {
            payer_id,
            name: names.get(&payer_id).cloned().unwrap_or_default(),
            invoices,
            aged,
        })
        .collect();
    Ok(AgedDebtPage { today, total, payers, payers_owing, page, pages })
}

/// How much of a membership year's invoices has been collected.
#[derive(Debug, Clone, Serialize)]
pub struct Collection {
    pub year: String,
    /// Issued invoices less their credit notes.
    pub invoiced: Money,
    /// Payments allocated to them.
    pub collected: Money,
    /// Whole per cent, rounded down; none when nothing was invoiced.
    pub rate: Option<u32>,
}

/// The collection rate of a year's invoices: what they raised less credit notes, and how much
/// of that payments cleared (raised less credited, written off and still owed). Read from the
/// covering index of invoices by year and from the (few) credit notes and write-offs.
pub async fn collection(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
) -> Result<Collection, ServiceError> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let totals: Option<(i64, i64)> = invoice::Entity::find()
        .select_only()
        .column_as(pence_sum("gross_pence"), "gross")
        .column_as(pence_sum("outstanding_pence"), "owed")
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .filter(invoice::Column::Year.eq(year))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
        .into_tuple()
        .one(db)
        .await?;
    let (gross, owed) = totals.unwrap_or((0, 0));
    let of_year = Query::select()
        .column(invoice::Column::Id)
        .from(invoice::Entity)
        .and_where(
            Expr::col((invoice::Entity, invoice::Column::Id))
                .equals((credit_note::Entity, credit_note::Column::InvoiceId)),
        )
        .and_where(Expr::col((invoice::Entity, invoice::Column::Year)).eq(year))
        .and_where(Expr::col((invoice::Entity, invoice::Column::Status)).eq(InvoiceStatus::Issued.as_str()))
        .to_owned();
    let credited: Option<i64> = credit_note::Entity::find()
        .select_only()
        .column_as(pence_sum("credit_notes.gross_pence"), "total")
        .filter(credit_note::Column::PartnershipId.eq(partnership_id))
        .filter(Expr::exists(of_year))
        .into_tuple()
        .one(db)
        .await?;
    let written_year = Query::select()
        .column(invoice::Column::Id)
        .from(invoice::Entity)
        .and_where(
            Expr::col((invoice::Entity, invoice::Column::Id))
                .equals((entity::write_off::Entity, entity::write_off::Column::InvoiceId)),
        )
        .and_where(Expr::col((invoice::Entity, invoice::Column::Year)).eq(year))
        .to_owned();
    let written: Option<i64> = entity::write_off::Entity::find()
        .select_only()
        .column_as(pence_sum("write_offs.amount_pence"), "total")
        .filter(entity::write_off::Column::PartnershipId.eq(partnership_id))
        .filter(Expr::exists(written_year))
        .into_tuple()
        .one(db)
        .await?;
    let credited = credited.unwrap_or(0);
    let invoiced = Money::from_pence(gross - credited);
    let collected = Money::from_pence(gross - credited - written.unwrap_or(0) - owed);
    Ok(Collection { year: year.to_string(), invoiced, collected, rate: collection_rate(invoiced, collected) })
}

/// What the partnership is owed, added up by the database: in all, and past its due date.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Owed {
    pub owed: Money,
    pub overdue: Money,
    pub overdue_invoices: u64,
}

/// The totals the home pages show, from the covering index on issued invoices' outstanding
/// amounts and due dates.
pub async fn owed(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    today: NaiveDate,
) -> Result<Owed, ServiceError> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let base = || {
        invoice::Entity::find()
            .select_only()
            .column_as(pence_sum("outstanding_pence"), "total")
            .column_as(Expr::col(invoice::Column::Id).count(), "n")
            .filter(invoice::Column::PartnershipId.eq(partnership_id))
            .filter(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
            .filter(invoice::Column::OutstandingPence.gt(0))
    };
    let all: Option<(i64, i64)> = base().into_tuple().one(db).await?;
    let late: Option<(i64, i64)> =
        base().filter(invoice::Column::DueDate.lt(today)).into_tuple().one(db).await?;
    Ok(Owed {
        owed: Money::from_pence(all.map_or(0, |a| a.0)),
        overdue: Money::from_pence(late.map_or(0, |a| a.0)),
        overdue_invoices: late.map_or(0, |a| u64::try_from(a.1).unwrap_or(0)),
    })
}
