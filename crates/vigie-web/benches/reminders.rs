//! Reminders benchmark, in process (the application's router, its store on a fresh database of
//! each backend): « Relancer les services » (`POST /echeances/relances`) for one territory of
//! `VIGIE_REMINDERS_SERVICES` services (default 100), each with `VIGIE_REMINDERS_PER_SERVICE`
//! dossiers (default 3, one or two children each) whose evaluation is overdue. First the batch
//! in DOCX without PDF (no LibreOffice pool), then — the clock one day later, so that the same
//! evaluations may be reminded again — the batch in DOCX with every letter's PDF through the
//! LibreOffice pool (`VIGIE_PDF_WORKERS` processes, default 2; skipped when LibreOffice is not
//! installed), and the batch's letters merged into one PDF (`GET /echeances/relances/{id}/pdf`:
//! time, size, pages). Prints letters per second, the ratio of the two batches' times, the peak
//! RSS of this process (the server) during each phase — the peak is reset between phases
//! through `/proc/self/clear_refs` — and the peak RSS of the LibreOffice processes. Figures,
//! never assertions on time: it fails only when a request does.
//!
//! `cargo bench -p vigie-web --bench reminders` (environment: `VIGIE_REMINDERS_BACKENDS`,
//! default `sqlite,postgres`; `VIGIE_REMINDERS_SERVICES`, default 100;
//! `VIGIE_REMINDERS_PER_SERVICE`, default 3; `VIGIE_PDF_WORKERS`, default 2).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Method, Request, StatusCode, header};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigie_domain::catalog::Catalog;
use vigie_domain::*;
use vigie_store::sessions::SessionPolicy;
use vigie_store::testing::{TestDb, add_service, add_territory, now};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};
use vigie_web::{AppState, WebConfig};

mod common;
use common::{env_usize, peak_mib, reset_peak, watch_libreoffice};

const SURNAMES: [&str; 10] = [
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU",
    "LAURENT",
];
const FIRST_NAMES: [&str; 8] = [
    "Léa", "Tom", "Noé", "Jade", "Louis", "Emma", "Gabriel", "Chloé",
];

/// The database's content: the territory, the CRIP agent, the evaluations to remind.
struct World {
    store: Store,
    territory: i64,
    agent: i64,
    services: usize,
    evaluations: usize,
}

/// A dossier of the territory, received 2026-08-28, with one or two children and one
/// evaluation by `service`, asked 2026-09-01, due 2026-10-15 (overdue at the clock's date).
fn dossier_input(cat: &Catalog, territory: i64, service: i64, n: usize) -> DossierInput {
    let p = |k: ParamKind, c: &str| cat.of_kind(k).find(|v| v.code == c).unwrap().id;
    let link = cat.of_kind(ParamKind::Link).next().unwrap().id;
    let family = SURNAMES[n % SURNAMES.len()];
    let adult = |first: &str| Adult {
        civility_id: None,
        birth_name: family.into(),
        usage_name: None,
        first_names: Some(first.into()),
        address: Address {
            street: Some(format!("{} rue des Lilas", n + 1)),
            city: Some("Bourges".into()),
            ..Address::default()
        },
        phone: None,
        email: None,
    };
    let child = |k: usize| ChildInput {
        person_id: None,
        person: Person {
            birth_name: family.into(),
            usage_name: None,
            first_names: FIRST_NAMES[(n + k) % FIRST_NAMES.len()].into(),
            sex: if k == 0 { Sex::Female } else { Sex::Male },
            birth: BirthDate::Exact(
                if k == 0 { "2016-05-12" } else { "2019-09-03" }
                    .parse()
                    .unwrap(),
            ),
        },
        address: Address::default(),
        csp_father_id: None,
        csp_mother_id: None,
        lieu_de_vie_id: None,
        comment: None,
        adults: (0..2)
            .map(|adult| AdultLink {
                adult,
                link_id: link,
                parental_authority: true,
            })
            .collect(),
        authors: vec![],
        motif_ids: vec![],
        evaluation_result_id: None,
        conclusion: None,
    };
    DossierInput {
        header: Header {
            received_at: "2026-08-28T09:00:00Z".parse().unwrap(),
            type_id: p(ParamKind::DossierType, "IP"),
            danger_grave: false,
            violence_conjugale: false,
            sip: false,
            receiving_agent_id: None,
            channel_id: p(ParamKind::Channel, "TEL"),
            snated_number: None,
            territory_id: territory,
            status: DossierStatus::EnEvaluation,
            expose: None,
            observation: None,
        },
        source: Source::anonymous(Some(p(ParamKind::SourceCategory, "EN"))),
        adults: vec![adult("Camille"), adult("Dominique")],
        children: (0..1 + n % 2).map(child).collect(),
        assignments: vec![AssignmentInput {
            service_id: service,
            asked_on: "2026-09-01".parse().unwrap(),
            due_on: "2026-10-15".parse().unwrap(),
            evaluators: vec![],
            returned_on: None,
            result_id: None,
            cancelled: false,
            comment: None,
        }],
        follow_ups: vec![],
    }
}

