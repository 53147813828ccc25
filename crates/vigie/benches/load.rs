//! HTTP load benchmark of `vigie serve`: simulated agents, each with its own session, loop
//! over the dossier list (a random filter), a name search (a family name, a child's first
//! and family names, or a family name and a year), one dossier, and an edit saved through
//! the dossier form, against the real binary on a demo database, SQLite then PostgreSQL.
//! Prints the latencies per action, the throughput, errors, conflicts, lost updates and the
//! server's peak RSS, and the targets they meet or miss; never fails on time (the machine
//! is shared).
//!
//! `cargo bench -p vigie --bench load`
//!
//! Runs, on each backend, one fresh server per run:
//! - (a) `VIGIE_LOAD_AGENTS_A` agents (default 50), 1–3 s of think time before each action;
//! - (b) the same with `VIGIE_LOAD_AGENTS_B` agents (default 200);
//! - (c) `VIGIE_LOAD_AGENTS_C` agents (default 8) and no think time: the maximum throughput.
//!
//! Targets, runs (a) and (b): p95 ≤ 50 ms for reads, ≤ 100 ms for saves, no error, no lost
//! update, server peak RSS ≤ 256 MiB.
//!
//! Environment: `VIGIE_LOAD_DOSSIERS` (default 100000), `VIGIE_LOAD_BACKENDS` (default
//! `sqlite,postgres`), `VIGIE_LOAD_RUNS` (default `a,b,c`), `VIGIE_LOAD_SECONDS` (default 60,
//! per run), `VIGIE_LOAD_AGENTS_A`/`_B`/`_C`, `VIGIE_LOAD_PG_URL` (the PostgreSQL server, an
//! administrative database; default `VIGIE_TEST_PG_URL`, else
//! `postgres://postgres@127.0.0.1:5432/postgres`).
//!
//! The demo databases are generated once (`vigie demo`) and kept: SQLite in
//! `target/load/sqlite-<N>.db`, PostgreSQL as the database `vigie_load_<N>` (reused when it
//! holds a demo instance with N dossiers; about 5 minutes to generate 100,000). Delete them to
//! start afresh. Each save appends a line `[charge <run>-<agent>-<n>]` to the dossier's CRIP
//! observation; lines of earlier runs are removed by the next save of that dossier.
//! Servers listen on 127.0.0.1 only; their logs go to `target/load/serve-<backend>-<run>.log`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{
    Http, Resp, Server, env_backends, env_list, env_usize, excerpt, mib, mib_text, pg_admin,
    pg_admin_url, proc_cpu_seconds, proc_status_kib, vigie, with_db,
};
use html5ever::tendril::TendrilSink;
use hyper::{Method, StatusCode};
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use vigie_domain::Role;
use vigie_store::{DbUrl, Store};

/// Targets of runs (a) and (b): p95 of reads and of saves (ms), peak RSS (MiB).
const TARGET_READ_MS: f64 = 50.0;
const TARGET_SAVE_MS: f64 = 100.0;
const TARGET_RSS_MIB: f64 = 256.0;

/// Think time before each action, runs (a) and (b): uniform in this range (ms).
const THINK_MS: (u64, u64) = (1_000, 3_000);
/// One request's bound: past it, the request is an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a server may take to answer /healthz after it starts (migrations included).
const START_TIMEOUT: Duration = Duration::from_secs(300);
/// Error descriptions printed per run.
const ERROR_SAMPLES: usize = 5;
/// Characters of a body quoted in an error.
const EXCERPT_CHARS: usize = 200;
/// The `User-Agent` of the simulated browsers.
const USER_AGENT: &str = "vigie-load";
/// The PostgreSQL administrative database (see `pg_admin_url`).
const PG_URL_VAR: &str = "VIGIE_LOAD_PG_URL";
/// An agent stops after this many errors (a broken server must not be hammered for minutes).
const MAX_ERRORS_PER_AGENT: u64 = 200;
/// Logins in flight at once (each costs the server an Argon2id computation). Every agent
/// uses the same demo account, and an attempt in flight counts as a failure until it
/// succeeds: below the account's free failures (5), the throttle never delays them.
const LOGIN_CONCURRENCY: usize = 4;
/// Family names of the demo generator, searched when a list row shows none.
const FALLBACK_NAMES: &[&str] = &["MARTIN", "DUBOIS", "NGUYEN", "PETIT", "MOREAU", "LEFEBVRE"];

// ---------------------------------------------------------------------------------------
// Small tools.

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
        (self.next() % n.max(1) as u64) as usize
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

