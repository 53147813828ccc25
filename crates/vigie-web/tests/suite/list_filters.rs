//! The dossier list's filters on what a dossier holds (motif, channel, evaluation overdue,
//! month…) on the HTML page and in the API: the rows, the form, the pages and the record
//! navigation that carry them, and the refusals, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigie_domain::*;
use vigie_store::testing::{TestDb, add_service, add_territory, now};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};
use vigie_web::{AppState, ManualClock, WebConfig};

const PW: &str = "mot de passe de test";

struct Ctx {
    app: Router,
    db: TestDb,
    clock: ManualClock,
    /// T1, 20/11, violences physiques, S1 due 24/11 (overdue from 25/11, Paris time).
    a: i64,
    /// T1, 15/11, négligences.
    b: i64,
    /// T2, 10/11, violences physiques.
    c: i64,
    violphys: i64,
    courrier: i64,
}

fn dossier(
    cat: &vigie_domain::catalog::Catalog,
    territory: i64,
    received: &str,
    motif: &str,
    channel: &str,
) -> DossierInput {
    let p = |k: ParamKind, c: &str| cat.of_kind(k).find(|v| v.code == c).unwrap().id;
    DossierInput {
        header: Header {
            received_at: received.parse().unwrap(),
            type_id: p(ParamKind::DossierType, "IP"),
            danger_grave: false,
            violence_conjugale: false,
            sip: false,
            receiving_agent_id: None,
            channel_id: p(ParamKind::Channel, channel),
            snated_number: None,
            territory_id: territory,
            status: DossierStatus::Recue,
            expose: None,
            observation: None,
        },
        source: Source::anonymous(None),
        adults: vec![],
        children: vec![ChildInput {
            person_id: None,
            person: Person {
                birth_name: "Martin".into(),
                usage_name: None,
                first_names: "Léa".into(),
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
            motif_ids: vec![p(ParamKind::Motif, motif)],
            evaluation_result_id: None,
            conclusion: None,
        }],
        assignments: vec![],
        follow_ups: vec![],
    }
}

/// Three dossiers differing by motif and overdue evaluation, and 51 older ones received
/// by mail (more than a page); an agent and an evaluator of T1.
async fn setup(db: TestDb) -> Ctx {
    let s: &Store = &db.store;
    let a = Actor::system();
    let t1 = add_territory(s, now(), &a, "T1", "MDS Bourges Nord").await;
    let t2 = add_territory(s, now(), &a, "T2", "MDS Vierzon").await;
    let s1 = add_service(s, now(), &a, t1, "S1", "Évaluation Nord").await;
    add_service(s, now(), &a, t2, "S2", "Évaluation Vierzon").await;
    let hash = vigie_store::password::hash(PW);
    for (login, role, territories) in [
        ("agent", Role::AgentCrip, vec![]),
        ("eval", Role::EvaluateurTerritorial, vec![t1]),
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
    let mut with_evaluation = dossier(&cat, t1, "2026-11-20T09:00:00Z", "VIOLPHYS", "TEL");
    with_evaluation.assignments = vec![AssignmentInput {
        service_id: s1,
        asked_on: "2026-11-20".parse().unwrap(),
        due_on: "2026-11-24".parse().unwrap(),
        evaluators: vec![],
        returned_on: None,
        result_id: None,
        cancelled: false,
        comment: None,
    }];
    let (a_id, _) = s.create_dossier(now(), &a, &with_evaluation).await.unwrap();
    let b = dossier(&cat, t1, "2026-11-15T09:00:00Z", "NEGLIG", "TEL");
    let (b_id, _) = s.create_dossier(now(), &a, &b).await.unwrap();
    let c = dossier(&cat, t2, "2026-11-10T09:00:00Z", "VIOLPHYS", "TEL");
    let (c_id, _) = s.create_dossier(now(), &a, &c).await.unwrap();
    for i in 0..51 {
        let when = format!("2026-09-{:02}T{:02}:00:00Z", 1 + i / 10, 8 + i % 10);
        s.create_dossier(now(), &a, &dossier(&cat, t1, &when, "EDUC", "COURRIER"))
            .await
            .unwrap();
    }
    let p = |k: ParamKind, c: &str| cat.of_kind(k).find(|v| v.code == c).unwrap().id;
    let (clock, handle) = vigie_web::Clock::manual(now());
    let state = AppState::new(s.clone(), WebConfig::default(), clock);
    Ctx {
        app: vigie_web::app(state),
        db,
        clock: handle,
        a: a_id,
        b: b_id,
        c: c_id,
        violphys: p(ParamKind::Motif, "VIOLPHYS"),
        courrier: p(ParamKind::Channel, "COURRIER"),
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
) -> Resp {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "vigie.test");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
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

async fn get(ctx: &Ctx, uri: &str, cookie: &str) -> Resp {
    send(&ctx.app, Method::GET, uri, Some(cookie), None).await
}

/// Logs in through the password form and marks the second factor as passed.
async fn login(ctx: &Ctx, who: &str) -> String {
    let r = send(
        &ctx.app,
        Method::POST,
        "/connexion",
        None,
        Some(&format!("login={who}&password={}", PW.replace(' ', "+"))),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    let cookie = set.split(';').next().unwrap().to_owned();
    ctx.db
        .store
        .testing_pass_second_factor(&cookie, ctx.clock.now())
        .await
        .unwrap();
    cookie
}

/// The dossier ids the page links to, in its order.
fn linked(body: &str) -> Vec<i64> {
    body.split("<td><a href=\"/dossiers/")
        .skip(1)
        .filter_map(|s| s.split(['?', '"']).next()?.parse().ok())
        .collect()
}

/// The dossier ids of an API list page.
fn api_ids(body: &str) -> Vec<i64> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["dossiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_motif_filters_the_page_and_the_api_and_is_carried_to_pages_and_dossiers() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let agent = login(&ctx, "agent").await;
        let m = ctx.violphys;
        let page = get(&ctx, &format!("/dossiers?motif={m}"), &agent).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(linked(&page.body), vec![ctx.a, ctx.c]);
        // The form shows the motif chosen, each control with its label.
        assert!(page.body.contains(&format!(
            "<option value=\"{m}\" selected>Violences physiques</option>"
        )));
        for id in [
            "categorie",
            "support",
            "motif",
            "conclusion",
            "service",
            "mois",
            "en_retard",
        ] {
            assert!(page.body.contains(&format!("<label for=\"{id}\">")), "{id}");
            assert!(
                page.body.contains(&format!("id=\"{id}\" name=\"{id}\"")),
                "{id}"
            );
        }
        // Each row opens its dossier with the filter, whose navigation walks the filtered
        // list: after A comes C (B, between them, has another motif).
        assert!(
            page.body
                .contains(&format!("href=\"/dossiers/{}?motif={m}\"", ctx.a))
        );
        let view = get(&ctx, &format!("/dossiers/{}?motif={m}", ctx.a), &agent).await;
        assert_eq!(view.status, StatusCode::OK);
        assert!(
            view.body.contains(&format!(
                "href=\"/dossiers/{}?motif={m}\" rel=\"next\">Dossier suivant",
                ctx.c
            )),
            "{}",
            view.body
        );
        let plain = get(&ctx, &format!("/dossiers/{}", ctx.a), &agent).await;
        assert!(
            plain
                .body
                .contains(&format!("href=\"/dossiers/{}\" rel=\"next\"", ctx.b))
        );

        // The API: the same dossiers.
        let api = get(&ctx, &format!("/api/v1/dossiers?motif={m}"), &agent).await;
        assert_eq!(api.status, StatusCode::OK, "{}", api.body);
        assert_eq!(api_ids(&api.body), vec![ctx.a, ctx.c]);
        // The evaluator of T1: the scope still applies.
        let eval = login(&ctx, "eval").await;
        let api = get(&ctx, &format!("/api/v1/dossiers?motif={m}"), &eval).await;
        assert_eq!(api_ids(&api.body), vec![ctx.a]);

        // More than a page: the next page keeps the filter, the month included.
        let s = ctx.courrier;
        let first = get(&ctx, &format!("/dossiers?support={s}&mois=2026-09"), &agent).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(linked(&first.body).len(), 50);
        let next = first
            .body
            .split("<p class=\"pager\"><a href=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .replace("&amp;", "&");
        assert!(
            next.starts_with(&format!("/dossiers?mois=2026-09&support={s}&apres=")),
            "{next}"
        );
        let second = get(&ctx, &next, &agent).await;
        assert_eq!(linked(&second.body).len(), 1);
        // The month alone: September holds the 51 dossiers by mail only.
        let october = get(&ctx, "/dossiers?mois=2026-10", &agent).await;
        assert_eq!(linked(&october.body), Vec::<i64>::new());
        let november = get(&ctx, "/dossiers?mois=2026-11", &agent).await;
        assert_eq!(linked(&november.body), vec![ctx.a, ctx.b, ctx.c]);
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn overdue_means_today_in_paris_and_refused_values_are_named_in_french() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        // A's evaluation is due on 24/11: not overdue that day, overdue from 25/11 at
        // midnight, Paris time (23:00 UTC).
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        ctx.clock.set(at("2026-11-24T22:59:00Z"));
        let agent = login(&ctx, "agent").await;
        let today = get(&ctx, "/dossiers?en_retard=1", &agent).await;
        assert_eq!(today.status, StatusCode::OK, "{}", today.body);
        assert_eq!(linked(&today.body), Vec::<i64>::new());
        assert!(
            today
                .body
                .contains("name=\"en_retard\" type=\"checkbox\" value=\"1\" checked")
        );
        ctx.clock.advance(Duration::minutes(2));
        let tomorrow = get(&ctx, "/dossiers?en_retard=1", &agent).await;
        assert_eq!(linked(&tomorrow.body), vec![ctx.a]);
        let api = get(&ctx, "/api/v1/dossiers?en_retard=1", &agent).await;
        assert_eq!(api_ids(&api.body), vec![ctx.a]);

        // A refused value: the page says which filter, in French, with 422…
        let bad = get(&ctx, "/dossiers?motif=abc", &agent).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body.contains("Motif : valeur inconnue."),
            "{}",
            bad.body
        );
        let both = get(&ctx, "/dossiers?mois=2026-11&du=01/11/2026", &agent).await;
        assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            both.body
                .contains("Mois de réception : ne se combine pas avec « Reçu du » ni « au »")
        );
        let month = get(&ctx, "/dossiers?mois=11-2026", &agent).await;
        assert_eq!(month.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            month
                .body
                .contains("Mois de réception : mois attendu au format AAAA-MM.")
        );
        // … and the API a problem.
        let api = get(&ctx, "/api/v1/dossiers?motif=abc", &agent).await;
        assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            api.headers.get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
        let problem: serde_json::Value = serde_json::from_str(&api.body).unwrap();
        assert_eq!(problem["status"], 422);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("Motif : valeur inconnue."),
            "{problem}"
        );
        ctx.db.finish().await;
    }
}
