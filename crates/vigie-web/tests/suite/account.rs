//! Strong authentication through the web layer, on SQLite and PostgreSQL: TOTP enrolment
//! with the server's QR code, second-factor login, replay refusal, recovery codes,
//! re-authentication, password change and policy, forced change, log out everywhere,
//! throttling by login and by address.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Duration;
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigie_domain::Role;
use vigie_store::authn::totp_code;
use vigie_store::testing::{TestDb, now, raw_sql};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};
use vigie_web::{AppState, WebConfig};

const PW: &str = "mot de passe de test";

struct Ctx {
    app: Router,
    db: TestDb,
}

async fn setup(db: TestDb) -> Ctx {
    let s: &Store = &db.store;
    let hash = vigie_store::password::hash(PW);
    for (login, role) in [("agent", Role::AgentCrip), ("resp", Role::ResponsableCrip)] {
        s.add_user(
            now(),
            &Actor::system(),
            &NewUser {
                login: login.into(),
                display_name: format!("Nom {login}"),
                password_hash: hash.clone(),
                role,
                territories: vec![],
                service_id: None,
                demo: false,
            },
        )
        .await
        .unwrap();
    }
    let state = AppState::new(
        s.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(now()),
    );
    Ctx {
        app: vigie_web::app(state),
        db,
    }
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Resp {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn cookie(&self) -> Option<String> {
        self.headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(';').next().unwrap().to_owned())
    }
}

async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    cookie: Option<&str>,
    form: Option<&str>,
    ip: &str,
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
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body =
        String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Resp {
        status,
        headers,
        body,
    }
}

const IP: &str = "192.0.2.10";

async fn password_step(ctx: &Ctx, login: &str, pw: &str) -> Resp {
    let form = format!("login={login}&password={}", pw.replace(' ', "+"));
    send(&ctx.app, Method::POST, "/connexion", None, Some(&form), IP).await
}

