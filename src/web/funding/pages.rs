//! Funding-model pages for the board and finance: saved scenarios compared side by side.

use crate::charts;
use crate::domain::billing_phase::BillingPhase;
use crate::domain::funding::{CostKind, ModelResult, OptionResult, SchoolCharge, model};
use crate::domain::money::Money;
use crate::domain::role::{Action, allows};
use crate::services::funding;
use crate::services::funding::SavedScenario;
use crate::web::AppState;
use crate::web::error::{PageError, encode_segment, urlencode};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, SelectOption, download, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/funding", get(list))
        .route("/funding/{name}", get(show))
        .route("/funding/{name}/schools.csv", get(schools_csv))
        .route("/funding/{name}/schools.xlsx", get(schools_xlsx))
        .route("/funding/{name}/board-paper.pdf", get(board_paper))
}

#[derive(Template)]
#[template(path = "funding/list.html")]
struct ListPage {
    chrome: Chrome,
    can_edit: bool,
    notice: Option<String>,
    rows: Vec<(String, String, String, usize, String)>,
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    deleted: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ViewTotals)?;
    let rows = funding::list_scenarios(&state.db, user.partnership.id)
        .await?
        .into_iter()
        .map(|s| {
            (
                encode_segment(&s.name),
                s.name,
                s.scenario.year.clone(),
                s.scenario.options.len(),
                s.updated_at.format("%-d %B %Y").to_string(),
            )
        })
        .collect();
    Ok(render(&ListPage {
        chrome: Chrome::for_user(&user, "/funding"),
        can_edit: allows(user.user.role, Action::ManageBilling),
        notice: q.deleted.map(|_| "The scenario was deleted.".to_string()),
        rows,
    })?
    .into_response())
}

/// Runs a saved scenario over the partnership's register as it is now.
async fn compare(
    state: &AppState,
    user: &PageUser,
    name: &str,
) -> Result<(SavedScenario, ModelResult), PageError> {
    user.require(Action::ViewTotals)?;
    let saved = funding::get_scenario(&state.db, user.partnership.id, name).await?;
    let mut scenario = saved.scenario.clone();
    scenario.schools.register = Some(user.partnership.slug.clone());
    let schools = funding::schools_from_register(&state.db, &scenario).await?;
    let result = model(&scenario, &schools);
    Ok((saved, result))
}

/// Which schools the per-school table shows, and in what order (the page, CSV and XLSX share it).
#[derive(serde::Deserialize, Default, Clone)]
pub struct TableQuery {
    pub option: Option<String>,
    pub phase: Option<String>,
    /// "rises", "falls", "same" or all.
    pub change: Option<String>,
    /// school, phase, pupils, charge, per_pupil, today or change (the default).
    pub sort: Option<String>,
    /// asc or desc (the default).
    pub dir: Option<String>,
}

const SORTS: [(&str, &str); 7] = [
    ("school", "School"),
    ("phase", "Phase"),
    ("pupils", "Pupils"),
    ("charge", "Charge"),
    ("per_pupil", "Per pupil"),
    ("today", "Today"),
    ("change", "Change"),
];

impl TableQuery {
    fn option_index(&self, result: &ModelResult) -> usize {
        self.option
            .as_deref()
            .and_then(|o| o.parse::<usize>().ok())
            .filter(|i| *i < result.options.len())
            .unwrap_or(0)
    }

    fn sort_key(&self) -> &str {
        self.sort.as_deref().filter(|s| SORTS.iter().any(|(k, _)| k == s)).unwrap_or("change")
    }

    fn ascending(&self) -> bool {
        self.dir.as_deref() == Some("asc")
    }

