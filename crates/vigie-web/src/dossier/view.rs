//! View models: what a page shows, computed from store records and the catalog.
//! Templates stay free of logic; askama escapes every value.

use vigie_domain::catalog::Catalog;
use vigie_domain::dossier::{
    AssignmentRecord, ChildRecord, DossierRecord, OtherDossier, person_name,
};
use vigie_domain::labels as L;
use vigie_domain::{Role, SourceConfidentiality};

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
        DossierView {
            id: d.id,
            number: d.number.to_string(),
            header: header_lines(d, cat, tz),
            flags: flags(d),
            source: source_lines(d, cat, role),
            adults: adult_lines(d, cat),
            expose: opt(&h.expose),
            observation: opt(&h.observation),
            children: d
                .children
                .iter()
                .map(|c| ChildView::new(d, c, cat, tz))
                .collect(),
            assignments: d
                .assignments
                .iter()
                .map(|a| AssignmentView::new(a, cat))
                .collect(),
            follow_ups: follow_up_lines(d, tz),
            trace: format!(
                "Créé le {}, modifié le {} (version {})",
                datetime(d.created_at, tz),
                datetime(d.updated_at, tz),
                d.version
            ),
        }
    }
}

/// The header's lines: reception, type, channel, 119 number, territory, status.
fn header_lines(d: &DossierRecord, cat: &Catalog, tz: chrono_tz::Tz) -> Vec<Line> {
    let h = &d.header;
    let territory = cat
        .territory(h.territory_id)
        .map(|t| t.label.clone())
        .unwrap_or_default();
    vec![
        line(L::RECEIVED_AT_HISTORY, datetime(h.received_at, tz)),
        line(L::TYPE, cat.label(Some(h.type_id))),
        line(L::CHANNEL, cat.label(Some(h.channel_id))),
        line(L::SNATED_NUMBER, opt(&h.snated_number)),
        line(L::TERRITORY, territory),
        line(L::STATUS, cat.status_label(h.status)),
    ]
}

/// The header's flags that are set (danger, conjugal violence, S.I.P.).
fn flags(d: &DossierRecord) -> Vec<&'static str> {
    let h = &d.header;
    let mut flags = Vec::new();
    if h.danger_grave {
        flags.push(L::DANGER_GRAVE);
    }
    if h.violence_conjugale {
        flags.push(L::VIOLENCE_CONJUGALE);
    }
    if h.sip {
        flags.push(L::SIP);
    }
    flags
}

/// The source's lines, its identity only as far as the role may see it.
fn source_lines(d: &DossierRecord, cat: &Catalog, role: Role) -> Vec<Line> {
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
    source
}

/// « Mme Marie DUPONT »: an adult of the dossier by id, with civility (empty if unknown).
fn adult_name(d: &DossierRecord, cat: &Catalog, id: i64) -> String {
    d.adults
        .iter()
        .find(|a| a.id == id)
        .map(|a| {
            vigie_domain::dossier::adult_name_with_civility(&cat.label(a.data.civility_id), &a.data)
        })
        .unwrap_or_default()
}

/// One line per adult: name, birth name, address, phone.
fn adult_lines(d: &DossierRecord, cat: &Catalog) -> Vec<String> {
    d.adults
        .iter()
        .map(|a| {
            let x = &a.data;
            let mut s = adult_name(d, cat, a.id);
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
        .collect()
}

impl ChildView {
    /// A child of the dossier: identity, facts, parents, authors, motifs, conclusion, other dossiers.
    fn new(d: &DossierRecord, c: &ChildRecord, cat: &Catalog, tz: chrono_tz::Tz) -> Self {
        let x = &c.data;
        let p = &x.person;
        let title = person_name(p);
        let identity = vec![
            line(L::BIRTH_NAME, p.birth_name.clone()),
            line(L::USAGE_NAME, opt(&p.usage_name)),
            line(L::FIRST_NAMES, p.first_names.clone()),
            line(L::SEX, p.sex.label()),
            line(L::BIRTH_DATE, p.birth.display()),
        ];
        let facts = vec![
            line(L::ADDRESS, address(&x.address)),
            line(L::CSP_FATHER, cat.label(x.csp_father_id)),
            line(L::CSP_MOTHER, cat.label(x.csp_mother_id)),
            line(L::LIEU_DE_VIE, cat.label(x.lieu_de_vie_id)),
            line(L::COMMENT, opt(&x.comment)),
        ];
        ChildView {
            title,
            identity,
            facts,
            parents: child_parents(d, c, cat),
            authors: child_authors(d, c, cat),
            motifs: x.motif_ids.iter().map(|m| cat.label(Some(*m))).collect(),
            conclusion: child_conclusion(c, cat),
            others: c
                .other_dossiers
                .iter()
                .map(|o| OtherView::new(o, tz))
                .collect(),
        }
    }
}

/// « Mère : Mme Marie DUPONT, titulaire de l'autorité parentale » per adult of the child.
fn child_parents(d: &DossierRecord, c: &ChildRecord, cat: &Catalog) -> Vec<String> {
    c.data
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
                adult_name(d, cat, l.adult),
                ap
            )
        })
        .collect()
}

/// « Marie DUPONT (Mère) » per presumed author of the child (an adult or a third party).
fn child_authors(d: &DossierRecord, c: &ChildRecord, cat: &Catalog) -> Vec<String> {
    c.data
        .authors
        .iter()
        .map(|a| {
            let who = match (a.adult, &a.third_party_name) {
                (Some(id), _) => adult_name(d, cat, id),
                (None, Some(n)) => n.clone(),
                _ => String::new(),
            };
            format!("{} ({})", who, cat.label(Some(a.link_id)))
        })
        .collect()
}

/// The child's evaluation result and conclusion lines.
fn child_conclusion(c: &ChildRecord, cat: &Catalog) -> Vec<Line> {
    let x = &c.data;
    let mut conclusion = vec![line(
        L::EVALUATION_RESULT,
        cat.label(x.evaluation_result_id),
    )];
    if let Some(cn) = &x.conclusion {
        conclusion.push(line(L::CONCLUSION, cat.label(Some(cn.conclusion_id))));
        conclusion.push(line("Date", date(cn.on)));
        conclusion.push(line("Commentaire", opt(&cn.comment)));
    } else {
        conclusion.push(line(L::CONCLUSION, "non renseignée"));
    }
    conclusion
}

impl AssignmentView {
    /// An assignment: its service and its lines.
    fn new(a: &AssignmentRecord, cat: &Catalog) -> Self {
        let x = &a.data;
        AssignmentView {
            service: cat
                .service(x.service_id)
                .map(|s| s.label.clone())
                .unwrap_or_default(),
            lines: vec![
                line("Demandé le", date(x.asked_on)),
                line(L::DUE_ON, date(x.due_on)),
                line(L::EVALUATORS, x.evaluators.join(", ")),
                line(
                    L::RETURNED_ON_HISTORY,
                    x.returned_on.map(date).unwrap_or_default(),
                ),
                line(L::RESULT, cat.label(x.result_id)),
                line("Annulé", if x.cancelled { "oui" } else { "non" }),
                line(L::COMMENT, opt(&x.comment)),
            ],
        }
    }
}

/// One line per follow-up kind: done (when), not done (why), to do, or not filled in.
fn follow_up_lines(d: &DossierRecord, tz: chrono_tz::Tz) -> Vec<Line> {
    vigie_domain::FollowUpKind::ALL
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
        .collect()
}
