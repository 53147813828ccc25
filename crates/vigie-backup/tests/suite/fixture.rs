//! Old backups stay usable: an archive of each schema version, committed in
//! `tests/fixtures/` (small, demo data), restores into both backends with this program —
//! migrated to its schema, counts and audit chain checked, a dossier read, a new one saved.
//!
//! Written once per schema version: `VIGIE_UPDATE_SNAPSHOTS=1 cargo test -p vigie-backup
//! --test suite fixture::` adds `schema-<version>.age` when it is missing (never rewrites one).
//! Encrypted for the test-only age key `tests/fixtures/cle-age.txt`; its audit chain signed with
//! the tests' instance key ([`vigie_store::testing::test_ring`]).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use vigie_backup::{Decryption, Encryption, Silent};
use vigie_domain::Scope;
use vigie_store::Actor;
use vigie_store::documents::NewDocument;
use vigie_store::testing::{TestDb, now, test_ring};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn identity() -> age::x25519::Identity {
    let text = std::fs::read_to_string(fixtures().join("cle-age.txt")).unwrap();
    vigie_backup::parse_identities(&text).unwrap().remove(0)
}

/// Writes the fixture of this program's schema version when asked and missing.
async fn write_fixture_if_asked() {
    let path = fixtures().join(format!(
        "schema-{}.age",
        vigie_store::migrate::latest_version()
    ));
    if path.exists() || std::env::var_os("VIGIE_UPDATE_SNAPSHOTS").is_none() {
        return;
    }
    let key = fixtures().join("cle-age.txt");
    if !key.exists() {
        use age::secrecy::ExposeSecret;
        let id = age::x25519::Identity::generate();
        std::fs::write(
            &key,
            format!(
                "# Clé privée age DE TEST (archives de tests/fixtures seulement : jamais pour de vraies sauvegardes)\n# clé publique : {}\n{}\n",
                id.to_public(),
                id.to_string().expose_secret()
            ),
        )
        .unwrap();
    }
    let db = TestDb::sqlite().await;
    let s = &db.store;
    s.seed_demo_reference().await.unwrap();
    s.generate_demo(now(), 18, 12, |_| {}).await.unwrap();
    let bytes: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    s.add_documents(
        now(),
        &Actor::system(),
        &Scope::All,
        &[NewDocument {
            dossier_id: 1,
            kind: "piece",
            title: "Courrier reçu".into(),
            template_code: None,
            template_version: None,
            recipient_kind: None,
            recipient_label: None,
            file_name: "courrier.pdf".into(),
            media_type: "application/pdf".into(),
            bytes: &bytes,
            confidential: false,
            names_source: false,
            category_id: None,
            version_of: None,
        }],
    )
    .await
    .unwrap();
    let enc = Encryption::Recipients(vec![identity().to_public()]);
    vigie_backup::backup(
        s,
        std::fs::File::create(&path).unwrap(),
        &enc,
        &serde_json::json!({"timezone": "Europe/Paris", "departements": ["18"]}),
        now(),
        &Silent,
    )
    .await
    .unwrap();
    eprintln!("écrit : {}", path.display());
    db.finish().await;
}

#[tokio::test]
async fn every_committed_archive_restores_and_migrates_on_both_backends() {
    write_fixture_if_asked().await;
    let mut archives: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "age"))
        .collect();
    archives.sort();
    assert!(
        !archives.is_empty(),
        "aucune archive dans {}",
        fixtures().display()
    );
    let dec = Decryption::Identities(vec![identity()]);
    for archive in &archives {
        for target in ["sqlite", "postgres"] {
            eprintln!("— {} → {target}", archive.display());
            let Some(target_db) = TestDb::empty(target).await else {
                continue;
            };
            let store = target_db.owner().await.clone();
            let r = vigie_backup::restore(&store, archive, &dec, &test_ring(), now(), &Silent)
                .await
                .unwrap();
            assert_eq!(
                store.schema_version().await.unwrap(),
                vigie_store::migrate::latest_version()
            );
            let dossiers = r
                .manifest
                .tables
                .iter()
                .find(|t| t.name == "dossier")
                .unwrap()
                .rows;
            assert!(dossiers >= 12);
            assert_eq!(r.documents, 1);
            let rec = store
                .read_dossier(now(), &Actor::system(), &Scope::All, 1)
                .await
                .unwrap();
            assert!(!rec.children.is_empty());
            let check = store.check().await.unwrap();
            assert!(check.ok(), "{check:?}");
            drop(store);
            target_db.finish().await;
        }
    }
}
