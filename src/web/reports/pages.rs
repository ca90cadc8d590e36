//! The funding report page, its CSV, and finance's budgets form.

use crate::domain::money::Money;
use crate::domain::partnership::MembershipYear;
use crate::domain::role::Action;
use crate::domain::traded::INCOME_STREAMS;
use crate::services::reports;
use crate::services::{FieldError, ServiceError};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::fields::{FormData, read_amount};
use crate::web::forms::page::{editor, refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, SelectOption, field_errors, render};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};

field_errors!(BudgetsPage);

#[derive(serde::Deserialize, Default)]
pub(super) struct YearQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    done: String,
    /// Which table a CSV download is of.
    #[serde(default)]
    table: String,
}

/// The year asked for, or the membership year today is in.
fn year_of(state: &AppState, user: &PageUser, asked: &str) -> Result<String, PageError> {
    if asked.trim().is_empty() {
        return Ok(user
            .partnership
            .year_kind
            .year_containing(state.clock.today())
            .map(MembershipYear::label)
            .unwrap_or_default());
    }
    MembershipYear::parse(user.partnership.year_kind, asked)
        .map(MembershipYear::label)
        .ok_or_else(|| PageError::BadRequest(MembershipYear::problem(asked)))
}

fn years(state: &AppState, user: &PageUser, chosen: &str) -> Vec<SelectOption> {
    let now = user.partnership.year_kind.year_containing(state.clock.today());
    let mut list: Vec<MembershipYear> = Vec::new();
    let mut y = now.and_then(|y| MembershipYear::new(y.kind(), y.start_year() - 4));
    while let Some(year) = y {
        if list.len() >= 6 {
            break;
        }
        list.push(year);
        y = year.next();
    }
    list.iter().rev().map(|y| SelectOption::new(y.label(), y.label(), Some(chosen))).collect()
}

fn cell(m: Option<Money>) -> String {
    m.map(|m| m.to_string()).unwrap_or_else(|| "None set".into())
}

