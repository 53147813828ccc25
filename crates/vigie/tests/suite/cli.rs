//! The `vigie` binary as an operator uses it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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
        .env_remove("VIGIE_PUBLIC_URL")
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

/// `vigie user add` for Marie Dupont, administrator, with `pw` on standard input.
fn add_marie(dir: &std::path::Path, pw: &str) -> (Output, String, String) {
    add_marie_with(&mut vigie(dir), pw)
}

/// `vigie user add` for Marie Dupont with this command's environment.
fn add_marie_with(c: &mut Command, pw: &str) -> (Output, String, String) {
    with_password(
        c.args([
            "user",
            "add",
            "--login",
            "mdupont",
            "--name",
            "Marie Dupont",
            "--role",
            "administrateur",
        ]),
        pw,
    )
}

fn with_password(c: &mut Command, pw: &str) -> (Output, String, String) {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{pw}\n").as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (o, out, err)
}

#[test]
fn help_lists_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let (o, out, _) = run(vigie(dir.path()).arg("--help"));
    assert!(o.status.success());
    for c in ["serve", "migrate", "demo", "user", "check"] {
        assert!(out.contains(c), "{c} in {out}");
    }
    let (_, out, _) = run(vigie(dir.path()).args(["user", "--help"]));
    for c in ["add", "list", "disable", "set-password"] {
        assert!(out.contains(c), "{c} in {out}");
    }
}

#[test]
fn a_bad_setting_stops_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value) in [
        ("VIGIE_TIMEZONE", "Mars/Olympus"),
        ("VIGIE_DATABASE_URL", "mysql://localhost/x"),
        ("VIGIE_LISTEN", "partout"),
        ("VIGIE_LOG_FORMAT", "xml"),
        ("VIGIE_TRUSTED_PROXIES", "127.0.0.1,le-proxy"),
        ("VIGIE_PUBLIC_URL", "vigie.cd18.fr/ip"),
        ("VIGIE_MIGRATE_DATABASE_URL", "mysql://localhost/x"),
        (
            "VIGIE_MIGRATE_DATABASE_URL",
            "postgres://proprietaire:secret@db:port/vigie",
        ),
        // The owner's URL must name the same database (here SQLite, by default).
        (
            "VIGIE_MIGRATE_DATABASE_URL",
            "postgres://proprietaire:secret@db/vigie",
        ),
    ] {
        let (o, _, err) = run(vigie(dir.path()).env(var, value).arg("check"));
        assert_eq!(o.status.code(), Some(2), "{var}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(var), "{var} named in {err}");
        assert!(!err.contains("secret"), "{err}");
    }
    std::fs::write(
        dir.path().join("vigie.toml"),
        "timezone = \"Pacific/Nowhere\"\n",
    )
    .unwrap();
    let (o, _, err) = run(vigie(dir.path()).arg("check"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("VIGIE_TIMEZONE") && err.contains("Pacific/Nowhere"),
        "{err}"
    );
}

#[test]
fn a_new_database_has_no_account_until_the_first_administrator_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let (o, out, err) = run(vigie(dir.path()).args(["user", "list"]));
    assert!(o.status.success(), "{err}");
    assert_eq!(out.trim(), "");
    assert!(
        dir.path().join("data/vigie.db").exists(),
        "created under ./data/"
    );
    let (o, _, err) = with_password(
        vigie(dir.path()).args([
            "user",
            "add",
            "--login",
            "mdupont",
            "--name",
            "Marie Dupont",
            "--role",
            "chef",
        ]),
        "x",
    );
    assert!(!o.status.success());
    assert!(
        err.contains("--role") && err.contains("administrateur"),
        "{err}"
    );
    let (o, _, err) = add_marie(dir.path(), "court");
    assert!(!o.status.success());
    assert!(err.contains("12 caractères"), "{err}");
    // The same rule as « Mon compte »: the user's name and a year are guessed first.
    let (o, _, err) = add_marie(dir.path(), "marie-dupont-1975");
    assert!(!o.status.success());
    assert!(err.contains("mot de passe refusé"), "{err}");
    let (o, out, err) = add_marie(dir.path(), "une phrase de passe longue");
    assert!(o.status.success(), "{err}");
    assert!(out.contains("mdupont"));
    let (_, out, _) = run(vigie(dir.path()).args(["user", "list"]));
    assert!(
        out.contains("mdupont")
            && out.contains("Administrateur fonctionnel")
            && out.contains("actif"),
        "{out}"
    );
    let (o, _, _) = run(vigie(dir.path()).args(["user", "disable", "--login", "mdupont"]));
    assert!(o.status.success());
    let (_, out, _) = run(vigie(dir.path()).args(["user", "list"]));
    assert!(out.contains("désactivé"), "{out}");
    let (o, out, err) = run(vigie(dir.path()).arg("check"));
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains("Intégrité : OK") && out.contains("chaîne intacte"),
        "{out}"
    );
    // Without a public URL, `vigie check` says what that means; with one, it shows it.
    assert!(out.contains("VIGIE_PUBLIC_URL non définie"), "{out}");
    let (o, out, _) = run(vigie(dir.path())
        .env("VIGIE_PUBLIC_URL", "https://Vigie.CD18.fr/")
        .arg("check"));
    assert!(o.status.success());
    assert!(
        out.contains("Adresse publique : https://vigie.cd18.fr"),
        "{out}"
    );
    // Demo data never goes into a real database.
    let (o, _, err) = run(vigie(dir.path()).args(["demo", "--dossiers", "10"]));
    assert!(!o.status.success());
    assert!(err.contains("--demo"), "{err}");
}

