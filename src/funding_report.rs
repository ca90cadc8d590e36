//! The funding report's tables as data, defined once: the page offers each as a CSV download,
//! and the board report PDF prints them beside the charts. Amounts stay [`Money`] until they are
//! written: plain pounds in a CSV ("1234.50"), "£1,234.50" on paper.

use crate::domain::breakdown::Group;
use crate::domain::money::Money;
use crate::domain::traded::INCOME_STREAMS;
use crate::services::reports::{Month, Pack, StreamLine, TakeUpRow};

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Money(Money),
    Count(u64),
    /// A whole per cent.
    Percent(u64),
    /// No figure: empty in a CSV, these words on paper ("None set").
    Missing(&'static str),
}

impl Cell {
    /// The cell as a CSV field: amounts in pounds without a sign or separators.
    pub fn plain(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Money(m) => m.amount().round_dp(2).to_string(),
            Cell::Count(n) | Cell::Percent(n) => n.to_string(),
            Cell::Missing(_) => String::new(),
        }
    }

    /// The cell as printed for a reader: "£1,234.50", "45%".
    pub fn shown(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Money(m) => m.to_string(),
            Cell::Count(n) => n.to_string(),
            Cell::Percent(n) => format!("{n}%"),
            Cell::Missing(words) => words.to_string(),
        }
    }

    /// Whether the cell is a figure (right-aligned).
    pub fn numeric(&self) -> bool {
        !matches!(self, Cell::Text(_))
    }
}

/// A table of the report: its download name, caption, column heads and rows (a total row last
/// where it has one).
#[derive(Debug, Clone)]
pub struct Table {
    /// The name it downloads by: `/reports/funding.csv?table=streams`.
    pub id: &'static str,
    pub caption: &'static str,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Whether the last row is the table's total (printed bold).
    pub total: bool,
}

impl Table {
    /// The table as CSV rows, its heads first.
    pub fn csv_rows(&self) -> Vec<Vec<String>> {
        std::iter::once(self.columns.clone())
            .chain(self.rows.iter().map(|r| r.iter().map(Cell::plain).collect()))
            .collect()
    }
}

/// The ids of every table, in the order the report shows them.
pub const TABLES: [&str; 9] =
    ["streams", "services", "months", "recognised", "received", "breakdown", "take-up", "trend", "traded"];

fn stream_row(l: &StreamLine) -> Vec<Cell> {
    let or_none = |m: Option<Money>| m.map(Cell::Money).unwrap_or(Cell::Missing("None set"));
    vec![
        Cell::Text(l.label.to_string()),
        or_none(l.budget),
        Cell::Money(l.invoiced),
        or_none(l.variance),
        Cell::Money(l.received),
        Cell::Money(l.forecast),
    ]
}

/// "September 2026" for "2026-09".
pub fn month_name(month: &str) -> String {
    chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_else(|_| "Not yet issued".into())
}

fn month_table(id: &'static str, caption: &'static str, months: &[Month]) -> Table {
    let mut columns = vec!["Month".to_string()];
    columns.extend(INCOME_STREAMS.iter().map(|(_, l)| l.to_string()));
    columns.push("Total".into());
    Table {
        id,
        caption,
        columns,
        rows: months
            .iter()
            .map(|m| {
                std::iter::once(Cell::Text(month_name(&m.month)))
                    .chain(m.by_stream.iter().chain(std::iter::once(&m.total)).map(|v| Cell::Money(*v)))
                    .collect()
            })
            .collect(),
        total: false,
    }
}

/// A financial year's (or any range's) income by month as tables: recognised, invoiced and
/// received, each with a total row.
pub fn income_tables(r: &crate::services::reports::IncomeByMonth) -> Vec<Table> {
    [
        ("recognised", "Recognised by month", &r.recognised, &r.recognised_total),
        ("invoiced", "Invoiced by month of issue", &r.invoiced, &r.invoiced_total),
        ("received", "Received by month", &r.received, &r.received_total),
    ]
    .into_iter()
    .map(|(id, caption, months, totals)| {
        let mut t = month_table(id, caption, months);
        t.rows.push(
            std::iter::once(Cell::Text("All months".into()))
                .chain(totals.iter().map(|m| Cell::Money(*m)))
                .collect(),
        );
        t.total = true;
        t
    })
    .collect()
}

fn group_row(by: &str, g: &Group) -> Vec<Cell> {
    vec![
        Cell::Text(by.to_string()),
        Cell::Text(g.group.clone()),
        Cell::Count(g.schools),
        Cell::Count(g.pupils.max(0) as u64),
        Cell::Money(g.invoiced),
        g.per_pupil.map(Cell::Money).unwrap_or(Cell::Missing("No pupil numbers")),
    ]
}

