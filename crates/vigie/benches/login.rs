//! Login benchmark of `vigie serve`: N agents (distinct real accounts, TOTP enrolled) log
//! in within a few seconds, each through both steps — `POST /connexion` (login and
//! password, Argon2id) then `POST /connexion/second-facteur` (the TOTP code of the moment)
//! — and then open `/` with the new session cookie. Prints, per backend, the successes and
//! errors, the login time (both steps) p50/p95/max, the password step's p95 and the
//! server's peak RSS. Fails (exit 1) only when something broke (a login refused, a server
//! that does not start…), never on slow figures (the machine is shared).
//!
//! `cargo bench -p vigie --bench login`
//!
//! Environment: `VIGIE_LOGIN_BACKENDS` (default `sqlite,postgres`), `VIGIE_LOGIN_AGENTS`
//! (default 50), `VIGIE_LOGIN_SPREAD_SECONDS` (default 10: agent i starts at
//! i × spread / N), `VIGIE_LOGIN_PG_URL` (the PostgreSQL server, an administrative database;
//! default `VIGIE_TEST_PG_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`),
//! `VIGIE_LOGIN_VERBOSE=1` (one line per agent: its start and the time of each step).
//!
//! Each backend gets a fresh, non-demo database (a SQLite file in a temporary folder, or a
//! PostgreSQL database `vigie_login_<pid>` dropped at the end), migrated, with the instance
//! row and the N accounts (role agent, one shared Argon2id hash, one random TOTP secret
//! each: a TOTP code is accepted once per user and 30-second step). The server listens on
//! 127.0.0.1 only; its log is printed (last lines) when it fails to start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{
    Http, Resp, Server, env_backends, env_usize, excerpt, mib_text, pg_admin, pg_admin_url,
    proc_cpu_seconds, proc_status_kib, with_db,
};
use hyper::{Method, StatusCode};
use vigie_domain::Role;
use vigie_store::users::NewUser;
use vigie_store::{Actor, DbUrl, Store};

/// The password of every benchmark account.
const PASSWORD: &str = "phrase de passe du banc d'essai";
/// One request's bound: past it, the login is an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a server may take to answer /healthz after it starts.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// Error descriptions kept per backend.
const ERROR_SAMPLES: usize = 3;
/// Characters of a body quoted in an error.
const EXCERPT_CHARS: usize = 160;
/// The `User-Agent` of the simulated browsers.
const USER_AGENT: &str = "vigie-login-bench";
/// The PostgreSQL administrative database (see `pg_admin_url`).
const PG_URL_VAR: &str = "VIGIE_LOGIN_PG_URL";

// ---------------------------------------------------------------------------------------
// Small tools.

/// The clock, read at the edge (the store takes `now` as a parameter).
#[allow(clippy::disallowed_methods)]
fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Nearest-rank percentile, in ms.
fn percentile(samples: &[Duration], q: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort_unstable();
    let i = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1;
    Some(s[i].as_secs_f64() * 1e3)
}

fn ms(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.1}"))
}

// ---------------------------------------------------------------------------------------
// HTTP: one browser (`common::Http`).

/// A 303 to `to` with a session cookie (the new one), or an error naming the step.
fn expect_redirect(step: &str, r: &Resp, to: &str) -> Result<String, String> {
    if r.status != StatusCode::SEE_OTHER || r.location.as_deref() != Some(to) {
        return Err(format!(
            "{step}: status {} to {:?} (expected 303 to {to}) — {}",
            r.status.as_u16(),
            r.location.as_deref().unwrap_or(""),
            excerpt(&r.body, EXCERPT_CHARS)
        ));
    }
    r.session
        .clone()
        .ok_or_else(|| format!("{step}: no vigie_session cookie"))
}

// ---------------------------------------------------------------------------------------
// One agent.

struct Account {
    login: String,
    secret: String,
}

/// What one agent measured.
struct Outcome {
    /// Both steps, when the login succeeded.
    total: Option<Duration>,
    password: Option<Duration>,
    second_factor: Option<Duration>,
    home: Option<Duration>,
    error: Option<String>,
}

async fn agent(base: String, account: Account, start_at: tokio::time::Instant) -> Outcome {
    tokio::time::sleep_until(start_at).await;
    let mut out = Outcome {
        total: None,
        password: None,
        second_factor: None,
        home: None,
        error: None,
    };
    if let Err(e) = login(&base, &account, &mut out).await {
        out.error = Some(format!("{}: {e}", account.login));
    }
    out
}

