//! Counts of dossiers, children or evaluations grouped by up to two dimensions: one SQL
//! query whatever the dimensions, each dimension a key expression and the joins it needs.

use std::collections::HashMap;

use vigie_domain::stats::{Bucket, Dimension, Measure, dimension::age_band};

use super::StatsFilter;
use crate::Result;
use crate::backend::age_at_reception;
use crate::db::Store;
use crate::sql::{Sql, all_sql, get};

/// A grouping: a time dimension with its buckets, or another dimension.
#[derive(Debug, Clone, Copy)]
pub enum Group<'a> {
    Time(&'a [Bucket]),
    Dim(Dimension),
    /// Each dossier apart (the counters' contributions: `super::counter`).
    Dossier,
    /// A yes/no fact of the dossier, `1` or `0`.
    Flag(Flag),
}

/// The dossier's yes/no facts the key figures count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Received with the danger grave et immédiat flag.
    Danger,
    /// A child already had a dossier received earlier (the person links).
    Known,
}

/// Which dossiers a count reads: a statistics filter, or given dossiers (whatever their
/// scope and date: the counters' contributions).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Restrict<'a> {
    Filter(&'a StatsFilter),
    Ids(&'a [i64]),
}

impl Restrict<'_> {
    pub(crate) fn push(&self, q: &mut Sql, d: &str) {
        match self {
            Self::Filter(f) => f.push(q, d),
            Self::Ids(ids) => {
                q.push(&format!(" AND {d}.id IN ")).bind_list(ids);
            }
        }
    }
}

/// Whether a child of dossier `d` appears in a dossier received before it.
pub(crate) const KNOWN: &str = "EXISTS (SELECT 1 FROM dossier_child kc JOIN dossier_child kc2 ON kc2.person_id = kc.person_id
    JOIN dossier kd ON kd.id = kc2.dossier_id WHERE kc.dossier_id = d.id AND kd.received_at < d.received_at)";

/// Counts by key: one code per group (`""` when the value is not filled in: « Non
/// renseigné »); the empty key is the total.
pub type Counts = HashMap<Vec<String>, u64>;

/// The SQL of one query: its joins (deduplicated) and its key expressions.
struct Plan {
    measure: Measure,
    joins: Vec<String>,
    keys: Vec<String>,
}

impl Plan {
    fn join(&mut self, j: &str) {
        if !self.joins.iter().any(|x| x == j) {
            self.joins.push(j.to_owned());
        }
    }

    /// The alias of the child a child-level dimension reads.
    fn child(&mut self) -> &'static str {
        if self.measure != Measure::Enfants {
            self.join("JOIN dossier_child c ON c.dossier_id = d.id");
        }
        "c"
    }

    fn person(&mut self) {
        self.child();
        self.join("JOIN person p ON p.id = c.person_id");
    }

    fn key(&mut self, c: &impl sea_orm::ConnectionTrait, i: usize, g: &Group<'_>) -> String {
        let d = match g {
            Group::Time(_) => {
                self.join(&format!(
                    "JOIN b{i} ON d.received_at >= b{i}.lo AND d.received_at < b{i}.hi"
                ));
                return format!("b{i}.ix");
            }
            Group::Dossier => return "d.id".into(),
            Group::Flag(Flag::Danger) => {
                return "CASE WHEN d.danger_grave = TRUE THEN 1 ELSE 0 END".into();
            }
            Group::Flag(Flag::Known) => return format!("CASE WHEN {KNOWN} THEN 1 ELSE 0 END"),
            Group::Dim(d) => *d,
        };
        match d {
            Dimension::Mois | Dimension::Trimestre | Dimension::Annee => "''".into(),
            Dimension::Territoire => "d.territory_id".into(),
            Dimension::Type => "d.type_id".into(),
            Dimension::Support => "d.channel_id".into(),
            Dimension::Statut => "d.status".into(),
            Dimension::CategorieSignalant => {
                self.join("LEFT JOIN dossier_source s ON s.dossier_id = d.id");
                "s.category_id".into()
            }
            Dimension::Service => {
                if self.measure == Measure::Evaluations {
                    "a.service_id".into()
                } else {
                    self.join(
                        "JOIN assignment sa ON sa.dossier_id = d.id AND sa.cancelled = FALSE",
                    );
                    "sa.service_id".into()
                }
            }
            Dimension::Motif => {
                let c = self.child();
                self.join(&format!("JOIN child_motif cm ON cm.child_id = {c}.id"));
                "cm.motif_id".into()
            }
            Dimension::Conclusion => format!("{}.conclusion_id", self.child()),
            Dimension::ResultatEvaluation => {
                if self.measure == Measure::Evaluations {
                    "a.result_id".into()
                } else {
                    format!("{}.evaluation_result_id", self.child())
                }
            }
            Dimension::Sexe => {
                self.person();
                "p.sex".into()
            }
            Dimension::TrancheAge => {
                self.person();
                let age = age_at_reception(c, "p", "d");
                format!(
                    "CASE WHEN p.birth_precision = 'a_naitre' THEN '{}' WHEN p.birth_date IS NULL THEN '{}' WHEN {age} <= 2 THEN '{}' WHEN {age} <= 5 THEN '{}' WHEN {age} <= 10 THEN '{}' WHEN {age} <= 14 THEN '{}' ELSE '{}' END",
                    age_band(Some(-1)),
                    age_band(None),
                    age_band(Some(0)),
                    age_band(Some(3)),
                    age_band(Some(6)),
                    age_band(Some(11)),
                    age_band(Some(15)),
                )
            }
        }
    }
}

