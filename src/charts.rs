//! The funding-model charts, drawn once with plotters onto any backend: SVG for the pages, and a
//! recorder whose shapes the board-paper PDF draws with printpdf. So the page and the paper
//! show the same picture.
//!
//! Charts need coordinates, so amounts become `f64` here and only here, after every sum has
//! been worked out exactly; nothing drawn is added up again.

use crate::domain::billing_phase::BillingPhase;
use crate::domain::funding::{ModelResult, OptionResult};
use crate::domain::money::Money;
use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};
use rust_decimal::prelude::ToPrimitive;

/// The size every chart is drawn at, in pixels (SVG) or points (PDF, scaled).
pub const WIDTH: u32 = 720;
pub const HEIGHT: u32 = 380;

/// GOV.UK colours, distinct in greyscale too: blue, orange, green, purple, turquoise.
const SERIES: [RGBColor; 5] = [
    RGBColor(0x1d, 0x70, 0xb8),
    RGBColor(0xf4, 0x77, 0x38),
    RGBColor(0x00, 0x70, 0x3c),
    RGBColor(0x4c, 0x2c, 0x92),
    RGBColor(0x28, 0xa1, 0x97),
];
const INK: RGBColor = RGBColor(0x0b, 0x0c, 0x0c);
const GREY: RGBColor = RGBColor(0x50, 0x5a, 0x5f);

fn f(m: Money) -> f64 {
    m.amount().to_f64().unwrap_or(0.0)
}

/// "£12k", "£1.2m": short amounts for axes.
fn short(value: f64) -> String {
    let sign = if value < 0.0 { "-" } else { "" };
    let v = value.abs();
    if v >= 1_000_000.0 {
        format!("{sign}£{:.1}m", v / 1_000_000.0)
    } else if v >= 1_000.0 {
        format!("{sign}£{:.0}k", v / 1_000.0)
    } else {
        format!("{sign}£{v:.0}")
    }
}

/// A range with some headroom that always includes zero.
fn span(low: f64, high: f64) -> (f64, f64) {
    let (low, high) = (low.min(0.0), high.max(0.0));
    let pad = ((high - low) * 0.08).max(1.0);
    (if low < 0.0 { low - pad } else { 0.0 }, high + pad)
}

/// A bar filling column `i` from `from` to `to`, inset `inset` pixels each side.
fn bar(i: usize, from: f64, to: f64, colour: RGBColor, inset: u32) -> Rectangle<(SegmentValue<usize>, f64)> {
    let mut r =
        Rectangle::new([(SegmentValue::Exact(i), from), (SegmentValue::Exact(i + 1), to)], colour.filled());
    r.set_margin(0, 0, inset, inset);
    r
}

/// An income stream: its legend label and how to read it from an option.
type Stream = (&'static str, fn(&OptionResult) -> Money);

type ColumnChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<SegmentedCoord<RangedCoordusize>, RangedCoordf64>>;

/// A chart with one labelled column per entry of `labels` and amounts from `low` to `high`,
/// its axes drawn.
fn columns<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    labels: &[String],
    low: f64,
    high: f64,
    y_label: fn(&f64) -> String,
) -> Result<ColumnChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d((0..labels.len().max(1) - 1).into_segmented(), low..high)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .y_labels(6)
        .y_label_formatter(&y_label)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => labels.get(*i).cloned().unwrap_or_default(),
            SegmentValue::Last => String::new(),
        })
        .label_style(("sans-serif", 13).into_font().color(&INK))
        .axis_style(GREY)
        .draw()?;
    Ok(chart)
}

/// An amount axis: "£12k".
fn pounds(v: &f64) -> String {
    short(*v)
}