fn take_up_row(by: &str, r: &TakeUpRow) -> Vec<Cell> {
    vec![
        Cell::Text(by.to_string()),
        Cell::Text(r.group.clone()),
        Cell::Count(r.open_schools),
        Cell::Count(r.members),
        r.share.map(Cell::Percent).unwrap_or(Cell::Missing("No open schools")),
    ]
}

/// Every table of the report, in [`TABLES`] order.
pub fn tables(pack: &Pack) -> Vec<Table> {
    let r = &pack.funding;
    let b = &pack.breakdown;
    let t = &pack.take_up;
    let heads = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut breakdown = Vec::new();
    for (by, list) in [
        ("Phase", &b.by_phase),
        ("Type of school", &b.by_type),
        ("Council", &b.by_local_authority),
        ("Trust", &b.by_trust),
    ] {
        breakdown.extend(list.iter().map(|g| group_row(by, g)));
    }
    breakdown.extend(b.total.iter().map(|g| group_row("All", g)));
    let mut take_up: Vec<Vec<Cell>> = t.by_phase.iter().map(|r| take_up_row("Phase", r)).collect();
    take_up.extend(t.by_type.iter().map(|r| take_up_row("Type of school", r)));
    take_up.push(take_up_row("All", &t.total));
    vec![
        Table {
            id: "streams",
            caption: "Income by stream",
            columns: heads(&[
                "Income stream",
                "Budget",
                "Invoiced (before VAT, net of credit notes)",
                "Variance",
                "Received",
                "Forecast",
            ]),
            rows: r.streams.iter().chain(std::iter::once(&r.total)).map(stream_row).collect(),
            total: true,
        },
        Table {
            id: "services",
            caption: "Traded services against budget",
            columns: heads(&["Service", "Income stream", "Budget", "Invoiced", "Variance", "Forecast"]),
            rows: pack
                .services
                .iter()
                .map(|l| {
                    let or_none = |m: Option<Money>| m.map(Cell::Money).unwrap_or(Cell::Missing("None set"));
                    vec![
                        Cell::Text(l.service.clone()),
                        Cell::Text(l.stream.to_string()),
                        or_none(l.budget),
                        Cell::Money(l.invoiced),
                        or_none(l.variance),
                        Cell::Money(l.forecast),
                    ]
                })
                .collect(),
            total: false,
        },
        month_table("months", "Invoiced by month of issue", &r.months),
        month_table("recognised", "Recognised by month", &r.recognised),
        month_table("received", "Received by month", &r.received_by_month),
        Table {
            id: "breakdown",
            caption: "Membership income by school",
            columns: heads(&["Grouped by", "Schools", "Members", "Pupils", "Invoiced", "Per pupil"]),
            rows: breakdown,
            total: b.total.is_some(),
        },
        Table {
            id: "take-up",
            caption: "Membership take-up",
            columns: heads(&["Grouped by", "Schools", "Open", "Members", "Take-up"]),
            rows: take_up,
            total: true,
        },
        Table {
            id: "trend",
            caption: "Members by year",
            columns: heads(&["Membership year", "Members"]),
            rows: t.trend.iter().map(|(y, n)| vec![Cell::Text(y.clone()), Cell::Count(*n)]).collect(),
            total: false,
        },
        Table {
            id: "traded",
            caption: "Traded services take-up",
            columns: heads(&[
                "Service",
                "Schools",
                "Of them members",
                "Orders",
                "Places",
                "Value before VAT",
            ]),
            rows: pack
                .traded
                .iter()
                .map(|s| {
                    vec![
                        Cell::Text(s.service.clone()),
                        Cell::Count(s.schools),
                        Cell::Count(s.member_schools),
                        Cell::Count(s.orders),
                        Cell::Count(s.places),
                        Money::parse(&s.value).map(Cell::Money).unwrap_or(Cell::Text(s.value.clone())),
                    ]
                })
                .collect(),
            total: false,
        },
    ]
}

/// The report's charts, each drawn from the same figures as a table beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Budget, invoiced and forecast of each income stream (table `streams`).
    Budget,
    /// Income recognised by month, stacked by stream (table `recognised`).
    Recognised,
    /// Member schools each year (table `trend`).
    Members,
}

impl Chart {
    pub const ALL: [Chart; 3] = [Chart::Budget, Chart::Recognised, Chart::Members];