async fn world(db: &TestDb, services: usize, per_service: usize) -> World {
    let s = &db.store;
    let a = Actor::system();
    let territory = add_territory(s, now(), &a, "T1", "MDS Nord").await;
    let cat = s.catalog().await.unwrap();
    let mut n = 0;
    for k in 1..=services {
        let label = format!("Service d'évaluation {k:03}");
        let service = add_service(s, now(), &a, territory, &format!("S{k:03}"), &label).await;
        let address = format!("{label}\n{k} avenue Jean Jaurès\n18000 Bourges");
        let email = format!("evaluation{k:03}@departement.test");
        s.set_service_contact(now(), &a, service, &address, Some(&email))
            .await
            .unwrap();
        for _ in 0..per_service {
            let input = dossier_input(&cat, territory, service, n);
            s.create_dossier(now(), &a, &input).await.unwrap();
            n += 1;
        }
    }
    let agent = s
        .add_user(
            now(),
            &a,
            &NewUser {
                login: "agent".into(),
                display_name: "Agent CRIP".into(),
                password_hash: "x".into(),
                role: Role::AgentCrip,
                territories: vec![],
                service_id: None,
                demo: false,
            },
        )
        .await
        .unwrap();
    World {
        store: s.clone(),
        territory,
        agent,
        services,
        evaluations: n,
    }
}

/// The router with its clock stopped at `at`, and a session of the agent opened then.
struct Server {
    app: Router,
    cookie: String,
}

async fn server(w: &World, at: DateTime<Utc>, config: WebConfig) -> Server {
    let token = w
        .store
        .open_session(at, w.agent, None, SessionPolicy::default())
        .await
        .unwrap();
    let state = AppState::new(w.store.clone(), config, vigie_web::Clock::fixed(at));
    Server {
        app: vigie_web::app(state),
        cookie: format!("vigie_session={token}"),
    }
}

/// A request with the session; fails the bench unless the answer is `expected`. The answer's
/// `Location` (if any) and body.
async fn request(
    srv: &Server,
    method: Method,
    uri: &str,
    form: Option<String>,
    expected: StatusCode,
) -> (Option<String>, Bytes) {
    let mut req = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(header::HOST, "vigie.test")
        .header(header::COOKIE, &srv.cookie);
    if form.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let req = req.body(form.map_or_else(Body::empty, Body::from)).unwrap();
    let res = srv.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        status,
        expected,
        "{method} {uri}: {}",
        String::from_utf8_lossy(&body[..body.len().min(2000)])
    );
    (location, body)
}

/// What a batch made: its id, its letters (services), its evaluations, its letters with a PDF.
struct Made {
    id: i64,
    letters: usize,
    evaluations: usize,
    pdfs: usize,
    secs: f64,
}

/// `POST /echeances/relances` for the territory in DOCX (303), timed; then its page (200) and
/// the batch as recorded.
async fn run_batch(w: &World, srv: &Server) -> Made {
    let form = format!("territoire={}&service=&format=docx", w.territory);
    let started = Instant::now();
    let (location, _) = request(
        srv,
        Method::POST,
        "/echeances/relances",
        Some(form),
        StatusCode::SEE_OTHER,
    )
    .await;
    let secs = started.elapsed().as_secs_f64();
    let location = location.expect("Location of the batch");
    let id: i64 = location
        .strip_prefix("/echeances/relances/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("unexpected Location {location}"));
    request(srv, Method::GET, &location, None, StatusCode::OK).await;
    let batch = w.store.reminder_batch(&Scope::All, id).await.unwrap();
    Made {
        id,
        letters: batch.letters.len(),
        evaluations: batch.letters.iter().map(|l| l.evaluations).sum(),
        pdfs: batch
            .letters
            .iter()
            .filter(|l| l.pdf_document_id.is_some())
            .count(),
        secs,
    }
}

/// The pages of a PDF: `pdfinfo` when on the PATH, else the `/Type /Page` objects counted.
fn pages(pdf: &[u8]) -> usize {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), pdf).unwrap();
    let info = std::process::Command::new("pdfinfo")
        .arg(file.path())
        .output();
    if let Some(out) = info.ok().filter(|o| o.status.success()) {
        let text = String::from_utf8_lossy(&out.stdout);
        if let Some(n) = text
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
        {
            return n;
        }
    }
    let mut count = 0;
    let mut rest = pdf;
    while let Some(at) = rest.windows(5).position(|w| w == b"/Type") {
        rest = &rest[at + 5..];
        let skip = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let after = &rest[skip..];
        if after.starts_with(b"/Page") && after.get(5).is_none_or(|b| !b.is_ascii_alphanumeric()) {
            count += 1;
        }
    }
    count
}

