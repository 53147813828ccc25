//! The name search end to end through the store, on both backends: the table of cases of
//! the domain (`vigie_domain::search::cases`), the scope inside the query, the parents,
//! the ranking and the pages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use crate::common::*;
use vigie_domain::search::cases::{APART, Case, FOUND};
use vigie_domain::search::{FoundPerson, MatchKind, SearchResults};
use vigie_domain::*;
use vigie_store::testing::{TestDb, now};
use vigie_store::{Actor, Store};

fn born(s: &str) -> BirthDate {
    match s.strip_prefix('~') {
        _ if s.is_empty() => BirthDate::Unknown,
        Some(d) => BirthDate::Approximate(day(d)),
        None => BirthDate::Exact(day(s)),
    }
}

fn case_child(c: &Case) -> ChildInput {
    let mut ch = child(c.family, c.first, born(c.born));
    ch.person.usage_name = (!c.usage.is_empty()).then(|| c.usage.to_owned());
    ch
}

async fn search(s: &Store, scope: &Scope, q: &str, page: usize) -> SearchResults {
    s.search_dossiers(now(), &Actor::system(), scope, q, page)
        .await
        .unwrap()
}

/// Per query, the rows returned: dossier number and reason.
type Seen = Vec<(String, Vec<(String, Option<String>)>)>;

#[tokio::test]
async fn every_case_of_the_table_holds_end_to_end_with_identical_rows_on_both_backends() {
    let mut per_backend: Vec<Seen> = Vec::new();
    for db in TestDb::both().await {
        let s = &db.store;
        let f = fixture(s).await;
        // One dossier per distinct child of the table.
        let mut dossier_of: HashMap<(&str, &str, &str, &str), i64> = HashMap::new();
        for (i, c) in FOUND.iter().chain(APART).enumerate() {
            let key = (c.family, c.usage, c.first, c.born);
            if dossier_of.contains_key(&key) {
                continue;
            }
            let when = format!("2025-{:02}-{:02}T10:00:00Z", 1 + i % 12, 1 + i % 28);
            let (id, _) = s
                .create_dossier(
                    now(),
                    &Actor::system(),
                    &simple(&f, f.t1, &when, vec![case_child(c)]),
                )
                .await
                .unwrap();
            dossier_of.insert(key, id);
        }
        let mut wrong = Vec::new();
        let mut seen = Vec::new();
        for c in FOUND.iter().chain(APART) {
            let id = dossier_of[&(c.family, c.usage, c.first, c.born)];
            let r = search(s, &Scope::All, c.query, 1).await;
            assert!(r.pages <= 1, "{}: {} results", c.query, r.total);
            let got = r
                .rows
                .iter()
                .find(|h| h.dossier.id == id)
                .and_then(|h| h.found.as_ref())
                .map(|f| f.kind);
            if got != c.expect {
                wrong.push(format!("{c:?}: {got:?}"));
            }
            seen.push((
                c.query.to_owned(),
                r.rows
                    .iter()
                    .map(|h| {
                        (
                            h.dossier.number.to_string(),
                            h.found.as_ref().map(|f| f.reason.clone()),
                        )
                    })
                    .collect(),
            ));
        }
        assert!(wrong.is_empty(), "{}:\n{}", db.backend, wrong.join("\n"));
        per_backend.push(seen);
        db.finish().await;
    }
    if let [a, b] = per_backend.as_slice() {
        assert_eq!(
            a, b,
            "SQLite and PostgreSQL return the same rows in the same order"
        );
    }
}

