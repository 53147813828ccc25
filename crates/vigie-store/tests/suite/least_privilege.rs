//! Least privilege on PostgreSQL: every table the migrations create declares what the
//! application's role may do on it; that role (the one every other test suite uses on
//! PostgreSQL) cannot rewrite, delete, empty or unprotect the audit trail, nor change the
//! schema, while the owner's purge still works.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use chrono::Duration;
use vigie_store::audit::Event;
use vigie_store::grants::{Privileges, declared};
use vigie_store::testing::{PG_APP_ROLE, TestDb, now, raw_sql, table_names};
use vigie_store::{Actor, StoreError};

#[tokio::test]
async fn every_table_created_by_the_migrations_has_a_grant_entry() {
    on_both(|db| async move {
        let tables = table_names(&db.store).await;
        let mut names: Vec<String> = declared().iter().map(|(t, _)| (*t).to_owned()).collect();
        names.sort();
        let missing: Vec<_> = tables.iter().filter(|t| !names.contains(t)).collect();
        assert!(
            missing.is_empty(),
            "tables without a GRANTS entry in their migration file: {missing:?}"
        );
        let gone: Vec<_> = names.iter().filter(|t| !tables.contains(t)).collect();
        assert!(gone.is_empty(), "GRANTS entries without a table: {gone:?}");
        db
    })
    .await;
}

