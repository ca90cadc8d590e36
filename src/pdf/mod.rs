//! Invoices and credit notes as A4 PDFs. Renders an already-computed document; never queries.
//!
//! Text uses DejaVu Sans (shipped in `templates/fonts/`, embedded and subset), so every
//! character of a school's name prints and the text can be extracted. Amounts are right-aligned
//! from the font's glyph advances. The lines table flows onto further pages, repeating its
//! header, with "Page N of M" on each.

pub mod board_paper;
pub mod documents;
pub mod funding_report;

use printpdf::{
    Color, FontId, Line as PdfLine, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rgb, TextItem, TextMatrix,
};
use std::collections::BTreeSet;
use std::sync::OnceLock;

const REGULAR_TTF: &[u8] = include_bytes!("../../templates/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../../templates/fonts/DejaVuSans-Bold.ttf");

/// One line of the document's table.
#[derive(Debug, Clone)]
pub struct DocumentLine {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub vat_rate: String,
    pub net: String,
}

/// Everything printed on an invoice or credit note, already formatted.
#[derive(Debug, Clone)]
pub struct Document {
    /// "VAT invoice", "Invoice" or "Credit note".
    pub title: String,
    pub supplier_name: String,
    pub supplier_address: Vec<String>,
    pub supplier_vat_number: Option<String>,
    /// "Company number 01234567. Registered office: ...", when the supplier is a company.
    pub supplier_company: Option<String>,
    pub customer_heading: String,
    pub customer_name: String,
    pub customer_address: Vec<String>,
    /// Label and value pairs: number, dates, PO, period...
    pub details: Vec<(String, String)>,
    pub lines: Vec<DocumentLine>,
    /// Label and amount pairs; the last is the total, printed in bold.
    pub totals: Vec<(String, String)>,
    /// Paragraphs after the totals: payment terms, bank details, remittance.
    pub notes: Vec<String>,
    /// A tear-off slip at the foot of the last page: label and value pairs (payer, invoice
    /// number, amount, how to pay), for an invoice.
    pub remittance: Vec<(String, String)>,
    /// The headings of the lines' five columns.
    pub columns: [&'static str; 5],
}

/// The columns of an invoice's or credit note's lines.
pub const LINE_COLUMNS: [&str; 5] = ["Description", "Qty", "Unit price", "VAT rate", "Net amount"];

pub(crate) struct Fonts {
    pub(crate) regular: ParsedFont,
    pub(crate) bold: ParsedFont,
}

pub(crate) fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts {
        regular: ParsedFont::from_bytes(REGULAR_TTF, 0, &mut Vec::new())
            .expect("the shipped DejaVu Sans parses"),
        bold: ParsedFont::from_bytes(BOLD_TTF, 0, &mut Vec::new())
            .expect("the shipped DejaVu Sans Bold parses"),
    })
}

/// Reads the shipped fonts now, at start-up, so no request ever parses them (or fails to).
pub fn load_fonts() {
    fonts();
}

/// The width of `text` at `size` points in `font`.
pub(crate) fn text_width(font: &ParsedFont, text: &str, size: f32) -> f32 {
    let units = f32::from(font.pdf_font_metrics.units_per_em.max(1));
    let advance: u32 = text
        .chars()
        .map(|c| font.lookup_glyph_index(c as u32).map_or(0, |g| u32::from(font.get_horizontal_advance(g))))
        .sum();
    advance as f32 / units * size
}

/// `text` with every character the fonts cannot draw replaced by `?`, noting which they were.
pub(crate) fn printable(text: &str, missing: &mut BTreeSet<char>) -> String {
    let f = fonts();
    text.chars()
        .map(|c| {
            let drawn = c.is_whitespace()
                || (f.regular.lookup_glyph_index(c as u32).is_some()
                    && f.bold.lookup_glyph_index(c as u32).is_some());
            if drawn {
                c
            } else {
                missing.insert(c);
                '?'
            }
        })
        .collect()
}

