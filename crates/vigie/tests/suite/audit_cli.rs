//! `vigie audit …` as the operator uses it: verify (with a recorded head), head, retention,
//! purge — on a SQLite database, and on PostgreSQL for the broken-chain report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};

fn vigie(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigie"));
    c.current_dir(dir)
        .env_remove("VIGIE_DATABASE_URL")
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

async fn open(dir: &std::path::Path) -> vigie_store::Store {
    let url: vigie_store::DbUrl = format!("sqlite://{}", dir.join("data/vigie.db").display())
        .parse()
        .unwrap();
    vigie_store::Store::connect(&url, chrono_tz::Europe::Paris)
        .await
        .unwrap()
}

/// A database created in 2020: its first entries are old enough to purge.
async fn old_database(dir: &std::path::Path) -> String {
    let store = open(dir).await;
    let t0: chrono::DateTime<chrono::Utc> = "2020-01-01T00:00:00Z".parse().unwrap();
    store.migrate(t0).await.unwrap();
    store
        .init_instance(t0, false, &["18".into()])
        .await
        .unwrap();
    vigie_store::audit::bulk_append_synthetic(
        &store,
        30,
        t0 + chrono::Duration::seconds(1),
        chrono::Duration::hours(1),
        |_| {},
    )
    .await
    .unwrap();
    let fifth = store.audit_page(4, 1).await.unwrap().remove(0);
    store.close().await;
    format!("{}:{}", fifth.seq, fifth.hash)
}

#[tokio::test]
async fn verify_head_retention_and_purge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifth = old_database(d).await;
    // A database written before the key: it must adopt it explicitly first.
    let (o, _, err) = run(vigie(d).args(["delai-moins-de-deux-ans", "2"]));
    assert!(!o.status.success());
    assert!(err.contains("vigie key adopter"), "{err}");
    let (o, _, err) = run(vigie(d).args(["key", "adopter"]));
    assert!(o.status.success(), "{err}");
    assert!(err.contains("Clé d'instance n° 1 adoptée"), "{err}");
    let (o, _, err) = run(vigie(d).args(["delai-moins-de-deux-ans", "2"]));
    assert!(o.status.success(), "{err}");

    // The head, one line to record elsewhere.
    let (o, head, err) = run(vigie(d).args(["audit", "tete"]));
    assert!(o.status.success(), "{err}");
    let head = head.trim().to_owned();
    let (seq, hash) = head.split_once(':').unwrap();
    assert!(
        seq.parse::<i64>().unwrap() > 30 && hash.len() == 64,
        "{head}"
    );
    assert!(err.contains("vigie audit verify --ancre"), "{err}");

    let (o, out, err) = run(vigie(d).args(["audit", "verify", "--ancre", &head]));
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains("chaîne intacte") && out.contains(&format!("Ancre {seq} : conforme")),
        "{out}"
    );
    assert!(
        out.contains(" s.") && out.contains(&format!("Tête : {head}")),
        "{out}"
    );
    let wrong = format!("{seq}:{}", "0".repeat(64));
    let (o, out, _) = run(vigie(d).args(["audit", "verify", "--ancre", &wrong]));
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!("CHAÎNE ROMPUE à l'entrée {seq}")),
        "{out}"
    );
    let (o, _, err) = run(vigie(d).args(["audit", "verify", "--ancre", "douze"]));
    assert!(!o.status.success());
    assert!(
        err.contains("--ancre") && err.contains("NUMÉRO:EMPREINTE"),
        "{err}"
    );

    // Retention: shown, set, bounds in French.
    let (o, out, _) = run(vigie(d).args(["audit", "conservation"]));
    assert!(o.status.success());
    assert!(out.contains(": 12 mois"), "{out}");
    let (o, _, err) = run(vigie(d).args(["audit", "conservation", "48"]));
    assert!(!o.status.success());
    assert!(err.contains("entre 6 et 36 mois"), "{err}");
    let (o, out, _) = run(vigie(d).args(["audit", "conservation", "6"]));
    assert!(o.status.success());
    assert!(out.contains(": 6 mois"), "{out}");

    // A date inside the retention is refused; a malformed one too.
    let (o, _, err) = run(vigie(d).args(["audit", "purger", "--avant", "2999-01-01"]));
    assert!(!o.status.success());
    assert!(
        err.contains("6 mois") && err.contains("antérieures au"),
        "{err}"
    );
    let (o, _, err) = run(vigie(d).args(["audit", "purger", "--avant", "01/01/2020"]));
    assert!(!o.status.success());
    assert!(err.contains("AAAA-MM-JJ"), "{err}");

    // By default, everything older than the retention: the 2020 entries go, the
    // checkpoint is printed to be recorded.
    let (o, out, err) = run(vigie(d).args(["audit", "purger"]));
    assert!(o.status.success(), "{err}");
    assert!(out.contains("Point de contrôle n° 1"), "{out}");
    assert!(out.contains("À conserver hors de la base : "), "{out}");
    let purged: i64 = out
        .split(" entrées antérieures")
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(purged > 30, "{out}");
    // The rest verifies, against the head recorded before the purge too.
    let (o, out, _) = run(vigie(d).args(["audit", "verify", "--ancre", &head]));
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("Point de contrôle n° 1") && out.contains("conforme"),
        "{out}"
    );
    // An entry purged by a checkpoint signed with the key: said, not a failure.
    let (o, out, _) = run(vigie(d).args(["audit", "verify", "--ancre", &fifth]));
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("purgée par un point de contrôle signé"),
        "{out}"
    );
    let (o, out, _) = run(vigie(d).args(["audit", "purger"]));
    assert!(o.status.success());
    assert!(out.contains("rien à purger"), "{out}");

    // Someone alters an entry with SQL: named, exit 1.
    let store = open(d).await;
    let target = store.audit_tail(2).await.unwrap().remove(1).seq;
    for sql in [
        "DROP TRIGGER audit_entry_no_update".to_owned(),
        format!("UPDATE audit_entry SET ip = '10.9.9.9' WHERE seq = {target}"),
    ] {
        vigie_store::testing::raw_sql(&store, &sql).await.unwrap();
    }
    store.close().await;
    let (o, out, _) = run(vigie(d).args(["audit", "verify"]));
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "CHAÎNE ROMPUE à l'entrée {target} : le contenu de l'entrée a été modifié"
        )),
        "{out}"
    );
    let (o, _, err) = run(vigie(d).args(["audit", "purger"]));
    assert!(
        o.status.success(),
        "nothing to purge before the break: {err}"
    );
}

#[test]
fn help_lists_the_audit_commands() {
    let dir = tempfile::tempdir().unwrap();
    let (o, out, _) = run(vigie(dir.path()).args(["audit", "--help"]));
    assert!(o.status.success());
    for c in ["verify", "tete", "conservation", "purger"] {
        assert!(out.contains(c), "{c} in {out}");
    }
}
