//! Letters benchmark, in process (the application's router, its store on a fresh database of
//! each backend): 100 letters generated as DOCX through « Générer » (50 requests, one letter to
//! each of two parents), then 100 letters with their PDF through the LibreOffice pool (4
//! requests at a time for a pool of `VIGIE_PDF_WORKERS`, default 2); a 20 MB document stored and
//! downloaded through `/documents/{id}`. Prints letters per second, the peak RSS of this
//! process (the server) during each phase — the peak is reset between phases through
//! `/proc/self/clear_refs` — and the peak RSS of the LibreOffice processes. Figures, never
//! assertions on time: it fails only when a request does.
//!
//! `cargo bench -p vigie-web --bench letters` (environment: `VIGIE_LETTERS_BACKENDS`, default
//! `sqlite,postgres`; `VIGIE_LETTERS_COUNT`, default 100; `VIGIE_PDF_WORKERS`, default 2).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigie_domain::*;
use vigie_store::sessions::SessionPolicy;
use vigie_store::testing::{TestDb, add_service, add_territory, now};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};
use vigie_web::{AppState, WebConfig};

mod common;
use common::{env_usize, peak_mib, reset_peak, watch_libreoffice};

struct World {
    app: Router,
    cookie: String,
    dossier: i64,
    store: Store,
}

async fn world(db: &TestDb) -> World {
    let s = &db.store;
    let a = Actor::system();
    let t1 = add_territory(s, now(), &a, "T1", "MDS Nord").await;
    let s1 = add_service(s, now(), &a, t1, "S1", "Évaluation Nord").await;
    let cat = s.catalog().await.unwrap();
    let p = |k: ParamKind, c: &str| cat.of_kind(k).find(|v| v.code == c).unwrap().id;
    let link = cat.of_kind(ParamKind::Link).next().unwrap().id;
    let adult = |name: &str| Adult {
        civility_id: None,
        birth_name: name.into(),
        usage_name: None,
        first_names: Some("Camille".into()),
        address: Address {
            street: Some(format!("rue {name}")),
            city: Some("Bourges".into()),
            ..Address::default()
        },
        phone: None,
        email: None,
    };
    let child = |first: &str| ChildInput {
        person_id: None,
        person: Person {
            birth_name: "MARTIN".into(),
            usage_name: None,
            first_names: first.into(),
            sex: Sex::Female,
            birth: BirthDate::Exact("2018-03-01".parse().unwrap()),
        },
        address: Address::default(),
        csp_father_id: None,
        csp_mother_id: None,
        lieu_de_vie_id: None,
        comment: None,
        adults: vec![
            AdultLink {
                adult: 0,
                link_id: link,
                parental_authority: true,
            },
            AdultLink {
                adult: 1,
                link_id: link,
                parental_authority: true,
            },
        ],
        authors: vec![],
        motif_ids: vec![],
        evaluation_result_id: None,
        conclusion: None,
    };
    let input = DossierInput {
        header: Header {
            received_at: "2026-11-20T09:00:00Z".parse().unwrap(),
            type_id: p(ParamKind::DossierType, "IP"),
            danger_grave: false,
            violence_conjugale: false,
            sip: false,
            receiving_agent_id: None,
            channel_id: p(ParamKind::Channel, "TEL"),
            snated_number: None,
            territory_id: t1,
            status: DossierStatus::Recue,
            expose: None,
            observation: None,
        },
        source: Source::anonymous(Some(p(ParamKind::SourceCategory, "EN"))),
        adults: vec![adult("DURAND"), adult("MARTIN")],
        children: vec![child("Léa"), child("Tom"), child("Noé")],
        assignments: vec![AssignmentInput {
            service_id: s1,
            asked_on: "2026-11-21".parse().unwrap(),
            due_on: "2027-02-21".parse().unwrap(),
            evaluators: vec![],
            returned_on: None,
            result_id: None,
            cancelled: false,
            comment: None,
        }],
        follow_ups: vec![],
    };
    let (dossier, _) = s.create_dossier(now(), &a, &input).await.unwrap();
    let agent = s
        .add_user(
            now(),
            &a,
            &NewUser {
                login: "agent".into(),
                display_name: "Agent".into(),
                password_hash: "x".into(),
                role: Role::AgentCrip,
                territories: vec![],
                service_id: None,
                demo: false,
            },
        )
        .await
        .unwrap();
    let token = s
        .open_session(now(), agent, None, SessionPolicy::default())
        .await
        .unwrap();
    let mut config = WebConfig::default();
    config.pdf.workers = env_usize("VIGIE_PDF_WORKERS", 2);
    config.pdf.timeout = Duration::from_secs(120);
    let state = AppState::new(s.clone(), config, vigie_web::Clock::fixed(now()));
    World {
        app: vigie_web::app(state),
        cookie: format!("vigie_session={token}"),
        dossier,
        store: s.clone(),
    }
}

