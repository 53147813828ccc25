//! Uploads benchmark, in process (the application's router, its store on a fresh database of
//! each backend): a 20 MB PDF (20,000,000 bytes: a header, a stream of filler without
//! `/Encrypt`, a trailer) and a 20 MB DOCX (a ZIP built here: `[Content_Types].xml`, a
//! `word/document.xml` of about 1 MB, a 19 MB `word/media/image1.png` of random bytes stored
//! uncompressed) uploaded through `POST /dossiers/{id}/documents` (multipart, category
//! `EVAL`, no antivirus), each round, then downloaded through `GET /documents/{id}` and
//! compared byte for byte. Prints, per backend and operation, the median time, the throughput,
//! the peak RSS of this process (the server and the client that holds the file) during the
//! request — the peak is reset before each one through `/proc/self/clear_refs` — and the RSS
//! just before it: the difference is what the request adds (an upload buffers the body, the
//! type inspection reads a copy, the store writes it in chunks). The RSS before includes what
//! the allocator kept from earlier requests (glibc raises its mmap threshold once a large block
//! is freed, so later 20 MB buffers come from memory already resident): what a request adds is
//! truest on the first upload of the process; run one backend alone
//! (`VIGIE_UPLOADS_BACKENDS=postgres`) for its own. Figures, never assertions on time: it fails
//! only when a request does or a downloaded file differs.
//!
//! `cargo bench -p vigie-web --bench uploads` (environment: `VIGIE_UPLOADS_BACKENDS`, default
//! `sqlite,postgres`; `VIGIE_UPLOADS_ROUNDS`, default 3).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::time::Instant;

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
use vigie_web::documents::upload::UploadSettings;
use vigie_web::{AppState, WebConfig};

mod common;
use common::{env_usize, mib, reset_peak};

/// The size of each file: 20 MB.
const SIZE: usize = 20_000_000;
/// The DOCX's image part: 19 MB.
const IMAGE: usize = 19_000_000;
const BOUNDARY: &str = "----vigie-bench-boundary";

/// Pseudo-random bytes (xorshift64*): incompressible, reproducible, no dependency.
fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A PDF of exactly [`SIZE`] bytes: a catalog, one stream object of random filler (no `/`, so
/// no `/Encrypt`), a trailer and `%%EOF`.
fn pdf() -> Vec<u8> {
    let head = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n";
    let tail = b"\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    // The stream's dictionary names its length: its digits do not change with the filler's
    // size here (8 digits).
    let dict = |n: usize| format!("2 0 obj << /Length {n} >>\nstream\n");
    let filler_len = SIZE - head.len() - tail.len() - dict(10_000_000).len();
    let mut filler = random_bytes(filler_len, 0x5EED_0001);
    for b in &mut filler {
        if *b == b'/' {
            *b = b'.';
        }
    }
    let mut out = Vec::with_capacity(SIZE);
    out.extend_from_slice(head);
    out.extend_from_slice(dict(filler_len).as_bytes());
    out.extend_from_slice(&filler);
    out.extend_from_slice(tail);
    assert!(!out.windows(8).any(|w| w == b"/Encrypt"));
    out
}

/// A DOCX of `[Content_Types].xml` (deflated), `word/document.xml` of `text` bytes and
/// `word/media/image1.png` of [`IMAGE`] random bytes, both stored.
fn docx_with(text: usize, image: &[u8]) -> Vec<u8> {
    const CONTENT_TYPES: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"png\" ContentType=\"image/png\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
    let head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>";
    let tail = "</w:body></w:document>";
    let para = "<w:p><w:r><w:t>Rapport d'évaluation : situation de l'enfant, entretiens, conclusion.</w:t></w:r></w:p>";
    let mut xml = String::with_capacity(text);
    xml.push_str(head);
    while xml.len() + para.len() + tail.len() <= text {
        xml.push_str(para);
    }
    while xml.len() + tail.len() < text {
        xml.push(' ');
    }
    xml.push_str(tail);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::with_capacity(SIZE)));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("[Content_Types].xml", deflated).unwrap();
    w.write_all(CONTENT_TYPES).unwrap();
    w.start_file("word/document.xml", stored).unwrap();
    w.write_all(xml.as_bytes()).unwrap();
    w.start_file("word/media/image1.png", stored).unwrap();
    w.write_all(image).unwrap();
    w.finish().unwrap().into_inner()
}

/// A DOCX of exactly [`SIZE`] bytes: `word/document.xml` fills what the image and the ZIP's
/// headers leave (stored parts: the archive grows byte for byte with it).
fn docx() -> Vec<u8> {
    let mut image = b"\x89PNG\r\n\x1A\n".to_vec();
    image.extend_from_slice(&random_bytes(IMAGE - image.len(), 0x5EED_0002));
    let probe = docx_with(1_000_000, &image);
    let text = 1_000_000 + SIZE - probe.len();
    docx_with(text, &image)
}

/// A `multipart/form-data` body: the category, then the file.
fn multipart(category: i64, name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(bytes.len() + 512);
    write!(
        b,
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"categorie\"\r\n\r\n{category}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"fichiers\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .unwrap();
    b.extend_from_slice(bytes);
    write!(b, "\r\n--{BOUNDARY}--\r\n").unwrap();
    b
}

struct World {
    app: Router,
    cookie: String,
    dossier: i64,
    category: i64,
    store: Store,
}

/// The dossier of the letters benchmark (two parents, three children, assigned to a service),
/// an agent CRIP with a session, the default upload settings (20 MiB a file, no antivirus).
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
    let config = WebConfig {
        uploads: UploadSettings {
            clamav: None,
            ..UploadSettings::default()
        },
        ..WebConfig::default()
    };
    let state = AppState::new(s.clone(), config, vigie_web::Clock::fixed(now()));
    World {
        app: vigie_web::app(state),
        cookie: format!("vigie_session={token}"),
        dossier,
        category: p(ParamKind::DocumentCategory, "EVAL"),
        store: s.clone(),
    }
}