    /// The schools of one option, filtered and sorted as asked. Ties go by name.
    pub fn rows<'a>(&self, option: &'a OptionResult) -> Vec<&'a SchoolCharge> {
        let phase = self.phase.as_deref().and_then(BillingPhase::parse);
        let wanted = |s: &SchoolCharge| match (self.change.as_deref(), s.change) {
            (Some("rises"), Some(c)) => c.amount() > Decimal::ZERO,
            (Some("falls"), Some(c)) => c.amount() < Decimal::ZERO,
            (Some("same"), Some(c)) => c.amount().is_zero(),
            (Some("rises" | "falls" | "same"), None) => false,
            _ => true,
        };
        let mut rows: Vec<_> = option
            .schools
            .iter()
            .filter(|s| phase.is_none_or(|p| s.billing_phase == p))
            .filter(|s| wanted(s))
            .collect();
        let key = self.sort_key();
        let money = |m: Option<Money>| m.map(Money::amount);
        rows.sort_by(|a, b| {
            let order = match key {
                "school" => a.name.cmp(&b.name),
                "phase" => a.billing_phase.label().cmp(b.billing_phase.label()),
                "pupils" => a.pupils.cmp(&b.pupils),
                "charge" => money(a.charge).cmp(&money(b.charge)),
                "per_pupil" => money(a.charge_per_pupil).cmp(&money(b.charge_per_pupil)),
                "today" => money(a.baseline).cmp(&money(b.baseline)),
                _ => money(a.change).cmp(&money(b.change)),
            };
            let order = if self.ascending() { order } else { order.reverse() };
            order.then_with(|| a.name.cmp(&b.name))
        });
        rows
    }

    /// This page's address with the query, the sort changed if given.
    fn link(&self, slug: &str, sort: Option<(&str, &str)>) -> String {
        format!("/funding/{slug}?{}", self.query(sort))
    }

    /// The query string, the sort changed if given.
    fn query(&self, sort: Option<(&str, &str)>) -> String {
        let mut parts = Vec::new();
        let mut push = |k: &str, v: Option<&str>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", urlencode(v)));
            }
        };
        push("option", self.option.as_deref());
        push("phase", self.phase.as_deref());
        push("change", self.change.as_deref());
        let (s, d) = sort.unwrap_or((self.sort_key(), if self.ascending() { "asc" } else { "desc" }));
        push("sort", Some(s));
        push("dir", Some(d));
        parts.join("&")
    }
}

struct OptionHead {
    name: String,
}

struct SortHeader {
    label: &'static str,
    href: String,
    /// ascending, descending or none (aria-sort).
    aria: &'static str,
    numeric: bool,
}

struct SchoolRow {
    school: String,
    phase: &'static str,
    pupils: String,
    charge: String,
    per_pupil: String,
    today: String,
    change: String,
}

