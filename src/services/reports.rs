//! The funding report (issue 14): a membership year's income by stream (invoiced net of credit
//! notes, received, budget, variance and forecast), invoiced by month, the collection rate and
//! the share from council money; and the budgets it compares against.

use super::audit::{self, Event};
use super::partnerships::Partnership;
use super::{FieldError, ServiceError, begin_write, read_stored, to_stored_pence};
use crate::domain::contracts::Stream;
use crate::domain::money::Money;
use crate::domain::partnership::MembershipYear;
use crate::domain::traded::INCOME_STREAMS;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionSession, TransactionTrait};
use serde::Serialize;
use std::collections::BTreeMap;

/// One stream's line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct StreamLine {
    pub stream: &'static str,
    pub label: &'static str,
    pub budget: Option<Money>,
    /// Invoiced in the year before VAT, net of credit notes.
    pub invoiced: Money,
    /// Paid against the year's invoices (VAT included).
    pub received: Money,
    /// Invoiced less the budget.
    pub variance: Option<Money>,
    /// Invoiced, plus contract instalments of the year not yet invoiced and orders of the year
    /// confirmed or delivered but not yet invoiced.
    pub forecast: Money,
}

/// A month's invoicing by stream, in the order of [`INCOME_STREAMS`].
#[derive(Debug, Clone, Serialize)]
pub struct Month {
    /// "2026-09".
    pub month: String,
    pub by_stream: Vec<Money>,
    pub total: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct FundingReport {
    pub year: String,
    pub streams: Vec<StreamLine>,
    pub total: StreamLine,
    pub months: Vec<Month>,
    /// The year's income recognised in the months it is for (every invoice whose period falls
    /// in the year, whichever year it was raised in).
    pub recognised: Vec<Month>,
    /// Payments received in each month of the year (VAT included), in the stream of the
    /// invoices they paid, whichever year those were for.
    pub received_by_month: Vec<Month>,
    /// Whole per cent of the year's invoices (net of credits, VAT included) paid.
    pub collection_rate: Option<u32>,
    /// Council money (what councils were invoiced) as a share of the year's income, whole per cent.
    pub council_share: Option<Decimal>,
}

fn label_of(stream: &str) -> &'static str {
    INCOME_STREAMS.iter().find(|(k, _)| *k == stream).map(|(_, l)| *l).unwrap_or("Traded services")
}

fn key_of(stream: &str) -> &'static str {
    INCOME_STREAMS.iter().find(|(k, _)| *k == stream).map(|(k, _)| *k).unwrap_or("traded_services")
}

/// How an invoice's stream is found in SQL: its contract's, membership for a billing run's,
/// else its service's (an order's or an event place's), else traded services. Needs
/// [`STREAM_JOINS`] after the invoices `i`.
const STREAM_SQL: &str = "COALESCE(c.stream, CASE WHEN i.billing_run_id IS NOT NULL THEN 'memberships' END, sv.stream, 'traded_services')";

/// The joins [`STREAM_SQL`] reads: the invoice's contract, and the service stream of its lines
/// for orders and event places, found once from those lines (by their source index) rather than
/// by looking through every invoice's lines.
const STREAM_JOINS: &str = "LEFT JOIN contract_instalments ci ON ci.invoice_id = i.id LEFT JOIN contracts c ON c.id = ci.contract_id \
    LEFT JOIN (SELECT x.invoice_id, MIN(x.stream) AS stream FROM ( \
        SELECT l.invoice_id AS invoice_id, s.income_stream AS stream FROM invoice_lines l \
          JOIN orders o ON o.id = l.source_id JOIN services s ON s.id = o.service_id WHERE l.source_kind = 'order' \
        UNION ALL \
        SELECT l.invoice_id, s.income_stream FROM invoice_lines l JOIN event_places ep ON ep.id = l.source_id \
          JOIN events e ON e.id = ep.event_id JOIN services s ON s.id = e.service_id \
          WHERE l.source_kind IN ('event_place', 'event_fee', 'event_no_show')) x GROUP BY x.invoice_id) sv \
      ON sv.invoice_id = i.id";

fn placeholders(backend: DatabaseBackend, n: usize) -> Vec<String> {
    (1..=n).map(|k| if backend == DatabaseBackend::Postgres { format!("${k}") } else { "?".into() }).collect()
}

/// What issued invoices raised, before VAT and net of their credit notes, in one group: a
/// period (membership year or month of issue), an income stream (a key of [`INCOME_STREAMS`])
/// and whether a council was invoiced.
pub(crate) struct Invoiced {
    pub period: String,
    pub stream: &'static str,
    pub council: bool,
    pub net: Money,
}

/// How [`invoiced`] groups by time.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Period {
    Year,
    Month,
}

