//! The CRIP's letter templates through the pages, on SQLite (the store's part runs on both
//! backends in vigie-store's tests): a version edited in LibreOffice (ODT) and one in the shape
//! Word writes (a tag split across runs, a spelling mark inside), each checked at upload, tried
//! on a fictional dossier, published, then used for a real letter that LibreOffice converts to
//! PDF with the dossier's values and that records the version; refusals naming the tag and its
//! paragraph; a template added by the CRIP offered once published; deactivation; who may.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read as _, Write as _};

use crate::common::*;
use axum::http::{Method, StatusCode};
use vigie_domain::*;
use vigie_letters::Format;
use vigie_store::testing::TestDb;
use vigie_web::documents::upload::UploadSettings;

/// A built-in template with one part rewritten (the other members copied as they are, the
/// ODT's `mimetype` first and stored).
fn edited(code: &str, format: Format, part: &str, edit: impl Fn(&str) -> String) -> Vec<u8> {
    let bytes = vigie_letters::defaults::template(code, format).unwrap();
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let name = src.by_index(i).unwrap().name().unwrap().to_string();
        if name == part {
            let mut text = String::new();
            src.by_index(i).unwrap().read_to_string(&mut text).unwrap();
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            out.start_file(name, opts).unwrap();
            out.write_all(edit(&text).as_bytes()).unwrap();
        } else {
            out.raw_copy_file(src.by_index_raw(i).unwrap()).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

/// The ODT of letter 1 with a paragraph of ours, as LibreOffice writes it.
fn libreoffice_version(paragraph: &str) -> Vec<u8> {
    edited("01-accuse-reception", Format::Odt, "content.xml", |xml| {
        xml.replace(
            "</office:text>",
            &format!("<text:p>{paragraph}</text:p></office:text>"),
        )
    })
}

/// The DOCX of letter 4 with a tag typed in Word: split across runs, a spelling mark and a
/// change of formatting inside.
fn word_version() -> Vec<u8> {
    edited(
        "04-demande-evaluation",
        Format::Docx,
        "word/document.xml",
        |xml| {
            xml.replace(
            "<w:sectPr",
            "<w:p><w:r><w:t xml:space=\"preserve\">Version Word pour {{ dossier.</w:t></w:r><w:proofErr w:type=\"spellStart\"/><w:r><w:rPr><w:b/></w:rPr><w:t>numero</w:t></w:r><w:proofErr w:type=\"spellEnd\"/><w:r><w:t xml:space=\"preserve\"> }}</w:t></w:r></w:p><w:sectPr",
        )
        },
    )
}

async fn upload(
    w: &World,
    user: i64,
    uri: &str,
    name: &str,
    bytes: &[u8],
    fields: &[(&str, &str)],
) -> Answer {
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    send(
        w,
        user,
        Method::POST,
        uri,
        &ct,
        multipart(fields, &[("fichier", name, bytes)]),
    )
    .await
}

async fn post(w: &World, user: i64, uri: &str, form: &str) -> Answer {
    send(
        w,
        user,
        Method::POST,
        uri,
        "application/x-www-form-urlencoded",
        form.as_bytes().to_vec(),
    )
    .await
}

/// The id of the newest version on a template's page.
fn newest_version(html: &str, code: &str) -> i64 {
    let prefix = format!("/admin/modeles/{code}/versions/");
    html.split(&prefix)
        .skip(1)
        .filter_map(|s| s.split(['"', '/']).next()?.parse().ok())
        .filter(|id: &i64| *id > 0)
        .max()
        .unwrap()
}

/// Publishes a version with the template's row version as the page shows it.
async fn publish(w: &World, user: i64, code: &str, version: i64) -> Answer {
    let read = w.store.letter_template(code).await.unwrap().version;
    post(
        w,
        user,
        &format!("/admin/modeles/{code}/versions/{version}/publication"),
        &format!("version={read}"),
    )
    .await
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("courrier.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/test.sh)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Generates letter `code` with its PDF as the agent; the PDF's text and the stored letter.
async fn generate(w: &World, code: &str) -> (String, vigie_store::documents::DocumentInfo) {
    let a = post(
        w,
        w.agent,
        &format!("/dossiers/{}/courriers", w.dossier),
        &format!("modele={code}&format=odt&pdf=1"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let docs = w
        .store
        .documents(&Scope::All, true, w.dossier)
        .await
        .unwrap();
    let pdf = docs
        .iter()
        .find(|d| d.template_code.as_deref() == Some(code) && d.media_type == "application/pdf")
        .unwrap();
    let bytes = w.store.document_bytes(pdf).await.unwrap();
    (pdf_text(&bytes), pdf.clone())
}

#[tokio::test]
async fn a_libreoffice_and_a_word_version_are_checked_tried_published_and_used() {
    let db = TestDb::sqlite().await;
    let w = world(&db, UploadSettings::default()).await;
    let number = w
        .store
        .read_dossier(
            vigie_store::testing::now(),
            &vigie_store::Actor::system(),
            &Scope::All,
            w.dossier,
        )
        .await
        .unwrap()
        .number
        .to_string();
    let r = w.responsable;
    let list = get(&w, r, "/admin/modeles").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.text().matches("<td><a href=\"/admin/modeles/").count(),
        10
    );
    assert!(list.text().contains("modèle par défaut de Vigie"));

    // LibreOffice: uploaded, a draft, tried on a fictional dossier, published.
    let odt = libreoffice_version("Version CRIP pour {{ dossier.numero }}");
    let a = upload(
        &w,
        r,
        "/admin/modeles/01-accuse-reception/versions",
        "accuse.odt",
        &odt,
        &[("commentaire", "Ajout d'une ligne")],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let page = get(
        &w,
        r,
        "/admin/modeles/01-accuse-reception?enregistre=version",
    )
    .await
    .text();
    assert!(
        page.contains("Brouillon (pas encore publiée)") && page.contains("Ajout d&#39;une ligne"),
        "{page}"
    );
    let v1 = newest_version(&page, "01-accuse-reception");
    let trial = post(
        &w,
        r,
        &format!("/admin/modeles/01-accuse-reception/versions/{v1}/essai"),
        "",
    )
    .await;
    let html = trial.text();
    assert_eq!(trial.status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Essai : version 1, sur le dossier fictif n° "),
        "{html}"
    );
    assert!(
        html.contains("Version CRIP pour ")
            && !html.contains(&format!("Version CRIP pour {number}")),
        "a fictional dossier, never the real one: {html}"
    );
    let file = post(
        &w,
        r,
        &format!("/admin/modeles/01-accuse-reception/versions/{v1}/essai"),
        "telecharger=pdf",
    )
    .await;
    assert!(file.body.starts_with(b"%PDF"), "{}", file.text());
    assert!(pdf_text(&file.body).contains("Version CRIP pour "));
    // Before publication, letters use the built-in version.
    let (text, doc) = generate(&w, "01-accuse-reception").await;
    assert!(!text.contains("Version CRIP"));
    assert!(
        doc.template_version
            .unwrap()
            .starts_with("modèle par défaut")
    );
    let a = publish(&w, r, "01-accuse-reception", v1).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let (text, doc) = generate(&w, "01-accuse-reception").await;
    assert!(
        text.contains(&format!("Version CRIP pour {number}")),
        "{text}"
    );
    assert!(doc.template_version.unwrap().starts_with("version 1 du "));

    // Word: a tag split across runs; published the same way; its letter in DOCX then PDF.
    let a = upload(
        &w,
        r,
        "/admin/modeles/04-demande-evaluation/versions",
        "demande.docx",
        &word_version(),
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let page = get(&w, r, "/admin/modeles/04-demande-evaluation")
        .await
        .text();
    let v = newest_version(&page, "04-demande-evaluation");
    publish(&w, r, "04-demande-evaluation", v).await;
    let (text, doc) = generate(&w, "04-demande-evaluation").await;
    assert!(
        text.contains(&format!("Version Word pour {number}")),
        "{text}"
    );
    let docs = w
        .store
        .documents(&Scope::All, true, w.dossier)
        .await
        .unwrap();
    assert!(
        docs.iter()
            .any(|d| d.template_code == doc.template_code && d.file_name.ends_with(".docx")),
        "the published version's format"
    );
    db.finish().await;
}

#[tokio::test]
async fn a_template_is_refused_with_the_tag_and_its_paragraph() {
    let db = TestDb::sqlite().await;
    let w = world(&db, UploadSettings::default()).await;
    let r = w.responsable;
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "01-accuse-reception",
            libreoffice_version("Bonjour {{ dossier.numero "),
            "balise",
        ),
        (
            "01-accuse-reception",
            libreoffice_version("{{ dossier.inconnu }}"),
            "Le champ « dossier.inconnu » n&#39;existe pas",
        ),
        (
            "02-information-parents",
            edited("02-information-parents", Format::Odt, "content.xml", |x| {
                x.replace(
                    "</office:text>",
                    "<text:p>Signalé par {{ signalant.nom }}</text:p></office:text>",
                )
            }),
            "ne peut pas figurer dans un courrier adressé à la famille",
        ),
    ];
    for (code, bytes, expected) in &cases {
        let a = upload(
            &w,
            r,
            &format!("/admin/modeles/{code}/versions"),
            "m.odt",
            bytes,
            &[],
        )
        .await;
        let html = a.text();
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(
            html.contains("Rien n'a été enregistré") && html.contains(expected),
            "{expected}: {html}"
        );
        assert!(html.contains("paragraphe"), "{html}");
    }
    // A macro, and a file that is no template.
    let with_macro = edited(
        "04-demande-evaluation",
        Format::Docx,
        "word/document.xml",
        |x| x.to_owned(),
    );
    let mut z = zip::ZipWriter::new_append(std::io::Cursor::new(with_macro)).unwrap();
    z.start_file(
        "word/vbaProject.bin",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    z.write_all(b"VBA").unwrap();
    let with_macro = z.finish().unwrap().into_inner();
    let a = upload(
        &w,
        r,
        "/admin/modeles/04-demande-evaluation/versions",
        "m.docx",
        &with_macro,
        &[],
    )
    .await;
    assert!(a.text().contains("macro"), "{}", a.text());
    let a = upload(
        &w,
        r,
        "/admin/modeles/04-demande-evaluation/versions",
        "m.pdf",
        b"%PDF-1.4\n%%EOF\n",
        &[],
    )
    .await;
    assert!(
        a.text()
            .contains("Un modèle est un document Word (DOCX) ou LibreOffice (ODT)"),
        "{}",
        a.text()
    );
    assert!(
        w.store
            .template_versions(
                w.store
                    .letter_template("01-accuse-reception")
                    .await
                    .unwrap()
                    .id
            )
            .await
            .unwrap()
            .is_empty()
    );
    db.finish().await;
}

#[tokio::test]
async fn a_new_template_is_offered_once_published_and_no_more_when_deactivated() {
    let db = TestDb::sqlite().await;
    let w = world(&db, UploadSettings::default()).await;
    let r = w.responsable;
    let admin = user(&w.store, "admin", Role::Administrateur, vec![], None).await;
    assert_eq!(
        get(&w, admin, "/admin/modeles").await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&w, w.agent, "/admin/modeles").await.status,
        StatusCode::FORBIDDEN
    );
    let odt = libreoffice_version(
        "Merci pour votre signalement concernant {{ enfants|map(attribute='prenom')|liste }}.",
    );
    let a = upload(
        &w,
        admin,
        "/admin/modeles",
        "remerciement.odt",
        &odt,
        &[
            ("titre", "Remerciement au signalant"),
            ("destinataire", "signalant"),
            ("base_legale", ""),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    assert_eq!(
        a.location(),
        "/admin/modeles/11-remerciement-au-signalant?enregistre=version"
    );
    let letters = format!("/dossiers/{}/courriers", w.dossier);
    assert!(
        !get(&w, w.agent, &letters)
            .await
            .text()
            .contains("Remerciement au signalant"),
        "not before it is published"
    );
    let page = get(&w, r, "/admin/modeles/11-remerciement-au-signalant")
        .await
        .text();
    let v = newest_version(&page, "11-remerciement-au-signalant");
    publish(&w, r, "11-remerciement-au-signalant", v).await;
    assert!(
        get(&w, w.agent, &letters)
            .await
            .text()
            .contains("Remerciement au signalant")
    );
    let a = post(
        &w,
        w.agent,
        &letters,
        "modele=11-remerciement-au-signalant&format=odt",
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let doc = w
        .store
        .documents(&Scope::All, true, w.dossier)
        .await
        .unwrap()
        .remove(0);
    let text = vigie_letters::document_text(&w.store.document_bytes(&doc).await.unwrap()).unwrap();
    assert!(
        text.contains("Merci pour votre signalement concernant Léa."),
        "{text}"
    );
    // Deactivated: no longer offered, refused if asked.
    let t = w
        .store
        .letter_template("11-remerciement-au-signalant")
        .await
        .unwrap();
    let a = post(
        &w,
        r,
        "/admin/modeles/11-remerciement-au-signalant/activation",
        &format!("version={}&actif=0", t.version),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(
        !get(&w, w.agent, &letters)
            .await
            .text()
            .contains("Remerciement au signalant")
    );
    let a = post(
        &w,
        w.agent,
        &letters,
        "modele=11-remerciement-au-signalant&format=odt",
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The API lists templates and versions.
    let api: serde_json::Value =
        serde_json::from_slice(&get(&w, r, "/api/v1/modeles").await.body).unwrap();
    let added = api
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "11-remerciement-au-signalant")
        .unwrap();
    assert_eq!(
        (
            added["active"].as_bool(),
            added["versions"][0]["in_service"].as_bool()
        ),
        (Some(false), Some(true))
    );
    db.finish().await;
}
