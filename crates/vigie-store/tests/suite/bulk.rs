//! The bulk insert (multi-row `VALUES` on SQLite, one array per column on PostgreSQL)
//! writes every column, NULL or not, the same way on both backends.

use vigie_domain::Scope;
use vigie_store::Actor;
use vigie_store::dossiers::ListFilter;
use vigie_store::testing::{TestDb, now, raw_texts};

#[tokio::test]
async fn bulk_loaded_dossiers_read_back_identical_on_both_backends() {
    let mut loads = Vec::new();
    for db in TestDb::both().await {
        let s = &db.store;
        s.seed_demo_reference().await.unwrap();
        assert_eq!(s.generate_demo(now(), 11, 400, |_| {}).await.unwrap(), 400);
        let page = s
            .list_dossiers(&Scope::All, &ListFilter::default(), None, 400)
            .await
            .unwrap();
        assert_eq!(page.rows.len(), 400);
        let mut records = Vec::new();
        for row in &page.rows {
            records.push(
                s.read_dossier(now(), &Actor::system(), &Scope::All, row.id)
                    .await
                    .unwrap(),
            );
        }
        records.sort_by_key(|r| r.id);
        // Optional columns come both empty and filled: the NULLs went through too.
        let observed: Vec<bool> = records
            .iter()
            .map(|r| r.header.observation.is_some())
            .collect();
        assert!(observed.contains(&true) && observed.contains(&false));
        let done: Vec<bool> = records
            .iter()
            .flat_map(|r| r.follow_ups.iter().map(|f| f.done_at.is_some()))
            .collect();
        assert!(done.contains(&true) && done.contains(&false));
        loads.push(records);
        db.finish().await;
    }
    if let [sqlite, postgres] = &loads[..] {
        for (a, b) in sqlite.iter().zip(postgres) {
            assert_eq!(a, b);
        }
    }
}

/// The foreign keys and indexes of the store's PostgreSQL schema, as their definitions.
async fn pg_definitions(s: &vigie_store::Store) -> Vec<Option<String>> {
    raw_texts(
        s,
        "SELECT c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid) FROM pg_constraint k
         JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = current_schema() AND k.contype = 'f'
         UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1",
    )
    .await
}

#[tokio::test]
async fn a_large_demo_load_recreates_every_foreign_key_and_index_and_reads_as_on_sqlite() {
    let n = vigie_store::demo::BULK_FROM;
    let mut loads = Vec::new();
    for db in TestDb::both().await {
        // The owner's role: on PostgreSQL, the one that may drop and recreate the checks.
        let s = db.owner().await;
        s.seed_demo_reference().await.unwrap();
        let postgres = s.backend() == sea_orm::DatabaseBackend::Postgres;
        let before = if postgres {
            pg_definitions(s).await
        } else {
            vec![]
        };
        assert!(!postgres || before.len() > 40, "{before:?}");
        let built = "SELECT oid::text FROM pg_class WHERE relname IN ('person_key_pkey', 'person_key_person', 'dossier_child_person_dossier') ORDER BY relname";
        let indexes_before = if postgres {
            raw_texts(s, built).await
        } else {
            vec![]
        };
        assert_eq!(s.generate_demo(now(), 12, n, |_| {}).await.unwrap(), n);
        if postgres {
            assert_eq!(pg_definitions(s).await, before);
            // Recreated, not kept: the load went through the bulk path.
            let after = raw_texts(s, built).await;
            assert_eq!(after.len(), 3);
            assert!(after.iter().zip(&indexes_before).all(|(a, b)| a != b));
        }
        // Read through the application's role, as the server does.
        let app = &db.store;
        let counts = app.counts().await.unwrap();
        let page = app
            .list_dossiers(&Scope::All, &ListFilter::default(), None, 50)
            .await
            .unwrap();
        let mut records = Vec::new();
        for row in &page.rows {
            records.push(
                app.read_dossier(now(), &Actor::system(), &Scope::All, row.id)
                    .await
                    .unwrap(),
            );
        }
        let found = vigie_store::testing::find_persons(app, "martin").await;
        assert!(!found.is_empty());
        // The load writes each word to the vocabulary once (its first batch), yet the
        // vocabulary is the one computed again from every person and adult (migration 8).
        let vocabulary = "SELECT variant || '/' || word FROM name_variant ORDER BY variant, word";
        let loaded = raw_texts(app, vocabulary).await;
        assert!(loaded.len() > 1_000, "{}", loaded.len());
        db.raw("DELETE FROM schema_migrations WHERE version >= 8")
            .await
            .unwrap();
        assert_eq!(
            db.owner().await.migrate(now()).await.unwrap(),
            (8..=vigie_store::migrate::latest_version()).collect::<Vec<_>>()
        );
        assert_eq!(raw_texts(app, vocabulary).await, loaded);
        loads.push((counts, records, found));
        db.finish().await;
    }
    if let [sqlite, postgres] = &loads[..] {
        assert_eq!(sqlite.0, postgres.0);
        assert_eq!(sqlite.1, postgres.1);
        assert_eq!(sqlite.2, postgres.2);
    }
}