/// The partnership's invoicing by stream, council or not, and period, in one grouped query;
/// for one membership year only when `year` is given.
pub(crate) async fn invoiced(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: Option<&str>,
    period: Period,
) -> Result<Vec<Invoiced>, ServiceError> {
    let backend = db.get_database_backend();
    let period_sql = match (period, backend) {
        (Period::Year, _) => "i.year",
        (Period::Month, DatabaseBackend::Postgres) => "to_char(i.issue_date, 'YYYY-MM')",
        (Period::Month, _) => "substr(i.issue_date, 1, 7)",
    };
    // Invoices, and their credit notes negated, added up together: the credit notes (few) are
    // read from their own table, not looked for against every invoice.
    let p = placeholders(backend, 4);
    let of_year = |k: usize| if year.is_some() { format!(" AND i.year = {}", p[k]) } else { String::new() };
    let part = |amount: &str, from: &str, condition: String| {
        format!(
            "SELECT {period_sql} AS period, {STREAM_SQL} AS stream, CASE WHEN py.kind = 'council' THEN 1 ELSE 0 END AS council, \
                {amount} AS amount FROM {from} JOIN payers py ON py.id = i.payer_id {STREAM_JOINS} WHERE {condition}"
        )
    };
    let (first, second) = if year.is_some() { (1, 3) } else { (1, 2) };
    let sql = format!(
        "SELECT t.period AS period, t.stream AS stream, t.council AS council, CAST(COALESCE(SUM(t.amount), 0) AS BIGINT) AS total \
         FROM ({} UNION ALL {}) t GROUP BY t.period, t.stream, t.council",
        part(
            "i.net_pence",
            "invoices i",
            format!("i.partnership_id = {} AND i.status = 'issued'{}", p[0], of_year(first))
        ),
        part(
            "-cn.net_pence",
            "credit_notes cn JOIN invoices i ON i.id = cn.invoice_id",
            format!(
                "cn.partnership_id = {} AND i.status = 'issued'{}",
                if year.is_some() { &p[2] } else { &p[1] },
                of_year(second)
            )
        ),
    );
    let mut values: Vec<sea_orm::Value> = vec![partnership_id.into()];
    values.extend(year.map(|y| sea_orm::Value::from(y.to_string())));
    values.push(partnership_id.into());
    values.extend(year.map(|y| sea_orm::Value::from(y.to_string())));
    let mut out = Vec::new();
    for row in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
        out.push(Invoiced {
            period: row.try_get::<Option<String>>("", "period")?.unwrap_or_default(),
            stream: key_of(&row.try_get::<String>("", "stream")?),
            council: row.try_get::<i32>("", "council")? == 1,
            net: Money::from_pence(row.try_get::<i64>("", "total")?),
        });
    }
    Ok(out)
}

/// Income by month between two days, three ways: by the month each invoice was issued in,
/// recognised in the months its period covers (an annual fee spread over its year by days), both
/// before VAT and net of credit notes; and received, by the month each payment arrived (VAT
/// included), in the stream of the invoice it paid. By stream in the order of [`INCOME_STREAMS`].
#[derive(Debug, Clone, Serialize)]
pub struct IncomeByMonth {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub invoiced: Vec<Month>,
    pub recognised: Vec<Month>,
    /// Payments received in each month (not reversed) as allocated to invoices.
    pub received: Vec<Month>,
    /// Each stream's total over the range, then the total of all streams.
    pub invoiced_total: Vec<Money>,
    pub recognised_total: Vec<Money>,
    pub received_total: Vec<Money>,
}

/// The most days an income range may cover (a little over two years).
pub const MAX_RANGE_DAYS: i64 = 800;

