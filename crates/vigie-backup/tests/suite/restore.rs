//! Backup and restore on both backends and across them: every table's rows, every
//! document's bytes and the audit chain come back; a new dossier gets fresh ids; a damaged
//! archive, a wrong key or a non-empty database are refused before anything is written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};
use vigie_backup::{Decryption, Encryption, Silent};
use vigie_domain::Scope;
use vigie_store::documents::NewDocument;
use vigie_store::testing::{TestDb, now, test_ring};
use vigie_store::{Actor, DbUrl, Store};

type Tables = BTreeMap<String, Vec<Map<String, Value>>>;

/// Every table's rows and every document's bytes, read through a snapshot.
async fn contents(store: &Store) -> (Tables, BTreeMap<i64, Vec<u8>>) {
    let snap = store.snapshot().await.unwrap();
    let mut out = Tables::new();
    for t in snap.tables().await.unwrap() {
        let mut rows = Vec::new();
        snap.rows(&t, &mut |r| {
            rows.push(r);
            Ok(())
        })
        .await
        .unwrap();
        out.insert(t.name.clone(), rows);
    }
    let mut docs: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
    let mut current = 0;
    snap.documents(&mut |p| {
        match p {
            vigie_store::backup::DocumentPart::Start { id, .. } => {
                current = id;
                docs.insert(id, Vec::new());
            }
            vigie_store::backup::DocumentPart::Bytes(b) => {
                docs.get_mut(&current).unwrap().extend_from_slice(b)
            }
        }
        Ok(())
    })
    .await
    .unwrap();
    snap.finish().await.unwrap();
    (out, docs)
}

/// The same rows, in any order (each backend orders a composite key its own way); says
/// the first difference, not the whole table.
fn same_rows(
    t: &str,
    want: &[Map<String, Value>],
    got: &[Map<String, Value>],
    from: &str,
    to: &str,
) {
    let sorted = |rows: &[Map<String, Value>]| {
        let mut v: Vec<String> = rows
            .iter()
            .map(|r| serde_json::to_string(r).unwrap())
            .collect();
        v.sort();
        v
    };
    let (w, g) = (sorted(want), sorted(got));
    assert_eq!(
        w.len(),
        g.len(),
        "table {t}, {from} → {to} : nombre de lignes"
    );
    if let Some((a, b)) = w.iter().zip(&g).find(|(a, b)| a != b) {
        panic!("table {t}, {from} → {to} :\n attendu {a}\n obtenu  {b}");
    }
}

