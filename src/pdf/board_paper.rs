//! The board paper: a funding-model scenario as a PDF a board can read away from the service:
//! the options side by side, the three charts (drawn by the same chart code as the pages), and
//! every assumption in words.

use super::{BODY, BOTTOM, LEFT, PAGE_H, RIGHT, Writer, fonts, text_width, wrap};
use crate::charts::{self, Anchor, Shape};
use crate::domain::funding::words::{council_words, covers_words, pricing_words, sign_up_words};
use crate::domain::funding::{ModelResult, Scenario};
use printpdf::{
    Color, Line as PdfLine, LinePoint, Op, PaintMode, PdfDocument, PdfSaveOptions, Point, Polygon,
    PolygonRing, Pt, Rgb, WindingOrder,
};

/// Everything the paper shows, already worked out.
pub struct BoardPaper<'a> {
    pub partnership: &'a str,
    pub scenario_name: &'a str,
    pub scenario: &'a Scenario,
    pub result: &'a ModelResult,
    /// The option whose charges by phase are drawn.
    pub chosen: usize,
    /// The options side by side: each measure with each option's figure.
    pub headline: Vec<(&'static str, Vec<String>)>,
    /// The date printed as "Prepared".
    pub prepared: chrono::NaiveDate,
    /// Purpose, decision sought, recommendation, and whether it is final.
    pub paper: &'a crate::services::funding::PaperText,
    /// Per option: how many schools would pay more, less or the same as today.
    pub winners: Vec<String>,
}

fn colour((r, g, b): (u8, u8, u8)) -> Color {
    Color::Rgb(Rgb {
        r: f32::from(r) / 255.0,
        g: f32::from(g) / 255.0,
        b: f32::from(b) / 255.0,
        icc_profile: None,
    })
}

fn point(x: f32, y: f32) -> LinePoint {
    LinePoint { p: Point { x: Pt(x), y: Pt(y) }, bezier: false }
}

/// Draws recorded chart shapes with the chart's top left at (`LEFT`, `top`), scaled to the
/// text width.
fn draw_chart(w: &mut Writer, shapes: &[Shape], top: f32) {
    let scale = (RIGHT - LEFT) / charts::WIDTH as f32;
    let at = |(x, y): (i32, i32)| (LEFT + x as f32 * scale, top - y as f32 * scale);
    for shape in shapes {
        match shape {
            Shape::Rect { from, to, colour: c } => {
                let ((x1, y1), (x2, y2)) = (at(*from), at(*to));
                w.ops.push(Op::SetFillColor { col: colour(*c) });
                w.ops.push(Op::DrawPolygon {
                    polygon: Polygon {
                        rings: vec![PolygonRing {
                            points: vec![point(x1, y1), point(x2, y1), point(x2, y2), point(x1, y2)],
                        }],
                        mode: PaintMode::Fill,
                        winding_order: WindingOrder::NonZero,
                    },
                });
            }
            Shape::Line { points, colour: c, width } => {
                w.ops.push(Op::SetOutlineColor { col: colour(*c) });
                w.ops.push(Op::SetOutlineThickness { pt: Pt((*width).max(1) as f32 * scale) });
                w.ops.push(Op::DrawLine {
                    line: PdfLine {
                        points: points.iter().map(|p| at(*p)).map(|(x, y)| point(x, y)).collect(),
                        is_closed: false,
                    },
                });
            }
            Shape::Text { text, at: pos, size, colour: c, anchor: Anchor(h, v) } => {
                // plotters lays text out with its own font, a little narrower than DejaVu Sans:
                // a little smaller keeps a legend's labels inside its box.
                let size = *size as f32 * scale * 0.85;
                let (x, y) = at(*pos);
                let width = text_width(&fonts().regular, text, size);
                let x = match h {
                    -1 => x,
                    0 => x - width / 2.0,
                    _ => x - width,
                };
                let y = match v {
                    -1 => y - size * 0.8,
                    0 => y - size * 0.35,
                    _ => y,
                };
                w.ops.push(Op::SetFillColor { col: colour(*c) });
                w.text(false, size, x, y, text);
            }
        }
    }
    w.ops.push(Op::SetFillColor { col: colour((0, 0, 0)) });
}

