//! Reminders of overdue evaluations, on SQLite and on PostgreSQL: the evaluations a batch may
//! remind (overdue, open, in scope and filter, not reminded today), a batch recorded with its
//! letters in every dossier concerned (confidential), once per assignment and per day, shown on
//! the échéances, all or nothing, read back by service, audited.

use crate::common::*;
use vigie_domain::*;
use vigie_store::reminders::{NewBatch, NewReminderLetter, Overdue};
use vigie_store::testing::{now, raw_sql};
use vigie_store::{Actor, Store, StoreError};

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

/// The letters of a batch: one per service, as the web layer groups them.
fn letters<'a>(
    items: &[Overdue],
    bytes: &'a [u8],
    pdf: Option<&'a [u8]>,
) -> Vec<NewReminderLetter<'a>> {
    let mut out: Vec<NewReminderLetter<'a>> = Vec::new();
    for o in items {
        match out.last_mut() {
            Some(l) if l.service_id == o.service_id => {
                l.assignments.push((o.assignment_id, o.dossier_id))
            }
            _ => {
                out.push(NewReminderLetter {
                    service_id: o.service_id,
                    service_label: o.service_label.clone(),
                    assignments: vec![(o.assignment_id, o.dossier_id)],
                    template_version: "modèle par défaut".into(),
                    file_name: format!("relance-service-{}.docx", o.service_id),
                    media_type:
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                            .into(),
                    bytes,
                    pdf,
                })
            }
        }
    }
    out
}

fn batch<'a>(today: &str, letters: Vec<NewReminderLetter<'a>>) -> NewBatch<'a> {
    NewBatch {
        reminded_on: day(today),
        territory_id: None,
        service_id: None,
        format: "docx",
        letters,
    }
}

async fn reminder_titles(
    s: &Store,
    source_visible: bool,
    dossier: i64,
) -> Vec<(String, String, bool)> {
    s.documents(&Scope::All, source_visible, dossier)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.title, d.media_type, d.confidential))
        .collect()
}

