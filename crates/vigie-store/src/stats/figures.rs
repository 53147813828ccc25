//! The dashboard's figures that are not plain counts: delays (one row per dossier, the
//! domain computes medians and shares), evaluations overdue now, follow-ups, first IPs.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::ConnectionTrait;

use vigie_domain::stats::Measure;
use vigie_domain::stats::delays::{DelayCounts, DelayFacts};
use vigie_domain::{DossierStatus, FollowUpKind, Scope};

use super::StatsFilter;
use super::counts::{Flag, Group, Restrict};
use crate::Result;
use crate::db::Store;
use crate::sql::{Sql, all_sql, get, scope_filter};

/// Evaluations overdue now, for one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverdueRow {
    pub service_id: i64,
    pub count: u64,
}

/// One follow-up kind over the dossiers of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUpRow {
    pub kind: FollowUpKind,
    pub done: u64,
    /// Not done, with the reason recorded.
    pub not_done: u64,
    /// Neither done nor explained.
    pub pending: u64,
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

/// A follow-up's state, as the counters key it.
pub(crate) const DONE: &str = "fait";
pub(crate) const NOT_DONE: &str = "non_fait";
pub(crate) const PENDING: &str = "en_attente";

/// One row per dossier of `r`, with what its delays need (local dates).
pub(crate) async fn delay_rows(
    c: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    r: Restrict<'_>,
) -> Result<Vec<(i64, DelayFacts)>> {
    let mut q = Sql::new(
        "SELECT d.id, d.received_at, d.status, m.qualified_at, m.concluded_at,
           (SELECT MAX(a.returned_on) FROM assignment a WHERE a.dossier_id = d.id AND a.cancelled = FALSE) AS returned_on,
           (SELECT COUNT(*) FROM assignment a WHERE a.dossier_id = d.id AND a.cancelled = FALSE AND a.returned_on IS NULL) AS open_n,
           (SELECT MAX(p.birth_date) FROM dossier_child c JOIN person p ON p.id = c.person_id WHERE c.dossier_id = d.id) AS youngest
         FROM dossier d LEFT JOIN dossier_milestone m ON m.dossier_id = d.id WHERE 1 = 1",
    );
    r.push(&mut q, "d");
    let local = |at: Option<DateTime<Utc>>| at.map(|a| a.with_timezone(&tz).date_naive());
    let mut out = Vec::new();
    for row in all_sql(c, &q).await? {
        let received_at: DateTime<Utc> = get(&row, "received_at")?;
        let status: String = get(&row, "status")?;
        let concluded = matches!(
            DossierStatus::parse(&status),
            Some(DossierStatus::Conclue | DossierStatus::Cloturee)
        );
        let open: i64 = get(&row, "open_n")?;
        out.push((
            get(&row, "id")?,
            DelayFacts {
                received_on: received_at.with_timezone(&tz).date_naive(),
                qualified_on: local(get(&row, "qualified_at")?),
                concluded_on: if concluded {
                    local(get(&row, "concluded_at")?)
                } else {
                    None
                },
                returned_on: if open == 0 {
                    get(&row, "returned_on")?
                } else {
                    None
                },
                youngest_birth: get(&row, "youngest")?,
            },
        ));
    }
    Ok(out)
}

/// The follow-ups of the dossiers of `r`: (dossier, kind, state, how many).
pub(crate) async fn follow_up_rows(
    c: &impl ConnectionTrait,
    r: Restrict<'_>,
) -> Result<Vec<(i64, FollowUpKind, &'static str, i64)>> {
    let mut q = Sql::new(&format!(
        "SELECT d.id, fu.kind, CASE WHEN fu.done_at IS NOT NULL THEN '{DONE}'
           WHEN fu.not_done_reason IS NOT NULL THEN '{NOT_DONE}' ELSE '{PENDING}' END AS state, COUNT(*) AS n
         FROM follow_up fu JOIN dossier d ON d.id = fu.dossier_id WHERE 1 = 1"
    ));
    r.push(&mut q, "d");
    q.push(" GROUP BY d.id, fu.kind, state");
    let mut out = Vec::new();
    for row in all_sql(c, &q).await? {
        let kind: String = get(&row, "kind")?;
        let state: String = get(&row, "state")?;
        let Some(kind) = FollowUpKind::parse(&kind) else {
            continue;
        };
        let state = [DONE, NOT_DONE, PENDING]
            .into_iter()
            .find(|s| *s == state)
            .unwrap_or(PENDING);
        out.push((get(&row, "id")?, kind, state, get(&row, "n")?));
    }
    Ok(out)
}