/// Nearest-rank percentiles, in ms.
fn stats(samples: &[Duration]) -> Option<Stats> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let at = |q: f64| ms(s[((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1]);
    Some(Stats {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
        max: ms(s[s.len() - 1]),
    })
}

// ---------------------------------------------------------------------------------------
// HTML: the list page, the search results, the dossier form.

fn parse_html(body: &[u8]) -> RcDom {
    html5ever::parse_document(RcDom::default(), Default::default())
        .one(String::from_utf8_lossy(body).as_ref())
}

fn element_name(n: &Handle) -> Option<String> {
    match &n.data {
        NodeData::Element { name, .. } => Some(name.local.to_string()),
        _ => None,
    }
}

fn attr(n: &Handle, key: &str) -> Option<String> {
    match &n.data {
        NodeData::Element { attrs, .. } => attrs
            .borrow()
            .iter()
            .find(|a| &*a.name.local == key)
            .map(|a| a.value.to_string()),
        _ => None,
    }
}

fn text_content(n: &Handle) -> String {
    let mut out = String::new();
    fn walk(n: &Handle, out: &mut String) {
        if let NodeData::Text { contents } = &n.data {
            out.push_str(&contents.borrow());
        }
        for c in n.children.borrow().iter() {
            walk(c, out);
        }
    }
    walk(n, &mut out);
    out
}

/// Every descendant element (document order) for which `pred` holds.
fn find_all(root: &Handle, pred: &dyn Fn(&Handle) -> bool, out: &mut Vec<Handle>) {
    for c in root.children.borrow().iter() {
        if element_name(c).is_some() && pred(c) {
            out.push(c.clone());
        }
        find_all(c, pred, out);
    }
}

fn find_first(root: &Handle, pred: &dyn Fn(&Handle) -> bool) -> Option<Handle> {
    let mut v = Vec::new();
    find_all(root, pred, &mut v);
    v.into_iter().next()
}

fn is(tag: &'static str) -> impl Fn(&Handle) -> bool {
    move |n| element_name(n).as_deref() == Some(tag)
}

/// One row of the dossier list: its link (with the list's filters) and the family names
/// of its children (the words in capitals).
#[derive(Debug, Clone)]
struct ListRow {
    href: String,
    id: i64,
    /// The family names shown (upper case).
    names: Vec<String>,
    /// Each child as shown: « Léa MARTIN ».
    children: Vec<String>,
}

fn parse_rows(body: &[u8]) -> Vec<ListRow> {
    let dom = parse_html(body);
    let mut trs = Vec::new();
    find_all(&dom.document, &is("tr"), &mut trs);
    trs.iter()
        .filter_map(|tr| {
            let tds: Vec<Handle> = tr
                .children
                .borrow()
                .iter()
                .filter(|c| element_name(c).as_deref() == Some("td"))
                .cloned()
                .collect();
            let a = find_first(tds.first()?, &is("a"))?;
            let href = attr(&a, "href")?;
            let id: i64 = href
                .strip_prefix("/dossiers/")?
                .split(['?', '#', '/'])
                .next()?
                .parse()
                .ok()?;
            let shown = tds.get(2).map(text_content).unwrap_or_default();
            let children = shown
                .split(", ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect();
            let names = tds
                .get(2)
                .map(|td| {
                    text_content(td)
                        .split([' ', ','])
                        .filter(|w| {
                            w.chars().count() >= 2
                                && w.chars().any(char::is_alphabetic)
                                && w.chars().all(|c| !c.is_lowercase())
                        })
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            Some(ListRow {
                href,
                id,
                names,
                children,
            })
        })
        .collect()
}

/// The values of a list filter's `<select>` (without the empty "Tous").
fn select_values(dom: &RcDom, id: &str) -> Vec<String> {
    let Some(select) = find_first(&dom.document, &|n| {
        element_name(n).as_deref() == Some("select") && attr(n, "id").as_deref() == Some(id)
    }) else {
        return Vec::new();
    };
    let mut options = Vec::new();
    find_all(&select, &is("option"), &mut options);
    options
        .iter()
        .filter_map(|o| attr(o, "value"))
        .filter(|v| !v.is_empty())
        .collect()
}

/// The dossier form, as a browser would submit it with the « Enregistrer » button.
#[derive(Debug)]
struct EditForm {
    /// The form's entry list, in document order (textarea line breaks as CR LF).
    pairs: Vec<(String, String)>,
    /// Index of the `observation` entry.
    observation: usize,
}

impl EditForm {
    /// The observation as shown (LF line breaks).
    fn observation_text(&self) -> String {
        self.pairs[self.observation].1.replace("\r\n", "\n")
    }
}

fn parse_edit_form(body: &[u8]) -> Result<EditForm, String> {
    let dom = parse_html(body);
    let form = find_first(&dom.document, &|n| {
        element_name(n).as_deref() == Some("form")
            && attr(n, "action").is_some_and(|a| a.ends_with("/modifier"))
    })
    .ok_or("no <form action=…/modifier> in the page")?;
    let mut pairs = Vec::new();
    let mut submitter = false;
    collect_controls(&form, &mut pairs, &mut submitter);
    if !submitter {
        return Err("no button name=action value=save in the form".into());
    }
    let observation = pairs
        .iter()
        .position(|(k, _)| k == "observation")
        .ok_or("no `observation` control in the form")?;
    Ok(EditForm { pairs, observation })
}

/// The HTML "constructing the entry list" algorithm, for the controls the form uses: every
/// named, enabled control in tree order; checkboxes and radios when checked; a select's
/// selected options (a single select without one: its first enabled option); textareas with
/// CR LF line breaks; of the buttons, only the submitter (`action=save`).
fn collect_controls(node: &Handle, out: &mut Vec<(String, String)>, submitter: &mut bool) {
    for c in node.children.borrow().iter() {
        let Some(tag) = element_name(c) else { continue };
        let disabled = attr(c, "disabled").is_some();
        let name = attr(c, "name").unwrap_or_default();
        match tag.as_str() {
            "input" => {
                if disabled || name.is_empty() {
                    continue;
                }
                let kind = attr(c, "type").unwrap_or_default().to_ascii_lowercase();
                let value = attr(c, "value");
                match kind.as_str() {
                    "submit" | "image" | "reset" | "button" | "file" => {}
                    "checkbox" | "radio" => {
                        if attr(c, "checked").is_some() {
                            out.push((name, value.unwrap_or_else(|| "on".into())));
                        }
                    }
                    _ => out.push((name, value.unwrap_or_default())),
                }
            }
            "button" => {
                let kind = attr(c, "type").unwrap_or_default().to_ascii_lowercase();
                if !*submitter
                    && !disabled
                    && (kind.is_empty() || kind == "submit")
                    && name == "action"
                    && attr(c, "value").as_deref() == Some("save")
                {
                    out.push((name, "save".into()));
                    *submitter = true;
                }
            }
            "select" => {
                if disabled || name.is_empty() {
                    continue;
                }
                let mut options = Vec::new();
                find_all(c, &is("option"), &mut options);
                let value = |o: &Handle| {
                    attr(o, "value").unwrap_or_else(|| {
                        text_content(o)
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                };
                let selected: Vec<&Handle> = options
                    .iter()
                    .filter(|o| attr(o, "selected").is_some() && attr(o, "disabled").is_none())
                    .collect();
                if attr(c, "multiple").is_some() {
                    out.extend(selected.iter().map(|o| (name.clone(), value(o))));
                } else if let Some(o) = selected
                    .last()
                    .copied()
                    .or_else(|| options.iter().find(|o| attr(o, "disabled").is_none()))
                {
                    out.push((name, value(o)));
                }
            }
            "textarea" => {
                if !disabled && !name.is_empty() {
                    out.push((name, text_content(c).replace('\n', "\r\n")));
                }
            }
            "fieldset" if disabled => {}
            "template" | "datalist" => {}
            _ => collect_controls(c, out, submitter),
        }
    }
}

// ---------------------------------------------------------------------------------------
// HTTP: one browser (`common::Http`).

impl Http {
    /// Logs in with the demo agent account; returns the time the login took.
    async fn login(&mut self) -> Result<Duration, String> {
        let (login, _) = vigie_store::demo::DEMO_ACCOUNTS
            .iter()
            .find(|(_, r)| *r == Role::AgentCrip)
            .expect("a demo account for the agent CRIP role");
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("login", login)
            .append_pair("password", vigie_store::demo::DEMO_PASSWORD)
            .finish();
        let t = Instant::now();
        let r = self.send(Method::POST, "/connexion", Some(form)).await?;
        let took = t.elapsed();
        if r.status != StatusCode::SEE_OTHER {
            return Err(format!(
                "login: status {} — {}",
                r.status.as_u16(),
                excerpt(&r.body, EXCERPT_CHARS)
            ));
        }
        let token = r.session.ok_or("login: no vigie_session cookie")?;
        self.cookie = Some(token);
        Ok(took)
    }
}

// ---------------------------------------------------------------------------------------
// The simulated agents.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    List,
    Search,
    Open,
    Form,
    Save,
}

const ACTIONS: [Action; 5] = [
    Action::List,
    Action::Search,
    Action::Open,
    Action::Form,
    Action::Save,
];

impl Action {
    fn label(self) -> &'static str {
        match self {
            Action::List => "list (GET /dossiers, filter)",
            Action::Search => "search a name (POST)",
            Action::Open => "open a dossier",
            Action::Form => "edit form (GET …/modifier)",
            Action::Save => "save the edit (POST)",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Action::List => "list",
            Action::Search => "search",
            Action::Open => "open",
            Action::Form => "form",
            Action::Save => "save",
        }
    }

    fn target_ms(self) -> f64 {
        if self == Action::Save {
            TARGET_SAVE_MS
        } else {
            TARGET_READ_MS
        }
    }
}

/// What every agent of a run shares.
struct Plan {
    territories: Vec<String>,
    statuses: Vec<String>,
    think: bool,
    deadline: Instant,
    /// Marks this run's lines in the observations.
    tag: String,
}

/// What one agent (or, merged, a run) measured.
#[derive(Default)]
struct Tally {
    samples: [Vec<Duration>; 5],
    errors: u64,
    conflicts: u64,
    error_samples: Vec<String>,
    /// (dossier, token) of every save answered 303.
    acks: Vec<(i64, String)>,
    list_rows: u64,
    search_rows: u64,
}

impl Tally {
    fn error(&mut self, what: String) {
        self.errors += 1;
        if self.error_samples.len() < ERROR_SAMPLES {
            self.error_samples.push(what);
        }
    }

    fn merge(&mut self, o: Tally) {
        for (a, b) in self.samples.iter_mut().zip(o.samples) {
            a.extend(b);
        }
        self.errors += o.errors;
        self.conflicts += o.conflicts;
        for e in o.error_samples {
            if self.error_samples.len() < ERROR_SAMPLES {
                self.error_samples.push(e);
            }
        }
        self.acks.extend(o.acks);
        self.list_rows += o.list_rows;
        self.search_rows += o.search_rows;
    }

    fn requests(&self) -> usize {
        self.samples.iter().map(Vec::len).sum()
    }
}

struct Agent {
    n: usize,
    http: Http,
    rng: Rng,
    plan: Arc<Plan>,
    tally: Tally,
    saves: u64,
}

impl Agent {
    /// Think time (runs a, b) before an action; false once the run is over.
    async fn pause(&mut self) -> bool {
        if self.plan.think {
            let (lo, hi) = THINK_MS;
            let ms = lo + self.rng.next() % (hi - lo + 1);
            let until = (Instant::now() + Duration::from_millis(ms)).min(self.plan.deadline);
            tokio::time::sleep_until(until.into()).await;
        }
        Instant::now() < self.plan.deadline && self.tally.errors < MAX_ERRORS_PER_AGENT
    }

    /// One timed request; an answer other than `expected` is an error (`None`).
    async fn timed(
        &mut self,
        action: Action,
        method: Method,
        path: &str,
        form: Option<String>,
        expected: &[StatusCode],
    ) -> Option<Resp> {
        let t = Instant::now();
        let r = self.http.send(method, path, form).await;
        let took = t.elapsed();
        match r {
            Ok(r) => {
                self.tally.samples[action as usize].push(took);
                if expected.contains(&r.status) {
                    Some(r)
                } else {
                    self.tally.error(format!(
                        "{} {path}: status {} — {}",
                        action.short(),
                        r.status.as_u16(),
                        excerpt(&r.body, EXCERPT_CHARS)
                    ));
                    None
                }
            }
            Err(e) => {
                self.tally.error(format!("{} {path}: {e}", action.short()));
                None
            }
        }
    }

    async fn after_error(&mut self) {
        // No think time: do not spin on a failing server.
        if !self.plan.think {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn list_path(&mut self) -> String {
        let plan = Arc::clone(&self.plan);
        let mut q = form_urlencoded::Serializer::new(String::new());
        let (territory, status) = match self.rng.below(4) {
            0 => (false, false),
            1 => (true, false),
            2 => (false, true),
            _ => (true, true),
        };
        if territory && !plan.territories.is_empty() {
            let t: &String = self.rng.pick(&plan.territories);
            q.append_pair("territoire", t);
        }
        if status && !plan.statuses.is_empty() {
            let st: &String = self.rng.pick(&plan.statuses);
            q.append_pair("statut", st);
        }
        let q = q.finish();
        if q.is_empty() {
            "/dossiers".into()
        } else {
            format!("/dossiers?{q}")
        }
    }

    /// The observation with this run's new line; lines of earlier runs are dropped.
    fn edited_observation(&self, current: &str, token: &str) -> String {
        let mine = format!("[charge {}-", self.plan.tag);
        let mut lines: Vec<&str> = current
            .lines()
            .filter(|l| !l.trim_start().starts_with("[charge ") || l.contains(&mine))
            .collect();
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        let line = format!("[charge {token}]");
        lines.push(&line);
        lines.join("\r\n")
    }

    async fn run(mut self) -> Tally {
        let mut last_rows: Vec<ListRow> = Vec::new();
        loop {
            // 1. The list, with a random filter.
            if !self.pause().await {
                break;
            }
            let path = self.list_path();
            let Some(r) = self
                .timed(Action::List, Method::GET, &path, None, &[StatusCode::OK])
                .await
            else {
                self.after_error().await;
                continue;
            };
            let rows = parse_rows(&r.body);
            self.tally.list_rows += rows.len() as u64;
            if !rows.is_empty() {
                last_rows = rows;
            }
            if last_rows.is_empty() {
                continue;
            }
            let row = self.rng.pick(&last_rows).clone();

            // 2. A name search, from a child of the list: the family name, the first and
            // family names (in either order), or the family name and a birth year.
            if !self.pause().await {
                break;
            }
            let family = if row.names.is_empty() {
                (*self.rng.pick(FALLBACK_NAMES)).to_owned()
            } else {
                self.rng.pick(&row.names).clone()
            };
            let name = match (self.rng.below(3), row.children.is_empty()) {
                (1, false) => {
                    let child = self.rng.pick(&row.children).clone();
                    if self.rng.below(2) == 0 {
                        child.to_lowercase()
                    } else {
                        child.split(' ').rev().collect::<Vec<_>>().join(" ")
                    }
                }
                (2, _) => format!("{family} {}", 2008 + self.rng.below(18)),
                _ => family,
            };
            let form = form_urlencoded::Serializer::new(String::new())
                .append_pair("q", &name)
                .finish();
            match self
                .timed(
                    Action::Search,
                    Method::POST,
                    "/dossiers/recherche",
                    Some(form),
                    &[StatusCode::OK],
                )
                .await
            {
                Some(r) => {
                    self.tally.search_rows += String::from_utf8_lossy(&r.body)
                        .matches("<td><a href=\"/dossiers/")
                        .count() as u64;
                }
                None => {
                    self.after_error().await;
                    continue;
                }
            }

            // 3. The dossier, opened from the list.
            if !self.pause().await {
                break;
            }
            if self
                .timed(
                    Action::Open,
                    Method::GET,
                    &row.href,
                    None,
                    &[StatusCode::OK],
                )
                .await
                .is_none()
            {
                self.after_error().await;
                continue;
            }

            // 4. Its form, then 5. the edit saved.
            if !self.pause().await {
                break;
            }
            let edit_path = format!("/dossiers/{}/modifier", row.id);
            let Some(r) = self
                .timed(
                    Action::Form,
                    Method::GET,
                    &edit_path,
                    None,
                    &[StatusCode::OK],
                )
                .await
            else {
                self.after_error().await;
                continue;
            };
            let mut form = match parse_edit_form(&r.body) {
                Ok(f) => f,
                Err(e) => {
                    self.tally.error(format!("form {edit_path}: {e}"));
                    self.after_error().await;
                    continue;
                }
            };
            if !self.pause().await {
                break;
            }
            self.saves += 1;
            let token = format!("{}-{}-{}", self.plan.tag, self.n, self.saves);
            let observation = self.edited_observation(&form.observation_text(), &token);
            form.pairs[form.observation].1 = observation;
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form.pairs.iter())
                .finish();
            let Some(r) = self
                .timed(
                    Action::Save,
                    Method::POST,
                    &edit_path,
                    Some(body),
                    &[StatusCode::SEE_OTHER, StatusCode::CONFLICT],
                )
                .await
            else {
                self.after_error().await;
                continue;
            };
            if r.status == StatusCode::CONFLICT {
                self.tally.conflicts += 1;
            } else {
                let expected = format!("/dossiers/{}", row.id);
                match r.location.as_deref() {
                    Some(l)
                        if l == expected
                            || l.starts_with(&format!("{expected}?"))
                            || l.starts_with(&format!("{expected}#")) =>
                    {
                        self.tally.acks.push((row.id, token));
                    }
                    other => self.tally.error(format!(
                        "save {edit_path}: 303 to {other:?}, expected {expected}"
                    )),
                }
            }
        }
        self.tally
    }
}

async fn get_form(http: &Http, path: &str) -> Result<EditForm, String> {
    let r = http.send(Method::GET, path, None).await?;
    if r.status != StatusCode::OK {
        return Err(format!(
            "GET {path}: status {} — {}",
            r.status.as_u16(),
            excerpt(&r.body, EXCERPT_CHARS)
        ));
    }
    parse_edit_form(&r.body).map_err(|e| format!("GET {path}: {e}"))
}

/// One save through the form before the clock starts, to check that the bench submits the
/// form as a browser would: read back, every entry but the observation (and the version
/// fields) must be unchanged. Returns the entries that changed.
async fn form_round_trip(http: &Http, id: i64, tag: &str) -> Result<Vec<String>, String> {
    let path = format!("/dossiers/{id}/modifier");
    let mut before = get_form(http, &path).await?;
    let line = format!("[charge {tag}-verif-0]");
    let text = before.observation_text();
    let observation = if text.trim().is_empty() {
        line.clone()
    } else {
        format!("{}\r\n{line}", text.trim_end().replace('\n', "\r\n"))
    };
    before.pairs[before.observation].1 = observation;
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(before.pairs.iter())
        .finish();
    let r = http.send(Method::POST, &path, Some(body)).await?;
    if r.status != StatusCode::SEE_OTHER {
        return Err(format!(
            "POST {path}: status {} — {}",
            r.status.as_u16(),
            excerpt(&r.body, EXCERPT_CHARS)
        ));
    }
    let after = get_form(http, &path).await?;
    if !after.observation_text().contains(&line) {
        return Err(format!("{path}: the saved observation line is missing"));
    }
    let kept = |f: &EditForm| {
        let mut v: Vec<(String, String)> = f
            .pairs
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "version" | "base" | "observation"))
            .map(|(k, v)| (k.clone(), v.replace("\r\n", "\n")))
            .collect();
        v.sort();
        v
    };
    let (a, b) = (kept(&before), kept(&after));
    let mut changed: Vec<String> = a
        .iter()
        .filter(|e| !b.contains(e))
        .map(|(k, v)| {
            format!(
                "{k}: {v:?} → {:?}",
                b.iter().find(|(k2, _)| k2 == k).map(|e| &e.1)
            )
        })
        .collect();
    changed.extend(
        b.iter()
            .filter(|e| !a.contains(e) && !a.iter().any(|(k, _)| *k == e.0))
            .map(|(k, v)| format!("{k}: (absent) → {v:?}")),
    );
    Ok(changed)
}

/// Each token acknowledged by a 303 must be in its dossier's observation (every save starts
/// from the form as it then was, so a later save keeps the earlier lines): returns (dossiers
/// checked, tokens missing, problems).
async fn verify(http: &Http, acks: &[(i64, String)]) -> (usize, usize, Vec<String>) {
    let mut by_id: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for (id, t) in acks {
        by_id.entry(*id).or_default().push(t.clone());
    }
    let ids: Vec<(i64, Vec<String>)> = by_id.into_iter().collect();
    let chunks: Vec<Vec<(i64, Vec<String>)>> = ids
        .chunks(ids.len().div_ceil(4).max(1))
        .map(<[_]>::to_vec)
        .collect();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            let mut missing = 0usize;
            let mut problems = Vec::new();
            for (id, tokens) in chunk {
                let path = format!("/dossiers/{id}/modifier");
                let observation = match http.send(Method::GET, &path, None).await {
                    Ok(r) if r.status == StatusCode::OK => match parse_edit_form(&r.body) {
                        Ok(f) => f.observation_text(),
                        Err(e) => {
                            problems.push(format!("{path}: {e}"));
                            continue;
                        }
                    },
                    Ok(r) => {
                        problems.push(format!("{path}: status {}", r.status.as_u16()));
                        continue;
                    }
                    Err(e) => {
                        problems.push(format!("{path}: {e}"));
                        continue;
                    }
                };
                for t in tokens {
                    if !observation.contains(&format!("[charge {t}]")) {
                        missing += 1;
                        if problems.len() < ERROR_SAMPLES {
                            problems.push(format!("dossier {id}: saved line {t} is missing"));
                        }
                    }
                }
            }
            (missing, problems)
        }));
    }
    let mut missing = 0;
    let mut problems = Vec::new();
    for t in tasks {
        let (m, p) = t.await.expect("verification task");
        missing += m;
        problems.extend(p);
    }
    (ids.len(), missing, problems)
}

