//! [`ChartKind::Columns`](vigie_domain::stats::ChartKind::Columns): time along the x axis, one
//! group of columns per row (a month, a quarter, a year), one column per series.

use vigie_domain::stats::Value;

use super::xml::{Doc, num};
use super::{AXIS, Chart, FONT, GRID, INK, Legend, PAD, WIDTH, number, text_width, truncate};

/// The plot's height, gridlines included.
const PLOT_H: f64 = 280.0;
/// A period's label is shortened to this many characters (in full in the bars' titles).
const LABEL_CHARS: usize = 16;
/// Slanted labels need this much room from one to the next.
const SLANT_PITCH: f64 = 18.0;
/// sin 45°: how far a slanted label reaches down and left.
const SLANT: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// A group of columns is at most this wide per series (a few years do not make slabs).
const MAX_COLUMN: f64 = 56.0;

/// Where things go.
#[derive(Debug)]
struct Layout {
    legend: Legend,
    /// The measure's baseline, above the plot.
    unit_y: f64,
    left: f64,
    right: f64,
    top: f64,
    /// The zero line.
    base: f64,
    /// Width given to one row.
    slot: f64,
    /// The rows' labels, shortened.
    names: Vec<String>,
    /// Labels slanted at 45°, rather than level.
    slanted: bool,
    /// One label every `every` rows.
    every: usize,
    height: f64,
}

impl Layout {
    fn new(chart: &Chart<'_>, ticks: &[(f64, String)]) -> Self {
        let legend = Legend::layout(chart, PAD, PAD, WIDTH - 2.0 * PAD);
        let unit_y = PAD + legend.height + 16.0;
        let top = unit_y + 18.0;
        let base = top + PLOT_H;
        let tick_w = ticks
            .iter()
            .map(|(_, l)| text_width(l, FONT))
            .fold(0.0, f64::max);
        let names: Vec<String> = chart
            .rows
            .iter()
            .map(|l| truncate(l, LABEL_CHARS))
            .collect();
        let name_w = names
            .iter()
            .map(|l| text_width(l, FONT))
            .fold(0.0, f64::max);
        #[allow(clippy::cast_precision_loss)] // a number of rows
        let n = chart.rows.len().max(1) as f64;
        let right = WIDTH - PAD;
        let mut left = PAD + tick_w + 8.0;
        let mut slot = (right - left) / n;
        let slanted = name_w > slot - 4.0;
        let (every, extent) = if slanted {
            // The first label hangs left of its column: keep it inside the picture.
            let half = 1.0 / (2.0 * n);
            left = left.max((PAD + name_w * SLANT - right * half) / (1.0 - half));
            slot = (right - left) / n;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // ≥ 1
            let every = (SLANT_PITCH / slot).ceil().max(1.0) as usize;
            (every, 14.0 + name_w * SLANT + 8.0)
        } else {
            (1, 24.0)
        };
        Self {
            legend,
            unit_y,
            left,
            right,
            top,
            base,
            slot,
            names,
            slanted,
            every,
            height: base + extent + PAD,
        }
    }

    /// A value's height above the zero line.
    fn y(&self, chart: &Chart<'_>, v: f64) -> f64 {
        self.base - chart.fraction(v) * (self.base - self.top)
    }
}

pub(super) fn draw(doc: &mut Doc, chart: &Chart<'_>) {
    let ticks = chart.ticks();
    let layout = Layout::new(chart, &ticks);
    chart.open(doc, layout.height, "chart-columns");
    layout.legend.draw(doc, chart);
    doc.text(
        "text",
        &[
            ("class", &"chart-unit"),
            ("x", &num(PAD)),
            ("y", &num(layout.unit_y)),
            ("font-size", &13),
            ("fill", &INK),
        ],
        &chart.table.measure,
    );
    grid(doc, chart, &layout, &ticks);
    columns(doc, chart, &layout);
    let (x1, x2, y) = (num(layout.left), num(layout.right), num(layout.base));
    doc.empty(
        "line",
        &[
            ("class", &"chart-axis"),
            ("x1", &x1),
            ("y1", &y),
            ("x2", &x2),
            ("y2", &y),
            ("stroke", &AXIS),
        ],
    );
    labels(doc, &layout);
    doc.close("svg");
}

