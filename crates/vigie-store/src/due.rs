//! Échéances: what is due soon or overdue — evaluations asked of a service and not yet
//! returned (nor cancelled), and dated follow-ups neither done nor given a reason — within
//! the caller's scope, filtered in SQL.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use vigie_domain::{DossierNumber, FollowUpKind, Scope};

use crate::db::Store;
use crate::sql::{Sql, all_sql, get, scope_filter};
use crate::{Result, StoreError};

/// The default horizon of the échéances page and of the home page's count, in days.
pub const DEFAULT_HORIZON_DAYS: i64 = 15;

/// What is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueKind {
    /// An evaluation asked of a service (traitement de l'information), not returned.
    Evaluation,
    /// A dated follow-up of the dossier, neither done nor given a reason.
    FollowUp(FollowUpKind),
}

impl DueKind {
    /// French label.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Evaluation => "Retour d'évaluation",
            Self::FollowUp(k) => k.label(),
        }
    }

    /// Stable code: `evaluation`, or the follow-up's code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Evaluation => "evaluation",
            Self::FollowUp(k) => k.code(),
        }
    }
}

/// One échéance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DueItem {
    pub dossier_id: i64,
    pub dossier_number: DossierNumber,
    pub dossier_received_at: DateTime<Utc>,
    pub territory_id: i64,
    pub territory_label: String,
    /// The service, for an evaluation.
    pub service_id: Option<i64>,
    pub service_label: Option<String>,
    /// The assignment, for an evaluation.
    pub assignment_id: Option<i64>,
    pub kind: DueKind,
    pub due_on: NaiveDate,
    /// Due before today.
    pub overdue: bool,
    /// Days from today to the due date (negative when overdue).
    pub days_left: i64,
    /// The last reminder of the evaluation: its day and who sent it.
    pub reminded: Option<Reminded>,
}

/// The last reminder of an evaluation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reminded {
    pub on: NaiveDate,
    pub by_name: Option<String>,
}

fn horizon(today: NaiveDate, days: i64) -> NaiveDate {
    today
        .checked_add_signed(Duration::days(days.max(0)))
        .unwrap_or(NaiveDate::MAX)
}

/// Open assignments (not returned, not cancelled) on dossier `d` / assignment `a`: the
/// échéances and the reminders (`crate::reminders`) read the same ones.
pub(crate) const OPEN_ASSIGNMENT: &str = "a.returned_on IS NULL AND a.cancelled = FALSE";
/// Pending follow-ups with a due date on follow-up `f`.
const PENDING_FOLLOW_UP: &str =
    "f.due_on IS NOT NULL AND f.done_at IS NULL AND f.not_done_reason IS NULL";