/// [`IncomeByMonth`] from `from` to `to` (both included), read in one query. Invoices of one
/// stream issued on the same day for the same period (a billing run's) are spread together.
pub async fn income_by_month(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<IncomeByMonth, ServiceError> {
    use crate::domain::recognition::{month_of, spread_by_month};
    if to < from {
        return Err(ServiceError::invalid("to", "The last day must be on or after the first day"));
    }
    if (to - from).num_days() > MAX_RANGE_DAYS {
        return Err(ServiceError::invalid("to", format!("Choose at most {MAX_RANGE_DAYS} days")));
    }
    let backend = db.get_database_backend();
    // Invoices, and their credit notes negated (read from their own table), added up together.
    let p = placeholders(backend, 10);
    let in_range = |k: usize| {
        format!(
            "((i.period_start <= {} AND i.period_end >= {}) OR (i.issue_date >= {} AND i.issue_date <= {}))",
            p[k],
            p[k + 1],
            p[k + 2],
            p[k + 3]
        )
    };
    let part = |amount: &str, from: &str, condition: String| {
        format!(
            "SELECT i.issue_date AS issued, i.period_start AS starts, i.period_end AS ends, {STREAM_SQL} AS stream, \
                {amount} AS amount FROM {from} {STREAM_JOINS} WHERE {condition}"
        )
    };
    let sql = format!(
        "SELECT t.issued AS issued, t.starts AS starts, t.ends AS ends, t.stream AS stream, CAST(SUM(t.amount) AS BIGINT) AS net \
         FROM ({} UNION ALL {}) t GROUP BY t.issued, t.starts, t.ends, t.stream",
        part(
            "i.net_pence",
            "invoices i",
            format!("i.partnership_id = {} AND i.status = 'issued' AND {}", p[0], in_range(1))
        ),
        part(
            "-cn.net_pence",
            "credit_notes cn JOIN invoices i ON i.id = cn.invoice_id",
            format!("cn.partnership_id = {} AND i.status = 'issued' AND {}", p[5], in_range(6))
        ),
    );
    let range = || -> [sea_orm::Value; 4] { [to.into(), from.into(), from.into(), to.into()] };
    let mut values: Vec<sea_orm::Value> = vec![partnership_id.into()];
    values.extend(range());
    values.push(partnership_id.into());
    values.extend(range());
    let index = |stream: &str| INCOME_STREAMS.iter().position(|(k, _)| *k == key_of(stream)).unwrap_or(0);
    let months_between = || {
        let mut list = BTreeMap::new();
        let mut m = month_of(from);
        while m <= to {
            list.insert(m, vec![Money::ZERO; INCOME_STREAMS.len()]);
            m = m.checked_add_months(chrono::Months::new(1)).unwrap_or(chrono::NaiveDate::MAX);
        }
        list
    };
    let (mut invoiced, mut recognised) = (months_between(), months_between());
    for row in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
        let k = index(&row.try_get::<String>("", "stream")?);
        let net = Money::from_pence(row.try_get::<i64>("", "net")?);
        if let Some(issued) = row.try_get::<Option<chrono::NaiveDate>>("", "issued")?
            && (from..=to).contains(&issued)
            && let Some(cells) = invoiced.get_mut(&month_of(issued))
        {
            cells[k] = cells[k] + net;
        }
        let (starts, ends) =
            (row.try_get::<chrono::NaiveDate>("", "starts")?, row.try_get::<chrono::NaiveDate>("", "ends")?);
        for (month, part) in spread_by_month(net, starts, ends) {
            // A month only partly in the range counts in full: the range is whole months on the page.
            if let Some(cells) = recognised.get_mut(&month) {
                cells[k] = cells[k] + part;
            }
        }
    }
    // Payments by the month they arrived, in the stream of the invoice each part paid.
    let p = placeholders(backend, 3);
    let received_sql = format!(
        "SELECT pm.received_on AS received, {STREAM_SQL} AS stream, CAST(SUM(a.amount_pence) AS BIGINT) AS total \
         FROM allocations a JOIN payments pm ON pm.id = a.payment_id JOIN invoices i ON i.id = a.invoice_id \
         {STREAM_JOINS} \
         WHERE a.partnership_id = {} AND a.undone_at IS NULL AND pm.reversed_at IS NULL \
           AND pm.received_on >= {} AND pm.received_on <= {} GROUP BY 1, 2",
        p[0], p[1], p[2]
    );
    let mut received = months_between();
    for row in db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            received_sql,
            [partnership_id.into(), from.into(), to.into()],
        ))
        .await?
    {
        let k = index(&row.try_get::<String>("", "stream")?);
        let day = row.try_get::<chrono::NaiveDate>("", "received")?;
        if let Some(cells) = received.get_mut(&month_of(day)) {
            cells[k] = cells[k] + Money::from_pence(row.try_get::<i64>("", "total")?);
        }
    }
    let months = |by: BTreeMap<chrono::NaiveDate, Vec<Money>>| -> Vec<Month> {
        by.into_iter()
            .map(|(m, by_stream)| {
                let total = by_stream.iter().fold(Money::ZERO, |a, b| a + *b);
                Month { month: m.format("%Y-%m").to_string(), by_stream, total }
            })
            .collect()
    };
    let totals = |list: &[Month]| -> Vec<Money> {
        (0..=INCOME_STREAMS.len())
            .map(|k| {
                list.iter().fold(Money::ZERO, |a, m| {
                    a + if k < m.by_stream.len() { m.by_stream[k] } else { m.total }
                })
            })
            .collect()
    };
    let (invoiced, recognised, received) = (months(invoiced), months(recognised), months(received));
    Ok(IncomeByMonth {
        from,
        to,
        invoiced_total: totals(&invoiced),
        recognised_total: totals(&recognised),
        received_total: totals(&received),
        invoiced,
        recognised,
        received,
    })
}

/// The membership year `text` names, or an error naming the field.
fn year_of(partnership: &Partnership, text: &str) -> Result<MembershipYear, ServiceError> {
    MembershipYear::parse(partnership.year_kind, text)
        .ok_or_else(|| ServiceError::invalid("year", MembershipYear::problem(text)))
}

/// The funding report of a membership year.
pub async fn funding(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    year: &str,
) -> Result<FundingReport, ServiceError> {
    let span = year_of(partnership, year)?;
    let mut report = funding_by_stream(db, partnership, year).await?;
    let by_month = income_by_month(db, partnership.id, span.first_day(), span.last_day()).await?;
    report.recognised = by_month.recognised;
    report.received_by_month = by_month.received;
    Ok(report)
}