#[tokio::test]
async fn a_batch_reminds_each_overdue_evaluation_once_a_day_with_a_letter_per_service() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::system();
        let today = "2026-11-24";
        let kid = |n: &str, y: i32| {
            child(
                n,
                "Léa",
                BirthDate::Exact(chrono::NaiveDate::from_ymd_opt(y, 3, 1).unwrap()),
            )
        };

        // d1 (T1): overdue to S1, not yet due to S1. d2 (T2): overdue to S2, returned to S2.
        // d3 (T1, two children): overdue to S1, cancelled to S2.
        let mut d1 = simple(&f, f.t1, "2026-10-01T10:00:00Z", vec![kid("Martin", 2018)]);
        d1.assignments = vec![
            assignment(f.s1, "2026-11-20"),
            assignment(f.s1, "2026-12-05"),
        ];
        let (d1, n1) = s.create_dossier(now(), &a, &d1).await.unwrap();
        let mut d2 = simple(&f, f.t2, "2026-10-02T10:00:00Z", vec![kid("Durand", 2015)]);
        d2.assignments = vec![
            assignment(f.s2, "2026-11-10"),
            AssignmentInput {
                returned_on: Some(day("2026-11-01")),
                ..assignment(f.s2, "2026-10-30")
            },
        ];
        let (d2, n2) = s.create_dossier(now(), &a, &d2).await.unwrap();
        let mut d3 = simple(
            &f,
            f.t1,
            "2026-10-03T10:00:00Z",
            vec![kid("Petit", 2016), kid("Petit", 2020)],
        );
        d3.assignments = vec![
            assignment(f.s1, "2026-11-01"),
            AssignmentInput {
                cancelled: true,
                ..assignment(f.s2, "2026-11-01")
            },
        ];
        let (d3, n3) = s.create_dossier(now(), &a, &d3).await.unwrap();

        // By service name (Bourges Nord before Vierzon), then due date.
        let items = s
            .overdue_to_remind(&Scope::All, day(today), None, None)
            .await
            .unwrap();
        let summary: Vec<(i64, i64, String)> = items
            .iter()
            .map(|o| (o.service_id, o.dossier_id, o.due_on.to_string()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (f.s1, d3, "2026-11-01".into()),
                (f.s1, d1, "2026-11-20".into()),
                (f.s2, d2, "2026-11-10".into()),
            ]
        );
        assert_eq!(items[0].dossier_number, n3);
        assert_eq!(items[0].children.len(), 2);
        assert_eq!(items[0].children[0].birth_name, "Petit");
        assert_eq!(items[0].service_label, "Évaluation Bourges Nord");
        // The filter and the scope narrow it like the échéances.
        let t2 = s
            .overdue_to_remind(&Scope::All, day(today), Some(f.t2), None)
            .await
            .unwrap();
        assert_eq!(
            t2.iter().map(|o| o.dossier_id).collect::<Vec<_>>(),
            vec![d2]
        );
        let s1 = s
            .overdue_to_remind(&Scope::All, day(today), None, Some(f.s1))
            .await
            .unwrap();
        assert_eq!(
            s1.iter().map(|o| o.dossier_id).collect::<Vec<_>>(),
            vec![d3, d1]
        );
        let restricted = Scope::Restricted {
            territories: vec![f.t2],
            services: vec![],
            dossiers: vec![],
        };
        let mine = s
            .overdue_to_remind(&restricted, day(today), None, None)
            .await
            .unwrap();
        assert_eq!(
            mine.iter().map(|o| o.dossier_id).collect::<Vec<_>>(),
            vec![d2]
        );

        let id = s
            .record_reminder_batch(
                now(),
                &a,
                &Scope::All,
                &batch(today, letters(&items, b"lettre", Some(b"%PDF-1.7 lettre"))),
            )
            .await
            .unwrap();

        // Each dossier holds its service's letter and PDF (newest first), confidential: not for the
        // évaluateur.
        for d in [d1, d3] {
            let docs = reminder_titles(s, true, d).await;
            assert_eq!(
                docs,
                vec![
                    (
                        "Relance groupée des évaluations — Évaluation Bourges Nord".to_owned(),
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                            .to_owned(),
                        true
                    ),
                    (
                        "Relance groupée des évaluations — Évaluation Bourges Nord".to_owned(),
                        "application/pdf".to_owned(),
                        true
                    ),
                ],
                "dossier {d}"
            );
            assert!(reminder_titles(s, false, d).await.is_empty());
        }
        assert_eq!(
            reminder_titles(s, true, d2).await[0].0,
            "Relance groupée des évaluations — Évaluation Vierzon"
        );

        // Read back by service, dossiers by number; out of scope, not found.
        let b = s.reminder_batch(&Scope::All, id).await.unwrap();
        assert_eq!(b.reminded_on, day(today));
        assert_eq!(b.letters.len(), 2);
        assert_eq!(b.letters[0].service_id, f.s1);
        let mut s1_numbers = vec![n1, n3];
        s1_numbers.sort();
        assert_eq!(
            b.letters[0]
                .dossiers
                .iter()
                .map(|(_, n)| *n)
                .collect::<Vec<_>>(),
            s1_numbers
        );
        assert_eq!(b.letters[1].dossiers, vec![(d2, n2)]);
        assert!(
            b.letters
                .iter()
                .all(|l| l.document_id.is_some() && l.pdf_document_id.is_some())
        );
        let pdf = s
            .document(&Scope::All, true, b.letters[0].pdf_document_id.unwrap())
            .await
            .unwrap();
        assert_eq!(s.document_bytes(&pdf).await.unwrap(), b"%PDF-1.7 lettre");
        assert!(matches!(
            s.reminder_batch(&restricted, id).await,
            Err(StoreError::NotFound)
        ));

        // The échéances say so; the same day nothing is left, the next day all three again.
        let due = s
            .due_items(&Scope::All, day(today), 15, None, None)
            .await
            .unwrap();
        let reminded: Vec<(i64, Option<String>)> = due
            .iter()
            .filter(|i| i.overdue)
            .map(|i| (i.dossier_id, i.reminded.as_ref().map(|r| r.on.to_string())))
            .collect();
        assert!(
            reminded.iter().all(|(_, r)| r.as_deref() == Some(today)),
            "{reminded:?}"
        );
        assert_eq!(reminded.len(), 3);
        let not_due = due.iter().find(|i| i.due_on == day("2026-12-05")).unwrap();
        assert_eq!(not_due.reminded, None);
        assert!(
            s.overdue_to_remind(&Scope::All, day(today), None, None)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.overdue_to_remind(&Scope::All, day("2026-11-25"), None, None)
                .await
                .unwrap()
                .len(),
            3
        );

        // A second batch of the same day with an evaluation already reminded writes nothing.
        let documents_before = s.documents(&Scope::All, true, d2).await.unwrap().len();
        let again = s
            .record_reminder_batch(
                now(),
                &a,
                &Scope::All,
                &batch(today, letters(&items[2..], b"bis", None)),
            )
            .await;
        assert!(matches!(again, Err(StoreError::Stale(_))), "{again:?}");
        assert_eq!(
            s.documents(&Scope::All, true, d2).await.unwrap().len(),
            documents_before
        );
        // An evaluation no longer the service's (or returned, cancelled) refuses the batch too.
        let next = s
            .overdue_to_remind(&Scope::All, day("2026-11-25"), None, Some(f.s2))
            .await
            .unwrap();
        let mut moved = letters(&next, b"ter", None);
        moved[0].service_id = f.s1;
        let refused = s
            .record_reminder_batch(now(), &a, &Scope::All, &batch("2026-11-25", moved))
            .await;
        assert!(matches!(refused, Err(StoreError::Stale(_))), "{refused:?}");
        assert_eq!(
            s.documents(&Scope::All, true, d2).await.unwrap().len(),
            documents_before
        );

        // Audited once for the batch, once per document.
        let entries = s.audit_page(0, 1_000_000).await.unwrap();
        let lots: Vec<_> = entries
            .iter()
            .filter(|e| e.action == "relance.lot")
            .collect();
        assert_eq!(lots.len(), 1);
        assert_eq!(lots[0].object_id, Some(id));
        assert_eq!(
            lots[0].detail.as_deref(),
            Some("jour 2026-11-24 ; services 2 ; évaluations 3")
        );
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.action == "document.creation")
                .count(),
            6
        );
        db
    })
    .await;
}

