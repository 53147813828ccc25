//! No acknowledged save is ever lost when the database cannot write: a SQLite database
//! that fills up (a page limit, then the space given back), and PostgreSQL connections
//! terminated by the server while agents save. A ledger keeps every save the store
//! acknowledged (returned `Ok`); after a restart, every one of them is read back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::common::*;
use chrono::Duration;
use vigie_domain::*;
use vigie_store::testing::{TestDb, now, sqlite_page_count};
use vigie_store::{Actor, Store};

/// The storage failures `/healthz` counts are process-wide (a Vigie process has one store):
/// these tests take turns when a harness runs them in one process (nextest runs each alone).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What the writers saw.
#[derive(Default, Debug)]
struct Ledger {
    /// Acknowledged creations: dossier id and the child's name written.
    acked: Vec<(i64, String)>,
    /// Refusals, by kind.
    storage_failures: usize,
    other_failures: Vec<String>,
}

impl Ledger {
    /// How many other refusals, and the first three.
    fn others(&self) -> String {
        format!(
            "{} other refusals, first: {:?}",
            self.other_failures.len(),
            &self.other_failures[..self.other_failures.len().min(3)]
        )
    }
}

/// `writers` tasks create `per_writer` dossiers each, concurrently, until `stop` is set.
async fn write_concurrently(
    store: &Store,
    f: &Arc<Fixture>,
    tag: &str,
    writers: usize,
    per_writer: usize,
    stop: Option<Arc<AtomicBool>>,
) -> Ledger {
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (store, f, tag, stop) = (store.clone(), f.clone(), tag.to_owned(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut ledger = Ledger::default();
            for i in 0..per_writer {
                if stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst)) {
                    break;
                }
                let name = format!("{tag}{w}x{i}");
                let d = simple(
                    &f,
                    f.t1,
                    "2026-11-20T09:30:00Z",
                    vec![child(&name, "Camille", BirthDate::Exact(day("2016-05-04")))],
                );
                match store.create_dossier(now(), &Actor::system(), &d).await {
                    Ok((id, _)) => ledger.acked.push((id, name)),
                    Err(e) if e.is_storage_failure() => ledger.storage_failures += 1,
                    Err(e) => ledger.other_failures.push(format!("{e:?}")),
                }
            }
            ledger
        }));
    }
    let mut all = Ledger::default();
    for t in tasks {
        let l = t.await.unwrap();
        all.acked.extend(l.acked);
        all.storage_failures += l.storage_failures;
        all.other_failures.extend(l.other_failures);
    }
    all
}