/// The funding report without its income by month (recognised and received are left empty):
/// for [`pack`] to read the months beside it, and for pages that show only the streams.
pub async fn funding_by_stream(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    year: &str,
) -> Result<FundingReport, ServiceError> {
    let membership_year = year_of(partnership, year)?;
    let year = membership_year.label();
    let backend = db.get_database_backend();
    let pid = partnership.id;
    let mut invoiced_by: BTreeMap<&'static str, Money> = BTreeMap::new();
    let mut months: BTreeMap<String, BTreeMap<&'static str, Money>> = BTreeMap::new();
    let (mut council, mut all) = (Money::ZERO, Money::ZERO);
    for g in invoiced(db, pid, Some(&year), Period::Month).await? {
        *invoiced_by.entry(g.stream).or_default() =
            invoiced_by.get(g.stream).copied().unwrap_or_default() + g.net;
        let m = months.entry(g.period).or_default();
        *m.entry(g.stream).or_default() = m.get(g.stream).copied().unwrap_or_default() + g.net;
        if g.council {
            council = council + g.net;
        }
        all = all + g.net;
    }
    let p2 = placeholders(backend, 2);
    let received_sql = format!(
        "SELECT {STREAM_SQL} AS stream, CAST(COALESCE(SUM(a.amount_pence), 0) AS BIGINT) AS total \
         FROM allocations a JOIN invoices i ON i.id = a.invoice_id \
         {STREAM_JOINS} \
         WHERE i.partnership_id = {} AND i.year = {} AND a.undone_at IS NULL GROUP BY 1",
        p2[0], p2[1]
    );
    let mut received: BTreeMap<&'static str, Money> = BTreeMap::new();
    for row in db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            received_sql,
            [pid.into(), year.clone().into()],
        ))
        .await?
    {
        let stream = key_of(&row.try_get::<String>("", "stream")?);
        *received.entry(stream).or_default() = received.get(stream).copied().unwrap_or_default()
            + Money::from_pence(row.try_get::<i64>("", "total")?);
    }
    // Contract instalments of the year still to invoice (their period starts in it).
    let scheduled = {
        use entity::{contract, contract_instalment as ci};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let rows = ci::Entity::find()
            .filter(ci::Column::PartnershipId.eq(pid))
            .filter(ci::Column::State.eq(super::contracts::SCHEDULED))
            .filter(ci::Column::PeriodStart.gte(membership_year.first_day()))
            .filter(ci::Column::PeriodStart.lte(membership_year.last_day()))
            .all(db)
            .await?;
        let streams: BTreeMap<i64, String> = contract::Entity::find()
            .filter(contract::Column::PartnershipId.eq(pid))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.stream))
            .collect();
        let mut out: BTreeMap<&'static str, Money> = BTreeMap::new();
        // Orders of the year confirmed or delivered but not yet invoiced, in their service's stream.
        {
            use entity::service;
            let services: BTreeMap<i64, String> = service::Entity::find()
                .filter(service::Column::PartnershipId.eq(pid))
                .all(db)
                .await?
                .into_iter()
                .map(|s| (s.id, s.income_stream))
                .collect();
            for (service_id, charge) in uninvoiced_orders(db, pid, &year).await? {
                let key = key_of(services.get(&service_id).map_or("traded_services", String::as_str));
                *out.entry(key).or_default() = out.get(key).copied().unwrap_or_default() + charge;
            }
        }
        for r in rows {
            let stream: Stream =
                read_stored("contracts", "stream", streams.get(&r.contract_id).map_or("", String::as_str))?;
            let key = key_of(stream.as_str());
            *out.entry(key).or_default() =
                out.get(key).copied().unwrap_or_default() + Money::from_pence(r.amount_pence.unwrap_or(0));
        }
        out
    };
    let mut budgets: BTreeMap<String, Money> = BTreeMap::new();
    {
        use entity::income_budget;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        for b in income_budget::Entity::find()
            .filter(income_budget::Column::PartnershipId.eq(pid))
            .filter(income_budget::Column::Year.eq(year.as_str()))
            .all(db)
            .await?
        {
            budgets.insert(b.stream, Money::from_pence(b.amount_pence));
        }
    }
    let line = |key: &'static str| {
        let inv = invoiced_by.get(key).copied().unwrap_or_default();
        let budget = budgets.get(key).copied();
        StreamLine {
            stream: key,
            label: label_of(key),
            budget,
            invoiced: inv,
            received: received.get(key).copied().unwrap_or_default(),
            variance: budget.map(|b| inv - b),
            forecast: inv + scheduled.get(key).copied().unwrap_or_default(),
        }
    };
    let streams: Vec<StreamLine> = INCOME_STREAMS.iter().map(|(k, _)| line(k)).collect();
    let any_budget = streams.iter().any(|s| s.budget.is_some());
    let sum = |f: fn(&StreamLine) -> Money| streams.iter().fold(Money::ZERO, |a, s| a + f(s));
    let total_budget = streams.iter().filter_map(|s| s.budget).fold(Money::ZERO, |a, b| a + b);
    let total = StreamLine {
        stream: "total",
        label: "All income",
        budget: any_budget.then_some(total_budget),
        invoiced: sum(|s| s.invoiced),
        received: sum(|s| s.received),
        variance: any_budget.then(|| sum(|s| s.invoiced) - total_budget),
        forecast: sum(|s| s.forecast),
    };
    let collection = super::ledger::collection(db, pid, &year).await?;
    Ok(FundingReport {
        recognised: Vec::new(),
        received_by_month: Vec::new(),
        streams,
        total,
        months: months
            .into_iter()
            .map(|(month, by)| {
                let by_stream: Vec<Money> =
                    INCOME_STREAMS.iter().map(|(k, _)| by.get(k).copied().unwrap_or_default()).collect();
                let total = by_stream.iter().fold(Money::ZERO, |a, b| a + *b);
                Month { month, by_stream, total }
            })
            .collect(),
        collection_rate: collection.rate,
        council_share: (all > Money::ZERO)
            .then(|| (council.amount() * Decimal::from(100) / all.amount()).round_dp(0)),
        year,
    })
}

/// What orders of the year confirmed or delivered but not yet invoiced will charge (before VAT),
/// by service.
async fn uninvoiced_orders(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
) -> Result<BTreeMap<i64, Money>, ServiceError> {
    use entity::order;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut out: BTreeMap<i64, Money> = BTreeMap::new();
    for o in order::Entity::find()
        .filter(order::Column::PartnershipId.eq(partnership_id))
        .filter(order::Column::Year.eq(year))
        .filter(order::Column::State.is_in(["confirmed", "delivered"]))
        .filter(order::Column::InvoiceId.is_null())
        .all(db)
        .await?
    {
        let quantity: Decimal = read_stored("orders", "quantity", &o.quantity)?;
        let free: Decimal = read_stored("orders", "free_units", &o.free_units)?;
        let charge = crate::domain::traded::line_total(
            (quantity - free).max(Decimal::ZERO),
            Money::from_pence(o.unit_price_pence),
        );
        *out.entry(o.service_id).or_default() = out.get(&o.service_id).copied().unwrap_or_default() + charge;
    }
    Ok(out)
}

