#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, NaiveDate, Utc};
use vigie_domain::catalog::Catalog;
use vigie_domain::*;
use vigie_store::testing::{TestDb, add_service, add_territory, now};
use vigie_store::{Actor, Store};

/// Two territories with two services each: (territory ids, service ids).
pub struct Fixture {
    pub t1: i64,
    pub t2: i64,
    pub s1: i64,
    pub s2: i64,
    pub cat: Catalog,
}

pub async fn fixture(store: &Store) -> Fixture {
    let a = Actor::system();
    let t1 = add_territory(store, now(), &a, "T1", "MDS Bourges Nord").await;
    let t2 = add_territory(store, now(), &a, "T2", "MDS Vierzon").await;
    let s1 = add_service(store, now(), &a, t1, "S1", "Évaluation Bourges Nord").await;
    let s2 = add_service(store, now(), &a, t2, "S2", "Évaluation Vierzon").await;
    let cat = store.catalog().await.unwrap().as_ref().clone();
    Fixture {
        t1,
        t2,
        s1,
        s2,
        cat,
    }
}

pub fn p(cat: &Catalog, kind: ParamKind, code: &str) -> i64 {
    cat.of_kind(kind)
        .find(|v| v.code == code)
        .unwrap_or_else(|| panic!("{kind:?} {code}"))
        .id
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn child(birth_name: &str, first: &str, birth: BirthDate) -> ChildInput {
    ChildInput {
        person_id: None,
        person: Person {
            birth_name: birth_name.into(),
            usage_name: None,
            first_names: first.into(),
            sex: Sex::Unknown,
            birth,
        },
        address: Address::default(),
        csp_father_id: None,
        csp_mother_id: None,
        lieu_de_vie_id: None,
        comment: None,
        adults: vec![],
        authors: vec![],
        motif_ids: vec![],
        evaluation_result_id: None,
        conclusion: None,
    }
}

/// A minimal valid dossier in a territory, received at `received`.
pub fn simple(
    f: &Fixture,
    territory: i64,
    received: &str,
    children: Vec<ChildInput>,
) -> DossierInput {
    DossierInput {
        header: Header {
            received_at: at(received),
            type_id: p(&f.cat, ParamKind::DossierType, "IP"),
            danger_grave: false,
            violence_conjugale: false,
            sip: false,
            receiving_agent_id: None,
            channel_id: p(&f.cat, ParamKind::Channel, "TEL"),
            snated_number: None,
            territory_id: territory,
            status: DossierStatus::Recue,
            expose: None,
            observation: None,
        },
        source: Source::anonymous(Some(p(&f.cat, ParamKind::SourceCategory, "ANONYME"))),
        adults: vec![],
        children,
        assignments: vec![],
        follow_ups: vec![],
    }
}

/// Runs `f` on every backend, each on a fresh database, and drops them.
pub async fn on_both<F, Fut>(f: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: std::future::Future<Output = TestDb>,
{
    for db in TestDb::both().await {
        let backend = db.backend;
        eprintln!("— backend {backend}");
        let db = f(db).await;
        db.finish().await;
    }
}

/// Creates an agent account and returns its id.
pub async fn agent(store: &Store, login: &str) -> i64 {
    store
        .add_user(
            now(),
            &Actor::system(),
            &vigie_store::users::NewUser {
                login: login.into(),
                display_name: login.into(),
                password_hash: "x".into(),
                role: Role::AgentCrip,
                territories: vec![],
                service_id: None,
                demo: false,
            },
        )
        .await
        .unwrap()
}

/// A dossier with every part filled: source, two parents, two children (one unborn), an assignment, follow-ups.
pub fn full_dossier(f: &Fixture) -> DossierInput {
    let cat = &f.cat;
    let mut d = simple(f, f.t1, "2026-11-20T09:30:00Z", vec![]);
    d.header.danger_grave = true;
    d.header.violence_conjugale = true;
    d.header.snated_number = Some("SNATED-2026-001234".into());
    d.header.channel_id = p(cat, ParamKind::Channel, "119");
    d.header.expose = Some("Synthèse <script>alert(1)</script> — « texte » long".into());
    d.header.observation = Some("Observation de la CRIP".into());
    d.source = Source {
        category_id: Some(p(cat, ParamKind::SourceCategory, "EN")),
        confidentiality: SourceConfidentiality::Confidential,
        name: Some("Mme Directrice".into()),
        organisation: Some("École Jules Ferry".into()),
        address: Address {
            number: Some("3".into()),
            street: Some("rue des Écoles".into()),
            complement: None,
            postal_code: Some("18000".into()),
            commune_insee: Some("18033".into()),
            city: Some("Bourges".into()),
        },
        email: Some("ecole@example.org".into()),
        phone: Some("02 48 00 00 00".into()),
    };
    d.adults = vec![
        Adult {
            civility_id: Some(p(cat, ParamKind::Civility, "MME")),
            birth_name: "Lefèvre".into(),
            usage_name: Some("N'Diaye".into()),
            first_names: Some("Anaïs".into()),
            address: Address {
                postal_code: Some("18000".into()),
                commune_insee: Some("18033".into()),
                ..Default::default()
            },
            phone: None,
            email: None,
        },
        Adult {
            civility_id: Some(p(cat, ParamKind::Civility, "M")),
            birth_name: "N'Diaye".into(),
            usage_name: None,
            first_names: Some("Moussa".into()),
            address: Address::default(),
            phone: Some("06 00 00 00 00".into()),
            email: None,
        },
    ];
    let mut c1 = child("N'Diaye", "Éloïse", BirthDate::Exact(day("2015-03-12")));
    c1.person.sex = Sex::Female;
    c1.address = Address {
        number: Some("12 bis".into()),
        street: Some("avenue de la République".into()),
        complement: None,
        postal_code: Some("18000".into()),
        commune_insee: Some("18033".into()),
        city: Some("Bourges".into()),
    };
    c1.csp_father_id = Some(p(cat, ParamKind::Csp, "OUVR"));
    c1.csp_mother_id = Some(p(cat, ParamKind::Csp, "EMPL"));
    c1.lieu_de_vie_id = Some(p(cat, ParamKind::LieuDeVie, "DEUXPARENTS"));
    c1.comment = Some("Commentaire".into());
    c1.adults = vec![
        AdultLink {
            adult: 0,
            link_id: p(cat, ParamKind::Link, "MERE"),
            parental_authority: true,
        },
        AdultLink {
            adult: 1,
            link_id: p(cat, ParamKind::Link, "PERE"),
            parental_authority: false,
        },
    ];
    c1.authors = vec![
        Author {
            adult: Some(1),
            third_party_name: None,
            link_id: p(cat, ParamKind::Link, "PERE"),
        },
        Author {
            adult: None,
            third_party_name: Some("M. Voisin".into()),
            link_id: p(cat, ParamKind::Link, "TIERS"),
        },
    ];
    c1.motif_ids = vec![
        p(cat, ParamKind::Motif, "VIOLPHYS"),
        p(cat, ParamKind::Motif, "VIOLCONJ"),
    ];
    c1.evaluation_result_id = Some(p(cat, ParamKind::EvaluationResult, "DANGER"));
    c1.conclusion = Some(Conclusion {
        conclusion_id: p(cat, ParamKind::Conclusion, "PARQUET"),
        on: day("2026-11-21"),
        comment: Some("Transmis".into()),
    });
    let mut c2 = child("N'Diaye", "", BirthDate::Expected(day("2027-02-01")));
    c2.adults = vec![AdultLink {
        adult: 0,
        link_id: p(cat, ParamKind::Link, "MERE"),
        parental_authority: true,
    }];
    d.children = vec![c1, c2];
    d.assignments = vec![AssignmentInput {
        service_id: f.s1,
        asked_on: day("2026-11-20"),
        due_on: vigie_domain::deadline::evaluation_due(day("2026-11-20")),
        evaluators: vec!["A. Martin".into(), "B. Durand".into()],
        returned_on: None,
        result_id: None,
        cancelled: false,
        comment: None,
    }];
    d.follow_ups = vec![
        FollowUp {
            due_on: None,
            kind: FollowUpKind::Parquet,
            done_at: Some(at("2026-11-20T11:00:00Z")),
            not_done_reason: None,
        },
        FollowUp {
            due_on: None,
            kind: FollowUpKind::ParentsInformed,
            done_at: None,
            not_done_reason: Some("Contraire à l'intérêt de l'enfant".into()),
        },
    ];
    d
}