#[derive(Template)]
#[template(path = "funding/scenario.html")]
struct ScenarioPage {
    chrome: Chrome,
    can_edit: bool,
    name: String,
    slug: String,
    year: String,
    schools: usize,
    options: Vec<OptionHead>,
    headline: Vec<(&'static str, Vec<String>)>,
    costs: Vec<(String, String)>,
    chart_income: String,
    chart_phases: String,
    chart_sign_up: String,
    phase_stats: Vec<Vec<String>>,
    sensitivity: Vec<(String, Vec<String>)>,
    option_name: String,
    option_choices: Vec<SelectOption>,
    phase_choices: Vec<SelectOption>,
    change_choices: Vec<SelectOption>,
    winners: String,
    headers: Vec<SortHeader>,
    table_caption: String,
    school_rows: Vec<SchoolRow>,
    missing: Vec<String>,
    export_query: String,
}

fn break_even_words(text: &str) -> String {
    match text {
        "free" => "Covered at no fee".to_string(),
        "unreachable" => "Cannot break even".to_string(),
        other if other.starts_with("scale ") => format!("Every amount x {}", &other[6..]),
        other => Money::parse(other).map(|m| m.to_string()).unwrap_or_else(|_| other.to_string()),
    }
}

/// The options side by side: each measure, then each option's figure.
pub fn headline(result: &ModelResult) -> Vec<(&'static str, Vec<String>)> {
    let cells = |f: &dyn Fn(&OptionResult) -> String| result.options.iter().map(f).collect::<Vec<_>>();
    vec![
        ("Membership income", cells(&|o| o.income.memberships.to_string())),
        ("Tier income", cells(&|o| o.income.levels.to_string())),
        ("Traded services", cells(&|o| o.income.services.to_string())),
        ("Council", cells(&|o| o.income.council.to_string())),
        ("Total income", cells(&|o| o.income.total.to_string())),
        ("Costs to cover", cells(&|o| o.costs_covered.to_string())),
        ("Surplus (deficit)", cells(&|o| o.surplus.to_string())),
        ("Break-even fee", cells(&|o| break_even_words(&o.break_even))),
        ("Schools with no pupil number", cells(&|o| o.needs_pupil_number.len().to_string())),
    ]
}

/// How many schools pay more, less and the same as today under an option.
fn winners_and_losers(option: &OptionResult) -> String {
    let changes: Vec<Decimal> = option.schools.iter().filter_map(|s| s.change.map(Money::amount)).collect();
    if changes.is_empty() {
        return "The scenario gives no fee for today, so there is nothing to compare with.".into();
    }
    let more = changes.iter().filter(|c| **c > Decimal::ZERO).count();
    let less = changes.iter().filter(|c| **c < Decimal::ZERO).count();
    format!(
        "Under {}, {more} schools would pay more than today, {less} less and {} the same.",
        option.name,
        changes.len() - more - less
    )
}

async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
    Query(q): Query<TableQuery>,
) -> Result<Response, PageError> {
    let (saved, result) = compare(&state, &user, &name).await?;
    let slug = encode_segment(&saved.name);
    let chosen = q.option_index(&result);
    let option = result.options.get(chosen);
    let school_rows: Vec<SchoolRow> = option
        .map(|o| q.rows(o))
        .unwrap_or_default()
        .into_iter()
        .map(|s| SchoolRow {
            school: format!("{} ({})", s.name, s.urn),
            phase: s.billing_phase.label(),
            pupils: s.pupils.map(|p| p.to_string()).unwrap_or_default(),
            charge: s.charge.map(|c| c.to_string()).unwrap_or_default(),
            per_pupil: s.charge_per_pupil.map(|c| c.to_string()).unwrap_or_default(),
            today: s.baseline.map(|c| c.to_string()).unwrap_or_else(|| "None".into()),
            change: s.change.map(|c| c.to_string()).unwrap_or_default(),
        })
        .collect();
    let option_name = option.map(|o| o.name.clone()).unwrap_or_default();
    let headers = SORTS
        .iter()
        .map(|(key, label)| {
            let current = q.sort_key() == *key;
            let next = if current && !q.ascending() {
                "asc"
            } else if current {
                "desc"
            } else if *key == "school" || *key == "phase" {
                "asc"
            } else {
                "desc"
            };
            SortHeader {
                label,
                href: q.link(&slug, Some((key, next))),
                aria: match (current, q.ascending()) {
                    (false, _) => "none",
                    (true, true) => "ascending",
                    (true, false) => "descending",
                },
                numeric: !matches!(*key, "school" | "phase"),
            }
        })
        .collect();
    let export_query = q.query(None);
    let page = ScenarioPage {
        chrome: Chrome::for_user(&user, "/funding"),
        can_edit: allows(user.user.role, Action::ManageBilling),
        slug: slug.clone(),
        name: saved.name,
        year: result.year.clone(),
        schools: result.schools,
        options: result.options.iter().map(|o| OptionHead { name: o.name.clone() }).collect(),
        headline: headline(&result),
        costs: result
            .costs
            .iter()
            .map(|c| {
                let kind = if c.kind == CostKind::Core { "core" } else { "additional" };
                (format!("{} ({kind})", c.name), c.amount.to_string())
            })
            .chain(std::iter::once(("Total".to_string(), result.costs_total.to_string())))
            .collect(),
        chart_income: charts::svg(
            "Chart: each option's income by stream against the costs it must cover",
            |root| {
                let _ = charts::income_against_cost(root, &result);
            },
        ),
        chart_phases: option
            .map(|o| {
                charts::svg(&format!("Chart: what {} charges schools in each phase", o.name), |root| {
                    let _ = charts::charges_by_phase(root, o);
                })
            })
            .unwrap_or_default(),
        chart_sign_up: charts::svg(
            "Chart: each option's surplus as the share of schools joining rises",
            |root| {
                let _ = charts::surplus_against_sign_up(root, &result);
            },
        ),
        phase_stats: option
            .map(|o| {
                o.by_phase
                    .iter()
                    .map(|p| {
                        vec![
                            p.phase.label().to_string(),
                            p.schools.to_string(),
                            p.pupils.to_string(),
                            p.total.to_string(),
                            p.min.to_string(),
                            p.median.to_string(),
                            p.max.to_string(),
                        ]
                    })
                    .collect()
            })
            .unwrap_or_default(),
        sensitivity: (0..=20)
            .step_by(2)
            .map(|i| {
                (
                    format!("{}%", i * 5),
                    result.options.iter().map(|o| o.sensitivity[i].1.to_string()).collect(),
                )
            })
            .collect(),
        option_choices: result
            .options
            .iter()
            .enumerate()
            .map(|(i, o)| SelectOption::new(i.to_string(), o.name.clone(), Some(chosen.to_string().as_str())))
            .collect(),
        phase_choices: BillingPhase::ALL
            .iter()
            .map(|p| SelectOption::new(p.label(), p.label(), q.phase.as_deref()))
            .collect(),
        change_choices: [
            ("", "All schools"),
            ("rises", "Paying more"),
            ("falls", "Paying less"),
            ("same", "Paying the same"),
        ]
        .iter()
        .map(|(v, l)| SelectOption::new(*v, *l, Some(q.change.as_deref().unwrap_or(""))))
        .collect(),
        winners: option.map(winners_and_losers).unwrap_or_default(),
        headers,
        table_caption: format!(
            "What each school would pay under {option_name} ({} schools)",
            school_rows.len()
        ),
        school_rows,
        missing: option
            .map(|o| o.needs_pupil_number.iter().map(|s| format!("{} ({})", s.name, s.urn)).collect())
            .unwrap_or_default(),
        export_query,
        option_name,
    };
    Ok(render(&page)?.into_response())
}