/// The note a document carries when some of its characters could not be drawn.
pub(crate) fn missing_note(missing: &BTreeSet<char>) -> Option<String> {
    if missing.is_empty() {
        return None;
    }
    let listed: Vec<String> = missing.iter().take(8).map(|c| format!("U+{:04X}", u32::from(*c))).collect();
    let more = if missing.len() > 8 { format!(" and {} more", missing.len() - 8) } else { String::new() };
    Some(format!(
        "Some characters cannot be shown in this document's font and are printed as ?: {}{more}.",
        listed.join(", ")
    ))
}

/// Splits text into lines no wider than `width` points, breaking at spaces (or anywhere when a
/// single word is too long).
pub(crate) fn wrap(font: &ParsedFont, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() { word.to_string() } else { format!("{current} {word}") };
        if text_width(font, &candidate, size) <= width {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if text_width(font, word, size) <= width {
            current = word.to_string();
        } else {
            for c in word.chars() {
                if text_width(font, &format!("{current}{c}"), size) > width && !current.is_empty() {
                    lines.push(std::mem::take(&mut current));
                }
                current.push(c);
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const LEFT: f32 = 45.0;
pub(crate) const RIGHT: f32 = PAGE_W - 45.0;
pub(crate) const BOTTOM: f32 = 70.0;
pub(crate) const BODY: f32 = 9.0;

/// Table columns: right edges for the numeric ones, the description's width.
const COL_DESC_W: f32 = 270.0;
const COL_QTY_R: f32 = LEFT + 310.0;
const COL_UNIT_R: f32 = LEFT + 375.0;
const COL_VAT_R: f32 = LEFT + 430.0;
const COL_NET_R: f32 = RIGHT;

pub(crate) struct Writer {
    /// Characters the fonts could not draw (printed as `?`).
    pub(crate) missing: BTreeSet<char>,
    pub(crate) pages: Vec<Vec<Op>>,
    pub(crate) ops: Vec<Op>,
    pub(crate) y: f32,
    pub(crate) regular: FontId,
    pub(crate) bold: FontId,
    /// What every page's foot names before "page N of M", e.g. "VAT invoice RH-000042".
    pub(crate) footer: String,
}

impl Writer {
    /// A writer whose fonts are added to `pdf`, at the top of its first page.
    pub(crate) fn new(pdf: &mut PdfDocument) -> Writer {
        let f = fonts();
        let regular = pdf.add_font(&f.regular);
        let bold = pdf.add_font(&f.bold);
        Writer {
            missing: BTreeSet::new(),
            pages: Vec::new(),
            ops: Vec::new(),
            y: PAGE_H - 60.0,
            regular,
            bold,
            footer: String::new(),
        }
    }

    /// Ends the last page and numbers every page, "Page N of M", bottom right; says at the foot
    /// of the last page if any character could not be drawn.
    pub(crate) fn finish(mut self) -> Vec<PdfPage> {
        let f = fonts();
        if let Some(note) = missing_note(&self.missing) {
            for (i, line) in wrap(&f.regular, &note, 7.5, RIGHT - LEFT - 80.0).iter().enumerate() {
                self.text(false, 7.5, LEFT, 48.0 - i as f32 * 9.0, line);
            }
        }
        self.pages.push(std::mem::take(&mut self.ops));
        let count = self.pages.len();
        let regular_id = self.regular.clone();
        self.pages
            .into_iter()
            .enumerate()
            .map(|(i, mut ops)| {
                let label = if self.footer.is_empty() {
                    format!("Page {} of {count}", i + 1)
                } else {
                    format!("{}, page {} of {count}", self.footer, i + 1)
                };
                let width = text_width(&f.regular, &label, 8.0);
                ops.extend([
                    Op::StartTextSection,
                    Op::SetFont { font: PdfFontHandle::External(regular_id.clone()), size: Pt(8.0) },
                    Op::SetTextMatrix { matrix: TextMatrix::Translate(Pt(RIGHT - width), Pt(35.0)) },
                    Op::ShowText { items: vec![TextItem::Text(label)] },
                    Op::EndTextSection,
                ]);
                PdfPage::new(Mm(210.0), Mm(297.0), ops)
            })
            .collect()
    }

    /// Wrapped paragraph text from the left margin, moving down the page (and onto a new
    /// page when it runs out).
    pub(crate) fn paragraph(&mut self, bold: bool, size: f32, text: &str) {
        let f = fonts();
        let font = if bold { &f.bold } else { &f.regular };
        let text = printable(text, &mut self.missing);
        for line in wrap(font, &text, size, RIGHT - LEFT) {
            if self.y < BOTTOM {
                self.new_page();
            }
            let y = self.y;
            self.text(bold, size, LEFT, y, &line);
            self.y -= size * 1.35;
        }
        self.y -= size * 0.6;
    }

    pub(crate) fn text(&mut self, bold: bool, size: f32, x: f32, y: f32, text: &str) {
        let font = if bold { self.bold.clone() } else { self.regular.clone() };
        let text = printable(text, &mut self.missing);
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont { font: PdfFontHandle::External(font), size: Pt(size) },
            Op::SetTextMatrix { matrix: TextMatrix::Translate(Pt(x), Pt(y)) },
            Op::ShowText { items: vec![TextItem::Text(text)] },
            Op::EndTextSection,
        ]);
    }

    pub(crate) fn right(&mut self, bold: bool, size: f32, right_edge: f32, y: f32, text: &str) {
        let f = fonts();
        let text = printable(text, &mut self.missing);
        let width = text_width(if bold { &f.bold } else { &f.regular }, &text, size);
        self.text(bold, size, right_edge - width, y, &text);
    }

    /// Lines of `text` no wider than `width`, with characters that cannot be drawn as `?`.
    pub(crate) fn lines(&mut self, text: &str, size: f32, width: f32) -> Vec<String> {
        let text = printable(text, &mut self.missing);
        wrap(&fonts().regular, &text, size, width)
    }

    pub(crate) fn rule(&mut self, y: f32, grey: f32) {
        self.ops.extend([
            Op::SetOutlineColor { col: Color::Rgb(Rgb { r: grey, g: grey, b: grey, icc_profile: None }) },
            Op::SetOutlineThickness { pt: Pt(0.6) },
            Op::DrawLine {
                line: PdfLine {
                    points: vec![
                        LinePoint { p: Point { x: Pt(LEFT), y: Pt(y) }, bezier: false },
                        LinePoint { p: Point { x: Pt(RIGHT), y: Pt(y) }, bezier: false },
                    ],
                    is_closed: false,
                },
            },
        ]);
    }

    /// A dashed line across the page, where a slip is torn off.
    pub(crate) fn dashed_rule(&mut self, y: f32) {
        let mut x = LEFT;
        while x < RIGHT {
            let end = (x + 6.0).min(RIGHT);
            self.ops.extend([
                Op::SetOutlineColor { col: Color::Rgb(Rgb { r: 0.4, g: 0.4, b: 0.4, icc_profile: None }) },
                Op::SetOutlineThickness { pt: Pt(0.6) },
                Op::DrawLine {
                    line: PdfLine {
                        points: vec![
                            LinePoint { p: Point { x: Pt(x), y: Pt(y) }, bezier: false },
                            LinePoint { p: Point { x: Pt(end), y: Pt(y) }, bezier: false },
                        ],
                        is_closed: false,
                    },
                },
            ]);
            x += 10.0;
        }
    }

    pub(crate) fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.ops));
        self.y = PAGE_H - 50.0;
    }

    fn table_header(&mut self, columns: &[&str; 5]) {
        let y = self.y;
        self.text(true, BODY, LEFT, y, columns[0]);
        self.right(true, BODY, COL_QTY_R, y, columns[1]);
        self.right(true, BODY, COL_UNIT_R, y, columns[2]);
        self.right(true, BODY, COL_VAT_R, y, columns[3]);
        self.right(true, BODY, COL_NET_R, y, columns[4]);
        self.rule(y - 4.0, 0.3);
        self.y -= 16.0;
    }
}