#[tokio::test]
async fn reminders_stay_with_the_service_reminded_and_two_batches_at_once_send_one() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::system();
        let today = "2026-11-24";
        let kid = || vec![child("Martin", "Léa", BirthDate::Unknown)];
        let mut ids = Vec::new();
        for received in ["2026-10-01T10:00:00Z", "2026-10-02T10:00:00Z"] {
            let mut d = simple(&f, f.t1, received, kid());
            d.assignments = vec![assignment(f.s1, "2026-11-20")];
            ids.push(s.create_dossier(now(), &a, &d).await.unwrap().0);
        }
        let items = s
            .overdue_to_remind(&Scope::All, day(today), None, None)
            .await
            .unwrap();
        assert_eq!(items.len(), 2);

        // Two agents at the same moment: one batch is recorded, the other writes nothing.
        let (first, second) = (
            batch(today, letters(&items, b"un", None)),
            batch(today, letters(&items, b"deux", None)),
        );
        let (one, other) = tokio::join!(
            s.record_reminder_batch(now(), &a, &Scope::All, &first),
            s.record_reminder_batch(now(), &a, &Scope::All, &second),
        );
        let (id, refused) = match (one, other) {
            (Ok(id), Err(e)) | (Err(e), Ok(id)) => (id, e),
            other => panic!("one batch and one refusal expected: {other:?}"),
        };
        assert!(matches!(refused, StoreError::Stale(_)), "{refused:?}");
        for d in &ids {
            assert_eq!(s.documents(&Scope::All, true, *d).await.unwrap().len(), 1);
        }

        // A copy removed from the first dossier: the batch serves another one.
        let b = s.reminder_batch(&Scope::All, id).await.unwrap();
        let first = b.letters[0].document_id.unwrap();
        s.remove_document(now(), &a, &Scope::All, first, "Doublon de test")
            .await
            .unwrap();
        let b = s.reminder_batch(&Scope::All, id).await.unwrap();
        let other_copy = b.letters[0].document_id.unwrap();
        assert_ne!(other_copy, first);
        assert_eq!(
            s.document(&Scope::All, true, other_copy)
                .await
                .unwrap()
                .removal,
            None
        );

        // One evaluation moved to S2, the other removed from its dossier: the batch still says
        // what was sent to S1; the moved one may be reminded to S2 the same day.
        let (moved, removed) = (items[0].assignment_id, items[1].assignment_id);
        raw_sql(
            s,
            &format!(
                "UPDATE assignment SET service_id = {} WHERE id = {moved}",
                f.s2
            ),
        )
        .await
        .unwrap();
        raw_sql(s, &format!("DELETE FROM assignment WHERE id = {removed}"))
            .await
            .unwrap();
        let b = s.reminder_batch(&Scope::All, id).await.unwrap();
        assert_eq!(b.letters.len(), 1);
        assert_eq!(b.letters[0].service_id, f.s1);
        assert_eq!(b.letters[0].evaluations, 2);
        let again = s
            .overdue_to_remind(&Scope::All, day(today), None, None)
            .await
            .unwrap();
        assert_eq!(
            again
                .iter()
                .map(|o| (o.assignment_id, o.service_id))
                .collect::<Vec<_>>(),
            vec![(moved, f.s2)]
        );
        let due = s
            .due_items(&Scope::All, day(today), 15, None, None)
            .await
            .unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].reminded, None);
        s.record_reminder_batch(
            now(),
            &a,
            &Scope::All,
            &batch(today, letters(&again, b"trois", None)),
        )
        .await
        .unwrap();
        db
    })
    .await;
}