/// The errors of `sql` run as the application's role.
async fn refused(db: &TestDb, sql: &str) -> String {
    match raw_sql(&db.store, sql).await {
        Ok(()) => panic!("accepted for the application's role: {sql}"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn the_application_role_cannot_rewrite_or_empty_the_audit_trail() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let s = &db.store;
    let sys = Actor::system();
    for i in 0..4 {
        s.audit(
            now() + Duration::days(10) + Duration::hours(i),
            &sys,
            Event::new("dossier.recherche"),
        )
        .await
        .unwrap();
    }
    for i in 0..2 {
        s.audit(
            "2027-09-01T08:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
                + Duration::hours(i),
            &sys,
            Event::new("dossier.recherche"),
        )
        .await
        .unwrap();
    }
    // A checkpoint, so that the row trigger would let entries below it go.
    let t = "2028-06-01T10:00:00Z".parse().unwrap();
    let before = "2027-06-01T00:00:00Z".parse().unwrap();
    assert!(matches!(
        s.purge_audit(t, &sys, before).await,
        Err(e) if vigie_store::grants::is_permission_denied(&e)
    ));
    let owner = db.owner().await;
    let cp = owner
        .purge_audit(t, &sys, before)
        .await
        .unwrap()
        .expect("the owner purges");
    assert!(cp.entries_purged >= 4);
    let head = s.audit_head().await.unwrap();
    for sql in [
        "UPDATE audit_entry SET action = 'x'".to_owned(),
        "DELETE FROM audit_entry".to_owned(),
        format!("DELETE FROM audit_entry WHERE seq < {}", cp.first_seq + 1),
        "TRUNCATE audit_entry".to_owned(),
        "UPDATE audit_checkpoint SET first_seq = 1".to_owned(),
        "DELETE FROM audit_checkpoint".to_owned(),
        "TRUNCATE audit_checkpoint".to_owned(),
        "DELETE FROM audit_head".to_owned(),
        "INSERT INTO audit_head (id, last_seq, last_hash) VALUES (2, 0, '')".to_owned(),
        "TRUNCATE audit_head".to_owned(),
        "ALTER TABLE audit_entry DISABLE TRIGGER USER".to_owned(),
        "ALTER TABLE audit_checkpoint DISABLE TRIGGER audit_checkpoint_no_change".to_owned(),
        "DROP TRIGGER audit_entry_no_change ON audit_entry".to_owned(),
        "DROP TABLE audit_entry".to_owned(),
        "CREATE TABLE shadow (id BIGINT)".to_owned(),
        "UPDATE schema_migrations SET version = 99".to_owned(),
        "DELETE FROM commune".to_owned(),
    ] {
        let e = refused(&db, &sql).await;
        assert!(
            e.contains("permission denied") || e.contains("must be owner"),
            "{sql}: {e}"
        );
    }
    // The owner cannot empty the trail either (TRUNCATE trigger), nor delete a kept entry.
    for sql in [
        "TRUNCATE audit_entry",
        "TRUNCATE audit_checkpoint",
        "TRUNCATE audit_head",
    ] {
        let e = db.raw(sql).await.unwrap_err().to_string();
        assert!(e.contains("cannot be truncated"), "{sql}: {e}");
    }
    assert!(
        db.raw(&format!(
            "DELETE FROM audit_entry WHERE seq = {}",
            cp.first_seq
        ))
        .await
        .is_err()
    );
    assert_eq!(s.audit_head().await.unwrap(), head);
    let v = s.verify_audit().await.unwrap();
    assert_eq!(v.broken, None, "{v:?}");
    // `vigie check`: the application's role is clean; the owner would be reported.
    let app = s.privilege_report().await.unwrap().unwrap();
    assert_eq!(app.role, PG_APP_ROLE);
    assert!(app.warnings.is_empty(), "{:?}", app.warnings);
    let own = owner.privilege_report().await.unwrap().unwrap();
    assert!(
        own.warnings
            .iter()
            .any(|w| w.contains("propriétaire des tables")),
        "{:?}",
        own.warnings
    );
    db.finish().await;
}

#[tokio::test]
async fn the_application_role_starts_on_a_current_schema_and_is_told_to_ask_the_owner() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    // Current schema: migrating applies nothing, as `vigie serve` does at start.
    assert!(db.store.migrate(now()).await.unwrap().is_empty());
    // The application's role grants nothing (it owns nothing).
    let e = db
        .store
        .grant_application_role(PG_APP_ROLE)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("propriétaire"), "{e}");
    // Grants are idempotent, and exact: a right added by hand is taken back.
    db.raw(&format!(
        "GRANT DELETE, TRUNCATE ON audit_entry TO {PG_APP_ROLE}"
    ))
    .await
    .unwrap();
    let warned = db.store.privilege_report().await.unwrap().unwrap();
    assert!(
        warned
            .warnings
            .iter()
            .any(|w| w.contains("DELETE, TRUNCATE sur audit_entry")),
        "{:?}",
        warned.warnings
    );
    let owner = db.owner().await;
    let g1 = owner.grant_application_role(PG_APP_ROLE).await.unwrap();
    let g2 = owner.grant_application_role(PG_APP_ROLE).await.unwrap();
    assert_eq!(g1, g2);
    assert_eq!(g1.tables, declared().len());
    assert!(g1.sequences > 10, "{g1:?}");
    assert!(
        db.store
            .privilege_report()
            .await
            .unwrap()
            .unwrap()
            .warnings
            .is_empty()
    );
    let e = owner
        .grant_application_role("vigie_no_such_role")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("n'existe pas"), "{e}");
    // An outdated schema: the application's role is told to run `vigie migrate` as the owner.
    let latest = vigie_store::migrate::latest_version();
    db.raw(&format!(
        "DELETE FROM schema_migrations WHERE version = {latest}"
    ))
    .await
    .unwrap();
    // The latest migration runs again over its own result.
    let e = db.store.migrate(now()).await.unwrap_err();
    assert!(matches!(e, StoreError::Config(_)), "{e:?}");
    assert!(e.to_string().contains("VIGIE_MIGRATE_DATABASE_URL"), "{e}");
    let e = db.store.require_current_schema().await.unwrap_err();
    assert!(e.to_string().contains("rôle propriétaire"), "{e}");
    assert_eq!(owner.migrate(now()).await.unwrap(), vec![latest]);
    db.finish().await;
}

#[tokio::test]
async fn an_empty_database_is_created_by_the_owner_only() {
    let Some(db) = TestDb::postgres_empty().await else {
        return;
    };
    assert_eq!(db.store.schema_version().await.unwrap(), 0);
    let e = db.store.migrate(now()).await.unwrap_err();
    assert!(e.to_string().contains("VIGIE_MIGRATE_DATABASE_URL"), "{e}");
    let owner = db.owner().await;
    owner.migrate(now()).await.unwrap();
    owner.grant_application_role(PG_APP_ROLE).await.unwrap();
    db.store
        .init_instance(now(), false, &["18".into()])
        .await
        .unwrap();
    let f = fixture(&db.store).await;
    let (id, _) = db
        .store
        .create_dossier(
            now(),
            &Actor::system(),
            &simple(
                &f,
                f.t1,
                "2026-11-01T10:00:00Z",
                vec![child("Roux", "Inès", vigie_domain::BirthDate::Unknown)],
            ),
        )
        .await
        .unwrap();
    assert!(id > 0);
    assert_eq!(
        declared()
            .iter()
            .find(|(t, _)| *t == "audit_entry")
            .map(|(_, p)| *p),
        Some(Privileges::AppendOnly)
    );
    db.finish().await;
}
