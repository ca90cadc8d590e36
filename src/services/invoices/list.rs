//! Lists of invoices (filtered, one page at a time) and the totals of each year.

use super::{InvoiceScope, is_overdue};
use crate::domain::invoice::InvoiceStatus;
use crate::domain::ledger::{PaymentState, payment_state};
use crate::domain::money::Money;
use crate::services::ServiceError;
use chrono::NaiveDate;
use entity::{credit_note, invoice, invoice_line};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

/// Filters for the invoice list.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub status: Option<InvoiceStatus>,
    pub payer_id: Option<i64>,
    pub year: Option<String>,
    pub overdue: bool,
    /// Only issued invoices that still owe something.
    pub owing: bool,
    /// An invoice number, or part of a payer's or school's name.
    pub q: Option<String>,
}

/// An invoice in a list.
#[derive(Debug, Clone, Serialize)]
pub struct InvoiceSummary {
    pub id: i64,
    pub number: Option<String>,
    pub status: InvoiceStatus,
    pub payer_name: String,
    pub year: String,
    pub period: String,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub gross: Money,
    pub credited: Money,
    pub outstanding: Money,
    pub overdue: bool,
    /// Payments allocated to it.
    pub paid: Money,
    pub payment_state: Option<PaymentState>,
}

/// One page of invoices and the count over all pages.
#[derive(Debug, Clone, Serialize)]
pub struct InvoicePage {
    pub invoices: Vec<InvoiceSummary>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub pages: u64,
}

/// Invoices per page unless asked otherwise, and the most a page may hold.
pub const PER_PAGE: u64 = 50;

pub const MAX_PER_PAGE: u64 = 500;

