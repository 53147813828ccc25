#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, NaiveDate, Utc};
use vigie_domain::*;
use vigie_store::params::Catalog;
use vigie_store::testing::{TestDb, now};
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
    let t1 = store
        .add_territory(now(), &a, "T1", "MDS Bourges Nord")
        .await
        .unwrap();
    let t2 = store
        .add_territory(now(), &a, "T2", "MDS Vierzon")
        .await
        .unwrap();
    let s1 = store
        .add_service(now(), &a, t1, "S1", "Évaluation Bourges Nord")
        .await
        .unwrap();
    let s2 = store
        .add_service(now(), &a, t2, "S2", "Évaluation Vierzon")
        .await
        .unwrap();
    let cat = store.catalog().await.unwrap();
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
