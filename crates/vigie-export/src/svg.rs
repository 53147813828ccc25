//! An SVG chart of a statistics [`Table`], drawn by the server and embedded inline in a page
//! whose Content-Security-Policy forbids inline styles and scripts: only presentation
//! attributes (`fill`, `stroke`, `font-size`, `text-anchor`) and `class` names, which the
//! application's stylesheet may refine (print, forced colours).
//!
//! The chart is a picture (`role="img"`) named by the table's title, with a short French
//! description that sends the reader to the data table printed right under it. Each bar
//! has a `<title>` (« Mars 2024 : 12 ») for mouse users. Suppressed values (« < 5 ») draw no
//! bar but a small « < 5 » mark on the baseline; empty values draw nothing.
//!
//! - [`ChartKind::Columns`]: time along the x axis, one series per table column, grouped
//!   columns; many periods get slanted labels, one every few columns if need be.
//! - [`ChartKind::Bars`]: horizontal bars, one group per row (a territory, a motive), the
//!   row's label at the left (shortened with an ellipsis, in full in the group's `<title>`).
//!
//! Series are told apart by colour (Okabe–Ito, each at least 3:1 against white), by a hatch
//! from the second series on, by the legend's order and by the table under the chart.
//! Output is deterministic; coordinates are rounded to one decimal.

mod bars;
mod columns;
mod scale;
mod xml;

use vigie_domain::stats::{ChartKind, Table, Value};

use scale::{Scale, french_number};
use xml::{Doc, num};

/// The viewBox' width; the height follows from the content.
const WIDTH: f64 = 800.0;
/// Space around the drawing.
const PAD: f64 = 12.0;
/// Labels' font size (11 at least everywhere, for print).
const FONT: f64 = 12.0;
/// Dark text on white (DSFR's grey).
const INK: &str = "#161616";
/// Gridlines.
const GRID: &str = "#cecece";
/// The zero line.
const AXIS: &str = "#3a3a3a";
/// Series colours: Okabe–Ito, all at least 3:1 against white.
const PALETTE: [&str; 6] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8A6100", "#555555",
];
/// Hatch angles by series (`None`: plain colour), cycling.
const HATCHES: [Option<i32>; 5] = [None, Some(45), Some(-45), Some(0), Some(90)];
const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// The chart of `table`, or `None` when its [`ChartKind`] is `None` or no value is a number.
/// `id` prefixes the ids inside the SVG (title, description, hatches): unique on the page.
pub fn chart_svg(table: &Table, id: &str) -> Option<String> {
    let chart = Chart::new(table, id)?;
    let mut doc = Doc::default();
    match table.chart {
        ChartKind::Columns => columns::draw(&mut doc, &chart),
        ChartKind::Bars => bars::draw(&mut doc, &chart),
        ChartKind::None => return None,
    }
    Some(doc.finish())
}

/// What suffix the gridline labels get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Plain,
    Days,
    Percent,
}

/// The table read for drawing.
#[derive(Debug)]
struct Chart<'a> {
    table: &'a Table,
    id: &'a str,
    rows: Vec<String>,
    series: Vec<String>,
    scale: Scale,
    unit: Unit,
    /// How many bars (numeric values).
    bars: usize,
    /// How many « < 5 » marks.
    suppressed: usize,
}

impl<'a> Chart<'a> {
    fn new(table: &'a Table, id: &'a str) -> Option<Self> {
        if table.chart == ChartKind::None {
            return None;
        }
        let n_rows = table.rows.items.len().max(table.cells.len());
        let widest = table.cells.iter().map(Vec::len).max().unwrap_or(0);
        let n_series = table.columns.items.len().max(widest);
        let name = |items: &[vigie_domain::stats::Label], i: usize| {
            items.get(i).map_or_else(String::new, |l| {
                if l.label.trim().is_empty() {
                    l.code.clone()
                } else {
                    l.label.clone()
                }
            })
        };
        let rows = (0..n_rows).map(|r| name(&table.rows.items, r)).collect();
        let series = (0..n_series)
            .map(|s| name(&table.columns.items, s))
            .collect();
        let (mut max, mut bars, mut suppressed) = (0.0_f64, 0, 0);
        let (mut integer, mut unit) = (true, None);
        for value in table.cells.iter().flatten() {
            if *value == Value::Suppressed {
                suppressed += 1;
            }
            let Some(v) = number(*value) else { continue };
            bars += 1;
            max = max.max(v);
            integer &= matches!(value, Value::Count(_));
            unit.get_or_insert(match value {
                Value::Days(_) => Unit::Days,
                Value::Percent(_) => Unit::Percent,
                _ => Unit::Plain,
            });
        }
        let unit = unit?;
        Some(Self {
            table,
            id,
            rows,
            series,
            scale: Scale::nice(max, integer),
            unit,
            bars,
            suppressed,
        })
    }