#[test]
fn demo_fills_a_database_and_check_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _, err) = run(vigie(dir.path()).args(["demo", "--dossiers", "120", "--seed", "7"]));
    assert!(o.status.success(), "{err}");
    let (o, out, _) = run(vigie(dir.path()).arg("check"));
    assert!(o.status.success(), "{out}");
    let dossiers: i64 = out
        .lines()
        .find(|l| l.trim_start().starts_with("dossier "))
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(dossiers, 120);
}

#[tokio::test]
async fn a_schema_newer_than_the_program_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _, _) = run(vigie(dir.path()).arg("migrate"));
    assert!(o.status.success());
    let url: vigie_store::DbUrl =
        format!("sqlite://{}", dir.path().join("data/vigie.db").display())
            .parse()
            .unwrap();
    let store = vigie_store::Store::connect(&url, chrono_tz::Europe::Paris)
        .await
        .unwrap();
    vigie_store::testing::raw_sql(&store, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'futur', '2030-01-01T00:00:00+00:00')").await.unwrap();
    store.close().await;
    let (o, _, err) = run(vigie(dir.path())
        .args(["serve"])
        .env("VIGIE_LISTEN", "127.0.0.1:0"));
    assert!(!o.status.success());
    assert!(err.contains("plus récent") && err.contains("99"), "{err}");
}

#[test]
fn a_port_in_use_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (o, _, err) = run(vigie(dir.path()).arg("serve").env("VIGIE_LISTEN", &addr));
    assert!(!o.status.success());
    assert!(
        err.contains("déjà utilisée") && err.contains(&addr),
        "{err}"
    );
    assert_eq!(
        err.trim().lines().filter(|l| l.contains("vigie :")).count(),
        1
    );
}

/// The README's first command: `serve --demo` starts, prints the demo logins, answers.
#[test]
fn serve_demo_starts_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = vigie(dir.path())
        .args(["serve", "--demo", "--dossiers", "40"])
        .env("VIGIE_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = Instant::now();
    let mut addr = None;
    let mut printed = String::new();
    while started.elapsed() < Duration::from_secs(120) {
        let Some(Ok(l)) = lines.next() else { break };
        printed.push_str(&l);
        printed.push('\n');
        if let Some(a) = l.strip_prefix("Vigie écoute sur http://") {
            addr = Some(a.trim().to_owned());
        }
        if l.starts_with("Ouvrez") {
            break;
        }
    }
    let addr = addr.unwrap_or_else(|| panic!("no address in {printed}"));
    for login in [
        "admin",
        "responsable",
        "agent",
        "evaluateur",
        "statistiques",
    ] {
        assert!(printed.contains(login), "{login} in {printed}");
    }
    let get = |path: &str| {
        let mut s = TcpStream::connect(&addr).unwrap();
        write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
        let mut r = String::new();
        s.read_to_string(&mut r).unwrap();
        r
    };
    assert!(get("/healthz").starts_with("HTTP/1.0 200"));
    let login_page = get("/connexion");
    assert!(login_page.contains("Données fictives") && login_page.contains("Connexion"));
    child.kill().unwrap();
    let _ = child.wait();
    // More demo dossiers can be added to a demo database.
    let (o, _, err) = run(vigie(dir.path()).args(["demo", "--dossiers", "5"]));
    assert!(o.status.success(), "{err}");
}

