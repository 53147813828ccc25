//! The store's behaviour, on SQLite and on PostgreSQL: every test runs on both.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use vigie_domain::dossier::DossierEdit;
use vigie_domain::*;
use vigie_store::dossiers::ListFilter;
use vigie_store::migrate::{Migration, Step, migrations};
use vigie_store::params_admin::{NewValue, Table};
use vigie_store::password;
use vigie_store::sessions::SessionPolicy;
use vigie_store::testing::{TestDb, now};
use vigie_store::users::NewUser;
use vigie_store::{Actor, StoreError};

#[tokio::test]
async fn migrations_seed_reference_data_and_are_idempotent() {
    on_both(|db| async move {
        let s = &db.store;
        assert_eq!(
            s.schema_version().await.unwrap(),
            vigie_store::migrate::latest_version()
        );
        assert!(
            s.migrate(now()).await.unwrap().is_empty(),
            "second run applies nothing"
        );
        let counts: std::collections::HashMap<_, _> =
            s.counts().await.unwrap().into_iter().collect();
        assert!(counts["commune"] > 34_000, "{}", counts["commune"]);
        assert_eq!(
            counts["param_value"] as usize,
            vigie_domain::param::defaults().len()
        );
        assert_eq!(
            counts["app_user"], 0,
            "no account until an administrator is created"
        );
        let bourges = s.find_communes("bourg", &["18".into()], 5).await.unwrap();
        assert_eq!(bourges[0].insee, "18033");
        assert_eq!(bourges[0].postal_code, "18000");
        assert!(s.commune_exists("2A004").await.unwrap());
        assert!(s.commune_exists("97411").await.unwrap());
        assert!(!s.commune_exists("99999").await.unwrap());
        let by_cp = s.find_communes("1820", &["18".into()], 50).await.unwrap();
        assert!(by_cp.iter().all(|c| c.postal_code.starts_with("1820")) && !by_cp.is_empty());
        db
    })
    .await;
}

#[tokio::test]
async fn a_failing_migration_leaves_the_database_unchanged() {
    on_both(|db| async move {
        // Migrations run as the owner (on PostgreSQL the application's role cannot).
        let s = db.owner().await;
        let mut list = migrations();
        let latest = vigie_store::migrate::latest_version();
        list.push(Migration {
            version: latest + 1,
            name: "deliberately failing",
            steps: vec![
                Step::Sql("CREATE TABLE half_done (id {BIGINT} PRIMARY KEY)".into()),
                Step::Sql("INSERT INTO half_done (id) VALUES (1)".into()),
                Step::Sql("INSERT INTO no_such_table (id) VALUES (1)".into()),
            ],
            grants: &[],
        });
        assert!(s.migrate_with(&list, now()).await.is_err());
        assert_eq!(s.schema_version().await.unwrap(), latest);
        assert!(
            db.raw("SELECT * FROM half_done").await.is_err(),
            "the table created before the failure is gone"
        );
        db
    })
    .await;
}

#[tokio::test]
async fn a_schema_newer_than_the_program_is_refused() {
    on_both(|db| async move {
        db.raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', '2030-01-01T00:00:00Z')").await.unwrap();
        assert!(matches!(db.store.migrate(now()).await, Err(StoreError::SchemaTooNew { db: 99, binary }) if binary == vigie_store::migrate::latest_version()));
        let e = db.store.require_current_schema().await.unwrap_err();
        assert!(e.to_string().contains("plus récent"), "{e}");
        db
    })
    .await;
}

