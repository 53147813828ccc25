//! Building tables from counts: the items of each dimension in the catalog's order and
//! labels, the cells, and the margins (counted, not summed: a dossier with two motifs
//! counts once in the total).

use std::collections::HashMap;

use super::dimension::{AGE_BANDS, Dimension, Measure};
use super::period::Bucket;
use super::table::{Axis, ChartKind, Label, Table, Value};
use crate::catalog::Catalog;
use crate::param::ParamKind;
use crate::{DossierStatus, Sex};

/// Counts by key, one code per grouped dimension (`""`: not filled in); see the store's
/// `stats_count`.
pub type Counts = HashMap<Vec<String>, u64>;

/// The code of the « Non renseigné » item.
pub const NOT_FILLED: &str = "";

fn params(cat: &Catalog, kind: ParamKind, seen: &dyn Fn(&str) -> bool) -> Vec<Label> {
    let mut v: Vec<_> = cat
        .of_kind(kind)
        .filter(|p| p.active || seen(&p.id.to_string()))
        .collect();
    v.sort_by_key(|p| (p.sort_order, p.id));
    v.into_iter()
        .map(|p| Label::new(p.id.to_string(), p.label.clone()))
        .collect()
}

/// The items of a dimension: every active value of its table (in its order) and every
/// value that has figures, then « Non renseigné » when some have none. Time dimensions
/// take their buckets (codes are their indexes, as the store groups them).
pub fn items(
    dim: Dimension,
    cat: &Catalog,
    buckets: &[Bucket],
    seen: &dyn Fn(&str) -> bool,
) -> Vec<Label> {
    let mut v = match dim {
        Dimension::Mois | Dimension::Trimestre | Dimension::Annee => buckets
            .iter()
            .enumerate()
            .map(|(i, b)| Label::new(i.to_string(), b.label.label.clone()))
            .collect(),
        Dimension::Territoire => cat
            .territories
            .iter()
            .filter(|t| t.active || seen(&t.id.to_string()))
            .map(|t| Label::new(t.id.to_string(), t.label.clone()))
            .collect(),
        Dimension::Service => cat
            .services
            .iter()
            .filter(|s| s.active || seen(&s.id.to_string()))
            .map(|s| Label::new(s.id.to_string(), s.label.clone()))
            .collect(),
        Dimension::CategorieSignalant => params(cat, ParamKind::SourceCategory, seen),
        Dimension::Support => params(cat, ParamKind::Channel, seen),
        Dimension::Type => params(cat, ParamKind::DossierType, seen),
        Dimension::Motif => params(cat, ParamKind::Motif, seen),
        Dimension::Conclusion => params(cat, ParamKind::Conclusion, seen),
        Dimension::ResultatEvaluation => params(cat, ParamKind::EvaluationResult, seen),
        Dimension::TrancheAge => AGE_BANDS.iter().map(|(c, l)| Label::new(*c, *l)).collect(),
        Dimension::Sexe => [Sex::Female, Sex::Male, Sex::Unknown]
            .into_iter()
            .map(|s| Label::new(s.code(), s.label()))
            .collect(),
        Dimension::Statut => DossierStatus::ALL
            .into_iter()
            .map(|s| Label::new(s.code(), cat.status_label(s)))
            .collect(),
    };
    if !dim.is_time() && seen(NOT_FILLED) {
        v.push(Label::new(NOT_FILLED, "Non renseigné"));
    }
    v
}

/// The figures of one cross-tab: the cells, each margin and the total, as counted.
#[derive(Debug, Clone, Default)]
pub struct CrossCounts {
    /// Keyed `[row, column]` (or `[row]` without columns).
    pub cells: Counts,
    /// Keyed `[row]`; empty without columns.
    pub rows: Counts,
    /// Keyed `[column]`.
    pub columns: Counts,
    pub total: u64,
}

/// What a cross-tab shows.
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    pub key: &'a str,
    pub title: String,
    pub measure: Measure,
    pub rows: Dimension,
    pub columns: Option<Dimension>,
}

fn axis(dim: Dimension, items: Vec<Label>) -> Axis {
    Axis {
        code: dim.code().to_owned(),
        label: dim.label().to_owned(),
        items,
    }
}

fn get(c: &Counts, key: &[&str]) -> Value {
    let k: Vec<String> = key.iter().map(|s| (*s).to_owned()).collect();
    Value::Count(c.get(&k).copied().unwrap_or(0))
}