async fn post(w: &World, form: &str) {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/dossiers/{}/courriers", w.dossier))
        .header(header::HOST, "vigie.test")
        .header(header::COOKIE, &w.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap();
    let res = w.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{}",
        String::from_utf8_lossy(&body)
    );
}

/// Generates `letters` letters, two per request (one per parent), `parallel` requests at a time.
async fn generate(w: &Arc<World>, letters: usize, parallel: usize, form: &'static str) -> f64 {
    let started = Instant::now();
    let requests = letters / 2;
    let mut done = 0;
    while done < requests {
        let batch = parallel.min(requests - done);
        let mut tasks = Vec::new();
        for _ in 0..batch {
            let w = w.clone();
            tasks.push(tokio::spawn(async move { post(&w, form).await }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        done += batch;
    }
    started.elapsed().as_secs_f64()
}

async fn big_document(w: &World) -> (f64, f64, f64) {
    let bytes: Vec<u8> = (0..20 * 1024 * 1024)
        .map(|i: usize| (i.wrapping_mul(31) % 251) as u8)
        .collect();
    let started = Instant::now();
    let id = w
        .store
        .add_documents(
            now(),
            &Actor::system(),
            &Scope::All,
            &[vigie_store::documents::NewDocument {
                dossier_id: w.dossier,
                kind: "piece",
                title: "Document de 20 Mo".into(),
                template_code: None,
                template_version: None,
                recipient_kind: None,
                recipient_label: None,
                file_name: "gros.bin".into(),
                media_type: "application/octet-stream".into(),
                bytes: &bytes,
                confidential: false,
                names_source: false,
                category_id: None,
                version_of: None,
            }],
        )
        .await
        .unwrap()[0];
    let stored = started.elapsed().as_secs_f64();
    drop(bytes);
    reset_peak();
    let before = peak_mib();
    let started = Instant::now();
    let req = Request::builder()
        .uri(format!("/documents/{id}"))
        .header(header::HOST, "vigie.test")
        .header(header::COOKIE, &w.cookie)
        .body(Body::empty())
        .unwrap();
    let res = w.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.into_body();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            total += data.len();
        }
    }
    assert_eq!(total, 20 * 1024 * 1024);
    (stored, started.elapsed().as_secs_f64(), peak_mib() - before)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count = env_usize("VIGIE_LETTERS_COUNT", 100);
    let backends =
        std::env::var("VIGIE_LETTERS_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    for backend in backends.split(',').map(str::trim) {
        let db = match backend {
            "postgres" => TestDb::postgres()
                .await
                .expect("PostgreSQL at 127.0.0.1:5432"),
            _ => TestDb::sqlite().await,
        };
        let w = Arc::new(world(&db).await);
        println!("— {backend}");
        reset_peak();
        let secs = generate(
            &w,
            count,
            1,
            "modele=02-information-parents&format=docx&suivi=1",
        )
        .await;
        println!(
            "  {count} courriers DOCX : {secs:.1} s, {:.1} courriers/s ; RSS max du serveur {:.0} Mio",
            count as f64 / secs,
            peak_mib()
        );
        reset_peak();
        let stop = Arc::new(AtomicBool::new(false));
        let lo_peak = Arc::new(AtomicU64::new(0));
        let watcher = watch_libreoffice(stop.clone(), lo_peak.clone());
        let secs = generate(
            &w,
            count,
            4,
            "modele=02-information-parents&format=odt&pdf=1",
        )
        .await;
        stop.store(true, Ordering::Relaxed);
        watcher.join().unwrap();
        println!(
            "  {count} courriers ODT + PDF ({} conversions LibreOffice à la fois) : {secs:.1} s, {:.2} courriers/s ; \
             RSS max du serveur {:.0} Mio, des processus LibreOffice ensemble {:.0} Mio",
            env_usize("VIGIE_PDF_WORKERS", 2),
            count as f64 / secs,
            peak_mib(),
            lo_peak.load(Ordering::Relaxed) as f64 / 1024.0
        );
        let (stored, downloaded, rss) = big_document(&w).await;
        println!(
            "  document de 20 Mo : enregistré en {stored:.2} s, téléchargé en {downloaded:.2} s ; \
             hausse du RSS max du serveur pendant le téléchargement {rss:.0} Mio"
        );
        drop(w);
        db.finish().await;
    }
}
