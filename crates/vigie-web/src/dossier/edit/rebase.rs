//! After a conflict: each conflicting part starts again from what is stored, so that
//! saving again deliberately applies the typed values.

use vigie_domain::dossier::{DossierRecord, Part, PartConflict};

use crate::dossier::form::{Converted, DossierForm};

/// After a conflict: each conflicting part now starts from what is stored (its current
/// version and fingerprint), so that saving again deliberately applies the typed values.
pub(super) fn rebase(
    form: &mut DossierForm,
    conv: &Converted,
    conflicts: &[PartConflict],
    rec: &DossierRecord,
    tz: chrono_tz::Tz,
) {
    let stored = DossierForm::from_record(rec, tz);
    for c in conflicts {
        match (c.part, c.index) {
            (Part::Header, _) => {
                form.version = stored.version.clone();
                form.base = stored.base.clone();
            }
            (Part::Child, Some(i)) => {
                let Some(row) = conv
                    .child_rows
                    .get(i)
                    .and_then(|r| form.children.get_mut(*r))
                else {
                    continue;
                };
                let now = stored
                    .children
                    .iter()
                    .find(|s| s.id == row.id)
                    .map(|s| (&s.version, &s.base));
                rebase_row(&mut row.id, &mut row.version, &mut row.base, now, c.removed);
            }
            (Part::Assignment, Some(i)) => {
                let Some(row) = conv
                    .assignment_rows
                    .get(i)
                    .and_then(|r| form.assignments.get_mut(*r))
                else {
                    continue;
                };
                let now = stored
                    .assignments
                    .iter()
                    .find(|s| s.id == row.id)
                    .map(|s| (&s.version, &s.base));
                rebase_row(&mut row.id, &mut row.version, &mut row.base, now, c.removed);
            }
            // A part to remove that changed meanwhile: removing it again is deliberate.
            (Part::Child, None) => {
                form.removed_children = rebase_removed(&form.removed_children, |id| {
                    stored
                        .children
                        .iter()
                        .find(|s| s.id == id)
                        .map(|s| s.version.clone())
                });
            }
            (Part::Assignment, None) => {
                form.removed_assignments = rebase_removed(&form.removed_assignments, |id| {
                    stored
                        .assignments
                        .iter()
                        .find(|s| s.id == id)
                        .map(|s| s.version.clone())
                });
            }
        }
    }
}

/// One conflicting child or assignment row: it now starts from the stored version and
/// fingerprint (`now`), or, when the other agent removed it, becomes new again so that
/// saving again recreates it.
fn rebase_row(
    id: &mut String,
    version: &mut String,
    base: &mut String,
    now: Option<(&String, &String)>,
    removed: bool,
) {
    match now {
        Some((v, b)) if !removed => {
            version.clone_from(v);
            base.clone_from(b);
        }
        _ => {
            id.clear();
            version.clear();
            base.clear();
        }
    }
}

fn rebase_removed(list: &[String], current: impl Fn(&str) -> Option<String>) -> Vec<String> {
    list.iter()
        .filter_map(|e| {
            let id = e.split(':').next().unwrap_or_default();
            current(id).map(|v| format!("{id}:{v}"))
        })
        .collect()
}
