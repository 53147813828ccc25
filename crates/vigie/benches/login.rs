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

use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
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

// ---------------------------------------------------------------------------------------
// Small tools.

/// The clock, read at the edge (the store takes `now` as a parameter).
#[allow(clippy::disallowed_methods)]
fn now() -> DateTime<Utc> {
    Utc::now()
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|b| b.trim().to_lowercase())
        .map(|b| match b.as_str() {
            "pg" | "postgresql" => "postgres".into(),
            _ => b,
        })
        .filter(|b| !b.is_empty())
        .collect()
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

/// A `/proc/<pid>/status` field in kB (`VmHWM`: peak resident set size; `VmRSS`: now).
fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// User + system CPU time of a process, in seconds (clock ticks of 1/100 s, as on Linux).
fn proc_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}

/// The first characters of a body, on one line, for an error report.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(160).collect()
}

/// RFC 4648 base32 without padding (20 bytes → 32 characters), as TOTP apps read secrets.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

// ---------------------------------------------------------------------------------------
// HTTP: one browser.

struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    cookie: Option<String>,
}

struct Resp {
    status: StatusCode,
    location: Option<String>,
    session: Option<String>,
    body: Bytes,
}

impl Http {
    fn new(base: &str) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            base: base.to_owned(),
            cookie: None,
        }
    }

    /// Sends a request; a POST carries a urlencoded form and, as a browser does, `Origin`
    /// and `Sec-Fetch-Site: same-origin` (see the CSRF layer).
    async fn send(&self, method: Method, path: &str, form: Option<String>) -> Result<Resp, String> {
        let mut b = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(header::USER_AGENT, "vigie-login-bench");
        if let Some(c) = &self.cookie {
            b = b.header(header::COOKIE, format!("vigie_session={c}"));
        }
        let body = match form {
            Some(f) => {
                b = b
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ORIGIN, &self.base)
                    .header("sec-fetch-site", "same-origin");
                Full::new(Bytes::from(f))
            }
            None => Full::new(Bytes::new()),
        };
        let req = b.body(body).map_err(|e| format!("request: {e}"))?;
        let exchange = async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| format!("transport: {e}"))?;
            let (parts, body) = resp.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| format!("body: {e}"))?
                .to_bytes();
            let text = |v: &header::HeaderValue| v.to_str().unwrap_or_default().to_owned();
            Ok(Resp {
                status: parts.status,
                location: parts.headers.get(header::LOCATION).map(text),
                session: parts
                    .headers
                    .get_all(header::SET_COOKIE)
                    .iter()
                    .map(text)
                    .find_map(|c| {
                        c.strip_prefix("vigie_session=")
                            .and_then(|c| c.split(';').next())
                            .map(str::to_owned)
                    })
                    .filter(|t| !t.is_empty()),
                body,
            })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()))?
    }

    /// A 303 to `to` with a session cookie (the new one), or an error naming the step.
    fn expect_redirect(step: &str, r: &Resp, to: &str) -> Result<String, String> {
        if r.status != StatusCode::SEE_OTHER || r.location.as_deref() != Some(to) {
            return Err(format!(
                "{step}: status {} to {:?} (expected 303 to {to}) — {}",
                r.status.as_u16(),
                r.location.as_deref().unwrap_or(""),
                excerpt(&r.body)
            ));
        }
        r.session
            .clone()
            .ok_or_else(|| format!("{step}: no vigie_session cookie"))
    }
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
    let mut http = Http::new(base);
    // 1. Login and password.
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("login", &account.login)
        .append_pair("password", PASSWORD)
        .finish();
    let t0 = Instant::now();
    let r = http.send(Method::POST, "/connexion", Some(form)).await?;
    out.password = Some(t0.elapsed());
    let first = Http::expect_redirect("password step", &r, "/connexion/second-facteur")?;
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
    let second = Http::expect_redirect("second factor", &r, "/")?;
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
            excerpt(&r.body)
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The database and the server.

fn with_db(url: &str, db: &str) -> String {
    match url.rsplit_once('/') {
        Some((base, tail)) => {
            let query = tail
                .split_once('?')
                .map(|(_, q)| format!("?{q}"))
                .unwrap_or_default();
            format!("{base}/{db}{query}")
        }
        None => url.to_owned(),
    }
}

fn pg_admin_url() -> String {
    std::env::var("VIGIE_LOGIN_PG_URL")
        .or_else(|_| std::env::var("VIGIE_TEST_PG_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Runs statements on the PostgreSQL administrative database.
async fn pg_admin(statements: &[String]) -> Result<(), String> {
    let admin: DbUrl = pg_admin_url().parse()?;
    let store = Store::connect(&admin, chrono_tz::Europe::Paris)
        .await
        .map_err(|e| format!("PostgreSQL unreachable: {e}"))?;
    let mut result = Ok(());
    for sql in statements {
        if let Err(e) = vigie_store::testing::raw_sql(&store, sql).await {
            result = Err(format!("{sql}: {e}"));
            break;
        }
    }
    store.close().await;
    result
}

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
            let secret = base32(&raw);
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

struct Server {
    child: Child,
    pid: u32,
    base: String,
}

impl Server {
    fn start(dir: &Path, database_url: &str, log: &Path) -> Result<Server, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("a free port on 127.0.0.1: {e}"))?
            .port();
        let out = std::fs::File::create(log).map_err(|e| format!("server log: {e}"))?;
        let err = out.try_clone().map_err(|e| format!("server log: {e}"))?;
        let mut c = Command::new(env!("CARGO_BIN_EXE_vigie"));
        // A clean environment: no VIGIE_* variable of the caller's (but VIGIE_LOG), no
        // configuration file.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("VIGIE_") && k != "VIGIE_LOG" {
                c.env_remove(k);
            }
        }
        let child = c
            .current_dir(dir)
            .arg("--config")
            .arg(dir.join("absent.toml"))
            .arg("serve")
            .env("VIGIE_DATABASE_URL", database_url)
            .env("VIGIE_LISTEN", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("start vigie serve: {e}"))?;
        Ok(Server {
            pid: child.id(),
            child,
            base: format!("http://127.0.0.1:{port}"),
        })
    }

    async fn wait_ready(&mut self, log: &Path) -> Result<(), String> {
        let http = Http::new(&self.base);
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                return Err(format!(
                    "vigie serve stopped ({status}): {}",
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                ));
            }
            if let Ok(r) = http.send(Method::GET, "/healthz", None).await
                && r.status == StatusCode::OK
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "vigie serve not ready within {} s",
            START_TIMEOUT.as_secs()
        ))
    }

    /// SIGTERM (graceful shutdown), then SIGKILL after 10 s (in `Drop`).
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
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
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            pg_admin(&[drop.clone(), format!("CREATE DATABASE {name}")]).await?;
            println!("    PostgreSQL database {name} created");
            let url = with_db(&pg_admin_url(), &name);
            let result = run_on(backend, dir, &url, agents, spread).await;
            match pg_admin(&[drop]).await {
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
    let log = dir.join(format!("serve-{backend}.log"));
    let mut server = Server::start(dir, url, &log)?;
    server.wait_ready(&log).await?;
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
        mib(m.rss_idle_kib),
        mib(m.rss_peak_kib),
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
                mib(m.rss_peak_kib),
                m.error_samples.first().map_or("—", String::as_str)
            ),
            Err(e) => println!("{:<9} FAILED: {e}", r.backend),
        }
    }
}

fn main() -> ExitCode {
    let backends = env_list("VIGIE_LOGIN_BACKENDS", "sqlite,postgres");
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