/// One page (from 1) of the partnership's invoices that the scope reaches and the filter keeps,
/// newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: &InvoiceScope,
    filter: &InvoiceFilter,
    today: NaiveDate,
    page: u64,
    per_page: u64,
) -> Result<InvoicePage, ServiceError> {
    let mut query = invoice::Entity::find().filter(invoice::Column::PartnershipId.eq(partnership_id));
    if let InvoiceScope::Payers(ids) = scope {
        query = query.filter(invoice::Column::PayerId.is_in(ids.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(invoice::Column::Status.eq(status.as_str()));
    }
    if let Some(payer) = filter.payer_id {
        query = query.filter(invoice::Column::PayerId.eq(payer));
    }
    if let Some(year) = filter.year.as_deref().filter(|y| !y.is_empty()) {
        query = query.filter(invoice::Column::Year.eq(year));
    }
    if filter.overdue || filter.owing {
        query = query
            .filter(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
            .filter(invoice::Column::OutstandingPence.gt(0));
    }
    if filter.overdue {
        query = query.filter(invoice::Column::DueDate.lt(today));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let backend = db.get_database_backend();
        let school_lines = sea_orm::sea_query::Query::select()
            .column(invoice_line::Column::InvoiceId)
            .from(invoice_line::Entity)
            .and_where(crate::services::contains_text(
                backend,
                Expr::col(invoice_line::Column::Description),
                q,
            ))
            .to_owned();
        query = query.filter(
            Condition::any()
                .add(crate::services::contains_text(backend, Expr::col(invoice::Column::Number), q))
                .add(crate::services::contains_text(backend, Expr::col(invoice::Column::PayerName), q))
                .add(invoice::Column::Id.in_subquery(school_lines)),
        );
    }
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let found: crate::services::Paged<Listed> = crate::services::page_shaped(
        db,
        query.order_by_desc(invoice::Column::Id),
        listed_columns,
        page,
        per_page,
    )
    .await?;
    let (total, page, pages) = (found.total, found.page, found.pages);
    let mut invoices = Vec::with_capacity(found.rows.len());
    for m in found.rows {
        let money = crate::domain::ledger::InvoiceMoney {
            gross: Money::from_pence(m.gross_pence),
            credited: Money::from_pence(m.credited_pence),
            allocated: Money::from_pence(m.allocated_pence),
            written_off: Money::from_pence(m.written_off_pence),
        };
        let (gross, credited, outstanding) = (money.gross, money.credited, money.outstanding());
        let status: InvoiceStatus = crate::services::read_stored("invoices", "status", &m.status)?;
        invoices.push(InvoiceSummary {
            id: m.id,
            overdue: is_overdue(status, m.due_date, outstanding, today),
            paid: money.allocated,
            payment_state: (status == InvoiceStatus::Issued)
                .then(|| payment_state(&money, m.due_date, today)),
            number: m.number,
            status,
            payer_name: m.payer_name,
            year: m.year,
            period: m.period,
            issue_date: m.issue_date,
            due_date: m.due_date,
            gross,
            credited,
            outstanding,
        });
    }
    Ok(InvoicePage { invoices, total, page, per_page, pages })
}

/// An invoice as the list reads it: the columns it shows, and what its credit notes, allocated
/// payments and write-offs come to (as `ledger::money_of` adds them up), in the same query.
#[derive(sea_orm::FromQueryResult)]
struct Listed {
    id: i64,
    number: Option<String>,
    status: String,
    payer_name: String,
    year: String,
    period: String,
    issue_date: Option<NaiveDate>,
    due_date: Option<NaiveDate>,
    gross_pence: i64,
    credited_pence: i64,
    allocated_pence: i64,
    written_off_pence: i64,
}

/// The columns of [`Listed`]: each sum a subquery on its table's invoice index, whole pence
/// (PostgreSQL's SUM of a BIGINT is NUMERIC, cast back).
fn listed_columns(query: sea_orm::Select<invoice::Entity>) -> sea_orm::Select<invoice::Entity> {
    use sea_orm::QuerySelect;
    let sum = |expression: &str, table: &str, condition: &str| {
        Expr::cust(format!(
            "(SELECT CAST(COALESCE(SUM({expression}), 0) AS BIGINT) FROM {table} \
             WHERE {table}.invoice_id = invoices.id{condition})"
        ))
    };
    query
        .select_only()
        .columns([
            invoice::Column::Id,
            invoice::Column::Number,
            invoice::Column::Status,
            invoice::Column::PayerName,
            invoice::Column::Year,
            invoice::Column::Period,
            invoice::Column::IssueDate,
            invoice::Column::DueDate,
            invoice::Column::GrossPence,
        ])
        .column_as(sum("credit_notes.gross_pence", "credit_notes", ""), "credited_pence")
        .column_as(
            sum("allocations.amount_pence", "allocations", " AND allocations.undone_at IS NULL"),
            "allocated_pence",
        )
        .column_as(sum("write_offs.amount_pence", "write_offs", ""), "written_off_pence")
}

/// Invoiced totals per membership year: issued invoices, their total, credits, and what is held.
#[derive(Debug, Clone, Serialize)]
pub struct YearTotals {
    pub year: String,
    pub issued: usize,
    pub gross: Money,
    pub credited: Money,
    pub held: usize,
}

/// The board's view: what has been invoiced each year. Added up by the database (whole pence,
/// exact), from an index, so the home page costs the same on a national register.
pub async fn totals_by_year(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<YearTotals>, ServiceError> {
    use sea_orm::sea_query::{Alias, Query};
    // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back to whole pence.
    let pence_sum = |column: &str| Expr::cust(format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)"));
    let by_status = Query::select()
        .column(invoice::Column::Year)
        .column(invoice::Column::Status)
        .expr_as(Expr::col(invoice::Column::Id).count(), Alias::new("invoices"))
        .expr_as(pence_sum("gross_pence"), Alias::new("gross"))
        .from(invoice::Entity)
        .and_where(invoice::Column::PartnershipId.eq(partnership_id))
        .group_by_col(invoice::Column::Year)
        .group_by_col(invoice::Column::Status)
        .to_owned();
    let credits = Query::select()
        .column((invoice::Entity, invoice::Column::Year))
        .expr_as(pence_sum("credit_notes.gross_pence"), Alias::new("credited"))
        .from(credit_note::Entity)
        .inner_join(
            invoice::Entity,
            Expr::col((credit_note::Entity, credit_note::Column::InvoiceId))
                .equals((invoice::Entity, invoice::Column::Id)),
        )
        .and_where(Expr::col((invoice::Entity, invoice::Column::PartnershipId)).eq(partnership_id))
        .and_where(Expr::col((invoice::Entity, invoice::Column::Status)).eq(InvoiceStatus::Issued.as_str()))
        .group_by_col((invoice::Entity, invoice::Column::Year))
        .to_owned();
    let mut years: std::collections::BTreeMap<String, YearTotals> = std::collections::BTreeMap::new();
    let empty = |year: &str| YearTotals {
        year: year.to_string(),
        issued: 0,
        gross: Money::ZERO,
        credited: Money::ZERO,
        held: 0,
    };
    for row in db.query_all(&by_status).await? {
        let year: String = row.try_get("", "year")?;
        let status: InvoiceStatus =
            crate::services::read_stored("invoices", "status", &row.try_get::<String>("", "status")?)?;
        let count: i64 = row.try_get("", "invoices")?;
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        let entry = years.entry(year.clone()).or_insert_with(|| empty(&year));
        if status == InvoiceStatus::Issued {
            entry.issued += count;
            entry.gross = entry.gross + Money::from_pence(row.try_get("", "gross")?);
        } else {
            entry.held += count;
        }
    }
    for row in db.query_all(&credits).await? {
        let year: String = row.try_get("", "year")?;
        let credited = Money::from_pence(row.try_get("", "credited")?);
        let entry = years.entry(year.clone()).or_insert_with(|| empty(&year));
        entry.credited = entry.credited + credited;
    }
    Ok(years.into_values().collect())
}

/// How many invoices (any state) each period of a year has, by period name.
pub async fn count_by_period(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
) -> Result<Vec<(String, u64)>, ServiceError> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Expr, ExprTrait};
    // Counted from the (partnership, year, period) index, and kept like the lists' counts:
    // the billing page and the home page ask on every visit.
    let read = async {
        let rows: Vec<(String, i64)> = invoice::Entity::find()
            .select_only()
            .column(invoice::Column::Period)
            .column_as(Expr::col(invoice::Column::Id).count(), "invoices")
            .filter(invoice::Column::PartnershipId.eq(partnership_id))
            .filter(invoice::Column::Year.eq(year))
            .group_by(invoice::Column::Period)
            .into_tuple()
            .all(db)
            .await?;
        Ok(rows.into_iter().map(|(p, n)| (p, u64::try_from(n).unwrap_or_default())).collect())
    };
    crate::services::counts::kept(|| format!("invoices by period of {partnership_id} in {year}"), read).await
}

/// How many of the partnership's invoices are held for a PO number.
pub async fn count_held(db: &impl ConnectionTrait, partnership_id: i64) -> Result<u64, ServiceError> {
    use sea_orm::PaginatorTrait;
    Ok(invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::WaitingForPo.as_str()))
        .count(db)
        .await?)
}
