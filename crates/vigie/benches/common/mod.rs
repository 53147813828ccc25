//! What the HTTP benchmarks (`load.rs`, `login.rs`) share: the environment, `/proc`
//! figures, one browser (an HTTP client with a session cookie), the PostgreSQL
//! administrative database and a `vigie serve` child process on 127.0.0.1.
//!
//! Included by each bench with `mod common;` (a subdirectory without `main.rs` is not a bench
//! target of its own). What only one bench uses stays in that bench.

use std::fmt::Display;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use vigie_store::{DbUrl, Store};

// ---------------------------------------------------------------------------------------
// The environment and `/proc`.

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A comma-separated list, trimmed and in lower case, without empty items.
pub fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|b| b.trim().to_lowercase())
        .filter(|b| !b.is_empty())
        .collect()
}

/// A list of backends (`env_list`), `pg` and `postgresql` read as `postgres`.
pub fn env_backends(name: &str, default: &str) -> Vec<String> {
    env_list(name, default)
        .into_iter()
        .map(|b| match b.as_str() {
            "pg" | "postgresql" => "postgres".into(),
            _ => b,
        })
        .collect()
}

/// A `/proc/<pid>/status` field in kB (`VmHWM`: peak resident set size; `VmRSS`: now).
/// `pid` is a process id or `self`.
pub fn proc_status_kib(pid: impl Display, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// User + system CPU time of a process (a process id or `self`), in seconds (clock ticks of
/// 1/100 s, as on Linux).
pub fn proc_cpu_seconds(pid: impl Display) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// MiB with one decimal, `?` when unknown.
pub fn mib_text(kib: Option<u64>) -> String {
    kib.map_or("?".into(), |k| format!("{:.1}", mib(k)))
}

/// The first `max_chars` characters of a body, on one line, for an error report.
pub fn excerpt(body: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(max_chars).collect()
}

// ---------------------------------------------------------------------------------------
// HTTP.

/// One browser: a connection pool to the server and, once logged in, a session cookie.
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    user_agent: &'static str,
    /// One request's bound: past it, the request is an error.
    timeout: Duration,
    /// The `vigie_session` cookie sent with every request.
    pub cookie: Option<String>,
}

pub struct Resp {
    pub status: StatusCode,
    pub location: Option<String>,
    /// The `vigie_session` cookie the answer sets (a non-empty value).
    pub session: Option<String>,
    pub body: Bytes,
}

impl Http {
    pub fn new(base: &str, user_agent: &'static str, timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            base: base.to_owned(),
            user_agent,
            timeout,
            cookie: None,
        }
    }

    /// Sends a request; a POST carries a urlencoded form and, as a browser does, `Origin`
    /// and `Sec-Fetch-Site: same-origin` (see the CSRF layer).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        form: Option<String>,
    ) -> Result<Resp, String> {
        let mut b = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(header::USER_AGENT, self.user_agent);
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
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| format!("no answer within {} s", self.timeout.as_secs()))?
    }
}

// ---------------------------------------------------------------------------------------
// The databases.

/// `url` with its database name replaced by `db` (the query string kept).
pub fn with_db(url: &str, db: &str) -> String {
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

/// The PostgreSQL administrative database: `var` (the bench's own variable), else
/// `VIGIE_TEST_PG_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`.
pub fn pg_admin_url(var: &str) -> String {
    std::env::var(var)
        .or_else(|_| std::env::var("VIGIE_TEST_PG_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Runs statements on the PostgreSQL administrative database `admin_url`, stopping at the
/// first that fails.
pub async fn pg_admin(admin_url: &str, statements: &[String]) -> Result<(), String> {
    let admin: DbUrl = admin_url.parse()?;
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

// ---------------------------------------------------------------------------------------
// The server.

/// A `vigie` command with a clean environment: no VIGIE_* variable of the caller's (but
/// `VIGIE_LOG`), no configuration file.
pub fn vigie(dir: &Path, database_url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigie"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("VIGIE_") && k != "VIGIE_LOG" {
            c.env_remove(k);
        }
    }
    // The instance key, kept next to the benchmark's databases (created at first use).
    let key = vigie_store::testing::key_file(dir);
    c.current_dir(dir)
        .arg("--config")
        .arg(dir.join("absent.toml"))
        .env("VIGIE_DATABASE_URL", database_url)
        .env("VIGIE_INSTANCE_KEY_FILE", &key)
        .stdin(Stdio::null());
    c
}

/// `vigie serve` on a free port of 127.0.0.1, its output in a log file.
pub struct Server {
    child: Child,
    pub pid: u32,
    pub base: String,
}

impl Server {
    pub fn start(dir: &Path, database_url: &str, log: &Path) -> Result<Server, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("a free port on 127.0.0.1: {e}"))?
            .port();
        let out = std::fs::File::create(log).map_err(|e| format!("server log: {e}"))?;
        let err = out.try_clone().map_err(|e| format!("server log: {e}"))?;
        let child = vigie(dir, database_url)
            .arg("serve")
            .env("VIGIE_LISTEN", format!("127.0.0.1:{port}"))
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

    /// Polls `/healthz` through `probe` (every 100 ms, up to `within`); when the server
    /// stops, the error quotes the last lines of its log.
    pub async fn wait_ready(
        &mut self,
        log: &Path,
        probe: &Http,
        within: Duration,
    ) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                return Err(format!(
                    "vigie serve stopped ({status}): {}",
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                ));
            }
            if let Ok(r) = probe.send(Method::GET, "/healthz", None).await
                && r.status == StatusCode::OK
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "vigie serve not ready within {} s",
            within.as_secs()
        ))
    }

    /// SIGTERM (graceful shutdown), then SIGKILL after 10 s (in `Drop`).
    pub fn stop(mut self) {
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
