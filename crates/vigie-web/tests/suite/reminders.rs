//! « Relancer les services » from the Échéances page, on SQLite and on PostgreSQL: a dataset with
//! known overdue evaluations gives one letter per service naming its dossiers and no other, stored
//! in each dossier (hidden from the évaluateur), one PDF to print, « relancé le … » on the
//! échéances, and a second batch the same day sends nothing.

use axum::http::{Method, StatusCode};
use vigie_domain::*;
use vigie_store::Actor;
use vigie_store::testing::{TestDb, now};
use vigie_web::documents::upload::UploadSettings;

use crate::common::*;

const FORM: &str = "application/x-www-form-urlencoded";

/// A dossier of the world's territory with one evaluation asked of `service`, due on `due`.
async fn overdue(w: &World, service: &str, due: &str, name: &str) -> (i64, String) {
    let cat = w.store.catalog().await.unwrap();
    let service = cat.services.iter().find(|s| s.code == service).unwrap();
    let mut input = dossier_input(&cat, service.territory_id, service.id, due, name);
    input.header.received_at = "2026-09-20T09:00:00Z".parse().unwrap();
    input.assignments[0].asked_on = "2026-10-01".parse().unwrap();
    let (id, number) = w
        .store
        .create_dossier(now(), &Actor::system(), &input)
        .await
        .unwrap();
    (id, number.to_string())
}

#[tokio::test]
async fn a_batch_sends_one_letter_per_service_with_its_dossiers_once_a_day() {
    for db in TestDb::both().await {
        eprintln!("— backend {}", db.backend);
        run(&db).await;
        db.finish().await;
    }
}

async fn run(db: &TestDb) {
    let w = world(db, UploadSettings::default()).await;
    let (a1, n_a1) = overdue(&w, "S1", "2026-11-10", "BERNARD").await;
    let (a2, n_a2) = overdue(&w, "S1", "2026-11-20", "PETIT").await;
    let (b1, n_b1) = overdue(&w, "S2", "2026-11-15", "ROUX").await;

    // The page offers the batch to the agent, not to the évaluateur.
    let page = get(&w, w.agent, "/echeances").await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(
        text.contains(
            "3 évaluations en retard n'ont pas été relancées aujourd'hui, pour 2 services"
        ),
        "{text}"
    );
    assert!(
        !get(&w, w.evaluator, "/echeances")
            .await
            .text()
            .contains("Relancer les services</button>")
    );
    let refused = send(
        &w,
        w.evaluator,
        Method::POST,
        "/echeances/relances",
        FORM,
        b"format=odt".to_vec(),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The batch.
    let done = send(
        &w,
        w.agent,
        Method::POST,
        "/echeances/relances",
        FORM,
        b"territoire=&service=&format=odt".to_vec(),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let url = done.location();
    assert!(url.starts_with("/echeances/relances/"), "{url}");
    let batch = get(&w, w.agent, &url).await;
    assert_eq!(batch.status, StatusCode::OK);
    let text = batch.text();
    assert!(
        text.contains("2 courriers de relance, pour 3 évaluations en retard"),
        "{text}"
    );
    let nord = text.find("<td>Évaluation Nord</td>").expect("S1's letter");
    let bis = text
        .find("<td>Évaluation Nord bis</td>")
        .expect("S2's letter");
    for n in [&n_a1, &n_a2] {
        let at = text.find(n.as_str()).unwrap();
        assert!(nord < at && at < bis, "{n} in S1's row");
    }
    assert!(text.find(n_b1.as_str()).unwrap() > bis);

    // Each letter names its service's dossiers and children, never the other service's.
    let id: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    let b = w.store.reminder_batch(&Scope::All, id).await.unwrap();
    for (letter, mine, others) in [
        (&b.letters[0], vec![&n_a1, &n_a2], vec![&n_b1]),
        (&b.letters[1], vec![&n_b1], vec![&n_a1, &n_a2]),
    ] {
        let doc = w
            .store
            .document(&Scope::All, true, letter.document_id.unwrap())
            .await
            .unwrap();
        assert!(doc.file_name.ends_with(".odt"), "{}", doc.file_name);
        let text =
            vigie_letters::document_text(&w.store.document_bytes(&doc).await.unwrap()).unwrap();
        for n in mine {
            assert!(text.contains(n.as_str()), "{n} in {text}");
        }
        for n in others {
            assert!(!text.contains(n.as_str()), "{n} not in {text}");
        }
        assert!(text.contains(&letter.service_label), "{text}");
    }
    let s1_letter = vigie_letters::document_text(
        &w.store
            .document_bytes(
                &w.store
                    .document(&Scope::All, true, b.letters[0].document_id.unwrap())
                    .await
                    .unwrap(),
            )
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(
        s1_letter.contains("BERNARD") && s1_letter.contains("PETIT"),
        "{s1_letter}"
    );

    // Stored in each dossier: the agent sees it, the évaluateur of the service does not.
    for d in [a1, a2, b1] {
        let docs = get(&w, w.agent, &format!("/dossiers/{d}/documents"))
            .await
            .text();
        assert!(docs.contains("Relance groupée des évaluations"), "{docs}");
    }
    let docs = get(&w, w.evaluator, &format!("/dossiers/{a1}/documents")).await;
    assert!(!docs.text().contains("Relance groupée"), "{}", docs.text());

    // One PDF with every letter, S1's first (when LibreOffice is installed: CI installs it).
    if b.letters.iter().all(|l| l.pdf_document_id.is_some()) {
        let pdf = get(&w, w.agent, &format!("{url}/pdf")).await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert!(pdf.body.starts_with(b"%PDF"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relances.pdf");
        std::fs::write(&path, &pdf.body).unwrap();
        let out = std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let (p1, p2, p3) = (
            text.find(n_a1.as_str()).unwrap(),
            text.find(n_a2.as_str()).unwrap(),
            text.find(n_b1.as_str()).unwrap(),
        );
        assert!(p1 < p3 && p2 < p3, "{text}");
    } else {
        assert!(
            std::env::var("CI").is_err(),
            "LibreOffice is installed in CI: every letter has its PDF"
        );
        eprintln!("LibreOffice absent : PDF de la relance non vérifié");
    }

    // The échéances say « relancé le … par … »; a second batch the same day sends nothing.
    let text = get(&w, w.agent, "/echeances").await.text();
    assert_eq!(
        text.matches("Relancé le 24/11/2026 par Nom agent").count(),
        3,
        "{text}"
    );
    assert!(
        text.contains("Aucune évaluation en retard à relancer aujourd"),
        "{text}"
    );
    let again = send(
        &w,
        w.agent,
        Method::POST,
        "/echeances/relances",
        FORM,
        b"format=docx".to_vec(),
    )
    .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = again.text().replace("&#39;", "'");
    assert!(
        text.contains("Relance non envoyée") && text.contains("rien n'a été envoyé"),
        "{text}"
    );
    let entries = w.store.audit_page(0, 1_000_000).await.unwrap();
    assert_eq!(
        entries.iter().filter(|e| e.action == "relance.lot").count(),
        1
    );
}