// ---------------------------------------------------------------------------------------
// The server and its database.

/// Dossiers of a demo database, `None` when it is not one (or unreachable).
async fn demo_dossiers(url: &str) -> Option<usize> {
    let url: DbUrl = url.parse().ok()?;
    let store = Store::connect(&url, chrono_tz::Europe::Paris).await.ok()?;
    let demo = store.instance().await.ok().flatten().map(|i| i.demo);
    let counts = store.counts().await.ok();
    store.close().await;
    if demo != Some(true) {
        return None;
    }
    counts?
        .iter()
        .find(|c| c.0 == "dossier")
        .map(|c| c.1 as usize)
}

fn generate(dir: &Path, url: &str, dossiers: usize) -> Result<(), String> {
    let started = Instant::now();
    let status = vigie(dir, url)
        .args(["demo", "--dossiers", &dossiers.to_string()])
        .env("VIGIE_LOG", "warn")
        .status()
        .map_err(|e| format!("vigie demo: {e}"))?;
    if !status.success() {
        return Err(format!("vigie demo failed ({status})"));
    }
    println!("    generated in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Reads the SQLite files once, so that they are in the system's page cache as on a server
/// that has been serving for a while: each run measures that steady state, not the disk
/// reads of a base just evicted by a build (which doubled the search's p95 at 1,000,000
/// dossiers). PostgreSQL keeps its own cache warm between runs.
fn warm_sqlite(dir: &Path, dossiers: usize) {
    let started = Instant::now();
    let mut bytes = 0u64;
    for suffix in ["", "-wal"] {
        let path = dir.join(format!("sqlite-{dossiers}.db{suffix}"));
        if let Ok(mut f) = std::fs::File::open(&path) {
            bytes += std::io::copy(&mut f, &mut std::io::sink()).unwrap_or(0);
        }
    }
    println!(
        "    database files read once into the page cache ({} MiB, {:.1} s): a server in service",
        bytes / (1024 * 1024),
        started.elapsed().as_secs_f64()
    );
}

/// The database URL of a demo database with `dossiers` dossiers, generated if needed.
async fn prepare(backend: &str, dir: &Path, dossiers: usize) -> Result<String, String> {
    match backend {
        "sqlite" => {
            let path = dir.join(format!("sqlite-{dossiers}.db"));
            let url = format!("sqlite://{}", path.display());
            if path.exists() {
                if demo_dossiers(&url).await == Some(dossiers) {
                    println!("    reusing {} ({dossiers} dossiers)", path.display());
                    return Ok(url);
                }
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            println!("    generating {} ({dossiers} dossiers)", path.display());
            generate(dir, &url, dossiers)?;
            Ok(url)
        }
        "postgres" => {
            let admin_url = pg_admin_url(PG_URL_VAR);
            let name = format!("vigie_load_{dossiers}");
            let url = with_db(&admin_url, &name);
            if demo_dossiers(&url).await == Some(dossiers) {
                println!("    reusing the database {name} ({dossiers} dossiers)");
                return Ok(url);
            }
            pg_admin(
                &admin_url,
                &[
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    format!("CREATE DATABASE {name}"),
                ],
            )
            .await?;
            println!("    generating the database {name} ({dossiers} dossiers)");
            generate(dir, &url, dossiers)?;
            // What autovacuum does shortly after a bulk load: measured in steady state.
            let store = Store::connect(&url.parse::<DbUrl>()?, chrono_tz::Europe::Paris)
                .await
                .map_err(|e| e.to_string())?;
            vigie_store::testing::raw_sql(&store, "VACUUM (ANALYZE)")
                .await
                .map_err(|e| format!("VACUUM (ANALYZE): {e}"))?;
            store.close().await;
            println!("    VACUUM (ANALYZE) done, as autovacuum would after a bulk load");
            Ok(url)
        }
        other => Err(format!("unknown backend « {other} » (sqlite, postgres)")),
    }
}

// ---------------------------------------------------------------------------------------
// One run.

#[derive(Debug, Clone, Copy)]
struct RunSpec {
    name: char,
    agents: usize,
    think: bool,
}

struct RunResult {
    backend: String,
    spec: RunSpec,
    outcome: Result<Measured, String>,
}

struct Measured {
    log: PathBuf,
    /// Form entries that one unchanged save altered (see `form_round_trip`).
    round_trip: Vec<String>,
    elapsed: Duration,
    tally: Tally,
    logins: Vec<Duration>,
    login_time: Duration,
    checked: usize,
    lost: usize,
    verify_problems: Vec<String>,
    rss_kib: Option<u64>,
    server_cpu: Option<f64>,
    bench_cpu: Option<f64>,
}

impl Measured {
    fn p95(&self, a: Action) -> Option<f64> {
        stats(&self.tally.samples[a as usize]).map(|s| s.p95)
    }

    /// Why the targets are missed (runs a and b); empty when met.
    fn misses(&self) -> Vec<String> {
        let mut v = Vec::new();
        for a in ACTIONS {
            match self.p95(a) {
                Some(p) if p > a.target_ms() => v.push(format!(
                    "{} p95 {p:.1} ms > {:.0} ms",
                    a.short(),
                    a.target_ms()
                )),
                Some(_) => {}
                None => v.push(format!("{}: no sample", a.short())),
            }
        }
        if self.tally.errors > 0 {
            v.push(format!("{} errors", self.tally.errors));
        }
        if !self.round_trip.is_empty() {
            v.push(format!(
                "a save through the form altered {} other entries",
                self.round_trip.len()
            ));
        }
        if self.lost > 0 {
            v.push(format!("{} lost updates", self.lost));
        } else if !self.verify_problems.is_empty() {
            v.push("lost-update check incomplete".into());
        }
        match self.rss_kib {
            Some(k) if mib(k) > TARGET_RSS_MIB => {
                v.push(format!("RSS {:.0} MiB > {TARGET_RSS_MIB:.0} MiB", mib(k)))
            }
            Some(_) => {}
            None => v.push("RSS unknown".into()),
        }
        v
    }
}

async fn run_once(
    backend: &str,
    spec: RunSpec,
    dir: &Path,
    url: &str,
    seconds: u64,
) -> Result<Measured, String> {
    let log = dir.join(format!("serve-{backend}-{}.log", spec.name));
    // A server that cannot be started stops the bench (a panic), as before the move to
    // `common`; one that starts but never answers /healthz fails the run.
    let mut server = Server::start(dir, url, &log).unwrap_or_else(|e| panic!("{e}"));
    let probe = Http::new(&server.base, USER_AGENT, REQUEST_TIMEOUT);
    server.wait_ready(&log, &probe, START_TIMEOUT).await?;
    let base = server.base.clone();

    // The filters offered by the list page.
    let mut setup = Http::new(&base, USER_AGENT, REQUEST_TIMEOUT);
    setup.login().await?;
    let r = setup.send(Method::GET, "/dossiers", None).await?;
    if r.status != StatusCode::OK {
        return Err(format!(
            "GET /dossiers: status {} — {}",
            r.status.as_u16(),
            excerpt(&r.body, EXCERPT_CHARS)
        ));
    }
    let (territories, statuses) = {
        let dom = parse_html(&r.body);
        (
            select_values(&dom, "territoire"),
            select_values(&dom, "statut"),
        )
    };
    let Some(first) = parse_rows(&r.body).into_iter().next() else {
        return Err("the dossier list is empty".into());
    };
    // Marks this run's lines in the observations.
    let tag = format!(
        "{:x}{}{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        &backend[..1],
        spec.name
    );
    // The form round trip on the newest dossier, and on the newest of each status.
    let mut probes = vec![first.id];
    for st in &statuses {
        let q = form_urlencoded::Serializer::new(String::new())
            .append_pair("statut", st)
            .finish();
        let r = setup
            .send(Method::GET, &format!("/dossiers?{q}"), None)
            .await?;
        if let Some(row) = parse_rows(&r.body).into_iter().next()
            && !probes.contains(&row.id)
        {
            probes.push(row.id);
        }
    }
    let mut round_trip = Vec::new();
    for id in probes {
        let changed = form_round_trip(&setup, id, &tag)
            .await
            .map_err(|e| format!("form round trip: {e}"))?;
        round_trip.extend(changed.into_iter().map(|c| format!("dossier {id}: {c}")));
    }

    // Every agent logs in (its own session) before the clock starts.
    let login_started = Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(LOGIN_CONCURRENCY));
    let mut logins = Vec::new();
    for _ in 0..spec.agents {
        let gate = Arc::clone(&gate);
        let base = base.clone();
        logins.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.expect("semaphore");
            let mut http = Http::new(&base, USER_AGENT, REQUEST_TIMEOUT);
            http.login().await.map(|t| (http, t))
        }));
    }
    let mut sessions = Vec::new();
    let mut login_times = Vec::new();
    let mut login_errors = Vec::new();
    for l in logins {
        match l.await.expect("login task") {
            Ok((http, t)) => {
                sessions.push(http);
                login_times.push(t);
            }
            Err(e) => login_errors.push(e),
        }
    }
    let login_time = login_started.elapsed();
    if !login_errors.is_empty() {
        return Err(format!(
            "{} of {} logins failed, first: {}",
            login_errors.len(),
            spec.agents,
            login_errors[0]
        ));
    }

    let plan = Arc::new(Plan {
        territories,
        statuses,
        think: spec.think,
        deadline: Instant::now() + Duration::from_secs(seconds),
        tag,
    });
    let cpu_before = (proc_cpu_seconds(server.pid), proc_cpu_seconds("self"));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (n, http) in sessions.into_iter().enumerate() {
        let agent = Agent {
            n,
            http,
            rng: Rng(0x10AD_0000 ^ ((n as u64) << 20) ^ spec.name as u64),
            plan: Arc::clone(&plan),
            tally: Tally::default(),
            saves: 0,
        };
        tasks.push(tokio::spawn(agent.run()));
    }
    let mut tally = Tally::default();
    for t in tasks {
        tally.merge(t.await.expect("agent task"));
    }
    let elapsed = started.elapsed();
    let cpu = |before: Option<f64>, after: Option<f64>| Some(after? - before?);
    let server_cpu = cpu(cpu_before.0, proc_cpu_seconds(server.pid));
    let bench_cpu = cpu(cpu_before.1, proc_cpu_seconds("self"));

    let (checked, lost, verify_problems) = verify(&setup, &tally.acks).await;
    let rss_kib = proc_status_kib(server.pid, "VmHWM:");
    server.stop();
    Ok(Measured {
        log,
        round_trip,
        elapsed,
        tally,
        logins: login_times,
        login_time,
        checked,
        lost,
        verify_problems,
        rss_kib,
        server_cpu,
        bench_cpu,
    })
}

