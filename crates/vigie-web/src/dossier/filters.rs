//! The filter form of the dossier list: the choices of each `<select>` (ids as values, in
//! the parameter tables' order), the current values, what the user's scope can reach.

use vigie_domain::catalog::Catalog;
use vigie_domain::{DossierStatus, ParamKind, Scope};

use crate::echeances::reachable;
use crate::shared::Choice;
use crate::shared::list::{ListQuery, NO_CATEGORY};

/// The filter form's controls and their values.
#[derive(Debug)]
pub struct FilterForm {
    pub territories: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub types: Vec<Choice>,
    /// Source categories, « non renseignée » first.
    pub categories: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub motifs: Vec<Choice>,
    pub conclusions: Vec<Choice>,
    /// The services the scope can reach (as on the échéances page).
    pub services: Vec<Choice>,
    pub du: String,
    pub au: String,
    pub mois: String,
    pub en_retard: bool,
}

fn selected(value: &str, current: &str) -> bool {
    value == current.trim()
}

/// The values of a parameter table, in its order, the current one selected.
fn params(cat: &Catalog, kind: ParamKind, current: &str) -> Vec<Choice> {
    cat.of_kind(kind)
        .map(|p| Choice {
            value: p.id.to_string(),
            label: p.label.clone(),
            selected: selected(&p.id.to_string(), current),
        })
        .collect()
}

impl FilterForm {
    /// The form for `q`, offering what `scope` can reach.
    pub fn new(cat: &Catalog, scope: &Scope, q: &ListQuery) -> Self {
        // Another territory or service could only ever give an empty list.
        let (ts, ss) = reachable(scope, cat);
        let mut categories = vec![Choice {
            value: NO_CATEGORY.into(),
            label: "Non renseignée".into(),
            selected: q.categorie.trim().eq_ignore_ascii_case(NO_CATEGORY),
        }];
        categories.extend(params(cat, ParamKind::SourceCategory, &q.categorie));
        Self {
            territories: cat
                .territories
                .iter()
                .filter(|t| ts.contains(&t.id))
                .map(|t| Choice {
                    value: t.id.to_string(),
                    label: t.label.clone(),
                    selected: selected(&t.id.to_string(), &q.territoire),
                })
                .collect(),
            statuses: DossierStatus::ALL
                .iter()
                .map(|s| Choice {
                    value: s.code().into(),
                    label: cat.status_label(*s),
                    selected: selected(s.code(), &q.statut),
                })
                .collect(),
            types: params(cat, ParamKind::DossierType, &q.type_),
            categories,
            channels: params(cat, ParamKind::Channel, &q.support),
            motifs: params(cat, ParamKind::Motif, &q.motif),
            conclusions: params(cat, ParamKind::Conclusion, &q.conclusion),
            services: cat
                .services
                .iter()
                .filter(|s| ss.contains(&s.id))
                .map(|s| Choice {
                    value: s.id.to_string(),
                    label: s.label.clone(),
                    selected: selected(&s.id.to_string(), &q.service),
                })
                .collect(),
            du: q.du.clone(),
            au: q.au.clone(),
            mois: q.mois.clone(),
            en_retard: q.en_retard.trim() == "1",
        }
    }
}