    fn title(&self) -> &str {
        if self.table.title.trim().is_empty() {
            &self.table.measure
        } else {
            &self.table.title
        }
    }

    /// « Histogramme : Dossiers par mois, 12 barres. Les valeurs figurent dans le tableau
    /// qui suit. »
    fn description(&self) -> String {
        let what = match self.table.chart {
            ChartKind::Bars => "Diagramme en barres horizontales",
            _ => "Histogramme",
        };
        let plural = |n: usize, one: &str, many: &str| {
            if n > 1 {
                format!("{n} {many}")
            } else {
                format!("{n} {one}")
            }
        };
        let mut out = format!(
            "{what} : {}, {}",
            self.title().trim().trim_end_matches('.'),
            plural(self.bars, "barre", "barres")
        );
        if self.table.chart == ChartKind::Columns
            && let (Some(first), Some(last)) = (self.rows.first(), self.rows.last())
            && self.rows.len() > 1
        {
            out.push_str(&format!(", de {first} à {last}"));
        }
        if self.series.len() > 1 {
            out.push_str(&format!(
                ", {} ({})",
                plural(self.series.len(), "série", "séries"),
                self.series.join(", ")
            ));
        }
        if self.suppressed > 0 {
            let hidden = plural(self.suppressed, "valeur masquée", "valeurs masquées");
            out.push_str(&format!(", {hidden} (moins de 5)"));
        }
        out.push_str(". Les valeurs figurent dans le tableau qui suit.");
        out
    }

    fn value(&self, r: usize, s: usize) -> Value {
        self.table.get(r, s)
    }

    /// A value's share of the axis, 0 to 1.
    fn fraction(&self, v: f64) -> f64 {
        (v / self.scale.top()).clamp(0.0, 1.0)
    }

    /// The gridlines: value and label.
    fn ticks(&self) -> Vec<(f64, String)> {
        let suffix = match self.unit {
            Unit::Plain => "",
            Unit::Days => "\u{a0}j",
            Unit::Percent => "\u{a0}%",
        };
        self.scale
            .ticks()
            .into_iter()
            .map(|t| (t, format!("{}{suffix}", french_number(t))))
            .collect()
    }

    /// A bar's tooltip: « Mars 2024 – Entrées : 12 ».
    fn bar_title(&self, r: usize, s: usize, value: Value) -> String {
        let row = self.rows.get(r).map_or("", String::as_str);
        match self.series.get(s) {
            Some(series) if self.series.len() > 1 => {
                format!("{row} – {series}\u{a0}: {}", value.display())
            }
            _ => format!("{row}\u{a0}: {}", value.display()),
        }
    }

    /// A series' fill: its colour, or its hatch.
    fn fill(&self, s: usize) -> String {
        match HATCHES[s % HATCHES.len()] {
            None => PALETTE[s % PALETTE.len()].to_owned(),
            Some(_) => format!("url(#{}-p{s})", self.id),
        }
    }

    /// `<svg …>`, its title, description and hatches.
    fn open(&self, doc: &mut Doc, height: f64, class: &str) {
        doc.open(
            "svg",
            &[
                ("viewBox", &format!("0 0 {} {}", num(WIDTH), num(height))),
                ("role", &"img"),
                ("aria-labelledby", &format!("{0}-title {0}-desc", self.id)),
                ("class", &format!("chart {class}")),
                ("xmlns", &SVG_NS),
            ],
        );
        doc.text(
            "title",
            &[("id", &format!("{}-title", self.id))],
            self.title(),
        );
        let desc = self.description();
        doc.text("desc", &[("id", &format!("{}-desc", self.id))], &desc);
        if self.series.len() < 2 {
            return;
        }
        doc.open("defs", &[]);
        for s in 0..self.series.len() {
            let Some(angle) = HATCHES[s % HATCHES.len()] else {
                continue;
            };
            doc.open(
                "pattern",
                &[
                    ("id", &format!("{}-p{s}", self.id)),
                    ("width", &6),
                    ("height", &6),
                    ("patternUnits", &"userSpaceOnUse"),
                    ("patternTransform", &format!("rotate({angle})")),
                ],
            );
            let colour = PALETTE[s % PALETTE.len()];
            doc.empty("rect", &[("width", &6), ("height", &6), ("fill", &colour)]);
            doc.empty(
                "rect",
                &[
                    ("width", &2),
                    ("height", &6),
                    ("fill", &"#ffffff"),
                    ("fill-opacity", &0.5),
                ],
            );
            doc.close("pattern");
        }
        doc.close("defs");
    }

