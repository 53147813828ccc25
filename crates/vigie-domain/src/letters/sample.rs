//! A fictional dossier to test letters on: three children, two parents living apart (each with
//! parental authority and an address of their own), a stepfather who holds no authority and is
//! the alleged author, a confidential source whose name the free texts repeat, a context of
//! violences conjugales, an assignment overdue, conclusions with comments. Every value a family
//! must not read is distinctive, so a test can look for it in a letter's text.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::RecipientKind;
use super::merge::{Agent, Contact, Labels, Letterhead};
use crate::dossier::record::{AdultRecord, AssignmentRecord, ChildRecord, DossierRecord};
use crate::*;

/// Strings that must never appear in a letter to a family (besides the other parent's address:
/// « rue des Lilas » for the mother, « Rue du Père Noël » for the father).
pub const FAMILY_FORBIDDEN: &[&str] = &[
    "LEROY-SIGNALANT",
    "École Jean Moulin",
    "RENARD-AUTEUR",
    "06 11 22 33 44",
    "EXPOSE-LIBRE",
    "OBSERVATION-LIBRE",
    "COMMENTAIRE-CONCLUSION",
    "Foyer des Tilleuls",
];

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

fn address(number: &str, street: &str, postal_code: &str, city: &str) -> Address {
    Address {
        number: Some(number.into()),
        street: Some(street.into()),
        complement: None,
        postal_code: Some(postal_code.into()),
        commune_insee: None,
        city: Some(city.into()),
    }
}

fn adult(
    id: i64,
    civility: i64,
    name: &str,
    first: &str,
    addr: Address,
    phone: &str,
) -> AdultRecord {
    AdultRecord {
        id,
        data: Adult {
            civility_id: Some(civility),
            birth_name: name.into(),
            usage_name: None,
            first_names: Some(first.into()),
            address: addr,
            phone: Some(phone.into()),
            email: None,
        },
    }
}

fn child(id: i64, first: &str, born: NaiveDate, sex: Sex) -> ChildRecord {
    ChildRecord {
        id,
        person_id: id,
        version: 1,
        data: ChildInput {
            person_id: Some(id),
            person: Person {
                birth_name: "MARTIN".into(),
                usage_name: None,
                first_names: first.into(),
                sex,
                birth: BirthDate::Exact(born),
            },
            address: address("4", "allée du Foyer des Tilleuls", "18000", "Bourges"),
            csp_father_id: None,
            csp_mother_id: None,
            lieu_de_vie_id: None,
            comment: None,
            adults: vec![
                AdultLink {
                    adult: 1,
                    link_id: 20,
                    parental_authority: true,
                },
                AdultLink {
                    adult: 2,
                    link_id: 21,
                    parental_authority: true,
                },
                AdultLink {
                    adult: 3,
                    link_id: 22,
                    parental_authority: false,
                },
            ],
            authors: vec![Author {
                adult: Some(3),
                third_party_name: None,
                link_id: 22,
            }],
            motif_ids: vec![30],
            evaluation_result_id: Some(40),
            conclusion: Some(Conclusion {
                conclusion_id: 50,
                on: d(2026, 11, 30),
                comment: Some("COMMENTAIRE-CONCLUSION d'après LEROY-SIGNALANT".into()),
            }),
        },
        other_dossiers: vec![],
    }
}