fn print_run(r: &RunResult, seconds: u64) {
    let s = r.spec;
    println!(
        "\n=== {} run ({}): {} agents, {}, {seconds} s",
        r.backend,
        s.name,
        s.agents,
        if s.think {
            "1–3 s of think time before each action"
        } else {
            "no think time"
        }
    );
    let m = match &r.outcome {
        Ok(m) => m,
        Err(e) => {
            println!("    FAILED: {e}");
            return;
        }
    };
    let secs = m.elapsed.as_secs_f64();
    if let Some(l) = stats(&m.logins) {
        println!(
            "    logins: {} in {:.1} s (p50 {:.0} ms, p95 {:.0} ms), before the clock starts",
            m.logins.len(),
            m.login_time.as_secs_f64(),
            l.p50,
            l.p95
        );
    }
    let requests = m.tally.requests();
    println!(
        "    requests: {requests} in {secs:.1} s = {:.1} req/s; errors {}; conflicts detected (409) {}; saves acknowledged (303) {}",
        requests as f64 / secs,
        m.tally.errors,
        m.tally.conflicts,
        m.tally.acks.len()
    );
    println!(
        "    {:<30} {:>7} {:>8} {:>8} {:>8} {:>8}  {:>8}",
        "action (ms)", "count", "p50", "p95", "p99", "max", "target"
    );
    for a in ACTIONS {
        let samples = &m.tally.samples[a as usize];
        match stats(samples) {
            Some(st) => println!(
                "    {:<30} {:>7} {:>8.1} {:>8.1} {:>8.1} {:>8.1}  {:>8}",
                a.label(),
                samples.len(),
                st.p50,
                st.p95,
                st.p99,
                st.max,
                if s.think {
                    format!("p95 ≤ {:.0}", a.target_ms())
                } else {
                    "—".into()
                }
            ),
            None => println!("    {:<30} {:>7}", a.label(), 0),
        }
    }
    let lists = m.tally.samples[Action::List as usize].len().max(1);
    let searches = m.tally.samples[Action::Search as usize].len().max(1);
    println!(
        "    rows: {:.1} per list page, {:.1} per search",
        m.tally.list_rows as f64 / lists as f64,
        m.tally.search_rows as f64 / searches as f64
    );
    println!(
        "    lost updates: {} of {} acknowledged saves ({} dossiers checked)",
        m.lost,
        m.tally.acks.len(),
        m.checked
    );
    if m.round_trip.is_empty() {
        println!(
            "    form round trip (one save per status before the clock starts): nothing changes but the observation"
        );
    } else {
        println!(
            "    form round trip: a save also changed {} entries (bench or server bug):",
            m.round_trip.len()
        );
        for c in m.round_trip.iter().take(ERROR_SAMPLES) {
            println!("      {c}");
        }
    }
    for p in &m.verify_problems {
        println!("      verification: {p}");
    }
    for e in &m.tally.error_samples {
        println!("      error: {e}");
    }
    println!(
        "    server: peak RSS (VmHWM) {}; CPU {}; load generator CPU {}; log {}",
        m.rss_kib
            .map_or("unknown".into(), |k| format!("{:.1} MiB", mib(k))),
        m.server_cpu.map_or("unknown".into(), |c| format!(
            "{c:.1} s ({:.0} % of one core)",
            100.0 * c / secs
        )),
        m.bench_cpu.map_or("unknown".into(), |c| format!(
            "{c:.1} s ({:.0} % of one core)",
            100.0 * c / secs
        )),
        m.log.display(),
    );
    if s.think {
        let misses = m.misses();
        if misses.is_empty() {
            println!("    objectif atteint");
        } else {
            println!("    objectif non atteint : {}", misses.join(", "));
        }
    } else {
        println!(
            "    débit maximal : {:.1} req/s (pas d'objectif de latence)",
            requests as f64 / secs
        );
    }
}