#[derive(Template)]
#[template(path = "reports/funding.html")]
struct FundingPage {
    chrome: Chrome,
    notice: Option<String>,
    finance: bool,
    year: String,
    years: Vec<SelectOption>,
    rows: Vec<(String, Vec<String>)>,
    total: Vec<String>,
    stream_labels: Vec<&'static str>,
    months: Vec<(String, Vec<String>, String)>,
    recognised: Vec<(String, Vec<String>, String)>,
    received: Vec<(String, Vec<String>, String)>,
    /// Collection, days sales outstanding, share from councils, take-up: in words.
    health: Vec<(&'static str, String)>,
    /// The charts as inline SVG, each with a table of its figures.
    chart_budget: String,
    chart_recognised: String,
    chart_members: String,
    take_up: reports::TakeUp,
    take_up_tables: Vec<(&'static str, Vec<reports::TakeUpRow>)>,
    /// Membership income by phase, type, council and trust: caption and rows.
    breakdowns: Vec<(&'static str, Vec<crate::domain::breakdown::Group>)>,
    breakdown_total: Option<crate::domain::breakdown::Group>,
    /// Each traded service's take-up: service, schools (members among them), orders and places,
    /// value before VAT.
    traded: Vec<[String; 4]>,
    /// Each traded service against its budget.
    services: Vec<ServiceRow>,
}

struct ServiceRow {
    service: String,
    stream: &'static str,
    /// Budget, invoiced, variance, forecast.
    cells: Vec<String>,
}

impl FundingPage {
    fn share(row: &reports::TakeUpRow) -> String {
        row.share.map(|s| format!("{s}%")).unwrap_or_else(|| "No open schools".into())
    }

    fn per_pupil(group: &crate::domain::breakdown::Group) -> String {
        group.per_pupil.map(|m| m.to_string()).unwrap_or_else(|| "No pupil numbers".into())
    }
}

fn line_cells(l: &reports::StreamLine) -> Vec<String> {
    vec![
        cell(l.budget),
        l.invoiced.to_string(),
        cell(l.variance),
        l.received.to_string(),
        l.forecast.to_string(),
    ]
}

/// Months as table rows: the month's name, each stream's amount and the total.
fn month_rows(months: &[reports::Month]) -> Vec<(String, Vec<String>, String)> {
    months
        .iter()
        .map(|m| {
            (
                crate::funding_report::month_name(&m.month),
                m.by_stream.iter().map(ToString::to_string).collect(),
                m.total.to_string(),
            )
        })
        .collect()
}

#[derive(serde::Deserialize, Default)]
pub(super) struct IncomeQuery {
    #[serde(default)]
    fy: String,
}

#[derive(Template)]
#[template(path = "reports/income.html")]
struct IncomePage {
    chrome: Chrome,
    fy: String,
    range: String,
    years: Vec<SelectOption>,
    stream_labels: Vec<&'static str>,
    tables: Vec<IncomeTable>,
}

struct IncomeTable {
    caption: &'static str,
    id: &'static str,
    rows: Vec<(String, Vec<String>, String)>,
    totals: Vec<String>,
}

/// The financial year asked for (April to March), or the one today is in.
fn financial_year(state: &AppState, q: &IncomeQuery) -> Result<MembershipYear, PageError> {
    use crate::domain::partnership::YearKind;
    match q.fy.trim() {
        "" => YearKind::Financial.year_containing(state.clock.today()),
        text => Some(MembershipYear::parse(YearKind::Financial, text).ok_or_else(|| {
            PageError::BadRequest(MembershipYear::problem(text).replace("membership", "financial"))
        })?),
    }
    .ok_or(PageError::NotFound)
}

/// A financial year's income by month as CSV: recognised, then invoiced, a row a month.
pub(super) async fn income_csv(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<IncomeQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ViewTotals)?;
    let fy = financial_year(&state, &q)?;
    let r = reports::income_by_month(&state.db, user.partnership.id, fy.first_day(), fy.last_day()).await?;
    let mut header = vec!["Month".to_string(), "Basis".to_string()];
    header.extend(INCOME_STREAMS.iter().map(|(_, l)| l.to_string()));
    header.push("Total".into());
    let mut rows = vec![header];
    for (basis, months) in
        [("Recognised", &r.recognised), ("Invoiced", &r.invoiced), ("Received", &r.received)]
    {
        for m in months {
            let mut row = vec![m.month.clone(), basis.to_string()];
            row.extend(m.by_stream.iter().chain(std::iter::once(&m.total)).map(|v| v.amount().to_string()));
            rows.push(row);
        }
    }
    Ok(crate::web::view::download(
        crate::domain::exports::csv(&rows).into_bytes(),
        "text/csv; charset=utf-8",
        &format!("income-by-month-{}.csv", fy.label()),
    ))
}

/// A financial year's income (April to March) by month, invoiced and recognised.
pub(super) async fn income(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<IncomeQuery>,
) -> Result<Response, PageError> {
    use crate::domain::partnership::YearKind;
    user.require(Action::ViewTotals)?;
    let today = state.clock.today();
    let fy = financial_year(&state, &q)?;
    let r = reports::income_by_month(&state.db, user.partnership.id, fy.first_day(), fy.last_day()).await?;
    let now = YearKind::Financial.year_containing(today).unwrap_or(fy);
    let years = (0..6)
        .filter_map(|back| MembershipYear::new(YearKind::Financial, now.start_year() + 1 - back))
        .map(|y| SelectOption::new(y.label(), y.label(), Some(fy.label().as_str())))
        .collect();
    let view = IncomePage {
        chrome: Chrome::for_user(&user, "/reports"),
        range: format!("1 April {} to 31 March {}", fy.start_year(), fy.start_year() + 1),
        fy: fy.label(),
        years,
        stream_labels: INCOME_STREAMS.iter().map(|(_, l)| *l).collect(),
        tables: vec![
            IncomeTable {
                caption: "Recognised by month",
                id: "recognised",
                rows: month_rows(&r.recognised),
                totals: r.recognised_total.iter().map(ToString::to_string).collect(),
            },
            IncomeTable {
                caption: "Invoiced by month of issue",
                id: "invoiced",
                rows: month_rows(&r.invoiced),
                totals: r.invoiced_total.iter().map(ToString::to_string).collect(),
            },
            IncomeTable {
                caption: "Received by month (VAT included)",
                id: "received",
                rows: month_rows(&r.received),
                totals: r.received_total.iter().map(ToString::to_string).collect(),
            },
        ],
    };
    Ok(render(&view)?.into_response())
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    use crate::funding_report::Chart;
    user.require(Action::ViewTotals)?;
    let year = year_of(&state, &user, &q.year)?;
    let pack = reports::pack(&state.db, &user.partnership, &year, state.clock.today()).await?;
    let chart = |c: Chart| {
        crate::charts::svg(c.heading(), |root| {
            let _ = c.draw(root, &pack);
        })
    };
    let (chart_budget, chart_recognised, chart_members) =
        (chart(Chart::Budget), chart(Chart::Recognised), chart(Chart::Members));
    let health = crate::funding_report::health_sentences(&pack);
    let reports::Pack { funding: r, take_up, breakdown: b, traded, services, .. } = pack;
    let services = services
        .into_iter()
        .map(|l| ServiceRow {
            service: l.service,
            stream: l.stream,
            cells: vec![cell(l.budget), l.invoiced.to_string(), cell(l.variance), l.forecast.to_string()],
        })
        .collect();
    let traded = traded
        .into_iter()
        .map(|t| {
            [
                t.service,
                format!("{} ({} members)", t.schools, t.member_schools),
                match (t.orders, t.places) {
                    (o, 0) => format!("{o} order{}", if o == 1 { "" } else { "s" }),
                    (0, p) => format!("{p} place{}", if p == 1 { "" } else { "s" }),
                    (o, p) => format!("{o} orders, {p} places"),
                },
                Money::parse(&t.value).map(|m| m.to_string()).unwrap_or(t.value),
            ]
        })
        .collect();
    let view = FundingPage {
        breakdowns: vec![
            ("By phase", b.by_phase),
            ("By type of school", b.by_type),
            ("By council", b.by_local_authority),
            ("By trust", b.by_trust),
        ],
        breakdown_total: b.total,
        traded,
        services,
        chrome: Chrome::for_user(&user, "/reports"),
        notice: (q.done == "budgets").then(|| "Budgets saved".to_string()),
        finance: user.require(Action::ManageBilling).is_ok(),
        years: years(&state, &user, &year),
        rows: r.streams.iter().map(|l| (l.label.to_string(), line_cells(l))).collect(),
        total: line_cells(&r.total),
        stream_labels: INCOME_STREAMS.iter().map(|(_, l)| *l).collect(),
        months: month_rows(&r.months),
        recognised: month_rows(&r.recognised),
        received: month_rows(&r.received_by_month),
        health,
        chart_budget,
        chart_recognised,
        chart_members,
        take_up_tables: vec![
            ("By phase", take_up.by_phase.clone()),
            ("By type of school", take_up.by_type.clone()),
        ],
        take_up,
        year,
    };
    Ok(render(&view)?.into_response())
}

/// One table of the report as CSV (`table`, by default income by stream).
pub(super) async fn csv(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    use crate::funding_report::{TABLES, tables};
    user.require(Action::ViewTotals)?;
    let year = year_of(&state, &user, &q.year)?;
    let id = if q.table.trim().is_empty() { "streams" } else { q.table.trim() };
    if !TABLES.contains(&id) {
        return Err(PageError::BadRequest(format!(
            "There is no table called \"{id}\" in the funding report: download a table from the links beside it on the report page"
        )));
    }
    let pack = reports::pack(&state.db, &user.partnership, &year, state.clock.today()).await?;
    let table = tables(&pack).into_iter().find(|t| t.id == id).ok_or(PageError::NotFound)?;
    let name = if id == "streams" {
        format!("funding-report-{year}.csv")
    } else {
        format!("funding-report-{year}-{id}.csv")
    };
    Ok(crate::web::view::download(
        crate::domain::exports::csv(&table.csv_rows()).into_bytes(),
        "text/csv; charset=utf-8",
        &name,
    ))
}

/// Tables as a workbook, a sheet a table (named by its caption), amounts as numbers in pounds.
fn workbook(tables: &[crate::funding_report::Table]) -> Result<Vec<u8>, PageError> {
    use crate::funding_report::Cell;
    use rust_decimal::prelude::ToPrimitive;
    use rust_xlsxwriter::{Format, Workbook};
    let failed = |e: rust_xlsxwriter::XlsxError| {
        tracing::error!(error = %e, "XLSX export failed");
        PageError::Internal
    };
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let pounds = Format::new().set_num_format("£#,##0.00;-£#,##0.00");
    let percent = Format::new().set_num_format("0%");
    for table in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(table.caption).map_err(failed)?;
        for (c, head) in table.columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, head, &bold).map_err(failed)?;
        }
        for (i, cells) in table.rows.iter().enumerate() {
            let row = i as u32 + 1;
            for (c, cell) in cells.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(t) => sheet.write_string(row, c, t).map(|_| ()),
                    Cell::Money(m) => {
                        let v = m.amount().to_f64().ok_or(PageError::Internal)?;
                        sheet.write_number_with_format(row, c, v, &pounds).map(|_| ())
                    }
                    Cell::Count(n) => sheet.write_number(row, c, *n as f64).map(|_| ()),
                    Cell::Percent(n) => {
                        sheet.write_number_with_format(row, c, *n as f64 / 100.0, &percent).map(|_| ())
                    }
                    Cell::Missing(_) => Ok(()),
                }
                .map_err(failed)?;
            }
        }
        sheet.set_column_width(0, 30).map_err(failed)?;
        if table.columns.len() > 1 {
            sheet.set_column_width(1, 24).map_err(failed)?;
        }
    }
    book.save_to_buffer().map_err(failed)
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The report as a workbook: every table of the report a sheet.
pub(super) async fn xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ViewTotals)?;
    let year = year_of(&state, &user, &q.year)?;
    let pack = reports::pack(&state.db, &user.partnership, &year, state.clock.today()).await?;
    let bytes = workbook(&crate::funding_report::tables(&pack))?;
    Ok(crate::web::view::download(bytes, XLSX, &format!("funding-report-{year}.xlsx")))
}

