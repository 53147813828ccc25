//! How many of each repeated part a dossier may hold. The form, the API, the store and the
//! import all use these constants: one rule, one French message naming the limit.
//!
//! The figures cover the largest fratries a CRIP records (a family of 30 children is
//! already exceptional) with room to spare, and bound the work one request can cause.

use super::{DossierInput, FollowUpKind};
use crate::error::Errors;

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

/// The French message for a part beyond its limit, the only one: « 51 motifs : 50 au plus
/// par enfant. », or, when the count is not known (the form stops reading at the limit),
/// « plus de 50 motifs : 50 au plus par enfant. ».
pub fn too_many(what: &str, max: usize, n: Option<usize>, per: &str) -> String {
    match n {
        Some(n) => format!("{n} {what} : {max} au plus par {per}."),
        None => format!("plus de {max} {what} : {max} au plus par {per}."),
    }
}

/// Records an error for every repeated part beyond its limit, and for a follow-up kind
/// given twice.
pub fn check(input: &DossierInput, e: &mut Errors) {
    let mut over = |field: String, label: &str, what: &str, max: usize, n: usize, per: &str| {
        if n > max {
            e.push(field, label, too_many(what, max, Some(n), per));
        }
    };
    let d = "dossier";
    over(
        "children".into(),
        "Enfants concernés",
        "enfants",
        MAX_CHILDREN,
        input.children.len(),
        d,
    );
    over(
        "adults".into(),
        "Parents",
        "adultes",
        MAX_ADULTS,
        input.adults.len(),
        d,
    );
    let n = input.assignments.len();
    over(
        "assignments".into(),
        "Affectations",
        "affectations",
        MAX_ASSIGNMENTS,
        n,
        d,
    );
    over(
        "follow_ups".into(),
        "Suites données",
        "suites",
        MAX_FOLLOW_UPS,
        input.follow_ups.len(),
        d,
    );
    for (i, c) in input.children.iter().enumerate() {
        let f = |k: &str| format!("children[{i}].{k}");
        let m = MAX_MOTIFS_PER_CHILD;
        over(
            f("motifs"),
            "Motifs",
            "motifs",
            m,
            c.motif_ids.len(),
            "enfant",
        );
        let m = MAX_AUTHORS_PER_CHILD;
        over(
            f("authors"),
            "Auteur présumé",
            "auteurs",
            m,
            c.authors.len(),
            "enfant",
        );
        over(
            f("adults"),
            "Parents",
            "liens aux adultes",
            MAX_ADULTS,
            c.adults.len(),
            "enfant",
        );
    }
    for (i, a) in input.assignments.iter().enumerate() {
        let (f, n) = (format!("assignments[{i}].evaluators"), a.evaluators.len());
        over(
            f,
            "Évaluateurs",
            "évaluateurs",
            MAX_EVALUATORS,
            n,
            "affectation",
        );
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
