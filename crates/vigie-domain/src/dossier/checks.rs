//! The rules of a dossier that need no SQL, applied before a save: every reference known,
//! of the right table and active (or already stored), the fratrie's own rules (a child
//! once), the territory within the caller's scope, the communes given, and the facts the
//! status rules read.

use std::collections::HashSet;

use crate::catalog::Catalog;
use crate::dossier::history::person_name;
use crate::dossier::record::DossierRecord;
use crate::error::Errors;
use crate::labels as L;
use crate::rules::DossierFacts;
use crate::{Address, DomainError, DossierInput, FieldError, FollowUpKind, ParamKind, Scope};

/// Checks one referenced parameter value: known, of the right table, and active unless it
/// is the value already stored (a value deactivated since stays on the old dossiers).
pub fn check_param(
    cat: &Catalog,
    e: &mut Errors,
    field: String,
    label: &str,
    kind: ParamKind,
    id: Option<i64>,
    unchanged: bool,
) {
    let Some(id) = id else { return };
    match cat.param(id) {
        Some(p) if p.kind == kind && (p.active || unchanged) => {}
        Some(p) if p.kind == kind => e.push(
            field,
            label,
            format!("la valeur « {} » est désactivée.", p.label),
        ),
        _ => e.push(
            field,
            label,
            format!("valeur inconnue dans la table « {} ».", kind.label()),
        ),
    }
}

/// Checks the territory: known, and active unless it is the one already stored.
pub fn check_territory(cat: &Catalog, e: &mut Errors, id: i64, unchanged: bool) {
    match cat.territory(id) {
        Some(t) if t.active || unchanged => {}
        _ => e.push(
            "territory_id",
            L::TERRITORY,
            "territoire inconnu ou désactivé.",
        ),
    }
}

/// Checks that every referenced parameter exists, is of the right table and is active,
/// and that territory and services exist and are active.
pub fn check_references(cat: &Catalog, d: &DossierInput) -> Result<(), DomainError> {
    check_references_keeping(cat, d, &Kept::default())
}

/// Values already stored in a dossier: they stay acceptable once deactivated.
#[derive(Debug, Clone, Default)]
pub struct Kept {
    pub params: HashSet<i64>,
    pub territory: Option<i64>,
    pub services: HashSet<i64>,
}

/// [`check_references`], accepting the deactivated values already stored (`kept`).
pub fn check_references_keeping(
    cat: &Catalog,
    d: &DossierInput,
    kept: &Kept,
) -> Result<(), DomainError> {
    let mut e = Errors::default();
    let mut param = |field: String, label: &str, kind: ParamKind, id: Option<i64>| {
        let unchanged = id.is_some_and(|i| kept.params.contains(&i));
        check_param(cat, &mut e, field, label, kind, id, unchanged);
    };
    let h = &d.header;
    param(
        "type_id".into(),
        L::TYPE,
        ParamKind::DossierType,
        Some(h.type_id),
    );
    param(
        "channel_id".into(),
        L::CHANNEL,
        ParamKind::Channel,
        Some(h.channel_id),
    );
    param(
        "source.category_id".into(),
        L::SOURCE_CATEGORY,
        ParamKind::SourceCategory,
        d.source.category_id,
    );
    for (i, a) in d.adults.iter().enumerate() {
        param(
            format!("adults[{i}].civility_id"),
            L::ADULT_CIVILITY,
            ParamKind::Civility,
            a.civility_id,
        );
    }
    for (i, c) in d.children.iter().enumerate() {
        param(
            format!("children[{i}].csp_father_id"),
            L::CSP_FATHER,
            ParamKind::Csp,
            c.csp_father_id,
        );
        param(
            format!("children[{i}].csp_mother_id"),
            L::CSP_MOTHER,
            ParamKind::Csp,
            c.csp_mother_id,
        );
        param(
            format!("children[{i}].lieu_de_vie_id"),
            L::LIEU_DE_VIE,
            ParamKind::LieuDeVie,
            c.lieu_de_vie_id,
        );
        param(
            format!("children[{i}].evaluation_result_id"),
            L::EVALUATION_RESULT,
            ParamKind::EvaluationResult,
            c.evaluation_result_id,
        );
        for m in &c.motif_ids {
            param(
                format!("children[{i}].motifs"),
                L::MOTIFS,
                ParamKind::Motif,
                Some(*m),
            );
        }
        for l in &c.adults {
            param(
                format!("children[{i}].adults"),
                L::ADULT_LINK,
                ParamKind::Link,
                Some(l.link_id),
            );
        }
        for a in &c.authors {
            param(
                format!("children[{i}].authors"),
                L::AUTHOR_LINK,
                ParamKind::Link,
                Some(a.link_id),
            );
        }
        if let Some(conc) = &c.conclusion {
            param(
                format!("children[{i}].conclusion"),
                L::CONCLUSION,
                ParamKind::Conclusion,
                Some(conc.conclusion_id),
            );
        }
    }
    for (i, a) in d.assignments.iter().enumerate() {
        param(
            format!("assignments[{i}].result_id"),
            L::RESULT,
            ParamKind::EvaluationResult,
            a.result_id,
        );
    }
    check_territory(
        cat,
        &mut e,
        h.territory_id,
        kept.territory == Some(h.territory_id),
    );
    for (i, a) in d.assignments.iter().enumerate() {
        match cat.service(a.service_id) {
            Some(s) if s.active || kept.services.contains(&s.id) => {}
            _ => e.push(
                format!("assignments[{i}].service_id"),
                L::SERVICE,
                "service inconnu ou désactivé.",
            ),
        }
    }
    e.into_result()
}

