//! The children of a dossier, each its own part: planned (changes, conflicts, removals)
//! and written with its links to adults, its presumed authors and its motifs.

use std::collections::HashSet;

use sea_orm::DatabaseTransaction;
use vigie_domain::dossier::history::{Fields, adult_name, child_fields, diff, person_name};
use vigie_domain::{ChildInput, DomainError};

use super::person::write_person;
use super::revision::last_change;
use super::update::{Update, field_list};
use super::{ChildRecord, DossierEdit, DossierRecord, FieldChange, Part, PartConflict};
use crate::audit::Event;
use crate::columns::child_vals;
use crate::sql::{exec, get, one};
use crate::{Result, StoreError, vals};

/// What the save does with one child of the edit.
pub(super) struct ChildPlan {
    index: usize,
    /// Index in the stored dossier's children, `None` for a new child.
    stored: Option<usize>,
    changes: Vec<FieldChange>,
}

impl ChildPlan {
    /// A stored child left as it was.
    pub(super) fn unchanged(&self) -> bool {
        self.stored.is_some() && self.changes.is_empty()
    }
}

/// Names of adults for child links: the typed ones, by index.
fn typed_name(e: &DossierEdit, ix: i64) -> String {
    usize::try_from(ix)
        .ok()
        .and_then(|i| e.input.adults.get(i))
        .map(adult_name)
        .unwrap_or_default()
}

/// A stored adult id maps to the index it has in this edit (so a renamed parent is not a
/// change of the child).
fn stored_name(e: &DossierEdit, rec: &DossierRecord, aid: i64) -> String {
    match e.adult_ids.iter().position(|a| *a == Some(aid)) {
        Some(i) => adult_name(&e.input.adults[i]),
        None => rec
            .adults
            .iter()
            .find(|a| a.id == aid)
            .map(|a| adult_name(&a.data))
            .unwrap_or_default(),
    }
}

/// Inserts (`child_id` None) or rewrites one child and its links, authors and motifs.
#[allow(clippy::too_many_arguments)]
pub(super) async fn write_child(
    txn: &DatabaseTransaction,
    dossier_id: i64,
    position: i64,
    child_id: Option<i64>,
    person_id: i64,
    c: &ChildInput,
    adult_ids: &[i64],
) -> Result<i64> {
    let mut v = vals![person_id, position];
    v.extend(child_vals(c));
    let cid = match child_id {
        Some(cid) => {
            v.push(cid.into());
            exec(
                txn,
                "UPDATE dossier_child SET person_id = $1, position = $2, addr_number = $3, addr_street = $4, addr_complement = $5,
                 addr_postal_code = $6, addr_insee = $7, addr_city = $8, csp_father_id = $9, csp_mother_id = $10, lieu_de_vie_id = $11,
                 comment = $12, evaluation_result_id = $13, conclusion_id = $14, conclusion_on = $15, conclusion_comment = $16,
                 version = version + 1 WHERE id = $17",
                v,
            )
            .await?;
            for t in ["child_adult", "child_author", "child_motif"] {
                exec(
                    txn,
                    &format!("DELETE FROM {t} WHERE child_id = $1"),
                    vals![cid],
                )
                .await?;
            }
            cid
        }
        None => {
            v.insert(0, dossier_id.into());
            let r = one(
                txn,
                "INSERT INTO dossier_child (dossier_id, person_id, position, addr_number, addr_street, addr_complement, addr_postal_code,
                 addr_insee, addr_city, csp_father_id, csp_mother_id, lieu_de_vie_id, comment, evaluation_result_id, conclusion_id,
                 conclusion_on, conclusion_comment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                 RETURNING id",
                v,
            )
            .await
            .map_err(|e| {
                if e.is_unique_violation() {
                    DomainError::field(
                        "children",
                        vigie_domain::labels::CHILD,
                        "cet enfant figure deux fois dans le dossier.",
                    )
                    .into()
                } else {
                    e
                }
            })?
            .ok_or(StoreError::NotFound)?;
            get(&r, "id")?
        }
    };
    let adult = |ix: i64| {
        usize::try_from(ix)
            .ok()
            .and_then(|i| adult_ids.get(i).copied())
    };
    let mut seen = HashSet::new();
    for l in &c.adults {
        if let Some(a) = adult(l.adult)
            && seen.insert(a)
        {
            exec(
                txn,
                "INSERT INTO child_adult (child_id, adult_id, link_id, parental_authority) VALUES ($1, $2, $3, $4)",
                vals![cid, a, l.link_id, l.parental_authority],
            )
            .await?;
        }
    }
    for au in &c.authors {
        exec(
            txn,
            "INSERT INTO child_author (child_id, adult_id, third_party_name, link_id) VALUES ($1, $2, $3, $4)",
            vals![
                cid,
                au.adult.and_then(adult),
                au.third_party_name.clone(),
                au.link_id
            ],
        )
        .await?;
    }
    let mut m = c.motif_ids.clone();
    m.sort_unstable();
    m.dedup();
    for motif in m {
        exec(
            txn,
            "INSERT INTO child_motif (child_id, motif_id) VALUES ($1, $2)",
            vals![cid, motif],
        )
        .await?;
    }
    Ok(cid)
}