/// The per-school table as exported: a header and one row a school (those needing a pupil
/// number last, with a note).
fn export_rows(option: &OptionResult, q: &TableQuery) -> (Vec<&'static str>, Vec<Vec<Cell>>) {
    let header = vec![
        "URN",
        "School",
        "Billing phase",
        "Pupils",
        "Charge",
        "Charge per pupil",
        "Today",
        "Change",
        "Note",
    ];
    let money = |m: Option<Money>| m.map_or(Cell::Blank, Cell::Money);
    let row = |s: &SchoolCharge, note: &str| {
        vec![
            Cell::Whole(i64::from(s.urn)),
            Cell::Text(s.name.clone()),
            Cell::Text(s.billing_phase.label().to_string()),
            s.pupils.map_or(Cell::Blank, |p| Cell::Whole(i64::from(p))),
            money(s.charge),
            money(s.charge_per_pupil),
            money(s.baseline),
            money(s.change),
            Cell::Text(note.to_string()),
        ]
    };
    let phase = q.phase.as_deref().and_then(BillingPhase::parse);
    let rows = q
        .rows(option)
        .into_iter()
        .map(|s| row(s, ""))
        .chain(
            option
                .needs_pupil_number
                .iter()
                .filter(|s| {
                    phase.is_none_or(|p| s.billing_phase == p) && q.change.as_deref().unwrap_or("").is_empty()
                })
                .map(|s| row(s, "needs pupil number")),
        )
        .collect();
    (header, rows)
}

/// One exported cell.
enum Cell {
    Blank,
    Text(String),
    Whole(i64),
    Money(Money),
}

fn file_name(scenario: &str, option: &str, ext: &str) -> String {
    let clean = |t: &str| {
        t.chars().take(60).map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect::<String>()
    };
    format!("{}-{}.{ext}", clean(scenario), clean(option))
}

/// The most characters a spreadsheet cell holds.
const MAX_CELL_CHARS: usize = 32_767;

