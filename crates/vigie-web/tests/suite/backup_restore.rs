//! What users see after a restore, on both backends and across them: a dossier reads
//! identically through the API (the same JSON), a document downloads with the same bytes,
//! an agent logs in with the same password and second factor (its TOTP secret, sealed
//! under the instance key, comes back), and the replay of a code already used stays refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigie_domain::{Role, Scope};
use vigie_store::authn::totp_code;
use vigie_store::documents::NewDocument;
use vigie_store::testing::{PG_APP_ROLE, TestDb, keyed, now, test_ring};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};
use vigie_web::{AppState, WebConfig};

const PW: &str = "mot de passe de test";
const IP: &str = "192.0.2.10";

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn cookie(&self) -> String {
        let v = self
            .headers
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap();
        v.split(';').next().unwrap().to_owned()
    }
}

fn app(store: &Store, at: DateTime<Utc>) -> Router {
    vigie_web::app(AppState::new(
        store.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(at),
    ))
}

async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> Resp {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "vigie.test");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    let mut req = match form {
        Some(f) => b
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(f.to_owned()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let addr: SocketAddr = format!("{IP}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

async fn password_step(app: &Router) -> String {
    let form = format!("login=agent&password={}", PW.replace(' ', "+"));
    let r = send(app, Method::POST, "/connexion", None, Some(&form)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    r.cookie()
}

/// An agent enrols a TOTP through the pages; returns the secret and the full session.
async fn enrol(app: &Router) -> (String, String) {
    let partial = password_step(app).await;
    let page = send(
        app,
        Method::GET,
        "/compte/second-facteur",
        Some(&partial),
        None,
    )
    .await;
    let body = page.text();
    let start = body.find("<code class=\"secret\">").unwrap() + "<code class=\"secret\">".len();
    let secret = body[start..start + body[start..].find("</code>").unwrap()].replace(' ', "");
    let code = totp_code(&secret, now()).unwrap();
    let ok = send(
        app,
        Method::POST,
        "/compte/second-facteur",
        Some(&partial),
        Some(&format!("code={code}")),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    (secret, ok.cookie())
}

/// The agent, demo dossiers and a document of 300 kB on dossier 1; returns the document's id.
async fn fill(s: &Store) -> i64 {
    s.seed_demo_reference().await.unwrap();
    s.add_user(
        now(),
        &Actor::system(),
        &NewUser {
            login: "agent".into(),
            display_name: "Nom agent".into(),
            password_hash: vigie_store::password::hash(PW),
            role: Role::AgentCrip,
            territories: vec![],
            service_id: None,
            demo: false,
        },
    )
    .await
    .unwrap();
    s.generate_demo(now(), 5, 12, |_| {}).await.unwrap();
    let bytes: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(40_503) >> 7) as u8)
        .collect();
    s.add_documents(
        now(),
        &Actor::system(),
        &Scope::All,
        &[NewDocument {
            dossier_id: 1,
            kind: "piece",
            title: "Rapport".into(),
            template_code: None,
            template_version: None,
            recipient_kind: None,
            recipient_label: None,
            file_name: "rapport.pdf".into(),
            media_type: "application/pdf".into(),
            bytes: &bytes,
            confidential: false,
            names_source: false,
            category_id: None,
            version_of: None,
        }],
    )
    .await
    .unwrap()[0]
}

#[tokio::test]
async fn after_a_restore_users_read_download_and_log_in_as_before() {
    for source in TestDb::both().await {
        let doc = fill(&source.store).await;
        let before = app(&source.store, now());
        let (secret, cookie) = enrol(&before).await;
        let dossier = send(
            &before,
            Method::GET,
            "/api/v1/dossiers/1",
            Some(&cookie),
            None,
        )
        .await;
        assert_eq!(dossier.status, StatusCode::OK, "{}", dossier.text());
        let file = send(
            &before,
            Method::GET,
            &format!("/api/v1/documents/{doc}"),
            Some(&cookie),
            None,
        )
        .await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.body.len(), 300_000);

        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("a.age");
        let id = age::x25519::Identity::generate();
        vigie_backup::backup(
            &source.store,
            std::fs::File::create(&archive).unwrap(),
            &vigie_backup::Encryption::Recipients(vec![id.to_public()]),
            &serde_json::json!({}),
            now(),
            &vigie_backup::Silent,
        )
        .await
        .unwrap();
        let dec = vigie_backup::Decryption::Identities(vec![id]);

        for target in ["sqlite", "postgres"] {
            eprintln!("— {} → {target}", source.backend);
            let target_db = TestDb::empty(target).await.expect("PostgreSQL");
            let store = target_db.owner().await.clone();
            vigie_backup::restore(
                &store,
                &archive,
                &dec,
                &test_ring(),
                now(),
                &vigie_backup::Silent,
            )
            .await
            .unwrap();
            // The application's store (on PostgreSQL, its own role, granted after the restore).
            if store.has_roles() {
                store.grant_application_role(PG_APP_ROLE).await.unwrap();
            }
            let served = keyed(target_db.store.clone()).await;
            // A minute later: the code of the enrolment's step was used, the next one is not.
            let later = now() + Duration::seconds(60);
            let after = app(&served, later);
            let partial = password_step(&after).await;
            let used = totp_code(&secret, now()).unwrap();
            let r = send(
                &after,
                Method::POST,
                "/connexion/second-facteur",
                Some(&partial),
                Some(&format!("code={used}")),
            )
            .await;
            assert_ne!(
                r.status,
                StatusCode::SEE_OTHER,
                "a code used before the backup stays used"
            );
            let partial = password_step(&after).await;
            let code = totp_code(&secret, later).unwrap();
            let r = send(
                &after,
                Method::POST,
                "/connexion/second-facteur",
                Some(&partial),
                Some(&format!("code={code}")),
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
            let cookie = r.cookie();
            let again = send(
                &after,
                Method::GET,
                "/api/v1/dossiers/1",
                Some(&cookie),
                None,
            )
            .await;
            assert_eq!(again.status, StatusCode::OK);
            let (a, b): (serde_json::Value, serde_json::Value) = (
                serde_json::from_slice(&dossier.body).unwrap(),
                serde_json::from_slice(&again.body).unwrap(),
            );
            assert_eq!(a, b, "{} → {target} : le même dossier", source.backend);
            let file2 = send(
                &after,
                Method::GET,
                &format!("/api/v1/documents/{doc}"),
                Some(&cookie),
                None,
            )
            .await;
            assert_eq!(file2.status, StatusCode::OK);
            assert!(file2.body == file.body, "les mêmes octets");
            drop((store, served));
            target_db.finish().await;
        }
        source.finish().await;
    }
}