impl Store {
    /// The échéances within `scope` due on or before `today + horizon_days` (overdue ones
    /// included), by due date (then dossier number), filtered by territory and service.
    pub async fn due_items(
        &self,
        scope: &Scope,
        today: NaiveDate,
        horizon_days: i64,
        territory_id: Option<i64>,
        service_id: Option<i64>,
    ) -> Result<Vec<DueItem>> {
        let until = horizon(today, horizon_days);
        let mut items = Vec::new();

        let mut q = Sql::new(
            "SELECT d.id, d.number, d.received_at, d.territory_id, t.label AS territory_label,
                    a.id AS assignment_id, a.service_id, s.label AS service_label, a.due_on,
                    r.reminded_on, ru.display_name AS reminded_by_name
             FROM assignment a JOIN dossier d ON d.id = a.dossier_id
             JOIN territory t ON t.id = d.territory_id JOIN service s ON s.id = a.service_id
             LEFT JOIN assignment_reminder r ON r.id =
                 (SELECT MAX(r2.id) FROM assignment_reminder r2
                  WHERE r2.assignment_id = a.id AND r2.service_id = a.service_id)
             LEFT JOIN app_user ru ON ru.id = r.reminded_by
             WHERE ",
        );
        q.push(OPEN_ASSIGNMENT)
            .push(" AND a.due_on <= ")
            .bind(until);
        if let Some(t) = territory_id {
            q.push(" AND d.territory_id = ").bind(t);
        }
        if let Some(s) = service_id {
            q.push(" AND a.service_id = ").bind(s);
        }
        q.push(" AND ");
        scope_filter(&mut q, scope, "d");
        for r in all_sql(&self.db, &q).await? {
            let due_on: NaiveDate = get(&r, "due_on")?;
            let number: String = get(&r, "number")?;
            items.push(DueItem {
                dossier_id: get(&r, "id")?,
                dossier_number: number.parse().map_err(StoreError::Config)?,
                dossier_received_at: get(&r, "received_at")?,
                territory_id: get(&r, "territory_id")?,
                territory_label: get(&r, "territory_label")?,
                service_id: Some(get(&r, "service_id")?),
                service_label: Some(get(&r, "service_label")?),
                assignment_id: Some(get(&r, "assignment_id")?),
                kind: DueKind::Evaluation,
                due_on,
                overdue: due_on < today,
                days_left: (due_on - today).num_days(),
                reminded: get::<Option<NaiveDate>>(&r, "reminded_on")?
                    .map(|on| -> Result<Reminded> {
                        Ok(Reminded {
                            on,
                            by_name: get(&r, "reminded_by_name")?,
                        })
                    })
                    .transpose()?,
            });
        }

        if service_id.is_none() {
            let mut q = Sql::new(
                "SELECT d.id, d.number, d.received_at, d.territory_id, t.label AS territory_label, f.kind, f.due_on
                 FROM follow_up f JOIN dossier d ON d.id = f.dossier_id
                 JOIN territory t ON t.id = d.territory_id WHERE ",
            );
            q.push(PENDING_FOLLOW_UP)
                .push(" AND f.due_on <= ")
                .bind(until);
            if let Some(t) = territory_id {
                q.push(" AND d.territory_id = ").bind(t);
            }
            q.push(" AND ");
            scope_filter(&mut q, scope, "d");
            for r in all_sql(&self.db, &q).await? {
                let kind: String = get(&r, "kind")?;
                // A kind this program does not know (a newer schema) is left out.
                let Some(kind) = FollowUpKind::parse(&kind) else {
                    continue;
                };
                let due_on: NaiveDate = get(&r, "due_on")?;
                let number: String = get(&r, "number")?;
                items.push(DueItem {
                    dossier_id: get(&r, "id")?,
                    dossier_number: number.parse().map_err(StoreError::Config)?,
                    dossier_received_at: get(&r, "received_at")?,
                    territory_id: get(&r, "territory_id")?,
                    territory_label: get(&r, "territory_label")?,
                    service_id: None,
                    service_label: None,
                    assignment_id: None,
                    kind: DueKind::FollowUp(kind),
                    due_on,
                    overdue: due_on < today,
                    days_left: (due_on - today).num_days(),
                    reminded: None,
                });
            }
        }
        let rank = |k: DueKind| match k {
            DueKind::Evaluation => 0,
            DueKind::FollowUp(f) => 1 + FollowUpKind::ALL.iter().position(|x| *x == f).unwrap_or(9),
        };
        items.sort_by(|a, b| {
            a.due_on
                .cmp(&b.due_on)
                .then(a.dossier_number.cmp(&b.dossier_number))
                .then(rank(a.kind).cmp(&rank(b.kind)))
                .then(a.assignment_id.cmp(&b.assignment_id))
        });
        Ok(items)
    }

    /// For the home page: (overdue, due within [`DEFAULT_HORIZON_DAYS`] days from today
    /// included) échéances within `scope`.
    pub async fn due_counts(&self, scope: &Scope, today: NaiveDate) -> Result<(i64, i64)> {
        let until = horizon(today, DEFAULT_HORIZON_DAYS);
        let mut overdue = 0;
        let mut soon = 0;
        for (from, date, cond) in [
            (
                "assignment a JOIN dossier d ON d.id = a.dossier_id",
                "a.due_on",
                OPEN_ASSIGNMENT,
            ),
            (
                "follow_up f JOIN dossier d ON d.id = f.dossier_id",
                "f.due_on",
                PENDING_FOLLOW_UP,
            ),
        ] {
            let mut q = Sql::new(&format!("SELECT COUNT(CASE WHEN {date} < "));
            q.bind(today)
                .push(" THEN 1 END) AS overdue, COUNT(CASE WHEN ")
                .push(date)
                .push(" >= ")
                .bind(today)
                .push(" THEN 1 END) AS soon FROM ")
                .push(from)
                .push(" WHERE ")
                .push(cond)
                .push(" AND ")
                .push(date)
                .push(" <= ")
                .bind(until)
                .push(" AND ");
            scope_filter(&mut q, scope, "d");
            if let Some(r) = all_sql(&self.db, &q).await?.first() {
                overdue += get::<i64>(r, "overdue")?;
                soon += get::<i64>(r, "soon")?;
            }
        }
        Ok((overdue, soon))
    }
}
