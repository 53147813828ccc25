//! Store benchmark: generation of demo dossiers, then latency of the three hot paths
//! (one whole dossier with its audit entry, one list page, a name search) on SQLite and
//! PostgreSQL. Prints figures and the targets they meet or miss; never fails on time.
//!
//! `cargo bench -p vigie-store --bench store`
//!
//! Environment: `VIGIE_BENCH_DOSSIERS` (default 100000), `VIGIE_BENCH_BACKENDS`
//! (default `sqlite,postgres`), `VIGIE_BENCH_ITERS` (default 500, after 50 warm-up
//! iterations), `VIGIE_BENCH_KEEP=1` (keep the databases, to inspect query plans), and
//! the `testing` variables (`VIGIE_TEST_PG_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use vigie_domain::{DossierStatus, Role, Scope};
use vigie_store::dossiers::{Cursor, ListFilter};
use vigie_store::testing::{TestDb, now};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};

/// Family names, first names and "first last" pairs present in the demo generator's
/// lists, with spellings that only the phonetic key matches, and birth years.
const NAMES: &[&str] = &[
    "martin",
    "Martin",
    "dubois",
    "lefebvre",
    "lefevre",
    "Lefèvre",
    "lefebre",
    "dupont",
    "dupond",
    "muller",
    "gautier",
    "moreau",
    "girard",
    "n'diaye",
    "ndiaye",
    "nguyen",
    "eloise",
    "heloise",
    "Éloïse",
    "lea",
    "emma",
    "chloe",
    "gabriel",
    "raphael",
    "martin lea",
    "dubois emma",
    "lefebvre gabriel",
    "bernard hugo",
    "petit jean",
    "saint martin",
    "garcia",
    "rousseau louise",
    "martin 2019",
    "dubois emma 2017",
    "nguyen 03/2015",
    "lea martin 2018",
];

/// Targets on the p95, in milliseconds: (dossier, list, search).
fn targets(backend: &str) -> (f64, f64, f64) {
    if backend == "sqlite" {
        (2.0, 10.0, 20.0)
    } else {
        (5.0, 15.0, 30.0)
    }
}

/// Generation target, in seconds, for 100,000 dossiers (scaled to the count asked).
const SQLITE_GENERATION_S_PER_100K: f64 = 60.0;

const WARMUP: usize = 50;

/// SplitMix64: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

#[derive(Debug, Clone, Copy)]
struct Stats {
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let at = |q: f64| {
        let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        ms(samples[rank - 1])
    };
    Stats {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
        max: ms(samples[samples.len() - 1]),
    }
}

struct OpResult {
    name: &'static str,
    stats: Stats,
    /// Target on the p95, ms.
    target: f64,
    note: String,
}

struct BackendResult {
    backend: &'static str,
    dossiers: usize,
    generation: Duration,
    generation_target: Option<f64>,
    ops: Vec<OpResult>,
}