/// What drawing a chart gives: nothing, or the backend's error.
pub type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Income by stream against the costs each option must cover, one stacked bar per option.
pub fn income_against_cost<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    result: &ModelResult,
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let n = result.options.len().max(1);
    let top = result.options.iter().map(|o| f(o.income.total).max(f(o.costs_covered))).fold(0.0, f64::max);
    let (low, high) = span(0.0, top);
    let names: Vec<String> = result.options.iter().map(|o| o.name.clone()).collect();
    let inset = (WIDTH - 100) / n as u32 / 5;
    let mut chart = columns(root, &names, low, high, pounds)?;
    let streams: [Stream; 4] = [
        ("Membership", |o| o.income.memberships),
        ("Tiers", |o| o.income.levels),
        ("Services", |o| o.income.services),
        ("Council", |o| o.income.council),
    ];
    for (s, (label, value)) in streams.iter().enumerate() {
        let colour = SERIES[s];
        let bars: Vec<Rectangle<(SegmentValue<usize>, f64)>> = result
            .options
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let below: f64 = streams[..s].iter().map(|(_, v)| f(v(o))).sum();
                bar(i, below, below + f(value(o)), colour, inset)
            })
            .collect();
        chart
            .draw_series(bars)?
            .label(*label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    // Each option's costs as a black bar across its column.
    chart
        .draw_series(result.options.iter().enumerate().map(|(i, o)| {
            let c = f(o.costs_covered);
            let thickness = (high - low) * 0.006;
            bar(i, c - thickness, c + thickness, INK, inset * 3 / 5)
        }))?
        .label("Costs to cover")
        .legend(|(x, y)| Rectangle::new([(x, y - 2), (x + 10, y + 2)], INK.filled()));
    legend(&mut chart)?;
    root.present()
}

/// Quartiles of sorted charges (nearest rank): lower quartile, median, upper quartile.
fn quartiles(sorted: &[f64]) -> (f64, f64, f64) {
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    (at(0.25), at(0.5), at(0.75))
}

/// What one option charges in each billing phase: lowest to highest, the middle half as a box
/// and the median as a line.
pub fn charges_by_phase<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    option: &OptionResult,
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let phases: Vec<(BillingPhase, Vec<f64>)> = BillingPhase::ALL
        .iter()
        .filter_map(|p| {
            let mut charges: Vec<f64> = option
                .schools
                .iter()
                .filter(|s| s.billing_phase == *p)
                .filter_map(|s| s.charge.map(f))
                .collect();
            charges.sort_by(f64::total_cmp);
            (!charges.is_empty()).then_some((*p, charges))
        })
        .collect();
    let n = phases.len().max(1);
    let column = (WIDTH - 100) / n as u32;
    let top = phases.iter().filter_map(|(_, c)| c.last().copied()).fold(0.0, f64::max);
    let (low, high) = span(0.0, top);
    let labels: Vec<String> = phases
        .iter()
        .map(|(p, c)| match p {
            BillingPhase::AlternativeProvision => format!("AP ({})", c.len()),
            _ => format!("{} ({})", p.label(), c.len()),
        })
        .collect();
    let mut chart = columns(root, &labels, low, high, pounds)?;
    for (i, (_, charges)) in phases.iter().enumerate() {
        let (q1, median, q3) = quartiles(charges);
        let (min, max) = (charges[0], charges[charges.len() - 1]);
        let thickness = (high - low) * 0.006;
        chart.draw_series([
            bar(i, min, max, GREY, column / 2 - 2),
            bar(i, q1, q3, SERIES[0], column / 4),
            bar(i, median - thickness, median + thickness, INK, column / 5),
        ])?;
    }
    root.draw(&Text::new(
        format!("{}: lowest to highest charge, middle half boxed, median marked", option.name),
        (76, 2),
        ("sans-serif", 12).into_font().color(&GREY).pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    root.present()
}

/// Each option's surplus (or deficit) as the share of schools joining rises from 0 to 100%.
pub fn surplus_against_sign_up<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    result: &ModelResult,
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let values = result.options.iter().flat_map(|o| o.sensitivity.iter().map(|(_, s)| f(*s)));
    let (min, max) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (low, high) = span(min, max);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0u32..100u32, low..high)?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(0xf3, 0xf2, 0xf1))
        .x_labels(11)
        .x_label_formatter(&|v| format!("{v}%"))
        .x_desc("Share of schools joining")
        .y_labels(6)
        .y_label_formatter(&|v| short(*v))
        .label_style(("sans-serif", 13).into_font().color(&INK))
        .axis_desc_style(("sans-serif", 13).into_font().color(&INK))
        .axis_style(GREY)
        .draw()?;
    chart.draw_series(LineSeries::new([(0, 0.0), (100, 0.0)], Color::stroke_width(&GREY, 1)))?;
    for (i, o) in result.options.iter().enumerate() {
        let colour = SERIES[i % SERIES.len()];
        chart
            .draw_series(LineSeries::new(
                o.sensitivity.iter().map(|(p, s)| (*p, f(*s))),
                Color::stroke_width(&colour, 3),
            ))?
            .label(o.name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 2), (x + 14, y + 2)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(GREY)
        .label_font(("sans-serif", 12).into_font().color(&INK))
        .draw()?;
    root.present()
}

