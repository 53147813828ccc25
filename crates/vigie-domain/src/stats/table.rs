//! One table of figures: rows × columns of values, with optional margins.

use serde::{Deserialize, Serialize};

/// A row or column heading: a stable code (used in links and exports) and its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Label {
    pub code: String,
    pub label: String,
}

impl Label {
    pub fn new(code: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            label: label.into(),
        }
    }
}

/// One value of a table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Value {
    /// A count (dossiers, children, assignments).
    Count(u64),
    /// A duration in days (a median, a percentile).
    Days(f64),
    /// A share, 0–100.
    Percent(f64),
    /// A rate (per 1,000 minors).
    Rate(f64),
    /// Hidden: a count from 1 to 4, or a value that would let one be recomputed
    /// (shown « < 5 »).
    Suppressed,
    /// Nothing to compute (no dossier in the group).
    Empty,
}

impl Value {
    /// The text shown in a table cell and written to a CSV export, French style
    /// (`12,5`, `< 5`, `—`).
    pub fn display(&self) -> String {
        match self {
            Self::Count(n) => group_thousands(*n),
            Self::Days(d) => format!("{} j", french_decimal(*d)),
            Self::Percent(p) => format!("{} %", french_decimal(*p)),
            Self::Rate(r) => french_decimal(*r),
            Self::Suppressed => "< 5".to_owned(),
            Self::Empty => "—".to_owned(),
        }
    }

    /// The number behind the value, for a chart or a spreadsheet cell.
    pub fn number(&self) -> Option<f64> {
        match self {
            Self::Count(n) => Some(*n as f64),
            Self::Days(v) | Self::Percent(v) | Self::Rate(v) => Some(*v),
            Self::Suppressed | Self::Empty => None,
        }
    }
}

/// `12 345` with a narrow no-break space, as French typography groups digits.
pub fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// One decimal at most, with a decimal comma: `12,5`, `3`.
pub fn french_decimal(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}").replace('.', ",")
    }
}

/// How a table is best drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// Vertical bars along time (months, quarters, years): one series per column.
    Columns,
    /// Horizontal bars, one per row (categories): one series per column.
    Bars,
    /// No chart (a table of delays with several measures, say).
    None,
}

/// What the rows or the columns of a table are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Axis {
    /// The dimension's code (`mois`, `territoire`…), used by links to the dossier list.
    pub code: String,
    /// Its French name (« Mois », « Territoire »).
    pub label: String,
    pub items: Vec<Label>,
}

/// A table: `cells[r][c]` for row `r` and column `c`, with optional margins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Table {
    /// A stable identifier (`ip_par_mois`): the anchor on the page, the sheet name in an
    /// export, the key in the API.
    pub key: String,
    /// French title.
    pub title: String,
    /// What is counted or measured, in French (« Dossiers », « Délai médian »).
    pub measure: String,
    pub rows: Axis,
    pub columns: Axis,
    pub cells: Vec<Vec<Value>>,
    /// One total per row (the right margin), when the columns add up.
    pub row_totals: Option<Vec<Value>>,
    /// One total per column (the bottom margin), when the rows add up.
    pub column_totals: Option<Vec<Value>>,
    /// The grand total, when both margins exist.
    pub total: Option<Value>,
    pub chart: ChartKind,
    /// A note under the table (how it is computed, what « < 5 » means).
    pub note: Option<String>,
}

impl Table {
    /// The value at row `r`, column `c`.
    pub fn get(&self, r: usize, c: usize) -> Value {
        self.cells
            .get(r)
            .and_then(|row| row.get(c))
            .copied()
            .unwrap_or(Value::Empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_display() {
        assert_eq!(Value::Count(12345).display(), "12\u{202f}345");
        assert_eq!(Value::Count(999).display(), "999");
        assert_eq!(Value::Days(12.25).display(), "12,3 j");
        assert_eq!(Value::Percent(80.0).display(), "80 %");
        assert_eq!(Value::Suppressed.display(), "< 5");
        assert_eq!(Value::Empty.number(), None);
    }
}
