//! Audit verification benchmark: fills a trail of N chained entries on each backend
//! (multi-row inserts, the chain computed in Rust), then times `verify_audit` — what
//! `vigie audit verify` does — and prints entries per second, seconds, and the peak
//! resident memory of the process during the verification. Never fails on time.
//!
//! `cargo bench -p vigie-store --bench audit_verify`
//!
//! Environment: `VIGIE_AUDIT_ENTRIES` (default 1000000), `VIGIE_BENCH_BACKENDS` (default
//! `sqlite,postgres`; `sqlite-sans-cle` adds a SQLite trail written before the instance key,
//! SHA-256 links, to compare with the keyed HMAC links in the same run), `VIGIE_AUDIT_RUNS` (verifications per backend, default 3; the best
//! is reported: the machine may be busy), `VIGIE_AUDIT_READ_ONLY=1` (also time reading the
//! pages without hashing), and the `testing` variables (`VIGIE_TEST_PG_URL`).
//!
//! The peak resident size is the process's (`VmHWM`, reset before each verification with
//! `/proc/self/clear_refs`): it includes what the allocator kept from filling the trail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chrono::Duration;
use vigie_store::audit::bulk_append_synthetic;
use vigie_store::testing::{TestDb, now};

/// A field of `/proc/self/status`, in KiB (Linux).
fn status_kib(field: &str) -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Resets the peak resident size (`VmHWM`) to the current one (Linux `clear_refs` 5).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "?".into(), |k| format!("{:.0} Mio", k as f64 / 1024.0))
}

#[tokio::main]
async fn main() {
    let n: u64 = std::env::var("VIGIE_AUDIT_ENTRIES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let backends =
        std::env::var("VIGIE_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let runs: u32 = std::env::var("VIGIE_AUDIT_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let peak_reset = reset_peak();
    println!("Vérification du journal d'audit : {n} entrées, {runs} essais par base");
    for backend in backends.split(',').map(str::trim).filter(|b| !b.is_empty()) {
        let db = match backend {
            "sqlite" => TestDb::sqlite().await,
            "sqlite-sans-cle" => TestDb::sqlite_unkeyed().await,
            "postgres" => match TestDb::postgres().await {
                Some(db) => db,
                None => continue,
            },
            other => panic!("VIGIE_BENCH_BACKENDS : backend inconnu « {other} »"),
        };
        let s = &db.store;
        let started = Instant::now();
        // The instance's first entries are at now(); the synthetic ones follow, a second apart.
        bulk_append_synthetic(
            s,
            n,
            now() + Duration::seconds(1),
            Duration::seconds(1),
            |done| {
                if done % 200_000 == 0 {
                    eprintln!("  {backend} : {done} / {n} entrées écrites");
                }
            },
        )
        .await
        .expect("fill");
        let fill = started.elapsed().as_secs_f64();
        println!("{backend:<8} remplissage de {n} entrées : {fill:.1} s");
        let mut best = f64::MAX;
        let mut peak = 0u64;
        let mut v = None;
        for run in 1..=runs {
            reset_peak();
            let started = Instant::now();
            let r = s.verify_audit().await.expect("verify");
            let took = started.elapsed().as_secs_f64();
            assert_eq!(r.broken, None, "{backend}: chain broken");
            let hwm = status_kib("VmHWM:").unwrap_or(0);
            println!(
                "{backend:<8} essai {run} : vérification de {} entrées en {took:>6.2} s, {:>9.0} entrées/s, pic de RSS {}",
                r.entries,
                r.entries as f64 / took,
                mib(Some(hwm))
            );
            best = best.min(took);
            peak = peak.max(hwm);
            v = Some(r);
        }
        let v = v.expect("one run at least");
        println!(
            "{backend:<8} RÉSULTAT : {} entrées vérifiées, meilleur essai {best:.2} s ({:.0} entrées/s) ; pic de RSS pendant la vérification {}{}",
            v.entries,
            v.entries as f64 / best,
            mib(Some(peak)),
            if peak_reset {
                ""
            } else {
                " (pic depuis le début du processus : /proc/self/clear_refs indisponible)"
            }
        );
        if std::env::var("VIGIE_AUDIT_READ_ONLY").is_ok_and(|v| v == "1") {
            // Diagnostic: the pages read without hashing (where the time goes).
            let started = Instant::now();
            let (mut after, mut read) = (0, 0usize);
            loop {
                let page = s.audit_page(after, 5_000).await.expect("page");
                let Some(last) = page.last() else { break };
                after = last.seq;
                read += page.len();
            }
            println!(
                "{backend:<8} lecture seule de {read} entrées : {:.2} s",
                started.elapsed().as_secs_f64()
            );
        }
        assert!(v.entries as u64 >= n, "{backend}: {} entries", v.entries);
        db.finish().await;
    }
    println!(
        "Pic de mémoire résidente du processus (VmHWM) : {}",
        mib(status_kib("VmHWM:"))
    );
}
