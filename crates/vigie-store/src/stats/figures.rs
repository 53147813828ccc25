//! The dashboard's figures that are not plain counts: delays (one row per dossier, the
//! domain computes medians and shares), evaluations overdue now, follow-ups, first IPs.

use chrono::{DateTime, NaiveDate, Utc};

use vigie_domain::{DossierStatus, FollowUpKind, Scope};

use super::StatsFilter;
use crate::Result;
use crate::db::Store;
use crate::sql::{Sql, all_sql, get, scope_filter};

pub use vigie_domain::stats::delays::DelayFacts as DelayRow;

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

impl Store {
    /// One row per dossier of `f`, with what its delays need.
    pub async fn stats_delays(&self, f: &StatsFilter) -> Result<Vec<DelayRow>> {
        let mut q = Sql::new(
            "SELECT d.received_at, d.status, m.qualified_at, m.concluded_at,
               (SELECT MAX(a.returned_on) FROM assignment a WHERE a.dossier_id = d.id AND a.cancelled = FALSE) AS returned_on,
               (SELECT COUNT(*) FROM assignment a WHERE a.dossier_id = d.id AND a.cancelled = FALSE AND a.returned_on IS NULL) AS open_n,
               (SELECT MAX(p.birth_date) FROM dossier_child c JOIN person p ON p.id = c.person_id WHERE c.dossier_id = d.id) AS youngest
             FROM dossier d LEFT JOIN dossier_milestone m ON m.dossier_id = d.id WHERE 1 = 1",
        );
        f.push(&mut q, "d");
        let mut out = Vec::new();
        for r in all_sql(&self.db, &q).await? {
            let received_at: DateTime<Utc> = get(&r, "received_at")?;
            let status: String = get(&r, "status")?;
            let concluded = matches!(
                DossierStatus::parse(&status),
                Some(DossierStatus::Conclue | DossierStatus::Cloturee)
            );
            let open: i64 = get(&r, "open_n")?;
            out.push(DelayRow {
                received_at,
                received_on: received_at.with_timezone(&self.tz).date_naive(),
                qualified_at: get(&r, "qualified_at")?,
                concluded_at: if concluded {
                    get(&r, "concluded_at")?
                } else {
                    None
                },
                returned_on: if open == 0 {
                    get(&r, "returned_on")?
                } else {
                    None
                },
                youngest_birth: get(&r, "youngest")?,
            });
        }
        Ok(out)
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
        let mut q = Sql::new(
            "SELECT a.service_id, COUNT(*) AS n FROM assignment a JOIN dossier d ON d.id = a.dossier_id
             WHERE a.cancelled = FALSE AND a.returned_on IS NULL AND a.due_on < ",
        );
        q.bind(today).push(" AND ");
        scope_filter(&mut q, scope, "d");
        if let Some(t) = territory_id {
            q.push(" AND d.territory_id = ").bind(t);
        }
        if let Some(t) = type_id {
            q.push(" AND d.type_id = ").bind(t);
        }
        q.push(" GROUP BY a.service_id");
        all_sql(&self.db, &q)
            .await?
            .iter()
            .map(|r| {
                Ok(OverdueRow {
                    service_id: get(r, "service_id")?,
                    count: count(get(r, "n")?),
                })
            })
            .collect()
    }

    /// The follow-ups of the dossiers of `f`: done, not done with a reason, pending.
    pub async fn stats_follow_ups(&self, f: &StatsFilter) -> Result<Vec<FollowUpRow>> {
        let mut q = Sql::new(
            "SELECT fu.kind,
               SUM(CASE WHEN fu.done_at IS NOT NULL THEN 1 ELSE 0 END) AS done,
               SUM(CASE WHEN fu.done_at IS NULL AND fu.not_done_reason IS NOT NULL THEN 1 ELSE 0 END) AS not_done,
               SUM(CASE WHEN fu.done_at IS NULL AND fu.not_done_reason IS NULL THEN 1 ELSE 0 END) AS pending
             FROM follow_up fu JOIN dossier d ON d.id = fu.dossier_id WHERE 1 = 1",
        );
        f.push(&mut q, "d");
        q.push(" GROUP BY fu.kind");
        let mut out = Vec::new();
        for r in all_sql(&self.db, &q).await? {
            let kind: String = get(&r, "kind")?;
            let Some(kind) = FollowUpKind::parse(&kind) else {
                continue;
            };
            out.push(FollowUpRow {
                kind,
                done: count(get(&r, "done")?),
                not_done: count(get(&r, "not_done")?),
                pending: count(get(&r, "pending")?),
            });
        }
        out.sort_by_key(|r| FollowUpKind::ALL.iter().position(|k| *k == r.kind));
        Ok(out)
    }

    /// Dossiers of `f` where a child already had an earlier dossier (the person links),
    /// and those received with the danger grave et immédiat flag: (known, danger grave).
    pub async fn stats_known_and_danger(&self, f: &StatsFilter) -> Result<(u64, u64)> {
        let mut q = Sql::new(
            "SELECT
               SUM(CASE WHEN EXISTS (SELECT 1 FROM dossier_child c JOIN dossier_child c2 ON c2.person_id = c.person_id
                   JOIN dossier d2 ON d2.id = c2.dossier_id WHERE c.dossier_id = d.id AND d2.received_at < d.received_at)
                   THEN 1 ELSE 0 END) AS known,
               SUM(CASE WHEN d.danger_grave = TRUE THEN 1 ELSE 0 END) AS danger
             FROM dossier d WHERE 1 = 1",
        );
        f.push(&mut q, "d");
        let rows = all_sql(&self.db, &q).await?;
        let Some(r) = rows.first() else {
            return Ok((0, 0));
        };
        Ok((
            count(get::<Option<i64>>(r, "known")?.unwrap_or_default()),
            count(get::<Option<i64>>(r, "danger")?.unwrap_or_default()),
        ))
    }
}
