//! View models: what a page shows, computed from store records and the catalog.
//! Templates stay free of logic; askama escapes every value.

use vigie_domain::{Role, SourceConfidentiality};
use vigie_store::dossiers::{DossierRecord, OtherDossier};
use vigie_store::params::Catalog;

use crate::shared::dates::{date, datetime};

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// A label / value line.
#[derive(Debug, Clone)]
pub struct Line {
    pub label: &'static str,
    pub value: String,
}

fn line(label: &'static str, value: impl Into<String>) -> Line {
    Line {
        label,
        value: value.into(),
    }
}

#[derive(Debug, Clone)]
pub struct OtherView {
    pub text: String,
    pub href: Option<String>,
}

impl OtherView {
    /// « 2026-000123 du 20/11/2026 (Bourges) », and a link when it is within the scope.
    pub fn new(o: &OtherDossier, tz: chrono_tz::Tz) -> Self {
        Self {
            text: format!(
                "{} du {} ({}){}",
                o.number,
                date(o.received_at.with_timezone(&tz).date_naive()),
                o.territory_label,
                if o.in_scope {
                    ""
                } else {
                    " — hors de votre périmètre"
                }
            ),
            href: o.id.map(|id| format!("/dossiers/{id}")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ChildView {
    pub title: String,
    pub identity: Vec<Line>,
    pub facts: Vec<Line>,
    pub parents: Vec<String>,
    pub authors: Vec<String>,
    pub motifs: Vec<String>,
    pub conclusion: Vec<Line>,
    pub others: Vec<OtherView>,
}

#[derive(Debug, Clone)]
pub struct AssignmentView {
    pub service: String,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone)]
pub struct DossierView {
    pub id: i64,
    pub number: String,
    pub header: Vec<Line>,
    pub flags: Vec<&'static str>,
    pub source: Vec<Line>,
    pub adults: Vec<String>,
    pub expose: String,
    pub observation: String,
    pub children: Vec<ChildView>,
    pub assignments: Vec<AssignmentView>,
    pub follow_ups: Vec<Line>,
    pub trace: String,
}

fn address(a: &vigie_domain::Address) -> String {
    let street = [a.number.clone(), a.street.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let city = [a.postal_code.clone(), a.city.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    [street, a.complement.clone().unwrap_or_default(), city]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

impl DossierView {
    /// Builds the view; a confidential or anonymous source's identity is shown only to roles that need it.
    pub fn new(d: &DossierRecord, cat: &Catalog, role: Role, tz: chrono_tz::Tz) -> Self {
        let h = &d.header;
        let territory = cat
            .territory(h.territory_id)
            .map(|t| t.label.clone())
            .unwrap_or_default();
        let header = vec![
            line("Reçue le", datetime(h.received_at, tz)),
            line("Type de dossier", cat.label(Some(h.type_id))),
            line("Support", cat.label(Some(h.channel_id))),
            line("N° 119 / SNATED", opt(&h.snated_number)),
            line("Territoire", territory),
            line("Statut", cat.status_label(h.status)),
        ];
        let mut flags = Vec::new();
        if h.danger_grave {
            flags.push("Danger grave et immédiat");
        }
        if h.violence_conjugale {
            flags.push("Violence conjugale");
        }
        if h.sip {
            flags.push("S.I.P.");
        }
        let s = d.source.visible_to(role);
        let mut source = vec![
            line("Catégorie", cat.label(s.category_id)),
            line("Identité", s.confidentiality.label()),
        ];
        let shown =
            s.name.is_some() || s.organisation.is_some() || s.phone.is_some() || s.email.is_some();
        if shown {
            source.push(line("Nom", opt(&s.name)));
            source.push(line("Organisme", opt(&s.organisation)));
            source.push(line("Adresse", address(&s.address)));
            source.push(line("Courriel", opt(&s.email)));
            source.push(line("Téléphone", opt(&s.phone)));
        } else if s.confidentiality == SourceConfidentiality::Confidential && s != d.source {
            source.push(line("Coordonnées", "masquées (identité confidentielle)"));
        }
        let adult_name = |id: i64| {
            d.adults
                .iter()
                .find(|a| a.id == id)
                .map(|a| {
                    let a = &a.data;
                    format!(
                        "{} {} {}",
                        cat.label(a.civility_id),
                        opt(&a.first_names),
                        a.usage_name
                            .clone()
                            .unwrap_or_else(|| a.birth_name.clone())
                            .to_uppercase()
                    )
                    .trim()
                    .to_owned()
                })
                .unwrap_or_default()
        };
        let adults = d
            .adults
            .iter()
            .map(|a| {
                let x = &a.data;
                let mut s = adult_name(a.id);
                if x.usage_name.is_some() {
                    s.push_str(&format!(" (née {})", x.birth_name.to_uppercase()));
                }
                let addr = address(&x.address);
                if !addr.is_empty() {
                    s.push_str(&format!(" — {addr}"));
                }
                if let Some(p) = &x.phone {
                    s.push_str(&format!(" — {p}"));
                }
                s
            })
            .collect();
        let children = d
            .children
            .iter()
            .map(|c| {
                let x = &c.data;
                let p = &x.person;
                let title = format!(
                    "{} {}",
                    p.first_names,
                    p.usage_name
                        .clone()
                        .unwrap_or_else(|| p.birth_name.clone())
                        .to_uppercase()
                )
                .trim()
                .to_owned();
                let identity = vec![
                    line("Nom de naissance", p.birth_name.clone()),
                    line("Nom d'usage", opt(&p.usage_name)),
                    line("Prénoms", p.first_names.clone()),
                    line("Sexe", p.sex.label()),
                    line("Date de naissance", p.birth.display()),
                ];
                let facts = vec![
                    line("Adresse", address(&x.address)),
                    line("CSP du père", cat.label(x.csp_father_id)),
                    line("CSP de la mère", cat.label(x.csp_mother_id)),
                    line("Lieu de vie", cat.label(x.lieu_de_vie_id)),
                    line("Commentaire", opt(&x.comment)),
                ];
                let parents = x
                    .adults
                    .iter()
                    .map(|l| {
                        let ap = if l.parental_authority {
                            ", titulaire de l'autorité parentale"
                        } else {
                            ""
                        };
                        format!(
                            "{} : {}{}",
                            cat.label(Some(l.link_id)),
                            adult_name(l.adult),
                            ap
                        )
                    })
                    .collect();
                let authors = x
                    .authors
                    .iter()
                    .map(|a| {
                        let who = match (a.adult, &a.third_party_name) {
                            (Some(id), _) => adult_name(id),
                            (None, Some(n)) => n.clone(),
                            _ => String::new(),
                        };
                        format!("{} ({})", who, cat.label(Some(a.link_id)))
                    })
                    .collect();
                let motifs = x.motif_ids.iter().map(|m| cat.label(Some(*m))).collect();
                let mut conclusion = vec![line(
                    "Résultat de l'évaluation",
                    cat.label(x.evaluation_result_id),
                )];
                if let Some(cn) = &x.conclusion {
                    conclusion.push(line("Conclusion", cat.label(Some(cn.conclusion_id))));
                    conclusion.push(line("Date", date(cn.on)));
                    conclusion.push(line("Commentaire", opt(&cn.comment)));
                } else {
                    conclusion.push(line("Conclusion", "non renseignée"));
                }
                let others = c
                    .other_dossiers
                    .iter()
                    .map(|o| OtherView::new(o, tz))
                    .collect();
                ChildView {
                    title,
                    identity,
                    facts,
                    parents,
                    authors,
                    motifs,
                    conclusion,
                    others,
                }
            })
            .collect();
        let assignments = d
            .assignments
            .iter()
            .map(|a| {
                let x = &a.data;
                AssignmentView {
                    service: cat
                        .service(x.service_id)
                        .map(|s| s.label.clone())
                        .unwrap_or_default(),
                    lines: vec![
                        line("Demandé le", date(x.asked_on)),
                        line("Échéance", date(x.due_on)),
                        line("Évaluateurs", x.evaluators.join(", ")),
                        line("Retour le", x.returned_on.map(date).unwrap_or_default()),
                        line("Résultat", cat.label(x.result_id)),
                        line("Annulé", if x.cancelled { "oui" } else { "non" }),
                        line("Commentaire", opt(&x.comment)),
                    ],
                }
            })
            .collect();
        let follow_ups = vigie_domain::FollowUpKind::ALL
            .iter()
            .map(|k| {
                let value = match d.follow_ups.iter().find(|f| f.kind == *k) {
                    Some(f) => match (&f.done_at, &f.not_done_reason) {
                        (Some(t), _) => format!("fait le {}", datetime(*t, tz)),
                        (None, Some(r)) => format!("non fait : {r}"),
                        _ => "à faire".into(),
                    },
                    None => "non renseigné".into(),
                };
                line(k.label(), value)
            })
            .collect();
        DossierView {
            id: d.id,
            number: d.number.to_string(),
            header,
            flags,
            source,
            adults,
            expose: opt(&h.expose),
            observation: opt(&h.observation),
            children,
            assignments,
            follow_ups,
            trace: format!(
                "Créé le {}, modifié le {} (version {})",
                datetime(d.created_at, tz),
                datetime(d.updated_at, tz),
                d.version
            ),
        }
    }
}