fn print_summary(results: &[RunResult]) {
    println!(
        "\n=== Summary (p95 in ms; targets for runs a and b: reads ≤ {TARGET_READ_MS:.0}, saves ≤ {TARGET_SAVE_MS:.0}, no error, no lost update, RSS ≤ {TARGET_RSS_MIB:.0} MiB)"
    );
    println!(
        "{:<9} {:<3} {:>6} {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6} {:>9} {:>5} {:>8}  verdict",
        "backend",
        "run",
        "agents",
        "req/s",
        "list",
        "search",
        "open",
        "form",
        "save",
        "errors",
        "conflicts",
        "lost",
        "RSS MiB"
    );
    for r in results {
        let m = match &r.outcome {
            Ok(m) => m,
            Err(e) => {
                println!(
                    "{:<9} {:<3} {:>6}  FAILED: {e}",
                    r.backend, r.spec.name, r.spec.agents
                );
                continue;
            }
        };
        let p = |a: Action| m.p95(a).map_or("—".into(), |v| format!("{v:.1}"));
        let verdict = if r.spec.think {
            if m.misses().is_empty() {
                "objectif atteint".into()
            } else {
                format!("objectif non atteint ({})", m.misses().join(", "))
            }
        } else {
            "débit maximal (pas d'objectif)".into()
        };
        println!(
            "{:<9} {:<3} {:>6} {:>8.1} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6} {:>9} {:>5} {:>8}  {verdict}",
            r.backend,
            r.spec.name,
            r.spec.agents,
            m.tally.requests() as f64 / m.elapsed.as_secs_f64(),
            p(Action::List),
            p(Action::Search),
            p(Action::Open),
            p(Action::Form),
            p(Action::Save),
            m.tally.errors,
            m.tally.conflicts,
            m.lost,
            mib_text(m.rss_kib),
        );
    }
}