    /// The chart's heading, also its label for screen readers.
    pub fn heading(self) -> &'static str {
        match self {
            Chart::Budget => "Budget, invoiced and forecast by income stream",
            Chart::Recognised => "Income recognised by month, by stream",
            Chart::Members => "Member schools by year",
        }
    }

    /// The id of the table that holds its figures.
    pub fn table(self) -> &'static str {
        match self {
            Chart::Budget => "streams",
            Chart::Recognised => "recognised",
            Chart::Members => "trend",
        }
    }

    /// Draws the chart of `pack` onto any plotters backend.
    pub fn draw<DB: plotters::prelude::DrawingBackend>(
        self,
        root: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
        pack: &Pack,
    ) -> crate::charts::Drawn<DB> {
        use crate::charts::{Series, count_columns, grouped_columns, stacked_columns};
        let r = &pack.funding;
        match self {
            Chart::Budget => {
                let labels: Vec<String> =
                    r.streams.iter().map(|l| short_stream(l.stream).to_string()).collect();
                grouped_columns(
                    root,
                    &labels,
                    &[
                        Series::money("Budget", r.streams.iter().map(|l| l.budget.unwrap_or(Money::ZERO))),
                        Series::money("Invoiced", r.streams.iter().map(|l| l.invoiced)),
                        Series::money("Forecast", r.streams.iter().map(|l| l.forecast)),
                    ],
                )
            }
            Chart::Recognised => {
                let labels: Vec<String> = r.recognised.iter().map(|m| short_month(&m.month)).collect();
                let series: Vec<Series<'_>> = INCOME_STREAMS
                    .iter()
                    .enumerate()
                    .map(|(k, (key, _))| {
                        Series::money(short_stream(key), r.recognised.iter().map(|m| m.by_stream[k]))
                    })
                    .collect();
                stacked_columns(root, &labels, &series)
            }
            Chart::Members => {
                let t = &pack.take_up.trend;
                let labels: Vec<String> = t.iter().map(|(y, _)| y.clone()).collect();
                let counts: Vec<u64> = t.iter().map(|(_, n)| *n).collect();
                count_columns(root, &labels, &counts)
            }
        }
    }
}

/// A stream's name short enough for a chart's axis.
fn short_stream(key: &str) -> &'static str {
    match key {
        "traded_services" => "Traded",
        "memberships" => "Membership",
        "la_commission" => "LA commission",
        "other_commission" => "Other commission",
        _ => "Grants",
    }
}

/// "Sep 26" for "2026-09".
fn short_month(month: &str) -> String {
    chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|d| d.format("%b %y").to_string())
        .unwrap_or_default()
}

/// The report's measures of health in sentences: collection, days sales outstanding, the share
/// from councils, and members against the area's open schools.
pub fn health_sentences(pack: &Pack) -> Vec<(&'static str, String)> {
    let r = &pack.funding;
    let h = &pack.health;
    let t = &pack.take_up.total;
    vec![
        (
            "Collection rate",
            match r.collection_rate {
                Some(c) => format!("{c}% of the year's invoices paid"),
                None => "Nothing invoiced yet".into(),
            },
        ),
        (
            "Days sales outstanding",
            match h.days_sales_outstanding {
                Some(days) => format!(
                    "{days} day{}: {} owed now against {} invoiced (with VAT) in the last 365 days",
                    if days == 1 { "" } else { "s" },
                    h.owed,
                    h.invoiced_last_365_days
                ),
                None => "Nothing invoiced in the last 365 days".into(),
            },
        ),
        (
            "Share from councils",
            match r.council_share {
                Some(c) => format!("{c}% of the year's income invoiced to councils"),
                None => "Nothing invoiced yet".into(),
            },
        ),
        (
            "Take-up",
            match t.share {
                Some(s) => {
                    format!("{} of the area's {} open schools are members ({s}%)", t.members, t.open_schools)
                }
                None => format!("{} members; the register has no open schools", t.members),
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_plain_in_a_csv_and_worded_on_paper() {
        let m = Cell::Money(Money::parse("-1234.5").unwrap());
        assert_eq!((m.plain(), m.shown()), ("-1234.50".to_string(), "-£1,234.50".to_string()));
        let none = Cell::Missing("None set");
        assert_eq!((none.plain(), none.shown()), (String::new(), "None set".to_string()));
        assert_eq!(Cell::Percent(45).shown(), "45%");
        assert!(Cell::Count(3).numeric() && !Cell::Text("x".into()).numeric());
    }

    #[test]
    fn months_are_named() {
        assert_eq!(month_name("2026-09"), "September 2026");
        assert_eq!(month_name(""), "Not yet issued");
    }
}