async fn actions(store: &Store) -> Vec<String> {
    store
        .audit_page(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

/// The base32 secret shown on the enrolment page (groups of four).
fn secret_of(page: &str) -> String {
    let start = page.find("<code class=\"secret\">").unwrap() + "<code class=\"secret\">".len();
    let end = start + page[start..].find("</code>").unwrap();
    page[start..end].replace(' ', "")
}

fn codes_of(page: &str) -> Vec<String> {
    page.split("<li><code>")
        .skip(1)
        .map(|s| s[..s.find("</code>").unwrap()].to_owned())
        .collect()
}

#[tokio::test]
async fn totp_enrolment_login_replay_recovery_and_reauthentication() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let store = ctx.db.store.clone();

        // Password step: a session that leads only to the second factor.
        let r = password_step(&ctx, "agent", PW).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/connexion/second-facteur");
        let partial = r.cookie().unwrap();
        for path in ["/", "/dossiers", "/compte", "/reauthentification"] {
            let r = send(app, Method::GET, path, Some(&partial), None, IP).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
            assert_eq!(r.location(), "/compte/second-facteur", "{path}");
        }
        let r = send(
            app,
            Method::GET,
            "/api/v1/dossiers",
            Some(&partial),
            None,
            IP,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);

        // Enrolment: QR code rendered by the server, the key written out, a first code.
        let page = send(
            app,
            Method::GET,
            "/compte/second-facteur",
            Some(&partial),
            None,
            IP,
        )
        .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("/compte/second-facteur/qr.svg"));
        let secret = secret_of(&page.body);
        assert_eq!(secret.len(), 32, "160-bit secret in base32: {secret}");
        let qr = send(
            app,
            Method::GET,
            "/compte/second-facteur/qr.svg",
            Some(&partial),
            None,
            IP,
        )
        .await;
        assert_eq!(qr.status, StatusCode::OK);
        assert_eq!(
            qr.headers[header::CONTENT_TYPE],
            "image/svg+xml; charset=utf-8"
        );
        assert!(qr.body.contains("<svg") && qr.body.len() > 1000);
        assert!(
            !qr.body.contains(&secret),
            "the secret is not in clear text in the image"
        );

        let bad = send(
            app,
            Method::POST,
            "/compte/second-facteur",
            Some(&partial),
            Some("code=000000"),
            IP,
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("Code incorrect"));
        assert_eq!(secret_of(&bad.body), secret, "the same pending secret");

        let first_code = totp_code(&secret, now()).unwrap();
        let ok = send(
            app,
            Method::POST,
            "/compte/second-facteur",
            Some(&partial),
            Some(&format!("code={first_code}")),
            IP,
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        let codes = codes_of(&ok.body);
        assert_eq!(codes.len(), 10, "{}", ok.body);
        let full = ok
            .cookie()
            .expect("a new session token after the second factor");
        assert_ne!(full, partial);
        let r = send(app, Method::GET, "/", Some(&partial), None, IP).await;
        assert_eq!(
            r.location(),
            "/connexion",
            "the password-only token is gone"
        );
        let r = send(app, Method::GET, "/dossiers", Some(&full), None, IP).await;
        assert_eq!(r.status, StatusCode::OK);

        // Recovery codes are stored hashed only.
        let stored: Vec<String> = store
            .audit_page(0, 10)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| e.detail)
            .collect();
        assert!(codes.iter().all(|c| stored.iter().all(|d| !d.contains(c))));

        // Next login: the code already used is refused (replay), a fresh one is accepted.
        send(app, Method::POST, "/deconnexion", Some(&full), Some(""), IP).await;
        let partial = password_step(&ctx, "agent", PW).await.cookie().unwrap();
        let page = send(
            app,
            Method::GET,
            "/connexion/second-facteur",
            Some(&partial),
            None,
            IP,
        )
        .await;
        assert_eq!(page.status, StatusCode::OK);
        let replay = send(
            app,
            Method::POST,
            "/connexion/second-facteur",
            Some(&partial),
            Some(&format!("code={first_code}")),
            IP,
        )
        .await;
        assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
        assert!(replay.body.contains("déjà utilisé"));
        assert!(replay.cookie().is_none());
        let next = totp_code(&secret, now() + Duration::seconds(30)).unwrap();
        let r = send(
            app,
            Method::POST,
            "/connexion/second-facteur",
            Some(&partial),
            Some(&format!("code={next}")),
            IP,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/");
        let full = r.cookie().unwrap();

        // A recovery code works once.
        send(app, Method::POST, "/deconnexion", Some(&full), Some(""), IP).await;
        let partial = password_step(&ctx, "agent", PW).await.cookie().unwrap();
        let form = format!("code={}", codes[0].to_lowercase());
        let r = send(
            app,
            Method::POST,
            "/connexion/second-facteur",
            Some(&partial),
            Some(&form),
            IP,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let full = r.cookie().unwrap();
        let p2 = password_step(&ctx, "agent", PW).await.cookie().unwrap();
        let again = send(
            app,
            Method::POST,
            "/connexion/second-facteur",
            Some(&p2),
            Some(&form),
            IP,
        )
        .await;
        assert_eq!(again.status, StatusCode::UNAUTHORIZED);

        // Logging in with both factors counts as a fresh authentication for 10 minutes; an
        // older one does not.
        raw_sql(&store, "UPDATE web_session SET reauth_at = NULL")
            .await
            .unwrap();
        // Re-authentication before a sensitive operation: refused without, then with
        // password + second factor the operation runs.
        let r = send(
            app,
            Method::POST,
            "/compte/codes-de-secours",
            Some(&full),
            Some(""),
            IP,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/reauthentification?retour=/compte");
        let wrong = format!("password=faux&code={}&retour=/compte", codes[1]);
        let r = send(
            app,
            Method::POST,
            "/reauthentification",
            Some(&full),
            Some(&wrong),
            IP,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let foreign = format!(
            "password={}&code={}&retour=https://ailleurs.example/",
            PW.replace(' ', "+"),
            codes[1]
        );
        let r = send(
            app,
            Method::POST,
            "/reauthentification",
            Some(&full),
            Some(&foreign),
            IP,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/", "never redirected to another site");
        let r = send(
            app,
            Method::POST,
            "/compte/codes-de-secours",
            Some(&full),
            Some(""),
            IP,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let renewed = codes_of(&r.body);
        assert_eq!(renewed.len(), 10);
        // The old codes stop working.
        let p3 = password_step(&ctx, "agent", PW).await.cookie().unwrap();
        let old = format!("code={}", codes[2]);
        let r = send(
            app,
            Method::POST,
            "/connexion/second-facteur",
            Some(&p3),
            Some(&old),
            IP,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);

        let trail = actions(&store).await;
        for a in [
            "connexion.mot_de_passe",
            "second_facteur.activation_echec",
            "second_facteur.activation",
            "connexion",
            "second_facteur.echec",
            "reauthentification.echec",
            "reauthentification",
            "second_facteur.codes_de_secours",
        ] {
            assert!(trail.iter().any(|x| x == a), "{a} missing from {trail:?}");
        }
        ctx.db.finish().await;
    }
}

async fn full_login(ctx: &Ctx, login: &str) -> String {
    full_login_with(ctx, login, PW, IP).await
}

async fn full_login_with(ctx: &Ctx, login: &str, pw: &str, ip: &str) -> String {
    let form = format!("login={login}&password={}", url_encode(pw));
    let r = send(&ctx.app, Method::POST, "/connexion", None, Some(&form), ip).await;
    let c = r
        .cookie()
        .unwrap_or_else(|| panic!("{login}: {} {}", r.status, r.body));
    ctx.db
        .store
        .testing_pass_second_factor(&c, now())
        .await
        .unwrap();
    c
}

#[tokio::test]
async fn password_change_policy_forced_change_and_logout_everywhere() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let a = full_login(&ctx, "agent").await;
        let b = full_login(&ctx, "agent").await;

        let post = |cookie: String, form: String| async move {
            send(
                app,
                Method::POST,
                "/compte/mot-de-passe",
                Some(&cookie),
                Some(&form),
                IP,
            )
            .await
        };
        let pw = PW.replace(' ', "+");
        // Wrong current password, mismatch, common password, login inside: 422, nothing changed.
        for (form, expected) in [
            (
                "current=faux&new=cheval-agrafe-pile-correcte&confirm=cheval-agrafe-pile-correcte"
                    .to_owned(),
                "Mot de passe actuel",
            ),
            (
                format!("current={pw}&new=cheval-agrafe-pile-correcte&confirm=autre-chose-encore"),
                "diffèrent",
            ),
            (
                format!("current={pw}&new=1qaz2wsx3edc&confirm=1qaz2wsx3edc"),
                "Nouveau mot de passe",
            ),
            (
                format!("current={pw}&new=moi-agent-2026!&confirm=moi-agent-2026!"),
                "identifiant",
            ),
            (
                format!("current={pw}&new=court&confirm=court"),
                "12 caractères",
            ),
        ] {
            let r = post(a.clone(), form).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{expected}");
            assert!(r.body.contains(expected), "{expected}: {}", r.body);
        }
        assert_eq!(
            password_step(&ctx, "agent", PW).await.status,
            StatusCode::SEE_OTHER
        );

        // A good passphrase (pasted, 150 characters): the other session is closed.
        let long = "une longue phrase de passe que l'on colle depuis un gestionnaire ".repeat(2)
            + "et qui dépasse largement cent vingt-huit caractères";
        assert!(long.chars().count() > 128);
        let enc: String = url_encode(&long);
        let r = post(a.clone(), format!("current={pw}&new={enc}&confirm={enc}")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/compte?ok=mot-de-passe");
        assert_eq!(
            send(app, Method::GET, "/compte", Some(&a), None, IP)
                .await
                .status,
            StatusCode::OK
        );
        let r = send(app, Method::GET, "/compte", Some(&b), None, IP).await;
        assert_eq!(r.location(), "/connexion", "the other session is closed");
        assert_eq!(
            password_step(&ctx, "agent", PW).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            password_step(&ctx, "agent", &long).await.status,
            StatusCode::SEE_OTHER
        );

        // A forced change (after an administrator's reset): every page leads to « Mon compte ».
        raw_sql(
            &ctx.db.store,
            "UPDATE app_user SET must_change_password = TRUE WHERE login = 'resp'",
        )
        .await
        .unwrap();
        let c = full_login(&ctx, "resp").await;
        let r = send(app, Method::GET, "/dossiers", Some(&c), None, IP).await;
        assert_eq!(r.location(), "/compte");
        let r = send(app, Method::GET, "/compte", Some(&c), None, IP).await;
        assert!(r.body.contains("choisissez-en un nouveau"));
        let r = post(
            c.clone(),
            format!(
                "current={pw}&new=cheval-agrafe-pile-correcte&confirm=cheval-agrafe-pile-correcte"
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = send(app, Method::GET, "/dossiers", Some(&c), None, IP).await;
        assert_eq!(r.status, StatusCode::OK);

        // Log out everywhere: both sessions end.
        let d = full_login_with(&ctx, "resp", "cheval-agrafe-pile-correcte", IP).await;
        let r = send(
            app,
            Method::POST,
            "/compte/deconnexion-partout",
            Some(&c),
            Some(""),
            IP,
        )
        .await;
        assert_eq!(r.location(), "/connexion");
        assert_eq!(
            r.headers["clear-site-data"], "\"cache\", \"cookies\", \"storage\"",
            "the browser forgets what it kept"
        );
        for s in [&c, &d] {
            assert_eq!(
                send(app, Method::GET, "/", Some(s), None, IP)
                    .await
                    .location(),
                "/connexion"
            );
        }
        let trail = actions(&ctx.db.store).await;
        for x in [
            "mot_de_passe.echec",
            "mot_de_passe.changement",
            "deconnexion.partout",
        ] {
            assert!(trail.iter().any(|t| t == x), "{x} missing");
        }
        ctx.db.finish().await;
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn throttling_by_login_and_by_address_and_expired_sessions() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        // Five failures on an existing login and on an unknown one: same answer each time.
        for login in ["agent", "inconnu"] {
            for _ in 0..5 {
                let r = password_step(&ctx, login, "mauvais mot de passe").await;
                assert_eq!(r.status, StatusCode::UNAUTHORIZED);
                assert!(r.body.contains("Identifiant ou mot de passe incorrect."));
            }
            // Five more (recorded directly, so that the delay, 32 s, outlasts a slow machine):
            // the next attempt waits, even with the right password.
            let key = ctx.db.store.login_key(login).await.unwrap();
            for _ in 0..5 {
                ctx.db
                    .store
                    .record_failed_attempt(now(), "connexion.echec", &key, None, None)
                    .await
                    .unwrap();
            }
            let r = password_step(&ctx, login, PW).await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{login}");
            assert!(
                r.body.contains("Trop de tentatives pour cet identifiant"),
                "{}",
                r.body
            );
            assert!(r.headers.get(header::RETRY_AFTER).is_some());
            assert!(r.cookie().is_none());
        }
        // Another login from the same address is not delayed.
        assert_eq!(
            password_step(&ctx, "resp", PW).await.status,
            StatusCode::SEE_OTHER
        );

        // 100 failures from one address within the hour: that address gets 429.
        let store = &ctx.db.store;
        for i in 0..90 {
            store
                .record_failed_attempt(
                    now(),
                    "connexion.echec",
                    &format!("cle-{i}"),
                    None,
                    Some(IP.into()),
                )
                .await
                .unwrap();
        }
        let r = password_step(&ctx, "resp", PW).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.body.contains("depuis cette adresse"));
        let other = send(
            app,
            Method::POST,
            "/connexion",
            None,
            Some(&format!("login=resp&password={}", PW.replace(' ', "+"))),
            "198.51.100.7",
        )
        .await;
        assert_eq!(
            other.status,
            StatusCode::SEE_OTHER,
            "another address still logs in"
        );

        // An idle session and an expired one lead back to the login page.
        let c = full_login_with(&ctx, "resp", PW, "198.51.100.7").await;
        assert_eq!(
            send(app, Method::GET, "/compte", Some(&c), None, "198.51.100.7")
                .await
                .status,
            StatusCode::OK
        );
        raw_sql(
            store,
            "UPDATE web_session SET last_seen_at = '2020-01-01T00:00:00Z'",
        )
        .await
        .unwrap();
        assert_eq!(
            send(app, Method::GET, "/compte", Some(&c), None, "198.51.100.7")
                .await
                .location(),
            "/connexion"
        );
        let trail = actions(store).await;
        assert!(trail.iter().any(|t| t == "connexion.refusee"));
        assert_eq!(
            trail.last().map(String::as_str),
            Some("session.invalide"),
            "the expired cookie is traced"
        );
        // Traced once, naming its user: the session is closed, the same cookie again is a
        // cookie that names nobody (counted per address and minute, not one entry each).
        let n = trail.len();
        for _ in 0..5 {
            send(app, Method::GET, "/compte", Some(&c), None, "198.51.100.7").await;
        }
        assert_eq!(actions(store).await.len(), n, "no entry per request");
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn the_client_address_comes_from_a_trusted_proxy_only() {
    let db = TestDb::sqlite().await;
    let ctx = setup(db).await;
    let state = AppState::new(
        ctx.db.store.clone(),
        WebConfig {
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
            ..WebConfig::default()
        },
        vigie_web::Clock::fixed(now()),
    );
    let app = vigie_web::app(state);
    let attempt = |peer: &'static str, xff: &'static str| {
        let app = app.clone();
        async move {
            let mut req = Request::builder()
                .method(Method::POST)
                .uri("/connexion")
                .header(header::HOST, "vigie.test")
                .header("x-forwarded-for", xff)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("login=agent&password=faux"))
                .unwrap();
            let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
            req.extensions_mut().insert(ConnectInfo(addr));
            app.oneshot(req).await.unwrap().status()
        }
    };
    // Through the proxy: the client is the last address the proxy added.
    assert_eq!(
        attempt("127.0.0.1", "10.9.9.9, 203.0.113.5").await,
        StatusCode::UNAUTHORIZED
    );
    // From anywhere else, X-Forwarded-For is ignored (it could be forged).
    assert_eq!(
        attempt("198.51.100.20", "203.0.113.99").await,
        StatusCode::UNAUTHORIZED
    );
    let ips: Vec<Option<String>> = ctx
        .db
        .store
        .audit_page(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "connexion.echec")
        .map(|e| e.ip)
        .collect();
    assert_eq!(
        ips,
        vec![
            Some("203.0.113.5".to_owned()),
            Some("198.51.100.20".to_owned())
        ]
    );
    ctx.db.finish().await;
}

#[tokio::test]
async fn behind_tls_cookies_are_secure_and_hsts_is_sent() {
    let db = TestDb::sqlite().await;
    let ctx = setup(db).await;
    let plain = send(&ctx.app, Method::GET, "/connexion", None, None, IP).await;
    assert!(
        plain
            .headers
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_none()
    );
    let app = vigie_web::app(AppState::new(
        ctx.db.store.clone(),
        WebConfig {
            behind_tls: true,
            ..WebConfig::default()
        },
        vigie_web::Clock::fixed(now()),
    ));
    let page = send(&app, Method::GET, "/connexion", None, None, IP).await;
    assert_eq!(
        page.headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=63072000; includeSubDomains"
    );
    let form = format!("login=agent&password={}", PW.replace(' ', "+"));
    let r = send(&app, Method::POST, "/connexion", None, Some(&form), IP).await;
    let set = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set.contains("; Secure") && set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    ctx.db.finish().await;
}