/// A source with demo dossiers, an agent and a document of 600 kB (three chunks).
async fn filled(db: &TestDb) {
    let s = &db.store;
    s.seed_demo_reference().await.unwrap();
    s.generate_demo(now(), 7, 40, |_| {}).await.unwrap();
    let bytes: Vec<u8> = (0..600_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let dossier: i64 = 1;
    s.add_documents(
        now(),
        &Actor::system(),
        &Scope::All,
        &[NewDocument {
            dossier_id: dossier,
            kind: "piece",
            title: "Rapport scanné".into(),
            template_code: None,
            template_version: None,
            recipient_kind: None,
            recipient_label: None,
            file_name: "rapport.pdf".into(),
            media_type: "application/pdf".into(),
            bytes: &bytes,
            confidential: true,
            names_source: false,
            category_id: None,
            version_of: None,
        }],
    )
    .await
    .unwrap();
    // A document removed by a responsable: its row and removal are backed up, its content
    // (deleted) is not, and the backup still reads through.
    let removed = s
        .add_documents(
            now(),
            &Actor::system(),
            &Scope::All,
            &[NewDocument {
                dossier_id: dossier,
                kind: "piece",
                title: "Déposé par erreur".into(),
                template_code: None,
                template_version: None,
                recipient_kind: None,
                recipient_label: None,
                file_name: "erreur.pdf".into(),
                media_type: "application/pdf".into(),
                bytes: &bytes[..300_000],
                confidential: false,
                names_source: false,
                category_id: None,
                version_of: None,
            }],
        )
        .await
        .unwrap()[0];
    s.remove_document(
        now(),
        &Actor::system(),
        &Scope::All,
        removed,
        "Mauvais dossier",
    )
    .await
    .unwrap();
}

fn keys() -> (Encryption, Decryption) {
    let id = age::x25519::Identity::generate();
    (
        Encryption::Recipients(vec![id.to_public()]),
        Decryption::Identities(vec![id]),
    )
}

async fn backup_to(store: &Store, path: &Path, enc: &Encryption) -> vigie_backup::Summary {
    let file = std::fs::File::create(path).unwrap();
    let config = serde_json::json!({"timezone": "Europe/Paris"});
    vigie_backup::backup(store, file, enc, &config, now(), &Silent)
        .await
        .unwrap()
}

/// An empty database of `backend` for a restore, and the store the restore uses (the
/// owner's, on PostgreSQL).
async fn empty(backend: &str) -> (TestDb, Store) {
    let db = TestDb::empty(backend).await.expect("PostgreSQL");
    let store = db.owner().await.clone();
    (db, store)
}

#[tokio::test]
async fn restores_on_both_backends_and_across_them() {
    for source in TestDb::both().await {
        filled(&source).await;
        // Rows are read in primary-key order, the key read from each backend's catalog.
        let snap = source.store.snapshot().await.unwrap();
        let tables = snap.tables().await.unwrap();
        snap.finish().await.unwrap();
        let key = |t: &str| tables.iter().find(|x| x.name == t).unwrap().key.clone();
        assert_eq!(key("dossier"), ["id"], "{}", source.backend);
        assert!(
            tables
                .iter()
                .all(|t| t.name != "document_chunk" && t.name != "web_session")
        );
        assert_eq!(key("child_motif").len(), 2, "{}", source.backend);
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("sauvegarde.age");
        let (enc, dec) = keys();
        let summary = backup_to(&source.store, &archive, &enc).await;
        assert!(summary.manifest.documents.count >= 1);
        let verified = vigie_backup::verify(std::fs::File::open(&archive).unwrap(), &dec).unwrap();
        assert_eq!(verified.manifest, summary.manifest);
        let (want, want_docs) = contents(&source.store).await;
        assert!(want["dossier"].len() >= 40, "{}", want["dossier"].len());
        for target in ["sqlite", "postgres"] {
            eprintln!("— {} → {target}", source.backend);
            let (target_db, store) = empty(target).await;
            let report =
                vigie_backup::restore(&store, &archive, &dec, &test_ring(), now(), &Silent)
                    .await
                    .unwrap();
            assert_eq!(report.rows["dossier"], want["dossier"].len() as u64);
            let (mut got, got_docs) = contents(&store).await;
            assert_eq!(got_docs, want_docs, "documents");
            // The restore added its own entry to the trail, and moved the head.
            let restored = got.get_mut("audit_entry").unwrap();
            let last = restored.pop().unwrap();
            assert_eq!(last["action"], "sauvegarde.restauration");
            got.remove("audit_head");
            let mut want = want.clone();
            want.remove("audit_head");
            for (t, rows) in &want {
                same_rows(
                    t,
                    rows,
                    got.get(t).unwrap_or(&Vec::new()),
                    source.backend,
                    target,
                );
            }
            let check = store.check().await.unwrap();
            assert!(
                check.integrity.is_ok() && check.audit.broken.is_none(),
                "{check:?}"
            );
            // A new document gets a fresh id on every backend.
            let ids = store
                .add_documents(
                    now(),
                    &Actor::system(),
                    &Scope::All,
                    &[NewDocument {
                        dossier_id: 1,
                        kind: "piece",
                        title: "Après restauration".into(),
                        template_code: None,
                        template_version: None,
                        recipient_kind: None,
                        recipient_label: None,
                        file_name: "apres.txt".into(),
                        media_type: "text/plain".into(),
                        bytes: b"ok",
                        confidential: false,
                        names_source: false,
                        category_id: None,
                        version_of: None,
                    }],
                )
                .await
                .unwrap();
            assert!(ids[0] > *want_docs.keys().max().unwrap());
            drop(store);
            target_db.finish().await;
        }
        source.finish().await;
    }
}

/// The archive at `from` rewritten without the members `drop` names (re-encrypted for
/// `enc`): what a lost or removed member looks like to a reader with the right key.
fn without_member(
    from: &Path,
    to: &Path,
    dec: &Decryption,
    enc_id: &age::x25519::Identity,
    drop: &dyn Fn(&str) -> bool,
) {
    use std::io::{Read, Write};
    let Decryption::Identities(ids) = dec else {
        panic!()
    };
    let d = age::Decryptor::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut plain = Vec::new();
    d.decrypt(ids.iter().map(|k| k as &dyn age::Identity))
        .unwrap()
        .read_to_end(&mut plain)
        .unwrap();
    let mut tar_bytes = Vec::new();
    flate2::read::GzDecoder::new(&plain[..])
        .read_to_end(&mut tar_bytes)
        .unwrap();
    let mut archive = tar::Archive::new(&tar_bytes[..]);
    let mut out = tar::Builder::new(Vec::new());
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        if drop(&name) {
            continue;
        }
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        let h = e.header().clone();
        out.append(&h, &data[..]).unwrap();
    }
    let tar_out = out.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar_out).unwrap();
    let gz = gz.finish().unwrap();
    let r = enc_id.to_public();
    let e = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient)).unwrap();
    let mut w = e.wrap_output(std::fs::File::create(to).unwrap()).unwrap();
    w.write_all(&gz).unwrap();
    w.finish().unwrap();
}