/// Follow-up counts by kind, in the kinds' order.
pub(crate) fn follow_ups_of(
    rows: impl IntoIterator<Item = (FollowUpKind, &'static str, u64)>,
) -> Vec<FollowUpRow> {
    let mut out: Vec<FollowUpRow> = Vec::new();
    for (kind, state, n) in rows {
        let i = match out.iter().position(|r| r.kind == kind) {
            Some(i) => i,
            None => {
                out.push(FollowUpRow {
                    kind,
                    done: 0,
                    not_done: 0,
                    pending: 0,
                });
                out.len() - 1
            }
        };
        let r = &mut out[i];
        match state {
            DONE => r.done += n,
            NOT_DONE => r.not_done += n,
            _ => r.pending += n,
        }
    }
    out.retain(|r| r.done + r.not_done + r.pending > 0);
    out.sort_by_key(|r| FollowUpKind::ALL.iter().position(|k| *k == r.kind));
    out
}

impl Store {
    /// The delays of the dossiers of `f`, as counts of dossiers per number of days.
    pub async fn stats_delays(&self, f: &StatsFilter) -> Result<DelayCounts> {
        if let Some(c) = self.counted_delays(f).await? {
            return Ok(c);
        }
        let mut c = DelayCounts::default();
        for facts in self.stats_delay_facts(f).await? {
            c.add(&facts.keys(), 1);
        }
        Ok(c)
    }

    /// One row per dossier of `f` with what its delays are computed from, read from the
    /// dossiers (the counters hold their sums: [`Store::stats_delays`]).
    pub async fn stats_delay_facts(&self, f: &StatsFilter) -> Result<Vec<DelayFacts>> {
        let rows = delay_rows(&self.db, self.tz, Restrict::Filter(f)).await?;
        Ok(rows.into_iter().map(|(_, facts)| facts).collect())
    }

    /// Evaluations not returned whose due date is before `today`, by service, within the
    /// scope (and the territory and type filters; whatever the period).
    pub async fn stats_overdue(
        &self,
        scope: &Scope,
        territory_id: Option<i64>,
        type_id: Option<i64>,
        today: NaiveDate,
    ) -> Result<Vec<OverdueRow>> {
        // The months before this one from the counters, this month's days from the rows.
        let counted = self
            .counted_overdue(scope, territory_id, type_id, today)
            .await?;
        let since = counted.as_ref().map(|_| today.with_day(1).unwrap_or(today));
        // Every dossier, no filter: the open evaluations' index alone answers.
        let whole = matches!(scope, Scope::All) && territory_id.is_none() && type_id.is_none();
        let mut q = Sql::new(if whole {
            "SELECT a.service_id, COUNT(*) AS n FROM assignment a
             WHERE a.cancelled = FALSE AND a.returned_on IS NULL AND a.due_on < "
        } else {
            "SELECT a.service_id, COUNT(*) AS n FROM assignment a JOIN dossier d ON d.id = a.dossier_id
             WHERE a.cancelled = FALSE AND a.returned_on IS NULL AND a.due_on < "
        });
        q.bind(today);
        if let Some(since) = since {
            q.push(" AND a.due_on >= ").bind(since);
        }
        if !whole {
            q.push(" AND ");
            scope_filter(&mut q, scope, "d");
        }
        if let Some(t) = territory_id {
            q.push(" AND d.territory_id = ").bind(t);
        }
        if let Some(t) = type_id {
            q.push(" AND d.type_id = ").bind(t);
        }
        q.push(" GROUP BY a.service_id");
        let mut by_service: std::collections::BTreeMap<i64, u64> =
            counted.unwrap_or_default().into_iter().collect();
        for r in all_sql(&self.db, &q).await? {
            *by_service.entry(get(&r, "service_id")?).or_default() += count(get(&r, "n")?);
        }
        Ok(by_service
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(service_id, count)| OverdueRow { service_id, count })
            .collect())
    }

    /// The follow-ups of the dossiers of `f`: done, not done with a reason, pending.
    pub async fn stats_follow_ups(&self, f: &StatsFilter) -> Result<Vec<FollowUpRow>> {
        if let Some(rows) = self.counted_follow_ups(f).await? {
            return Ok(rows);
        }
        self.stats_follow_ups_rows(f).await
    }

    /// [`Store::stats_follow_ups`] read from the dossiers, never from the counters.
    pub async fn stats_follow_ups_rows(&self, f: &StatsFilter) -> Result<Vec<FollowUpRow>> {
        let rows = follow_up_rows(&self.db, Restrict::Filter(f)).await?;
        Ok(follow_ups_of(
            rows.into_iter()
                .map(|(_, k, s, n)| (k, s, u64::try_from(n).unwrap_or(0))),
        ))
    }

    /// Dossiers of `f` where a child already had an earlier dossier (the person links),
    /// and those received with the danger grave et immédiat flag: (known, danger grave).
    pub async fn stats_known_and_danger(&self, f: &StatsFilter) -> Result<(u64, u64)> {
        let mut out = [0u64; 2];
        for (i, flag) in [Flag::Known, Flag::Danger].into_iter().enumerate() {
            let n = self
                .stats_count(f, Measure::Dossiers, &[Group::Flag(flag)])
                .await?;
            out[i] = n.get(&vec!["1".to_owned()]).copied().unwrap_or(0);
        }
        Ok((out[0], out[1]))
    }
}
