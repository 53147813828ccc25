//! What both writers share: a value as a spreadsheet cell, the headings with their unit,
//! and the test that keeps a text from being taken for a formula.

use std::borrow::Cow;

use vigie_domain::stats::{Table, Value};

/// The label of the margins (last column, last row).
pub(crate) const TOTAL: &str = "Total";

/// What a hidden count is written as, in both files (the screen shows the same).
pub(crate) const SUPPRESSED: &str = "< 5";

/// A value as a spreadsheet cell. Decimals are rounded to one place, as the screen
/// shows them; a value that is not a finite number (a bug upstream) is left empty
/// rather than written as `NaN`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cell {
    /// A count: a whole number.
    Integer(u64),
    /// Days or a rate, one decimal.
    Decimal(f64),
    /// A share 0–100 (not 0–1), one decimal.
    Percent(f64),
    /// « < 5 ».
    Suppressed,
    /// Nothing.
    Empty,
}

impl Cell {
    pub(crate) fn of(value: Value) -> Self {
        match value {
            Value::Count(n) => Self::Integer(n),
            Value::Days(v) | Value::Rate(v) => one_decimal(v).map_or(Self::Empty, Self::Decimal),
            Value::Percent(v) => one_decimal(v).map_or(Self::Empty, Self::Percent),
            Value::Suppressed => Self::Suppressed,
            Value::Empty => Self::Empty,
        }
    }
}

/// `v` rounded to one decimal place, `None` when it is not a finite number.
fn one_decimal(v: f64) -> Option<f64> {
    let r = (v * 10.0).round() / 10.0;
    // `+ 0.0` turns a negative zero into zero, so that it is never written `-0`.
    r.is_finite().then_some(r + 0.0)
}

/// A rounded number with a decimal comma and no thousands separator (`12,5`, `3`), the
/// way a French spreadsheet reads a number from a CSV file.
pub(crate) fn french_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}").replace('.', ",")
    }
}

/// Whether a spreadsheet could take this text for a formula: it starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return (OWASP's list for CSV injection), possibly after
/// spaces (LibreOffice's « trim spaces » import option would drop them).
pub(crate) fn is_formula_like(text: &str) -> bool {
    text.trim_start_matches(' ')
        .starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A text made safe for a CSV cell: a formula-like text gets a leading single quote, so
/// that Excel and LibreOffice show it as text and never evaluate it.
pub(crate) fn neutralised(text: &str) -> Cow<'_, str> {
    if is_formula_like(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The unit said after a heading when every figure under it has one: « (%) » for shares,
/// « (jours) » for durations, nothing otherwise (counts, rates, mixed or no figures).
pub(crate) fn unit_suffix(values: impl IntoIterator<Item = Value>) -> &'static str {
    let mut unit = None;
    for value in values {
        let this = match value {
            Value::Percent(_) => " (%)",
            Value::Days(_) => " (jours)",
            Value::Suppressed | Value::Empty => continue,
            Value::Count(_) | Value::Rate(_) => return "",
        };
        match unit {
            None => unit = Some(this),
            Some(u) if u == this => {}
            Some(_) => return "",
        }
    }
    unit.unwrap_or("")
}

/// The heading of column `c`: its label and, when all its figures share one, their unit.
pub(crate) fn column_heading(table: &Table, c: usize) -> String {
    let label = table.columns.items.get(c).map_or("", |l| l.label.as_str());
    let values = (0..table.rows.items.len()).map(|r| table.get(r, c));
    let total = table.column_totals.as_ref().and_then(|t| t.get(c).copied());
    format!("{label}{}", unit_suffix(values.chain(total)))
}

/// The heading of the row totals' column: « Total » and the unit of its figures.
pub(crate) fn total_heading(table: &Table) -> String {
    let values = table.row_totals.iter().flatten().copied();
    format!("{TOTAL}{}", unit_suffix(values.chain(table.total)))
}

/// The row total of row `r` (`Empty` when the table has none for it).
pub(crate) fn row_total(table: &Table, r: usize) -> Value {
    table
        .row_totals
        .as_ref()
        .and_then(|t| t.get(r).copied())
        .unwrap_or(Value::Empty)
}

/// The column total of column `c` (`Empty` when the table has none for it).
pub(crate) fn column_total(table: &Table, c: usize) -> Value {
    table
        .column_totals
        .as_ref()
        .and_then(|t| t.get(c).copied())
        .unwrap_or(Value::Empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_to_one_decimal() {
        assert_eq!(Cell::of(Value::Days(12.25)), Cell::Decimal(12.3));
        assert_eq!(Cell::of(Value::Percent(33.333)), Cell::Percent(33.3));
        assert_eq!(Cell::of(Value::Rate(f64::NAN)), Cell::Empty);
        assert_eq!(french_number(12.5), "12,5");
        assert_eq!(french_number(3.0), "3");
        assert_eq!(french_number(12345.0), "12345");
        assert_eq!(french_number(one_decimal(-0.01).unwrap_or(1.0)), "0");
    }

    #[test]
    fn formula_like_texts() {
        for text in ["=1+1", "+33 6", "-1", "@SUM(A1)", "\tx", "\rx", "  =1"] {
            assert!(is_formula_like(text), "{text:?}");
            assert_eq!(neutralised(text), format!("'{text}"));
        }
        for text in ["Nord", "< 5", "", "Total", "1er trimestre", "— aucun"] {
            assert!(!is_formula_like(text), "{text:?}");
            assert_eq!(neutralised(text), text);
        }
    }

    #[test]
    fn units() {
        let p = Value::Percent(1.0);
        let d = Value::Days(1.0);
        assert_eq!(unit_suffix([p, Value::Suppressed, p]), " (%)");
        assert_eq!(unit_suffix([d, Value::Empty]), " (jours)");
        assert_eq!(unit_suffix([p, d]), "");
        assert_eq!(unit_suffix([Value::Count(3), p]), "");
        assert_eq!(unit_suffix([Value::Suppressed]), "");
    }
}