impl Store {
    /// Counts `measure` within `f`, grouped by `groups` (none: the total). A dossier
    /// (or child) counts once per key, however many rows it joins.
    pub async fn stats_count(
        &self,
        f: &StatsFilter,
        measure: Measure,
        groups: &[Group<'_>],
    ) -> Result<Counts> {
        if let Some(n) = self.counted(f, measure, groups).await? {
            return Ok(n);
        }
        count_rows(&self.db, Restrict::Filter(f), measure, groups).await
    }

    /// [`Store::stats_count`] read from the dossiers themselves, never from the counters
    /// (the tests compare both).
    pub async fn stats_count_rows(
        &self,
        f: &StatsFilter,
        measure: Measure,
        groups: &[Group<'_>],
    ) -> Result<Counts> {
        count_rows(&self.db, Restrict::Filter(f), measure, groups).await
    }
}

/// Counts `measure` within `r`, grouped by `groups`, from the dossiers' rows.
pub(crate) async fn count_rows(
    c: &impl sea_orm::ConnectionTrait,
    r: Restrict<'_>,
    measure: Measure,
    groups: &[Group<'_>],
) -> Result<Counts> {
    let mut q = Sql::new("");
    let mut ctes = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        if let Group::Time(buckets) = g {
            if buckets.is_empty() {
                return Ok(Counts::new());
            }
            ctes.push(i);
        }
    }
    for (n, i) in ctes.iter().enumerate() {
        let Group::Time(buckets) = groups[*i] else {
            continue;
        };
        q.push(if n == 0 { "WITH " } else { ", " })
            .push(&format!("b{i}(ix, lo, hi) AS (VALUES "));
        for (ix, b) in buckets.iter().enumerate() {
            if ix > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(i64::try_from(ix).unwrap_or_default())
                .push(", ")
                .bind(b.from)
                .push(", ")
                .bind(b.to)
                .push(")");
        }
        q.push(")");
    }
    let mut plan = Plan {
        measure,
        joins: Vec::new(),
        keys: Vec::new(),
    };
    for (i, g) in groups.iter().enumerate() {
        let k = plan.key(c, i, g);
        plan.keys.push(k);
    }
    let (from, unit, base_where) = match measure {
        Measure::Dossiers => ("dossier d", "d.id", "1 = 1"),
        Measure::Enfants => (
            "dossier_child c JOIN dossier d ON d.id = c.dossier_id",
            "c.id",
            "1 = 1",
        ),
        Measure::Evaluations => (
            "assignment a JOIN dossier d ON d.id = a.dossier_id",
            "a.id",
            "a.cancelled = FALSE",
        ),
    };
    q.push(" SELECT ");
    for (i, k) in plan.keys.iter().enumerate() {
        q.push(&format!("CAST({k} AS TEXT) AS k{i}, "));
    }
    q.push(&format!("COUNT(DISTINCT {unit}) AS n FROM {from} "))
        .push(&plan.joins.join(" "))
        .push(&format!(" WHERE {base_where}"));
    r.push(&mut q, "d");
    if !plan.keys.is_empty() {
        let list: Vec<String> = (0..plan.keys.len()).map(|i| format!("k{i}")).collect();
        q.push(" GROUP BY ").push(&list.join(", "));
    }
    let mut out = Counts::new();
    for row in all_sql(c, &q).await? {
        let mut key = Vec::with_capacity(groups.len());
        for i in 0..groups.len() {
            key.push(get::<Option<String>>(&row, &format!("k{i}"))?.unwrap_or_default());
        }
        let n: i64 = get(&row, "n")?;
        out.insert(key, u64::try_from(n).unwrap_or_default());
    }
    Ok(out)
}
