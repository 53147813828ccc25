//! The web layer against a real store, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigie_domain::*;
use vigie_store::params_admin::{Table, ValueChange};
use vigie_store::testing::{TestDb, add_service, add_territory, now};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};
use vigie_web::{Access, AppState, WebConfig};

const PW: &str = "mot de passe de test";

struct Ctx {
    app: Router,
    db: TestDb,
    in_t1: i64,
    in_t2: i64,
}

async fn setup(db: TestDb, demo: bool) -> Ctx {
    let s: &Store = &db.store;
    let a = Actor::system();
    let t1 = add_territory(s, now(), &a, "T1", "MDS Bourges Nord").await;
    let t2 = add_territory(s, now(), &a, "T2", "MDS Vierzon").await;
    add_service(s, now(), &a, t1, "S1", "Évaluation Nord").await;
    add_service(s, now(), &a, t2, "S2", "Évaluation Vierzon").await;
    let hash = vigie_store::password::hash(PW);
    for (login, role, territories) in [
        ("admin", Role::Administrateur, vec![]),
        ("agent", Role::AgentCrip, vec![]),
        ("eval", Role::EvaluateurTerritorial, vec![t1]),
        ("stats", Role::LecteurStatistiques, vec![]),
    ] {
        s.add_user(
            now(),
            &a,
            &NewUser {
                login: login.into(),
                display_name: format!("Nom {login}"),
                password_hash: hash.clone(),
                role,
                territories,
                service_id: None,
                demo: false,
            },
        )
        .await
        .unwrap();
    }
    let cat = s.catalog().await.unwrap();
    let p = |k: ParamKind, c: &str| cat.of_kind(k).find(|v| v.code == c).unwrap().id;
    let mk = |territory: i64, name: &str| DossierInput {
        header: Header {
            received_at: "2026-11-20T09:00:00Z".parse().unwrap(),
            type_id: p(ParamKind::DossierType, "IP"),
            danger_grave: false,
            violence_conjugale: false,
            sip: false,
            receiving_agent_id: None,
            channel_id: p(ParamKind::Channel, "TEL"),
            snated_number: Some("SNATED-2026-000042".into()),
            territory_id: territory,
            status: DossierStatus::Recue,
            expose: Some("<script>alert('x')</script> Situation".into()),
            observation: None,
        },
        source: Source {
            category_id: Some(p(ParamKind::SourceCategory, "EN")),
            confidentiality: SourceConfidentiality::Confidential,
            name: Some("Mme Signalante".into()),
            organisation: Some("Collège Secret".into()),
            address: Address::default(),
            email: None,
            phone: Some("02 48 11 22 33".into()),
        },
        adults: vec![],
        children: vec![ChildInput {
            person_id: None,
            person: Person {
                birth_name: name.into(),
                usage_name: None,
                first_names: "Éloïse".into(),
                sex: Sex::Female,
                birth: BirthDate::Unknown,
            },
            address: Address::default(),
            csp_father_id: None,
            csp_mother_id: None,
            lieu_de_vie_id: None,
            comment: None,
            adults: vec![],
            authors: vec![],
            motif_ids: vec![],
            evaluation_result_id: None,
            conclusion: None,
        }],
        assignments: vec![],
        follow_ups: vec![],
    };
    let (in_t1, _) = s
        .create_dossier(now(), &a, &mk(t1, "Lefèvre"))
        .await
        .unwrap();
    let (in_t2, _) = s
        .create_dossier(now(), &a, &mk(t2, "Dubois"))
        .await
        .unwrap();
    let state = AppState::new(
        s.clone(),
        WebConfig {
            demo,
            ..WebConfig::default()
        },
        vigie_web::Clock::fixed(now()),
    );
    Ctx {
        app: vigie_web::app(state),
        db,
        in_t1,
        in_t2,
    }
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    cookie: Option<&str>,
    form: Option<&str>,
    extra: &[(&str, &str)],
) -> Resp {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "vigie.test");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    let req = match form {
        Some(f) => b
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(f.to_owned()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
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

/// Logs in through the password form, then marks the session as having passed the second
/// factor (the TOTP flow itself is tested in tests/suite/account.rs).
async fn login(ctx: &Ctx, who: &str) -> String {
    let cookie = password_login(&ctx.app, who).await;
    ctx.db
        .store
        .testing_pass_second_factor(&cookie, now())
        .await
        .unwrap();
    cookie
}

async fn password_login(app: &Router, who: &str) -> String {
    let r = send(
        app,
        Method::POST,
        "/connexion",
        None,
        Some(&format!("login={who}&password={}", PW.replace(' ', "+"))),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let set = r
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"),
        "{set}"
    );
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn every_route_is_registered_with_its_access_and_guarded() {
    let db = TestDb::sqlite().await;
    let ctx = setup(db, false).await;
    let state = AppState::new(
        ctx.db.store.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(now()),
    );
    let (_, specs) = vigie_web::routes::build(state);
    assert!(specs.len() >= 12);
    for spec in &specs {
        let uri = spec.path.replace("{id}", &ctx.in_t1.to_string());
        let r = send(&ctx.app, spec.method.clone(), &uri, None, Some(""), &[]).await;
        match spec.access {
            Access::Public => assert_ne!(r.status, StatusCode::NOT_FOUND, "{uri}"),
            _ if uri.starts_with("/api/") => {
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{} {uri}", spec.method)
            }
            _ => {
                assert_eq!(r.status, StatusCode::SEE_OTHER, "{} {uri}", spec.method);
                assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/connexion");
            }
        }
    }
    // Only these are public: a new route must say what it requires.
    let public: Vec<&str> = specs
        .iter()
        .filter(|s| s.access == Access::Public)
        .map(|s| s.path)
        .collect();
    assert_eq!(
        public,
        [
            "/healthz",
            "/static/vigie.css",
            "/static/vigie.js",
            "/static/htmx.min.js",
            "/connexion",
            "/connexion"
        ]
    );
    // Every dossier route requires the dossier permission; writing one, the write permission.
    for s in specs.iter().filter(|s| s.path.contains("dossiers")) {
        let write = s.path.ends_with("/nouveau")
            || s.path.ends_with("/modifier")
            // The API's dossier ready to modify (the body of a PUT).
            || s.path.ends_with("/edition")
            // The API writes by POST on the collection and PUT on a dossier.
            || (s.path == "/api/v1/dossiers" && s.method == Method::POST)
            || s.method == Method::PUT;
        assert_eq!(
            s.access,
            Access::Perm(if write {
                Permission::DossierWrite
            } else {
                Permission::DossierRead
            }),
            "{}",
            s.path
        );
    }
    assert_eq!(
        send(&ctx.app, Method::GET, "/nulle-part", None, None, &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    ctx.db.finish().await;
}

#[tokio::test]
async fn login_list_view_search_and_logout() {
    for db in TestDb::both().await {
        let ctx = setup(db, false).await;
        let app = &ctx.app;
        // Wrong password and unknown login: same status, same message.
        let bad = send(
            app,
            Method::POST,
            "/connexion",
            None,
            Some("login=agent&password=faux"),
            &[],
        )
        .await;
        let unknown = send(
            app,
            Method::POST,
            "/connexion",
            None,
            Some("login=personne&password=faux"),
            &[],
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
        assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
        assert!(bad.body.contains("Identifiant ou mot de passe incorrect."));
        assert_eq!(
            bad.body.replace("value=\"agent\"", ""),
            unknown.body.replace("value=\"personne\"", "")
        );
        assert!(bad.headers.get(header::SET_COOKIE).is_none());

        let c = login(&ctx, "agent").await;
        let list = send(app, Method::GET, "/dossiers", Some(&c), None, &[]).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("2026-000001") && list.body.contains("2026-000002"));
        assert!(list.body.contains("Éloïse LEFÈVRE"));
        assert!(
            !list.body.contains("Données fictives"),
            "no banner on a real database"
        );
        // The search form posts: names never go into a URL.
        assert!(
            list.body
                .contains(r#"<form method="post" action="/dossiers/recherche""#)
        );
        let found = send(
            app,
            Method::POST,
            "/dossiers/recherche",
            Some(&c),
            Some("q=lefebvre"),
            &[],
        )
        .await;
        assert_eq!(found.status, StatusCode::OK);
        assert!(
            found.body.contains("2026-000001") && !found.body.contains("2026-000002"),
            "{}",
            found.body
        );
        // Each row says why it was found, in text.
        assert!(found.body.contains(r#"<th scope="col">Trouvé par</th>"#));
        assert!(
            found.body.contains("<td>même prononciation</td>"),
            "{}",
            found.body
        );
        assert!(found.body.contains("Résultats de la recherche : 1 dossier"));
        // Filters by GET.
        let filtered = send(
            app,
            Method::GET,
            "/dossiers?statut=cloturee",
            Some(&c),
            None,
            &[],
        )
        .await;
        assert!(filtered.body.contains("Aucun dossier."));
        let bad_filter = send(
            app,
            Method::GET,
            "/dossiers?du=31-31-2026",
            Some(&c),
            None,
            &[],
        )
        .await;
        assert_eq!(bad_filter.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad_filter
                .body
                .contains("Reçu du : date attendue au format JJ/MM/AAAA.")
        );

        let view = send(
            app,
            Method::GET,
            &format!("/dossiers/{}", ctx.in_t1),
            Some(&c),
            None,
            &[],
        )
        .await;
        assert_eq!(view.status, StatusCode::OK);
        assert!(view.body.contains("Dossier 2026-000001"));
        let script_lines: Vec<&str> = view.body.lines().filter(|l| l.contains("script")).collect();
        assert!(
            view.body.contains("&#60;script&#62;alert") && !view.body.contains("<script>alert"),
            "escaped: {script_lines:?}"
        );
        assert!(
            view.body.contains("Mme Signalante"),
            "an agent sees a confidential source"
        );
        let api = send(
            app,
            Method::GET,
            &format!("/api/v1/dossiers/{}", ctx.in_t1),
            Some(&c),
            None,
            &[],
        )
        .await;
        assert_eq!(api.status, StatusCode::OK);
        let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
        assert_eq!(json["number"], "2026-000001");
        assert_eq!(json["source"]["name"], "Mme Signalante");

        let out = send(app, Method::POST, "/deconnexion", Some(&c), Some(""), &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert!(
            out.headers
                .get(header::SET_COOKIE)
                .unwrap()
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        let after = send(app, Method::GET, "/dossiers", Some(&c), None, &[]).await;
        assert_eq!(
            after.status,
            StatusCode::SEE_OTHER,
            "the old cookie no longer works"
        );
        let trail: Vec<String> = ctx
            .db
            .store
            .audit_page(0, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        for a in [
            "connexion.echec",
            // The password step (the second factor is marked passed by the test helper).
            "connexion.mot_de_passe",
            "dossier.liste",
            "dossier.recherche",
            "dossier.consultation",
            "deconnexion",
        ] {
            assert!(trail.iter().any(|x| x == a), "{a} missing from {trail:?}");
        }
        // A list shown is traced by the ids of its dossiers, never by names.
        let listing = ctx
            .db
            .store
            .audit_page(0, 1000)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.action == "dossier.liste")
            .unwrap();
        let detail = listing.detail.unwrap_or_default();
        assert!(
            detail.contains(&ctx.in_t1.to_string()) && detail.contains(&ctx.in_t2.to_string()),
            "{detail}"
        );
        assert!(
            !detail.contains("Lefèvre") && !detail.contains("LEFÈVRE"),
            "{detail}"
        );
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn outside_the_scope_is_404_everywhere_and_roles_without_dossiers_get_403() {
    for db in TestDb::both().await {
        let ctx = setup(db, false).await;
        let app = &ctx.app;
        let c = login(&ctx, "eval").await;
        let list = send(app, Method::GET, "/dossiers", Some(&c), None, &[]).await;
        assert!(list.body.contains("2026-000001") && !list.body.contains("2026-000002"));
        // Only reachable territories are offered as filters.
        assert!(
            list.body.contains(">MDS Bourges Nord</option>")
                && !list.body.contains(">MDS Vierzon</option>")
        );
        let search = send(
            app,
            Method::POST,
            "/dossiers/recherche",
            Some(&c),
            Some("q=2026-000002"),
            &[],
        )
        .await;
        assert!(!search.body.contains("2026-000002\n") && !search.body.contains(">2026-000002<"));
        let view = send(
            app,
            Method::GET,
            &format!("/dossiers/{}", ctx.in_t2),
            Some(&c),
            None,
            &[],
        )
        .await;
        assert_eq!(view.status, StatusCode::NOT_FOUND);
        let api = send(
            app,
            Method::GET,
            &format!("/api/v1/dossiers/{}", ctx.in_t2),
            Some(&c),
            None,
            &[],
        )
        .await;
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        assert_eq!(
            api.headers.get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
        let api_list = send(app, Method::GET, "/api/v1/dossiers", Some(&c), None, &[]).await;
        let json: serde_json::Value = serde_json::from_str(&api_list.body).unwrap();
        assert_eq!(json["dossiers"].as_array().unwrap().len(), 1);
        // Inside the scope, a confidential source stays hidden from an evaluator.
        let own = send(
            app,
            Method::GET,
            &format!("/dossiers/{}", ctx.in_t1),
            Some(&c),
            None,
            &[],
        )
        .await;
        assert_eq!(own.status, StatusCode::OK);
        assert!(
            !own.body.contains("Mme Signalante")
                && !own.body.contains("Collège Secret")
                && own.body.contains("masquées")
        );
        let own_api = send(
            app,
            Method::GET,
            &format!("/api/v1/dossiers/{}", ctx.in_t1),
            Some(&c),
            None,
            &[],
        )
        .await;
        assert!(!own_api.body.contains("Signalante") && !own_api.body.contains("02 48 11"));

        for who in ["admin", "stats"] {
            let c = login(&ctx, who).await;
            let r = send(app, Method::GET, "/dossiers", Some(&c), None, &[]).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
            assert!(r.body.contains("Accès refusé"));
            let r = send(
                app,
                Method::GET,
                &format!("/api/v1/dossiers/{}", ctx.in_t1),
                Some(&c),
                None,
                &[],
            )
            .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
            let home = send(app, Method::GET, "/", Some(&c), None, &[]).await;
            assert_eq!(home.status, StatusCode::OK);
            assert!(!home.body.contains("2026-000001"));
        }
        let denials = ctx
            .db
            .store
            .audit_page(0, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "acces.refuse")
            .count();
        assert_eq!(denials, 4);
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn security_headers_csrf_demo_banner_and_health() {
    let db = TestDb::sqlite().await;
    let ctx = setup(db, true).await;
    let app = &ctx.app;
    let c = login(&ctx, "agent").await;
    for (uri, cookie) in [
        ("/connexion", None),
        ("/dossiers", Some(c.as_str())),
        ("/nulle-part", None),
        (&*format!("/dossiers/{}", ctx.in_t1), Some(c.as_str())),
    ] {
        let r = send(app, Method::GET, uri, cookie, None, &[]).await;
        let csp = r
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe-inline")
                && csp.contains("script-src 'self'"),
            "{uri}"
        );
        assert_eq!(
            r.headers.get(header::REFERRER_POLICY).unwrap(),
            "no-referrer"
        );
        assert_eq!(
            r.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff"
        );
        assert_eq!(
            r.headers.get(header::CACHE_CONTROL).unwrap(),
            "no-store",
            "{uri}"
        );
        assert!(r.headers.get("x-request-id").is_some());
        assert!(!r.body.contains("style="), "no inline style in {uri}");
        // Scripts only as files of our own, never inline.
        for tag in r.body.split("<script").skip(1) {
            assert!(
                (tag.starts_with(" src=\"/static/vigie.js\"")
                    || tag.starts_with(" src=\"/static/htmx.min.js\""))
                    && tag.contains("></script>")
                    && tag.find('>') == tag.find("></script>"),
                "inline script in {uri}: {}",
                &tag[..tag.len().min(80)]
            );
        }
        if r.status == StatusCode::OK && uri != "/nulle-part" {
            assert!(r.body.contains("Données fictives"), "demo banner on {uri}");
        }
    }
    // Status labels are the département's: a renamed label shows at once, in the list and the view.
    let recue = ctx
        .db
        .store
        .catalog()
        .await
        .unwrap()
        .of_kind(ParamKind::Status)
        .find(|p| p.code == "recue")
        .unwrap()
        .id;
    let statuses = Table::Param(ParamKind::Status);
    let cur = ctx
        .db
        .store
        .admin_values(statuses)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.id == recue)
        .unwrap();
    let change = ValueChange {
        code: &cur.code,
        label: "Réceptionnée",
        national_code: cur.national_code.as_deref().unwrap_or_default(),
        read: None,
    };
    ctx.db
        .store
        .admin_update(now(), &Actor::system(), statuses, recue, &change)
        .await
        .unwrap();
    assert!(
        send(app, Method::GET, "/dossiers", Some(&c), None, &[])
            .await
            .body
            .contains("<td>Réceptionnée</td>")
    );
    let view = send(
        app,
        Method::GET,
        &format!("/dossiers/{}", ctx.in_t1),
        Some(&c),
        None,
        &[],
    )
    .await;
    assert!(view.body.contains("<dd>Réceptionnée</dd>"));
    // CSRF: a cross-site POST is refused, even with a valid cookie.
    let r = send(
        app,
        Method::POST,
        "/deconnexion",
        Some(&c),
        Some(""),
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.body.contains("Accès refusé"),
        "the French page: {}",
        r.body
    );
    let refusal = ctx.db.store.audit_tail(1).await.unwrap().remove(0);
    assert_eq!(refusal.action, "csrf.refuse");
    assert!(refusal.user_id.is_some(), "the cookie's user is named");
    assert!(
        refusal
            .detail
            .unwrap_or_default()
            .contains("POST /deconnexion"),
        "the refused route"
    );
    let r = send(
        app,
        Method::POST,
        "/dossiers/recherche",
        Some(&c),
        Some("q=x"),
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        send(app, Method::GET, "/dossiers", Some(&c), None, &[])
            .await
            .status,
        StatusCode::OK,
        "still logged in"
    );
    // Health: 200 while the database answers, 503 once it is gone.
    assert_eq!(
        send(app, Method::GET, "/healthz", None, None, &[])
            .await
            .status,
        StatusCode::OK
    );
    ctx.db.store.clone().close().await;
    assert_eq!(
        send(app, Method::GET, "/healthz", None, None, &[])
            .await
            .status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    ctx.db.finish().await;
}
