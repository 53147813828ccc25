//! Reading the counters: when a filter's period is whole local months and its scope a sum of
//! counters (everyone; territories and at most one service), the counts, delays and
//! follow-ups are sums of counters. Otherwise `None`: the caller reads the dossiers.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use vigie_domain::FollowUpKind;
use vigie_domain::Scope;
use vigie_domain::stats::delays::{DeadlineKey, DelayCounts};
use vigie_domain::stats::{Bucket, Dimension, Measure};

use super::compute::{CONCLUSION, DEADLINE, FOLLOW_UPS, OPEN, QUALIFICATION, RETURNED, month_of};
use crate::Result;
use crate::db::Store;
use crate::sql::{Sql, all_sql, get};
use crate::stats::StatsFilter;
use crate::stats::counts::{Counts, Flag, Group};
use crate::stats::figures::{DONE, FollowUpRow, NOT_DONE, PENDING, follow_ups_of};

/// The local month (`AAAAMM`) starting at `at`, if it starts one.
fn month_start(at: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<i64> {
    let l = at.with_timezone(&tz);
    (l.day() == 1 && l.hour() == 0 && l.minute() == 0 && l.second() == 0 && l.nanosecond() == 0)
        .then(|| month_of(at, tz))
}

/// A way of scope a frame sums: its `via`, the territories it is read in, those it is not.
type Way<'a> = (i64, Option<&'a [i64]>, Option<&'a [i64]>);

/// Which counters answer for a filter: `… WHERE` conditions after `kind`.
struct Frame {
    lo: i64,
    hi: i64,
    scope: Scope,
    territory_id: Option<i64>,
    type_id: Option<i64>,
}

impl Frame {
    fn of(store: &Store, f: &StatsFilter, usable: bool) -> Option<Self> {
        if !usable {
            return None;
        }
        let tz = store.tz;
        let mut fr = Self::before(&f.scope, f.territory_id, f.type_id, month_start(f.to, tz)?)?;
        fr.lo = month_start(f.from, tz)?;
        Some(fr)
    }

    /// The months before `hi` (`AAAAMM`), whatever the period (the open evaluations).
    fn before(
        scope: &Scope,
        territory_id: Option<i64>,
        type_id: Option<i64>,
        hi: i64,
    ) -> Option<Self> {
        // A sum of counters: everyone, or territories and at most one service (not the
        // dossiers of an accès exceptionnel).
        if matches!(scope, Scope::Restricted { services, dossiers, .. }
            if services.len() > 1 || !dossiers.is_empty())
        {
            return None;
        }
        Some(Self {
            lo: 0,
            hi,
            scope: scope.clone(),
            territory_id,
            type_id,
        })
    }

    /// The counters of `kinds` this frame sums, as one `SELECT` per way of scope joined by
    /// `UNION ALL`: each reads one range of the counters' key (a way, a territory, a type,
    /// the months). `by` as [`Store::sum_counters`]'s.
    fn push(&self, q: &mut Sql, kinds: &[String], by: [bool; 3]) {
        let mut ways: Vec<Way<'_>> = Vec::new();
        let whole = self.territory_id.is_none() && self.type_id.is_none() && !by[1] && !by[2];
        match &self.scope {
            // The département's totals, unless territories or types are asked apart.
            Scope::All if whole => ways.push((super::EVERYONE, None, None)),
            Scope::All => ways.push((0, None, None)),
            Scope::Nothing => {}
            Scope::Restricted {
                territories,
                services,
                ..
            } => {
                if !territories.is_empty() {
                    ways.push((0, Some(territories), None));
                }
                if let Some(s) = services.first() {
                    ways.push((*s, None, Some(territories)));
                }
            }
        }
        if ways.is_empty() {
            q.push("SELECT kind, month, territory_id, type_id, k1, k2, n FROM stat_counter WHERE 1 = 0");
        }
        for (i, (via, inside, outside)) in ways.into_iter().enumerate() {
            if i > 0 {
                q.push(" UNION ALL ");
            }
            q.push("SELECT kind, month, territory_id, type_id, k1, k2, n FROM stat_counter WHERE kind IN ")
                .bind_list(kinds)
                .push(" AND via = ")
                .bind(via);
            if let Some(ts) = inside {
                q.push(" AND territory_id IN ").bind_list(ts);
            }
            if let Some(ts) = outside.filter(|ts| !ts.is_empty()) {
                q.push(" AND territory_id NOT IN ").bind_list(ts);
            }
            if let Some(t) = self.territory_id {
                q.push(" AND territory_id = ").bind(t);
            }
            match self.type_id {
                Some(t) => {
                    q.push(" AND type_id = ").bind(t);
                }
                // Each way's totals of every type (type 0), unless types are asked apart.
                None if by[2] => {
                    q.push(" AND type_id <> 0");
                }
                None => {
                    q.push(" AND type_id = 0");
                }
            }
            q.push(" AND month >= ")
                .bind(self.lo)
                .push(" AND month < ")
                .bind(self.hi);
        }
    }
}

/// A sum of counters.
struct Summed {
    month: i64,
    territory: i64,
    type_id: i64,
    k1: String,
    k2: String,
    n: i64,
}

/// How each group of a count is read from a counter row.
#[derive(Clone, Copy)]
enum Col {
    Month,
    Territory,
    Type,
    K1,
    K2,
}

/// The counter kind answering `measure` by the groups that are not months, territories or
/// types, and where each of those groups is read.
fn kind_of(measure: Measure, others: &[Group<'_>]) -> Option<(&'static str, Vec<Col>)> {
    use Dimension as D;
    let one = |k: &'static str| Some((k, vec![Col::K1]));
    match (measure, others) {
        (Measure::Dossiers, []) => Some(("dossiers", vec![])),
        (Measure::Enfants, []) => Some(("enfants", vec![])),
        (Measure::Dossiers, [Group::Dim(D::CategorieSignalant)]) => one("dossiers.categorie"),
        (Measure::Dossiers, [Group::Dim(D::Support)]) => one("dossiers.support"),
        (Measure::Dossiers, [Group::Dim(D::Statut)]) => one("dossiers.statut"),
        (Measure::Dossiers, [Group::Flag(Flag::Known)]) => one("dossiers.connu"),
        (Measure::Dossiers, [Group::Flag(Flag::Danger)]) => one("dossiers.danger"),
        // A child has one age band and one sex: the pair's counts sum to either.
        (Measure::Enfants, [Group::Dim(D::TrancheAge)]) => one("enfants.age_sexe"),
        (Measure::Enfants, [Group::Dim(D::Sexe)]) => Some(("enfants.age_sexe", vec![Col::K2])),
        (Measure::Enfants, [Group::Dim(D::TrancheAge), Group::Dim(D::Sexe)]) => {
            Some(("enfants.age_sexe", vec![Col::K1, Col::K2]))
        }
        (Measure::Enfants, [Group::Dim(D::Sexe), Group::Dim(D::TrancheAge)]) => {
            Some(("enfants.age_sexe", vec![Col::K2, Col::K1]))
        }
        (Measure::Enfants, [Group::Dim(D::Motif)]) => one("enfants.motif"),
        (Measure::Enfants, [Group::Dim(D::ResultatEvaluation)]) => one("enfants.resultat"),
        (Measure::Enfants, [Group::Dim(D::Conclusion)]) => one("enfants.conclusion"),
        _ => None,
    }
}

/// Buckets of whole local months: each bucket's months `[lo, hi)`.
fn month_ranges(buckets: &[Bucket], tz: chrono_tz::Tz) -> Option<Vec<(i64, i64)>> {
    buckets
        .iter()
        .map(|b| Some((month_start(b.from, tz)?, month_start(b.to, tz)?)))
        .collect()
}

impl Store {
    /// The counters answer unless the benchmark turned them off or they were written in
    /// another time zone (then every figure is read from the dossiers until `vigie migrate`
    /// counts them again).
    async fn counters_usable(&self) -> Result<bool> {
        if !self.counters.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(false);
        }
        if let Some(ok) = self.counters_tz.get() {
            return Ok(*ok);
        }
        let ok = super::written_in(&self.db).await?.as_deref() == Some(self.tz.name());
        if !ok {
            tracing::warn!(
                "compteurs statistiques écrits dans un autre fuseau horaire : les tableaux de bord lisent les dossiers (lancez « vigie migrate »)"
            );
        }
        let _ = self.counters_tz.set(ok);
        Ok(ok)
    }

    /// Sums of the counters of `kinds` by key, and by month, territory or type when `by`
    /// asks for them (`[month, territory, type]`; the others read 0).
    async fn sum_counters(
        &self,
        fr: &Frame,
        kinds: &[&str],
        by: [bool; 3],
    ) -> Result<Vec<(String, Summed)>> {
        let mut cols = vec!["kind".to_owned()];
        let mut group = vec!["kind", "k1", "k2"];
        for (on, col) in by.iter().zip(["month", "territory_id", "type_id"]) {
            if *on {
                cols.push(col.to_owned());
                group.push(col);
            } else {
                cols.push(format!("CAST(0 AS BIGINT) AS {col}"));
            }
        }
        cols.extend(["k1".to_owned(), "k2".to_owned()]);
        let (cols, group) = (cols.join(", "), group.join(", "));
        let mut q = Sql::new(&format!(
            "SELECT {cols}, CAST(SUM(n) AS BIGINT) AS n FROM ("
        ));
        let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
        fr.push(&mut q, &kinds, by);
        q.push(&format!(") c GROUP BY {group}"));
        let mut out = Vec::new();
        for r in all_sql(&self.db, &q).await? {
            out.push((
                get(&r, "kind")?,
                Summed {
                    month: get(&r, "month")?,
                    territory: get(&r, "territory_id")?,
                    type_id: get(&r, "type_id")?,
                    k1: get(&r, "k1")?,
                    k2: get(&r, "k2")?,
                    n: get(&r, "n")?,
                },
            ));
        }
        Ok(out)
    }

    /// [`Store::stats_count`] from the counters, when they answer.
    pub(crate) async fn counted(
        &self,
        f: &StatsFilter,
        measure: Measure,
        groups: &[Group<'_>],
    ) -> Result<Option<Counts>> {
        let Some(fr) = Frame::of(self, f, self.counters_usable().await?) else {
            return Ok(None);
        };
        let mut others = Vec::new();
        for g in groups {
            match g {
                Group::Time(_) | Group::Dim(Dimension::Territoire | Dimension::Type) => {}
                Group::Dim(Dimension::Mois | Dimension::Trimestre | Dimension::Annee) => {
                    return Ok(None);
                }
                g => others.push(*g),
            }
        }
        let Some((kind, mut key_cols)) = kind_of(measure, &others) else {
            return Ok(None);
        };
        let mut cols = Vec::new();
        let mut ranges = Vec::new();
        for g in groups {
            cols.push(match g {
                Group::Time(b) => {
                    let Some(r) = month_ranges(b, self.tz) else {
                        return Ok(None);
                    };
                    ranges.push(r);
                    Col::Month
                }
                Group::Dim(Dimension::Territoire) => Col::Territory,
                Group::Dim(Dimension::Type) => Col::Type,
                _ => key_cols.remove(0),
            });
        }
        let mut out = Counts::new();
        if groups.is_empty() {
            out.insert(Vec::new(), 0);
        }
        let by = [
            cols.iter().any(|c| matches!(c, Col::Month)),
            cols.iter().any(|c| matches!(c, Col::Territory)),
            cols.iter().any(|c| matches!(c, Col::Type)),
        ];
        'rows: for (_, s) in self.sum_counters(&fr, &[kind], by).await? {
            let mut key = Vec::with_capacity(cols.len());
            let mut r = ranges.iter();
            for c in &cols {
                key.push(match c {
                    Col::Month => {
                        let Some(ix) = r.next().and_then(|r| {
                            r.iter().position(|(lo, hi)| (*lo..*hi).contains(&s.month))
                        }) else {
                            continue 'rows;
                        };
                        ix.to_string()
                    }
                    Col::Territory => s.territory.to_string(),
                    Col::Type => s.type_id.to_string(),
                    Col::K1 => s.k1.clone(),
                    Col::K2 => s.k2.clone(),
                });
            }
            *out.entry(key).or_default() += u64::try_from(s.n).unwrap_or(0);
        }
        out.retain(|k, n| *n > 0 || k.is_empty());
        Ok(Some(out))
    }

    /// [`Store::stats_delays`] from the counters, when they answer.
    pub(crate) async fn counted_delays(&self, f: &StatsFilter) -> Result<Option<DelayCounts>> {
        let Some(fr) = Frame::of(self, f, self.counters_usable().await?) else {
            return Ok(None);
        };
        let mut c = DelayCounts::default();
        let kinds = [QUALIFICATION, RETURNED, CONCLUSION, DEADLINE];
        for (kind, s) in self.sum_counters(&fr, &kinds, [false; 3]).await? {
            let Ok(n) = u64::try_from(s.n) else { continue };
            if n == 0 {
                continue;
            }
            let days = s.k1.parse::<i64>().ok();
            let map = match kind.as_str() {
                QUALIFICATION => &mut c.qualification,
                RETURNED => &mut c.returned,
                CONCLUSION => &mut c.conclusion,
                _ => {
                    if let Some(k) = DeadlineKey::parse(&s.k1) {
                        *c.deadline.entry(k).or_default() += n;
                    }
                    continue;
                }
            };
            if let Some(d) = days {
                *map.entry(d).or_default() += n;
            }
        }
        Ok(Some(c))
    }

    /// The evaluations due before the first day of `today`'s month and still open, by
    /// service, from the counters (the caller reads the days of this month from the
    /// dossiers), when they answer.
    pub(crate) async fn counted_overdue(
        &self,
        scope: &Scope,
        territory_id: Option<i64>,
        type_id: Option<i64>,
        today: NaiveDate,
    ) -> Result<Option<Vec<(i64, u64)>>> {
        if !self.counters_usable().await? {
            return Ok(None);
        }
        let hi = i64::from(today.year()) * 100 + i64::from(today.month());
        let Some(fr) = Frame::before(scope, territory_id, type_id, hi) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for (_, s) in self.sum_counters(&fr, &[OPEN], [false; 3]).await? {
            if let (Ok(service), Ok(n)) = (s.k1.parse::<i64>(), u64::try_from(s.n)) {
                out.push((service, n));
            }
        }
        Ok(Some(out))
    }

    /// [`Store::stats_follow_ups`] from the counters, when they answer.
    pub(crate) async fn counted_follow_ups(
        &self,
        f: &StatsFilter,
    ) -> Result<Option<Vec<FollowUpRow>>> {
        let Some(fr) = Frame::of(self, f, self.counters_usable().await?) else {
            return Ok(None);
        };
        let rows = self.sum_counters(&fr, &[FOLLOW_UPS], [false; 3]).await?;
        Ok(Some(follow_ups_of(rows.into_iter().filter_map(
            |(_, s)| {
                let kind = FollowUpKind::parse(&s.k1)?;
                let state = [DONE, NOT_DONE, PENDING].into_iter().find(|x| *x == s.k2)?;
                Some((kind, state, u64::try_from(s.n).ok()?))
            },
        ))))
    }
}
