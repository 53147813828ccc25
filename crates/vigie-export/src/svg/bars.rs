//! [`ChartKind::Bars`](vigie_domain::stats::ChartKind::Bars): horizontal bars, one group per
//! row (a territory, a motive), one bar per series, the row's name at the left.

use vigie_domain::stats::Value;

use super::xml::{Doc, num};
use super::{AXIS, Chart, FONT, GRID, INK, Legend, PAD, WIDTH, number, text_width, truncate};

/// A row's name is shortened to this many characters (in full in its group's title).
const LABEL_CHARS: usize = 32;
/// The names' column is at most this wide.
const MAX_LABEL_W: f64 = 250.0;

/// Where things go.
#[derive(Debug)]
struct Layout {
    legend: Legend,
    /// The zero line.
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    /// Height given to one series' bar, and to one row.
    bar_h: f64,
    group_h: f64,
    height: f64,
}

impl Layout {
    fn new(chart: &Chart<'_>, ticks: &[(f64, String)]) -> Self {
        let legend = Legend::layout(chart, PAD, PAD, WIDTH - 2.0 * PAD);
        let top = PAD + legend.height + 8.0;
        let name_w = chart
            .rows
            .iter()
            .map(|l| text_width(&truncate(l, LABEL_CHARS), FONT))
            .fold(0.0, f64::max)
            .min(MAX_LABEL_W);
        let last_tick = ticks.last().map_or(0.0, |(_, l)| text_width(l, FONT));
        let n_series = chart.series.len().max(1);
        let bar_h = if n_series == 1 { 22.0 } else { 14.0 };
        #[allow(clippy::cast_precision_loss)] // numbers of series and rows
        let (group_h, n_rows) = (
            (n_series as f64 * bar_h + 10.0).max(30.0),
            chart.rows.len() as f64,
        );
        let bottom = top + n_rows * group_h;
        Self {
            legend,
            left: PAD + name_w + 10.0,
            right: WIDTH - PAD - last_tick / 2.0,
            top,
            bottom,
            bar_h,
            group_h,
            height: bottom + 44.0 + PAD,
        }
    }

    /// Where a value's bar ends.
    fn x(&self, chart: &Chart<'_>, v: f64) -> f64 {
        self.left + chart.fraction(v) * (self.right - self.left)
    }
}

pub(super) fn draw(doc: &mut Doc, chart: &Chart<'_>) {
    let ticks = chart.ticks();
    let layout = Layout::new(chart, &ticks);
    chart.open(doc, layout.height, "chart-bars");
    layout.legend.draw(doc, chart);
    grid(doc, chart, &layout, &ticks);
    doc.open("g", &[("class", &"chart-bars")]);
    for r in 0..chart.rows.len() {
        row(doc, chart, &layout, r);
    }
    doc.close("g");
    let (x, y1, y2) = (num(layout.left), num(layout.top), num(layout.bottom));
    doc.empty(
        "line",
        &[
            ("class", &"chart-axis"),
            ("x1", &x),
            ("y1", &y1),
            ("x2", &x),
            ("y2", &y2),
            ("stroke", &AXIS),
        ],
    );
    doc.text(
        "text",
        &[
            ("class", &"chart-unit"),
            ("x", &num(f64::midpoint(layout.left, layout.right))),
            ("y", &num(layout.bottom + 42.0)),
            ("font-size", &13),
            ("fill", &INK),
            ("text-anchor", &"middle"),
        ],
        &chart.table.measure,
    );
    doc.close("svg");
}

/// Vertical gridlines and their values, under the plot.
fn grid(doc: &mut Doc, chart: &Chart<'_>, layout: &Layout, ticks: &[(f64, String)]) {
    let (y1, y2) = (num(layout.top), num(layout.bottom));
    doc.open("g", &[("class", &"chart-grid"), ("stroke", &GRID)]);
    for &(t, _) in ticks.iter().filter(|(t, _)| *t > 0.0) {
        let x = num(layout.x(chart, t));
        doc.empty("line", &[("x1", &x), ("y1", &y1), ("x2", &x), ("y2", &y2)]);
    }
    doc.close("g");
    doc.open(
        "g",
        &[
            ("class", &"chart-ticks"),
            ("font-size", &FONT),
            ("fill", &INK),
            ("text-anchor", &"middle"),
        ],
    );
    let y = num(layout.bottom + 18.0);
    for (t, label) in ticks {
        let x = num(layout.x(chart, *t));
        doc.text("text", &[("x", &x), ("y", &y)], label);
    }
    doc.close("g");
}

/// One row: its name (shortened; in full in the group's title), its bars or marks.
fn row(doc: &mut Doc, chart: &Chart<'_>, layout: &Layout, r: usize) {
    let name = chart.rows.get(r).map_or("", String::as_str);
    #[allow(clippy::cast_precision_loss)] // an index, a number of series
    let (start, n_series) = (
        layout.top + r as f64 * layout.group_h,
        chart.series.len().max(1) as f64,
    );
    doc.open("g", &[("class", &"chart-row")]);
    doc.text("title", &[], name);
    doc.text(
        "text",
        &[
            ("class", &"chart-label"),
            ("x", &num(layout.left - 8.0)),
            ("y", &num(start + layout.group_h / 2.0 + 4.0)),
            ("font-size", &FONT),
            ("fill", &INK),
            ("text-anchor", &"end"),
        ],
        &truncate(name, LABEL_CHARS),
    );
    let first = start + (layout.group_h - n_series * layout.bar_h) / 2.0;
    let thickness = if n_series > 1.0 {
        layout.bar_h - 2.0
    } else {
        layout.bar_h
    };
    for s in 0..chart.series.len() {
        #[allow(clippy::cast_precision_loss)] // a series' index
        let y = first + s as f64 * layout.bar_h;
        let value = chart.value(r, s);
        if let Some(v) = number(value) {
            let width = layout.x(chart, v) - layout.left;
            chart.bar(doc, r, s, value, [layout.left, y, width, thickness]);
        } else if value == Value::Suppressed {
            let at = (layout.left + 4.0, y + thickness / 2.0 + 4.0);
            chart.mark(doc, (r, s), at, "start", false);
        }
    }
    doc.close("g");
}
