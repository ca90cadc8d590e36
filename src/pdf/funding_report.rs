//! The board report: a membership year's funding report as a PDF a board can put in its pack,
//! written by the same writer as the board paper: the measures of health in words, each chart
//! (drawn by the chart code of the page) with the table of its figures, and every other table.

use super::board_paper::chart;
use super::{BOTTOM, LEFT, RIGHT, Writer, fonts, printable, wrap};
use crate::funding_report::{Cell, Chart, Table, health_sentences, tables};
use crate::services::reports::Pack;
use printpdf::{PdfDocument, PdfSaveOptions};

/// Table text size, the widest a column of figures gets, the least a text column gets, and
/// the line height.
const SIZE: f32 = 8.0;
const FIGURE_W: f32 = 70.0;
const TEXT_MIN: f32 = 100.0;
const LINE: f32 = 10.0;

/// The left edge and width of each column: figures share the width up to [`FIGURE_W`] each
/// after [`TEXT_MIN`] for each text column, and text columns share what is left (a first
/// column of two text columns gets a third of it).
fn layout(table: &Table) -> Vec<(f32, f32)> {
    let n = table.columns.len();
    let text: Vec<bool> =
        (0..n).map(|c| table.rows.iter().all(|r| r.get(c).is_none_or(|v| !v.numeric()))).collect();
    let figures = text.iter().filter(|t| !**t).count() as f32;
    let texts = text.iter().filter(|t| **t).count();
    let figure_w = ((RIGHT - LEFT - TEXT_MIN * texts as f32) / figures.max(1.0)).min(FIGURE_W);
    let spare = (RIGHT - LEFT - figures * figure_w).max(60.0);
    let mut x = LEFT;
    let mut out = Vec::with_capacity(n);
    let mut seen_text = 0;
    for is_text in text {
        let width = if is_text {
            seen_text += 1;
            match (texts, seen_text) {
                (1, _) => spare,
                (_, 1) => spare / 3.0,
                _ => spare * 2.0 / 3.0 / (texts - 1) as f32,
            }
        } else {
            figure_w
        };
        out.push((x, width));
        x += width;
    }
    out
}

/// One row of cells at `size` (wrapped text, figures to the right of their column), moving
/// down. A column head may also break after a hyphen ("Local-" above "authority").
fn row(w: &mut Writer, cols: &[(f32, f32)], cells: &[(String, bool)], bold: bool, size: f32) {
    let f = fonts();
    let font = if bold { &f.bold } else { &f.regular };
    let wrapped: Vec<Vec<String>> = cells
        .iter()
        .zip(cols)
        .map(|((text, _), (_, width))| {
            let text = printable(text, &mut w.missing);
            if bold && text.contains('-') {
                wrap(font, &text.replace('-', "- "), size, width - 6.0)
                    .into_iter()
                    .map(|l| l.replace("- ", "-"))
                    .collect()
            } else {
                wrap(font, &text, size, width - 6.0)
            }
        })
        .collect();
    let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let y = w.y;
    for (((_, numeric), lines), (x, width)) in cells.iter().zip(&wrapped).zip(cols) {
        for (i, line) in lines.iter().enumerate() {
            let ly = y - i as f32 * LINE;
            if *numeric {
                w.right(bold, size, x + width, ly, line);
            } else {
                w.text(bold, size, *x, ly, line);
            }
        }
    }
    w.y = y - lines as f32 * LINE - 2.0;
}

/// A table with its caption; its head repeats on each new page.
fn table(w: &mut Writer, t: &Table) {
    if t.rows.is_empty() {
        w.paragraph(true, 11.0, t.caption);
        w.paragraph(false, 9.0, "Nothing to show for the year.");
        return;
    }
    let cols = layout(t);
    let numeric: Vec<bool> =
        (0..t.columns.len()).map(|c| t.rows.iter().any(|r| r.get(c).is_some_and(Cell::numeric))).collect();
    let head: Vec<(String, bool)> = t.columns.iter().cloned().zip(numeric.iter().copied()).collect();
    if w.y - 60.0 < BOTTOM {
        w.new_page();
    }
    w.paragraph(true, 11.0, t.caption);
    let header = |w: &mut Writer| {
        row(w, &cols, &head, true, SIZE - 0.5);
        w.rule(w.y + LINE - 3.0, 0.3);
        w.y -= 3.0;
    };
    header(w);
    let last = t.rows.len() - 1;
    for (i, cells) in t.rows.iter().enumerate() {
        if w.y - LINE < BOTTOM {
            w.new_page();
            header(w);
        }
        let shown: Vec<(String, bool)> = cells.iter().map(|c| (c.shown(), c.numeric())).collect();
        let total = t.total && i == last;
        if total {
            w.rule(w.y + LINE - 2.0, 0.6);
        }
        row(w, &cols, &shown, total, SIZE);
    }
    w.y -= 10.0;
}

/// Renders the board report of `pack` as PDF bytes.
pub fn render(pack: &Pack, partnership: &str, prepared: chrono::NaiveDate) -> Vec<u8> {
    let year = &pack.funding.year;
    let mut pdf = PdfDocument::new(&format!("{partnership}: funding report {year}"));
    let mut w = Writer::new(&mut pdf);
    w.footer = format!("Funding report {year}");
    w.paragraph(true, 18.0, &format!("Funding report {year}"));
    w.paragraph(false, 10.0, &format!("{partnership}. Prepared {}.", prepared.format("%-d %B %Y")));
    let total = &pack.funding.total;
    w.paragraph(
        false,
        10.0,
        &format!(
            "Invoiced for {year}: {} before VAT, net of credit notes{}; received {}; forecast for the year {}.",
            total.invoiced,
            total.budget.map(|b| format!(", against a budget of {b}")).unwrap_or_default(),
            total.received,
            total.forecast
        ),
    );
    w.paragraph(true, 12.0, "Health");
    for (key, words) in health_sentences(pack) {
        w.paragraph(false, 9.5, &format!("{key}: {words}."));
    }
    w.paragraph(
        false,
        8.5,
        "Invoiced is before VAT, net of credit notes, for invoices of the year; received is what has been paid \
         against them, VAT included. The forecast adds contract instalments still to invoice and orders confirmed \
         or delivered but not yet invoiced. Recognised income spreads each invoice over the days of the period it \
         is for.",
    );
    let all = tables(pack);
    let mut printed = Vec::new();
    for c in Chart::ALL {
        let Some(t) = all.iter().find(|t| t.id == c.table()) else { continue };
        if t.rows.is_empty() {
            continue;
        }
        chart(
            &mut w,
            c.heading(),
            &crate::charts::record(|root| {
                let _ = c.draw(root, pack);
            }),
        );
        table(&mut w, t);
        printed.push(t.id);
    }
    for t in all.iter().filter(|t| !printed.contains(&t.id)) {
        table(&mut w, t);
    }
    let pages = w.finish();
    let options = PdfSaveOptions { optimize: false, ..PdfSaveOptions::default() };
    pdf.with_pages(pages).save(&options, &mut Vec::new())
}
