//! Backup benchmark of the `vigie` binary: on a demo database of N dossiers with M documents
//! (200–800 kB each, `vigie demo --documents`), the time, archive size and peak RSS of
//! `vigie backup --output`, `vigie backup --verify` and `vigie restore` into a fresh database
//! of each backend (the same one, and the other: SQLite → PostgreSQL and back). Figures only:
//! exits 1 when a command fails, never on slow figures (the machine is shared).
//!
//! `cargo bench -p vigie --bench backup`
//!
//! Environment: `VIGIE_BACKUP_DOSSIERS` (default 100000), `VIGIE_BACKUP_DOCUMENTS` (default
//! 1000), `VIGIE_BACKUP_BACKENDS` (sources, default `sqlite,postgres`), `VIGIE_BACKUP_TARGETS`
//! (default `sqlite,postgres`), `VIGIE_BENCH_KEEP=DIR` (keeps the generated source databases
//! and their archives in DIR between runs — SQLite there, PostgreSQL as `vigie_backup_src_N`;
//! otherwise a temporary folder and databases dropped at the end), `VIGIE_BACKUP_PG_URL` (an
//! administrative database of the PostgreSQL server; default `VIGIE_TEST_PG_URL`, else
//! `postgres://postgres@127.0.0.1:5432/postgres`). The archive's passphrase is the bench's own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use common::{
    env_backends, env_usize, mib_text, pg_admin, pg_admin_url, proc_status_kib, vigie, with_db,
};

const PASSPHRASE: &str = "phrase de passe du banc d'essai des sauvegardes";
const PG_URL_VAR: &str = "VIGIE_BACKUP_PG_URL";

/// One command's figures.
struct Run {
    seconds: f64,
    peak_kib: Option<u64>,
    stdout: String,
}

/// Runs `c` to its end, polling its peak RSS (`VmHWM`) every 20 ms.
fn measure(mut c: Command, what: &str) -> Result<Run, String> {
    let started = Instant::now();
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{what}: {e}"))?;
    let pid = child.id();
    let mut peak = None;
    loop {
        if let Some(k) = proc_status_kib(pid, "VmHWM:") {
            peak = Some(peak.map_or(k, |p: u64| p.max(k)));
        }
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!(
            "{what} a échoué : {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(Run {
        seconds,
        peak_kib: peak,
        stdout,
    })
}

/// A database URL for `backend` named `name` (a file in `dir`, or a PostgreSQL database).
fn url(backend: &str, dir: &Path, name: &str) -> String {
    if backend == "sqlite" {
        format!("sqlite://{}", dir.join(format!("{name}.db")).display())
    } else {
        with_db(&pg_admin_url(PG_URL_VAR), name)
    }
}

async fn drop_pg(name: &str) {
    let _ = pg_admin(
        &pg_admin_url(PG_URL_VAR),
        &[format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")],
    )
    .await;
}

async fn create_pg(name: &str) -> Result<(), String> {
    drop_pg(name).await;
    pg_admin(
        &pg_admin_url(PG_URL_VAR),
        &[format!("CREATE DATABASE {name}")],
    )
    .await
}

/// The source database (generated unless kept), its archive; returns the archive's path.
async fn source(
    backend: &str,
    dir: &Path,
    dossiers: usize,
    documents: usize,
    kept: bool,
) -> Result<(String, PathBuf), String> {
    let name = format!("vigie_backup_src_{dossiers}_{documents}");
    let db = url(backend, dir, &name);
    let marker = dir.join(format!("{backend}-{name}.generated"));
    if !(kept && marker.exists()) {
        if backend == "sqlite" {
            let _ = std::fs::remove_file(dir.join(format!("{name}.db")));
        } else {
            create_pg(&name).await?;
        }
        let mut c = vigie(dir, &db);
        c.args([
            "demo",
            "--dossiers",
            &dossiers.to_string(),
            "--documents",
            &documents.to_string(),
        ]);
        let r = measure(c, "vigie demo")?;
        println!(
            "{backend} : base de démonstration générée en {:.1} s ({dossiers} dossiers, {documents} documents).",
            r.seconds
        );
        std::fs::write(&marker, b"ok").map_err(|e| e.to_string())?;
    }
    Ok((db, dir.join(format!("{backend}-{name}.age"))))
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("échec : {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let dossiers = env_usize("VIGIE_BACKUP_DOSSIERS", 100_000);
    let documents = env_usize("VIGIE_BACKUP_DOCUMENTS", 1_000);
    let sources = env_backends("VIGIE_BACKUP_BACKENDS", "sqlite,postgres");
    let targets = env_backends("VIGIE_BACKUP_TARGETS", "sqlite,postgres");
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (dir, kept) = match std::env::var("VIGIE_BENCH_KEEP") {
        Ok(d) => {
            std::fs::create_dir_all(&d).map_err(|e| e.to_string())?;
            (PathBuf::from(d), true)
        }
        Err(_) => (temp.path().to_owned(), false),
    };
    println!(
        "Sauvegardes : {dossiers} dossiers, {documents} documents ; sources {sources:?}, cibles {targets:?}."
    );
    println!("| étape | durée s | archive Mo | pic RSS Mio |\n|---|---|---|---|");
    for backend in &sources {
        let (db, archive) = source(backend, &dir, dossiers, documents, kept).await?;
        let _ = std::fs::remove_file(&archive);
        let mut c = vigie(&dir, &db);
        c.env("VIGIE_BACKUP_PASSPHRASE", PASSPHRASE)
            .arg("backup")
            .arg("--output")
            .arg(&archive);
        let b = measure(c, "vigie backup")?;
        let size = std::fs::metadata(&archive)
            .map_err(|e| e.to_string())?
            .len();
        println!(
            "| sauvegarde {backend} | {:.1} | {:.1} | {} |",
            b.seconds,
            size as f64 / 1e6,
            mib_text(b.peak_kib)
        );
        eprintln!("{}", b.stdout.trim());
        let mut c = vigie(&dir, &db);
        c.env("VIGIE_BACKUP_PASSPHRASE", PASSPHRASE)
            .args(["backup", "--verify"])
            .arg(&archive);
        let v = measure(c, "vigie backup --verify")?;
        println!(
            "| vérification {backend} | {:.1} | | {} |",
            v.seconds,
            mib_text(v.peak_kib)
        );
        for target in &targets {
            let name = format!("vigie_backup_dst_{}", std::process::id());
            let tdb = url(target, &dir, &name);
            if target == "sqlite" {
                let _ = std::fs::remove_file(dir.join(format!("{name}.db")));
            } else {
                create_pg(&name).await?;
            }
            let mut c = vigie(&dir, &tdb);
            c.env("VIGIE_BACKUP_PASSPHRASE", PASSPHRASE)
                .arg("restore")
                .arg(&archive);
            let r = measure(c, "vigie restore")?;
            println!(
                "| restauration {backend} → {target} | {:.1} | | {} |",
                r.seconds,
                mib_text(r.peak_kib)
            );
            eprintln!("{}", r.stdout.lines().next().unwrap_or(""));
            if target == "sqlite" {
                for suffix in ["db", "db-wal", "db-shm"] {
                    let _ = std::fs::remove_file(dir.join(format!("{name}.{suffix}")));
                }
            } else {
                drop_pg(&name).await;
            }
        }
        if !kept {
            let _ = std::fs::remove_file(&archive);
            if backend == "postgres" {
                drop_pg(&format!("vigie_backup_src_{dossiers}_{documents}")).await;
            }
        }
    }
    Ok(())
}