/// A financial year's income by month as a workbook: recognised, invoiced and received.
pub(super) async fn income_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<IncomeQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ViewTotals)?;
    let fy = financial_year(&state, &q)?;
    let r = reports::income_by_month(&state.db, user.partnership.id, fy.first_day(), fy.last_day()).await?;
    let bytes = workbook(&crate::funding_report::income_tables(&r))?;
    Ok(crate::web::view::download(bytes, XLSX, &format!("income-by-month-{}.xlsx", fy.label())))
}

/// The board report: the funding report as a PDF for a board's pack.
pub(super) async fn pdf(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ViewTotals)?;
    let year = year_of(&state, &user, &q.year)?;
    let today = state.clock.today();
    let pack = reports::pack(&state.db, &user.partnership, &year, today).await?;
    let name = user.partnership.name.clone();
    let bytes = tokio::task::spawn_blocking(move || crate::pdf::funding_report::render(&pack, &name, today))
        .await
        .map_err(|_| PageError::Internal)?;
    Ok(crate::web::view::download(bytes, "application/pdf", &format!("funding-report-{year}.pdf")))
}

#[derive(Template)]
#[template(path = "reports/budgets.html")]
struct BudgetsPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    year: String,
    /// Each income stream's field: name, label, what is in it.
    fields: Vec<(String, &'static str, String)>,
    /// Each traded service's field, the same way.
    service_fields: Vec<(String, String, String)>,
}

