//! Delays from reception (median and 90th percentile) and the share of evaluations
//! returned within the legal deadline (three months, shorter for a child under two: CASF
//! D226-2-4), computed from one row of facts per dossier.

use chrono::{DateTime, NaiveDate, Utc};

use super::table::{Axis, ChartKind, Label, Table, Value};
use crate::BirthDate;
use crate::deadline::evaluation_due_for;

/// What the delays of one dossier are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelayFacts {
    pub received_at: DateTime<Utc>,
    /// The local date of reception (the legal deadline counts from it).
    pub received_on: NaiveDate,
    pub qualified_at: Option<DateTime<Utc>>,
    /// When concluded (only for a dossier concluded or closed now).
    pub concluded_at: Option<DateTime<Utc>>,
    /// The evaluation's return: the last return once every evaluation asked is returned.
    pub returned_on: Option<NaiveDate>,
    /// The youngest child's birth date (or expected term).
    pub youngest_birth: Option<NaiveDate>,
}

/// The `p`-th percentile (0–100) of sorted values, interpolated between the closest
/// ranks (as a spreadsheet's PERCENTILE.INC); `None` when empty.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = p / 100.0 * last as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let (a, b) = (*sorted.get(lo)?, *sorted.get(hi)?);
    Some(a + (b - a) * (rank - lo as f64))
}

fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds().max(0) as f64 / 86_400.0
}

/// The figures of the delays over a set of dossiers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delays {
    /// (name, delays in days, sorted) for qualification, evaluation returned, conclusion.
    pub series: Vec<(&'static str, Vec<f64>)>,
    /// Evaluations returned within / after the legal deadline.
    pub within: u64,
    pub late: u64,
}

impl Delays {
    pub fn of(rows: &[DelayFacts], under_two_months: Option<u32>) -> Self {
        let mut qual = Vec::new();
        let mut ret = Vec::new();
        let mut concl = Vec::new();
        let (mut within, mut late) = (0, 0);
        for r in rows {
            if let Some(q) = r.qualified_at {
                qual.push(days(r.received_at, q));
            }
            if let Some(c) = r.concluded_at {
                concl.push(days(r.received_at, c));
            }
            if let Some(d) = r.returned_on {
                ret.push((d - r.received_on).num_days().max(0) as f64);
                let births: Vec<BirthDate> =
                    r.youngest_birth.map(BirthDate::Exact).into_iter().collect();
                if d <= evaluation_due_for(r.received_on, &births, under_two_months) {
                    within += 1;
                } else {
                    late += 1;
                }
            }
        }
        for v in [&mut qual, &mut ret, &mut concl] {
            v.sort_by(f64::total_cmp);
        }
        Self {
            series: vec![
                ("Réception → qualification", qual),
                ("Réception → retour de l'évaluation", ret),
                ("Réception → conclusion", concl),
            ],
            within,
            late,
        }
    }

    /// The share returned within the deadline, in %.
    pub fn share_within(&self) -> Option<f64> {
        let n = self.within + self.late;
        (n > 0).then(|| self.within as f64 * 100.0 / n as f64)
    }

    /// The median delay to conclusion.
    pub fn median_conclusion(&self) -> Option<f64> {
        self.series.get(2).and_then(|(_, v)| percentile(v, 50.0))
    }

    /// The delays table: per delay, the number of dossiers, the median and the 90th
    /// percentile. For an aggregates-only reader, a delay measured on 1 to 4 dossiers is
    /// hidden whole.
    pub fn table(&self, aggregates_only: bool) -> Table {
        let cells = self
            .series
            .iter()
            .map(|(_, v)| {
                let n = v.len() as u64;
                if aggregates_only && (1..=4).contains(&n) {
                    return vec![Value::Suppressed; 3];
                }
                let d = |p| percentile(v, p).map_or(Value::Empty, Value::Days);
                vec![Value::Count(n), d(50.0), d(90.0)]
            })
            .collect();
        Table {
            key: "delais".into(),
            title: "Délais depuis la réception".into(),
            measure: "Jours".into(),
            rows: Axis {
                code: "delai".into(),
                label: "Délai".into(),
                items: self
                    .series
                    .iter()
                    .enumerate()
                    .map(|(i, (l, _))| Label::new(i.to_string(), *l))
                    .collect(),
            },
            columns: Axis {
                code: "mesure".into(),
                label: "Mesure".into(),
                items: vec![
                    Label::new("n", "Dossiers"),
                    Label::new("mediane", "Médiane"),
                    Label::new("p90", "90e centile"),
                ],
            },
            cells,
            row_totals: None,
            column_totals: None,
            total: None,
            chart: ChartKind::None,
            note: Some("Délais en jours calendaires ; la qualification et la conclusion comptent depuis l'heure de réception, le retour d'évaluation depuis sa date. La conclusion ne compte que les dossiers conclus ou clôturés aujourd'hui.".into()),
        }
    }

    /// The table of evaluations returned within and after the legal deadline.
    pub fn deadline_table(&self) -> Table {
        Table {
            key: "delai_legal".into(),
            title: "Évaluations retournées dans le délai légal".into(),
            measure: "Dossiers".into(),
            rows: Axis {
                code: "delai_legal".into(),
                label: "Retour".into(),
                items: vec![
                    Label::new("dans_le_delai", "Dans le délai légal"),
                    Label::new("hors_delai", "Après le délai légal"),
                ],
            },
            columns: Axis {
                code: "mesure".into(),
                label: "Mesure".into(),
                items: vec![Label::new("dossiers", "Dossiers")],
            },
            cells: vec![vec![Value::Count(self.within)], vec![Value::Count(self.late)]],
            row_totals: None,
            column_totals: Some(vec![Value::Count(self.within + self.late)]),
            total: None,
            chart: ChartKind::Bars,
            note: Some("Délai légal : trois mois après la réception, ou le délai plus court fixé par le département quand un enfant a moins de deux ans (CASF D226-2-4) ; une évaluation est retournée quand toutes celles demandées le sont.".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 50.0), Some(2.5));
        assert_eq!(percentile(&[5.0], 90.0), Some(5.0));
        assert_eq!(percentile(&[], 50.0), None);
        let p90 = percentile(&v, 90.0).unwrap();
        assert!((p90 - 3.7).abs() < 1e-9);
    }
}
