//! How many of each repeated part a dossier may hold. The form, the API, the store and the
//! import all use these constants: one rule, one French message naming the limit.
//!
//! The figures cover the largest fratries a CRIP records (a family of 30 children is
//! already exceptional) with room to spare, and bound the work one request can cause.

use crate::error::Errors;
use crate::model::{DossierInput, FollowUpKind};

/// Children in one dossier (one fratrie).
pub const MAX_CHILDREN: usize = 30;
/// Adults (parents, holders of parental authority) in one dossier.
pub const MAX_ADULTS: usize = 20;
/// Motifs ticked for one child (the motif table holds about forty rows).
pub const MAX_MOTIFS_PER_CHILD: usize = 50;
/// Alleged authors for one child.
pub const MAX_AUTHORS_PER_CHILD: usize = 20;
/// Assignments of the evaluation to services.
pub const MAX_ASSIGNMENTS: usize = 20;
/// Follow-ups of a dossier: there are four kinds, each recorded once; 20 is the ceiling
/// the issue set, kept so that a future kind needs no change here.
pub const MAX_FOLLOW_UPS: usize = 20;
/// Evaluators named on one assignment.
pub const MAX_EVALUATORS: usize = 10;

/// The French message for a part beyond its limit.
pub fn too_many(what: &str, max: usize, n: usize) -> String {
    format!("{n} {what} saisis : {max} au plus sont acceptés par dossier.")
}

/// Records an error for every repeated part beyond its limit, and for a follow-up kind
/// given twice.
pub fn check(input: &DossierInput, e: &mut Errors) {
    let over = |e: &mut Errors, field: &str, label: &str, what: &str, max: usize, n: usize| {
        if n > max {
            e.push(field, label, too_many(what, max, n));
        }
    };
    over(
        e,
        "children",
        "Enfants concernés",
        "enfants",
        MAX_CHILDREN,
        input.children.len(),
    );
    over(
        e,
        "adults",
        "Parents",
        "adultes",
        MAX_ADULTS,
        input.adults.len(),
    );
    over(
        e,
        "assignments",
        "Affectations",
        "affectations",
        MAX_ASSIGNMENTS,
        input.assignments.len(),
    );
    over(
        e,
        "follow_ups",
        "Suites données",
        "suites",
        MAX_FOLLOW_UPS,
        input.follow_ups.len(),
    );
    for (i, c) in input.children.iter().enumerate() {
        if c.motif_ids.len() > MAX_MOTIFS_PER_CHILD {
            e.push(
                format!("children[{i}].motifs"),
                "Motifs",
                format!(
                    "{} motifs cochés : {MAX_MOTIFS_PER_CHILD} au plus sont acceptés par enfant.",
                    c.motif_ids.len()
                ),
            );
        }
        if c.authors.len() > MAX_AUTHORS_PER_CHILD {
            e.push(
                format!("children[{i}].authors"),
                "Auteur présumé",
                format!(
                    "{} auteurs saisis : {MAX_AUTHORS_PER_CHILD} au plus sont acceptés par enfant.",
                    c.authors.len()
                ),
            );
        }
        if c.adults.len() > MAX_ADULTS {
            e.push(
                format!("children[{i}].adults"),
                "Parents",
                too_many("liens aux adultes", MAX_ADULTS, c.adults.len()),
            );
        }
    }
    for (i, a) in input.assignments.iter().enumerate() {
        if a.evaluators.len() > MAX_EVALUATORS {
            e.push(
                format!("assignments[{i}].evaluators"),
                "Évaluateurs",
                format!(
                    "{} évaluateurs saisis : {MAX_EVALUATORS} au plus sont acceptés par affectation.",
                    a.evaluators.len()
                ),
            );
        }
    }
    for kind in FollowUpKind::ALL {
        if input.follow_ups.iter().filter(|f| f.kind == kind).count() > 1 {
            e.push(
                format!("follow_ups.{}", kind.code()),
                kind.label(),
                "cette suite est donnée deux fois : une seule fois par dossier.",
            );
        }
    }
}