#[test]
fn the_under_two_deadline_is_set_shown_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _, err) = run(vigie(dir.path()).arg("migrate"));
    assert!(o.status.success(), "{err}");
    let (o, out, _) = run(vigie(dir.path()).arg("delai-moins-de-deux-ans"));
    assert!(o.status.success());
    assert!(out.contains("le délai légal (3 mois)"), "{out}");
    let (o, out, _) = run(vigie(dir.path()).args(["delai-moins-de-deux-ans", "2"]));
    assert!(o.status.success());
    assert!(out.contains(": 2 mois"), "{out}");
    // Out of range: refused in French, the value kept.
    let (o, out, err) = run(vigie(dir.path()).args(["delai-moins-de-deux-ans", "6"]));
    assert!(!o.status.success(), "{out}");
    assert!(err.contains("entre 1 et 3 mois"), "{err}");
    let (_, out, _) = run(vigie(dir.path()).arg("delai-moins-de-deux-ans"));
    assert!(out.contains(": 2 mois"), "{out}");
    let (o, out, _) = run(vigie(dir.path()).args(["delai-moins-de-deux-ans", "aucun"]));
    assert!(o.status.success());
    assert!(out.contains("le délai légal"), "{out}");
}

/// The instance key: created apart (0600, never overwritten, French advice), required by a
/// real database, adopted, used by the verification (and its absence said), anchors
/// written outside the database, rotation keeping the old key needed for old entries.
#[tokio::test]
async fn the_instance_key_is_created_apart_required_and_rotated() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = d.join("secrets").join("cle");
    let with_key = |c: &mut Command| {
        c.env("VIGIE_INSTANCE_KEY_FILE", &key);
    };
    let (o, out, err) = run(vigie(d).args(["key", "init", "--output"]).arg(&key));
    assert!(o.status.success(), "{err}");
    assert!(
        out.contains("À PART") && out.contains("VIGIE_INSTANCE_KEY_FILE"),
        "{out}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let before = std::fs::read_to_string(&key).unwrap();
    let (o, _, err) = run(vigie(d).args(["key", "init", "--output"]).arg(&key));
    assert!(!o.status.success());
    assert!(err.contains("existe déjà"), "{err}");
    assert_eq!(std::fs::read_to_string(&key).unwrap(), before);

    // A real database without its key: refused, nothing created.
    let mut c = vigie(d);
    c.env_remove("VIGIE_INSTANCE_KEY_FILE");
    let (o, _, err) = add_marie_with(&mut c, "cerf-volant rouge au-dessus du canal");
    assert!(!o.status.success());
    assert!(
        err.contains("clé d'instance absente") && err.contains("vigie key init"),
        "{err}"
    );
    let mut c = vigie(d);
    c.env_remove("VIGIE_INSTANCE_KEY_FILE")
        .env("VIGIE_LISTEN", "127.0.0.1:0")
        .arg("serve");
    let (o, _, err) = run(&mut c);
    assert!(!o.status.success());
    assert!(err.contains("clé d'instance absente"), "{err}");

    // With it: adopted from the first entries, verified with it.
    let mut c = vigie(d);
    with_key(&mut c);
    let (o, _, err) = add_marie_with(&mut c, "cerf-volant rouge au-dessus du canal");
    assert!(o.status.success(), "{err}");
    let mut c = vigie(d);
    with_key(&mut c);
    let (o, out, _) = run(c.args(["key", "empreinte"]));
    assert!(o.status.success());
    assert!(
        out.contains("Base : clé n° 1") && out.contains("signe à partir de l'entrée 1"),
        "a new database is keyed from its first entry: {out}"
    );
    let mut c = vigie(d);
    with_key(&mut c);
    let (o, out, _) = run(c.args(["audit", "verify"]));
    assert!(o.status.success(), "{out}");
    assert!(out.contains("Vérifié avec la clé d'instance"), "{out}");
    assert!(out.contains("Ancres enregistrées hors de la base"), "{out}");
    let anchors = std::fs::read_to_string(d.join("data/ancres/ancres-audit.log")).unwrap();
    assert!(anchors.lines().count() >= 1, "{anchors}");
    // Without it: said plainly.
    let mut c = vigie(d);
    c.env_remove("VIGIE_INSTANCE_KEY_FILE");
    let (o, out, _) = run(c.args(["audit", "verify"]));
    assert_eq!(o.status.code(), Some(3), "not proved: not a success: {out}");
    assert!(out.contains("SANS la clé d'instance"), "{out}");

    // Rotation: key 2 signs from the next entry; the old file alone no longer verifies.
    let old = d.join("cle-avant-rotation");
    std::fs::copy(&key, &old).unwrap();
    let mut c = vigie(d);
    with_key(&mut c);
    let (o, out, err) = run(c.args(["key", "rotate"]));
    assert!(o.status.success(), "{err}");
    assert!(
        out.contains("Nouvelle clé d'instance n° 2") && out.contains("relancez"),
        "step 1 adds the key to the file only: {out}"
    );
    let mut c = vigie(d);
    with_key(&mut c);
    let (o, out, _) = run(c.args(["key", "empreinte"]));
    assert_eq!(out.matches("Base : clé n°").count(), 1, "{out}");
    assert!(o.status.success());
    let mut c = vigie(d);
    with_key(&mut c);
    let (o, out, err) = run(c.args(["key", "rotate"]));
    assert!(o.status.success(), "{err}");
    assert!(
        out.contains("Clé d'instance n° 2") && out.contains("activée"),
        "{out}"
    );
    let mut c = vigie(d);
    with_key(&mut c);
    let (o, out, _) = run(c.args(["key", "empreinte"]));
    assert!(o.status.success());
    assert_eq!(out.matches("Base : clé n°").count(), 2, "{out}");
    let mut c = vigie(d);
    with_key(&mut c);
    let (o, out, _) = run(c.args(["audit", "verify"]));
    assert!(o.status.success(), "{out}");
    let mut c = vigie(d);
    c.env("VIGIE_INSTANCE_KEY_FILE", &old);
    let (o, out, _) = run(c.args(["audit", "verify"]));
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("clé n° 2"), "{out}");

    // The tail cut after the last anchor (the command's own): a failure.
    let url: vigie_store::DbUrl = format!("sqlite://{}", d.join("data/vigie.db").display())
        .parse()
        .unwrap();
    let store = vigie_store::Store::connect(&url, chrono_tz::Europe::Paris)
        .await
        .unwrap();
    let head = store.audit_head().await.unwrap();
    let prev = store.audit_page(head.seq - 2, 1).await.unwrap().remove(0);
    for sql in [
        "DROP TRIGGER audit_entry_no_delete".to_owned(),
        format!("DELETE FROM audit_entry WHERE seq = {}", head.seq),
        format!(
            "UPDATE audit_head SET last_seq = {}, last_hash = '{}' WHERE id = 1",
            prev.seq, prev.hash
        ),
    ] {
        vigie_store::testing::raw_sql(&store, &sql).await.unwrap();
    }
    store.close().await;
    let mut c = vigie(d);
    with_key(&mut c);
    let (o, out, _) = run(c.args(["audit", "verify"]));
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("tronqué"), "{out}");
}

