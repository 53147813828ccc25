//! Delays from reception (median and 90th percentile) and the share of evaluations
//! returned within the legal deadline (three months, shorter for a child under two: CASF
//! D226-2-4), computed from one row of facts per dossier or from the counters kept by the
//! store (the same keys, summed: [`DelayCounts`]).
//!
//! Delays are whole calendar days in the configured time zone, from the local date of
//! reception to the local date of the qualification, of the evaluation's return and of the
//! conclusion: counts of days can be summed, so the store keeps them per month exactly.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};

use super::table::{Axis, ChartKind, Label, Table, Value};
use crate::deadline::age_on;

/// What the delays of one dossier are computed from (local dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelayFacts {
    /// The local date of reception (the legal deadline counts from it).
    pub received_on: NaiveDate,
    pub qualified_on: Option<NaiveDate>,
    /// When concluded (only for a dossier concluded or closed now).
    pub concluded_on: Option<NaiveDate>,
    /// The evaluation's return: the last return once every evaluation asked is returned.
    pub returned_on: Option<NaiveDate>,
    /// The youngest child's birth date (or expected term).
    pub youngest_birth: Option<NaiveDate>,
}

/// How an evaluation's return stands against the deadline, whatever the département's
/// setting for children under two: the whole months after reception it needed (0 to 3;
/// 4 for more than three) and whether a child was under two at reception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeadlineKey {
    pub months: u32,
    pub young: bool,
}

impl DeadlineKey {
    /// The key of an evaluation returned on `returned` for a dossier received on
    /// `received` whose youngest child was born on `youngest`.
    pub fn of(received: NaiveDate, returned: NaiveDate, youngest: Option<NaiveDate>) -> Self {
        let months = (0..=3)
            .find(|m| {
                received
                    .checked_add_months(Months::new(*m))
                    .is_some_and(|due| returned <= due)
            })
            .unwrap_or(4);
        let young = youngest.is_some_and(|b| age_on(b, received) < 2);
        Self { months, young }
    }

    /// Returned within the legal deadline: three months, or the shorter `under_two_months`
    /// when a child was under two (`crate::deadline::evaluation_due_for`).
    pub fn within(self, under_two_months: Option<u32>) -> bool {
        let limit = match (self.young, under_two_months) {
            (true, Some(m)) => m.min(crate::deadline::EVALUATION_MONTHS),
            _ => crate::deadline::EVALUATION_MONTHS,
        };
        self.months <= limit
    }

    /// The key as the store writes it (`3` then `j` for young: `3j`).
    pub fn code(self) -> String {
        format!("{}{}", self.months, if self.young { "j" } else { "" })
    }

    pub fn parse(code: &str) -> Option<Self> {
        let (m, young) = match code.strip_suffix('j') {
            Some(m) => (m, true),
            None => (code, false),
        };
        Some(Self {
            months: m.parse().ok()?,
            young,
        })
    }
}

/// One dossier's delays in whole days (none when the step is not reached).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelayKeys {
    pub qualification: Option<i64>,
    pub returned: Option<i64>,
    pub conclusion: Option<i64>,
    pub deadline: Option<DeadlineKey>,
}

fn days(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days().max(0)
}

impl DelayFacts {
    pub fn keys(&self) -> DelayKeys {
        let r = self.received_on;
        DelayKeys {
            qualification: self.qualified_on.map(|d| days(r, d)),
            returned: self.returned_on.map(|d| days(r, d)),
            conclusion: self.concluded_on.map(|d| days(r, d)),
            deadline: self
                .returned_on
                .map(|d| DeadlineKey::of(r, d, self.youngest_birth)),
        }
    }
}

/// The delays of a set of dossiers as counts: dossiers per number of days, per step, and
/// per deadline key. Sums of counts: what the store's counters hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DelayCounts {
    pub qualification: BTreeMap<i64, u64>,
    pub returned: BTreeMap<i64, u64>,
    pub conclusion: BTreeMap<i64, u64>,
    pub deadline: BTreeMap<DeadlineKey, u64>,
}

impl DelayCounts {
    pub fn add(&mut self, k: &DelayKeys, n: u64) {
        for (map, v) in [
            (&mut self.qualification, k.qualification),
            (&mut self.returned, k.returned),
            (&mut self.conclusion, k.conclusion),
        ] {
            if let Some(v) = v {
                *map.entry(v).or_default() += n;
            }
        }
        if let Some(d) = k.deadline {
            *self.deadline.entry(d).or_default() += n;
        }
    }

    /// The figures, with the département's setting for children under two.
    pub fn delays(&self, under_two_months: Option<u32>) -> Delays {
        let expand = |m: &BTreeMap<i64, u64>| -> Vec<f64> {
            m.iter()
                .flat_map(|(d, n)| std::iter::repeat_n(*d as f64, usize::try_from(*n).unwrap_or(0)))
                .collect()
        };
        let (mut within, mut late) = (0, 0);
        for (k, n) in &self.deadline {
            if k.within(under_two_months) {
                within += n;
            } else {
                late += n;
            }
        }
        Delays {
            series: vec![
                ("Réception → qualification", expand(&self.qualification)),
                ("Réception → retour de l'évaluation", expand(&self.returned)),
                ("Réception → conclusion", expand(&self.conclusion)),
            ],
            within,
            late,
        }
    }
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
        let mut c = DelayCounts::default();
        for r in rows {
            c.add(&r.keys(), 1);
        }
        c.delays(under_two_months)
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
            note: Some("Délais en jours calendaires, de la date de réception à celle de la qualification, du retour de l'évaluation ou de la conclusion (dans le fuseau horaire du département). La conclusion ne compte que les dossiers conclus ou clôturés aujourd'hui.".into()),
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

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn deadline_keys_match_the_due_date() {
        use crate::BirthDate;
        use crate::deadline::evaluation_due_for;
        let received = d("2026-01-31");
        for returned in [
            "2026-01-31",
            "2026-02-28",
            "2026-03-01",
            "2026-03-31",
            "2026-04-30",
            "2026-05-01",
        ] {
            for birth in [None, Some(d("2025-06-01")), Some(d("2020-01-01"))] {
                let k = DeadlineKey::of(received, d(returned), birth);
                assert_eq!(DeadlineKey::parse(&k.code()), Some(k));
                let births: Vec<BirthDate> = birth.map(BirthDate::Exact).into_iter().collect();
                for setting in [None, Some(1), Some(2), Some(3), Some(6)] {
                    let due = evaluation_due_for(received, &births, setting);
                    assert_eq!(
                        k.within(setting),
                        d(returned) <= due,
                        "{returned} {birth:?} {setting:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn counts_give_the_same_figures_as_rows() {
        let row = |q: Option<&str>, r: Option<&str>| DelayFacts {
            received_on: d("2026-03-10"),
            qualified_on: q.map(d),
            concluded_on: None,
            returned_on: r.map(d),
            youngest_birth: None,
        };
        let rows = [
            row(Some("2026-03-10"), Some("2026-05-01")),
            row(Some("2026-03-13"), Some("2026-07-01")),
            row(None, None),
        ];
        let of_rows = Delays::of(&rows, None);
        assert_eq!(of_rows.series[0].1, vec![0.0, 3.0]);
        assert_eq!((of_rows.within, of_rows.late), (1, 1));
        let mut c = DelayCounts::default();
        c.add(&rows[0].keys(), 1);
        c.add(&rows[1].keys(), 1);
        assert_eq!(c.delays(None), of_rows);
    }
}
