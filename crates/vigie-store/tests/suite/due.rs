//! Échéances, person suggestions and record navigation, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use vigie_domain::*;
use vigie_store::Actor;
use vigie_store::dossiers::{Cursor, ListFilter};
use vigie_store::due::DueKind;
use vigie_store::testing::{TestDb, now};

fn assignment(service: i64, due: &str) -> AssignmentInput {
    AssignmentInput {
        service_id: service,
        asked_on: day("2026-10-01"),
        due_on: day(due),
        evaluators: vec![],
        returned_on: None,
        result_id: None,
        cancelled: false,
        comment: None,
    }
}

fn follow_up(kind: FollowUpKind, due: Option<&str>) -> FollowUp {
    FollowUp {
        kind,
        due_on: due.map(day),
        done_at: None,
        not_done_reason: None,
    }
}

#[tokio::test]
async fn due_items_list_open_evaluations_and_pending_follow_ups_by_due_date_within_the_scope() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::system();
        let today = day("2026-11-24");
        let kid = || vec![child("Martin", "Léa", BirthDate::Unknown)];

        // In T1: one overdue, one within 15 days, one beyond; a pending follow-up overdue,
        // a done one, one with a reason, one without a due date.
        let mut d1 = simple(&f, f.t1, "2026-10-01T10:00:00Z", kid());
        d1.assignments = vec![
            assignment(f.s1, "2026-11-20"),
            assignment(f.s1, "2026-12-05"),
            assignment(f.s1, "2026-12-20"),
        ];
        d1.follow_ups = vec![
            follow_up(FollowUpKind::ParentsInformed, Some("2026-11-22")),
            FollowUp {
                done_at: Some(at("2026-11-23T10:00:00Z")),
                ..follow_up(FollowUpKind::ProfessionalFeedback, Some("2026-11-25"))
            },
            FollowUp {
                not_done_reason: Some("Contraire à l'intérêt de l'enfant".into()),
                ..follow_up(FollowUpKind::Feedback119, Some("2026-11-26"))
            },
            follow_up(FollowUpKind::Parquet, None),
        ];
        let (d1, n1) = s.create_dossier(now(), &a, &d1).await.unwrap();
        // In T2, assigned to S2: returned, cancelled, open.
        let mut d2 = simple(&f, f.t2, "2026-10-02T10:00:00Z", kid());
        d2.assignments = vec![
            AssignmentInput {
                returned_on: Some(day("2026-11-01")),
                ..assignment(f.s2, "2026-11-10")
            },
            AssignmentInput {
                cancelled: true,
                ..assignment(f.s2, "2026-11-30")
            },
            assignment(f.s2, "2026-12-01"),
        ];
        let (d2, _) = s.create_dossier(now(), &a, &d2).await.unwrap();
        // In T2, not assigned: a follow-up due in 14 days, and one due today.
        let mut d3 = simple(&f, f.t2, "2026-10-03T10:00:00Z", kid());
        d3.follow_ups = vec![
            follow_up(FollowUpKind::Parquet, Some("2026-12-08")),
            follow_up(FollowUpKind::Feedback119, Some("2026-11-24")),
        ];
        let (d3, _) = s.create_dossier(now(), &a, &d3).await.unwrap();

        let summary = |items: &[vigie_store::due::DueItem]| {
            items
                .iter()
                .map(|i| (i.dossier_id, i.kind, i.due_on.to_string(), i.overdue))
                .collect::<Vec<_>>()
        };
        let fu = DueKind::FollowUp;
        let ev = DueKind::Evaluation;
        let all = s
            .due_items(&Scope::All, today, 15, None, None)
            .await
            .unwrap();
        assert_eq!(
            summary(&all),
            vec![
                (d1, ev, "2026-11-20".into(), true),
                (
                    d1,
                    fu(FollowUpKind::ParentsInformed),
                    "2026-11-22".into(),
                    true
                ),
                (
                    d3,
                    fu(FollowUpKind::Feedback119),
                    "2026-11-24".into(),
                    false
                ),
                (d2, ev, "2026-12-01".into(), false),
                (d1, ev, "2026-12-05".into(), false),
                (d3, fu(FollowUpKind::Parquet), "2026-12-08".into(), false),
            ]
        );
        assert_eq!(all[0].dossier_number, n1);
        assert_eq!(all[0].days_left, -4);
        assert_eq!(all[0].territory_label, "MDS Bourges Nord");
        assert_eq!(
            all[0].service_label.as_deref(),
            Some("Évaluation Bourges Nord")
        );
        assert_eq!(all[1].service_id, None);
        assert_eq!(all[5].days_left, 14);
        // A longer horizon reaches the third evaluation of d1.
        assert_eq!(
            s.due_items(&Scope::All, today, 30, None, None)
                .await
                .unwrap()
                .len(),
            7
        );
        // Filters: territory, service (evaluations of that service only).
        let t1 = s
            .due_items(&Scope::All, today, 15, Some(f.t1), None)
            .await
            .unwrap();
        assert!(t1.iter().all(|i| i.dossier_id == d1) && t1.len() == 3);
        let s2 = s
            .due_items(&Scope::All, today, 15, None, Some(f.s2))
            .await
            .unwrap();
        assert_eq!(summary(&s2), vec![(d2, ev, "2026-12-01".into(), false)]);
        assert!(
            s.due_items(&Scope::All, today, 15, Some(f.t1), Some(f.s2))
                .await
                .unwrap()
                .is_empty()
        );
        // Scope: an evaluator of T1 sees T1 only; one of service S2 what is assigned to S2.
        let of_t1 = Scope::for_user(Role::EvaluateurTerritorial, &[f.t1], None);
        let seen = s.due_items(&of_t1, today, 15, None, None).await.unwrap();
        assert!(seen.iter().all(|i| i.dossier_id == d1) && seen.len() == 3);
        let of_s2 = Scope::for_user(Role::EvaluateurTerritorial, &[], Some(f.s2));
        assert_eq!(
            summary(&s.due_items(&of_s2, today, 15, None, None).await.unwrap()),
            vec![(d2, ev, "2026-12-01".into(), false)]
        );
        assert!(
            s.due_items(&Scope::Nothing, today, 15, None, None)
                .await
                .unwrap()
                .is_empty()
        );
        // Counts for the home page: overdue, and due within 15 days (today included).
        assert_eq!(s.due_counts(&Scope::All, today).await.unwrap(), (2, 4));
        assert_eq!(s.due_counts(&of_t1, today).await.unwrap(), (2, 1));
        assert_eq!(s.due_counts(&of_s2, today).await.unwrap(), (0, 1));
        assert_eq!(s.due_counts(&Scope::Nothing, today).await.unwrap(), (0, 0));
        db
    })
    .await;
}