/// The tear-off remittance slip, at the foot of the last page (a new page when it does not fit).
fn remittance_slip(w: &mut Writer, rows: &[(String, String)]) {
    let f = fonts();
    let value_w = RIGHT - LEFT - 150.0;
    let wrapped: Vec<Vec<String>> = rows.iter().map(|(_, v)| wrap(&f.regular, v, BODY, value_w)).collect();
    let height: f32 = 40.0 + wrapped.iter().map(|l| l.len() as f32 * 11.5 + 3.0).sum::<f32>();
    let top = BOTTOM + height;
    if w.y - 20.0 < top {
        w.new_page();
    }
    let y = top;
    w.dashed_rule(y + 14.0);
    w.text(false, 7.5, LEFT, y + 18.0, "Tear off and send with your payment");
    w.text(true, 11.0, LEFT, y - 4.0, "Remittance advice");
    let mut ry = y - 24.0;
    for ((label, _), lines) in rows.iter().zip(&wrapped) {
        w.text(true, BODY, LEFT, ry, label);
        for line in lines {
            w.text(false, BODY, LEFT + 150.0, ry, line);
            ry -= 11.5;
        }
        ry -= 3.0;
    }
}

/// Renders the document as PDF bytes.
pub fn render(doc: &Document) -> Vec<u8> {
    let f = fonts();
    let mut pdf = PdfDocument::new(&format!(
        "{} {}",
        doc.title,
        doc.details.first().map(|d| d.1.as_str()).unwrap_or("")
    ));
    let mut w = Writer::new(&mut pdf);
    w.footer = format!("{} {}", doc.title, doc.details.first().map(|d| d.1.as_str()).unwrap_or(""));

    // Title and supplier.
    let top = w.y;
    w.text(true, 20.0, LEFT, top, &doc.title);
    let mut sy = top;
    let supplier = w.lines(&doc.supplier_name, 10.0, 260.0);
    for (i, line) in supplier.iter().enumerate() {
        if i > 0 {
            sy -= 12.0;
        }
        w.right(true, 10.0, RIGHT, sy, line);
    }
    for line in doc.supplier_address.iter().flat_map(|l| w.lines(l, BODY, 260.0)).collect::<Vec<_>>() {
        sy -= 12.0;
        w.right(false, BODY, RIGHT, sy, &line);
    }
    if let Some(vat) = &doc.supplier_vat_number {
        sy -= 12.0;
        w.right(false, BODY, RIGHT, sy, &format!("VAT registration number: {vat}"));
    }
    if let Some(company) = &doc.supplier_company {
        for line in w.lines(company, BODY, 260.0) {
            sy -= 12.0;
            w.right(false, BODY, RIGHT, sy, &line);
        }
    }
    // Customer and details side by side.
    let mut cy = sy.min(top - 30.0) - 30.0;
    let block_top = cy;
    w.text(true, BODY, LEFT, cy, &doc.customer_heading);
    cy -= 13.0;
    for (i, line) in w.lines(&doc.customer_name, 10.0, 230.0).iter().enumerate() {
        if i > 0 {
            cy -= 12.0;
        }
        w.text(true, 10.0, LEFT, cy, line);
    }
    for line in doc.customer_address.iter().flat_map(|l| w.lines(l, BODY, 230.0)).collect::<Vec<_>>() {
        cy -= 12.0;
        w.text(false, BODY, LEFT, cy, &line);
    }
    // Details: a short value on its label's line, right-aligned; a long one (a credit note's
    // reason) wrapped below it.
    let mut dy = block_top;
    let details_w = RIGHT - (LEFT + 250.0);
    for (label, value) in &doc.details {
        w.text(true, BODY, LEFT + 250.0, dy, label);
        let room = details_w - text_width(&f.bold, label, BODY) - 12.0;
        if text_width(&f.regular, value, BODY) <= room {
            w.right(false, BODY, RIGHT, dy, value);
        } else {
            for line in w.lines(value, BODY, details_w) {
                dy -= 12.0;
                w.text(false, BODY, LEFT + 250.0, dy, &line);
            }
        }
        dy -= 13.0;
    }
    w.y = cy.min(dy) - 28.0;
    w.table_header(&doc.columns);

    // Lines, flowing onto further pages with the header repeated.
    for line in &doc.lines {
        let wrapped = w.lines(&line.description, BODY, COL_DESC_W);
        let height = wrapped.len() as f32 * 11.5 + 6.0;
        if w.y - height < BOTTOM {
            w.new_page();
            let y = w.y;
            w.text(
                false,
                BODY,
                LEFT,
                y,
                &format!(
                    "{} {}, continued",
                    doc.title,
                    doc.details.first().map(|d| d.1.as_str()).unwrap_or("")
                ),
            );
            w.y -= 24.0;
            w.table_header(&doc.columns);
        }
        let y = w.y;
        for (i, text) in wrapped.iter().enumerate() {
            w.text(false, BODY, LEFT, y - i as f32 * 11.5, text);
        }
        w.right(false, BODY, COL_QTY_R, y, &line.quantity);
        w.right(false, BODY, COL_UNIT_R, y, &line.unit_price);
        w.right(false, BODY, COL_VAT_R, y, &line.vat_rate);
        w.right(false, BODY, COL_NET_R, y, &line.net);
        w.y -= height;
        w.rule(w.y + 8.0, 0.8);
    }

    // Totals and notes, on a new page if they do not fit.
    let notes_height: f32 =
        doc.notes.iter().map(|n| wrap(&f.regular, n, BODY, RIGHT - LEFT).len() as f32 * 11.5 + 6.0).sum();
    if w.y - (doc.totals.len() as f32 * 14.0 + 20.0 + notes_height) < BOTTOM - 30.0 {
        w.new_page();
    }
    w.y -= 6.0;
    for (i, (label, amount)) in doc.totals.iter().enumerate() {
        let last = i == doc.totals.len() - 1;
        let y = w.y;
        w.right(last, if last { 10.5 } else { BODY }, COL_VAT_R, y, label);
        w.right(last, if last { 10.5 } else { BODY }, COL_NET_R, y, amount);
        w.y -= 14.0;
    }
    w.y -= 14.0;
    for note in &doc.notes {
        for text in w.lines(note, BODY, RIGHT - LEFT) {
            let y = w.y;
            w.text(false, BODY, LEFT, y, &text);
            w.y -= 11.5;
        }
        w.y -= 6.0;
    }
    if !doc.remittance.is_empty() {
        remittance_slip(&mut w, &doc.remittance);
    }
    let pages = w.finish();
    // Fonts are subset; streams are left uncompressed: a ten-line invoice is about 68 KB
    // instead of 28 KB, and renders more than twice as fast (BENCHMARKS.md).
    let options = PdfSaveOptions { optimize: false, ..PdfSaveOptions::default() };
    pdf.with_pages(pages).save(&options, &mut Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_within_the_width() {
        let f = fonts();
        let text = "Membership 2025-26, Core: St Joseph's CE Primary School, Bramley Meadow: 412 pupils x £6.50 + lump sum £400.00, autumn term (4 of 12 months)";
        let lines = wrap(&f.regular, text, BODY, COL_DESC_W);
        assert!(lines.len() >= 2);
        assert!(lines.iter().all(|l| text_width(&f.regular, l, BODY) <= COL_DESC_W));
        assert_eq!(lines.join(" "), text);
        let long = wrap(&f.regular, &"x".repeat(200), BODY, 50.0);
        assert!(long.len() > 3 && long.iter().all(|l| text_width(&f.regular, l, BODY) <= 50.0));
    }

    #[test]
    fn characters_the_font_lacks_are_printed_as_question_marks_and_said() {
        let mut missing = BTreeSet::new();
        assert_eq!(printable("Café – 学校", &mut missing), "Café – ??");
        assert_eq!(missing.len(), 2);
        let note = missing_note(&missing).expect("a note");
        assert!(note.contains("U+5B66") && note.contains("printed as ?"), "{note}");
        assert_eq!(missing_note(&BTreeSet::new()), None);
    }

    #[test]
    fn widths_grow_with_text() {
        let f = fonts();
        assert!(text_width(&f.regular, "£1,000.00", 9.0) > text_width(&f.regular, "£1.00", 9.0));
        assert!(text_width(&f.bold, "Total", 9.0) > 0.0);
    }
}