/// The naming convention in `--help`: English command and option names, the former French
/// names shown as aliases; the old top-level `delai-moins-de-deux-ans` hidden under `settings`.
#[test]
fn help_gives_the_english_names_and_the_french_aliases() {
    let dir = tempfile::tempdir().unwrap();
    let help = |args: &[&str]| {
        let (o, out, err) = run(vigie(dir.path()).args(args).arg("--help"));
        assert!(o.status.success(), "{args:?}: {err}");
        out
    };
    let out = help(&[]);
    assert!(out.contains("settings"), "{out}");
    assert!(!out.contains("delai-moins-de-deux-ans"), "{out}");
    let out = help(&["settings"]);
    assert!(out.contains("under-two-deadline"), "{out}");
    let out = help(&["audit"]);
    for c in [
        "verify",
        "head",
        "retention",
        "purge",
        "tete",
        "conservation",
        "purger",
    ] {
        assert!(out.contains(c), "{c} in {out}");
    }
    for (args, options) in [
        (&["audit", "verify"][..], ["--anchor", "--ancre"]),
        (&["audit", "purge"], ["--before", "--avant"]),
        (&["user", "add"], ["--territory", "--territoire"]),
    ] {
        let out = help(args);
        for c in options {
            assert!(out.contains(c), "{c} in {out}");
        }
    }
    let out = help(&["key"]);
    for c in [
        "init",
        "adopt",
        "rotate",
        "fingerprint",
        "adopter",
        "empreinte",
    ] {
        assert!(out.contains(c), "{c} in {out}");
    }
}