/// A chart with its heading, on a new page when it does not fit.
pub(super) fn chart(w: &mut Writer, heading: &str, shapes: &[Shape]) {
    let height = charts::HEIGHT as f32 * (RIGHT - LEFT) / charts::WIDTH as f32;
    if w.y - height - 24.0 < BOTTOM {
        w.new_page();
    }
    w.paragraph(true, 12.0, heading);
    let top = w.y;
    draw_chart(w, shapes, top);
    w.y = top - height - 14.0;
}

/// The options side by side, the measure first and one column an option.
fn options_table(w: &mut Writer, paper: &BoardPaper<'_>) {
    let f = fonts();
    let label_w = 150.0;
    let n = paper.result.options.len().max(1) as f32;
    let col_w = (RIGHT - LEFT - label_w) / n;
    let heads: Vec<Vec<String>> =
        paper.result.options.iter().map(|o| wrap(&f.bold, &o.name, BODY, col_w - 8.0)).collect();
    let lines = heads.iter().map(Vec::len).max().unwrap_or(1);
    let top = w.y;
    for (i, head) in heads.iter().enumerate() {
        for (j, line) in head.iter().enumerate() {
            let right = LEFT + label_w + col_w * (i as f32 + 1.0);
            w.right(true, BODY, right, top - j as f32 * 11.0, line);
        }
    }
    w.y = top - lines as f32 * 11.0 + 3.0;
    w.rule(w.y, 0.3);
    w.y -= 12.0;
    for (label, cells) in &paper.headline {
        let y = w.y;
        let strong = matches!(*label, "Total income" | "Surplus (deficit)");
        w.text(strong, BODY, LEFT, y, label);
        for (i, cell) in cells.iter().enumerate() {
            w.right(strong, BODY, LEFT + label_w + col_w * (i as f32 + 1.0), y, cell);
        }
        w.y -= 14.0;
    }
    w.rule(w.y + 8.0, 0.6);
    w.y -= 10.0;
}

/// The assumptions, in sentences a board can check.
pub fn assumptions(paper: &BoardPaper<'_>) -> Vec<String> {
    let s = paper.scenario;
    let r = paper.result;
    let phases = if s.schools.phases.is_empty() {
        String::new()
    } else {
        format!(" ({} only)", s.schools.phases.join(", "))
    };
    let mut out = vec![format!(
        "Schools: the {} open schools on {}'s register{phases}, with the pupil numbers in force at the start of {}. \
         A school with no pupil number pays nothing under a per-pupil fee until it has one.",
        r.schools, paper.partnership, s.year
    )];
    let costs: Vec<String> = s
        .costs
        .iter()
        .zip(&r.costs)
        .map(|(line, shown)| {
            let kind =
                if shown.kind == crate::domain::funding::CostKind::Core { "core" } else { "additional" };
            format!("{} ({kind}): {}, {}", line.name, pricing_words(line), shown.amount)
        })
        .collect();
    out.push(format!("The offer costs {} in all. {}.", r.costs_total, costs.join("; ")));
    for o in &s.options {
        let mut text = format!(
            "{}: membership fee {}; expected to join: {}; its income must cover: {}.",
            o.name,
            o.membership_fee.describe(),
            sign_up_words(&o.sign_up),
            covers_words(&o.covers).to_lowercase()
        );
        for t in &o.levels {
            text.push_str(&format!(
                " Tier \"{}\": {}, taken by {}.",
                t.name,
                t.fee.describe(),
                sign_up_words(&t.sign_up)
            ));
        }
        for sv in &o.services {
            text.push_str(&format!(
                " Service \"{}\": {} expected.",
                sv.name,
                crate::domain::funding::to_money(sv.income())
            ));
        }
        out.push(text);
    }
    out.push(format!("Council contribution: {}.", council_words(s.council.as_ref()).to_lowercase()));
    out.push(match &s.baseline {
        Some(b) => format!("Today's fees, for winners and losers: {}.", b.describe()),
        None => "No fee for today was given, so the paper shows no winners and losers.".into(),
    });
    out.push(
        "How the figures are worked out: each school's charge uses the fee rules that raise invoices and is rounded \
         once, to the penny. Expected income is each charge times the share expected to join. The break-even fee is \
         the lowest amount in whole pence (or the lowest scaling of every amount, to four decimal places) at which \
         income covers the costs the option must cover, with everything else unchanged."
            .into(),
    );
    out
}