/// Each query's times, to name the slowest (warm-up included).
#[derive(Default)]
struct ByName(std::collections::BTreeMap<&'static str, Vec<Duration>>);

impl ByName {
    fn add(&mut self, name: &'static str, d: Duration) {
        self.0.entry(name).or_default().push(d);
    }

    /// The `n` queries of highest p95, as « name p95 ms ».
    fn slowest(&self, n: usize) -> String {
        let mut p95: Vec<(f64, &str)> = self
            .0
            .iter()
            .map(|(name, times)| (stats(times.clone()).p95, *name))
            .collect();
        p95.sort_by(|a, b| b.0.total_cmp(&a.0));
        p95.iter()
            .take(n)
            .map(|(ms, name)| format!("« {name} » {ms:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Runs `f` `WARMUP` times untimed, then `iters` times timed.
async fn measure(iters: usize, mut f: impl AsyncFnMut(usize) -> Duration) -> Stats {
    for i in 0..WARMUP {
        f(i).await;
    }
    let mut samples = Vec::with_capacity(iters);
    for i in 0..iters {
        samples.push(f(i).await);
    }
    stats(samples)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn verdict(value: f64, target: f64, unit: &str) -> String {
    if value <= target {
        "OK".into()
    } else {
        format!("MISSED by {:.2} {unit}", value - target)
    }
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

async fn bench_backend(db: TestDb, dossiers: usize, iters: usize) -> BackendResult {
    let backend = db.backend;
    let store: &Store = &db.store;
    let now = now();
    let system = Actor::system();
    println!("\n=== {backend}: seeding reference data and users");
    store.seed_demo_reference().await.expect("reference data");
    let cat = store.catalog().await.expect("catalog");
    let territories: Vec<i64> = cat.territories.iter().map(|t| t.id).collect();
    let t1 = territories[0];
    let (other_service, service_territory) = cat
        .services
        .iter()
        .find(|s| s.territory_id != t1)
        .map(|s| (s.id, s.territory_id))
        .expect("a service outside the first territory");
    let user = |login: &str, role: Role, territories: Vec<i64>, service_id: Option<i64>| NewUser {
        login: login.into(),
        display_name: login.into(),
        password_hash: "x".into(),
        role,
        territories,
        service_id,
        demo: false,
    };
    let agent = store
        .add_user(now, &system, &user("agent", Role::AgentCrip, vec![], None))
        .await
        .expect("agent");
    store
        .add_user(
            now,
            &system,
            &user("responsable", Role::ResponsableCrip, vec![], None),
        )
        .await
        .expect("responsable");
    let evaluator = store
        .add_user(
            now,
            &system,
            &user(
                "evaluateur",
                Role::EvaluateurTerritorial,
                vec![t1],
                Some(other_service),
            ),
        )
        .await
        .expect("evaluator");
    let agent_actor = Actor::user(agent, None);
    let evaluator_scope = Scope::for_user(Role::EvaluateurTerritorial, &[t1], Some(other_service));

    println!("=== {backend}: generating {dossiers} dossiers");
    let started = Instant::now();
    let step = (dossiers / 10).max(1_000);
    let mut next_report = step;
    // Generated by the owner's role, as `vigie migrate`'s role would (on PostgreSQL, the
    // one that may recreate the checks at the end: the bulk load); read by the application's.
    let done = db
        .owner()
        .await
        .generate_demo(now, 1, dossiers, |n| {
            if n >= next_report || n == dossiers {
                println!(
                    "    {n:>7} dossiers  {:>7.1} s",
                    started.elapsed().as_secs_f64()
                );
                next_report = n + step;
            }
        })
        .await
        .expect("generation");
    let generation = started.elapsed();
    assert_eq!(done, dossiers);
    println!(
        "    generation: {:.1} s, {:.0} dossiers/s",
        generation.as_secs_f64(),
        dossiers as f64 / generation.as_secs_f64()
    );
    let counts = store.counts().await.expect("counts");
    println!(
        "    rows: {}",
        counts
            .iter()
            .map(|(t, n)| format!("{t}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    if backend == "postgres" {
        // What autovacuum does shortly after a bulk load (statistics, and the visibility
        // map that index-only scans need): measured in steady state.
        db.raw("VACUUM (ANALYZE)").await.expect("vacuum analyze");
        println!("    VACUUM (ANALYZE) done, as autovacuum would after a bulk load");
    }

    let (t_dossier, t_list, t_search) = targets(backend);
    let max_id = dossiers as u64;
    let mut ops = Vec::new();
    let mut rng = Rng(0x5EED_0001);

    println!("=== {backend}: measuring ({WARMUP} warm-up + {iters} iterations each)");
    let s = measure(iters, async |_| {
        let id = (rng.next() % max_id) as i64 + 1;
        let t = Instant::now();
        let d = store
            .read_dossier(now, &agent_actor, &Scope::All, id)
            .await
            .expect("read dossier");
        let e = t.elapsed();
        assert_eq!(d.id, id);
        e
    })
    .await;
    ops.push(OpResult {
        name: "read_dossier (All, + audit)",
        stats: s,
        target: t_dossier,
        note: String::new(),
    });

    let statuses = DossierStatus::ALL;
    let random_filter = |rng: &mut Rng, among: &[i64]| {
        let mut f = ListFilter::default();
        match rng.below(3) {
            0 => f.territory_id = Some(*rng.pick(among)),
            1 => f.status = Some(*rng.pick(&statuses)),
            _ => {
                f.territory_id = Some(*rng.pick(among));
                f.status = Some(*rng.pick(&statuses));
            }
        }
        f
    };
    // The evaluator's reach: their territory, and the territory of their service; the
    // other territories hold none of their dossiers (the filter proves an empty page).
    let reach: Vec<i64> = territories
        .iter()
        .copied()
        .filter(|t| *t == t1 || *t == service_territory)
        .collect();
    let foreign: Vec<i64> = territories
        .iter()
        .copied()
        .filter(|t| !reach.contains(t))
        .collect();
    for (name, among, always_territory) in [
        ("list p1 (evaluator, filtered)", &reach, false),
        ("list p1 (evaluator, other terr.)", &foreign, true),
    ] {
        if among.is_empty() {
            continue;
        }
        let mut rows = 0usize;
        let s = measure(iters, async |i| {
            let mut f = random_filter(&mut rng, among);
            if always_territory && f.territory_id.is_none() {
                f.territory_id = Some(among[i % among.len()]);
            }
            let t = Instant::now();
            let page = store
                .list_dossiers(&evaluator_scope, &f, None, 50)
                .await
                .expect("list");
            let e = t.elapsed();
            rows += page.rows.len();
            e
        })
        .await;
        ops.push(OpResult {
            name,
            stats: s,
            target: t_list,
            note: format!("{:.1} rows/page", rows as f64 / (iters + WARMUP) as f64),
        });
    }

    // Second page, scope All, no filter or a random one; the first page is not timed.
    let mut rows = 0usize;
    let s = measure(iters, async |_| {
        let f = if rng.below(2) == 0 {
            ListFilter::default()
        } else {
            random_filter(&mut rng, &territories)
        };
        let first = store
            .list_dossiers(&Scope::All, &f, None, 50)
            .await
            .expect("list p1");
        let cursor: Option<Cursor> = first.next;
        let t = Instant::now();
        let page = store
            .list_dossiers(&Scope::All, &f, cursor, 50)
            .await
            .expect("list p2");
        let e = t.elapsed();
        rows += page.rows.len();
        e
    })
    .await;
    ops.push(OpResult {
        name: "list p2 (All, cursor)",
        stats: s,
        target: t_list,
        note: format!("{:.1} rows/page", rows as f64 / (iters + WARMUP) as f64),
    });

    let mut rows = 0usize;
    let mut by_name = ByName::default();
    let s = measure(iters, async |i| {
        let name = NAMES[i % NAMES.len()];
        let t = Instant::now();
        let found = store
            .search_dossiers(now, &agent_actor, &Scope::All, name, 1)
            .await
            .expect("search")
            .dossiers();
        let e = t.elapsed();
        rows += found.len();
        by_name.add(name, e);
        e
    })
    .await;
    ops.push(OpResult {
        name: "search name (All)",
        stats: s,
        target: t_search,
        note: format!(
            "{:.1} results; slowest: {}",
            rows as f64 / (iters + WARMUP) as f64,
            by_name.slowest(3)
        ),
    });

    let mut rows = 0usize;
    let mut by_name = ByName::default();
    let s = measure(iters, async |i| {
        let name = NAMES[(i * 7) % NAMES.len()];
        let t = Instant::now();
        let found = store
            .search_dossiers(
                now,
                &Actor::user(evaluator, None),
                &evaluator_scope,
                name,
                1,
            )
            .await
            .expect("search")
            .dossiers();
        let e = t.elapsed();
        rows += found.len();
        by_name.add(name, e);
        e
    })
    .await;
    ops.push(OpResult {
        name: "search name (evaluator)",
        stats: s,
        target: t_search,
        note: format!(
            "{:.1} results; slowest: {}",
            rows as f64 / (iters + WARMUP) as f64,
            by_name.slowest(3)
        ),
    });

    if std::env::var("VIGIE_BENCH_KEEP").is_ok_and(|v| v == "1") {
        println!("    VIGIE_BENCH_KEEP=1: database kept ({db:?})");
        std::mem::forget(db);
    } else {
        db.finish().await;
    }
    BackendResult {
        backend,
        dossiers,
        generation,
        generation_target: (backend == "sqlite")
            .then(|| SQLITE_GENERATION_S_PER_100K * dossiers as f64 / 100_000.0),
        ops,
    }
}

fn print_table(results: &[BackendResult]) {
    println!("\n=== Results (latencies in ms; targets on the p95)");
    println!(
        "{:<9} {:<34} {:>8} {:>8} {:>8} {:>8}  {:>8}  {:<22} note",
        "backend", "operation", "p50", "p95", "p99", "max", "target", "verdict"
    );
    for r in results {
        let secs = r.generation.as_secs_f64();
        let (target, verdict_text) = match r.generation_target {
            Some(t) => (format!("{t:.0} s"), verdict(secs, t, "s")),
            None => ("—".into(), "(no target)".into()),
        };
        println!(
            "{:<9} {:<34} {:>35}  {:>8}  {:<22} {:.0} dossiers/s",
            r.backend,
            format!("generate {} dossiers", r.dossiers),
            format!("total {secs:.1} s"),
            target,
            verdict_text,
            r.dossiers as f64 / secs
        );
        for o in &r.ops {
            println!(
                "{:<9} {:<34} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {:>8}  {:<22} {}",
                r.backend,
                o.name,
                o.stats.p50,
                o.stats.p95,
                o.stats.p99,
                o.stats.max,
                format!("≤ {:.0}", o.target),
                verdict(o.stats.p95, o.target, "ms"),
                o.note
            );
        }
    }
    if let (Some(s), Some(p)) = (
        results.iter().find(|r| r.backend == "sqlite"),
        results.iter().find(|r| r.backend == "postgres"),
    ) {
        println!("\n=== PostgreSQL / SQLite");
        println!("{:<34} {:>8} {:>8} {:>8}", "operation", "p50", "p95", "p99");
        println!(
            "{:<34} {:>8} (total time)",
            "generation",
            format!(
                "×{:.2}",
                p.generation.as_secs_f64() / s.generation.as_secs_f64()
            )
        );
        for (a, b) in s.ops.iter().zip(&p.ops) {
            println!(
                "{:<34} {:>8} {:>8} {:>8}",
                a.name,
                format!("×{:.2}", b.stats.p50 / a.stats.p50),
                format!("×{:.2}", b.stats.p95 / a.stats.p95),
                format!("×{:.2}", b.stats.p99 / a.stats.p99)
            );
        }
    }
}

fn main() {
    let dossiers = env_usize("VIGIE_BENCH_DOSSIERS", 100_000).max(1);
    let iters = env_usize("VIGIE_BENCH_ITERS", 500).max(1);
    let backends: Vec<String> = std::env::var("VIGIE_BENCH_BACKENDS")
        .unwrap_or_else(|_| "sqlite,postgres".into())
        .split(',')
        .map(|b| b.trim().to_lowercase())
        .filter(|b| !b.is_empty())
        .collect();
    // `cargo bench` passes `--bench`; nothing else is read from the arguments.
    // The runtime the `vigie` binary uses.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let results = rt.block_on(async {
        let mut results = Vec::new();
        for b in &backends {
            let db = match b.as_str() {
                "sqlite" => TestDb::sqlite().await,
                "postgres" | "postgresql" | "pg" => match TestDb::postgres().await {
                    Some(db) => db,
                    None => continue,
                },
                other => {
                    eprintln!("VIGIE_BENCH_BACKENDS : backend inconnu « {other} », ignoré");
                    continue;
                }
            };
            results.push(bench_backend(db, dossiers, iters).await);
        }
        results
    });
    print_table(&results);
    println!("\nPeak RSS of the bench process (VmHWM): {}", peak_rss());
}
