//! A scenario's downloads: the schools table as CSV and XLSX (sorted and filtered as on the
//! page), and the board paper as a PDF.

use super::pages::{TableQuery, compare, headline};
use crate::domain::billing_phase::BillingPhase;
use crate::domain::funding::{OptionResult, SchoolCharge};
use crate::domain::money::Money;
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::session::PageUser;
use crate::web::view::download;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use rust_decimal::prelude::ToPrimitive;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/funding/{name}/schools.csv", get(schools_csv))
        .route("/funding/{name}/schools.xlsx", get(schools_xlsx))
        .route("/funding/{name}/board-paper.pdf", get(board_paper))
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
    let option = result.options.get(q.option_index(&result)?).ok_or(PageError::NotFound)?;
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
    let option = result.options.get(q.option_index(&result)?).ok_or(PageError::NotFound)?;
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
        chosen: q.option_index(&result)?,
        headline: headline(&result),
        prepared: state.clock.today(),
        paper: &saved.paper,
        winners: result.options.iter().map(super::pages::winners_and_losers).collect(),
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