#[tokio::test]
async fn suggestions_follow_the_matching_rule_best_first_within_the_scope() {
    let mut orders: Vec<Vec<(String, String, u32)>> = Vec::new();
    for db in TestDb::both().await {
        eprintln!("— backend {}", db.backend);
        {
            let s = &db.store;
            let f = fixture(s).await;
            let a = Actor::system();
            let exact = |d: &str| BirthDate::Exact(day(d));
            let mut known = child("LEFÈVRE", "Éloïse Marie", exact("2015-03-12"));
            known.person.usage_name = Some("Dubois".into());
            let (first, n_first) = s
                .create_dossier(
                    now(),
                    &a,
                    &simple(&f, f.t1, "2025-01-10T10:00:00Z", vec![known]),
                )
                .await
                .unwrap();
            let rec = s.read_dossier(now(), &a, &Scope::All, first).await.unwrap();
            let person = rec.children[0].person_id;
            // The same child again, later, in T2.
            let mut again = child("Lefèvre", "Éloïse", exact("2015-03-12"));
            again.person_id = Some(person);
            let (_, n_again) = s
                .create_dossier(
                    now(),
                    &a,
                    &simple(&f, f.t2, "2026-06-01T10:00:00Z", vec![again]),
                )
                .await
                .unwrap();
            let others = vec![
                // Phonetic names, 29 days apart: kept.
                child("Lefebvre", "Héloïse", exact("2015-04-10")),
                // 69 days apart: excluded.
                child("Lefevre", "Eloise", exact("2015-05-20")),
                // Another family, another first name: excluded.
                child("Martin", "Éloïse", exact("2015-03-12")),
                child("Lefèvre", "Chloé", exact("2015-03-12")),
                // Approximate, same year; unknown: kept.
                child(
                    "Lefevre",
                    "Eloise",
                    BirthDate::Approximate(day("2015-01-01")),
                ),
                child("Lefevre", "Eloise", BirthDate::Unknown),
                // Approximate, another year: excluded.
                child(
                    "Lefevre",
                    "Eloise",
                    BirthDate::Approximate(day("2014-01-01")),
                ),
            ];
            let (_, _) = s
                .create_dossier(now(), &a, &simple(&f, f.t2, "2026-07-01T10:00:00Z", others))
                .await
                .unwrap();

            let typed = Person {
                birth_name: "LEFEVRE".into(),
                usage_name: None,
                first_names: "eloise".into(),
                sex: Sex::Unknown,
                birth: exact("2015-03-12"),
            };
            let found = s.suggest_persons(&Scope::All, &typed, 10).await.unwrap();
            let described: Vec<(String, String, u32)> = found
                .iter()
                .map(|x| {
                    (
                        x.person.birth_name.clone(),
                        x.person.birth.display(),
                        x.score,
                    )
                })
                .collect();
            assert_eq!(
                described
                    .iter()
                    .map(|(n, b, _)| (n.as_str(), b.as_str()))
                    .collect::<Vec<_>>(),
                [
                    ("LEFÈVRE", "12/03/2015"),
                    ("Lefevre", "vers 2015"),
                    ("Lefevre", "inconnue"),
                    ("Lefebvre", "10/04/2015"),
                ]
            );
            let best = &found[0];
            assert_eq!(best.person_id, person);
            assert_eq!(best.person.usage_name.as_deref(), Some("Dubois"));
            // Its dossiers, newest first, both within the scope.
            assert_eq!(
                best.dossiers
                    .iter()
                    .map(|d| (d.number, d.in_scope, d.id.is_some()))
                    .collect::<Vec<_>>(),
                [(n_again, true, true), (n_first, true, true)]
            );
            assert_eq!(best.dossiers[0].territory_label, "MDS Vierzon");
            // The usage name matches too; at most `limit`.
            let by_usage = Person {
                birth_name: "Dubois".into(),
                first_names: "Marie".into(),
                birth: BirthDate::Unknown,
                ..typed.clone()
            };
            let u = s.suggest_persons(&Scope::All, &by_usage, 10).await.unwrap();
            assert_eq!(u.iter().map(|x| x.person_id).collect::<Vec<_>>(), [person]);
            assert_eq!(
                s.suggest_persons(&Scope::All, &typed, 2)
                    .await
                    .unwrap()
                    .len(),
                2
            );
            // ±31 days across a new year.
            let january = Person {
                birth: exact("2015-01-20"),
                ..typed.clone()
            };
            let j = s.suggest_persons(&Scope::All, &january, 10).await.unwrap();
            assert!(
                j.iter().all(|x| x.person.birth_name != "LEFÈVRE"),
                "51 days apart"
            );
            let december = Person {
                birth: exact("2016-01-05"),
                ..typed.clone()
            };
            assert!(
                s.suggest_persons(&Scope::All, &december, 10)
                    .await
                    .unwrap()
                    .iter()
                    .all(|x| !matches!(x.person.birth, BirthDate::Approximate(_))),
                "an approximate 2015 is not 2016"
            );
            // Nothing typed, nothing proposed.
            let empty = Person {
                first_names: " ".into(),
                ..typed.clone()
            };
            assert!(
                s.suggest_persons(&Scope::All, &empty, 10)
                    .await
                    .unwrap()
                    .is_empty()
            );

            // Scope: an evaluator of T1 is proposed only the person known in T1; the T2
            // dossier of that person shows without an id.
            let of_t1 = Scope::for_user(Role::EvaluateurTerritorial, &[f.t1], None);
            let scoped = s.suggest_persons(&of_t1, &typed, 10).await.unwrap();
            assert_eq!(
                scoped.iter().map(|x| x.person_id).collect::<Vec<_>>(),
                [person]
            );
            assert_eq!(
                scoped[0]
                    .dossiers
                    .iter()
                    .map(|d| (d.number, d.in_scope, d.id))
                    .collect::<Vec<_>>(),
                [(n_again, false, None), (n_first, true, Some(first))]
            );
            assert_eq!(scoped[0].dossiers[0].territory_label, "MDS Vierzon");
            assert!(
                s.suggest_persons(&Scope::Nothing, &typed, 10)
                    .await
                    .unwrap()
                    .is_empty()
            );

            // Never more than 10, whatever is asked.
            let many: Vec<ChildInput> = (0..12)
                .map(|_| child("Lefèvre", "Éloïse", BirthDate::Unknown))
                .collect();
            s.create_dossier(now(), &a, &simple(&f, f.t1, "2026-08-01T10:00:00Z", many))
                .await
                .unwrap();
            let capped = s.suggest_persons(&Scope::All, &typed, 50).await.unwrap();
            assert_eq!(capped.len(), 10);
            assert_eq!(capped[0].person_id, person, "the closest stays first");
            orders.push(described);
        }
        db.finish().await;
    }
    if orders.len() == 2 {
        assert_eq!(orders[0], orders[1], "SQLite and PostgreSQL agree");
    }
}