/// Horizontal gridlines and their values, at the left.
fn grid(doc: &mut Doc, chart: &Chart<'_>, layout: &Layout, ticks: &[(f64, String)]) {
    let (x1, x2) = (num(layout.left), num(layout.right));
    doc.open("g", &[("class", &"chart-grid"), ("stroke", &GRID)]);
    for &(t, _) in ticks.iter().filter(|(t, _)| *t > 0.0) {
        let y = num(layout.y(chart, t));
        doc.empty("line", &[("x1", &x1), ("y1", &y), ("x2", &x2), ("y2", &y)]);
    }
    doc.close("g");
    doc.open(
        "g",
        &[
            ("class", &"chart-ticks"),
            ("font-size", &FONT),
            ("fill", &INK),
            ("text-anchor", &"end"),
        ],
    );
    let x = num(layout.left - 6.0);
    for (t, label) in ticks {
        let y = num(layout.y(chart, *t) + 4.0);
        doc.text("text", &[("x", &x), ("y", &y)], label);
    }
    doc.close("g");
}

/// The columns, row by row, series by series; « < 5 » marks on the zero line.
fn columns(doc: &mut Doc, chart: &Chart<'_>, layout: &Layout) {
    #[allow(clippy::cast_precision_loss)] // a number of series
    let n_series = chart.series.len().max(1) as f64;
    let group = (layout.slot * 0.8).min(MAX_COLUMN * n_series);
    let width = group / n_series;
    doc.open("g", &[("class", &"chart-bars")]);
    for r in 0..chart.rows.len() {
        #[allow(clippy::cast_precision_loss)] // a row's index
        let start = layout.left + r as f64 * layout.slot + (layout.slot - group) / 2.0;
        for s in 0..chart.series.len() {
            #[allow(clippy::cast_precision_loss)] // a series' index
            let x = start + s as f64 * width;
            let value = chart.value(r, s);
            if let Some(v) = number(value) {
                let y = layout.y(chart, v);
                chart.bar(doc, r, s, value, [x, y, width, layout.base - y]);
            } else if value == Value::Suppressed {
                let centre = x + width / 2.0;
                if width < 20.0 {
                    let at = (centre + 4.0, layout.base - 4.0);
                    chart.mark(doc, (r, s), at, "start", true);
                } else {
                    chart.mark(doc, (r, s), (centre, layout.base - 4.0), "middle", false);
                }
            }
        }
    }
    doc.close("g");
}

/// The rows' labels under the zero line: level, or slanted and thinned out.
fn labels(doc: &mut Doc, layout: &Layout) {
    let anchor = if layout.slanted { "end" } else { "middle" };
    doc.open(
        "g",
        &[
            ("class", &"chart-labels"),
            ("font-size", &FONT),
            ("fill", &INK),
            ("text-anchor", &anchor),
        ],
    );
    for (r, name) in layout.names.iter().enumerate().step_by(layout.every) {
        #[allow(clippy::cast_precision_loss)] // a row's index
        let centre = layout.left + (r as f64 + 0.5) * layout.slot;
        let x = num(centre);
        if layout.slanted {
            let y = num(layout.base + 14.0);
            let rotate = format!("rotate(-45 {x} {y})");
            doc.text(
                "text",
                &[("x", &x), ("y", &y), ("transform", &rotate)],
                name,
            );
        } else {
            let y = num(layout.base + 18.0);
            doc.text("text", &[("x", &x), ("y", &y)], name);
        }
    }
    doc.close("g");
}
