//! The grouped reminder (« Relancer les services », from the Échéances page): ONE letter to a
//! service listing every dossier whose evaluation it was asked for and has not returned by its
//! due date (CASF D226-2-4).
//!
//! It is not a dossier's letter: its data holds the shared blocks of every letter (`aujourdhui`,
//! `entete`, `agent`, a service as `destinataire`, in the shapes [`merge::build`] gives them),
//! the reminder itself (`relance`) and one item per dossier (`dossiers[]`): its number, dates,
//! delay, and its children's names and birth years — what the service needs to find the
//! dossier, and nothing else: no source, no alleged author, no free text. A template reads only
//! the fields of [`fields`] ([`check`] names any other).

use chrono::{Datelike, NaiveDate};
use serde_json::{Value, json};

use super::check::FieldRead;
use super::{RecipientKind, dictionary, merge};
use crate::{BirthDate, Person};

/// The default template's code (`vigie_letters::defaults::GROUPED_REMINDER`).
pub const CODE: &str = "relance-groupee";
/// `courrier.titre`.
pub const TITLE: &str = "Relance des évaluations en retard";
/// `courrier.base_legale`.
pub const LEGAL_BASIS: &str = "CASF D226-2-4";

/// A dossier whose evaluation by the service is overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderDossier {
    /// The dossier number as displayed (`2026-000042`).
    pub number: String,
    /// The date of reception of the IP, in the configured time zone.
    pub received_on: NaiveDate,
    /// When the evaluation was asked of the service.
    pub asked_on: NaiveDate,
    /// When it was due.
    pub due_on: NaiveDate,
    pub children: Vec<ReminderChild>,
}

/// A child of an overdue dossier, as the reminder names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderChild {
    pub first_names: String,
    /// The usage name, or else the birth name.
    pub name: String,
    pub birth: BirthDate,
}

impl From<&Person> for ReminderChild {
    fn from(p: &Person) -> Self {
        ReminderChild {
            first_names: p.first_names.clone(),
            name: p.usage_name.clone().unwrap_or_else(|| p.birth_name.clone()),
            birth: p.birth,
        }
    }
}

impl ReminderChild {
    /// « Léa MARTIN (2018) », « Noé MARTIN (vers 2015) », « MARTIN (à naître) ».
    pub fn display(&self) -> String {
        let name = format!("{} {}", self.first_names.trim(), self.name.trim())
            .trim()
            .to_owned();
        match self.birth {
            BirthDate::Exact(d) => format!("{name} ({})", d.year()),
            BirthDate::Approximate(d) => format!("{name} (vers {})", d.year()),
            BirthDate::Expected(_) => format!("{name} (à naître)"),
            BirthDate::Unknown => name,
        }
    }
}

impl ReminderDossier {
    /// Days late at `today` (0 when not yet due, or due today).
    pub fn days_late(&self, today: NaiveDate) -> i64 {
        (today - self.due_on).num_days().max(0)
    }
}

/// Everything the reminder is built from.
#[derive(Debug, Clone)]
pub struct ReminderInput<'a> {
    /// The service (its name and address: `Labels::services`).
    pub service: &'a merge::Contact,
    pub letterhead: &'a merge::Letterhead,
    pub agent: &'a merge::Agent,
    pub today: NaiveDate,
    /// The service's dossiers; those not overdue at `today` are left out.
    pub dossiers: &'a [ReminderDossier],
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The reminder's merge data. Dates are `AAAA-MM-JJ`, as in every letter (written with the
/// `date_longue` or `date` filters); the dossiers are listed the most overdue first, and only
/// those overdue at `today` (`retard_jours` ≥ 1, `relance.nombre` counts them).
pub fn build(input: &ReminderInput<'_>) -> Value {
    let mut overdue: Vec<&ReminderDossier> = input
        .dossiers
        .iter()
        .filter(|d| d.days_late(input.today) > 0)
        .collect();
    overdue.sort_by(|a, b| a.due_on.cmp(&b.due_on).then(a.number.cmp(&b.number)));
    let s = input.service;
    let a = input.agent;
    json!({
        "aujourdhui": iso(input.today),
        "courrier": { "titre": TITLE, "base_legale": LEGAL_BASIS },
        "entete": merge::letterhead(input.letterhead),
        "agent": {
            "nom": a.name, "titre": a.title, "telephone": a.phone, "courriel": a.email,
        },
        "destinataire": {
            "type": RecipientKind::Service.label(), "civilite": Value::Null, "nom": s.name,
            "prenom": Value::Null, "organisme": s.organisation, "adresse": s.address,
            "courriel": s.email, "formule": "Madame, Monsieur,",
        },
        "relance": { "date": iso(input.today), "nombre": overdue.len() },
        "dossiers": overdue.iter().map(|d| json!({
            "numero": d.number,
            "date_reception": iso(d.received_on),
            "date_demande": iso(d.asked_on),
            "echeance": iso(d.due_on),
            "retard_jours": d.days_late(input.today),
            "enfants": d.children.iter().map(ReminderChild::display).collect::<Vec<_>>().join(", "),
        })).collect::<Vec<_>>(),
    })
}