    /// One bar, with its tooltip. `(x, y, w, h)` in viewBox units.
    fn bar(&self, doc: &mut Doc, r: usize, s: usize, value: Value, rect: [f64; 4]) {
        let fill = self.fill(s);
        let colour = PALETTE[s % PALETTE.len()];
        let [x, y, w, h] = rect.map(num);
        let class = format!("bar bar-{s}");
        let hatched = HATCHES[s % HATCHES.len()].is_some();
        let stroke: &[(&str, &dyn std::fmt::Display)] = if hatched {
            &[("stroke", &colour), ("stroke-width", &1)]
        } else {
            &[]
        };
        let mut attrs: Vec<(&str, &dyn std::fmt::Display)> = vec![
            ("class", &class),
            ("x", &x),
            ("y", &y),
            ("width", &w),
            ("height", &h),
            ("fill", &fill),
        ];
        attrs.extend_from_slice(stroke);
        doc.open("rect", &attrs);
        doc.text("title", &[], &self.bar_title(r, s, value));
        doc.close("rect");
    }

    /// The « < 5 » mark of a suppressed value at `(x, y)`: `text-anchor` `anchor`, turned
    /// upright (reading upwards from `(x, y)`) when `vertical`.
    fn mark(
        &self,
        doc: &mut Doc,
        cell: (usize, usize),
        at: (f64, f64),
        anchor: &str,
        vertical: bool,
    ) {
        let (x, y) = (num(at.0), num(at.1));
        doc.open(
            "g",
            &[
                ("class", &"chart-suppressed"),
                ("font-size", &11),
                ("fill", &INK),
            ],
        );
        doc.text(
            "title",
            &[],
            &self.bar_title(cell.0, cell.1, Value::Suppressed),
        );
        let rotate = format!("rotate(-90 {x} {y})");
        let mut attrs: Vec<(&str, &dyn std::fmt::Display)> =
            vec![("x", &x), ("y", &y), ("text-anchor", &anchor)];
        if vertical {
            attrs.push(("transform", &rotate));
        }
        doc.text("text", &attrs, "< 5");
        doc.close("g");
    }
}

/// The number a bar is drawn for (negative values sit on the baseline).
fn number(value: Value) -> Option<f64> {
    value.number().filter(|v| v.is_finite()).map(|v| v.max(0.0))
}

/// A label shortened to `max` characters, with an ellipsis.
fn truncate(label: &str, max: usize) -> String {
    let label = label.trim();
    if label.chars().count() <= max {
        return label.to_owned();
    }
    let kept: String = label.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// A rough width of a text in viewBox units (no font metrics on the server).
fn text_width(text: &str, font: f64) -> f64 {
    #[allow(clippy::cast_precision_loss)] // a label's length
    let chars = text.chars().count() as f64;
    chars * font * 0.6
}

/// The legend: one swatch and name per series, wrapped into lines.
#[derive(Debug, Default)]
struct Legend {
    /// `(x, baseline, series)`.
    items: Vec<(f64, f64, usize)>,
    height: f64,
}

impl Legend {
    /// Lays the legend out from `(x0, y0)` within `width`; empty for a single series.
    fn layout(chart: &Chart<'_>, x0: f64, y0: f64, width: f64) -> Self {
        if chart.series.len() < 2 {
            return Self::default();
        }
        let (mut x, mut y) = (x0, y0 + 14.0);
        let mut items = Vec::new();
        for (s, name) in chart.series.iter().enumerate() {
            let w = 20.0 + text_width(&truncate(name, 40), FONT) + 18.0;
            if x > x0 && x + w > x0 + width {
                x = x0;
                y += 22.0;
            }
            items.push((x, y, s));
            x += w;
        }
        Self {
            items,
            height: y - y0 + 14.0,
        }
    }

    fn draw(&self, doc: &mut Doc, chart: &Chart<'_>) {
        if self.items.is_empty() {
            return;
        }
        doc.open(
            "g",
            &[
                ("class", &"chart-legend"),
                ("font-size", &FONT),
                ("fill", &INK),
            ],
        );
        for &(x, y, s) in &self.items {
            let (sx, sy) = (num(x), num(y - 11.0));
            let fill = chart.fill(s);
            let colour = PALETTE[s % PALETTE.len()];
            doc.empty(
                "rect",
                &[
                    ("class", &format!("chart-swatch bar-{s}")),
                    ("x", &sx),
                    ("y", &sy),
                    ("width", &14),
                    ("height", &14),
                    ("fill", &fill),
                    ("stroke", &colour),
                ],
            );
            let name = truncate(&chart.series[s], 40);
            doc.text("text", &[("x", &num(x + 20.0)), ("y", &num(y))], &name);
        }
        doc.close("g");
    }
}

#[cfg(test)]
mod tests;
