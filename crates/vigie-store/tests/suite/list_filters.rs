//! The dossier list's filters on what a dossier holds (source category, channel, motif,
//! conclusion, service, evaluation overdue), alone, combined and within a scope, and the
//! record navigation with them, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use vigie_domain::*;
use vigie_store::dossiers::{CategoryFilter, Cursor, ListFilter};
use vigie_store::testing::now;
use vigie_store::{Actor, Store};

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

/// A child with these motifs and this conclusion (code, date).
fn kid(f: &Fixture, motifs: &[&str], conclusion: Option<(&str, &str)>) -> ChildInput {
    let mut c = child("Martin", "Léa", BirthDate::Unknown);
    c.motif_ids = motifs
        .iter()
        .map(|m| p(&f.cat, ParamKind::Motif, m))
        .collect();
    c.conclusion = conclusion.map(|(code, on)| Conclusion {
        conclusion_id: p(&f.cat, ParamKind::Conclusion, code),
        on: day(on),
        comment: None,
    });
    c
}

/// A dossier in `territory` received at `received`, its source of category `category`
/// (a code, or none) and its channel.
fn dossier(
    f: &Fixture,
    territory: i64,
    received: &str,
    category: Option<&str>,
    channel: &str,
    children: Vec<ChildInput>,
    assignments: Vec<AssignmentInput>,
) -> DossierInput {
    let mut d = simple(f, territory, received, children);
    d.source = Source::anonymous(category.map(|c| p(&f.cat, ParamKind::SourceCategory, c)));
    d.header.channel_id = p(&f.cat, ParamKind::Channel, channel);
    d.assignments = assignments;
    d
}

/// Five dossiers that differ by each criterion (today is 24/11/2026):
/// - d1: T1, 05/10, Éducation nationale, téléphone; motif violences physiques, conclusion
///   parquet; S1 due 20/11, open (overdue);
/// - d2: T1, 03/11, no category, courrier; motif négligences; S2 cancelled, due 01/11;
/// - d3: T2, 10/11, anonyme, téléphone; a child without motif nor conclusion and one with
///   violences physiques and classement sans suite; S2 returned, due 12/11;
/// - d4: T1, 15/11, Éducation nationale, courrier; négligences, classement sans suite;
///   S1 due today and S1 due 20/12, both open (not overdue);
/// - d5: T2, 20/10, Éducation nationale, téléphone; one child with both motifs; S2 due
///   23/11 and S1 due 01/11, both open (overdue twice: listed once).
async fn five(s: &Store, f: &Fixture) -> [i64; 5] {
    let a = Actor::system();
    let ds = [
        dossier(
            f,
            f.t1,
            "2026-10-05T10:00:00Z",
            Some("EN"),
            "TEL",
            vec![kid(f, &["VIOLPHYS"], Some(("PARQUET", "2026-10-10")))],
            vec![assignment(f.s1, "2026-11-20")],
        ),
        dossier(
            f,
            f.t1,
            "2026-11-03T10:00:00Z",
            None,
            "COURRIER",
            vec![kid(f, &["NEGLIG"], None)],
            vec![AssignmentInput {
                cancelled: true,
                ..assignment(f.s2, "2026-11-01")
            }],
        ),
        dossier(
            f,
            f.t2,
            "2026-11-10T10:00:00Z",
            Some("ANONYME"),
            "TEL",
            vec![
                child("Martin", "Noé", BirthDate::Unknown),
                kid(f, &["VIOLPHYS"], Some(("CSS", "2026-11-12"))),
            ],
            vec![AssignmentInput {
                returned_on: Some(day("2026-11-15")),
                ..assignment(f.s2, "2026-11-12")
            }],
        ),
        dossier(
            f,
            f.t1,
            "2026-11-15T10:00:00Z",
            Some("EN"),
            "COURRIER",
            vec![kid(f, &["NEGLIG"], Some(("CSS", "2026-11-16")))],
            vec![
                assignment(f.s1, "2026-11-24"),
                assignment(f.s1, "2026-12-20"),
            ],
        ),
        dossier(
            f,
            f.t2,
            "2026-10-20T10:00:00Z",
            Some("EN"),
            "TEL",
            vec![kid(f, &["VIOLPHYS", "NEGLIG"], None)],
            vec![
                assignment(f.s2, "2026-11-23"),
                assignment(f.s1, "2026-11-01"),
            ],
        ),
    ];
    let mut ids = [0; 5];
    for (i, d) in ds.iter().enumerate() {
        ids[i] = s.create_dossier(now(), &a, d).await.unwrap().0;
    }
    ids
}