/// Fields shared with the dossiers' letters: described by the [`dictionary`].
const SHARED: &[&str] = &[
    "aujourdhui",
    "logo",
    "entete.departement",
    "entete.service",
    "entete.adresse",
    "entete.ville",
    "entete.telephone",
    "entete.courriel",
    "entete.signataire",
    "entete.qualite_signataire",
    "entete.delegation",
    "agent.nom",
    "agent.titre",
    "agent.telephone",
    "agent.courriel",
];

/// The reminder's own fields: (path, description, example).
const OWN: &[(&str, &str, &str)] = &[
    ("courrier.titre", "Titre du courrier", TITLE),
    (
        "courrier.base_legale",
        "Base légale du courrier",
        LEGAL_BASIS,
    ),
    (
        "destinataire.type",
        "Type de destinataire",
        "Service d'évaluation",
    ),
    (
        "destinataire.civilite",
        "Civilité (vide pour un service)",
        "(vide)",
    ),
    (
        "destinataire.nom",
        "Nom du service",
        "Service territorial d'action sociale Nord",
    ),
    (
        "destinataire.prenom",
        "Prénom (vide pour un service)",
        "(vide)",
    ),
    (
        "destinataire.organisme",
        "Organisme du service",
        "Conseil départemental du Cher",
    ),
    (
        "destinataire.adresse",
        "Adresse du service (plusieurs lignes)",
        "8 rue Jean Jaurès\n18000 Bourges",
    ),
    (
        "destinataire.courriel",
        "Courriel du service",
        "stas.nord@example.fr",
    ),
    (
        "destinataire.formule",
        "Formule d'appel",
        "Madame, Monsieur,",
    ),
    (
        "relance.date",
        "Date de la relance (AAAA-MM-JJ), à écrire avec un filtre : {{ relance.date|date_longue }}",
        "2026-12-02",
    ),
    (
        "relance.nombre",
        "Nombre de dossiers relancés (ceux dont l'évaluation est en retard)",
        "3",
    ),
    ("dossiers[].numero", "Numéro du dossier", "2026-000042"),
    (
        "dossiers[].date_reception",
        "Date de réception de l'IP (AAAA-MM-JJ)",
        "2026-08-14",
    ),
    (
        "dossiers[].date_demande",
        "Date de la demande d'évaluation au service (AAAA-MM-JJ)",
        "2026-08-20",
    ),
    (
        "dossiers[].echeance",
        "Date à laquelle l'évaluation était attendue (AAAA-MM-JJ)",
        "2026-11-14",
    ),
    (
        "dossiers[].retard_jours",
        "Jours de retard à la date de la relance (1 ou plus)",
        "18",
    ),
    (
        "dossiers[].enfants",
        "Enfants du dossier : prénom, nom et année de naissance",
        "Léa MARTIN (2018), Tom MARTIN (2020)",
    ),
];

/// Every field with its description and example, in the order of the documentation.
fn all() -> Vec<(&'static str, &'static str, &'static str)> {
    let shared = SHARED
        .iter()
        .filter_map(|p| dictionary::find(p))
        .map(|f| (f.path, f.description, f.example));
    let (head, tail) = OWN.split_at(2);
    head.iter()
        .copied()
        .chain(shared)
        .chain(tail.iter().copied())
        .collect()
}

/// The reminder's fields: (path, French description). `[]` marks a list's items.
pub fn fields() -> Vec<(&'static str, &'static str)> {
    all().into_iter().map(|(p, d, _)| (p, d)).collect()
}

/// Whether a path is a field or leads to fields (`entete`, `dossiers`, `dossiers[]`).
fn known(path: &str) -> bool {
    let path = path.trim_end_matches("[]");
    all().iter().any(|(p, _, _)| {
        *p == path
            || p.strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with("[]"))
    })
}

