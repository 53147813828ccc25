//! Documents uploaded to a dossier, through the pages and the API, on SQLite and PostgreSQL:
//! the type read from the content and every refusal said in French with nothing stored (a
//! renamed program, a DOCX with a macro, a zip bomb, an encrypted PDF, a file over the limit),
//! the typed fields kept; a received IP confidential by default, hidden from an évaluateur
//! (not listed, 404); an évaluateur uploads the evaluation report to a dossier assigned to
//! their service only; a signed version of a letter listed above it; removal by a responsable
//! with a reason, the trace kept, the content gone; the optional antivirus (EICAR, and a
//! daemon that does not answer); audit entries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;

use crate::common::*;
use axum::http::{Method, StatusCode};
use vigie_domain::*;
use vigie_store::Actor;
use vigie_store::testing::{TestDb, now};
use vigie_web::documents::upload::UploadSettings;

async fn upload(
    w: &World,
    user: i64,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> Answer {
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let uri = format!("/dossiers/{}/documents", w.dossier);
    send(w, user, Method::POST, &uri, &ct, multipart(fields, files)).await
}

async fn count(w: &World) -> usize {
    w.store
        .documents(&Scope::All, true, w.dossier)
        .await
        .unwrap()
        .len()
}

async fn actions(w: &World, action: &str) -> usize {
    w.store
        .audit_page(0, 1_000_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == action)
        .count()
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// A zip of `entries` (name, bytes), deflated.
fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, bytes) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn docx(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>"),
        ("word/document.xml", b"<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>Rapport</w:t></w:r></w:p></w:body></w:document>"),
    ];
    entries.extend_from_slice(extra);
    zip(&entries)
}

/// A DOCX whose one part unpacks to 201 MiB of zeros (a few hundred kB packed).
fn bomb() -> Vec<u8> {
    let zeros = vec![0u8; 201 * 1024 * 1024];
    docx(&[("word/media/zeros.bin", &zeros)])
}