impl Update<'_> {
    /// Each child's changes; a stale or removed child, or a stale child to remove, is a
    /// conflict.
    pub(super) async fn plan_children(&mut self) -> Result<Vec<ChildPlan>> {
        let (e, rec, x) = (self.e, self.rec, self.x);
        let id = rec.id;
        let typed = |ix: i64| typed_name(e, ix);
        let stored = |aid: i64| stored_name(e, rec, aid);
        let mut child_plans = Vec::new();
        for (i, (c, r)) in e.input.children.iter().zip(&e.children).enumerate() {
            match r {
                None => child_plans.push(ChildPlan {
                    index: i,
                    stored: None,
                    changes: diff(&Fields::new(), &child_fields(x, c, &typed)),
                }),
                Some(r) => {
                    let Some(si) = rec.children.iter().position(|s| s.id == r.id) else {
                        if r.touched {
                            let part_label = format!("Enfant : {}", person_name(&c.person));
                            let by = last_change(self.txn, id, Part::Child, Some(r.id), x.users)
                                .await?
                                .0;
                            self.conflicts.push(PartConflict {
                                part: Part::Child,
                                index: Some(i),
                                part_label,
                                removed: true,
                                changes: vec![],
                                by,
                                at: None,
                                current_version: 0,
                            });
                        }
                        continue;
                    };
                    let s: &ChildRecord = &rec.children[si];
                    // Position changes alone are not a change of the child.
                    let changes = if r.touched {
                        diff(
                            &child_fields(x, &s.data, &stored),
                            &child_fields(x, c, &typed),
                        )
                    } else {
                        vec![]
                    };
                    if !changes.is_empty() && r.version != s.version {
                        let (by, at) =
                            last_change(self.txn, id, Part::Child, Some(s.id), x.users).await?;
                        self.conflicts.push(PartConflict {
                            part: Part::Child,
                            index: Some(i),
                            part_label: format!("Enfant : {}", person_name(&s.data.person)),
                            removed: false,
                            changes: changes.clone(),
                            by,
                            at,
                            current_version: s.version,
                        });
                    }
                    child_plans.push(ChildPlan {
                        index: i,
                        stored: Some(si),
                        changes,
                    });
                }
            }
        }
        for r in &e.removed_children {
            if let Some(s) = rec.children.iter().find(|s| s.id == r.id)
                && s.version != r.version
            {
                let (by, at) = last_change(self.txn, id, Part::Child, Some(s.id), x.users).await?;
                self.conflicts.push(PartConflict {
                    part: Part::Child,
                    index: None,
                    part_label: format!(
                        "Enfant à retirer : {} (modifié entre-temps)",
                        person_name(&s.data.person)
                    ),
                    removed: false,
                    changes: vec![],
                    by,
                    at,
                    current_version: s.version,
                });
            }
        }
        Ok(child_plans)
    }

    /// Deletes the children the editor removed, each with its revision.
    pub(super) async fn remove_children(&mut self) -> Result<()> {
        let (e, rec, x) = (self.e, self.rec, self.x);
        let stored = |aid: i64| stored_name(e, rec, aid);
        for r in &e.removed_children {
            if let Some(s) = rec.children.iter().find(|s| s.id == r.id) {
                exec(
                    self.txn,
                    "DELETE FROM dossier_child WHERE id = $1",
                    vals![s.id],
                )
                .await?;
                let label = format!("Enfant retiré : {}", person_name(&s.data.person));
                let changes = diff(&child_fields(x, &s.data, &stored), &Fields::new());
                self.revision(
                    Part::Child,
                    Some(s.id),
                    &label,
                    s.version + 1,
                    None,
                    &changes,
                )
                .await?;
                self.fields_audit.push(format!("enfant#{}:retrait", s.id));
            }
        }
        Ok(())
    }

    /// Writes each planned child (`adult_ids`: the adult id of each `input.adults`).
    pub(super) async fn write_children(
        &mut self,
        plans: &[ChildPlan],
        adult_ids: &[i64],
    ) -> Result<()> {
        let (e, rec) = (self.e, self.rec);
        let removed: HashSet<i64> = e.removed_children.iter().map(|r| r.id).collect();
        for plan in plans {
            match plan.stored {
                Some(si) => {
                    let s = &rec.children[si];
                    if removed.contains(&s.id) {
                        continue;
                    }
                    self.write_stored_child(plan, s, adult_ids).await?;
                }
                None => self.write_new_child(plan, adult_ids).await?,
            }
        }
        Ok(())
    }

    /// A stored child: moved only, or rewritten with its person (same, relinked, unlinked).
    async fn write_stored_child(
        &mut self,
        plan: &ChildPlan,
        s: &ChildRecord,
        adult_ids: &[i64],
    ) -> Result<()> {
        let (e, id) = (self.e, self.rec.id);
        let c = &e.input.children[plan.index];
        let position = plan.index as i64;
        if plan.changes.is_empty() {
            exec(
                self.txn,
                "UPDATE dossier_child SET position = $1 WHERE id = $2",
                vals![position, s.id],
            )
            .await?;
            return Ok(());
        }
        let identity_changed = plan.changes.iter().any(|f| {
            matches!(
                f.field.as_str(),
                "sex" | "birth_name" | "usage_name" | "first_names" | "birth_date"
            )
        });
        let pid = match c.person_id {
            // Same person: its identity is updated if it changed.
            Some(p) if p == s.person_id => {
                if identity_changed {
                    write_person(self.txn, self.now, Some(p), &c.person).await?;
                }
                p
            }
            // Linked to another known person.
            Some(p) => {
                self.store
                    .append(
                        self.txn,
                        self.now,
                        self.actor,
                        Event::new("personne.liaison")
                            .on("dossier", id)
                            .detail(format!("enfant={};personne={p}", s.id)),
                    )
                    .await?;
                p
            }
            // Unlinked: a new person with the typed identity.
            None => {
                let p = write_person(self.txn, self.now, None, &c.person).await?;
                self.store
                    .append(
                        self.txn,
                        self.now,
                        self.actor,
                        Event::new("personne.deliaison")
                            .on("dossier", id)
                            .detail(format!("enfant={};personne={}", s.id, s.person_id)),
                    )
                    .await?;
                p
            }
        };
        write_child(self.txn, id, position, Some(s.id), pid, c, adult_ids).await?;
        let label = format!("Enfant : {}", person_name(&c.person));
        self.revision(
            Part::Child,
            Some(s.id),
            &label,
            s.version + 1,
            None,
            &plan.changes,
        )
        .await?;
        self.fields_audit
            .push(format!("enfant#{}:{}", s.id, field_list(&plan.changes)));
        Ok(())
    }

    /// A new child, of a known person (which must exist) or of a new one.
    async fn write_new_child(&mut self, plan: &ChildPlan, adult_ids: &[i64]) -> Result<()> {
        let (e, id) = (self.e, self.rec.id);
        let c = &e.input.children[plan.index];
        let position = plan.index as i64;
        let pid = match c.person_id {
            Some(p) => {
                let exists = one(self.txn, "SELECT id FROM person WHERE id = $1", vals![p])
                    .await?
                    .is_some();
                if !exists {
                    return Err(DomainError::field(
                        &format!("children[{}].person_id", plan.index),
                        vigie_domain::labels::PERSON,
                        "la personne liée n'existe pas.",
                    )
                    .into());
                }
                p
            }
            None => write_person(self.txn, self.now, None, &c.person).await?,
        };
        let cid = write_child(self.txn, id, position, None, pid, c, adult_ids).await?;
        if c.person_id.is_some() {
            self.store
                .append(
                    self.txn,
                    self.now,
                    self.actor,
                    Event::new("personne.liaison")
                        .on("dossier", id)
                        .detail(format!("enfant={cid};personne={pid}")),
                )
                .await?;
        }
        let label = format!("Enfant ajouté : {}", person_name(&c.person));
        self.revision(Part::Child, Some(cid), &label, 1, None, &plan.changes)
            .await?;
        self.fields_audit.push(format!("enfant#{cid}:ajout"));
        Ok(())
    }
}