/// French messages for the fields a reminder template reads and the reminder does not have
/// (empty: the template may be used), each naming the tag and its paragraph.
pub fn check_fields<'a>(reads: impl IntoIterator<Item = FieldRead<'a>>) -> Vec<String> {
    reads
        .into_iter()
        .filter(|r| !known(r.path))
        .map(|r| {
            format!(
                "Le champ « {} » n'existe pas dans une relance groupée (voir la liste de ses champs) — {}",
                r.path.replace("[]", ""),
                r.context
            )
        })
        .collect()
}

/// [`check_fields`] for bare paths (`dossiers[].numero`).
pub fn check<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    paths
        .into_iter()
        .filter(|p| !known(p))
        .map(|p| {
            format!(
                "Le champ « {} » n'existe pas dans une relance groupée (voir la liste de ses champs)",
                p.replace("[]", "")
            )
        })
        .collect()
}

/// The reminder's section of `docs/courriers-champs.md` (appended by
/// [`dictionary::markdown`]).
pub fn markdown() -> String {
    let mut out = String::from(
        "\n## Relance groupée des services\n\n\
         « Relancer les services », depuis la page Échéances, adresse à chaque service **un** \
         courrier (modèle `relance-groupee`) qui liste tous ses dossiers dont l'évaluation est en \
         retard (CASF D226-2-4), le plus en retard d'abord. Ce n'est pas le courrier d'un dossier : \
         il ne lit que les champs ci-dessous (ni signalant, ni auteurs, ni textes libres ; des \
         enfants, seulement le nom et l'année de naissance). Les dossiers se répètent par une \
         ligne de tableau `{% for d in dossiers %}`, puis la ligne `{{ d.numero }}`, \
         `{{ d.echeance|date }}`…, puis la ligne `{% endfor %}`.\n\n\
         | Champ | Description | Exemple |\n|---|---|---|\n",
    );
    for (path, description, example) in all() {
        out.push_str(&format!(
            "| `{path}` | {} | {} |\n",
            description.replace('|', "\\|"),
            example.replace('\n', " / ").replace('|', "\\|"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::letters::merge::{LetterInput, Recipient};
    use crate::letters::{LetterKind, sample};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn child(first: &str, birth: BirthDate) -> ReminderChild {
        ReminderChild {
            first_names: first.into(),
            name: "MARTIN".into(),
            birth,
        }
    }

    fn dossier(number: &str, due: &str, children: Vec<ReminderChild>) -> ReminderDossier {
        ReminderDossier {
            number: number.into(),
            received_on: d("2026-08-14"),
            asked_on: d("2026-08-20"),
            due_on: d(due),
            children,
        }
    }

    fn service() -> merge::Contact {
        sample::labels().services[&5].clone()
    }

    fn reminder(dossiers: &[ReminderDossier]) -> Value {
        build(&ReminderInput {
            service: &service(),
            letterhead: &sample::letterhead(),
            agent: &sample::agent(),
            today: sample::today(),
            dossiers,
        })
    }

    fn three() -> Vec<ReminderDossier> {
        let lea = child("Léa", BirthDate::Exact(d("2018-03-01")));
        let tom = child("Tom", BirthDate::Exact(d("2020-07-14")));
        vec![
            dossier("2026-000050", "2026-12-01", vec![lea.clone()]),
            dossier("2026-000042", "2026-11-20", vec![lea, tom]),
            dossier("2026-000045", "2026-11-20", vec![]),
        ]
    }

    #[test]
    fn days_late_dates_children_and_count() {
        let v = reminder(&three());
        assert_eq!(v["relance"], json!({ "date": "2026-12-02", "nombre": 3 }));
        assert_eq!(v["aujourdhui"], "2026-12-02");
        assert_eq!(
            v["courrier"],
            json!({ "titre": "Relance des évaluations en retard", "base_legale": "CASF D226-2-4" })
        );
        // The most overdue first, then by number.
        let numbers: Vec<&str> = v["dossiers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["numero"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, ["2026-000042", "2026-000045", "2026-000050"]);
        assert_eq!(
            v["dossiers"][0],
            json!({
                "numero": "2026-000042",
                "date_reception": "2026-08-14",
                "date_demande": "2026-08-20",
                "echeance": "2026-11-20",
                "retard_jours": 12,
                "enfants": "Léa MARTIN (2018), Tom MARTIN (2020)",
            })
        );
        assert_eq!(v["dossiers"][1]["enfants"], "");
        assert_eq!(v["dossiers"][2]["retard_jours"], 1);
    }

    #[test]
    fn a_dossier_not_yet_overdue_is_left_out() {
        let dossiers = [
            dossier("2026-000001", "2026-12-02", vec![]),
            dossier("2026-000002", "2027-01-05", vec![]),
            dossier("2026-000003", "2026-12-01", vec![]),
        ];
        let v = reminder(&dossiers);
        assert_eq!(v["relance"]["nombre"], 1);
        assert_eq!(v["dossiers"].as_array().unwrap().len(), 1);
        assert_eq!(v["dossiers"][0]["numero"], "2026-000003");
        assert_eq!(dossiers[0].days_late(sample::today()), 0);
        assert_eq!(dossiers[1].days_late(sample::today()), 0);
        assert_eq!(reminder(&[])["relance"]["nombre"], 0);
    }

    #[test]
    fn children_are_named_with_their_birth_year() {
        assert_eq!(
            child("Noé", BirthDate::Approximate(d("2015-01-01"))).display(),
            "Noé MARTIN (vers 2015)"
        );
        assert_eq!(
            child("", BirthDate::Expected(d("2027-05-01"))).display(),
            "MARTIN (à naître)"
        );
        assert_eq!(child("Léa", BirthDate::Unknown).display(), "Léa MARTIN");
        let dossier = sample::dossier();
        let person = &dossier.children[0].data.person;
        let c = ReminderChild::from(person);
        assert_eq!(c.first_names, person.first_names);
        assert_eq!(c.birth, person.birth);
    }

    #[test]
    fn shared_blocks_have_the_shapes_of_a_dossier_letter_to_the_service() {
        let dossier = sample::dossier();
        let (labels, letterhead, agent) = (sample::labels(), sample::letterhead(), sample::agent());
        let assignment = dossier
            .assignments
            .iter()
            .find(|a| a.data.service_id == 5)
            .unwrap();
        let letter = build_letter(&dossier, &labels, &letterhead, &agent, assignment.id);
        let v = reminder(&three());
        for key in ["aujourdhui", "entete", "agent", "destinataire"] {
            assert_eq!(v[key], letter[key], "{key}");
        }
    }

    fn build_letter(
        dossier: &crate::dossier::record::DossierRecord,
        labels: &merge::Labels,
        letterhead: &merge::Letterhead,
        agent: &merge::Agent,
        assignment: i64,
    ) -> Value {
        merge::build(&LetterInput {
            letter: &LetterKind::RelanceEvaluation.into(),
            dossier,
            children: &[],
            recipient: &Recipient::Service(assignment),
            letterhead,
            agent,
            labels,
            today: sample::today(),
            received_on: d("2026-08-14"),
            can_see_source: false,
        })
        .unwrap()
        .value
    }

    fn paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    paths(v, &p, out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    paths(item, &format!("{prefix}[]"), out);
                }
            }
            _ => {
                out.insert(prefix.to_owned());
            }
        }
    }

    #[test]
    fn the_fields_are_exactly_the_data_and_nothing_about_sources_or_authors() {
        assert!(SHARED.iter().all(|p| dictionary::find(p).is_some()));
        let mut data = BTreeSet::new();
        paths(&reminder(&three()), "", &mut data);
        let listed: BTreeSet<String> = fields()
            .into_iter()
            .map(|(p, _)| p.to_owned())
            .filter(|p| p != "logo")
            .collect();
        assert_eq!(data, listed);
        assert!(fields().iter().all(|(p, d)| !d.is_empty()
            && !p.starts_with("signalant")
            && !p.starts_with("auteurs")
            && !p.starts_with("dossier.")));
    }

    #[test]
    fn check_names_unknown_fields() {
        let ok = [
            "logo",
            "entete",
            "dossiers",
            "dossiers[]",
            "dossiers[].numero",
            "relance.nombre",
            "destinataire.civilite",
        ];
        assert!(check(ok).is_empty());
        assert_eq!(
            check(["dossier.numero", "dossiers[].expose", "signalant.nom"]),
            [
                "Le champ « dossier.numero » n'existe pas dans une relance groupée (voir la liste de ses champs)",
                "Le champ « dossiers.expose » n'existe pas dans une relance groupée (voir la liste de ses champs)",
                "Le champ « signalant.nom » n'existe pas dans une relance groupée (voir la liste de ses champs)",
            ]
        );
        let reads = [FieldRead {
            path: "enfants[].prenom",
            context: "balise « x », paragraphe 2".into(),
        }];
        assert_eq!(
            check_fields(reads),
            [
                "Le champ « enfants.prenom » n'existe pas dans une relance groupée (voir la liste de ses champs) — balise « x », paragraphe 2"
            ]
        );
    }

    #[test]
    fn the_documentation_lists_every_field() {
        let md = markdown();
        assert!(md.starts_with("\n## Relance groupée des services\n"));
        for (path, _) in fields() {
            assert!(md.contains(&format!("| `{path}` |")), "{path}");
        }
    }
}
