//! Updating a stored dossier, part by part: every part is planned first (its changes, and a
//! conflict when another agent saved it since the editor read it); with no conflict, each
//! changed part is written with its revision, the status rules are checked on the dossier as
//! it now is, and one audit entry names the revisions and the fields.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;

use super::assignment::AssignmentPlan;
use super::check_status_change;
use super::child::ChildPlan;
use super::revision::write_revision;
use super::{Ctx, DossierEdit, DossierRecord, FieldChange, Part, PartConflict, Saved};
use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::dossiers::load_dossier;
use crate::sql::exec;
use crate::stats::counter;
use crate::{Result, StoreError, vals};
use vigie_domain::Scope;

/// One update of a stored dossier: what each part's planner and writer reads, and what they
/// produce (conflicts, revisions, the fields named in the audit entry).
pub(super) struct Update<'a> {
    pub store: &'a Store,
    pub txn: &'a DatabaseTransaction,
    pub now: DateTime<Utc>,
    pub actor: &'a Actor,
    pub e: &'a DossierEdit,
    pub x: &'a Ctx<'a>,
    /// The dossier as stored before this save.
    pub rec: &'a DossierRecord,
    pub conflicts: Vec<PartConflict>,
    pub revisions: Vec<i64>,
    pub fields_audit: Vec<String>,
}

/// The changed fields' keys, as the audit entry names them (`a+b+c`).
pub(super) fn field_list(changes: &[FieldChange]) -> String {
    changes
        .iter()
        .map(|c| c.field.as_str())
        .collect::<Vec<_>>()
        .join("+")
}

impl Update<'_> {
    /// Writes a revision of a part of this dossier and keeps its id.
    pub(super) async fn revision(
        &mut self,
        part: Part,
        part_id: Option<i64>,
        label: &str,
        version: i64,
        reason: Option<&str>,
        changes: &[FieldChange],
    ) -> Result<i64> {
        let r = write_revision(
            self.txn,
            self.now,
            self.actor,
            self.rec.id,
            part,
            part_id,
            label,
            version,
            reason,
            changes,
        )
        .await?;
        self.revisions.push(r);
        Ok(r)
    }
}

/// The header's fields no counter reads (free texts): a save that changes only these, and
/// no child, assignment or person link, leaves the statistics' counters as they are. Any
/// other field, including one added later, counts again (the safe default).
const UNCOUNTED_FIELDS: &[&str] = &["observation", "expose"];

/// Whether the save keeps the header's counted fields, the children's persons and every
/// stored child and assignment (none removed).
fn counted_unchanged(e: &DossierEdit, rec: &DossierRecord, header: &[FieldChange]) -> bool {
    let same_persons = rec.children.len() == e.input.children.len()
        && rec
            .children
            .iter()
            .zip(&e.input.children)
            .all(|(r, c)| c.person_id == Some(r.person_id));
    header
        .iter()
        .all(|c| UNCOUNTED_FIELDS.contains(&c.field.as_str()))
        && same_persons
        && e.removed_children.is_empty()
        && e.removed_assignments.is_empty()
}

impl Store {
    /// Saves an edit of the stored dossier `rec` (already checked by `save_dossier`).
    pub(super) async fn update_in(
        &self,
        txn: DatabaseTransaction,
        now: DateTime<Utc>,
        actor: &Actor,
        e: &DossierEdit,
        x: &Ctx<'_>,
        rec: DossierRecord,
    ) -> Result<Saved> {
        let input = &e.input;
        let id = rec.id;
        let head = e.dossier.ok_or(StoreError::NotFound)?;
        let mut u = Update {
            store: self,
            txn: &txn,
            now,
            actor,
            e,
            x,
            rec: &rec,
            conflicts: Vec::new(),
            revisions: Vec::new(),
            fields_audit: Vec::new(),
        };
        // Plan every part: its changes, or a conflict.
        let (header_changes, header_write) = u.plan_header(head).await?;
        let child_plans = u.plan_children().await?;
        let assignment_plans = u.plan_assignments().await?;
        if !u.conflicts.is_empty() {
            return Err(StoreError::Conflicts(u.conflicts));
        }
        // What this dossier and those sharing a person with it (before or after) count now,
        // unless the save changes nothing a counter reads.
        let uncounted = counted_unchanged(e, &rec, &header_changes)
            && child_plans.iter().all(ChildPlan::unchanged)
            && assignment_plans.iter().all(AssignmentPlan::unchanged);
        let counted = if uncounted {
            None
        } else {
            let persons: Vec<i64> = rec
                .children
                .iter()
                .map(|c| c.person_id)
                .chain(input.children.iter().filter_map(|c| c.person_id))
                .collect();
            let related = counter::related(&txn, Some(id), &persons).await?;
            Some(counter::before(&txn, self.tz, related).await?)
        };

        // Write.
        let adult_ids = u.write_header_part(header_write, &header_changes).await?;
        u.remove_children().await?;
        u.write_children(&child_plans, &adult_ids).await?;
        u.remove_assignments().await?;
        u.write_assignments(&assignment_plans).await?;
        let Update {
            revisions,
            fields_audit,
            ..
        } = u;

        // The status rules, on the dossier as it now is.
        if header_write && input.header.status != rec.header.status {
            let after = load_dossier(&txn, &Scope::All, id).await?;
            check_status_change(x, &after, rec.header.status, e)?;
            crate::milestones::record_change(&txn, id, rec.header.status, input.header.status, now)
                .await?;
        }
        if revisions.is_empty() {
            // Nothing changed: no write, no audit of a change (the transaction is dropped).
            return Ok(Saved {
                id,
                number: rec.number,
                revisions,
            });
        }
        if !header_write {
            // Any change of a part is a change of the dossier: keep `updated_*` current
            // without touching the header's version.
            exec(
                &txn,
                "UPDATE dossier SET updated_by = $1, updated_at = $2 WHERE id = $3",
                vals![actor.user_id, now, id],
            )
            .await?;
        }
        if let Some(counted) = counted {
            counter::refresh(&txn, self.tz, counted, &[]).await?;
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("dossier.modification")
                .on("dossier", id)
                .detail(format!(
                    "revisions={};champs={}",
                    revisions
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    fields_audit.join(",")
                )),
        )
        .await?;
        txn.commit().await?;
        Ok(Saved {
            id,
            number: rec.number,
            revisions,
        })
    }
}
