//! Dashboards benchmark, in process (the application's router on a fresh demo database of each
//! backend): the dashboard for a full year and every territory as a responsable, as an
//! évaluateur (one territory and one service: the scoped dashboard) and as the lecteur
//! statistiques (small counts hidden), and a 12-month × territory cross-tab. Prints p50, p95 and
//! max per page and the peak RSS of this process (the server) — figures, never assertions on
//! time: it fails only when a request does.
//!
//! `cargo bench -p vigie-web --bench dashboard` (environment: `VIGIE_BENCH_DOSSIERS`, default
//! 100000 — the figure is 1000000; `VIGIE_BENCH_BACKENDS`, default `sqlite,postgres`;
//! `VIGIE_BENCH_ITERS`, default 20 after 2 warm-up requests). Each page is measured as the
//! application serves it (the figures read from the statistics' counters) and again with
//! every figure computed from the dossiers, as before the counters (`VIGIE_BENCH_ROWS_ITERS`,
//! default 3 after 1 warm-up request; 0 to skip). `VIGIE_BENCH_KEEP=DIR` keeps the generated
//! bases between runs (SQLite in `DIR`, PostgreSQL as `vigie_bench_N`): generated once, then
//! measured again after a change in seconds instead of half an hour at 1,000,000.
//! `RUST_LOG=sqlx::query=debug` prints every query with its duration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Datelike;
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigie_domain::Role;
use vigie_store::Actor;
use vigie_store::sessions::SessionPolicy;
use vigie_store::testing::{TestDb, now};
use vigie_store::users::NewUser;
use vigie_web::{AppState, WebConfig};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_mib() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

async fn get(app: &Router, cookie: &str, uri: &str) -> Duration {
    let req = Request::builder()
        .uri(uri)
        .header(header::HOST, "vigie.test")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let t = Instant::now();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let took = t.elapsed();
    assert_eq!(
        status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&body)
    );
    took
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

async fn bench(
    db: TestDb,
    generated: Option<PathBuf>,
    dossiers: usize,
    iters: usize,
    rows_iters: usize,
) {
    let backend = db.backend;
    let s = &db.store;
    let now = now();
    println!("\n=== {backend}: {dossiers} demo dossiers");
    if generated.as_ref().is_some_and(|m| m.exists()) {
        println!("    kept from an earlier run (VIGIE_BENCH_KEEP)");
    } else {
        s.seed_demo_reference().await.unwrap();
        let started = Instant::now();
        db.owner()
            .await
            .generate_demo(now, 1, dossiers, |_| {})
            .await
            .unwrap();
        println!("    generated in {:.1} s", started.elapsed().as_secs_f64());
        if backend == "postgres" {
            db.raw("VACUUM (ANALYZE)").await.unwrap();
        }
        if let Some(m) = &generated {
            std::fs::write(m, b"generated\n").unwrap();
        }
    }
    let cat = s.catalog().await.unwrap();
    let t1 = cat.territories[0].id;
    let s1 = cat
        .services
        .iter()
        .find(|x| x.territory_id != t1)
        .map(|x| x.id);
    let mut cookies = Vec::new();
    // A kept base already has the previous runs' users: each run its own logins.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for (login, role, ts, svc) in [
        ("responsable", Role::ResponsableCrip, vec![], None),
        ("evaluateur", Role::EvaluateurTerritorial, vec![t1], s1),
        ("statistiques", Role::LecteurStatistiques, vec![], None),
    ] {
        let id = s
            .add_user(
                now,
                &Actor::system(),
                &NewUser {
                    login: format!("{login}{run}"),
                    display_name: login.into(),
                    password_hash: "x".into(),
                    role,
                    territories: ts,
                    service_id: svc,
                    demo: false,
                },
            )
            .await
            .unwrap();
        let token = s
            .open_session(now, id, None, SessionPolicy::default())
            .await
            .unwrap();
        cookies.push((login, format!("vigie_session={token}")));
    }
    let app = vigie_web::app(AppState::new(
        s.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(now),
    ));
    let year = now.year() - 1;
    let dash = format!("/tableaux-de-bord?periode=annee&annee={year}");
    let cross = format!(
        "/tableaux-de-bord/croise?mesure=dossiers&lignes=mois&colonnes=territoire&periode=annee&annee={year}"
    );
    let cases = [
        ("tableau de bord, responsable", 0, dash.as_str()),
        ("tableau de bord, évaluateur", 1, dash.as_str()),
        ("tableau de bord, statistiques", 2, dash.as_str()),
        ("croisé 12 mois × territoires", 0, cross.as_str()),
    ];
    println!(
        "    {:<32} {:<10} {:>9} {:>9} {:>9} {:>10}",
        "page", "lu dans", "p50 ms", "p95 ms", "max ms", "RSS Mio"
    );
    for (name, who, uri) in cases {
        let cookie = &cookies[who].1;
        // The same page from the counters (the application), then from the dossiers
        // themselves (what it read before the counters): a ratio measured in the same run.
        for (source, on, warm, n) in [
            ("compteurs", true, 2, iters),
            ("dossiers", false, 1, rows_iters),
        ] {
            if n == 0 {
                continue;
            }
            s.read_counters(on);
            reset_peak();
            for _ in 0..warm {
                get(&app, cookie, uri).await;
            }
            let mut times = Vec::with_capacity(n);
            for _ in 0..n {
                times.push(get(&app, cookie, uri).await);
            }
            times.sort();
            println!(
                "    {name:<32} {source:<10} {:>9.1} {:>9.1} {:>9.1} {:>10.0}",
                pct(&times, 0.5),
                pct(&times, 0.95),
                pct(&times, 1.0),
                peak_mib()
            );
        }
    }
    s.read_counters(true);
    if generated.is_some() {
        db.store.close().await;
    } else {
        db.finish().await;
    }
}

fn main() {
    let dossiers = env_usize("VIGIE_BENCH_DOSSIERS", 100_000);
    let iters = env_usize("VIGIE_BENCH_ITERS", 20);
    let rows_iters = env_usize("VIGIE_BENCH_ROWS_ITERS", 3);
    let backends =
        std::env::var("VIGIE_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let keep = std::env::var_os("VIGIE_BENCH_KEEP").map(PathBuf::from);
    // Each query and its duration (`RUST_LOG=sqlx::query=debug`): where a page's time goes.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for b in backends.split(',') {
            let b = b.trim();
            // A base kept between runs: generated once (the marker file says it is whole).
            let kept = keep.as_ref().map(|d| {
                std::fs::create_dir_all(d).unwrap();
                d.join(format!("{b}-{dossiers}.generated"))
            });
            let fresh = kept.as_ref().is_some_and(|m| !m.exists());
            let db = match (b, &keep) {
                ("sqlite", Some(d)) => {
                    let dir = d.join(format!("sqlite-{dossiers}"));
                    if fresh && dir.exists() {
                        std::fs::remove_dir_all(&dir).unwrap();
                    }
                    std::fs::create_dir_all(&dir).unwrap();
                    TestDb::sqlite_in(&dir).await
                }
                ("postgres", Some(_)) => {
                    match TestDb::postgres_kept(&format!("vigie_bench_{dossiers}"), fresh).await {
                        Some(db) => db,
                        None => continue,
                    }
                }
                ("sqlite", None) => TestDb::sqlite().await,
                ("postgres", None) => match TestDb::postgres().await {
                    Some(db) => db,
                    None => {
                        println!("PostgreSQL unreachable: skipped");
                        continue;
                    }
                },
                (other, _) => panic!("unknown backend {other}"),
            };
            bench(db, kept, dossiers, iters, rows_iters).await;
        }
    });
}