/// One series of a column chart: its legend label and a value a column.
pub struct Series<'a> {
    pub label: &'a str,
    pub values: Vec<f64>,
}

impl<'a> Series<'a> {
    /// A series of amounts (converted for drawing only, after every sum is worked out).
    pub fn money(label: &'a str, values: impl IntoIterator<Item = Money>) -> Series<'a> {
        Series { label, values: values.into_iter().map(f).collect() }
    }
}

/// The legend, top right.
fn legend<'a, DB: DrawingBackend + 'a>(chart: &mut ColumnChart<'a, DB>) -> Drawn<DB> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(GREY)
        .label_font(("sans-serif", 12).into_font().color(&INK))
        .draw()
}

/// The plot area's width shared by `n` columns, roughly, in pixels.
fn column_width(n: usize) -> u32 {
    (WIDTH - 88) / n.max(1) as u32
}

/// Amounts side by side: one group of columns a label, a column a series (budget, invoiced and
/// forecast of each income stream).
pub fn grouped_columns<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &[String],
    series: &[Series<'_>],
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let values = series.iter().flat_map(|s| s.values.iter().copied());
    let (min, max) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (low, high) = span(min, max * 1.15);
    let mut chart = columns(root, labels, low, high, pounds)?;
    let width = column_width(labels.len());
    let pad = width / 8;
    let each = (width - 2 * pad) / series.len().max(1) as u32;
    for (k, s) in series.iter().enumerate() {
        let colour = SERIES[k % SERIES.len()];
        let left = pad + k as u32 * each;
        let right = width.saturating_sub(left + each);
        let bars: Vec<Rectangle<(SegmentValue<usize>, f64)>> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut r = Rectangle::new(
                    [(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), *v)],
                    colour.filled(),
                );
                r.set_margin(0, 0, left, right);
                r
            })
            .collect();
        chart
            .draw_series(bars)?
            .label(s.label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    legend(&mut chart)?;
    root.present()
}

/// Amounts stacked: one column a label, the series piled up from zero (negative amounts, such
/// as a month whose credit notes outweigh its invoices, piled down from zero).
pub fn stacked_columns<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &[String],
    series: &[Series<'_>],
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let n = labels.len();
    let sum = |i: usize, positive: bool| -> f64 {
        series.iter().filter_map(|s| s.values.get(i)).filter(|v| (**v >= 0.0) == positive).sum()
    };
    let top = (0..n).map(|i| sum(i, true)).fold(0.0, f64::max);
    let bottom = (0..n).map(|i| sum(i, false)).fold(0.0, f64::min);
    let (low, high) = span(bottom, top * 1.2);
    let mut chart = columns(root, labels, low, high, pounds)?;
    let inset = column_width(n) / 6;
    let (mut up, mut down) = (vec![0.0; n], vec![0.0; n]);
    for (k, s) in series.iter().enumerate() {
        let colour = SERIES[k % SERIES.len()];
        let mut bars = Vec::new();
        for (i, v) in s.values.iter().enumerate().take(n) {
            let base = if *v >= 0.0 { &mut up[i] } else { &mut down[i] };
            bars.push(bar(i, *base, *base + v, colour, inset));
            *base += v;
        }
        chart
            .draw_series(bars)?
            .label(s.label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    legend(&mut chart)?;
    root.present()
}

/// Counts as columns, each with its number on top (members each year).
pub fn count_columns<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &[String],
    counts: &[u64],
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let top = counts.iter().copied().max().unwrap_or(0) as f64;
    let (low, high) = span(0.0, top * 1.15);
    let mut chart = columns(root, labels, low, high, |v| format!("{v:.0}"))?;
    let inset = column_width(labels.len()) / 4;
    chart.draw_series(counts.iter().enumerate().map(|(i, c)| bar(i, 0.0, *c as f64, SERIES[0], inset)))?;
    chart.draw_series(counts.iter().enumerate().map(|(i, c)| {
        Text::new(
            c.to_string(),
            (SegmentValue::CenterOf(i), *c as f64),
            ("sans-serif", 13).into_font().color(&INK).pos(Pos::new(HPos::Center, VPos::Bottom)),
        )
    }))?;
    root.present()
}

/// A chart as inline SVG for a page, labelled for screen readers (the page gives the same
/// figures as a table). A chart that cannot be drawn leaves the figures in the tables.
pub fn svg<F>(label: &str, draw: F) -> String
where
    F: for<'a> FnOnce(&DrawingArea<SVGBackend<'a>, Shift>),
{
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root);
    }
    let label = label.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    out.replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"{label}\" focusable=\"false\" "), 1)
}

