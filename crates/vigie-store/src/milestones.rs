//! The dates at which each dossier was qualified, sent to evaluation, concluded and closed
//! (`dossier_milestone`, see `vigie_domain::dossier::milestones`): written by the save that
//! changes the status, in its transaction; filled once by migration 12 for the dossiers
//! stored before.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};
use vigie_domain::dossier::milestones::{Evidence, Milestones};
use vigie_domain::{DossierStatus, ParamKind};

use crate::sql::{Sql, all, all_sql, get};
use crate::{Result, StoreError, vals};

const UPSERT: &str = "INSERT INTO dossier_milestone (dossier_id, qualified_at, evaluation_at, concluded_at, closed_at)";

fn row(id: i64, m: &Milestones) -> Vec<Value> {
    vals![
        id,
        m.qualified_at,
        m.evaluation_at,
        m.concluded_at,
        m.closed_at
    ]
}

/// Writes the milestones of dossier `id` (replacing what was there).
pub(crate) async fn save(txn: &DatabaseTransaction, id: i64, m: &Milestones) -> Result<()> {
    let mut q = Sql::new(UPSERT);
    q.push(" VALUES ").rows([row(id, m)]).push(
        " ON CONFLICT (dossier_id) DO UPDATE SET qualified_at = excluded.qualified_at, evaluation_at = excluded.evaluation_at, concluded_at = excluded.concluded_at, closed_at = excluded.closed_at",
    );
    crate::sql::exec_sql(txn, &q).await?;
    Ok(())
}

/// Inserts the milestones of new dossiers (none stored yet); empty ones are left out.
pub(crate) async fn insert_new(
    txn: &DatabaseTransaction,
    rows: &[(i64, Milestones)],
) -> Result<()> {
    let rows: Vec<Vec<Value>> = rows
        .iter()
        .filter(|(_, m)| !m.is_empty())
        .map(|(id, m)| row(*id, m))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    crate::backend::insert_rows(txn, UPSERT, rows).await
}

/// The milestones of dossier `id` (empty when it never left « reçue »).
pub async fn load(c: &impl ConnectionTrait, id: i64) -> Result<Milestones> {
    let rows = all(
        c,
        "SELECT qualified_at, evaluation_at, concluded_at, closed_at FROM dossier_milestone WHERE dossier_id = $1",
        vals![id],
    )
    .await?;
    let Some(r) = rows.first() else {
        return Ok(Milestones::default());
    };
    Ok(Milestones {
        qualified_at: get(r, "qualified_at")?,
        evaluation_at: get(r, "evaluation_at")?,
        concluded_at: get(r, "concluded_at")?,
        closed_at: get(r, "closed_at")?,
    })
}

/// Records a change of status from `from` to `to` at `at` on dossier `id`.
pub(crate) async fn record_change(
    txn: &DatabaseTransaction,
    id: i64,
    from: DossierStatus,
    to: DossierStatus,
    at: DateTime<Utc>,
) -> Result<()> {
    if from == to {
        return Ok(());
    }
    let m = load(txn, id).await?.after_change(from, to, at);
    save(txn, id, &m).await
}

/// The status a label names in a revision: the labels configured now, then the defaults.
async fn status_labels(txn: &DatabaseTransaction) -> Result<HashMap<String, DossierStatus>> {
    let mut map: HashMap<String, DossierStatus> = DossierStatus::ALL
        .into_iter()
        .map(|s| (s.label().to_owned(), s))
        .collect();
    for r in all(
        txn,
        "SELECT code, label FROM param_value WHERE kind = $1",
        vals![ParamKind::Status.code()],
    )
    .await?
    {
        let code: String = get(&r, "code")?;
        if let Some(s) = DossierStatus::parse(&code) {
            map.insert(get(&r, "label")?, s);
        }
    }
    Ok(map)
}

/// The changes of status saved after each dossier's creation: (old, new, when), in order.
async fn changes_of(
    txn: &DatabaseTransaction,
    ids: &[i64],
    labels: &HashMap<String, DossierStatus>,
) -> Result<HashMap<i64, Vec<(DossierStatus, DossierStatus, DateTime<Utc>)>>> {
    let mut q = Sql::new("SELECT dossier_id, at, changes FROM revision WHERE part = ");
    q.bind(vigie_domain::dossier::Part::Header.code())
        .push(" AND version > 1 AND changes LIKE '%\"status\"%' AND dossier_id IN ");
    q.bind_list(ids).push(" ORDER BY dossier_id, id");
    let mut out: HashMap<i64, Vec<_>> = HashMap::new();
    for r in all_sql(txn, &q).await? {
        let changes: String = get(&r, "changes")?;
        let list: Vec<serde_json::Value> = serde_json::from_str(&changes)
            .map_err(|e| StoreError::Config(format!("révision illisible : {e}")))?;
        let status = |c: &serde_json::Value, k: &str| {
            c.get(k)
                .and_then(serde_json::Value::as_str)
                .and_then(|l| labels.get(l).copied())
        };
        for c in list
            .iter()
            .filter(|c| c.get("field").and_then(|f| f.as_str()) == Some("status"))
        {
            if let (Some(old), Some(new)) = (status(c, "old"), status(c, "new")) {
                out.entry(get(&r, "dossier_id")?)
                    .or_default()
                    .push((old, new, get(&r, "at")?));
            }
        }
    }
    Ok(out)
}

/// Fills the milestones of every stored dossier that has none: its status at creation
/// inferred from its data (`Milestones::from_evidence`), then each later change of status
/// its revisions record, at the moment of the save. By batches of 2,000 dossiers.
pub(crate) async fn backfill(txn: &DatabaseTransaction) -> Result<()> {
    let labels = status_labels(txn).await?;
    let mut after = 0i64;
    loop {
        let rows = all(
            txn,
            "SELECT d.id, d.status, d.received_at, d.created_at,
               (SELECT MIN(a.asked_on) FROM assignment a WHERE a.dossier_id = d.id AND a.cancelled = FALSE) AS first_asked,
               (SELECT MAX(c.conclusion_on) FROM dossier_child c WHERE c.dossier_id = d.id) AS last_conclusion,
               (SELECT MAX(f.done_at) FROM follow_up f WHERE f.dossier_id = d.id) AS last_follow_up
             FROM dossier d WHERE d.id > $1
               AND NOT EXISTS (SELECT 1 FROM dossier_milestone m WHERE m.dossier_id = d.id)
             ORDER BY d.id LIMIT 2000",
            vals![after],
        )
        .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = get(last, "id")?;
        let ids: Vec<i64> = rows.iter().map(|r| get(r, "id")).collect::<Result<_>>()?;
        let changes = changes_of(txn, &ids, &labels).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = get(r, "id")?;
            let status: String = get(r, "status")?;
            let current = DossierStatus::parse(&status).unwrap_or(DossierStatus::Recue);
            let saved = changes.get(&id).map(Vec::as_slice).unwrap_or_default();
            let evidence = Evidence {
                status: saved.first().map_or(current, |c| c.0),
                received_at: get(r, "received_at")?,
                first_asked: get::<Option<NaiveDate>>(r, "first_asked")?,
                last_conclusion: get::<Option<NaiveDate>>(r, "last_conclusion")?,
                last_follow_up: get::<Option<DateTime<Utc>>>(r, "last_follow_up")?,
            };
            let mut m = Milestones::from_evidence(&evidence, get(r, "created_at")?);
            for (old, new, at) in saved {
                m = m.after_change(*old, *new, *at);
            }
            out.push((id, m));
        }
        insert_new(txn, &out).await?;
    }
}