#[tokio::test]
async fn uploads_are_typed_from_their_content_and_refused_with_the_reason() {
    let bomb = bomb();
    for db in TestDb::both().await {
        let settings = UploadSettings {
            max_size: 1024 * 1024,
            ..UploadSettings::default()
        };
        let w = world(&db, settings).await;
        let report = w.category_report.to_string();
        let fields = [("categorie", report.as_str()), ("titre", "Rapport tapé")];
        let mut program = b"MZ\x90\x00".to_vec();
        program.extend_from_slice(&[0u8; 200]);
        let macro_docx = docx(&[("word/vbaProject.bin", b"VBA")]);
        let encrypted =
            b"%PDF-1.6\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R /Encrypt 2 0 R >>\n%%EOF\n"
                .to_vec();
        let large = vec![b'a'; 1024 * 1024 + 1];
        let cases: [(&str, &[u8], &str); 5] = [
            ("rapport.pdf", &program, "programme"),
            ("rapport.docx", &macro_docx, "macro"),
            ("rapport2.docx", &bomb, "200 Mo"),
            ("jugement.pdf", &encrypted, "mot de passe"),
            ("notes.txt", &large, "1 Mo au plus"),
        ];
        let refused_before = actions(&w, "document.refus").await;
        for (name, bytes, reason) in cases {
            // With a good file beside it: all or nothing.
            let good = pdf();
            let a = upload(
                &w,
                w.agent,
                &fields,
                &[("fichiers", "bon.pdf", &good), ("fichiers", name, bytes)],
            )
            .await;
            let html = a.text();
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name} {}: {html}",
                db.backend
            );
            assert!(html.contains("Rien n'a été déposé"), "{html}");
            assert!(
                html.contains(&format!("Fichier « {name} »")),
                "{name}: {html}"
            );
            assert!(
                html.contains(reason),
                "{name} must say « {reason} »: {html}"
            );
            assert!(
                html.contains("value=\"Rapport tapé\""),
                "the title typed is kept"
            );
            assert!(
                html.contains(&format!("<option value=\"{report}\" selected>")),
                "the category kept"
            );
            assert_eq!(count(&w).await, 0, "{name}: nothing stored");
        }
        assert_eq!(actions(&w, "document.refus").await, refused_before + 5);

        // Accepted: the type from the content, the name's extension from the type.
        let docx_ok = docx(&[]);
        let a = upload(
            &w,
            w.agent,
            &[("categorie", report.as_str())],
            &[
                ("fichiers", "scan.exe", &pdf()),
                ("fichiers", "rapport.docx", &docx_ok),
            ],
        )
        .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
        assert_eq!(
            a.location(),
            format!("/dossiers/{}/documents?deposes=2", w.dossier)
        );
        let docs = w
            .store
            .documents(&Scope::All, true, w.dossier)
            .await
            .unwrap();
        let scan = docs
            .iter()
            .find(|d| d.media_type == "application/pdf")
            .unwrap();
        assert_eq!(
            (scan.file_name.as_str(), scan.title.as_str()),
            ("scan.pdf", "scan")
        );
        assert_eq!(scan.category_label.as_deref(), Some("Rapport d'évaluation"));
        assert!(!scan.confidential);
        assert!(docs.iter().any(|d| d.file_name == "rapport.docx"
            && d.media_type
                == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"));
        let bytes = get(&w, w.agent, &format!("/documents/{}", scan.id)).await;
        assert_eq!(bytes.body, pdf());

        // Missing category and file: every error at once, in French.
        let a = upload(&w, w.agent, &[("categorie", "")], &[]).await;
        let html = a.text();
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            html.contains("Catégorie : choisissez une catégorie")
                && html.contains("choisissez au moins un fichier"),
            "{html}"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_received_ip_is_confidential_and_an_evaluator_uploads_only_the_report_of_their_service() {
    for db in TestDb::both().await {
        let w = world(&db, UploadSettings::default()).await;
        let d = w.dossier;
        let ip = w.category_ip.to_string();
        let a = upload(
            &w,
            w.agent,
            &[("categorie", &ip)],
            &[("fichiers", "ip-ecole.pdf", &pdf())],
        )
        .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
        let doc = w
            .store
            .documents(&Scope::All, true, d)
            .await
            .unwrap()
            .remove(0);
        assert!(
            doc.confidential,
            "a received IP names its source: confidential by default"
        );
        let page = get(&w, w.agent, &format!("/dossiers/{d}/documents"))
            .await
            .text();
        assert!(page.contains("ip-ecole") && page.contains("confidentiel"));
        // The évaluateur of the assigned service neither sees nor downloads it.
        let page = get(&w, w.evaluator, &format!("/dossiers/{d}/documents")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.text().contains("ip-ecole"));
        assert_eq!(
            get(&w, w.evaluator, &format!("/documents/{}", doc.id))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&w, w.evaluator, &format!("/api/v1/documents/{}", doc.id))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        // The form offers the évaluateur the report only, without the confidentiality.
        let html = page.text();
        assert!(
            html.contains("Rapport d&#39;évaluation</option>") && !html.contains(">IP reçue<"),
            "{html}"
        );
        assert!(!html.contains("name=\"confidentiel\""));

        // The évaluateur uploads the report; not an IP; a neighbour whose service has no
        // assignment on the dossier, nothing (audited).
        let report = w.category_report.to_string();
        let a = upload(
            &w,
            w.evaluator,
            &[("categorie", &report), ("confidentiel", "oui")],
            &[("fichiers", "rapport.pdf", &pdf())],
        )
        .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
        let mine = w
            .store
            .documents(&Scope::All, true, d)
            .await
            .unwrap()
            .remove(0);
        assert!(
            !mine.confidential,
            "never hidden from the one who uploaded it"
        );
        let denied = actions(&w, "acces.refuse").await;
        let a = upload(
            &w,
            w.evaluator,
            &[("categorie", &ip)],
            &[("fichiers", "x.pdf", &pdf())],
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let a = upload(
            &w,
            w.neighbour,
            &[("categorie", &report)],
            &[("fichiers", "x.pdf", &pdf())],
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        assert_eq!(actions(&w, "acces.refuse").await, denied + 2);
        assert_eq!(count(&w).await, 2);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_signed_letter_sits_above_it_and_a_responsable_removes_a_document_with_a_reason() {
    for db in TestDb::both().await {
        let w = world(&db, UploadSettings::default()).await;
        let d = w.dossier;
        let letter = w
            .store
            .add_documents(
                now(),
                &Actor::user(w.agent, None),
                &Scope::All,
                &[vigie_store::documents::NewDocument {
                    dossier_id: d,
                    kind: "courrier",
                    title: "Signalement au procureur de la République".into(),
                    template_code: Some("08-signalement-parquet".into()),
                    template_version: Some("défaut".into()),
                    recipient_kind: Some("parquet".into()),
                    recipient_label: Some("Parquet de Bourges".into()),
                    file_name: "signalement.odt".into(),
                    media_type: "application/vnd.oasis.opendocument.text".into(),
                    bytes: b"odt",
                    confidential: true,
                    names_source: true,
                    category_id: None,
                    version_of: None,
                }],
            )
            .await
            .unwrap()[0];
        let page = get(
            &w,
            w.agent,
            &format!("/dossiers/{d}/documents?version_de={letter}"),
        )
        .await
        .text();
        assert!(page.contains("Déposer la version modifiée ou signée de « Signalement au procureur de la République »"), "{page}");
        assert!(page.contains(&format!("name=\"version_de\" value=\"{letter}\"")));
        let signed = w.category_report.to_string();
        let version = letter.to_string();
        let a = upload(
            &w,
            w.agent,
            &[
                ("categorie", &signed),
                ("version_de", &version),
                ("confidentiel", "non"),
            ],
            &[("fichiers", "signe.pdf", &pdf())],
        )
        .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
        let docs = w.store.documents(&Scope::All, true, d).await.unwrap();
        let v = docs.iter().find(|x| x.version_of == Some(letter)).unwrap();
        assert!(
            v.confidential && v.names_source,
            "a version names whom the letter named"
        );
        assert_eq!(v.title, "signe");
        let page = get(&w, w.agent, &format!("/dossiers/{d}/documents"))
            .await
            .text();
        let (newer, older) = (
            page.find("Version déposée la plus récente").unwrap(),
            page.find("Courrier généré, remplacé").unwrap(),
        );
        assert!(newer < older, "the latest first");

        // Removal: not an agent; a responsable, with a reason.
        let form = "application/x-www-form-urlencoded";
        let uri = format!("/documents/{}/suppression", v.id);
        assert_eq!(
            send(
                &w,
                w.agent,
                Method::POST,
                &uri,
                form,
                b"motif=Erreur+de+dossier".to_vec()
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        let short = send(
            &w,
            w.responsable,
            Method::POST,
            &uri,
            form,
            b"motif=err".to_vec(),
        )
        .await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            short.text().contains("5 caractères au moins")
                && short.text().contains(">err</textarea>")
        );
        let confirm = get(&w, w.responsable, &uri).await;
        assert!(confirm.text().contains("signe.pdf"));
        let a = send(
            &w,
            w.responsable,
            Method::POST,
            &uri,
            form,
            b"motif=D%C3%A9pos%C3%A9+dans+le+mauvais+dossier".to_vec(),
        )
        .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        let page = get(&w, w.responsable, &format!("/dossiers/{d}/documents"))
            .await
            .text();
        assert!(
            page.contains("Supprimé le")
                && page.contains("Nom responsable : Déposé dans le mauvais dossier"),
            "{page}"
        );
        assert!(!page.contains(&format!("href=\"/documents/{}\"", v.id)));
        assert_eq!(
            get(&w, w.responsable, &format!("/documents/{}", v.id))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(actions(&w, "document.suppression").await, 1);
        // Through the API too: the letter; then again, not found.
        let json = "application/json";
        let api = format!("/api/v1/documents/{letter}/suppression");
        let a = send(
            &w,
            w.responsable,
            Method::POST,
            &api,
            json,
            br#"{"motif":"Doublon du courrier"}"#.to_vec(),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        let removed: serde_json::Value = serde_json::from_slice(&a.body).unwrap();
        assert_eq!(removed["removal"]["reason"], "Doublon du courrier");
        assert!(removed["href"].is_null());
        let again = send(
            &w,
            w.responsable,
            Method::POST,
            &api,
            json,
            br#"{"motif":"Doublon du courrier"}"#.to_vec(),
        )
        .await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        db.finish().await;
    }
}

#[tokio::test]
async fn the_api_uploads_lists_and_refuses_in_french() {
    for db in TestDb::both().await {
        let w = world(&db, UploadSettings::default()).await;
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        let uri = format!("/api/v1/dossiers/{}/documents", w.dossier);
        let report = w.category_report.to_string();
        let body = multipart(
            &[("categorie", &report), ("titre", "Rapport")],
            &[("fichier", "r.pdf", &pdf())],
        );
        let a = send(&w, w.agent, Method::POST, &uri, &ct, body).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
        let docs: serde_json::Value = serde_json::from_slice(&a.body).unwrap();
        assert_eq!(docs[0]["category_label"], "Rapport d'évaluation");
        assert_eq!(docs[0]["kind"], "piece");
        assert_eq!(a.location(), docs[0]["href"].as_str().unwrap());
        let list: serde_json::Value =
            serde_json::from_slice(&get(&w, w.agent, &uri).await.body).unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1);
        let body = multipart(
            &[("categorie", &report)],
            &[(
                "fichier",
                "page.html",
                b"<!DOCTYPE html><html><script>x</script></html>",
            )],
        );
        let a = send(&w, w.agent, Method::POST, &uri, &ct, body).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        let problem = a.text();
        assert!(problem.contains("page.html"), "{problem}");
        assert_eq!(count(&w).await, 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn the_antivirus_refuses_a_virus_and_refuses_everything_when_it_does_not_answer() {
    let Some(clamd) = vigie_files::testing::PrivateClamd::start_or_skip("téléversement web").await
    else {
        return;
    };
    let db = TestDb::sqlite().await;
    let w = world(
        &db,
        UploadSettings {
            clamav: Some(clamd.address()),
            ..UploadSettings::default()
        },
    )
    .await;
    let report = w.category_report.to_string();
    let eicar = vigie_files::testing::eicar();
    let a = upload(
        &w,
        w.agent,
        &[("categorie", &report)],
        &[("fichiers", "note.txt", &eicar)],
    )
    .await;
    let html = a.text();
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("virus") && html.contains(vigie_files::testing::SIGNATURE),
        "{html}"
    );
    let a = upload(
        &w,
        w.agent,
        &[("categorie", &report)],
        &[("fichiers", "note.txt", b"Compte rendu de visite.")],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    assert_eq!(count(&w).await, 1);
    drop(clamd);
    db.finish().await;

    // Set but not answering: refused rather than stored unchecked.
    let db = TestDb::sqlite().await;
    let gone =
        vigie_files::clamav::Address::Unix(std::env::temp_dir().join("vigie-pas-de-clamd.sock"));
    let w = world(
        &db,
        UploadSettings {
            clamav: Some(gone),
            ..UploadSettings::default()
        },
    )
    .await;
    let report = w.category_report.to_string();
    let a = upload(
        &w,
        w.agent,
        &[("categorie", &report)],
        &[("fichiers", "note.txt", b"Compte rendu.")],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.text().contains("ne répond pas"), "{}", a.text());
    assert_eq!(count(&w).await, 0);
    db.finish().await;
}