/// What the status rules need to know of a stored dossier.
pub fn facts_of(cat: &Catalog, rec: &DossierRecord) -> DossierFacts {
    DossierFacts {
        status: rec.header.status,
        danger_grave: rec.header.danger_grave,
        children_without_conclusion: rec
            .children
            .iter()
            .filter(|c| c.data.conclusion.is_none())
            .map(|c| person_name(&c.data.person))
            .collect(),
        open_assignments: rec
            .assignments
            .iter()
            .filter(|a| a.data.returned_on.is_none() && !a.data.cancelled)
            .map(|a| {
                cat.service(a.data.service_id)
                    .map(|s| s.label.clone())
                    .unwrap_or_default()
            })
            .collect(),
        assignments: rec.assignments.iter().filter(|a| !a.data.cancelled).count(),
        parquet_transmitted_at: rec
            .follow_ups
            .iter()
            .find(|f| f.kind == FollowUpKind::Parquet)
            .and_then(|f| f.done_at),
    }
}

/// The values a stored dossier already holds (acceptable even once deactivated).
pub fn kept_of(rec: &DossierRecord) -> Kept {
    let mut k = Kept {
        territory: Some(rec.header.territory_id),
        ..Kept::default()
    };
    let h = &rec.header;
    k.params.extend([h.type_id, h.channel_id]);
    k.params.extend(rec.source.category_id);
    for a in &rec.adults {
        k.params.extend(a.data.civility_id);
    }
    for c in &rec.children {
        let d = &c.data;
        k.params.extend(
            [
                d.csp_father_id,
                d.csp_mother_id,
                d.lieu_de_vie_id,
                d.evaluation_result_id,
            ]
            .into_iter()
            .flatten(),
        );
        k.params.extend(d.motif_ids.iter().copied());
        k.params.extend(d.adults.iter().map(|l| l.link_id));
        k.params.extend(d.authors.iter().map(|l| l.link_id));
        k.params
            .extend(d.conclusion.as_ref().map(|c| c.conclusion_id));
    }
    for a in &rec.assignments {
        k.services.insert(a.data.service_id);
        k.params.extend(a.data.result_id);
    }
    k
}

/// The status rules' refusals as errors on the status field.
pub fn status_error(messages: Vec<String>) -> DomainError {
    DomainError::Invalid(
        messages
            .into_iter()
            .map(|m| FieldError::new("status", L::STATUS, m))
            .collect(),
    )
}

/// A territory outside the caller's scope, when the dossier is created on it or moved to it
/// (`stored_territory`: the one stored, `None` for a new dossier): they could no longer read it.
pub fn check_territory_in_scope(
    scope: &Scope,
    stored_territory: Option<i64>,
    input: &DossierInput,
) -> Option<FieldError> {
    let territory_changed = stored_territory.is_none_or(|t| t != input.header.territory_id);
    (territory_changed && !scope.covers(input.header.territory_id, &[])).then(|| {
        FieldError::new(
            "territory_id",
            L::TERRITORY,
            "hors de votre périmètre : vous ne pourriez plus consulter ce dossier.",
        )
    })
}

/// The fratrie names a known person once: the last of the duplicates is refused.
pub fn check_duplicate_child(input: &DossierInput) -> Option<FieldError> {
    let pid = input
        .children
        .iter()
        .filter_map(|c| c.person_id)
        .find(|p| {
            input
                .children
                .iter()
                .filter(|c| c.person_id == Some(*p))
                .count()
                > 1
        })?;
    let i = input
        .children
        .iter()
        .rposition(|c| c.person_id == Some(pid))
        .unwrap_or(0);
    Some(FieldError::new(
        format!("children[{i}].person_id"),
        L::CHILD,
        "cet enfant figure deux fois dans le dossier.",
    ))
}

/// Every address of a dossier with its field: the source's, each adult's, each child's.
pub fn addresses(input: &DossierInput) -> Vec<(String, &Address)> {
    let mut addresses: Vec<(String, &Address)> =
        vec![("source.address".into(), &input.source.address)];
    addresses.extend(
        input
            .adults
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("adults[{i}].address"), &a.address)),
    );
    addresses.extend(
        input
            .children
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("children[{i}].address"), &c.address)),
    );
    addresses
}

/// The well-formed INSEE codes of `addresses`, to look up in the reference of communes.
pub fn insee_codes(addresses: &[(String, &Address)]) -> Vec<String> {
    addresses
        .iter()
        .filter_map(|(_, a)| a.commune_insee.clone())
        .filter(|c| crate::is_insee_code(c))
        .collect()
}

/// Every commune given must exist in the reference (all of France): an error for each
/// well-formed code of `addresses` that is not `known`.
pub fn check_communes(
    addresses: &[(String, &Address)],
    known: &HashSet<String>,
) -> Vec<FieldError> {
    let mut problems = Vec::new();
    for (field, a) in addresses {
        if let Some(c) = &a.commune_insee
            && crate::is_insee_code(c)
            && !known.contains(c)
        {
            problems.push(FieldError::new(
                format!("{field}.commune_insee"),
                L::ADDRESS_INSEE,
                format!("aucune commune n'a le code INSEE « {c} » : choisissez-la dans la liste."),
            ));
        }
    }
    problems
}