fn refused(r: Result<impl std::fmt::Debug, vigie_backup::Error>, words: &str) {
    match r {
        Ok(v) => panic!("accepté : {v:?}"),
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains(words), "« {msg} » ne dit pas « {words} »");
        }
    }
}

#[tokio::test]
async fn damaged_archives_wrong_keys_and_full_databases_are_refused_before_writing() {
    let source = TestDb::sqlite().await;
    filled(&source).await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("bonne.age");
    let id = age::x25519::Identity::generate();
    let enc = Encryption::Recipients(vec![id.to_public()]);
    let dec = Decryption::Identities(vec![id.clone()]);
    backup_to(&source.store, &good, &enc).await;
    let open = |p: &Path| std::fs::File::open(p).unwrap();
    vigie_backup::verify(open(&good), &dec).unwrap();

    // One byte changed, in the middle of the encrypted stream.
    let mut bytes = std::fs::read(&good).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    let altered = dir.path().join("alteree.age");
    std::fs::write(&altered, &bytes).unwrap();
    refused(vigie_backup::verify(open(&altered), &dec), "altérée");
    // Cut short.
    let cut = dir.path().join("tronquee.age");
    std::fs::write(&cut, &std::fs::read(&good).unwrap()[..middle]).unwrap();
    refused(vigie_backup::verify(open(&cut), &dec), "tronquée");
    // A member removed (the archive rewritten with the right key): a document, a table part.
    let no_doc = dir.path().join("sans-document.age");
    without_member(&good, &no_doc, &dec, &id, &|n| n.starts_with("documents/"));
    refused(
        vigie_backup::verify(open(&no_doc), &dec),
        "membre manquant : documents/",
    );
    let no_manifest = dir.path().join("sans-manifeste.age");
    without_member(&good, &no_manifest, &dec, &id, &|n| n == "manifeste.json");
    refused(
        vigie_backup::verify(open(&no_manifest), &dec),
        "manifeste absent",
    );
    // Someone else's key; a passphrase for an archive made for a key.
    let other = Decryption::Identities(vec![age::x25519::Identity::generate()]);
    refused(
        vigie_backup::verify(open(&good), &other),
        "clé privée incorrecte",
    );
    let phrase = Decryption::Passphrase("une phrase".to_owned().into());
    refused(
        vigie_backup::verify(open(&good), &phrase),
        "chiffrée pour des clés publiques",
    );
    // A passphrase archive, and the wrong passphrase.
    let with_phrase = dir.path().join("phrase.age");
    backup_to(
        &source.store,
        &with_phrase,
        &Encryption::Passphrase("correct cheval pile agrafe".to_owned().into(), Some(10)),
    )
    .await;
    vigie_backup::verify(
        open(&with_phrase),
        &Decryption::Passphrase("correct cheval pile agrafe".to_owned().into()),
    )
    .unwrap();
    refused(
        vigie_backup::verify(open(&with_phrase), &phrase),
        "phrase de passe ou clé privée incorrecte",
    );

    // Into a database: a damaged archive, another instance key, a database with data.
    for target in ["sqlite", "postgres"] {
        let (target_db, store) = empty(target).await;
        refused(
            vigie_backup::restore(&store, &altered, &dec, &test_ring(), now(), &Silent).await,
            "altérée",
        );
        let other_ring = vigie_store::keys::KeyRing::generate();
        refused(
            vigie_backup::restore(&store, &good, &dec, &other_ring, now(), &Silent).await,
            "n'est pas celle de la sauvegarde",
        );
        assert_eq!(
            store.schema_version().await.unwrap(),
            0,
            "{target} : rien d'écrit"
        );
        drop(store);
        target_db.finish().await;
    }
    refused(
        vigie_backup::restore(&source.store, &good, &dec, &test_ring(), now(), &Silent).await,
        "n'est pas vide",
    );
    // An archive of a newer program's schema.
    vigie_store::testing::raw_sql(
        &source.store,
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'futur', '2027-01-01T00:00:00+00:00')",
    )
    .await
    .unwrap();
    let newer = dir.path().join("future.age");
    backup_to(&source.store, &newer, &enc).await;
    let (_target_db, store) = empty("sqlite").await;
    refused(
        vigie_backup::restore(&store, &newer, &dec, &test_ring(), now(), &Silent).await,
        "schéma plus récent",
    );
    assert_eq!(store.schema_version().await.unwrap(), 0);
    source.finish().await;
}