/// Text for one cell: longer text is cut, and says so, rather than failing the whole export.
fn cell_text(text: &str) -> String {
    if text.chars().count() <= MAX_CELL_CHARS {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX_CELL_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// A worksheet's name from an option's: at most 31 characters, none of []:*?/\, not starting or
/// ending with an apostrophe, and never empty.
fn sheet_name(option: &str) -> String {
    let kept: String =
        option.chars().filter(|c| !"[]:*?/\\".contains(*c) && !c.is_control()).take(31).collect();
    let trimmed = kept.trim().trim_matches('\'').trim();
    if trimmed.is_empty() { "Schools".to_string() } else { trimmed.to_string() }
}

async fn schools_csv(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
    Query(q): Query<TableQuery>,
) -> Result<Response, PageError> {
    let (saved, result) = compare(&state, &user, &name).await?;
    let option = result.options.get(q.option_index(&result)).ok_or(PageError::NotFound)?;
    let (header, rows) = export_rows(option, &q);
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, record: Vec<String>| {
        out.write_record(record).map_err(|e| {
            tracing::error!(error = %e, "CSV export failed");
            PageError::Internal
        })
    };
    write(&mut out, header.iter().map(|h| h.to_string()).collect())?;
    for row in rows {
        let record = row
            .into_iter()
            .map(|c| match c {
                Cell::Blank => String::new(),
                // A spreadsheet must not run a name as a formula.
                Cell::Text(t) if t.starts_with(['=', '+', '-', '@']) => format!("'{t}"),
                Cell::Text(t) => t,
                Cell::Whole(n) => n.to_string(),
                Cell::Money(m) => m.amount().to_string(),
            })
            .collect();
        write(&mut out, record)?;
    }
    let bytes = out.into_inner().map_err(|_| PageError::Internal)?;
    Ok(download(bytes, "text/csv; charset=utf-8", &file_name(&saved.name, &option.name, "csv")))
}

async fn schools_xlsx(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
    Query(q): Query<TableQuery>,
) -> Result<Response, PageError> {
    use rust_xlsxwriter::{Format, Workbook};
    let (saved, result) = compare(&state, &user, &name).await?;
    let option = result.options.get(q.option_index(&result)).ok_or(PageError::NotFound)?;
    let (header, rows) = export_rows(option, &q);
    let failed = |e: rust_xlsxwriter::XlsxError| {
        tracing::error!(error = %e, "XLSX export failed");
        PageError::Internal
    };
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name(&option.name)).map_err(failed)?;
    let bold = Format::new().set_bold();
    let pounds = Format::new().set_num_format("£#,##0.00;-£#,##0.00");
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(failed)?;
    }
    for (r, row) in rows.into_iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.into_iter().enumerate() {
            let c = c as u16;
            let written = match cell {
                Cell::Blank => continue,
                Cell::Text(t) => sheet.write_string(r, c, cell_text(&t)).map(|_| ()),
                Cell::Whole(n) => sheet.write_number(r, c, n as f64).map(|_| ()),
                // Spreadsheets hold numbers as binary floating point; pounds and pence
                // survive that exactly for any amount a school is charged.
                Cell::Money(m) => {
                    let pounds_as_number = m.amount().to_f64().ok_or(PageError::Internal)?;
                    sheet.write_number_with_format(r, c, pounds_as_number, &pounds).map(|_| ())
                }
            };
            written.map_err(failed)?;
        }
    }
    sheet.set_column_width(1, 40).map_err(failed)?;
    sheet.set_freeze_panes(1, 0).map_err(failed)?;
    let bytes = book.save_to_buffer().map_err(failed)?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &file_name(&saved.name, &option.name, "xlsx"),
    ))
}

async fn board_paper(
    State(state): State<AppState>,
    user: PageUser,
    Path(name): Path<String>,
    Query(q): Query<TableQuery>,
) -> Result<Response, PageError> {
    let (saved, result) = compare(&state, &user, &name).await?;
    let paper = crate::pdf::board_paper::BoardPaper {
        partnership: &user.partnership.name,
        scenario_name: &saved.name,
        scenario: &saved.scenario,
        result: &result,
        chosen: q.option_index(&result),
        headline: headline(&result),
        prepared: state.clock.today(),
    };
    let bytes = crate::pdf::board_paper::render(&paper);
    Ok(download(bytes, "application/pdf", &file_name(&saved.name, "board-paper", "pdf")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_names_and_cells_are_always_accepted() {
        assert_eq!(sheet_name("Core only"), "Core only");
        assert_eq!(sheet_name("'Option [A]: 2026/27?'"), "Option A 202627");
        assert_eq!(sheet_name("[]:*?/\\"), "Schools");
        assert_eq!(sheet_name(&"x".repeat(40)).chars().count(), 31);
        let long = "é".repeat(40_000);
        let cut = cell_text(&long);
        assert_eq!(cut.chars().count(), MAX_CELL_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(file_name(&"a".repeat(300), "b", "csv").len(), 60 + 1 + 1 + 4);
    }
}