#[tokio::test]
async fn a_whole_dossier_round_trips_and_its_consultation_is_audited() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let input = full_dossier(&f);
        let agent = Actor::user(1, Some("192.0.2.1".into()));
        let (id, number) = s
            .create_dossier(now(), &Actor::system(), &input)
            .await
            .unwrap();
        assert_eq!(number.to_string(), "2026-000001");
        let (_, n2) = s
            .create_dossier(
                now(),
                &Actor::system(),
                &simple(
                    &f,
                    f.t1,
                    "2026-01-01T00:30:00Z",
                    vec![child("A", "B", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        assert_eq!(n2.to_string(), "2026-000002");
        // 31/12 at 23:30 UTC is already 1 January in Paris: the number takes the local year.
        let (_, n3) = s
            .create_dossier(
                now(),
                &Actor::system(),
                &simple(
                    &f,
                    f.t1,
                    "2025-12-31T23:30:00Z",
                    vec![child("A", "B", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        assert_eq!(n3.to_string(), "2026-000003");

        let rec = s
            .read_dossier(now(), &agent, &Scope::All, id)
            .await
            .unwrap();
        assert_eq!(rec.number, number);
        assert_eq!(rec.version, 1);
        assert_eq!(rec.header, input.header);
        assert_eq!(rec.source, input.source);
        assert_eq!(rec.adults.len(), 2);
        assert_eq!(rec.adults[0].data, input.adults[0]);
        assert_eq!(rec.adults[1].data, input.adults[1]);
        assert_eq!(rec.children.len(), 2);
        let c = &rec.children[0].data;
        let mut expected = input.children[0].clone();
        expected.person_id = Some(rec.children[0].person_id);
        // Links and authors come back with adult ids instead of indexes.
        for l in &mut expected.adults {
            l.adult = rec.adults[l.adult as usize].id;
        }
        expected.authors[0].adult = Some(rec.adults[1].id);
        let mut motifs = expected.motif_ids.clone();
        motifs.sort_by_key(|m| f.cat.param(*m).unwrap().sort_order);
        expected.motif_ids = motifs;
        assert_eq!(c, &expected);
        assert_eq!(
            rec.children[1].data.person.birth,
            BirthDate::Expected(day("2027-02-01"))
        );
        assert_eq!(rec.assignments.len(), 1);
        assert_eq!(rec.assignments[0].data, input.assignments[0]);
        assert_eq!(rec.follow_ups, input.follow_ups);

        let tail = s.audit_tail(1).await.unwrap();
        assert_eq!(tail[0].action, "dossier.consultation");
        assert_eq!(tail[0].object_id, Some(id));
        assert_eq!(tail[0].user_id, Some(1));
        assert_eq!(tail[0].ip.as_deref(), Some("192.0.2.1"));
        // No content in the trail.
        let all = s.audit_page(0, 1000).await.unwrap();
        for e in &all {
            let d = e.detail.clone().unwrap_or_default();
            assert!(
                !d.contains("Diaye") && !d.contains("Éloïse") && !d.contains("Synthèse"),
                "{d}"
            );
        }
        db
    })
    .await;
}

#[tokio::test]
async fn nothing_half_written_when_a_part_fails() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let before = s.counts().await.unwrap();
        let mut d = full_dossier(&f);
        // The second child points to a person that does not exist: detected after the
        // dossier, its source, its adults and its first child were inserted.
        d.children[1].person_id = Some(999_999);
        let e = s.create_dossier(now(), &Actor::system(), &d).await.unwrap_err();
        assert!(matches!(&e, StoreError::Invalid(de) if de.fields()[0].field == "children[1].person_id"), "{e:?}");
        assert_eq!(s.counts().await.unwrap(), before);
        // And the number was not consumed.
        let (_, n) = s.create_dossier(now(), &Actor::system(), &full_dossier(&f)).await.unwrap();
        assert_eq!(n.to_string(), "2026-000001");
        db
    })
    .await;
}

#[tokio::test]
async fn the_same_child_twice_in_a_dossier_is_refused_whole() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let (first, _) = s.create_dossier(now(), &Actor::system(), &full_dossier(&f)).await.unwrap();
        let rec = s.read_dossier(now(), &Actor::system(), &Scope::All, first).await.unwrap();
        let before = s.counts().await.unwrap();
        let mut d = full_dossier(&f);
        d.children[0].person_id = Some(rec.children[1].person_id);
        d.children[1].person_id = Some(rec.children[1].person_id);
        let e = s.create_dossier(now(), &Actor::system(), &d).await.unwrap_err();
        assert!(matches!(&e, StoreError::Invalid(de) if de.fields()[0].field == "children[1].person_id"), "{e:?}");
        assert_eq!(s.counts().await.unwrap(), before);
        // Linked once, it is the same person in both dossiers.
        let mut d = full_dossier(&f);
        d.children[0].person_id = Some(rec.children[1].person_id);
        let (second, _) = s.create_dossier(now(), &Actor::system(), &d).await.unwrap();
        let rec2 = s.read_dossier(now(), &Actor::system(), &Scope::All, second).await.unwrap();
        assert_eq!(rec2.children[0].person_id, rec.children[1].person_id);
        assert_ne!(rec2.children[1].person_id, rec.children[1].person_id);
        assert_eq!(rec2.children[0].other_dossiers[0].id, Some(first));
        db
    })
    .await;
}