/// The dossier.
pub fn dossier() -> DossierRecord {
    let at = |s: &str| s.parse().unwrap_or_default();
    DossierRecord {
        id: 7,
        number: DossierNumber::new(2026, 42).unwrap_or_else(|| unreachable!()),
        version: 3,
        header: Header {
            received_at: at("2026-11-24T09:30:00Z"),
            type_id: 10,
            danger_grave: false,
            violence_conjugale: true,
            sip: false,
            receiving_agent_id: None,
            channel_id: 11,
            snated_number: Some("119-2026-000123".into()),
            territory_id: 1,
            status: DossierStatus::EnEvaluation,
            expose: Some("EXPOSE-LIBRE : la directrice LEROY-SIGNALANT rapporte…".into()),
            observation: Some("OBSERVATION-LIBRE".into()),
        },
        source: Source {
            category_id: Some(12),
            confidentiality: SourceConfidentiality::Confidential,
            name: Some("Mme LEROY-SIGNALANT".into()),
            organisation: Some("École Jean Moulin".into()),
            address: address("5", "rue de l'École", "18000", "Bourges"),
            email: Some("ecole@example.fr".into()),
            phone: Some("02 48 11 11 11".into()),
        },
        adults: vec![
            adult(
                1,
                60,
                "DURAND",
                "Julie",
                address("12", "rue des Lilas", "18000", "Bourges"),
                "06 00 00 00 01",
            ),
            adult(
                2,
                61,
                "MARTIN",
                "Paul",
                address("3", "Rue du Père Noël", "18100", "Vierzon"),
                "06 11 22 33 44",
            ),
            adult(
                3,
                61,
                "RENARD-AUTEUR",
                "Marc",
                address("9", "impasse Sombre", "18000", "Bourges"),
                "06 99 99 99 99",
            ),
        ],
        children: vec![
            child(101, "Léa", d(2018, 3, 1), Sex::Female),
            child(102, "Tom", d(2021, 11, 20), Sex::Male),
            child(103, "Noé", d(2025, 6, 10), Sex::Male),
        ],
        assignments: vec![AssignmentRecord {
            id: 201,
            version: 1,
            data: AssignmentInput {
                service_id: 5,
                asked_on: d(2026, 8, 20),
                due_on: d(2026, 11, 20),
                evaluators: vec!["A. Petit".into(), "B. Roux".into()],
                returned_on: None,
                result_id: None,
                cancelled: false,
                comment: Some("COMMENTAIRE-CONCLUSION du service".into()),
            },
        }],
        follow_ups: vec![],
        direct: None,
        created_by: None,
        created_at: at("2026-11-24T09:30:00Z"),
        updated_by: None,
        updated_at: at("2026-11-24T09:30:00Z"),
    }
}

pub fn labels() -> Labels {
    let params = [
        (10, "Information préoccupante"),
        (11, "Courriel"),
        (12, "Éducation nationale"),
        (20, "Mère"),
        (21, "Père"),
        (22, "Beau-père"),
        (30, "Violences psychologiques"),
        (40, "Risque de danger"),
        (50, "Mesure administrative"),
        (60, "Madame"),
        (61, "Monsieur"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    Labels {
        params,
        territories: HashMap::from([(1, "Bourges Nord".to_owned())]),
        services: HashMap::from([(
            5,
            Contact {
                name: "Service territorial d'action sociale Nord".into(),
                organisation: Some("Conseil départemental du Cher".into()),
                address: "8 rue Jean Jaurès\n18000 Bourges".into(),
                email: Some("stas.nord@example.fr".into()),
                phone: None,
            },
        )]),
        status_label: None,
    }
}

pub fn letterhead() -> Letterhead {
    Letterhead {
        departement: "Conseil départemental du Cher".into(),
        service: "Cellule de recueil des informations préoccupantes (CRIP)".into(),
        address: "1 place Marcel Plaisant\nCS 30322\n18023 Bourges Cedex".into(),
        city: "Bourges".into(),
        phone: "02 48 00 00 00".into(),
        email: "crip@example.fr".into(),
        signatory: "Claire DUMAS".into(),
        signatory_title: "Directrice de l'enfance et de la famille".into(),
        delegation: "Pour le Président du Conseil départemental et par délégation".into(),
    }
}

pub fn agent() -> Agent {
    Agent {
        name: "Sophie BERNARD".into(),
        title: "Agent CRIP".into(),
        phone: "02 48 00 00 01".into(),
        email: "sophie.bernard@example.fr".into(),
    }
}

pub fn directory() -> Vec<(RecipientKind, Contact)> {
    let c = |name: &str, organisation: &str, address: &str| Contact {
        name: name.into(),
        organisation: Some(organisation.into()),
        address: address.into(),
        email: None,
        phone: None,
    };
    vec![
        (
            RecipientKind::Procureur,
            c(
                "Monsieur le Procureur de la République",
                "Tribunal judiciaire de Bourges",
                "8 rue des Arènes\n18000 Bourges",
            ),
        ),
        (
            RecipientKind::OtherCrip,
            c(
                "CRIP du Loiret",
                "Conseil départemental du Loiret",
                "45 rue de Bourgogne\n45000 Orléans",
            ),
        ),
        (
            RecipientKind::Snated,
            c(
                "Service national d'accueil téléphonique de l'enfance en danger (119)",
                "GIP Enfance en danger",
                "BP 30302\n75823 Paris Cedex 17",
            ),
        ),
    ]
}