/// One shape of a recorded chart, in chart pixels from the top left.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Line { points: Vec<(i32, i32)>, colour: (u8, u8, u8), width: u32 },
    Rect { from: (i32, i32), to: (i32, i32), colour: (u8, u8, u8) },
    Text { text: String, at: (i32, i32), size: f64, colour: (u8, u8, u8), anchor: Anchor },
}

/// Where a text's position is on the text: (-1 left, 0 centre, 1 right), (-1 top, 0 centre, 1 bottom).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor(pub i8, pub i8);

/// A plotters backend that keeps the shapes, for printpdf to draw.
pub struct Recorder {
    shapes: std::rc::Rc<std::cell::RefCell<Vec<Shape>>>,
}

impl Recorder {
    fn push(&self, shape: Shape) {
        self.shapes.borrow_mut().push(shape);
    }
}

#[derive(Debug)]
pub struct NeverFails;

impl std::fmt::Display for NeverFails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("recording cannot fail")
    }
}

impl std::error::Error for NeverFails {}

/// A colour with its transparency blended onto white paper (PDF shapes here are opaque).
fn rgb(c: BackendColor) -> (u8, u8, u8) {
    let a = c.alpha.clamp(0.0, 1.0);
    let blend = |v: u8| (f64::from(v) * a + 255.0 * (1.0 - a)).round() as u8;
    (blend(c.rgb.0), blend(c.rgb.1), blend(c.rgb.2))
}

impl DrawingBackend for Recorder {
    type ErrorType = NeverFails;