/// The table of a cross-tab.
pub fn crosstab(spec: &Spec<'_>, cat: &Catalog, buckets: &[Bucket], n: &CrossCounts) -> Table {
    let seen_at = |pos: usize| {
        move |code: &str| {
            n.cells
                .iter()
                .any(|(k, v)| *v > 0 && k.get(pos).map(String::as_str) == Some(code))
        }
    };
    let rows = items(spec.rows, cat, buckets, &seen_at(0));
    let chart = if spec.rows.is_time() {
        ChartKind::Columns
    } else {
        ChartKind::Bars
    };
    let multi = |d: Dimension| d.multi_valued(spec.measure);
    let mut notes = Vec::new();
    if multi(spec.rows) || spec.columns.is_some_and(multi) {
        notes.push(format!(
            "{} peut compter dans plusieurs lignes ou colonnes : les totaux comptent chacun une fois.",
            match spec.measure {
                Measure::Dossiers => "Un dossier",
                Measure::Enfants => "Un enfant",
                Measure::Evaluations => "Une évaluation",
            }
        ));
    }
    let total = Value::Count(n.total);
    let table = match spec.columns {
        None => Table {
            key: spec.key.to_owned(),
            title: spec.title.clone(),
            measure: spec.measure.label().to_owned(),
            cells: rows
                .iter()
                .map(|r| vec![get(&n.cells, &[&r.code])])
                .collect(),
            rows: axis(spec.rows, rows),
            columns: Axis {
                code: spec.measure.code().to_owned(),
                label: spec.measure.label().to_owned(),
                items: vec![Label::new(spec.measure.code(), spec.measure.label())],
            },
            row_totals: None,
            column_totals: Some(vec![total]),
            total: None,
            chart,
            note: None,
        },
        Some(cd) => {
            let cols = items(cd, cat, buckets, &seen_at(1));
            Table {
                key: spec.key.to_owned(),
                title: spec.title.clone(),
                measure: spec.measure.label().to_owned(),
                cells: rows
                    .iter()
                    .map(|r| {
                        cols.iter()
                            .map(|c| get(&n.cells, &[&r.code, &c.code]))
                            .collect()
                    })
                    .collect(),
                row_totals: Some(rows.iter().map(|r| get(&n.rows, &[&r.code])).collect()),
                column_totals: Some(cols.iter().map(|c| get(&n.columns, &[&c.code])).collect()),
                total: Some(total),
                rows: axis(spec.rows, rows),
                columns: axis(cd, cols),
                chart,
                note: None,
            }
        }
    };
    Table {
        note: (!notes.is_empty()).then(|| notes.join(" ")),
        ..table
    }
}

/// A table of one column per measure over the same rows (e.g. dossiers and children per
/// month): `columns[i]` gives the counts keyed `[row]` and the total of measure `i`.
pub fn measures_table(
    key: &str,
    title: &str,
    dim: Dimension,
    cat: &Catalog,
    buckets: &[Bucket],
    columns: &[(Measure, &Counts, u64)],
) -> Table {
    let seen = |code: &str| {
        columns
            .iter()
            .any(|(_, c, _)| c.get(&vec![code.to_owned()]).is_some_and(|v| *v > 0))
    };
    let rows = items(dim, cat, buckets, &seen);
    Table {
        key: key.to_owned(),
        title: title.to_owned(),
        measure: columns
            .first()
            .map(|(m, _, _)| m.label().to_owned())
            .unwrap_or_default(),
        cells: rows
            .iter()
            .map(|r| columns.iter().map(|(_, c, _)| get(c, &[&r.code])).collect())
            .collect(),
        rows: axis(dim, rows),
        columns: Axis {
            code: "mesure".into(),
            label: "Mesure".into(),
            items: columns
                .iter()
                .map(|(m, _, _)| Label::new(m.code(), m.label()))
                .collect(),
        },
        row_totals: None,
        column_totals: Some(columns.iter().map(|(_, _, t)| Value::Count(*t)).collect()),
        total: None,
        chart: if dim.is_time() {
            ChartKind::Columns
        } else {
            ChartKind::Bars
        },
        note: None,
    }
}

/// Prepares a cross-tab for an aggregates-only reader: the margins along a multi-valued
/// dimension count distinct dossiers (a dossier with two motifs counts once), so they are
/// not sums and would bound the hidden cells (« < 5 » twice in a row whose distinct total
/// is 8 can only be 4 and 4): they are dropped, with the grand total, before the small-count
/// suppression, which then sees only additive margins.
pub fn aggregates_only(t: &mut Table, rows_multi: bool, columns_multi: bool) {
    if columns_multi {
        t.row_totals = None;
    }
    if rows_multi {
        t.column_totals = None;
    }
    if rows_multi || columns_multi {
        t.total = None;
        t.note = Some(
            "Les totaux ne sont pas affichés : un même dossier peut compter dans plusieurs lignes ou colonnes, et ses totaux permettraient de recalculer des effectifs masqués.".into(),
        );
    }
    super::suppress(t);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(v: u64) -> Value {
        Value::Count(v)
    }

    #[test]
    fn distinct_margins_are_dropped_before_suppression() {
        // Dossiers by territory × sex: a dossier with a girl and a boy counts in both columns,
        // so Nord's distinct total 6 would bound its two hidden cells (3 + 4 ≥ 6).
        let mut t = Table {
            key: "t".into(),
            title: "t".into(),
            measure: "Dossiers".into(),
            rows: Axis {
                code: "territoire".into(),
                label: "Territoire".into(),
                items: vec![Label::new("1", "Nord"), Label::new("2", "Sud")],
            },
            columns: Axis {
                code: "sexe".into(),
                label: "Sexe".into(),
                items: vec![Label::new("F", "F"), Label::new("M", "M")],
            },
            cells: vec![vec![count(3), count(4)], vec![count(10), count(12)]],
            row_totals: Some(vec![count(6), count(20)]),
            column_totals: Some(vec![count(13), count(16)]),
            total: Some(count(25)),
            chart: ChartKind::Bars,
            note: None,
        };
        aggregates_only(&mut t, false, true);
        assert_eq!(
            t.row_totals, None,
            "distinct totals along the columns dropped"
        );
        assert_eq!(t.total, None);
        // The column totals are sums over territories: kept, and the small cells hidden
        // with enough others that none can be recomputed.
        assert!(t.column_totals.is_some());
        assert_eq!(t.cells[0], vec![Value::Suppressed, Value::Suppressed]);
        for c in 0..2 {
            let hidden = t.cells.iter().filter(|r| r[c] == Value::Suppressed).count();
            let total_hidden = t.column_totals.as_ref().unwrap()[c] == Value::Suppressed;
            assert!(
                hidden != 1 || total_hidden,
                "column {c} recomputable: {:?}",
                t.cells
            );
        }
        assert!(
            t.note
                .as_deref()
                .unwrap()
                .contains("plusieurs lignes ou colonnes")
        );
    }
}
