//! A backup taken while agents save: the restored database holds every save acknowledged
//! before the backup began, and every dossier whole (each saved with its two children, in
//! one transaction), the audit chain intact.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Duration;
use vigie_backup::{Decryption, Encryption, Silent};
use vigie_domain::dossier::DossierEdit;
use vigie_domain::*;
use vigie_store::testing::{TestDb, now, test_ring};
use vigie_store::{Actor, Store};

fn param(cat: &vigie_domain::catalog::Catalog, kind: ParamKind, code: &str) -> i64 {
    cat.of_kind(kind).find(|v| v.code == code).unwrap().id
}

fn child(name: &str) -> ChildInput {
    ChildInput {
        person_id: None,
        person: Person {
            birth_name: name.into(),
            usage_name: None,
            first_names: "Léa".into(),
            sex: Sex::Female,
            birth: BirthDate::Exact("2019-03-02".parse().unwrap()),
        },
        address: Address::default(),
        csp_father_id: None,
        csp_mother_id: None,
        lieu_de_vie_id: None,
        comment: None,
        adults: vec![],
        authors: vec![],
        motif_ids: vec![],
        evaluation_result_id: None,
        conclusion: None,
    }
}

/// A new dossier with two children.
fn dossier(cat: &vigie_domain::catalog::Catalog, territory: i64, n: i64) -> DossierEdit {
    DossierEdit::create(DossierInput {
        header: Header {
            received_at: now() - Duration::seconds(n % 100_000),
            type_id: param(cat, ParamKind::DossierType, "IP"),
            danger_grave: false,
            violence_conjugale: false,
            sip: false,
            receiving_agent_id: None,
            channel_id: param(cat, ParamKind::Channel, "TEL"),
            snated_number: None,
            territory_id: territory,
            status: DossierStatus::Recue,
            expose: Some(format!("Situation n° {n}")),
            observation: None,
        },
        source: Source::anonymous(Some(param(cat, ParamKind::SourceCategory, "ANONYME"))),
        adults: vec![],
        children: vec![child(&format!("Martin{n}")), child(&format!("Bernard{n}"))],
        assignments: vec![],
        follow_ups: vec![],
    })
}

async fn count(store: &Store, sql: &str) -> i64 {
    vigie_store::testing::raw_texts(store, sql).await[0]
        .as_deref()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_during_saves_restores_every_acknowledged_save_whole() {
    for source in TestDb::both().await {
        let s = source.store.clone();
        s.seed_demo_reference().await.unwrap();
        let cat = s.catalog().await.unwrap();
        let territory = cat.territories[0].id;
        let acked: Arc<std::sync::Mutex<Vec<i64>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let mut writers = Vec::new();
        for w in 0..3i64 {
            let (s, cat, acked, stop) = (s.clone(), cat.clone(), acked.clone(), stop.clone());
            writers.push(tokio::spawn(async move {
                let mut n = w * 100_000;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let saved = s
                        .save_dossier(
                            now(),
                            &Actor::system(),
                            &Scope::All,
                            &dossier(&cat, territory, n),
                        )
                        .await
                        .unwrap();
                    acked.lock().unwrap().push(saved.id);
                }
            }));
        }
        // Let the writers go, then back up while they keep saving.
        while acked.lock().unwrap().len() < 30 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let before: Vec<i64> = acked.lock().unwrap().clone();
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("pendant.age");
        let id = age::x25519::Identity::generate();
        let enc = Encryption::Recipients(vec![id.to_public()]);
        let summary = vigie_backup::backup(
            &s,
            std::fs::File::create(&archive).unwrap(),
            &enc,
            &serde_json::json!({}),
            now(),
            &Silent,
        )
        .await
        .unwrap();
        let during = acked.lock().unwrap().len();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.await.unwrap();
        }
        let after = acked.lock().unwrap().len();
        eprintln!(
            "— {} : {} sauvegardes avant la sauvegarde, {during} à sa fin, {after} en tout ; archive : {} dossiers",
            source.backend,
            before.len(),
            summary
                .manifest
                .tables
                .iter()
                .find(|t| t.name == "dossier")
                .unwrap()
                .rows
        );
        assert!(
            during > before.len(),
            "les agents ont enregistré pendant la sauvegarde"
        );

        let dec = Decryption::Identities(vec![id]);
        for target_backend in ["sqlite", "postgres"] {
            let target_db = TestDb::empty(target_backend).await.expect("PostgreSQL");
            let target = target_db.owner().await.clone();
            vigie_backup::restore(&target, &archive, &dec, &test_ring(), now(), &Silent)
                .await
                .unwrap();
            let restored = count(&target, "SELECT CAST(COUNT(*) AS TEXT) FROM dossier").await;
            for d in &before {
                let n = count(
                    &target,
                    &format!("SELECT CAST(COUNT(*) AS TEXT) FROM dossier WHERE id = {d}"),
                )
                .await;
                assert_eq!(
                    n, 1,
                    "dossier {d}, enregistré avant la sauvegarde, restauré"
                );
            }
            let partial = count(
                &target,
                "SELECT CAST(COUNT(*) AS TEXT) FROM dossier d WHERE (SELECT COUNT(*) FROM dossier_child c WHERE c.dossier_id = d.id) <> 2",
            )
            .await;
            assert_eq!(partial, 0, "chaque dossier restauré a ses deux enfants");
            assert!(restored >= before.len() as i64);
            assert!(target.verify_audit().await.unwrap().broken.is_none());
            // A new dossier after the restore: a fresh id and number.
            let max_before = count(&target, "SELECT CAST(MAX(id) AS TEXT) FROM dossier").await;
            let saved = target
                .save_dossier(
                    now(),
                    &Actor::system(),
                    &Scope::All,
                    &dossier(&cat, territory, 999),
                )
                .await
                .unwrap();
            assert!(
                saved.id > max_before,
                "{target_backend} : id {} > {max_before}",
                saved.id
            );
            let same = count(
                &target,
                &format!(
                    "SELECT CAST(COUNT(*) AS TEXT) FROM dossier WHERE number = '{}'",
                    saved.number
                ),
            )
            .await;
            assert_eq!(same, 1, "numéro de dossier nouveau");
            drop(target);
            target_db.finish().await;
        }
        source.finish().await;
    }
}
