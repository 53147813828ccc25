//! The two PostgreSQL roles as the operator uses them (README, « PostgreSQL en
//! production »): the owner's `vigie migrate` creates the schema and grants the
//! application's role; that role starts on a current schema and is told what to run on an
//! outdated one; `vigie audit purger` needs the owner; `vigie check` reports an
//! application role that owns the tables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};

use vigie_store::testing::{PG_APP_ROLE, PG_OWNER_ROLE, TestDb};

const DB: &str = "VIGIE_DATABASE_URL";
const MIGRATE: &str = "VIGIE_MIGRATE_DATABASE_URL";

fn vigie(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigie"));
    c.current_dir(dir)
        .env_remove(DB)
        .env_remove(MIGRATE)
        .env_remove("VIGIE_LISTEN")
        .env_remove("VIGIE_TIMEZONE")
        .env_remove("VIGIE_INSTANCE_KEY")
        .env_remove("VIGIE_AUDIT_ANCHOR_DIR")
        .env(
            "VIGIE_INSTANCE_KEY_FILE",
            vigie_store::testing::key_file(dir),
        )
        .env("VIGIE_LOG", "warn")
        .stdin(Stdio::null());
    c
}

fn run(c: &mut Command) -> (Output, String, String) {
    let o = c.output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (o, out, err)
}

#[tokio::test]
async fn two_roles_migrate_grant_purge_and_check() {
    let Some(db) = TestDb::postgres_empty().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let app = db.app_url().expose().to_owned();
    let owner = db.owner_url().expose().to_owned();

    // The application's role alone cannot create the schema: it is told what to run.
    let (o, _, err) = run(vigie(d).env(DB, &app).args(["user", "list"]));
    assert!(!o.status.success());
    assert!(
        err.contains("vigie migrate") && err.contains(MIGRATE),
        "{err}"
    );
    let (o, _, err) = run(vigie(d)
        .env(DB, &app)
        .env(MIGRATE, &owner)
        .args(["user", "list"]));
    assert!(!o.status.success());
    assert!(
        err.contains("en retard") && err.contains("rôle propriétaire"),
        "{err}"
    );

    // A database created in 2020 by the owner: entries old enough to purge.
    let t0: chrono::DateTime<chrono::Utc> = "2020-01-01T00:00:00Z".parse().unwrap();
    let store = db.owner().await;
    store.migrate(t0).await.unwrap();
    store
        .init_instance(t0, false, &["18".into()])
        .await
        .unwrap();
    vigie_store::audit::bulk_append_synthetic(
        store,
        30,
        t0 + chrono::Duration::seconds(1),
        chrono::Duration::hours(1),
        |_| {},
    )
    .await
    .unwrap();

    // `vigie migrate` as the owner grants the application's role.
    let (o, out, err) = run(vigie(d).env(DB, &app).env(MIGRATE, &owner).arg("migrate"));
    assert!(o.status.success(), "{err}");
    assert!(
        out.contains(&format!(
            "Droits du rôle de l'application « {PG_APP_ROLE} » accordés par « {PG_OWNER_ROLE} »"
        )),
        "{out}"
    );
    // Written without the key: the operator adopts it once, as the application's role.
    let (o, _, err) = run(vigie(d).env(DB, &app).args(["key", "adopter"]));
    assert!(o.status.success(), "{err}");
    // Then the application's role starts, with or without the owner's URL.
    for with_owner in [false, true] {
        let mut c = vigie(d);
        c.env(DB, &app).args(["user", "list"]);
        if with_owner {
            c.env(MIGRATE, &owner);
        }
        let (o, _, err) = run(&mut c);
        assert!(o.status.success(), "{err}");
    }
    let (o, out, err) = run(vigie(d).env(DB, &app).arg("check"));
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains(&format!(
            "Droits PostgreSQL : le rôle « {PG_APP_ROLE} » ne peut ni modifier, ni supprimer, ni vider le journal d'audit"
        )) && !out.contains("ATTENTION — le rôle"),
        "{out}"
    );
    // The owner used as the application's role: warned.
    let (_, out, _) = run(vigie(d).env(DB, &owner).arg("check"));
    assert!(
        out.contains(&format!(
            "Droits PostgreSQL : ATTENTION — le rôle de l'application « {PG_OWNER_ROLE} » est propriétaire des tables"
        )),
        "{out}"
    );

    // The purge deletes entries: refused to the application's role, with what to do...
    let (o, _, err) = run(vigie(d).env(DB, &app).args(["audit", "purger"]));
    assert!(!o.status.success());
    assert!(
        err.contains("purge refusée") && err.contains(MIGRATE),
        "{err}"
    );
    // ...done with the owner's URL.
    let (o, out, err) = run(vigie(d)
        .env(DB, &app)
        .env(MIGRATE, &owner)
        .args(["audit", "purger"]));
    assert!(o.status.success(), "{err}");
    // (n° 2: the refused attempt took a number from the sequence, rolled back.)
    assert!(
        out.contains("Point de contrôle n° 2") && out.contains(" 31 entrées antérieures"),
        "{out}"
    );
    let (o, out, _) = run(vigie(d).env(DB, &app).args(["audit", "verify"]));
    assert!(o.status.success(), "{out}");

    // One role in both URLs: migrated, nothing granted, said.
    let (o, _, err) = run(vigie(d).env(DB, &owner).env(MIGRATE, &owner).arg("migrate"));
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("même rôle") && err.contains("aucun droit accordé"),
        "{err}"
    );
    // An owner URL for another database is refused, naming the setting.
    let name = app.rsplit('/').next().unwrap();
    let other = owner.replace(&format!("/{name}"), "/autre");
    let (o, _, err) = run(vigie(d).env(DB, &app).env(MIGRATE, &other).arg("check"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("VIGIE_MIGRATE_DATABASE_URL : doit désigner la même base"),
        "{err}"
    );
    assert!(!err.contains(&format!(":{PG_OWNER_ROLE}@")), "{err}");
    db.finish().await;
}