fn main() {
    let dossiers = env_usize("VIGIE_LOAD_DOSSIERS", 100_000).clamp(1, 10_000_000);
    let seconds = env_usize("VIGIE_LOAD_SECONDS", 60).clamp(1, 3_600) as u64;
    let backends = env_backends("VIGIE_LOAD_BACKENDS", "sqlite,postgres");
    let runs: Vec<RunSpec> = env_list("VIGIE_LOAD_RUNS", "a,b,c")
        .iter()
        .filter_map(|r| match r.as_str() {
            "a" => Some(RunSpec {
                name: 'a',
                agents: env_usize("VIGIE_LOAD_AGENTS_A", 50),
                think: true,
            }),
            "b" => Some(RunSpec {
                name: 'b',
                agents: env_usize("VIGIE_LOAD_AGENTS_B", 200),
                think: true,
            }),
            "c" => Some(RunSpec {
                name: 'c',
                agents: env_usize("VIGIE_LOAD_AGENTS_C", 8),
                think: false,
            }),
            other => {
                eprintln!("VIGIE_LOAD_RUNS : run inconnu « {other} » (a, b, c), ignoré");
                None
            }
        })
        .map(|mut r| {
            r.agents = r.agents.clamp(1, 2_000);
            r
        })
        .collect();
    // target/load, beside the binary's profile folder (target/release).
    let dir: PathBuf = Path::new(env!("CARGO_BIN_EXE_vigie"))
        .parent()
        .and_then(Path::parent)
        .expect("target folder")
        .join("load");
    std::fs::create_dir_all(&dir).expect("target/load");
    println!(
        "HTTP load benchmark of {} on {dossiers} demo dossiers; backends {backends:?}, runs {:?}, {seconds} s per run. Server and load generator share this machine's {} cores.",
        env!("CARGO_BIN_EXE_vigie"),
        runs.iter().map(|r| r.name).collect::<String>(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // `cargo bench` passes `--bench`; nothing else is read from the arguments.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let results = rt.block_on(async {
        let mut results = Vec::new();
        for backend in &backends {
            println!("\n=== {backend}: database");
            let url = match prepare(backend, &dir, dossiers).await {
                Ok(u) => u,
                Err(e) => {
                    println!("    FAILED: {e}");
                    for spec in &runs {
                        results.push(RunResult {
                            backend: backend.clone(),
                            spec: *spec,
                            outcome: Err(format!("database: {e}")),
                        });
                    }
                    continue;
                }
            };
            for spec in &runs {
                if backend == "sqlite" {
                    warm_sqlite(&dir, dossiers);
                }
                let outcome = run_once(backend, *spec, &dir, &url, seconds).await;
                let r = RunResult {
                    backend: backend.clone(),
                    spec: *spec,
                    outcome,
                };
                print_run(&r, seconds);
                results.push(r);
            }
        }
        results
    });
    print_summary(&results);
}