#[tokio::test]
async fn neighbours_follow_the_list_order_with_its_filters_and_scope() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::system();
        for i in 0..9 {
            let territory = if i % 3 == 0 { f.t2 } else { f.t1 };
            // Pairs share the same instant: the id breaks ties, as in the list.
            let when = format!("2026-10-{:02}T10:00:00Z", 1 + i / 2);
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
        let of_t1 = Scope::for_user(Role::EvaluateurTerritorial, &[f.t1], None);
        let on_t2 = ListFilter {
            territory_id: Some(f.t2),
            ..ListFilter::default()
        };
        let recent = ListFilter {
            from: Some(at("2026-10-03T00:00:00Z")),
            ..ListFilter::default()
        };
        for (scope, filter) in [
            (Scope::All, ListFilter::default()),
            (Scope::All, on_t2),
            (Scope::All, recent),
            (of_t1, ListFilter::default()),
        ] {
            let rows = s
                .list_dossiers(&scope, &filter, None, 100)
                .await
                .unwrap()
                .rows;
            assert!(rows.len() >= 3, "{filter:?}");
            for (i, r) in rows.iter().enumerate() {
                let (prev, next) = s
                    .neighbours(
                        &scope,
                        &filter,
                        Cursor {
                            received_at: r.received_at,
                            id: r.id,
                        },
                    )
                    .await
                    .unwrap();
                let expected_prev = i.checked_sub(1).map(|j| rows[j].id);
                let expected_next = rows.get(i + 1).map(|x| x.id);
                assert_eq!(
                    (prev, next),
                    (expected_prev, expected_next),
                    "{filter:?} #{i}"
                );
            }
        }
        // Nothing reachable: no neighbour.
        let any = s
            .list_dossiers(&Scope::All, &ListFilter::default(), None, 1)
            .await
            .unwrap()
            .rows[0]
            .clone();
        assert_eq!(
            s.neighbours(
                &Scope::Nothing,
                &ListFilter::default(),
                Cursor {
                    received_at: any.received_at,
                    id: any.id
                }
            )
            .await
            .unwrap(),
            (None, None)
        );
        db
    })
    .await;
}