/// One request's figures.
#[derive(Debug, Clone, Copy)]
struct Measure {
    secs: f64,
    /// RSS just before the request, MiB.
    before: f64,
    /// Peak RSS during it, MiB.
    peak: f64,
}

/// Resets the peak, notes the RSS, then runs `f` and notes the time and the peak.
async fn measure<F: Future<Output = T>, T>(f: impl FnOnce() -> F) -> (T, Measure) {
    reset_peak();
    let before = mib("VmRSS:");
    let started = Instant::now();
    let out = f().await;
    let secs = started.elapsed().as_secs_f64();
    let peak = mib("VmHWM:");
    (out, Measure { secs, before, peak })
}

/// Uploads one file; returns the id of the document stored.
async fn upload(w: &World, name: &str, bytes: &[u8]) -> (i64, Measure) {
    let body = multipart(w.category, name, bytes);
    let ((), m) = measure(|| async {
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/dossiers/{}/documents", w.dossier))
            .header(header::HOST, "vigie.test")
            .header(header::COOKIE, &w.cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Body::from(body))
            .unwrap();
        let res = w.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let page = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            (status, location.as_str()),
            (
                StatusCode::SEE_OTHER,
                format!("/dossiers/{}/documents?deposes=1", w.dossier).as_str()
            ),
            "upload of {name}: {}",
            String::from_utf8_lossy(&page)
        );
    })
    .await;
    let newest = w
        .store
        .documents(&Scope::All, true, w.dossier)
        .await
        .unwrap()[0]
        .id;
    (newest, m)
}

/// Downloads document `id` and compares it, chunk by chunk, with `expected`.
async fn download(w: &World, id: i64, name: &str, expected: &[u8]) -> Measure {
    let ((), m) = measure(|| async {
        let req = Request::builder()
            .uri(format!("/documents/{id}"))
            .header(header::HOST, "vigie.test")
            .header(header::COOKIE, &w.cookie)
            .body(Body::empty())
            .unwrap();
        let res = w.app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "download of {name}");
        let mut body = res.into_body();
        let mut at = 0usize;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                let end = at + data.len();
                assert!(
                    end <= expected.len() && expected[at..end] == data[..],
                    "download of {name}: bytes {at}..{end} differ from the upload"
                );
                at = end;
            }
        }
        assert_eq!(at, expected.len(), "download of {name}: length differs");
    })
    .await;
    m
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn row(operation: &str, bytes: usize, ms: &[Measure]) {
    let secs = median(ms.iter().map(|m| m.secs).collect());
    let before = median(ms.iter().map(|m| m.before).collect());
    let peak = ms.iter().map(|m| m.peak).fold(0.0, f64::max);
    let added = ms.iter().map(|m| m.peak - m.before).fold(0.0, f64::max);
    println!(
        "  {operation:<22} {:>9.0} {:>8.1} {before:>12.0} {peak:>10.0} {added:>9.0}",
        secs * 1000.0,
        bytes as f64 / 1e6 / secs,
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rounds = env_usize("VIGIE_UPLOADS_ROUNDS", 3).max(1);
    let backends =
        std::env::var("VIGIE_UPLOADS_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let pdf = pdf();
    let docx = docx();
    println!(
        "PDF {} bytes, DOCX {} bytes ({} byte image stored); {rounds} round(s) per backend",
        pdf.len(),
        docx.len(),
        IMAGE
    );
    for backend in backends.split(',').map(str::trim) {
        let db = match backend {
            "postgres" => TestDb::postgres()
                .await
                .expect("PostgreSQL at 127.0.0.1:5432"),
            _ => TestDb::sqlite().await,
        };
        let w = world(&db).await;
        let (mut up_pdf, mut up_docx, mut down_pdf, mut down_docx) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let (pdf_id, m) = upload(&w, &format!("rapport-{round}.pdf"), &pdf).await;
            up_pdf.push(m);
            let (docx_id, m) = upload(&w, &format!("rapport-{round}.docx"), &docx).await;
            up_docx.push(m);
            down_pdf.push(download(&w, pdf_id, "PDF", &pdf).await);
            down_docx.push(download(&w, docx_id, "DOCX", &docx).await);
        }
        println!("— {} ({rounds} round(s))", db.backend);
        println!(
            "  {:<22} {:>9} {:>8} {:>12} {:>10} {:>9}",
            "operation", "median ms", "MB/s", "RSS before", "peak RSS", "added"
        );
        println!(
            "  {:<22} {:>9} {:>8} {:>12} {:>10} {:>9}",
            "", "", "", "MiB (med.)", "MiB (max)", "MiB (max)"
        );
        row("upload PDF 20 MB", pdf.len(), &up_pdf);
        row("upload DOCX 20 MB", docx.len(), &up_docx);
        row("download PDF 20 MB", pdf.len(), &down_pdf);
        row("download DOCX 20 MB", docx.len(), &down_docx);
        drop(w);
        db.finish().await;
    }
    println!(
        "RSS of this process (server and client); added = peak during the request − RSS just \
         before it, the largest of the rounds (memory the allocator kept from earlier requests \
         is reused without showing)."
    );
}