#[tokio::test]
async fn references_must_exist_be_active_and_of_the_right_table() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let mut d = full_dossier(&f);
        d.children[0].motif_ids.push(p(&f.cat, ParamKind::Conclusion, "CSS")); // wrong table
        let e = s.create_dossier(now(), &Actor::system(), &d).await.unwrap_err();
        assert!(matches!(&e, StoreError::Invalid(de) if de.fields().iter().any(|x| x.field == "children[0].motifs")), "{e:?}");
        let motif = p(&f.cat, ParamKind::Motif, "PROSTIT");
        s.admin_set_active(now(), &Actor::system(), Table::Param(ParamKind::Motif), motif, false).await.unwrap();
        let mut d = full_dossier(&f);
        d.children[0].motif_ids = vec![motif];
        let e = s.create_dossier(now(), &Actor::system(), &d).await.unwrap_err();
        assert!(e.to_string().contains("désactivée") || matches!(&e, StoreError::Invalid(de) if de.fields()[0].message.contains("désactivée")), "{e:?}");
        assert_eq!(s.counts().await.unwrap().iter().find(|c| c.0 == "dossier").unwrap().1, 0);
        db
    })
    .await;
}

#[tokio::test]
async fn a_value_in_use_cannot_be_deleted_only_deactivated() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        s.create_dossier(now(), &Actor::system(), &full_dossier(&f))
            .await
            .unwrap();
        let used = p(&f.cat, ParamKind::Motif, "VIOLPHYS");
        let motifs = Table::Param(ParamKind::Motif);
        assert!(matches!(
            s.admin_delete(now(), &Actor::system(), motifs, used).await,
            Err(StoreError::Invalid(DomainError::Rule(m))) if m.contains("utilisée")
        ));
        s.admin_set_active(now(), &Actor::system(), motifs, used, false)
            .await
            .unwrap();
        let cat = s.catalog().await.unwrap();
        assert!(!cat.param(used).unwrap().active);
        let new = |code, label| NewValue {
            code,
            label,
            ..Default::default()
        };
        let unused = s
            .admin_add(
                now(),
                &Actor::system(),
                motifs,
                &new("NOUVEAU", "Nouveau motif"),
            )
            .await
            .unwrap();
        assert!(matches!(
            s.admin_add(now(), &Actor::system(), motifs, &new("NOUVEAU", "Doublon"))
                .await,
            Err(StoreError::Invalid(de)) if de.fields().iter().any(|x| x.field == "code")
        ));
        s.admin_delete(now(), &Actor::system(), motifs, unused)
            .await
            .unwrap();
        assert!(s.catalog().await.unwrap().param(unused).is_none());
        // The old dossier still shows the deactivated value.
        let rec = s
            .read_dossier(now(), &Actor::system(), &Scope::All, 1)
            .await
            .unwrap();
        assert!(rec.children[0].data.motif_ids.contains(&used));
        db
    })
    .await;
}

