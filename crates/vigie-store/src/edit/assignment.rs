//! The assignments of a dossier (traitement de l'information), each its own part: planned
//! (changes, conflicts, removals) and written with its evaluators.

use std::collections::HashSet;

use sea_orm::DatabaseTransaction;
use vigie_domain::AssignmentInput;
use vigie_domain::dossier::history::{Fields, assignment_fields, diff};

use super::revision::last_change;
use super::update::{Update, field_list};
use super::{Ctx, FieldChange, Part, PartConflict};
use crate::columns::assignment_vals;
use crate::sql::exec;
use crate::{Result, StoreError, vals};

/// What the save does with one assignment of the edit.
pub(super) struct AssignmentPlan {
    index: usize,
    stored_id: Option<i64>,
    /// The version it will have once written.
    version: i64,
    changes: Vec<FieldChange>,
}

impl AssignmentPlan {
    /// A stored assignment left as it was.
    pub(super) fn unchanged(&self) -> bool {
        self.stored_id.is_some() && self.changes.is_empty()
    }
}

/// The label of an assignment's service (empty if unknown).
fn service_label<'a>(x: &'a Ctx<'_>, service_id: i64) -> &'a str {
    x.cat
        .service(service_id)
        .map(|s| s.label.as_str())
        .unwrap_or("")
}

pub(super) async fn write_assignment(
    txn: &DatabaseTransaction,
    dossier_id: i64,
    id: Option<i64>,
    a: &AssignmentInput,
) -> Result<i64> {
    let aid = match id {
        Some(aid) => {
            exec(
                txn,
                "UPDATE assignment SET service_id = $1, asked_on = $2, due_on = $3, returned_on = $4, result_id = $5, cancelled = $6,
                 comment = $7, version = version + 1 WHERE id = $8",
                assignment_vals(a).into_iter().chain(vals![aid]).collect(),
            )
            .await?;
            exec(
                txn,
                "DELETE FROM assignment_evaluator WHERE assignment_id = $1",
                vals![aid],
            )
            .await?;
            for (pos, name) in a.evaluators.iter().enumerate() {
                exec(
                    txn,
                    "INSERT INTO assignment_evaluator (assignment_id, position, name) VALUES ($1, $2, $3)",
                    vals![aid, pos as i64, name.clone()],
                )
                .await?;
            }
            aid
        }
        None => crate::bulk::insert_assignments(txn, &[(dossier_id, a)])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?,
    };
    Ok(aid)
}

impl Update<'_> {
    /// Each assignment's changes; a stale or removed assignment, or a stale assignment to
    /// remove, is a conflict.
    pub(super) async fn plan_assignments(&mut self) -> Result<Vec<AssignmentPlan>> {
        let (e, rec, x) = (self.e, self.rec, self.x);
        let id = rec.id;
        let mut assignment_plans = Vec::new();
        for (i, (a, r)) in e.input.assignments.iter().zip(&e.assignments).enumerate() {
            let label = format!("Affectation : {}", service_label(x, a.service_id));
            match r {
                None => assignment_plans.push(AssignmentPlan {
                    index: i,
                    stored_id: None,
                    version: 1,
                    changes: diff(&Fields::new(), &assignment_fields(x, a)),
                }),
                Some(r) => {
                    let Some(s) = rec.assignments.iter().find(|s| s.id == r.id) else {
                        if r.touched {
                            self.conflicts.push(PartConflict {
                                part: Part::Assignment,
                                index: Some(i),
                                part_label: label,
                                removed: true,
                                changes: vec![],
                                by: None,
                                at: None,
                                current_version: 0,
                            });
                        }
                        continue;
                    };
                    let changes = if r.touched {
                        diff(&assignment_fields(x, &s.data), &assignment_fields(x, a))
                    } else {
                        vec![]
                    };
                    if !changes.is_empty() && r.version != s.version {
                        let (by, at) =
                            last_change(self.txn, id, Part::Assignment, Some(s.id), x.users)
                                .await?;
                        self.conflicts.push(PartConflict {
                            part: Part::Assignment,
                            index: Some(i),
                            part_label: label,
                            removed: false,
                            changes: changes.clone(),
                            by,
                            at,
                            current_version: s.version,
                        });
                    }
                    assignment_plans.push(AssignmentPlan {
                        index: i,
                        stored_id: Some(s.id),
                        version: s.version + 1,
                        changes,
                    });
                }
            }
        }
        for r in &e.removed_assignments {
            if let Some(s) = rec.assignments.iter().find(|s| s.id == r.id)
                && s.version != r.version
            {
                let (by, at) =
                    last_change(self.txn, id, Part::Assignment, Some(s.id), x.users).await?;
                self.conflicts.push(PartConflict {
                    part: Part::Assignment,
                    index: None,
                    part_label: "Affectation à retirer (modifiée entre-temps)".into(),
                    removed: false,
                    changes: vec![],
                    by,
                    at,
                    current_version: s.version,
                });
            }
        }
        Ok(assignment_plans)
    }

    /// Deletes the assignments the editor removed, each with its revision.
    pub(super) async fn remove_assignments(&mut self) -> Result<()> {
        let (e, rec, x) = (self.e, self.rec, self.x);
        for r in &e.removed_assignments {
            if let Some(s) = rec.assignments.iter().find(|s| s.id == r.id) {
                exec(
                    self.txn,
                    "DELETE FROM assignment WHERE id = $1",
                    vals![s.id],
                )
                .await?;
                let label = format!(
                    "Affectation retirée : {}",
                    service_label(x, s.data.service_id)
                );
                let changes = diff(&assignment_fields(x, &s.data), &Fields::new());
                self.revision(
                    Part::Assignment,
                    Some(s.id),
                    &label,
                    s.version + 1,
                    None,
                    &changes,
                )
                .await?;
                self.fields_audit
                    .push(format!("affectation#{}:retrait", s.id));
            }
        }
        Ok(())
    }

    /// Writes each changed assignment (not removed), with its revision.
    pub(super) async fn write_assignments(&mut self, plans: &[AssignmentPlan]) -> Result<()> {
        let (e, x) = (self.e, self.x);
        let id = self.rec.id;
        let removed_a: HashSet<i64> = e.removed_assignments.iter().map(|r| r.id).collect();
        for plan in plans {
            if plan.changes.is_empty() || plan.stored_id.is_some_and(|s| removed_a.contains(&s)) {
                continue;
            }
            let a = &e.input.assignments[plan.index];
            let aid = write_assignment(self.txn, id, plan.stored_id, a).await?;
            let label = format!(
                "{} : {}",
                if plan.stored_id.is_some() {
                    "Affectation"
                } else {
                    "Affectation ajoutée"
                },
                service_label(x, a.service_id)
            );
            self.revision(
                Part::Assignment,
                Some(aid),
                &label,
                plan.version,
                None,
                &plan.changes,
            )
            .await?;
            self.fields_audit
                .push(format!("affectation#{aid}:{}", field_list(&plan.changes)));
        }
        Ok(())
    }
}