/// A batch that did not remind what it should is said, not failed (the bench fails only when
/// a request does).
fn check(w: &World, m: &Made, pdfs: usize) {
    if (m.letters, m.evaluations, m.pdfs) != (w.services, w.evaluations, pdfs) {
        println!(
            "    ATTENTION : attendu {} courriers, {} évaluations, {pdfs} PDF",
            w.services, w.evaluations
        );
    }
}

fn print_batch(what: &str, m: &Made) {
    println!(
        "  {what} : lot {} — {} services, {} courriers, {} évaluations relancées, {} PDF ; \
         {:.2} s, {:.1} courriers/s ; RSS max du serveur {:.0} Mio",
        m.id,
        m.letters,
        m.letters,
        m.evaluations,
        m.pdfs,
        m.secs,
        m.letters as f64 / m.secs,
        peak_mib()
    );
}

/// Phase 2: the batch with PDF, a day later; then the merged PDF. The batch's time.
async fn pdf_phase(w: &World, docx_secs: f64) {
    let mut config = WebConfig::default();
    config.pdf.workers = env_usize("VIGIE_PDF_WORKERS", 2);
    config.pdf.timeout = Duration::from_secs(120);
    if let Some(reason) = vigie_letters::unavailable_reason(&config.pdf) {
        println!("  phase PDF sautée : {reason}");
        return;
    }
    let workers = config.pdf.workers;
    let srv = server(w, now() + chrono::Duration::days(1), config).await;
    reset_peak();
    let stop = Arc::new(AtomicBool::new(false));
    let lo_peak = Arc::new(AtomicU64::new(0));
    let watcher = watch_libreoffice(stop.clone(), lo_peak.clone());
    let made = run_batch(w, &srv).await;
    stop.store(true, Ordering::Relaxed);
    watcher.join().unwrap();
    print_batch(
        &format!("DOCX + PDF ({workers} processus LibreOffice à la fois)"),
        &made,
    );
    println!(
        "    RSS max des processus LibreOffice ensemble {:.0} Mio ; rapport temps PDF / temps DOCX : {:.1}",
        lo_peak.load(Ordering::Relaxed) as f64 / 1024.0,
        made.secs / docx_secs
    );
    check(w, &made, made.letters);
    reset_peak();
    let started = Instant::now();
    let (_, pdf) = request(
        &srv,
        Method::GET,
        &format!("/echeances/relances/{}/pdf", made.id),
        None,
        StatusCode::OK,
    )
    .await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  PDF du lot ({} courriers fusionnés) : {secs:.2} s, {:.2} Mo, {} pages ; RSS max du serveur {:.0} Mio",
        made.letters,
        pdf.len() as f64 / 1_000_000.0,
        pages(&pdf),
        peak_mib()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let services = env_usize("VIGIE_REMINDERS_SERVICES", 100);
    let per_service = env_usize("VIGIE_REMINDERS_PER_SERVICE", 3);
    let backends =
        std::env::var("VIGIE_REMINDERS_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    for backend in backends.split(',').map(str::trim) {
        let db = match backend {
            "postgres" => TestDb::postgres()
                .await
                .expect("PostgreSQL at 127.0.0.1:5432"),
            _ => TestDb::sqlite().await,
        };
        let started = Instant::now();
        let w = world(&db, services, per_service).await;
        println!(
            "— {backend} : {} services, {} dossiers en retard d'évaluation (créés en {:.1} s)",
            w.services,
            w.evaluations,
            started.elapsed().as_secs_f64()
        );
        // Phase 1: no LibreOffice pool (the program does not exist), letters in DOCX only.
        let mut config = WebConfig::default();
        config.pdf.program = Some("/nonexistent/soffice".into());
        let srv = server(&w, now(), config).await;
        reset_peak();
        let made = run_batch(&w, &srv).await;
        print_batch("DOCX sans PDF", &made);
        check(&w, &made, 0);
        drop(srv);
        pdf_phase(&w, made.secs).await;
        drop(w);
        db.finish().await;
    }
}