/// A budget's field: its name, its label and the amount in it (empty for no budget).
fn budget_field<L>(name: String, label: L, budget: Option<Money>) -> (String, L, String) {
    (name, label, budget.map(|b| b.amount().to_string()).unwrap_or_default())
}

pub(super) async fn budgets_form(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let year = year_of(&state, &user, &q.year)?;
    // Only the budgets are shown: the figures by stream without the year's income by month.
    let r = reports::funding_by_stream(&state.db, &user.partnership, &year).await?;
    let services = reports::by_service(&state.db, &user.partnership, &year).await?;
    let view = BudgetsPage {
        chrome: Chrome::for_user(&user, "/reports"),
        errors: Vec::new(),
        service_fields: services
            .into_iter()
            .map(|l| budget_field(format!("service-{}", l.service_id), l.service, l.budget))
            .collect(),
        fields: r
            .streams
            .iter()
            .map(|l| budget_field(format!("budget-{}", l.stream), l.label, l.budget))
            .collect(),
        year,
    };
    Ok(render(&view)?.into_response())
}

pub(super) async fn save_budgets(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let year = year_of(&state, &user, form.get("year"))?;
    let mut errors = Vec::new();
    let mut amounts = Vec::new();
    let mut fields = Vec::new();
    for (stream, label) in INCOME_STREAMS {
        let name = format!("budget-{stream}");
        let typed = form.get(&name).to_string();
        match read_amount(&typed, &format!("The {} budget", label.to_lowercase())) {
            Ok(v) => amounts.push((stream.to_string(), v.map(Money::from_decimal_rounded))),
            Err(m) => errors.push(FieldError { field: name.clone(), message: m }),
        }
        fields.push((name, label, typed));
    }
    let mut service_amounts = Vec::new();
    let mut service_fields = Vec::new();
    for line in reports::by_service(&state.db, &user.partnership, &year).await? {
        let name = format!("service-{}", line.service_id);
        let typed = form.get(&name).to_string();
        match read_amount(&typed, &format!("The budget for {}", line.service)) {
            Ok(v) => service_amounts.push((line.service_id, v.map(Money::from_decimal_rounded))),
            Err(m) => errors.push(FieldError { field: name.clone(), message: m }),
        }
        service_fields.push((name, line.service, typed));
    }
    if errors.is_empty() {
        match reports::set_budgets(
            &state.db,
            &user.partnership,
            &year,
            &amounts,
            &service_amounts,
            Some(user.user.id),
        )
        .await
        {
            Ok(()) => return Ok(Redirect::to(&format!("/reports?year={year}&done=budgets")).into_response()),
            Err(ServiceError::Invalid(list)) => {
                let renamed: Vec<(String, String)> = INCOME_STREAMS
                    .iter()
                    .map(|(s, _)| (s.to_string(), format!("budget-{s}")))
                    .chain(
                        service_fields
                            .iter()
                            .map(|(name, _, _)| (name.replacen("service-", "services.", 1), name.clone())),
                    )
                    .collect();
                let pairs: Vec<(&str, &str)> =
                    renamed.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
                errors = refused_as(ServiceError::Invalid(list), &pairs)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let view =
        BudgetsPage { chrome: Chrome::for_user(&user, "/reports"), errors, year, fields, service_fields };
    Ok(with_problems(&view.errors.clone(), render(&view)?))
}