#[tokio::test]
async fn an_evaluator_sees_only_their_territory_and_what_is_assigned_to_their_service() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::system();
        let (in_t1, _) = s
            .create_dossier(
                now(),
                &a,
                &simple(
                    &f,
                    f.t1,
                    "2026-11-01T10:00:00Z",
                    vec![child("Martin", "Léa", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        let (in_t2, _) = s
            .create_dossier(
                now(),
                &a,
                &simple(
                    &f,
                    f.t2,
                    "2026-11-02T10:00:00Z",
                    vec![child("Martin", "Hugo", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        let (in_t2_assigned, n3) = s
            .create_dossier(
                now(),
                &a,
                &simple(
                    &f,
                    f.t2,
                    "2026-11-03T10:00:00Z",
                    vec![child("Martin", "Jade", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        let evaluator = Scope::for_user(Role::EvaluateurTerritorial, &[f.t1], Some(f.s1));
        let ids = |rows: Vec<DossierSummary>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();

        let page = s
            .list_dossiers(&evaluator, &ListFilter::default(), None, 50)
            .await
            .unwrap();
        assert_eq!(ids(page.rows), vec![in_t1]);
        // Filtered on a territory: their own shows all of it, another only what is assigned.
        let on = |t: i64| ListFilter {
            territory_id: Some(t),
            ..ListFilter::default()
        };
        let listed = async |filter: ListFilter| {
            ids(s
                .list_dossiers(&evaluator, &filter, None, 50)
                .await
                .unwrap()
                .rows)
        };
        assert_eq!(listed(on(f.t1)).await, vec![in_t1]);
        assert_eq!(listed(on(f.t2)).await, Vec::<i64>::new());
        assert_eq!(
            ids(s
                .search_dossiers(now(), &a, &evaluator, "martin", 1)
                .await
                .unwrap()
                .dossiers()),
            vec![in_t1]
        );
        assert_eq!(
            ids(s
                .search_dossiers(now(), &a, &evaluator, &n3.to_string(), 1)
                .await
                .unwrap()
                .dossiers()),
            Vec::<i64>::new()
        );
        assert!(matches!(
            s.read_dossier(now(), &a, &evaluator, in_t2).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            s.audit_tail(1).await.unwrap()[0].action,
            "dossier.consultation_refusee"
        );
        // The form's buttons check the scope without reading the dossier: nothing is
        // recorded within it; outside it, the refusal is.
        let count = async || s.audit_page(0, 100_000).await.unwrap().len();
        let before = count().await;
        s.require_in_scope(now(), &a, &evaluator, in_t1)
            .await
            .unwrap();
        assert_eq!(count().await, before);
        assert!(matches!(
            s.require_in_scope(now(), &a, &evaluator, in_t2).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(count().await, before + 1);
        assert_eq!(
            s.audit_tail(1).await.unwrap()[0].action,
            "dossier.consultation_refusee"
        );

        // Assigned to the evaluator's service: now visible.
        let assignment = AssignmentInput {
            service_id: f.s1,
            asked_on: day("2026-11-03"),
            due_on: day("2027-02-03"),
            evaluators: vec![],
            returned_on: None,
            result_id: None,
            cancelled: false,
            comment: None,
        };
        let rec = s
            .read_dossier(now(), &a, &Scope::All, in_t2_assigned)
            .await
            .unwrap();
        let mut e = DossierEdit::from_record(&rec);
        e.input.assignments.push(assignment);
        e.assignments.push(None);
        s.save_dossier(now(), &a, &Scope::All, &e).await.unwrap();
        let page = s
            .list_dossiers(&evaluator, &ListFilter::default(), None, 50)
            .await
            .unwrap();
        assert_eq!(ids(page.rows), vec![in_t2_assigned, in_t1]);
        assert_eq!(listed(on(f.t1)).await, vec![in_t1]);
        assert_eq!(listed(on(f.t2)).await, vec![in_t2_assigned]);
        assert!(
            s.read_dossier(now(), &a, &evaluator, in_t2_assigned)
                .await
                .is_ok()
        );
        assert_eq!(
            ids(s
                .search_dossiers(now(), &a, &evaluator, &n3.to_string(), 1)
                .await
                .unwrap()
                .dossiers()),
            vec![in_t2_assigned]
        );
        // Administrators and statistics readers see no dossier at all.
        for role in [Role::Administrateur, Role::LecteurStatistiques] {
            let none = Scope::for_user(role, &[f.t1, f.t2], None);
            assert!(
                s.list_dossiers(&none, &ListFilter::default(), None, 50)
                    .await
                    .unwrap()
                    .rows
                    .is_empty()
            );
            assert!(
                s.search_dossiers(now(), &a, &none, "martin", 1)
                    .await
                    .unwrap()
                    .dossiers()
                    .is_empty()
            );
            assert!(matches!(
                s.read_dossier(now(), &a, &none, in_t1).await,
                Err(StoreError::NotFound)
            ));
        }
        // A scoped agent writing outside the scope gets NotFound too.
        let rec = s.read_dossier(now(), &a, &Scope::All, in_t2).await.unwrap();
        let mut e = DossierEdit::from_record(&rec);
        e.input.header.sip = !e.input.header.sip;
        assert!(matches!(
            s.save_dossier(now(), &a, &evaluator, &e).await,
            Err(StoreError::NotFound)
        ));
        db
    })
    .await;
}

#[tokio::test]
async fn list_pages_by_keyset_newest_first_with_filters() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::system();
        for i in 0..25 {
            let territory = if i % 2 == 0 { f.t1 } else { f.t2 };
            // Several dossiers share the same instant: the id breaks ties.
            let when = format!("2026-10-{:02}T10:00:00Z", 1 + i / 3);
            s.create_dossier(
                now(),
                &a,
                &simple(
                    &f,
                    territory,
                    &when,
                    vec![child("Petit", "Noé", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        }
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = s
                .list_dossiers(&Scope::All, &ListFilter::default(), cursor, 10)
                .await
                .unwrap();
            seen.extend(page.rows.iter().map(|r| (r.received_at, r.id)));
            match page.next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), 25);
        let mut sorted = seen.clone();
        sorted.sort_by(|x, y| y.cmp(x));
        assert_eq!(seen, sorted, "newest first, no duplicates, none skipped");
        let f1 = ListFilter {
            territory_id: Some(f.t1),
            from: Some(at("2026-10-03T00:00:00Z")),
            to: Some(at("2026-10-06T00:00:00Z")),
            ..Default::default()
        };
        let rows = s
            .list_dossiers(&Scope::All, &f1, None, 100)
            .await
            .unwrap()
            .rows;
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|r| r.territory_label == "MDS Bourges Nord"
            && r.received_at >= at("2026-10-03T00:00:00Z")
            && r.received_at < at("2026-10-06T00:00:00Z")));
        assert_eq!(rows.len(), 5);
        let by_status = ListFilter {
            status: Some(DossierStatus::Cloturee),
            ..Default::default()
        };
        assert!(
            s.list_dossiers(&Scope::All, &by_status, None, 100)
                .await
                .unwrap()
                .rows
                .is_empty()
        );
        assert!(rows[0].children.contains("Noé PETIT"));
        db
    })
    .await;
}

#[tokio::test]
async fn name_search_normalises_and_sounds_alike_with_identical_results_on_both() {
    let mut results: Vec<Vec<Vec<String>>> = Vec::new();
    for db in TestDb::both().await {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::system();
        let kids = [
            ("Lefèvre-Dubois", "Éloïse", "2014-05-02"),
            ("LEFÈVRE", "Hugo", "2016-01-10"),
            ("Lefebvre", "Chloé", "2012-08-30"),
            ("N'Diaye", "Maël", "2019-12-01"),
            ("Martin", "Louise", "2018-03-03"),
        ];
        for (i, (name, first, born)) in kids.iter().enumerate() {
            let when = format!("2026-09-{:02}T10:00:00Z", i + 1);
            s.create_dossier(
                now(),
                &a,
                &simple(
                    &f,
                    f.t1,
                    &when,
                    vec![child(name, first, BirthDate::Exact(day(born)))],
                ),
            )
            .await
            .unwrap();
        }
        let search = |q: &'static str| {
            let s = s.clone();
            async move {
                s.search_dossiers(now(), &Actor::system(), &Scope::All, q, 1)
                    .await
                    .unwrap()
                    .dossiers()
                    .into_iter()
                    .map(|r| r.children)
                    .collect::<Vec<_>>()
            }
        };
        let eloise = search("eloise").await;
        assert_eq!(eloise, vec!["Éloïse LEFÈVRE-DUBOIS"]);
        let lefevre = search("lefevre").await;
        // Exact (normalised) matches first, then the phonetic one.
        assert_eq!(
            lefevre[..2]
                .iter()
                .filter(|x| x.contains("LEFÈVRE"))
                .count(),
            2,
            "{lefevre:?}"
        );
        assert!(
            lefevre.contains(&"Chloé LEFEBVRE".to_owned()),
            "{lefevre:?}"
        );
        let lefebvre = search("lefebvre").await;
        assert_eq!(lefebvre[0], "Chloé LEFEBVRE");
        assert!(
            lefebvre.iter().any(|x| x == "Hugo LEFÈVRE"),
            "lefebvre proposes Lefèvre: {lefebvre:?}"
        );
        assert_eq!(search("dubois eloise").await, vec!["Éloïse LEFÈVRE-DUBOIS"]);
        assert_eq!(search("ndiaye").await, vec!["Maël N'DIAYE"]);
        assert_eq!(search("n'diaye mael").await, vec!["Maël N'DIAYE"]);
        assert!(search("dupont").await.is_empty());
        // The search terms are not in the trail.
        let e = &s.audit_tail(1).await.unwrap()[0];
        assert_eq!(e.action, "dossier.recherche");
        assert!(!e.detail.clone().unwrap_or_default().contains("dupont"));
        // Birth-year filter on person matching.
        let ppl = vigie_store::testing::find_persons(s, "lefevre 2016").await;
        assert_eq!(ppl.len(), 1);
        results.push(vec![
            eloise,
            lefevre,
            lefebvre,
            search("martin louise").await,
        ]);
        db.finish().await;
    }
    if results.len() == 2 {
        assert_eq!(results[0], results[1], "SQLite and PostgreSQL agree");
    }
}

/// A birth year, month/year or date typed among the names narrows by birth date instead
/// of being taken for a name word (which made every such search empty).
#[tokio::test]
async fn a_birth_date_typed_in_the_search_narrows_the_namesakes() {
    let mut results: Vec<Vec<Vec<String>>> = Vec::new();
    for db in TestDb::both().await {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::system();
        let kids = [
            ("Dupont", "Léa", BirthDate::Exact(day("2019-05-12"))),
            ("Dupont", "Léo", BirthDate::Exact(day("2019-09-03"))),
            ("Dupont", "Hugo", BirthDate::Exact(day("2009-05-12"))),
            ("Dupont", "Inès", BirthDate::Approximate(day("2019-01-01"))),
            ("Dupont", "Adam", BirthDate::Unknown),
        ];
        for (i, (name, first, born)) in kids.iter().enumerate() {
            let when = format!("2026-09-{:02}T10:00:00Z", i + 1);
            s.create_dossier(
                now(),
                &a,
                &simple(&f, f.t1, &when, vec![child(name, first, *born)]),
            )
            .await
            .unwrap();
        }
        let search = |q: &'static str| {
            let s = s.clone();
            async move {
                let mut found: Vec<String> = s
                    .search_dossiers(now(), &Actor::system(), &Scope::All, q, 1)
                    .await
                    .unwrap()
                    .dossiers()
                    .into_iter()
                    .map(|r| r.children)
                    .collect();
                found.sort();
                found
            }
        };
        assert_eq!(search("dupont").await.len(), 5);
        // The year: the children born that year, approximate or exact, and the unknown.
        assert_eq!(
            search("dupont 2019").await,
            vec!["Adam DUPONT", "Inès DUPONT", "Léa DUPONT", "Léo DUPONT"]
        );
        // Month/year and a full date narrow the exact dates; an approximate date is
        // compared on its year; an unknown date never excludes.
        assert_eq!(
            search("dupont 05/2019").await,
            vec!["Adam DUPONT", "Inès DUPONT", "Léa DUPONT"]
        );
        assert_eq!(
            search("12/05/2019 dupont").await,
            vec!["Adam DUPONT", "Inès DUPONT", "Léa DUPONT"]
        );
        assert_eq!(search("lea dupont 2019-05-12").await, vec!["Léa DUPONT"]);
        assert_eq!(
            search("dupont 2009").await,
            vec!["Adam DUPONT", "Hugo DUPONT"]
        );
        assert!(search("lea dupont 2009").await.is_empty());
        // A date alone names nobody.
        assert!(search("2019").await.is_empty());
        results.push(vec![
            search("dupont 2019").await,
            search("dupont 05/2019").await,
        ]);
        db.finish().await;
    }
    if results.len() == 2 {
        assert_eq!(results[0], results[1], "SQLite and PostgreSQL agree");
    }
}

#[tokio::test]
async fn a_stale_header_save_is_refused() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let uid = agent(s, "agent7").await;
        let a = Actor::user(uid, None);
        let (id, _) = s
            .create_dossier(
                now(),
                &a,
                &simple(
                    &f,
                    f.t1,
                    "2026-11-01T10:00:00Z",
                    vec![child("Roux", "Inès", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        // The header of `rec` replaced by `h`, saved as the dossier screen does.
        let save = |rec: &vigie_domain::dossier::DossierRecord, h: &Header| {
            let mut e = DossierEdit::from_record(rec);
            e.input.header = h.clone();
            let s = s.clone();
            let a = a.clone();
            async move { s.save_dossier(now(), &a, &Scope::All, &e).await }
        };
        let mut h1 = rec.header.clone();
        h1.sip = true;
        let mut h2 = rec.header.clone();
        h2.expose = Some("autre saisie".into());
        save(&rec, &h1).await.unwrap();
        let e = save(&rec, &h2).await.unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflicts(c) if c[0].current_version == 2),
            "{e:?}"
        );
        let after = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        assert_eq!(after.version, 2);
        assert!(after.header.sip);
        assert_eq!(after.header.expose, None);
        assert_eq!(after.updated_by, Some(uid));
        let modif = s
            .audit_page(0, 1000)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.action == "dossier.modification")
            .unwrap();
        let detail = modif.detail.unwrap_or_default();
        assert!(detail.ends_with(";champs=entete:sip"), "{detail}");
        // A future reception date is refused with its field.
        let mut h3 = after.header.clone();
        h3.received_at = at("2030-01-01T00:00:00Z");
        let e = save(&after, &h3).await.unwrap_err();
        assert!(matches!(&e, StoreError::Invalid(de) if de.fields()[0].field == "received_at"));
        // A value deactivated since stays acceptable where it is already stored; a new one must be active.
        let tel = p(&f.cat, ParamKind::Channel, "TEL");
        let mel = p(&f.cat, ParamKind::Channel, "MEL");
        s.admin_set_active(now(), &a, Table::Param(ParamKind::Channel), tel, false).await.unwrap();
        s.admin_set_active(now(), &a, Table::Param(ParamKind::Channel), mel, false).await.unwrap();
        let mut h4 = after.header.clone();
        h4.sip = false;
        save(&after, &h4).await.unwrap();
        let after = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        assert_eq!(after.version, 3);
        h4.channel_id = mel;
        let e = save(&after, &h4).await.unwrap_err();
        assert!(matches!(&e, StoreError::Invalid(de) if de.fields()[0].field == "channel_id" && de.fields()[0].message.contains("désactivée")), "{e:?}");
        db
    })
    .await;
}

#[tokio::test]
async fn the_audit_chain_verifies_and_reports_the_first_altered_entry() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let uid = agent(s, "agent3").await;
        let a = Actor::user(uid, Some("198.51.100.7".into()));
        let (id, _) = s
            .create_dossier(
                now(),
                &a,
                &simple(
                    &f,
                    f.t1,
                    "2026-11-01T10:00:00Z",
                    vec![child("Roux", "Inès", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        for _ in 0..5 {
            s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        }
        let v = s.verify_audit().await.unwrap();
        assert_eq!(v.broken, None);
        assert_eq!(v.entries, v.head_seq);
        assert!(v.entries >= 10);
        // The trail refuses changes at the database level...
        assert!(
            db.raw("UPDATE audit_entry SET action = 'x' WHERE seq = 4")
                .await
                .is_err()
        );
        assert!(
            db.raw("DELETE FROM audit_entry WHERE seq = 4")
                .await
                .is_err()
        );
        // ...and someone who removes that protection is caught by the chain.
        if db.backend == "sqlite" {
            db.raw("DROP TRIGGER audit_entry_no_update").await.unwrap();
        } else {
            db.raw("DROP TRIGGER audit_entry_no_change ON audit_entry")
                .await
                .unwrap();
        }
        db.raw("UPDATE audit_entry SET user_id = 42 WHERE seq = 6")
            .await
            .unwrap();
        let v = s.verify_audit().await.unwrap();
        assert_eq!(v.broken.as_ref().map(|b| b.0), Some(6), "{v:?}");
        db
    })
    .await;
}

#[tokio::test]
async fn concurrent_writers_never_fork_the_chain() {
    on_both(|db| async move {
        let s = db.store.clone();
        let before = s.verify_audit().await.unwrap().entries;
        let mut tasks = Vec::new();
        for w in 0..20i64 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10 {
                    s.audit(
                        now(),
                        &Actor::user(w, None),
                        vigie_store::audit::Event::new("test.concurrence")
                            .detail(format!("{w}-{i}")),
                    )
                    .await
                    .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let v = s.verify_audit().await.unwrap();
        assert_eq!(v.broken, None);
        assert_eq!(v.entries, before + 200);
        db
    })
    .await;
}

#[tokio::test]
async fn users_sessions_and_login_failures() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let sys = Actor::system();
        let hash = password::hash("un mot de passe solide");
        let new = |login: &str, role: Role| NewUser {
            login: login.into(),
            display_name: format!("Utilisateur {login}"),
            password_hash: hash.clone(),
            role,
            territories: vec![],
            service_id: None,
            demo: false,
        };
        let admin = s
            .add_user(now(), &sys, &new("admin", Role::Administrateur))
            .await
            .unwrap();
        assert!(matches!(
            s.add_user(now(), &sys, &new("admin", Role::AgentCrip))
                .await,
            Err(StoreError::Duplicate("login", _))
        ));
        let e = s
            .add_user(now(), &sys, &new("eval", Role::EvaluateurTerritorial))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("territoire"), "{e}");
        let mut ev = new("eval", Role::EvaluateurTerritorial);
        ev.territories = vec![f.t2];
        ev.service_id = Some(f.s1);
        let eval_id = s.add_user(now(), &sys, &ev).await.unwrap();
        let mut forged = new("forge", Role::EvaluateurTerritorial);
        forged.territories = vec![987_654];
        assert!(s.add_user(now(), &sys, &forged).await.is_err());
        let users = s.list_users().await.unwrap();
        assert_eq!(
            users.iter().map(|u| u.login.as_str()).collect::<Vec<_>>(),
            ["admin", "eval"]
        );
        assert_eq!(users[1].territories, vec![f.t2]);

        let (id, h) = s.login_hash("eval").await.unwrap().unwrap();
        assert_eq!(id, eval_id);
        assert!(password::verify("un mot de passe solide", &h));
        let policy = SessionPolicy::default();
        let token = s.open_session(now(), eval_id, None, policy).await.unwrap();
        let su = s
            .session_user(now(), &token, policy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(su.role, Role::EvaluateurTerritorial);
        assert_eq!(
            su.scope(),
            Scope::Restricted {
                territories: vec![f.t2],
                services: vec![f.s1],
                dossiers: vec![]
            }
        );
        // Idle for longer than the timeout: gone.
        assert!(
            s.session_user(now() + chrono::Duration::minutes(31), &token, policy)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.session_user(now(), "forged-token", policy)
                .await
                .unwrap()
                .is_none()
        );
        // Disabling a user ends their sessions at once.
        s.disable_user(now(), &Actor::user(admin, None), "eval")
            .await
            .unwrap();
        assert!(
            s.session_user(now(), &token, policy)
                .await
                .unwrap()
                .is_none()
        );
        assert!(s.login_hash("eval").await.unwrap().is_none());
        // A new password ends the sessions too.
        let t2 = s.open_session(now(), admin, None, policy).await.unwrap();
        s.set_password(
            now(),
            &sys,
            "admin",
            &password::hash("un autre mot de passe"),
        )
        .await
        .unwrap();
        assert!(s.session_user(now(), &t2, policy).await.unwrap().is_none());
        // A failure with an unknown login stores only a keyed hash of what was typed.
        s.record_login_failure(now(), "MonMotDePasse!", None, Some("203.0.113.9".into()))
            .await
            .unwrap();
        let e = &s.audit_tail(1).await.unwrap()[0];
        assert_eq!(e.action, "connexion.echec");
        let d = e.detail.clone().unwrap();
        assert!(d.starts_with("identifiant_hmac=") && !d.contains("MonMotDePasse"));
        assert_eq!(
            d,
            format!(
                "identifiant_hmac={}",
                s.keyed_hash("MonMotDePasse!").await.unwrap()
            )
        );
        db
    })
    .await;
}

#[tokio::test]
async fn demo_generation_in_bulk_is_identical_on_both_backends_and_later_saves_follow_on() {
    let mut firsts: Vec<Vec<(String, String)>> = Vec::new();
    for db in TestDb::both().await {
        let s = &db.store;
        s.seed_demo_reference().await.unwrap();
        let n = s.generate_demo(now(), 3, 700, |_| {}).await.unwrap();
        assert_eq!(n, 700);
        let counts: std::collections::HashMap<_, _> =
            s.counts().await.unwrap().into_iter().collect();
        assert_eq!(counts["dossier"], 700);
        // Children seen in an earlier dossier are the same person (the "ancien dossier").
        let page = s
            .list_dossiers(&Scope::All, &ListFilter::default(), None, 700)
            .await
            .unwrap();
        let mut reappearing = 0;
        for row in page.rows.iter().take(120) {
            let rec = s
                .read_dossier(now(), &Actor::system(), &Scope::All, row.id)
                .await
                .unwrap();
            reappearing += rec
                .children
                .iter()
                .filter(|c| !c.other_dossiers.is_empty())
                .count();
        }
        assert!(reappearing > 0, "some children reappear");
        // A save after the bulk load gets fresh ids and the next number of its year.
        let f = Fixture {
            t1: 1,
            t2: 2,
            s1: 1,
            s2: 2,
            cat: s.catalog().await.unwrap().as_ref().clone(),
        };
        let last_2026 = page
            .rows
            .iter()
            .filter(|r| r.number.year() == 2026)
            .map(|r| r.number.seq())
            .max()
            .unwrap_or(0);
        let (id, number) = s
            .create_dossier(
                now(),
                &Actor::system(),
                &simple(
                    &f,
                    1,
                    "2026-11-23T10:00:00Z",
                    vec![child("Nouveau", "Né", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        assert_eq!(number.seq(), last_2026 + 1);
        assert!(id > 700);
        assert_eq!(s.verify_audit().await.unwrap().broken, None);
        let mut numbers: Vec<String> = page.rows.iter().map(|r| r.number.to_string()).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 700, "unique numbers");
        firsts.push(
            page.rows
                .iter()
                .take(50)
                .map(|r| (r.number.to_string(), r.children.clone()))
                .collect(),
        );
        db.finish().await;
    }
    if firsts.len() == 2 {
        assert_eq!(
            firsts[0], firsts[1],
            "same seed, same data on both backends"
        );
    }
}
