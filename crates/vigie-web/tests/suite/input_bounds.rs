//! Every input bounded and clean, as an auditor tries it, on SQLite and PostgreSQL: a NUL
//! character is a French 422 naming the field (PostgreSQL used to answer 500); a form or
//! a body beyond the dossier's limits is refused naming the limit; the public URL refuses
//! other hosts and origins; anonymous refusals do not flood the audit trail; passwords
//! built on the user's name, the place or a year are refused; the API hides the ids of
//! dossiers outside the caller's scope.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use vigie_domain::*;
use vigie_store::testing::{TestDb, now};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};
use vigie_web::{AppState, WebConfig};

const PW: &str = "mot de passe de test";

struct Ctx {
    app: Router,
    state: AppState,
    db: TestDb,
    /// A dossier of the evaluator's territory, and the same child's dossier elsewhere.
    in_scope: i64,
    out_of_scope: i64,
}

fn dossier(
    cat: &vigie_domain::catalog::Catalog,
    territory: i64,
    person: Option<i64>,
) -> DossierInput {
    let p = |k: ParamKind, c: &str| cat.of_kind(k).find(|v| v.code == c).unwrap().id;
    DossierInput {
        header: Header {
            received_at: "2026-11-20T09:00:00Z".parse().unwrap(),
            type_id: p(ParamKind::DossierType, "IP"),
            danger_grave: false,
            violence_conjugale: false,
            sip: false,
            receiving_agent_id: None,
            channel_id: p(ParamKind::Channel, "TEL"),
            snated_number: None,
            territory_id: territory,
            status: DossierStatus::Recue,
            expose: None,
            observation: None,
        },
        source: Source::anonymous(Some(p(ParamKind::SourceCategory, "ANONYME"))),
        adults: vec![],
        children: vec![ChildInput {
            person_id: person,
            person: Person {
                birth_name: "Zéphyrin".into(),
                usage_name: None,
                first_names: "Anatole".into(),
                sex: Sex::Male,
                birth: BirthDate::Exact("2017-06-02".parse().unwrap()),
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
    }
}

async fn setup(db: TestDb, config: WebConfig) -> Ctx {
    let s: &Store = &db.store;
    let a = Actor::system();
    s.seed_demo_reference().await.unwrap();
    let cat = s.catalog().await.unwrap();
    let (t1, t2) = (cat.territories[0].id, cat.territories[1].id);
    let hash = vigie_store::password::hash(PW);
    for (login, name, role, territories) in [
        ("agent", "Nom agent", Role::AgentCrip, vec![]),
        ("eval", "Nom eval", Role::EvaluateurTerritorial, vec![t1]),
        ("mdupont", "Marie Dupont", Role::AgentCrip, vec![]),
    ] {
        let user = NewUser {
            login: login.into(),
            display_name: name.into(),
            password_hash: hash.clone(),
            role,
            territories,
            service_id: None,
            demo: false,
        };
        s.add_user(now(), &a, &user).await.unwrap();
    }
    let (in_scope, _) = s
        .create_dossier(now(), &a, &dossier(&cat, t1, None))
        .await
        .unwrap();
    let rec = s
        .read_dossier(now(), &a, &Scope::All, in_scope)
        .await
        .unwrap();
    let person = rec.children[0].person_id;
    let (out_of_scope, _) = s
        .create_dossier(now(), &a, &dossier(&cat, t2, Some(person)))
        .await
        .unwrap();
    let state = AppState::new(s.clone(), config, vigie_web::Clock::fixed(now()));
    Ctx {
        app: vigie_web::app(state.clone()),
        state,
        db,
        in_scope,
        out_of_scope,
    }
}

struct Resp {
    status: StatusCode,
    location: String,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A request; `headers` are added (a `Host` of `vigie.test` unless one is given).
async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    cookie: Option<&str>,
    body: Option<(&str, String)>,
    headers: &[(&str, &str)],
) -> Resp {
    let mut b = Request::builder().method(method).uri(uri);
    if !headers.iter().any(|(k, _)| *k == "host") {
        b = b.header(header::HOST, "vigie.test");
    }
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    let req = match body {
        Some((kind, text)) => b
            .header(header::CONTENT_TYPE, kind)
            .body(Body::from(text))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes())
        .replace("&#39;", "'");
    Resp {
        status,
        location,
        body,
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

async fn post_form(app: &Router, uri: &str, cookie: Option<&str>, body: &str) -> Resp {
    send(
        app,
        Method::POST,
        uri,
        cookie,
        Some((FORM, body.into())),
        &[],
    )
    .await
}

async fn post_json(app: &Router, uri: &str, cookie: &str, v: &Value) -> Resp {
    let body = Some(("application/json", v.to_string()));
    send(app, Method::POST, uri, Some(cookie), body, &[]).await
}

/// Logs in with the password, then marks the second factor as passed.
async fn login(ctx: &Ctx, who: &str) -> String {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/connexion")
        .header(header::HOST, "vigie.test")
        .header(header::CONTENT_TYPE, FORM)
        .body(Body::from(format!(
            "login={who}&password={}",
            PW.replace(' ', "+")
        )))
        .unwrap();
    let res = ctx.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    let cookie = set.split(';').next().unwrap().to_owned();
    ctx.db
        .store
        .testing_pass_second_factor(&cookie, now())
        .await
        .unwrap();
    cookie
}

#[tokio::test]
async fn a_nul_character_is_a_french_422_naming_the_field_on_both_backends() {
    for db in TestDb::both().await {
        let ctx = setup(db, WebConfig::default()).await;
        let app = &ctx.app;
        let agent = login(&ctx, "agent").await;
        let eval = login(&ctx, "eval").await;

        let r = post_json(
            app,
            "/api/v1/dossiers/recherche",
            &agent,
            &json!({"q": "Mar\u{0}tin"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let p = r.json();
        assert_eq!(p["errors"][0]["field"], "q");
        assert!(
            p["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("U+0000")
        );

        let r = post_form(app, "/dossiers/recherche", Some(&agent), "q=Mar%00tin").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(
            r.body.contains("Recherche") && r.body.contains("U+0000"),
            "{}",
            r.body
        );

        let r = post_form(app, "/connexion", None, "login=ag%00ent&password=x").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("Identifiant"), "{}", r.body);

        let uri = format!("/dossiers/{}/acces-exceptionnel", ctx.out_of_scope);
        let reason = "motif=Appel%20du%20juge%20des%20enfants%00%20ce%20matin";
        let r = post_form(app, &uri, Some(&eval), reason).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("Motif"), "{}", r.body);

        // The dossier form keeps what was typed: « Chercher » with a tab in a name names the
        // child's field and shows the form again, the other values still there.
        let typed = "children[0].birth_name=Mar%09tin&children[0].first_names=Anatole&expose=Situation+tap%C3%A9e&action=suggest_persons%3A0";
        let r = post_form(app, "/dossiers/nouveau", Some(&agent), typed).await;
        assert!(r.body.contains("une seule ligne"), "{}", r.body);
        assert!(
            r.body.contains("Situation tapée"),
            "the typed exposé is kept"
        );

        let r = send(
            app,
            Method::GET,
            "/dossiers?du=%01",
            Some(&agent),
            None,
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        // Nothing was written by these requests but their audit entries: the trail holds.
        assert_eq!(ctx.db.store.verify_audit().await.unwrap().broken, None);
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn repeated_parts_beyond_the_dossier_limits_are_refused_naming_the_limit() {
    for db in TestDb::both().await {
        let ctx = setup(db, WebConfig::default()).await;
        let app = &ctx.app;
        let agent = login(&ctx, "agent").await;
        // 80,000 motifs for one child (1.9 MB): refused at once, the limit named.
        let mut body = String::from("children[0].birth_name=A&children[0].first_names=B");
        for i in 0..80_000 {
            body.push_str(&format!("&children[0].motifs={i}"));
        }
        let r = post_form(app, "/dossiers/nouveau", Some(&agent), &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("Motifs") && r.body.contains("50 au plus"),
            "the limit is named"
        );
        // A child index beyond the limit.
        let r = post_form(
            app,
            "/dossiers/nouveau",
            Some(&agent),
            "children[45].birth_name=A",
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("30 au plus"), "{}", r.body);

        // The API: 51 motifs for a child.
        let cat = ctx.db.store.catalog().await.unwrap();
        let t1 = cat.territories[0].id;
        let mut d = dossier(&cat, t1, None);
        d.children[0].motif_ids = (1..=51).collect();
        let r = post_json(app, "/api/v1/dossiers", &agent, &json!({ "input": d })).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let p = r.json();
        let e = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == "children[0].motifs")
            .unwrap_or_else(|| panic!("{p}"));
        assert!(e["message"].as_str().unwrap().contains("50 au plus"), "{e}");
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn the_public_url_refuses_other_hosts_and_origins() {
    let config = WebConfig {
        public_url: Some(vigie_web::public_url::PublicUrl::parse("https://vigie.cd18.fr").unwrap()),
        ..WebConfig::default()
    };
    for db in TestDb::both().await {
        let ctx = setup(db, config.clone()).await;
        let app = &ctx.app;
        let host = ("host", "vigie.cd18.fr");
        // A login POST (or a GET of `path` when `get`), with these headers: the status.
        let login = |app: &Router, headers: Vec<(&'static str, &'static str)>| {
            let app = app.clone();
            async move {
                let body = format!("login=agent&password={}", PW.replace(' ', "+"));
                let r = send(
                    &app,
                    Method::POST,
                    "/connexion",
                    None,
                    Some((FORM, body)),
                    &headers,
                );
                r.await.status
            }
        };
        let get = |path: &'static str, host: &'static str| {
            let app = app.clone();
            async move { send(&app, Method::GET, path, None, None, &[("host", host)]).await }
        };

        // Another Host: a French 400, even with a matching Origin.
        let r = get("/connexion", "evil.example").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("https://vigie.cd18.fr"), "{}", r.body);
        let evil = vec![("host", "evil.example"), ("origin", "http://evil.example")];
        assert_eq!(login(app, evil.clone()).await, StatusCode::BAD_REQUEST);
        // The right host, another origin (here only the scheme differs): refused as cross-site.
        let other_scheme = vec![host, ("origin", "http://vigie.cd18.fr")];
        assert_eq!(login(app, other_scheme).await, StatusCode::FORBIDDEN);
        // The public origin logs in; supervision reaches /healthz by the node's address.
        let public = vec![host, ("origin", "https://vigie.cd18.fr")];
        assert_eq!(login(app, public).await, StatusCode::SEE_OTHER);
        assert_eq!(
            get("/healthz", "10.0.0.5:8080").await.status,
            StatusCode::OK
        );
        // The foreign origin's refusal is traced (anonymous: counted).
        ctx.state.flush_all_refusals().await;
        let refused = entries(&ctx.db.store, "csrf.refuse", 0).await;
        assert!(refused[0].detail.clone().unwrap().contains("ForeignOrigin"));

        // Unset: as before (the request's own Host is the reference).
        let state = AppState::new(
            ctx.db.store.clone(),
            WebConfig::default(),
            vigie_web::Clock::fixed(now()),
        );
        assert_eq!(
            login(&vigie_web::app(state), evil).await,
            StatusCode::SEE_OTHER
        );
        ctx.db.finish().await;
    }
}

/// The audit entries of `action` after sequence `after`.
async fn entries(s: &Store, action: &str, after: i64) -> Vec<vigie_store::audit::Entry> {
    s.audit_tail(10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.seq > after && e.action == action)
        .collect()
}

#[tokio::test]
async fn anonymous_refusals_are_counted_not_flooding_the_trail() {
    for db in TestDb::both().await {
        let ctx = setup(db, WebConfig::default()).await;
        let app = &ctx.app;
        let s = &ctx.db.store;
        let before = s.audit_tail(1).await.unwrap()[0].seq;
        let long = format!("/{}?nom=Dupont", "x".repeat(2_000));
        for _ in 0..40 {
            let r = send(
                app,
                Method::POST,
                &long,
                None,
                Some((FORM, String::new())),
                &[("sec-fetch-site", "cross-site")],
            )
            .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
            let forged = "vigie_session=forge0123456789";
            let r = send(app, Method::GET, "/dossiers", Some(forged), None, &[]).await;
            assert_eq!(r.location, "/connexion");
        }
        assert!(
            entries(s, "csrf.refuse", before).await.is_empty(),
            "counted, not yet written"
        );
        ctx.state.flush_all_refusals().await;
        let csrf = entries(s, "csrf.refuse", before).await;
        assert_eq!(csrf.len(), 1, "one entry for 40 refusals");
        let detail = csrf[0].detail.clone().unwrap();
        assert!(detail.contains("nombre=40"), "{detail}");
        assert!(
            detail.chars().count() < 250 && !detail.contains("Dupont"),
            "{detail}"
        );
        let forged = entries(s, "session.invalide", before).await;
        assert_eq!(forged.len(), 1);
        assert!(forged[0].detail.clone().unwrap().contains("nombre=40"));

        // A signed-in user's refusals stay one entry each, naming them.
        let agent = login(&ctx, "agent").await;
        let before = s.audit_tail(1).await.unwrap()[0].seq;
        for _ in 0..3 {
            let r = send(
                app,
                Method::POST,
                "/deconnexion",
                Some(&agent),
                Some((FORM, String::new())),
                &[("sec-fetch-site", "cross-site")],
            )
            .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
        }
        let named = entries(s, "csrf.refuse", before).await;
        assert_eq!(named.len(), 3);
        assert!(named.iter().all(|e| e.user_id.is_some()));
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn passwords_on_the_name_the_place_or_a_year_are_refused_in_my_account() {
    for db in TestDb::both().await {
        let ctx = setup(db, WebConfig::default()).await;
        let app = &ctx.app;
        let marie = login(&ctx, "mdupont").await;
        let change = |new: &str| {
            let new = new.replace(' ', "+").replace('!', "%21");
            format!("current={}&new={new}&confirm={new}", PW.replace(' ', "+"))
        };
        for weak in ["soleil2024soleil", "Bourges18000!!", "marie-dupont-1975"] {
            let r = post_form(app, "/compte/mot-de-passe", Some(&marie), &change(weak)).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{weak} refused");
            assert!(r.body.contains("Nouveau mot de passe"), "{}", r.body);
        }
        let passphrase = "la chouette grise traverse le pont des arts sous une pluie fine.";
        assert_eq!(passphrase.chars().count(), 64);
        let r = post_form(
            app,
            "/compte/mot-de-passe",
            Some(&marie),
            &change(passphrase),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, "/compte?ok=mot-de-passe");
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn the_api_gives_no_id_of_a_dossier_outside_the_scope() {
    for db in TestDb::both().await {
        let ctx = setup(db, WebConfig::default()).await;
        let app = &ctx.app;
        let eval = login(&ctx, "eval").await;
        let agent = login(&ctx, "agent").await;
        let uri = format!("/api/v1/dossiers/{}", ctx.in_scope);
        let r = send(app, Method::GET, &uri, Some(&eval), None, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let other = &r.json()["children"][0]["other_dossiers"][0];
        assert_eq!(other["in_scope"], false);
        assert!(other.get("id").is_none(), "{other}");
        assert!(other["number"].is_string() && other["territory_label"].is_string());
        assert!(!r.body.contains(&format!("\"id\":{}", ctx.out_of_scope)));
        // Within the scope, the id is given.
        let r = send(app, Method::GET, &uri, Some(&agent), None, &[]).await;
        assert_eq!(
            r.json()["children"][0]["other_dossiers"][0]["id"],
            ctx.out_of_scope
        );
        // The OpenAPI schema says the id is optional.
        let r = send(
            app,
            Method::GET,
            "/api/v1/openapi.json",
            Some(&agent),
            None,
            &[],
        )
        .await;
        let schema = &r.json()["components"]["schemas"]["OtherDossier"];
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            !required.contains(&"id") && required.contains(&"number"),
            "{schema}"
        );
        ctx.db.finish().await;
    }
}
