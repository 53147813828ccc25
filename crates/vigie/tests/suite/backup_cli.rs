//! `vigie backup` and `vigie restore` as an operator runs them: a demo base saved online,
//! verified, restored into SQLite and into PostgreSQL with its two roles (the way from one
//! to the other), checked; a wrong passphrase, a database with data and a missing key are
//! refused with a French line; `--keep` rotates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use vigie_store::testing::TestDb;

const PHRASE: &str = "VIGIE_BACKUP_PASSPHRASE";

fn vigie(dir: &Path, db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigie"));
    c.current_dir(dir)
        .env("VIGIE_DATABASE_URL", db)
        .env_remove("VIGIE_MIGRATE_DATABASE_URL")
        .env_remove("VIGIE_LISTEN")
        .env_remove("VIGIE_TIMEZONE")
        .env_remove("VIGIE_INSTANCE_KEY")
        .env_remove("VIGIE_AUDIT_ANCHOR_DIR")
        .env_remove(PHRASE)
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

fn archives(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn backup_verify_restore_into_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let source = format!("sqlite://{}", d.join("source.db").display());
    let (o, _, err) = run(vigie(d, &source).args(["demo", "--dossiers", "30"]));
    assert!(o.status.success(), "{err}");

    // Always encrypted: no passphrase, no key, no archive.
    let arch = d.join("archives");
    std::fs::create_dir(&arch).unwrap();
    let (o, _, err) = run(vigie(d, &source).args(["backup", "--output"]).arg(&arch));
    assert!(
        !o.status.success() && err.contains("toujours chiffrée"),
        "{err}"
    );
    assert!(archives(&arch).is_empty());

    let phrase = "correct cheval pile agrafe";
    for _ in 0..2 {
        let (o, out, err) = run(vigie(d, &source)
            .env(PHRASE, phrase)
            .args(["backup", "--keep", "1", "--output"])
            .arg(&arch));
        assert!(o.status.success(), "{err}");
        assert!(
            out.contains("Sauvegarde écrite") && out.contains("30 dossiers"),
            "{out}"
        );
    }
    let kept = archives(&arch);
    assert_eq!(kept.len(), 1, "--keep 1 : {kept:?}");
    let file = &kept[0];
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let (o, out, err) = run(vigie(d, &source)
        .env(PHRASE, phrase)
        .args(["backup", "--verify"])
        .arg(file));
    assert!(o.status.success(), "{err}");
    assert!(out.contains("Archive complète et lisible"), "{out}");
    let (o, _, err) = run(vigie(d, &source)
        .env(PHRASE, "une autre phrase de passe")
        .args(["backup", "--verify"])
        .arg(file));
    assert!(
        !o.status.success() && err.contains("phrase de passe ou clé privée incorrecte"),
        "{err}"
    );

    // Into a new SQLite file.
    let target = format!("sqlite://{}", d.join("cible.db").display());
    let (o, out, err) = run(vigie(d, &target)
        .env(PHRASE, phrase)
        .arg("restore")
        .arg(file));
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains("Restauration terminée") && out.contains("tête"),
        "{out}"
    );
    let (o, out, _) = run(vigie(d, &target).arg("check"));
    assert!(o.status.success(), "{out}");
    // Again into the same one: refused, it has data now.
    let (o, _, err) = run(vigie(d, &target)
        .env(PHRASE, phrase)
        .arg("restore")
        .arg(file));
    assert!(
        !o.status.success() && err.contains("n'est pas vide"),
        "{err}"
    );
    // Without the instance key: refused, nothing written.
    let other = format!("sqlite://{}", d.join("autre.db").display());
    let (o, _, err) = run(vigie(d, &other)
        .env_remove("VIGIE_INSTANCE_KEY_FILE")
        .env(PHRASE, phrase)
        .arg("restore")
        .arg(file));
    assert!(
        !o.status.success() && err.contains("clé d'instance"),
        "{err}"
    );

    // Into PostgreSQL: the owner restores, the application's role is granted and checks.
    let Some(db) = TestDb::postgres_empty().await else {
        return;
    };
    let app = db.app_url().expose().to_owned();
    let owner = db.owner_url().expose().to_owned();
    let (o, out, err) = run(vigie(d, &app)
        .env("VIGIE_MIGRATE_DATABASE_URL", &owner)
        .env(PHRASE, phrase)
        .arg("restore")
        .arg(file));
    assert!(o.status.success(), "{out}{err}");
    let (o, out, err) = run(vigie(d, &app).arg("check"));
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains("Intégrité : OK") && out.contains("chaîne intacte"),
        "{out}"
    );
    let (o, out, err) = run(vigie(d, &app).args(["user", "list"]));
    assert!(
        o.status.success() && out.contains("responsable"),
        "{out}{err}"
    );
    db.finish().await;
}
