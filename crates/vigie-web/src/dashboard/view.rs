//! A statistics table as the page shows it: the SVG chart, then the data table (the
//! chart's text alternative), each figure linked to the dossier list it counts when the
//! viewer may read dossiers.

use vigie_domain::stats::{Bucket, Dimension, Table, Value};

/// One cell.
#[derive(Debug, Clone)]
pub struct CellView {
    pub text: String,
    pub href: Option<String>,
    /// Hidden by the small-count rule (said in words for screen readers).
    pub suppressed: bool,
}

/// One row: its heading, cells and total.
#[derive(Debug, Clone)]
pub struct RowView {
    pub label: String,
    pub href: Option<String>,
    pub cells: Vec<CellView>,
    pub total: Option<CellView>,
}

/// A table ready for the template.
#[derive(Debug, Clone)]
pub struct TableView {
    pub key: String,
    pub title: String,
    /// The chart, drawn by the server (`vigie_export::svg`), already escaped.
    pub svg: Option<String>,
    pub row_head: String,
    pub columns: Vec<String>,
    pub has_row_totals: bool,
    pub rows: Vec<RowView>,
    pub foot: Option<RowView>,
    pub note: Option<String>,
    pub has_suppressed: bool,
}

/// What links need: the period's month buckets and the filters in force.
#[derive(Debug, Clone)]
pub struct Links<'a> {
    /// `None`: no link at all (an aggregates-only viewer).
    pub enabled: bool,
    pub months: &'a [Bucket],
    pub period: vigie_domain::stats::Period,
    pub territory_id: Option<i64>,
    pub type_id: Option<i64>,
    pub tz: chrono_tz::Tz,
}

impl Links<'_> {
    /// Adds to `q` the list filter of `code` on dimension `dim`; `None` when the list has
    /// no such filter.
    fn filter(&self, q: &mut Query, dim: Dimension, code: &str) -> Option<()> {
        let id = |name: &'static str, q: &mut Query| {
            (!code.is_empty()).then(|| q.set(name, code.to_owned()))
        };
        match dim {
            Dimension::Mois => {
                let b = self.months.get(code.parse::<usize>().ok()?)?;
                q.set(
                    "du",
                    b.from.with_timezone(&self.tz).date_naive().to_string(),
                );
                q.set(
                    "au",
                    b.to.with_timezone(&self.tz)
                        .date_naive()
                        .pred_opt()?
                        .to_string(),
                );
                Some(())
            }
            Dimension::Territoire => id("territoire", q),
            Dimension::Type => id("type", q),
            Dimension::Statut => id("statut", q),
            Dimension::Support => id("support", q),
            Dimension::Motif => id("motif", q),
            Dimension::Conclusion => id("conclusion", q),
            Dimension::Service => id("service", q),
            Dimension::CategorieSignalant => {
                q.set(
                    "categorie",
                    if code.is_empty() {
                        "aucune".into()
                    } else {
                        code.to_owned()
                    },
                );
                Some(())
            }
            _ => None,
        }
    }

    /// The dossier list a figure counts (dates as the list's date inputs send them,
    /// AAAA-MM-JJ): the period and filters in force, the row's item
    /// and, for a cell, the column's; `None` where the list has no such filter (the
    /// viewer who may not read dossiers gets no link at all). Overdue evaluations by
    /// service go to the Échéances page of that service.
    fn href(&self, t: &Table, row: &str, column: Option<&str>) -> Option<String> {
        if !self.enabled {
            return None;
        }
        if t.key == "retards" {
            return Some(format!("/echeances?service={row}"));
        }
        let mut q = Query::default();
        q.set("du", self.period.from.to_string());
        q.set("au", self.period.last_day().to_string());
        if let Some(t) = self.territory_id {
            q.set("territoire", t.to_string());
        }
        if let Some(t) = self.type_id {
            q.set("type", t.to_string());
        }
        self.filter(&mut q, Dimension::parse(&t.rows.code)?, row)?;
        if let Some(c) = column {
            self.filter(&mut q, Dimension::parse(&t.columns.code)?, c)?;
        }
        Some(format!("/dossiers?{}", q.encode()))
    }
}

/// A query string whose later values replace earlier ones.
#[derive(Debug, Default)]
struct Query(Vec<(&'static str, String)>);

impl Query {
    fn set(&mut self, k: &'static str, v: String) {
        self.0.retain(|(x, _)| *x != k);
        self.0.push((k, v));
    }

    fn encode(&self) -> String {
        serde_urlencoded::to_string(&self.0).unwrap_or_default()
    }
}

fn cell(v: &Value, href: Option<String>) -> CellView {
    CellView {
        text: v.display(),
        href: match v {
            Value::Count(n) if *n > 0 => href,
            _ => None,
        },
        suppressed: matches!(v, Value::Suppressed),
    }
}

/// The view of a table.
pub fn view(t: &Table, links: &Links<'_>) -> TableView {
    let svg = vigie_export::svg::chart_svg(t, &format!("graphique-{}", t.key));
    let one_column = t.columns.items.len() == 1;
    let rows = t
        .rows
        .items
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let href = links.href(t, &r.code, None);
            RowView {
                label: r.label.clone(),
                href: if one_column { None } else { href.clone() },
                cells: t
                    .cells
                    .get(i)
                    .map(|row| {
                        row.iter()
                            .zip(&t.columns.items)
                            .map(|(v, c)| {
                                let h = if one_column {
                                    href.clone()
                                } else {
                                    links.href(t, &r.code, Some(&c.code))
                                };
                                cell(v, h)
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                total: t
                    .row_totals
                    .as_ref()
                    .and_then(|rt| rt.get(i))
                    .map(|v| cell(v, href.clone())),
            }
        })
        .collect();
    let foot = t.column_totals.as_ref().map(|ct| RowView {
        label: "Total".into(),
        href: None,
        cells: ct.iter().map(|v| cell(v, None)).collect(),
        total: t.total.as_ref().map(|v| cell(v, None)),
    });
    let has_suppressed = t
        .cells
        .iter()
        .flatten()
        .any(|v| matches!(v, Value::Suppressed))
        || t.row_totals
            .iter()
            .flatten()
            .any(|v| matches!(v, Value::Suppressed))
        || t.column_totals
            .iter()
            .flatten()
            .any(|v| matches!(v, Value::Suppressed))
        || matches!(t.total, Some(Value::Suppressed));
    TableView {
        key: t.key.clone(),
        title: t.title.clone(),
        svg,
        row_head: t.rows.label.clone(),
        columns: t.columns.items.iter().map(|c| c.label.clone()).collect(),
        has_row_totals: t.row_totals.is_some(),
        rows,
        foot,
        note: t.note.clone(),
        has_suppressed,
    }
}