#[tokio::test]
async fn an_evaluator_finds_the_martin_of_their_scope_behind_a_hundred_others() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::system();
        for i in 0..100 {
            let when = format!("2026-10-{:02}T10:{:02}:00Z", 1 + i % 28, i % 60);
            s.create_dossier(
                now(),
                &a,
                &simple(
                    &f,
                    f.t2,
                    &when,
                    vec![child("Martin", "Hugo", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        }
        // The oldest of all, in the évaluateur's territory.
        let (mine, _) = s
            .create_dossier(
                now(),
                &a,
                &simple(
                    &f,
                    f.t1,
                    "2020-01-01T10:00:00Z",
                    vec![child("Martin", "Léa", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        let evaluator = Scope::for_user(Role::EvaluateurTerritorial, &[f.t1], Some(f.s1));
        let r = search(s, &evaluator, "martin", 1).await;
        assert_eq!(
            r.rows.iter().map(|h| h.dossier.id).collect::<Vec<_>>(),
            vec![mine]
        );
        assert_eq!((r.total, r.pages, r.truncated), (1, 1, false));
        // The agent sees all 101, 50 per page, newest first, the last page holding the oldest.
        let all = search(s, &Scope::All, "martin", 1).await;
        assert_eq!((all.total, all.pages, all.rows.len()), (101, 3, 50));
        let last = search(s, &Scope::All, "martin", 3).await;
        assert_eq!(last.rows.last().map(|h| h.dossier.id), Some(mine));
        db
    })
    .await;
}

#[tokio::test]
async fn parents_are_found_with_their_own_reason_and_exact_spellings_come_first() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::system();
        // A newborn not named yet; its mother is.
        let mut d = simple(
            &f,
            f.t1,
            "2026-11-20T10:00:00Z",
            vec![child("X", "Bébé", BirthDate::Unknown)],
        );
        d.adults.push(Adult {
            civility_id: None,
            birth_name: "Camara".into(),
            usage_name: None,
            first_names: Some("Fatoumata".into()),
            address: Address::default(),
            phone: None,
            email: None,
        });
        let (newborn, _) = s.create_dossier(now(), &a, &d).await.unwrap();
        let (spelt, _) = s
            .create_dossier(
                now(),
                &a,
                &simple(
                    &f,
                    f.t1,
                    "2025-01-01T10:00:00Z",
                    vec![child("Lefèvre", "Léa", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        let (sounds, _) = s
            .create_dossier(
                now(),
                &a,
                &simple(
                    &f,
                    f.t1,
                    "2026-11-01T10:00:00Z",
                    vec![child("Lefebvre", "Léa", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        let r = search(s, &Scope::All, "fatoumata camara", 1).await;
        let hit = &r.rows[0];
        assert_eq!(hit.dossier.id, newborn);
        let found = hit.found.as_ref().unwrap();
        assert_eq!(
            (found.person, found.kind),
            (FoundPerson::Parent, MatchKind::SameSpelling)
        );
        assert_eq!(found.reason, "parent (même orthographe)");
        // A birth date typed searches a child: the mother is not proposed then.
        assert!(
            search(s, &Scope::All, "camara 2026", 1)
                .await
                .rows
                .is_empty()
        );
        // Outside the scope, the parent is not found either.
        let elsewhere = Scope::for_user(Role::EvaluateurTerritorial, &[f.t2], Some(f.s2));
        assert!(search(s, &elsewhere, "camara", 1).await.rows.is_empty());
        // The exact spelling first, though older.
        let r = search(s, &Scope::All, "lefevre lea", 1).await;
        let order: Vec<(i64, String)> = r
            .rows
            .iter()
            .map(|h| (h.dossier.id, h.found.as_ref().unwrap().reason.clone()))
            .collect();
        assert_eq!(
            order,
            vec![
                (spelt, "même orthographe".into()),
                (sounds, "même prononciation".into())
            ]
        );
        db
    })
    .await;
}

#[tokio::test]
async fn the_form_proposes_the_children_the_search_finds() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::system();
        let known = [
            ("N'Diaye", "Aminata", "ndiaye", "Aminata"),
            ("de La Tour", "Charles", "Delatour", "Charles"),
            ("Martin", "Jean-Baptiste", "Matrin", "Baptiste"),
            ("Öztürk", "Çağla", "OZTURK", "cagla"),
        ];
        for (i, (family, first, typed_family, typed_first)) in known.iter().enumerate() {
            let when = format!("2026-0{}-01T10:00:00Z", i + 1);
            s.create_dossier(
                now(),
                &a,
                &simple(
                    &f,
                    f.t1,
                    &when,
                    vec![child(family, first, BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
            let typed = child(typed_family, typed_first, BirthDate::Unknown).person;
            let proposed = s.suggest_persons(&Scope::All, &typed, 10).await.unwrap();
            assert_eq!(
                proposed
                    .iter()
                    .map(|p| p.person.birth_name.as_str())
                    .collect::<Vec<_>>(),
                vec![*family],
                "{typed_family} {typed_first}"
            );
            // The search finds the same child.
            let found = search(s, &Scope::All, &format!("{typed_family} {typed_first}"), 1).await;
            assert_eq!(found.rows.len(), 1, "{typed_family} {typed_first}");
        }
        db
    })
    .await;
}

#[tokio::test]
async fn migration_8_computes_the_pair_and_year_keys_of_the_persons_already_recorded() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        s.create_dossier(
            now(),
            &Actor::system(),
            &simple(
                &f,
                f.t1,
                "2026-03-01T10:00:00Z",
                vec![child("Martin", "Léa", BirthDate::Exact(day("2019-05-12")))],
            ),
        )
        .await
        .unwrap();
        let found = |r: SearchResults| r.rows.len();
        assert_eq!(found(search(s, &Scope::All, "léa martin", 1).await), 1);
        assert_eq!(found(search(s, &Scope::All, "martin 2019", 1).await), 1);
        // A base of version 7: the keys of pieces only.
        db.raw("DELETE FROM person_key WHERE key LIKE '%|%'")
            .await
            .unwrap();
        // (The later migrations run again over their own result.)
        db.raw("DELETE FROM schema_migrations WHERE version >= 8")
            .await
            .unwrap();
        // Several words, or a word and a year, are found by those keys only.
        assert_eq!(found(search(s, &Scope::All, "léa martin", 1).await), 0);
        assert_eq!(found(search(s, &Scope::All, "martin 2019", 1).await), 0);
        assert_eq!(found(search(s, &Scope::All, "martin", 1).await), 1);
        assert_eq!(
            db.owner().await.migrate(now()).await.unwrap(),
            (8..=vigie_store::migrate::latest_version()).collect::<Vec<_>>()
        );
        assert_eq!(found(search(s, &Scope::All, "léa martin", 1).await), 1);
        assert_eq!(found(search(s, &Scope::All, "martin 2019", 1).await), 1);
        assert_eq!(found(search(s, &Scope::All, "martin 2018", 1).await), 0);
        db
    })
    .await;
}