/// One traded service's line of the report: its budget for the year, what its orders and event
/// places were invoiced in the year (before VAT, net of credit notes), the variance, and the
/// forecast (invoiced plus orders confirmed or delivered but not yet invoiced).
#[derive(Debug, Clone, Serialize)]
pub struct ServiceLine {
    pub service_id: i64,
    pub service: String,
    /// The income stream it counts in, in words.
    pub stream: &'static str,
    pub budget: Option<Money>,
    pub invoiced: Money,
    pub variance: Option<Money>,
    pub forecast: Money,
}

/// Every traded service offered in the year (or budgeted or invoiced in it), by name.
pub async fn by_service(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    year: &str,
) -> Result<Vec<ServiceLine>, ServiceError> {
    use entity::{service, service_budget};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let span = year_of(partnership, year)?;
    let year = span.label();
    let pid = partnership.id;
    let backend = db.get_database_backend();
    let p = placeholders(backend, 4);
    // From the partnership's orders and event places to the lines that charge for them (by the
    // lines' source index), so the year's other invoice lines are never read.
    let sql = format!(
        "SELECT t.service_id AS service_id, CAST(COALESCE(SUM(t.net), 0) AS BIGINT) AS total FROM ( \
           SELECT o.service_id AS service_id, l.net_pence - COALESCE((SELECT SUM(c.net_pence) FROM credit_note_lines c \
               WHERE c.invoice_line_id = l.id), 0) AS net \
           FROM orders o JOIN invoice_lines l ON l.source_kind = 'order' AND l.source_id = o.id \
           JOIN invoices i ON i.id = l.invoice_id \
           WHERE o.partnership_id = {} AND i.status = 'issued' AND i.year = {} \
           UNION ALL \
           SELECT e.service_id, l.net_pence - COALESCE((SELECT SUM(c.net_pence) FROM credit_note_lines c \
               WHERE c.invoice_line_id = l.id), 0) \
           FROM events e JOIN event_places ep ON ep.event_id = e.id \
           JOIN invoice_lines l ON l.source_kind IN ('event_place', 'event_fee', 'event_no_show') AND l.source_id = ep.id \
           JOIN invoices i ON i.id = l.invoice_id \
           WHERE e.partnership_id = {} AND i.status = 'issued' AND i.year = {}) t GROUP BY t.service_id",
        p[0], p[1], p[2], p[3]
    );
    let mut invoiced: BTreeMap<i64, Money> = BTreeMap::new();
    for row in db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [pid.into(), year.clone().into(), pid.into(), year.clone().into()],
        ))
        .await?
    {
        invoiced.insert(
            row.try_get::<i64>("", "service_id")?,
            Money::from_pence(row.try_get::<i64>("", "total")?),
        );
    }
    let budgets: BTreeMap<i64, Money> = service_budget::Entity::find()
        .filter(service_budget::Column::PartnershipId.eq(pid))
        .filter(service_budget::Column::Year.eq(year.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.service_id, Money::from_pence(b.amount_pence)))
        .collect();
    let ordered = uninvoiced_orders(db, pid, &year).await?;
    let services = service::Entity::find()
        .filter(service::Column::PartnershipId.eq(pid))
        .order_by_asc(service::Column::Name)
        .order_by_asc(service::Column::Id)
        .all(db)
        .await?;
    Ok(services
        .into_iter()
        .filter(|s| {
            let offered =
                s.active_from <= span.last_day() && s.active_to.is_none_or(|to| to >= span.first_day());
            offered
                || budgets.contains_key(&s.id)
                || invoiced.contains_key(&s.id)
                || ordered.contains_key(&s.id)
        })
        .map(|s| {
            let inv = invoiced.get(&s.id).copied().unwrap_or_default();
            let budget = budgets.get(&s.id).copied();
            ServiceLine {
                service_id: s.id,
                stream: label_of(&s.income_stream),
                service: s.name,
                budget,
                invoiced: inv,
                variance: budget.map(|b| inv - b),
                forecast: inv + ordered.get(&s.id).copied().unwrap_or_default(),
            }
        })
        .collect())
}