    fn get_size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<NeverFails>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<NeverFails>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<NeverFails>> {
        if color.alpha > 0.0 {
            self.push(Shape::Rect { from: point, to: (point.0 + 1, point.1 + 1), colour: rgb(color) });
        }
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<NeverFails>> {
        if style.color().alpha > 0.0 {
            self.push(Shape::Line {
                points: vec![from, to],
                colour: rgb(style.color()),
                width: style.stroke_width(),
            });
        }
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<NeverFails>> {
        if style.color().alpha <= 0.0 {
            return Ok(());
        }
        let colour = rgb(style.color());
        if fill {
            self.push(Shape::Rect { from: upper_left, to: bottom_right, colour });
        } else {
            let (l, t, r, b) = (upper_left.0, upper_left.1, bottom_right.0, bottom_right.1);
            self.push(Shape::Line {
                points: vec![(l, t), (r, t), (r, b), (l, b), (l, t)],
                colour,
                width: style.stroke_width(),
            });
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<NeverFails>> {
        if style.color().alpha > 0.0 {
            self.push(Shape::Line {
                points: path.into_iter().collect(),
                colour: rgb(style.color()),
                width: style.stroke_width(),
            });
        }
        Ok(())
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<NeverFails>> {
        self.push(Shape::Text {
            text: text.to_string(),
            at: pos,
            size: style.size(),
            colour: rgb(style.color()),
            anchor: {
                let pos = style.anchor();
                let h = match pos.h_pos {
                    HPos::Left => -1,
                    HPos::Center => 0,
                    HPos::Right => 1,
                };
                let v = match pos.v_pos {
                    VPos::Top => -1,
                    VPos::Center => 0,
                    VPos::Bottom => 1,
                };
                Anchor(h, v)
            },
        });
        Ok(())
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<NeverFails>> {
        // DejaVu Sans averages a little over half an em per character.
        let size = style.size();
        Ok(((text.chars().count() as f64 * size * 0.56).ceil() as u32, size.ceil() as u32))
    }
}

/// Draws a chart onto a recorder and returns its shapes.
pub fn record<F>(draw: F) -> Vec<Shape>
where
    F: FnOnce(&DrawingArea<Recorder, Shift>),
{
    let shapes = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    {
        let root = Recorder { shapes: shapes.clone() }.into_drawing_area();
        draw(&root);
    }
    shapes.take()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts a recorded chart writes.
    fn texts(shapes: &[Shape]) -> Vec<&str> {
        shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// How many rectangles of `colour` a recorded chart fills.
    fn filled(shapes: &[Shape], colour: (u8, u8, u8)) -> usize {
        shapes.iter().filter(|s| matches!(s, Shape::Rect { colour: c, .. } if *c == colour)).count()
    }

    #[test]
    fn short_amounts_for_axes() {
        assert_eq!(short(12_500.0), "£12k");
        assert_eq!(short(-2_400_000.0), "-£2.4m");
        assert_eq!(short(80.0), "£80");
    }

    #[test]
    fn the_recorded_chart_names_every_option_and_draws_its_bars() {
        let scenario: crate::domain::funding::Scenario = serde_json::from_value(serde_json::json!({
            "year": "2026-27",
            "schools": { "register": "demo" },
            "costs": [{ "name": "Core", "kind": "core", "amount": "9000.00" }],
            "options": [
                { "name": "Per pupil", "membership_fee": { "per_pupil": "10.00" }, "covers": ["core"] },
                { "name": "Flat", "membership_fee": { "flat": "2000.00" }, "covers": ["core"] }
            ],
            "council": { "fixed": "1000.00" }
        }))
        .unwrap();
        let schools: Vec<_> = (0..4)
            .map(|i| crate::domain::funding::ModelSchool {
                urn: i,
                name: format!("S{i}"),
                billing_phase: BillingPhase::Primary,
                pupils: Some(100 + i as u32),
            })
            .collect();
        let result = crate::domain::funding::model(&scenario, &schools);
        let shapes = record(|root| {
            income_against_cost(root, &result).unwrap();
        });
        let texts = texts(&shapes);
        for expected in ["Per pupil", "Flat", "Membership", "Council", "Costs to cover"] {
            assert!(texts.contains(&expected), "{expected} missing from {texts:?}");
        }
        let blue = filled(&shapes, (0x1d, 0x70, 0xb8));
        assert!(blue >= 2, "a membership bar for each option (and the legend)");
        let svg = svg("Chart", |root| {
            surplus_against_sign_up(root, &result).unwrap();
        });
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"Chart\""), "{}", &svg[..80]);
        assert!(svg.contains("Per pupil") && svg.contains("<polyline"));
    }

    #[test]
    fn column_charts_draw_every_series_and_label() {
        let labels: Vec<String> = ["Sep", "Oct", "Nov"].map(String::from).to_vec();
        let series = [
            Series { label: "Membership", values: vec![100.0, -20.0, 50.0] },
            Series { label: "Grants", values: vec![10.0, 30.0, 0.0] },
        ];
        for shapes in [
            record(|root| stacked_columns(root, &labels, &series).unwrap()),
            record(|root| grouped_columns(root, &labels, &series).unwrap()),
        ] {
            let texts = texts(&shapes);
            for expected in ["Sep", "Oct", "Nov", "Membership", "Grants"] {
                assert!(texts.contains(&expected), "{expected} missing from {texts:?}");
            }
            let orange = filled(&shapes, (0xf4, 0x77, 0x38));
            assert!(orange >= 3, "the second series' columns and its legend: {orange}");
        }
        let counts = record(|root| count_columns(root, &labels, &[4, 7, 9]).unwrap());
        assert!(counts.iter().any(|s| matches!(s, Shape::Text { text, .. } if text == "9")));
    }

    #[test]
    fn quartiles_by_nearest_rank() {
        assert_eq!(quartiles(&[1.0, 2.0, 3.0, 4.0, 5.0]), (2.0, 3.0, 4.0));
        assert_eq!(quartiles(&[7.0]), (7.0, 7.0, 7.0));
    }
}