/// Every acknowledged dossier is there, with its child.
async fn assert_all_present(store: &Store, acked: &[(i64, String)]) {
    let mut lost = Vec::new();
    for (id, name) in acked {
        match store
            .read_dossier(now(), &Actor::system(), &Scope::All, *id)
            .await
        {
            Ok(d) if d.children.iter().any(|c| &c.data.person.birth_name == name) => {}
            other => lost.push(format!("{id} {name}: {:?}", other.map(|_| "autre contenu"))),
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged saves lost: {lost:?}",
        lost.len(),
        acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_sqlite_database_loses_no_acknowledged_save_and_recovers_by_itself() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let limit = Arc::new(AtomicU32::new(u32::MAX - 1));
    let db = TestDb::sqlite_with_page_limit(limit.clone()).await;
    // Full: a few dozen pages more than after the first saves, then the space comes back.
    let full = limit.clone();
    fill_then_recover(
        db,
        60,
        async move |store: &Store| {
            let pages = sqlite_page_count(store).await;
            full.store(pages + 24, Ordering::SeqCst);
        },
        move || limit.store(u32::MAX - 1, Ordering::SeqCst),
    )
    .await;
}

/// Saves, then `fill` makes the database full while four agents save `per_writer` dossiers
/// each (refused for lack of space only, never « database is locked » nor a savepoint
/// error; /healthz's probe says it cannot write), then `give_back` frees the space: the same
/// process saves again on every connection; after a clean stop and a restart, every
/// acknowledged save is there.
async fn fill_then_recover(
    db: TestDb,
    per_writer: usize,
    fill: impl AsyncFnOnce(&Store),
    give_back: impl FnOnce(),
) {
    let f = Arc::new(fixture(&db.store).await);
    let before = write_concurrently(&db.store, &f, "Avant", 2, 5, None).await;
    assert_eq!(before.acked.len(), 10, "{}", before.others());
    assert!(db.store.can_write(now()).await);

    fill(&db.store).await;
    let full = write_concurrently(&db.store, &f, "Plein", 4, per_writer, None).await;
    eprintln!(
        "full: {} acknowledged, {} refused for lack of space, {} other refusals",
        full.acked.len(),
        full.storage_failures,
        full.other_failures.len()
    );
    assert!(
        full.storage_failures > 0,
        "the database never filled: {}",
        full.others()
    );
    assert!(
        full.other_failures.is_empty(),
        "a full disk gives storage failures only (no « database is locked », no savepoint error): {}",
        full.others()
    );
    // Health: the next probe (the previous one is more than 10 s old) says it cannot write.
    assert!(!db.store.can_write(now() + Duration::seconds(11)).await);

    give_back();
    let after = write_concurrently(&db.store, &f, "Apres", 4, 10, None).await;
    assert_eq!(
        after.acked.len(),
        40,
        "no recovery without a restart: {}",
        after.others()
    );
    assert!(db.store.can_write(now() + Duration::seconds(22)).await);

    let db = db.restart().await;
    for l in [&before, &full, &after] {
        assert_all_present(&db.store, &l.acked).await;
    }
    db.finish().await;
}

/// A tmpfs of `mib` MiB mounted on a new temporary directory, unmounted on drop (root only).
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(mib: u32) -> Option<Self> {
        let uid = std::process::Command::new("id").arg("-u").output().ok()?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            eprintln!(
                "not root: the real full file system (tmpfs) is not tried, the page limit is"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "mount -t tmpfs failed (root)");
        Some(Tmpfs(dir))
    }

    /// Fills the file system to 0 bytes free with `filler`.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.0.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        for chunk in [1 << 20, 4096, 1] {
            let buf = vec![0u8; chunk];
            while file.write_all(&buf).is_ok() {}
        }
        let _ = file.sync_all();
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.0.path())
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_real_full_file_system_loses_no_acknowledged_save_and_recovers_by_itself() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(fs) = Tmpfs::mount(20) else {
        return;
    };
    let db = TestDb::sqlite_in(fs.0.path()).await;
    let filler = fs.0.path().join("filler");
    fill_then_recover(
        db,
        150,
        async |_: &Store| {
            fs.fill();
        },
        || std::fs::remove_file(&filler).unwrap(),
    )
    .await;
    drop(fs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_connections_killed_while_saving_lose_no_acknowledged_save() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let f = Arc::new(fixture(&db.store).await);
    let db = Arc::new(db);
    let stop = Arc::new(AtomicBool::new(false));
    let killer = {
        let (db, stop) = (db.clone(), stop.clone());
        tokio::spawn(async move {
            let mut killed = 0;
            for _ in 0..40 {
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                killed += db.terminate_connections().await;
            }
            stop.store(true, Ordering::SeqCst);
            killed
        })
    };
    let during = write_concurrently(&db.store, &f, "Coupe", 4, 100_000, Some(stop)).await;
    let killed = killer.await.unwrap();
    eprintln!(
        "{killed} connections terminated: {} acknowledged, {} refused",
        during.acked.len(),
        during.storage_failures + during.other_failures.len()
    );
    assert!(killed > 0 && !during.acked.is_empty());
    assert!(
        !during.other_failures.is_empty(),
        "no save was interrupted: the test proves nothing"
    );
    // The pool replaces the dead connections by itself.
    let after = write_concurrently(&db.store, &f, "Apres", 4, 5, None).await;
    assert_eq!(after.acked.len(), 20, "{}", after.others());
    let db = Arc::into_inner(db)
        .expect("the only reference")
        .restart()
        .await;
    assert_all_present(&db.store, &during.acked).await;
    assert_all_present(&db.store, &after.acked).await;
    db.finish().await;
}