/// Every renamed command and option runs under its English name, and its former French name
/// still does the same thing (no runbook breaks).
#[test]
fn english_names_run_and_the_french_aliases_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (o, _, err) = run(vigie(d).arg("migrate"));
    assert!(o.status.success(), "{err}");

    // settings under-two-deadline, formerly delai-moins-de-deux-ans.
    let (o, out, err) = run(vigie(d).args(["settings", "under-two-deadline", "2"]));
    assert!(o.status.success(), "{err}");
    assert!(out.contains(": 2 mois"), "{out}");
    let (o, out, _) = run(vigie(d).arg("delai-moins-de-deux-ans"));
    assert!(o.status.success());
    assert!(out.contains(": 2 mois"), "{out}");
    let (o, out, _) = run(vigie(d).args(["delai-moins-de-deux-ans", "aucun"]));
    assert!(o.status.success());
    assert!(out.contains("le délai légal"), "{out}");
    let (o, out, _) = run(vigie(d).args(["settings", "under-two-deadline"]));
    assert!(o.status.success());
    assert!(out.contains("le délai légal"), "{out}");

    // audit head / tete, verify --anchor / --ancre.
    let (o, head, err) = run(vigie(d).args(["audit", "head"]));
    assert!(o.status.success(), "{err}");
    let head = head.trim().to_owned();
    let (seq, _) = head.split_once(':').unwrap();
    let (o, old, _) = run(vigie(d).args(["audit", "tete"]));
    assert!(o.status.success());
    assert_eq!(old.trim(), head);
    for flag in ["--anchor", "--ancre"] {
        let (o, out, err) = run(vigie(d).args(["audit", "verify", flag, &head]));
        assert!(o.status.success(), "{flag}: {out}{err}");
        assert!(out.contains(&format!("Ancre {seq} : conforme")), "{out}");
    }

    // audit retention / conservation.
    for (cmd, months) in [("retention", "7"), ("conservation", "8")] {
        let (o, out, err) = run(vigie(d).args(["audit", cmd, months]));
        assert!(o.status.success(), "{cmd}: {err}");
        assert!(out.contains(&format!(": {months} mois")), "{out}");
    }
    let (_, out, _) = run(vigie(d).args(["audit", "retention"]));
    assert!(out.contains(": 8 mois"), "{out}");

    // audit purge --before / purger --avant.
    for args in [
        ["audit", "purge", "--before", "2001-01-01"],
        ["audit", "purger", "--avant", "2001-01-01"],
    ] {
        let (o, out, err) = run(vigie(d).args(args));
        assert!(o.status.success(), "{args:?}: {err}");
        assert!(out.contains("rien à purger"), "{out}");
    }

    // key fingerprint / empreinte, adopt / adopter.
    for cmd in ["fingerprint", "empreinte"] {
        let (o, out, err) = run(vigie(d).args(["key", cmd]));
        assert!(o.status.success(), "{cmd}: {err}");
        assert!(out.contains("Base : clé n° 1"), "{out}");
    }
    for cmd in ["adopt", "adopter"] {
        let (o, out, err) = run(vigie(d).args(["key", cmd]));
        assert!(o.status.success(), "{cmd}: {err}");
        assert!(out.contains("déjà la clé d'instance n° 1"), "{out}");
    }

    // user add --territory / --territoire: the option is read (the unknown code is named).
    for flag in ["--territory", "--territoire"] {
        let (o, _, err) = run(vigie(d).args([
            "user",
            "add",
            "--login",
            "lmartin",
            "--name",
            "Luc Martin",
            "--role",
            "evaluateur",
            flag,
            "ZZ",
        ]));
        assert!(!o.status.success());
        assert!(err.contains("code inconnu « ZZ »"), "{flag}: {err}");
    }
}
