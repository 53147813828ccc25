//! The header part of a dossier — the dossier row with the source, the adults (parents)
//! and the follow-ups — planned (changes, conflict) and written as one part.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use vigie_domain::Adult;
use vigie_domain::dossier::history::{diff, header_fields};

use super::revision::last_change;
use super::update::{Update, field_list};
use super::{AdultRecord, DossierEdit, FieldChange, Part, PartConflict, PartRef};
use crate::audit::Actor;
use crate::columns::{adult_vals, follow_up_vals, header_set_list, header_vals, source_vals};
use crate::sql::{exec, get, one};
use crate::{Result, StoreError, vals};

/// How the history and a conflict name the header part.
const HEADER_LABEL: &str = "En-tête, signalant, parents, exposé et suites";

/// Writes the header part: dossier row, source, adults (kept by id), follow-ups.
/// Returns the adult id of each `input.adults`.
pub(super) async fn write_header(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &Actor,
    id: i64,
    e: &DossierEdit,
    stored_adults: &[AdultRecord],
) -> Result<Vec<i64>> {
    let h = &e.input.header;
    let mut v = header_vals(h);
    v.extend(vals![e.direct.map(|d| d.code()), actor.user_id, now, id]);
    exec(
        txn,
        &format!(
            "UPDATE dossier SET {}, direct_conclusion = $13, version = version + 1, updated_by = $14,
             updated_at = $15 WHERE id = $16",
            header_set_list()
        ),
        v,
    )
    .await?;
    let s = &e.input.source;
    exec(
        txn,
        "DELETE FROM dossier_source WHERE dossier_id = $1",
        vals![id],
    )
    .await?;
    let mut v = vals![id];
    v.extend(source_vals(s));
    exec(
        txn,
        "INSERT INTO dossier_source (dossier_id, category_id, confidentiality, name, organisation, addr_number, addr_street,
            addr_complement, addr_postal_code, addr_insee, addr_city, email, phone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        v,
    )
    .await?;
    let kept: HashSet<i64> = e.adult_ids.iter().flatten().copied().collect();
    for a in stored_adults.iter().filter(|a| !kept.contains(&a.id)) {
        exec(txn, "DELETE FROM adult WHERE id = $1", vals![a.id]).await?;
    }
    let mut ids = Vec::with_capacity(e.input.adults.len());
    for (pos, (a, aid)) in e.input.adults.iter().zip(&e.adult_ids).enumerate() {
        let mut v = vals![pos as i64];
        v.extend(adult_vals(a));
        match aid.filter(|x| stored_adults.iter().any(|s| s.id == *x)) {
            Some(aid) => {
                v.push(aid.into());
                exec(
                    txn,
                    "UPDATE adult SET position = $1, civility_id = $2, birth_name = $3, usage_name = $4, first_names = $5,
                     addr_number = $6, addr_street = $7, addr_complement = $8, addr_postal_code = $9, addr_insee = $10,
                     addr_city = $11, phone = $12, email = $13, version = version + 1 WHERE id = $14",
                    v,
                )
                .await?;
                crate::name_keys::write_adult_keys(txn, aid, a).await?;
                ids.push(aid);
            }
            None => {
                v.insert(0, id.into());
                let r = one(
                    txn,
                    "INSERT INTO adult (dossier_id, position, civility_id, birth_name, usage_name, first_names, addr_number,
                     addr_street, addr_complement, addr_postal_code, addr_insee, addr_city, phone, email)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
                    v,
                )
                .await?
                .ok_or(StoreError::NotFound)?;
                let aid = get(&r, "id")?;
                crate::name_keys::write_adult_keys(txn, aid, a).await?;
                ids.push(aid);
            }
        }
    }
    exec(
        txn,
        "DELETE FROM follow_up WHERE dossier_id = $1",
        vals![id],
    )
    .await?;
    for f in &e.input.follow_ups {
        exec(
            txn,
            "INSERT INTO follow_up (dossier_id, kind, done_at, not_done_reason, due_on) VALUES ($1, $2, $3, $4, $5)",
            follow_up_vals(id, f),
        )
        .await?;
    }
    Ok(ids)
}

impl Update<'_> {
    /// The header's changes and whether it is written (a new or removed adult counts even
    /// without another change); a stale header is a conflict.
    pub(super) async fn plan_header(&mut self, head: PartRef) -> Result<(Vec<FieldChange>, bool)> {
        let (e, rec, x) = (self.e, self.rec, self.x);
        let input = &e.input;
        let stored_adults: Vec<Adult> = rec.adults.iter().map(|a| a.data.clone()).collect();
        let header_changes = if head.touched {
            diff(
                &header_fields(x, &rec.header, &rec.source, &stored_adults, &rec.follow_ups),
                &header_fields(
                    x,
                    &input.header,
                    &input.source,
                    &input.adults,
                    &input.follow_ups,
                ),
            )
        } else {
            vec![]
        };
        // Adults are part of the header; a new adult without other header change still counts.
        let adults_changed = head.touched
            && (e.adult_ids.iter().any(Option::is_none)
                || rec
                    .adults
                    .iter()
                    .any(|a| !e.adult_ids.contains(&Some(a.id))));
        let header_write = !header_changes.is_empty() || adults_changed;
        if header_write && head.version != rec.version {
            let (by, at) = last_change(self.txn, rec.id, Part::Header, None, x.users).await?;
            self.conflicts.push(PartConflict {
                part: Part::Header,
                index: None,
                part_label: HEADER_LABEL.into(),
                removed: false,
                changes: header_changes.clone(),
                by,
                at,
                current_version: rec.version,
            });
        }
        Ok((header_changes, header_write))
    }

    /// Writes the header part when it changed (`header_write`), with its revision. Returns
    /// the adult id of each `input.adults`.
    pub(super) async fn write_header_part(
        &mut self,
        header_write: bool,
        header_changes: &[FieldChange],
    ) -> Result<Vec<i64>> {
        let (e, rec) = (self.e, self.rec);
        if !header_write {
            // The adults as stored, in the order of this edit.
            return Ok(e.adult_ids.iter().map(|a| a.unwrap_or_default()).collect());
        }
        let ids = write_header(self.txn, self.now, self.actor, rec.id, e, &rec.adults).await?;
        let reason = e.status_reason.as_deref().filter(|r| !r.trim().is_empty());
        self.revision(
            Part::Header,
            None,
            HEADER_LABEL,
            rec.version + 1,
            reason,
            header_changes,
        )
        .await?;
        self.fields_audit
            .push(format!("entete:{}", field_list(header_changes)));
        Ok(ids)
    }
}