/// The ids listed, sorted.
async fn listed(s: &Store, scope: &Scope, filter: &ListFilter) -> Vec<i64> {
    let mut ids: Vec<i64> = s
        .list_dossiers(scope, filter, None, 100)
        .await
        .unwrap()
        .rows
        .iter()
        .map(|r| r.id)
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "a dossier listed twice for {filter:?}");
    ids
}

#[tokio::test]
async fn each_new_filter_alone_and_combined_lists_exactly_its_dossiers() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let [d1, d2, d3, d4, d5] = five(s, &f).await;
        let cat = |c| Some(CategoryFilter::Is(p(&f.cat, ParamKind::SourceCategory, c)));
        let channel = |c| Some(p(&f.cat, ParamKind::Channel, c));
        let motif = |c| Some(p(&f.cat, ParamKind::Motif, c));
        let conclusion = |c| Some(p(&f.cat, ParamKind::Conclusion, c));
        let none = ListFilter::default;
        let cases: Vec<(&str, ListFilter, Vec<i64>)> = vec![
            ("everything", none(), vec![d1, d2, d3, d4, d5]),
            (
                "category EN",
                ListFilter {
                    source_category: cat("EN"),
                    ..none()
                },
                vec![d1, d4, d5],
            ),
            (
                "category ANONYME",
                ListFilter {
                    source_category: cat("ANONYME"),
                    ..none()
                },
                vec![d3],
            ),
            (
                "no category",
                ListFilter {
                    source_category: Some(CategoryFilter::Unfilled),
                    ..none()
                },
                vec![d2],
            ),
            (
                "channel TEL",
                ListFilter {
                    channel_id: channel("TEL"),
                    ..none()
                },
                vec![d1, d3, d5],
            ),
            (
                "channel COURRIER",
                ListFilter {
                    channel_id: channel("COURRIER"),
                    ..none()
                },
                vec![d2, d4],
            ),
            (
                "motif VIOLPHYS",
                ListFilter {
                    motif_id: motif("VIOLPHYS"),
                    ..none()
                },
                vec![d1, d3, d5],
            ),
            (
                "motif NEGLIG",
                ListFilter {
                    motif_id: motif("NEGLIG"),
                    ..none()
                },
                vec![d2, d4, d5],
            ),
            (
                "motif nowhere",
                ListFilter {
                    motif_id: motif("VIOLSEX"),
                    ..none()
                },
                vec![],
            ),
            (
                "conclusion PARQUET",
                ListFilter {
                    conclusion_id: conclusion("PARQUET"),
                    ..none()
                },
                vec![d1],
            ),
            (
                "conclusion CSS",
                ListFilter {
                    conclusion_id: conclusion("CSS"),
                    ..none()
                },
                vec![d3, d4],
            ),
            (
                "service S1",
                ListFilter {
                    service_id: Some(f.s1),
                    ..none()
                },
                vec![d1, d4, d5],
            ),
            (
                "service S2, the cancelled assignment left out",
                ListFilter {
                    service_id: Some(f.s2),
                    ..none()
                },
                vec![d3, d5],
            ),
            (
                "overdue today: due today is not, returned and cancelled are not",
                ListFilter {
                    overdue_on: Some(day("2026-11-24")),
                    ..none()
                },
                vec![d1, d5],
            ),
            (
                "overdue tomorrow: due today now is",
                ListFilter {
                    overdue_on: Some(day("2026-11-25")),
                    ..none()
                },
                vec![d1, d4, d5],
            ),
            (
                "overdue on 02/11: only the open one due 01/11",
                ListFilter {
                    overdue_on: Some(day("2026-11-02")),
                    ..none()
                },
                vec![d5],
            ),
            (
                "motif VIOLPHYS and overdue",
                ListFilter {
                    motif_id: motif("VIOLPHYS"),
                    overdue_on: Some(day("2026-11-24")),
                    ..none()
                },
                vec![d1, d5],
            ),
            (
                "category EN and channel COURRIER",
                ListFilter {
                    source_category: cat("EN"),
                    channel_id: channel("COURRIER"),
                    ..none()
                },
                vec![d4],
            ),
            (
                "service S2 and motif NEGLIG",
                ListFilter {
                    service_id: Some(f.s2),
                    motif_id: motif("NEGLIG"),
                    ..none()
                },
                vec![d5],
            ),
            (
                "motif VIOLPHYS received from 01/11",
                ListFilter {
                    motif_id: motif("VIOLPHYS"),
                    from: Some(at("2026-11-01T00:00:00Z")),
                    ..none()
                },
                vec![d3],
            ),
            (
                "conclusion CSS in T1",
                ListFilter {
                    conclusion_id: conclusion("CSS"),
                    territory_id: Some(f.t1),
                    ..none()
                },
                vec![d4],
            ),
        ];
        for (what, filter, expected) in &cases {
            let mut expected = expected.clone();
            expected.sort_unstable();
            assert_eq!(
                listed(s, &Scope::All, filter).await,
                expected,
                "{what}: {filter:?}"
            );
        }
        db
    })
    .await;
}