async fn login(base: &str, account: &Account, out: &mut Outcome) -> Result<(), String> {
    let mut http = Http::new(base, USER_AGENT, REQUEST_TIMEOUT);
    // 1. Login and password.
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("login", &account.login)
        .append_pair("password", PASSWORD)
        .finish();
    let t0 = Instant::now();
    let r = http.send(Method::POST, "/connexion", Some(form)).await?;
    out.password = Some(t0.elapsed());
    let first = expect_redirect("password step", &r, "/connexion/second-facteur")?;
    http.cookie = Some(first.clone());

    // 2. The TOTP code shown by the phone at this moment.
    let code = vigie_store::authn::totp_code(&account.secret, now())
        .map_err(|e| format!("TOTP code: {e}"))?;
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", &code)
        .finish();
    let t1 = Instant::now();
    let r = http
        .send(Method::POST, "/connexion/second-facteur", Some(form))
        .await?;
    out.second_factor = Some(t1.elapsed());
    let second = expect_redirect("second factor", &r, "/")?;
    out.total = Some(t0.elapsed());
    if second == first {
        return Err("second factor: the session cookie was not rotated".into());
    }
    http.cookie = Some(second);

    // 3. The home page with the new session.
    let t2 = Instant::now();
    let r = http.send(Method::GET, "/", None).await?;
    out.home = Some(t2.elapsed());
    if r.status != StatusCode::OK {
        out.total = None;
        return Err(format!(
            "GET / with the new cookie: status {} to {:?} — {}",
            r.status.as_u16(),
            r.location.as_deref().unwrap_or(""),
            excerpt(&r.body, EXCERPT_CHARS)
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The database and the server.

/// A fresh, non-demo database: migrated, instance created, `agents` accounts with TOTP.
async fn prepare(url: &str, agents: usize) -> Result<Vec<Account>, String> {
    let started = Instant::now();
    let db: DbUrl = url.parse()?;
    let store = Store::connect(&db, chrono_tz::Europe::Paris)
        .await
        .map_err(|e| e.to_string())?;
    let result = async {
        store
            .migrate(now())
            .await
            .map_err(|e| format!("migrate: {e}"))?;
        // What `vigie serve` (without --demo) would do on a new database.
        store
            .init_instance(now(), false, &["18".to_owned()])
            .await
            .map_err(|e| format!("instance: {e}"))?;
        // One Argon2id hash for every account: the server verifies it as any other.
        let phc = tokio::task::spawn_blocking(|| vigie_store::password::hash(PASSWORD))
            .await
            .map_err(|e| format!("hash: {e}"))?;
        let mut accounts = Vec::with_capacity(agents);
        for i in 0..agents {
            let login = format!("banc.agent.{i:04}");
            let id = store
                .add_user(
                    now(),
                    &Actor::system(),
                    &NewUser {
                        login: login.clone(),
                        display_name: format!("Agent du banc {i}"),
                        password_hash: phc.clone(),
                        role: Role::AgentCrip,
                        territories: Vec::new(),
                        service_id: None,
                        demo: false,
                    },
                )
                .await
                .map_err(|e| format!("add_user {login}: {e}"))?;
            let mut raw = [0u8; 20];
            vigie_store::password::fill_random(&mut raw);
            let secret = totp_rs::Secret::Raw(raw.to_vec()).to_encoded().to_string();
            store
                .testing_enrol_totp(id, &secret, now())
                .await
                .map_err(|e| format!("TOTP for {login}: {e}"))?;
            accounts.push(Account { login, secret });
        }
        Ok(accounts)
    }
    .await;
    store.close().await;
    if result.is_ok() {
        println!(
            "    database ready in {:.1} s: migrated, instance (non-demo), {agents} agent accounts with TOTP",
            started.elapsed().as_secs_f64()
        );
    }
    result
}

// ---------------------------------------------------------------------------------------
// One backend.

/// The figures of one backend's run.
struct Measured {
    agents: usize,
    successes: usize,
    errors: usize,
    error_samples: Vec<String>,
    /// Both steps, successful logins.
    totals: Vec<Duration>,
    passwords: Vec<Duration>,
    second_factors: Vec<Duration>,
    homes: Vec<Duration>,
    /// From the first agent's start to the last agent's end.
    wall: Duration,
    rss_idle_kib: Option<u64>,
    rss_peak_kib: Option<u64>,
    server_cpu: Option<f64>,
}

struct BackendResult {
    backend: String,
    outcome: Result<Measured, String>,
}

async fn run_backend(
    backend: &str,
    dir: &Path,
    agents: usize,
    spread: Duration,
) -> Result<Measured, String> {
    match backend {
        "sqlite" => {
            let path = dir.join("login.db");
            let url = format!("sqlite://{}", path.display());
            run_on(backend, dir, &url, agents, spread).await
        }
        "postgres" => {
            let name = format!("vigie_login_{}", std::process::id());
            let admin = pg_admin_url(PG_URL_VAR);
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            pg_admin(&admin, &[drop.clone(), format!("CREATE DATABASE {name}")]).await?;
            println!("    PostgreSQL database {name} created");
            let url = with_db(&admin, &name);
            let result = run_on(backend, dir, &url, agents, spread).await;
            match pg_admin(&admin, &[drop]).await {
                Ok(()) => println!("    PostgreSQL database {name} dropped"),
                Err(e) => println!("    could not drop {name}: {e}"),
            }
            result
        }
        other => Err(format!("unknown backend « {other} » (sqlite, postgres)")),
    }
}

async fn run_on(
    backend: &str,
    dir: &Path,
    url: &str,
    agents: usize,
    spread: Duration,
) -> Result<Measured, String> {
    let accounts = prepare(url, agents).await?;
    // The database was written without the key: the operator adopts it once.
    let adopted = common::vigie(dir, url)
        .args(["key", "adopter"])
        .env("VIGIE_LOG", "warn")
        .status()
        .map_err(|e| format!("vigie key adopter: {e}"))?;
    if !adopted.success() {
        return Err(format!("vigie key adopter failed ({adopted})"));
    }
    let log = dir.join(format!("serve-{backend}.log"));
    let mut server = Server::start(dir, url, &log)?;
    let probe = Http::new(&server.base, USER_AGENT, REQUEST_TIMEOUT);
    server.wait_ready(&log, &probe, START_TIMEOUT).await?;
    // Settled after start-up (migrations already done, pools open).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle_kib = proc_status_kib(server.pid, "VmRSS:");
    let cpu_before = proc_cpu_seconds(server.pid);

    let started = Instant::now();
    let origin = tokio::time::Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(agents);
    for (i, account) in accounts.into_iter().enumerate() {
        let at = origin + spread.mul_f64(i as f64 / agents as f64);
        tasks.push(tokio::spawn(agent(server.base.clone(), account, at)));
    }
    let verbose = std::env::var("VIGIE_LOGIN_VERBOSE").is_ok_and(|v| v == "1");
    let mut m = Measured {
        agents,
        successes: 0,
        errors: 0,
        error_samples: Vec::new(),
        totals: Vec::new(),
        passwords: Vec::new(),
        second_factors: Vec::new(),
        homes: Vec::new(),
        wall: Duration::ZERO,
        rss_idle_kib,
        rss_peak_kib: None,
        server_cpu: None,
    };
    for (i, t) in tasks.into_iter().enumerate() {
        let o = t.await.map_err(|e| format!("agent task: {e}"))?;
        if verbose {
            let d = |d: Option<Duration>| ms(d.map(|d| d.as_secs_f64() * 1e3));
            println!(
                "      agent {i:>4} at {:>6.2} s: password {:>7} ms, second factor {:>7} ms, GET / {:>7} ms{}",
                spread.mul_f64(i as f64 / agents as f64).as_secs_f64(),
                d(o.password),
                d(o.second_factor),
                d(o.home),
                o.error
                    .as_deref()
                    .map_or(String::new(), |e| format!(" — {e}"))
            );
        }
        m.passwords.extend(o.password);
        m.second_factors.extend(o.second_factor);
        m.homes.extend(o.home);
        match (o.total, o.error) {
            (Some(total), None) => {
                m.successes += 1;
                m.totals.push(total);
            }
            (_, e) => {
                m.errors += 1;
                if m.error_samples.len() < ERROR_SAMPLES {
                    m.error_samples
                        .push(e.unwrap_or_else(|| "unknown failure".into()));
                }
            }
        }
    }
    m.wall = started.elapsed();
    m.rss_peak_kib = proc_status_kib(server.pid, "VmHWM:");
    m.server_cpu = proc_cpu_seconds(server.pid)
        .zip(cpu_before)
        .map(|(a, b)| a - b);
    server.stop();
    Ok(m)
}

fn print_backend(r: &BackendResult, spread: Duration) {
    let m = match &r.outcome {
        Ok(m) => m,
        Err(e) => {
            println!("    FAILED: {e}");
            return;
        }
    };
    println!(
        "    {} agents started over {:.0} s; {} logged in, {} errors; all done in {:.1} s",
        m.agents,
        spread.as_secs_f64(),
        m.successes,
        m.errors,
        m.wall.as_secs_f64()
    );
    println!(
        "    {:<42} {:>6} {:>8} {:>8} {:>8}",
        "(ms)", "count", "p50", "p95", "max"
    );
    for (label, s) in [
        ("login, both steps", &m.totals),
        ("  step 1: POST /connexion (Argon2id)", &m.passwords),
        (
            "  step 2: POST /connexion/second-facteur",
            &m.second_factors,
        ),
        ("then GET / with the new cookie", &m.homes),
    ] {
        println!(
            "    {label:<42} {:>6} {:>8} {:>8} {:>8}",
            s.len(),
            ms(percentile(s, 0.50)),
            ms(percentile(s, 0.95)),
            ms(percentile(s, 1.0))
        );
    }
    println!(
        "    server: RSS when idle before the logins {} MiB, peak (VmHWM) after them {} MiB; CPU {}",
        mib_text(m.rss_idle_kib),
        mib_text(m.rss_peak_kib),
        m.server_cpu
            .map_or("?".into(), |c| format!("{c:.1} s during the run")),
    );
    for e in &m.error_samples {
        println!("      error: {e}");
    }
}

fn print_summary(results: &[BackendResult], spread: Duration) {
    println!(
        "\n=== Login with second factor: N agents starting evenly over {:.0} s (times in ms; login = both steps)",
        spread.as_secs_f64()
    );
    println!(
        "{:<9} {:>6} {:>9} {:>6} {:>8} {:>8} {:>8} {:>13} {:>13}  first error",
        "backend",
        "agents",
        "successes",
        "errors",
        "p50",
        "p95",
        "max",
        "password p95",
        "peak RSS MiB"
    );
    for r in results {
        match &r.outcome {
            Ok(m) => println!(
                "{:<9} {:>6} {:>9} {:>6} {:>8} {:>8} {:>8} {:>13} {:>13}  {}",
                r.backend,
                m.agents,
                m.successes,
                m.errors,
                ms(percentile(&m.totals, 0.50)),
                ms(percentile(&m.totals, 0.95)),
                ms(percentile(&m.totals, 1.0)),
                ms(percentile(&m.passwords, 0.95)),
                mib_text(m.rss_peak_kib),
                m.error_samples.first().map_or("—", String::as_str)
            ),
            Err(e) => println!("{:<9} FAILED: {e}", r.backend),
        }
    }
}

fn main() -> ExitCode {
    let backends = env_backends("VIGIE_LOGIN_BACKENDS", "sqlite,postgres");
    let agents = env_usize("VIGIE_LOGIN_AGENTS", 50).clamp(1, 10_000);
    let spread = Duration::from_secs(env_usize("VIGIE_LOGIN_SPREAD_SECONDS", 10).min(3_600) as u64);
    let dir = match tempfile::Builder::new().prefix("vigie-login-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("temporary folder: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Login benchmark of {}: {agents} agents (distinct accounts, TOTP) starting evenly over {} s; backends {backends:?}. Server and load generator share this machine's {} cores.",
        env!("CARGO_BIN_EXE_vigie"),
        spread.as_secs(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // `cargo bench` passes `--bench`; nothing else is read from the arguments.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let results: Vec<BackendResult> = rt.block_on(async {
        let mut results = Vec::new();
        for backend in &backends {
            println!("\n=== {backend}");
            let r = BackendResult {
                backend: backend.clone(),
                outcome: run_backend(backend, dir.path(), agents, spread).await,
            };
            print_backend(&r, spread);
            results.push(r);
        }
        results
    });
    print_summary(&results, spread);
    if let Err(e) = dir.close() {
        eprintln!("could not remove the temporary folder: {e}");
    }
    let broken = results
        .iter()
        .any(|r| r.outcome.as_ref().map_or(true, |m| m.errors > 0));
    if broken {
        println!("\nSomething broke (see above): exit 1.");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