/// Sets a year's budgets in one transaction, audited: each income stream given and each traded
/// service given (an empty amount removes it). Nothing is written if any is wrong; a service of
/// another partnership is refused as unknown.
pub async fn set_budgets<C>(
    db: &C,
    partnership: &Partnership,
    year: &str,
    streams: &[(String, Option<Money>)],
    services: &[(i64, Option<Money>)],
    user_id: Option<i64>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    use entity::{income_budget, service, service_budget};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let year = year_of(partnership, year)?.label();
    let names: BTreeMap<i64, String> = service::Entity::find()
        .filter(service::Column::PartnershipId.eq(partnership.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let below_zero = "A budget cannot be below £0.00";
    let mut errors = Vec::new();
    for (stream, amount) in streams {
        if !INCOME_STREAMS.iter().any(|(k, _)| k == stream) {
            errors.push(FieldError {
                field: stream.clone(),
                message: format!("\"{stream}\" is not an income stream"),
            });
        } else if amount.is_some_and(|a| a < Money::ZERO) {
            errors.push(FieldError { field: stream.clone(), message: below_zero.into() });
        }
    }
    for (id, amount) in services {
        let field = format!("services.{id}");
        if !names.contains_key(id) {
            errors.push(FieldError {
                field,
                message: format!("There is no traded service {id} in the catalogue"),
            });
        } else if amount.is_some_and(|a| a < Money::ZERO) {
            errors.push(FieldError { field, message: below_zero.into() });
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let txn = begin_write(db).await?;
    let mut words = Vec::new();
    for (stream, amount) in streams {
        let existing = income_budget::Entity::find()
            .filter(income_budget::Column::PartnershipId.eq(partnership.id))
            .filter(income_budget::Column::Year.eq(year.as_str()))
            .filter(income_budget::Column::Stream.eq(stream.as_str()))
            .one(&txn)
            .await?;
        match (existing, amount) {
            (Some(row), None) => {
                income_budget::Entity::delete_by_id(row.id).exec(&txn).await?;
            }
            (Some(row), Some(a)) => {
                let mut active: income_budget::ActiveModel = row.into();
                active.amount_pence = Set(to_stored_pence(stream, *a)?);
                active.update(&txn).await?;
            }
            (None, Some(a)) => {
                income_budget::ActiveModel {
                    partnership_id: Set(partnership.id),
                    year: Set(year.clone()),
                    stream: Set(stream.clone()),
                    amount_pence: Set(to_stored_pence(stream, *a)?),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
            (None, None) => {}
        }
        words.push(format!(
            "{}: {}",
            label_of(stream),
            amount.map(|a| a.to_string()).unwrap_or_else(|| "none".into())
        ));
    }
    for (id, amount) in services {
        let existing = service_budget::Entity::find()
            .filter(service_budget::Column::PartnershipId.eq(partnership.id))
            .filter(service_budget::Column::Year.eq(year.as_str()))
            .filter(service_budget::Column::ServiceId.eq(*id))
            .one(&txn)
            .await?;
        let field = format!("service-{id}");
        match (existing, amount) {
            (Some(row), None) => {
                service_budget::Entity::delete_by_id(row.id).exec(&txn).await?;
            }
            (Some(row), Some(a)) => {
                let mut active: service_budget::ActiveModel = row.into();
                active.amount_pence = Set(to_stored_pence(&field, *a)?);
                active.update(&txn).await?;
            }
            (None, Some(a)) => {
                service_budget::ActiveModel {
                    partnership_id: Set(partnership.id),
                    year: Set(year.clone()),
                    service_id: Set(*id),
                    amount_pence: Set(to_stored_pence(&field, *a)?),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
            (None, None) => continue,
        }
        let name = names.get(id).cloned().unwrap_or_default();
        words.push(format!("{name}: {}", amount.map(|a| a.to_string()).unwrap_or_else(|| "none".into())));
    }
    audit::record(
        &txn,
        Event {
            partnership_id: partnership.id,
            user_id,
            action: "budget.set",
            entity: "partnership",
            entity_id: partnership.id,
            before: None,
            after: Some(serde_json::json!({ "year": year, "budgets": words.join("; ") })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Members among the area's open schools in one group (a phase or a type).
#[derive(Debug, Clone, Serialize)]
pub struct TakeUpRow {
    pub group: String,
    pub open_schools: u64,
    pub members: u64,
    /// Whole per cent of the group's open schools that are members.
    pub share: Option<u64>,
}

/// A year's membership take-up: by phase and by type of school (the area's open schools, from
/// the register, against the year's members), the trend over the years with offers, and the
/// schools that joined and left since the year before.
#[derive(Debug, Clone, Serialize)]
pub struct TakeUp {
    pub year: String,
    pub by_phase: Vec<TakeUpRow>,
    pub by_type: Vec<TakeUpRow>,
    pub total: TakeUpRow,
    /// Each year with an offer and its member schools.
    pub trend: Vec<(String, u64)>,
    /// The year compared with for joiners and leavers, when it had an offer.
    pub previous: Option<String>,
    pub joined: Vec<String>,
    pub left: Vec<String>,
}

/// The take-up of membership in a year.
pub async fn take_up(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    year: &str,
) -> Result<TakeUp, ServiceError> {
    use entity::{membership, offer, school};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    use std::collections::{BTreeSet, HashMap};
    let year = year_of(partnership, year)?;
    let pid = partnership.id;
    let offers: Vec<offer::Model> = offer::Entity::find()
        .filter(offer::Column::PartnershipId.eq(pid))
        .order_by_asc(offer::Column::Year)
        .all(db)
        .await?;
    let open = ["open", "proposed_to_close"];
    // (id, phase, type group, name) of the area's schools, open or not (members may since have closed).
    let schools: HashMap<i64, (String, String, String, bool)> = school::Entity::find()
        .select_only()
        .column(school::Column::Id)
        .column(school::Column::BillingPhase)
        .column(school::Column::TypeGroup)
        .column(school::Column::Name)
        .column(school::Column::Status)
        .filter(school::Column::PartnershipId.eq(pid))
        .filter(school::Column::OutsideArea.eq(false))
        .into_tuple::<(i64, String, Option<String>, String, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, phase, group, name, status)| {
            (id, (phase, group.unwrap_or_else(|| "Other".into()), name, open.contains(&status.as_str())))
        })
        .collect();
    // Every year's members among the area's schools, in one read.
    let mut members: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    for (offer_id, school_id) in membership::Entity::find()
        .select_only()
        .column(membership::Column::OfferId)
        .column(membership::Column::SchoolId)
        .filter(membership::Column::PartnershipId.eq(pid))
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
    {
        if schools.contains_key(&school_id) {
            members.entry(offer_id).or_default().insert(school_id);
        }
    }
    let members_in = |label: &str| -> BTreeSet<i64> {
        offers.iter().find(|o| o.year == label).and_then(|o| members.get(&o.id)).cloned().unwrap_or_default()
    };
    let this = members_in(&year.label());
    let previous = year
        .start_year()
        .checked_sub(1)
        .and_then(|y| MembershipYear::new(year.kind(), y))
        .map(|y| y.label())
        .filter(|label| offers.iter().any(|o| &o.year == label));
    let before = previous.as_deref().map(members_in).unwrap_or_default();
    let rows = |key: fn(&(String, String, String, bool)) -> &String| {
        let mut groups: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (id, s) in &schools {
            let e = groups.entry(key(s).clone()).or_default();
            if s.3 {
                e.0 += 1;
            }
            if this.contains(id) {
                e.1 += 1;
            }
        }
        groups
            .into_iter()
            .filter(|(_, (open, members))| *open > 0 || *members > 0)
            .map(|(group, (open, members))| TakeUpRow {
                group,
                open_schools: open,
                members,
                share: (open > 0).then(|| members * 100 / open),
            })
            .collect::<Vec<_>>()
    };
    let by_phase = rows(|s| &s.0);
    let by_type = rows(|s| &s.1);
    let open_total = schools.values().filter(|s| s.3).count() as u64;
    let total = TakeUpRow {
        group: "All the area's schools".into(),
        open_schools: open_total,
        members: this.len() as u64,
        share: (open_total > 0).then(|| this.len() as u64 * 100 / open_total),
    };
    let trend: Vec<(String, u64)> =
        offers.iter().map(|o| (o.year.clone(), members.get(&o.id).map_or(0, |m| m.len() as u64))).collect();
    let name = |id: &i64| schools.get(id).map(|s| s.2.clone()).unwrap_or_default();
    let mut joined: Vec<String> =
        if previous.is_some() { this.difference(&before).map(name).collect() } else { Vec::new() };
    let mut left: Vec<String> = before.difference(&this).map(name).collect();
    joined.sort();
    left.sort();
    Ok(TakeUp { year: year.label(), by_phase, by_type, total, trend, previous, joined, left })
}

/// A year's membership income by billing phase, type of school, local authority and trust, with
/// the income per pupil of each.
#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    pub year: String,
    pub by_phase: Vec<crate::domain::breakdown::Group>,
    pub by_type: Vec<crate::domain::breakdown::Group>,
    pub by_local_authority: Vec<crate::domain::breakdown::Group>,
    pub by_trust: Vec<crate::domain::breakdown::Group>,
    pub total: Option<crate::domain::breakdown::Group>,
}

/// [`Breakdown`] of a membership year: what each school's membership lines of the year's issued
/// invoices came to before VAT, less the credit notes against those lines.
pub async fn breakdown(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    year: &str,
) -> Result<Breakdown, ServiceError> {
    use crate::domain::breakdown::{SchoolIncome, group_by};
    use entity::{local_authority, school, trust};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use std::collections::HashMap;
    let membership_year = year_of(partnership, year)?;
    let year = membership_year.label();
    let backend = db.get_database_backend();
    let pid = partnership.id;
    let p = placeholders(backend, 4);
    let sql = format!(
        "SELECT l.school_id AS school_id, CAST(SUM(l.net_pence - COALESCE(cl.net, 0)) AS BIGINT) AS net \
         FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
         LEFT JOIN (SELECT c.invoice_line_id, SUM(c.net_pence) AS net FROM credit_note_lines c \
                    JOIN credit_notes n ON n.id = c.credit_note_id WHERE n.partnership_id = {} GROUP BY c.invoice_line_id) cl \
           ON cl.invoice_line_id = l.id \
         WHERE i.partnership_id = {} AND i.year = {} AND i.status = 'issued' AND i.billing_run_id IS NOT NULL \
           AND l.school_id IS NOT NULL AND l.source_kind = {} GROUP BY l.school_id",
        p[0], p[1], p[2], p[3]
    );
    let values: Vec<sea_orm::Value> =
        vec![pid.into(), pid.into(), year.clone().into(), "membership".to_string().into()];
    let mut income: HashMap<i64, Money> = HashMap::new();
    for row in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
        income
            .insert(row.try_get::<i64>("", "school_id")?, Money::from_pence(row.try_get::<i64>("", "net")?));
    }
    let ids: Vec<i64> = income.keys().copied().collect();
    // Most of a register invoiced: read the whole register at once rather than by the page.
    let whole = ids.len() > 1_000;
    let figures = if whole {
        super::register::pupil_figures_of_partnership(db, pid).await?
    } else {
        super::register::pupil_figures(db, &ids).await?
    };
    let las: HashMap<i64, String> = local_authority::Entity::find()
        .filter(local_authority::Column::PartnershipId.eq(pid))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let trusts: HashMap<i64, String> = trust::Entity::find()
        .filter(trust::Column::PartnershipId.eq(pid))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    // Each school invoiced, with the groups it falls in.
    struct Member {
        income: SchoolIncome,
        phase: String,
        kind: Option<String>,
        council: Option<String>,
        trust: Option<String>,
    }
    // Only the columns the groups need: (id, phase, type group, council, trust).
    type Row = (i64, String, Option<String>, i64, Option<i64>);
    let columns = || {
        use sea_orm::QuerySelect;
        school::Entity::find()
            .select_only()
            .column(school::Column::Id)
            .column(school::Column::BillingPhase)
            .column(school::Column::TypeGroup)
            .column(school::Column::LocalAuthorityId)
            .column(school::Column::TrustId)
    };
    let mut schools: Vec<Row> = Vec::with_capacity(ids.len());
    if whole {
        schools = columns().filter(school::Column::PartnershipId.eq(pid)).into_tuple::<Row>().all(db).await?;
        schools.retain(|s| income.contains_key(&s.0));
    } else {
        for chunk in ids.chunks(500) {
            schools.extend(
                columns()
                    .filter(school::Column::Id.is_in(chunk.to_vec()))
                    .into_tuple::<Row>()
                    .all(db)
                    .await?,
            );
        }
    }
    let rows: Vec<Member> = schools
        .into_iter()
        .map(|(id, phase, kind, la, trust)| Member {
            income: SchoolIncome {
                invoiced: income.get(&id).copied().unwrap_or_default(),
                pupils: super::register::pupils_in_force(&figures, id, membership_year.first_day()),
            },
            phase,
            kind,
            council: las.get(&la).map(|n| format!("{n} Council")),
            trust: trust.and_then(|t| trusts.get(&t).cloned()),
        })
        .collect();
    let total =
        group_by(rows.iter().map(|r| (&r.income, Some("All members"))), "All members").into_iter().next();
    Ok(Breakdown {
        by_phase: group_by(rows.iter().map(|r| (&r.income, Some(r.phase.as_str()))), "No phase"),
        by_type: group_by(rows.iter().map(|r| (&r.income, r.kind.as_deref())), "Type not known"),
        by_local_authority: group_by(
            rows.iter().map(|r| (&r.income, r.council.as_deref())),
            "Council not known",
        ),
        by_trust: group_by(rows.iter().map(|r| (&r.income, r.trust.as_deref())), "Not in a trust"),
        total,
        year,
    })
}

/// The partnership's debt against its invoicing: what is owed now, what was invoiced in the year
/// to today (VAT included), and days sales outstanding.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    pub owed: Money,
    pub invoiced_last_365_days: Money,
    pub days_sales_outstanding: Option<u32>,
}

/// [`Health`] on `today`.
pub async fn health(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    today: chrono::NaiveDate,
) -> Result<Health, ServiceError> {
    let backend = db.get_database_backend();
    let p = placeholders(backend, 4);
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(outstanding_pence), 0) AS BIGINT) AS owed, \
            CAST(COALESCE(SUM(CASE WHEN issue_date > {} AND issue_date <= {} THEN gross_pence ELSE 0 END), 0) AS BIGINT) AS sales \
         FROM invoices WHERE partnership_id = {} AND status = {}",
        p[0], p[1], p[2], p[3]
    );
    let year_ago = today - chrono::Days::new(365);
    let values: Vec<sea_orm::Value> =
        vec![year_ago.into(), today.into(), partnership_id.into(), "issued".to_string().into()];
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let (owed, sales) = match row {
        Some(r) => (r.try_get::<i64>("", "owed")?, r.try_get::<i64>("", "sales")?),
        None => (0, 0),
    };
    let (owed, sales) = (Money::from_pence(owed), Money::from_pence(sales));
    Ok(Health {
        owed,
        invoiced_last_365_days: sales,
        days_sales_outstanding: crate::domain::ledger::aged::days_sales_outstanding(owed, sales, 365),
    })
}

/// Everything the funding report shows for a membership year, read once: for the page, its
/// downloads and the board report PDF.
pub struct Pack {
    pub funding: FundingReport,
    pub take_up: TakeUp,
    pub breakdown: Breakdown,
    /// Each traded service bought in the year (ordered or booked).
    pub traded: Vec<super::traded::TakeUp>,
    /// Each traded service against its budget.
    pub services: Vec<ServiceLine>,
    pub health: Health,
}

/// What a spawned report task gave.
async fn spawned<T>(task: tokio::task::JoinHandle<Result<T, ServiceError>>) -> Result<T, ServiceError> {
    task.await.map_err(|e| ServiceError::Internal(format!("a report task failed: {e}")))?
}

/// The [`Pack`] of `year` on `today`. The funding figures and the breakdown by school (the two
/// that read and add up the whole year) run as tasks of their own, so their work in the service
/// as well as in the database runs side by side with the rest.
pub async fn pack(
    db: &sea_orm::DatabaseConnection,
    partnership: &Partnership,
    year: &str,
    today: chrono::NaiveDate,
) -> Result<Pack, ServiceError> {
    let span = year_of(partnership, year)?;
    let (d, p, y) = (db.clone(), partnership.clone(), year.to_string());
    let funding_task = tokio::spawn(async move { funding_by_stream(&d, &p, &y).await });
    let (d, pid) = (db.clone(), partnership.id);
    let months_task =
        tokio::spawn(async move { income_by_month(&d, pid, span.first_day(), span.last_day()).await });
    let (d, p, y) = (db.clone(), partnership.clone(), year.to_string());
    let breakdown_task = tokio::spawn(async move { breakdown(&d, &p, &y).await });
    let (mut funding, by_month, breakdown, take_up, traded, services, health) = tokio::try_join!(
        spawned(funding_task),
        spawned(months_task),
        spawned(breakdown_task),
        take_up(db, partnership, year),
        super::traded::take_up(db, partnership, year),
        by_service(db, partnership, year),
        health(db, partnership.id, today),
    )?;
    funding.recognised = by_month.recognised;
    funding.received_by_month = by_month.received;
    Ok(Pack {
        funding,
        take_up,
        breakdown,
        traded: traded.into_iter().filter(|t| t.orders + t.places > 0).collect(),
        services,
        health,
    })
}
