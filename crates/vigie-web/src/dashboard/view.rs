//! A statistics table as the page shows it: the SVG chart, then the data table (the
//! chart's text alternative), each figure linked to the dossier list it counts when the
//! viewer may read dossiers.

use vigie_domain::stats::{Bucket, Dimension, Table, Value};

use crate::shared::dates::date;

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
    /// The dossier list (or échéances) a row of a table counts, where the list has the
    /// filter: territory, type, status, month of reception; overdue evaluations by
    /// service go to the Échéances page.
    fn row(&self, t: &Table, code: &str) -> Option<String> {
        if !self.enabled {
            return None;
        }
        if t.key == "retards" {
            return Some(format!("/echeances?service={code}"));
        }
        let dim = Dimension::parse(&t.rows.code)?;
        let (mut from, mut to) = (self.period.from, self.period.last_day());
        let mut territory = self.territory_id.map(|t| t.to_string());
        let mut type_ = self.type_id.map(|t| t.to_string());
        let mut status = None;
        match dim {
            Dimension::Mois => {
                let b = self.months.get(code.parse::<usize>().ok()?)?;
                from = b.from.with_timezone(&self.tz).date_naive();
                to = (b.to.with_timezone(&self.tz).date_naive()).pred_opt()?;
            }
            Dimension::Territoire if !code.is_empty() => territory = Some(code.to_owned()),
            Dimension::Type if !code.is_empty() => type_ = Some(code.to_owned()),
            Dimension::Statut => status = Some(code.to_owned()),
            _ => return None,
        }
        let mut q: Vec<(&str, String)> = vec![("du", date(from)), ("au", date(to))];
        if let Some(t) = territory {
            q.push(("territoire", t));
        }
        if let Some(t) = type_ {
            q.push(("type", t));
        }
        if let Some(s) = status {
            q.push(("statut", s));
        }
        Some(format!(
            "/dossiers?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        ))
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
    let rows = t
        .rows
        .items
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let href = links.row(t, &r.code);
            let one_column = t.columns.items.len() == 1;
            RowView {
                label: r.label.clone(),
                href: if one_column { None } else { href.clone() },
                cells: t
                    .cells
                    .get(i)
                    .map(|row| {
                        row.iter()
                            .map(|v| cell(v, one_column.then(|| href.clone()).flatten()))
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