#[tokio::test]
async fn the_scope_still_applies_with_the_new_filters_and_the_navigation_keeps_them() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let [d1, _d2, d3, d4, d5] = five(s, &f).await;
        let motif = ListFilter {
            motif_id: Some(p(&f.cat, ParamKind::Motif, "VIOLPHYS")),
            ..ListFilter::default()
        };
        let overdue = ListFilter {
            overdue_on: Some(day("2026-11-24")),
            ..ListFilter::default()
        };
        let by_s1 = ListFilter {
            service_id: Some(f.s1),
            ..ListFilter::default()
        };
        let by_s2 = ListFilter {
            service_id: Some(f.s2),
            ..ListFilter::default()
        };
        // An evaluator of T1: d5 is assigned to S1 but lies in T2, out of reach.
        let of_t1 = Scope::for_user(Role::EvaluateurTerritorial, &[f.t1], None);
        assert_eq!(listed(s, &of_t1, &motif).await, vec![d1]);
        assert_eq!(listed(s, &of_t1, &overdue).await, vec![d1]);
        assert_eq!(listed(s, &of_t1, &by_s1).await, vec![d1, d4]);
        assert_eq!(listed(s, &of_t1, &by_s2).await, Vec::<i64>::new());
        // With the service S2 too, the dossiers assigned to it come into the scope.
        let with_s2 = Scope::for_user(Role::EvaluateurTerritorial, &[f.t1], Some(f.s2));
        assert_eq!(listed(s, &with_s2, &motif).await, vec![d1, d3, d5]);
        assert_eq!(listed(s, &with_s2, &overdue).await, vec![d1, d5]);
        assert_eq!(listed(s, &Scope::Nothing, &motif).await, Vec::<i64>::new());

        // The record navigation walks the filtered list: d3, d5, d1 (newest first).
        let at_d5 = Cursor {
            received_at: at("2026-10-20T10:00:00Z"),
            id: d5,
        };
        assert_eq!(
            s.neighbours(&Scope::All, &motif, at_d5).await.unwrap(),
            (Some(d3), Some(d1))
        );
        // Within T1's scope d5 is out: around where it would sit, d1 only.
        assert_eq!(
            s.neighbours(&of_t1, &motif, at_d5).await.unwrap(),
            (None, Some(d1))
        );
        db
    })
    .await;
}