/// Renders the board paper as PDF bytes.
pub fn render(paper: &BoardPaper<'_>) -> Vec<u8> {
    let mut pdf = PdfDocument::new(&format!("{}: {}", paper.partnership, paper.scenario_name));
    let mut w = Writer::new(&mut pdf);
    let draft = paper.paper.final_on.is_none();
    w.footer = if draft {
        format!("DRAFT: funding options for {}", paper.result.year)
    } else {
        format!("Funding options for {}", paper.result.year)
    };
    w.y = PAGE_H - 60.0;
    if draft {
        w.paragraph(true, 14.0, "DRAFT: not yet marked final by finance");
    }
    w.paragraph(true, 18.0, &format!("Funding options for {}", paper.result.year));
    w.paragraph(
        false,
        10.0,
        &format!(
            "{}: \"{}\", modelled on {} schools. Prepared {}.",
            paper.partnership,
            paper.scenario_name,
            paper.result.schools,
            paper.prepared.format("%-d %B %Y")
        ),
    );
    w.y -= 6.0;
    let or_not_yet =
        |text: &str| if text.trim().is_empty() { "Not yet written.".to_string() } else { text.to_string() };
    for (heading, text) in [
        ("Purpose", or_not_yet(&paper.paper.purpose)),
        ("Decision sought", or_not_yet(&paper.paper.decision)),
        ("Recommendation", or_not_yet(&paper.paper.recommendation)),
    ] {
        w.paragraph(true, 12.0, heading);
        w.paragraph(false, BODY + 0.5, &text);
    }
    if let Some(day) = paper.paper.final_on {
        w.paragraph(false, BODY, &format!("Marked final on {}.", day.format("%-d %B %Y")));
    }
    w.paragraph(true, 12.0, "The options side by side");
    options_table(&mut w, paper);
    w.paragraph(true, 12.0, "Who pays more or less than today");
    for sentence in &paper.winners {
        w.paragraph(false, BODY + 0.5, sentence);
    }
    chart(
        &mut w,
        "Income against the costs each option must cover",
        &charts::record(|root| {
            let _ = charts::income_against_cost(root, paper.result);
        }),
    );
    w.paragraph(false, BODY, "The figures behind the chart:");
    for o in &paper.result.options {
        w.paragraph(
            false,
            BODY,
            &format!(
                "{}: income {} (memberships {}, tiers {}, services {}, council {}); costs to cover {}; surplus {}.",
                o.name,
                o.income.total,
                o.income.memberships,
                o.income.levels,
                o.income.services,
                o.income.council,
                o.costs_covered,
                o.surplus
            ),
        );
    }
    chart(
        &mut w,
        "Surplus or deficit if fewer schools join",
        &charts::record(|root| {
            let _ = charts::surplus_against_sign_up(root, paper.result);
        }),
    );
    w.paragraph(false, BODY, "The figures behind the chart (share of schools joining: surplus):");
    for o in &paper.result.options {
        let points: Vec<String> =
            o.sensitivity.iter().map(|(share, surplus)| format!("{share}%: {surplus}")).collect();
        w.paragraph(false, BODY, &format!("{}: {}.", o.name, points.join("; ")));
    }
    if let Some(option) = paper.result.options.get(paper.chosen) {
        chart(
            &mut w,
            &format!("What {} charges schools, by phase", option.name),
            &charts::record(|root| {
                let _ = charts::charges_by_phase(root, option);
            }),
        );
        w.paragraph(
            false,
            BODY,
            "The figures behind the chart (lowest, middle and highest charge by phase):",
        );
        for p in &option.by_phase {
            w.paragraph(
                false,
                BODY,
                &format!(
                    "{}: {} schools, {} in all; lowest {}, middle {}, highest {}.",
                    p.phase.label(),
                    p.schools,
                    p.total,
                    p.min,
                    p.median,
                    p.max
                ),
            );
        }
    }
    if w.y < BOTTOM + 120.0 {
        w.new_page();
    }
    w.paragraph(true, 12.0, "Assumptions");
    for text in assumptions(paper) {
        w.paragraph(false, BODY + 0.5, &text);
    }
    let pages = w.finish();
    let options = PdfSaveOptions { optimize: false, ..PdfSaveOptions::default() };
    pdf.with_pages(pages).save(&options, &mut Vec::new())
}