#[tokio::test]
async fn an_archive_of_an_older_schema_is_restored_then_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let url: DbUrl = format!("sqlite://{}", dir.path().join("ancienne.db").display())
        .parse()
        .unwrap();
    let old = Store::connect(&url, chrono_tz::Europe::Paris)
        .await
        .unwrap();
    let upto: Vec<_> = vigie_store::migrate::migrations()
        .into_iter()
        .filter(|m| m.version <= 12)
        .collect();
    old.migrate_with(&upto, now()).await.unwrap();
    old.init_instance(now(), false, &["18".into()])
        .await
        .unwrap();
    old.open_with_key_ring(now(), test_ring(), None)
        .await
        .unwrap();
    let (enc, dec) = keys();
    let archive = dir.path().join("v12.age");
    let summary = backup_to(&old, &archive, &enc).await;
    assert_eq!(summary.manifest.schema_version, 12);
    for target in ["sqlite", "postgres"] {
        let (target_db, store) = empty(target).await;
        let r = vigie_backup::restore(&store, &archive, &dec, &test_ring(), now(), &Silent)
            .await
            .unwrap();
        let later: Vec<i64> = (13..=vigie_store::migrate::latest_version()).collect();
        assert_eq!(r.migrated, later, "{target}");
        assert!(store.check().await.unwrap().ok(), "{target}");
        drop(store);
        target_db.finish().await;
    }
}
