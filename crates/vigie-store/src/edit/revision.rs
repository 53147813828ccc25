//! Revisions: each saved change of a part is written with who, when, and the changed
//! fields; who last changed a part (for a conflict); the history of a dossier.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use vigie_domain::Scope;

use super::{FieldChange, Part, Revision};
use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::sql::{all, get, one};
use crate::{Result, StoreError, vals};

pub(super) fn user_names(users: &[crate::users::User]) -> HashMap<i64, String> {
    users
        .iter()
        .map(|u| (u.id, u.display_name.clone()))
        .collect()
}

/// Who last changed a part, and when (from its revisions).
pub(super) async fn last_change(
    c: &impl ConnectionTrait,
    dossier_id: i64,
    part: Part,
    part_id: Option<i64>,
    users: &HashMap<i64, String>,
) -> Result<(Option<String>, Option<DateTime<Utc>>)> {
    let r = one(
        c,
        "SELECT user_id, at FROM revision WHERE dossier_id = $1 AND part = $2 AND (part_id = $3 OR ($3 IS NULL AND part_id IS NULL))
         ORDER BY id DESC LIMIT 1",
        vals![dossier_id, part.code(), part_id],
    )
    .await?;
    Ok(match r {
        Some(r) => {
            let u: Option<i64> = get(&r, "user_id")?;
            (u.and_then(|u| users.get(&u).cloned()), Some(get(&r, "at")?))
        }
        None => (None, None),
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn write_revision(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &Actor,
    dossier_id: i64,
    part: Part,
    part_id: Option<i64>,
    part_label: &str,
    version: i64,
    reason: Option<&str>,
    changes: &[FieldChange],
) -> Result<i64> {
    let json = serde_json::to_string(changes)
        .map_err(|e| StoreError::Config(format!("révision illisible : {e}")))?;
    let r = one(
        txn,
        "INSERT INTO revision (dossier_id, part, part_id, part_label, version, at, user_id, reason, changes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        vals![
            dossier_id,
            part.code(),
            part_id,
            part_label.to_owned(),
            version,
            now,
            actor.user_id,
            reason.map(str::to_owned),
            json
        ],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    get(&r, "id")
}

impl Store {
    /// The history of a dossier, newest first; the consultation is audited.
    pub async fn dossier_history(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        id: i64,
    ) -> Result<Vec<Revision>> {
        let txn = self.write().await?;
        if let Err(err) = crate::dossiers::load_header(&txn, scope, id).await {
            if matches!(err, StoreError::NotFound) {
                self.append(
                    &txn,
                    now,
                    actor,
                    Event::new("dossier.historique_refuse").on("dossier", id),
                )
                .await?;
                txn.commit().await?;
            }
            return Err(err);
        }
        let rows = all(
            &txn,
            "SELECT r.*, u.display_name FROM revision r LEFT JOIN app_user u ON u.id = r.user_id
             WHERE r.dossier_id = $1 ORDER BY r.id DESC",
            vals![id],
        )
        .await?;
        let out = rows
            .iter()
            .map(|r| {
                let part: String = get(r, "part")?;
                let changes: String = get(r, "changes")?;
                Ok(Revision {
                    id: get(r, "id")?,
                    part: Part::parse(&part).unwrap_or(Part::Header),
                    part_id: get(r, "part_id")?,
                    part_label: get(r, "part_label")?,
                    version: get(r, "version")?,
                    at: get(r, "at")?,
                    user_name: get(r, "display_name")?,
                    reason: get(r, "reason")?,
                    changes: serde_json::from_str(&changes).unwrap_or_default(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("dossier.historique").on("dossier", id),
        )
        .await?;
        txn.commit().await?;
        Ok(out)
    }
}
