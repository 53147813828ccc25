//! The JSON API (OpenAPI document, parameters, person suggestions, create and update) and
//! the pages that came with it (échéances, home counts, record navigation), against a real
//! store with demo dossiers, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{Duration, NaiveDate};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use vigie_domain::dossier::DossierEdit;
use vigie_domain::*;
use vigie_store::dossiers::ListFilter;
use vigie_store::testing::{TestDb, now};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};
use vigie_web::{AppState, WebConfig};

const PW: &str = "mot de passe de test";

struct Ctx {
    app: Router,
    db: TestDb,
    /// The evaluator's territory.
    t1: i64,
    t2: i64,
    s1: i64,
}

/// Demo territories and 40 demo dossiers; an agent, an evaluator of the first territory,
/// an administrator and a statistics reader.
async fn setup(db: TestDb) -> Ctx {
    let s: &Store = &db.store;
    let a = Actor::system();
    s.seed_demo_reference().await.unwrap();
    let cat = s.catalog().await.unwrap();
    let t1 = cat.territories[0].id;
    let t2 = cat.territories[1].id;
    let s1 = cat
        .services
        .iter()
        .find(|x| x.territory_id == t1)
        .unwrap()
        .id;
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
    s.generate_demo(now(), 11, 40, |_| {}).await.unwrap();
    let state = AppState::new(
        s.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(now()),
    );
    Ctx {
        app: vigie_web::app(state),
        db,
        t1,
        t2,
        s1,
    }
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn is_problem(&self) -> bool {
        self.headers.get(header::CONTENT_TYPE).unwrap() == "application/problem+json"
    }
}

async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    cookie: Option<&str>,
    body: Option<(&str, String)>,
) -> Resp {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "vigie.test");
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
    let headers = res.headers().clone();
    let body =
        String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Resp {
        status,
        headers,
        body,
    }
}

async fn get(app: &Router, uri: &str, cookie: &str) -> Resp {
    send(app, Method::GET, uri, Some(cookie), None).await
}

async fn post_json(app: &Router, method: Method, uri: &str, cookie: &str, v: &Value) -> Resp {
    send(
        app,
        method,
        uri,
        Some(cookie),
        Some(("application/json", v.to_string())),
    )
    .await
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
        Some((
            "application/x-www-form-urlencoded",
            format!("login={who}&password={}", PW.replace(' ', "+")),
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_openapi_document_lists_every_api_route_of_the_registry() {
    let ctx = setup(TestDb::sqlite().await).await;
    let app = &ctx.app;
    // No session: 401, as a problem.
    let anonymous = send(app, Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.is_problem());
    let c = login(&ctx, "stats").await;
    let r = get(app, "/api/v1/openapi.json", &c).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["info"]["title"].as_str().unwrap().contains("Vigie"));
    let paths = doc["paths"].as_object().unwrap();
    let state = AppState::new(
        ctx.db.store.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(now()),
    );
    let (_, specs) = vigie_web::routes::build(state);
    let api: Vec<_> = specs
        .iter()
        .filter(|s| s.path.starts_with("/api/"))
        .collect();
    assert!(api.len() >= 8, "{api:?}");
    // Every API route of the registry is documented (a forgotten annotation fails here)…
    for s in &api {
        let method = s.method.as_str().to_lowercase();
        assert!(
            paths.get(s.path).and_then(|p| p.get(&method)).is_some(),
            "{} {} missing from openapi.json",
            s.method,
            s.path
        );
    }
    // … and the document describes no route that does not exist.
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            assert!(
                api.iter()
                    .any(|s| s.path == path && s.method.as_str().eq_ignore_ascii_case(method)),
                "{method} {path} documented but not registered"
            );
        }
    }
    // The model's schemas come from the code.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "DossierInput",
        "DossierRecord",
        "Problem",
        "Suggestion",
        "Parametres",
        "DossierUpdate",
        "PartConflict",
        "Saved",
        "DossierNumber",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
    assert!(
        doc["components"]["securitySchemes"]["session"]["name"] == "vigie_session",
        "{}",
        doc["components"]["securitySchemes"]
    );
    let put = &paths["/api/v1/dossiers/{id}"]["put"]["responses"];
    for status in ["200", "404", "409", "422"] {
        assert!(put.get(status).is_some(), "PUT {status}");
    }
    ctx.db.finish().await;
}

#[tokio::test]
async fn parameters_suggestions_and_scope() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let s = &ctx.db.store;
        let agent = login(&ctx, "agent").await;

        // Parameters: every table, territory and service (any logged-in user).
        let stats = login(&ctx, "stats").await;
        let p = get(app, "/api/v1/parametres", &stats).await;
        assert_eq!(p.status, StatusCode::OK);
        let p = p.json();
        let params = p["params"].as_array().unwrap();
        assert_eq!(params.len(), vigie_domain::param::defaults().len());
        let motif = params
            .iter()
            .find(|v| v["kind"] == "motif" && v["code"] == "VIOLPHYS")
            .unwrap();
        assert_eq!(motif["active"], true);
        assert!(motif["order"].as_i64().unwrap() > 0 && motif["label"].is_string());
        assert!(motif["kind_label"].is_string());
        assert!(
            p["territories"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["id"] == ctx.t1)
        );
        assert!(
            p["services"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["id"] == ctx.s1 && x["territory_id"] == ctx.t1)
        );

        // A demo child outside the evaluator's territory, and one inside.
        let pick = async |territory: i64| {
            let rows = s
                .list_dossiers(
                    &Scope::All,
                    &ListFilter {
                        territory_id: Some(territory),
                        ..ListFilter::default()
                    },
                    None,
                    50,
                )
                .await
                .unwrap()
                .rows;
            for r in rows {
                let rec = s
                    .read_dossier(now(), &Actor::system(), &Scope::All, r.id)
                    .await
                    .unwrap();
                if let Some(c) = rec
                    .children
                    .iter()
                    .find(|c| !c.data.person.first_names.trim().is_empty())
                {
                    return (c.person_id, c.data.person.clone());
                }
            }
            panic!("no named child in territory {territory}");
        };
        let body = |p: &Person| {
            json!({
                "birth_name": p.birth_name,
                "usage_name": p.usage_name,
                "first_names": p.first_names,
                "birth": p.birth,
            })
        };
        let (outside_id, outside) = pick(ctx.t2).await;
        let (inside_id, inside) = pick(ctx.t1).await;

        // The agent (every dossier) finds the demo child first, with its dossiers.
        let r = post_json(
            app,
            Method::POST,
            "/api/v1/personnes/suggestions",
            &agent,
            &body(&outside),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let found = r.json();
        let found = found.as_array().unwrap();
        assert!(!found.is_empty() && found.len() <= 10);
        let top = found.iter().map(|x| x["score"].as_u64().unwrap()).max();
        let own = found.iter().find(|x| x["person_id"] == outside_id).unwrap();
        assert_eq!(own["score"].as_u64(), top, "the child itself scores best");
        assert_eq!(own["person"]["birth_name"], outside.birth_name.as_str());
        let dossiers = own["dossiers"].as_array().unwrap();
        assert!(
            !dossiers.is_empty()
                && dossiers
                    .iter()
                    .all(|d| d["in_scope"] == true && d["id"].is_i64() && d["number"].is_string())
        );
        let t1_label = s
            .catalog()
            .await
            .unwrap()
            .territory(ctx.t1)
            .unwrap()
            .label
            .clone();
        let outside_in_t1 = dossiers
            .iter()
            .any(|d| d["territory_label"] == t1_label.as_str());

        // The evaluator of T1: only persons with a dossier in the scope; the others'
        // dossiers without an id.
        let eval = login(&ctx, "eval").await;
        let r = post_json(
            app,
            Method::POST,
            "/api/v1/personnes/suggestions",
            &eval,
            &body(&outside),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let seen = r.json();
        for x in seen.as_array().unwrap() {
            let ds = x["dossiers"].as_array().unwrap();
            assert!(ds.iter().any(|d| d["in_scope"] == true), "{x}");
            for d in ds {
                assert_eq!(d["id"].is_null(), d["in_scope"] == false, "{d}");
            }
        }
        if !outside_in_t1 {
            assert!(
                seen.as_array()
                    .unwrap()
                    .iter()
                    .all(|x| x["person_id"] != outside_id),
                "a child known only outside the scope is not proposed"
            );
        }
        let r = post_json(
            app,
            Method::POST,
            "/api/v1/personnes/suggestions",
            &eval,
            &body(&inside),
        )
        .await;
        assert!(
            r.json()
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["person_id"] == inside_id)
        );
        // No names in the trail: only how many.
        let last = &s.audit_tail(1).await.unwrap()[0];
        assert_eq!(last.action, "personne.suggestion");
        assert!(
            !last
                .detail
                .clone()
                .unwrap_or_default()
                .contains(&inside.birth_name)
        );
        // The search finds the same child, each row with why, in the page of results.
        let q = format!("{} {}", inside.first_names, inside.birth_name);
        let r = post_json(
            app,
            Method::POST,
            "/api/v1/dossiers/recherche",
            &eval,
            &json!({ "q": q }),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let res = r.json();
        assert!(
            res["total"].as_u64().unwrap() >= 1 && res["page"] == 1,
            "{res}"
        );
        let top = &res["rows"][0];
        assert!(
            top["number"].is_string() && top["children"].is_string(),
            "{top}"
        );
        assert_eq!(top["found"]["kind"], "same_spelling", "{top}");
        assert_eq!(top["found"]["reason"], "même orthographe", "{top}");
        // A malformed body is a problem too; a role without dossiers is refused.
        let bad = post_json(
            app,
            Method::POST,
            "/api/v1/personnes/suggestions",
            &agent,
            &json!({"birth_name": 3}),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.is_problem());
        let refused = post_json(
            app,
            Method::POST,
            "/api/v1/personnes/suggestions",
            &stats,
            &body(&inside),
        )
        .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.is_problem());
        ctx.db.finish().await;
    }
}

/// A small valid dossier in `territory`, as a client sends it.
fn new_dossier(cat: &vigie_domain::catalog::Catalog, territory: i64) -> DossierInput {
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
            expose: Some("Situation".into()),
            observation: None,
        },
        source: Source::anonymous(Some(p(ParamKind::SourceCategory, "ANONYME"))),
        adults: vec![],
        children: vec![ChildInput {
            person_id: None,
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

/// The body of a PUT from an edit built on the dossier read.
fn update_body(version: i64, e: &DossierEdit) -> Value {
    let part = |p: &Option<vigie_domain::dossier::PartRef>| {
        p.map(|p| json!({"id": p.id, "version": p.version}))
    };
    json!({
        "version": version,
        "input": e.input,
        "adult_ids": e.adult_ids,
        "children": e.children.iter().map(part).collect::<Vec<_>>(),
        "assignments": e.assignments.iter().map(part).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn create_and_update_through_the_api_with_problems_naming_fields_and_conflicts() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let s = &ctx.db.store;
        let cat = s.catalog().await.unwrap();
        let agent = login(&ctx, "agent").await;
        let input = new_dossier(&cat, ctx.t1);

        // No session: 401 problem, nothing created.
        let r = send(
            app,
            Method::POST,
            "/api/v1/dossiers",
            None,
            Some(("application/json", json!({ "input": input }).to_string())),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.is_problem());
        // An evaluator may read, not write.
        let eval = login(&ctx, "eval").await;
        let r = post_json(
            app,
            Method::POST,
            "/api/v1/dossiers",
            &eval,
            &json!({ "input": input }),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Created: 201, Location, number.
        let r = post_json(
            app,
            Method::POST,
            "/api/v1/dossiers",
            &agent,
            &json!({ "input": input }),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let saved = r.json();
        let id = saved["id"].as_i64().unwrap();
        let location = r.headers.get(header::LOCATION).unwrap().to_str().unwrap();
        assert_eq!(location, format!("/api/v1/dossiers/{id}"));
        assert!(saved["number"].as_str().unwrap().starts_with("2026-"));
        let read = get(app, location, &agent).await;
        assert_eq!(read.status, StatusCode::OK);
        assert_eq!(
            read.json()["children"][0]["data"]["person"]["birth_name"],
            "Zéphyrin"
        );

        // Refused: every field named, as RFC 9457.
        let mut bad = input.clone();
        bad.children[0].person.birth = BirthDate::Exact("2027-01-01".parse().unwrap());
        bad.children[0].address.postal_code = Some("18".into());
        bad.header.received_at = now() + chrono::Duration::days(3);
        bad.children[0].motif_ids.push(999_999);
        bad.children[0].person.first_names = "x".repeat(201);
        bad.adults.push(Adult {
            civility_id: None,
            birth_name: "Parent".into(),
            usage_name: None,
            first_names: None,
            address: Address {
                commune_insee: Some("18999".into()),
                ..Address::default()
            },
            phone: None,
            email: None,
        });
        let r = post_json(
            app,
            Method::POST,
            "/api/v1/dossiers",
            &agent,
            &json!({ "input": bad }),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.is_problem());
        let problem = r.json();
        assert_eq!(problem["status"], 422);
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&"children[0].birth_date")
                && fields.contains(&"children[0].address.postal_code")
                && fields.contains(&"received_at")
                && fields.contains(&"children[0].motifs")
                && fields.contains(&"children[0].first_names")
                && fields.contains(&"adults[0].address.commune_insee"),
            "{fields:?}"
        );
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["label"].is_string() && e["message"].is_string())
        );
        // A body missing a part is a problem too.
        let r = post_json(app, Method::POST, "/api/v1/dossiers", &agent, &json!({})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.is_problem() && r.body.contains("input"));

        // The dossier ready to modify: GET …/edition, change, PUT back.
        let r = get(app, &format!("/api/v1/dossiers/{id}/edition"), &agent).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let mut body = r.json();
        assert_eq!(
            body["children"].as_array().unwrap().len(),
            body["input"]["children"].as_array().unwrap().len()
        );
        body["input"]["header"]["snated_number"] = json!("SNATED-API-1");
        let r = post_json(
            app,
            Method::PUT,
            &format!("/api/v1/dossiers/{id}"),
            &agent,
            &body,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            r.json()["revisions"].as_array().unwrap().len(),
            1,
            "only the header changed"
        );
        let r = get(app, &format!("/api/v1/dossiers/{id}/edition"), &eval).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Update with the versions read.
        let rec = s
            .read_dossier(now(), &Actor::system(), &Scope::All, id)
            .await
            .unwrap();
        let base = DossierEdit::from_record(&rec);
        let mut mine = base.clone();
        mine.input.header.observation = Some("Observation de l'API".into());
        let r = post_json(
            app,
            Method::PUT,
            &format!("/api/v1/dossiers/{id}"),
            &agent,
            &update_body(rec.version, &mine),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["id"], id);
        assert!(!r.json()["revisions"].as_array().unwrap().is_empty());
        let after = s
            .read_dossier(now(), &Actor::system(), &Scope::All, id)
            .await
            .unwrap();
        assert_eq!(
            after.header.observation.as_deref(),
            Some("Observation de l'API")
        );
        // The same save from the stale version, with another value: 409 with the conflict.
        let mut stale = base.clone();
        stale.input.header.observation = Some("Autre observation".into());
        let r = post_json(
            app,
            Method::PUT,
            &format!("/api/v1/dossiers/{id}"),
            &agent,
            &update_body(rec.version, &stale),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert!(r.is_problem());
        let problem = r.json();
        let conflict = &problem["conflicts"][0];
        assert_eq!(conflict["part"], "header", "{problem}");
        assert_eq!(conflict["current_version"], after.version);
        assert!(
            conflict["changes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["old"] == "Observation de l'API" && c["new"] == "Autre observation"),
            "{conflict}"
        );
        // Lists that do not match the dossier: 422 naming the list.
        let mut body = update_body(after.version, &DossierEdit::from_record(&after));
        body["children"] = json!([]);
        let r = post_json(
            app,
            Method::PUT,
            &format!("/api/v1/dossiers/{id}"),
            &agent,
            &body,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "children");
        // Unknown dossier: 404 problem.
        let r = post_json(
            app,
            Method::PUT,
            "/api/v1/dossiers/999999",
            &agent,
            &update_body(after.version, &DossierEdit::from_record(&after)),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert!(r.is_problem());
        ctx.db.finish().await;
    }
}

/// The application's date (its clock is set to the tests' fixed instant).
fn today() -> NaiveDate {
    now().with_timezone(&chrono_tz::Europe::Paris).date_naive()
}

#[tokio::test]
async fn echeances_page_home_counts_and_record_navigation() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let s = &ctx.db.store;
        let cat = s.catalog().await.unwrap();
        let today = today();
        let s2 = cat
            .services
            .iter()
            .find(|x| x.territory_id == ctx.t2)
            .unwrap()
            .id;
        // Two dossiers with known échéances, received long before.
        let mut d1 = new_dossier(&cat, ctx.t1);
        d1.header.received_at = "2026-01-05T09:00:00Z".parse().unwrap();
        d1.assignments = vec![AssignmentInput {
            service_id: ctx.s1,
            asked_on: "2026-01-05".parse().unwrap(),
            due_on: today - Duration::days(3),
            evaluators: vec![],
            returned_on: None,
            result_id: None,
            cancelled: false,
            comment: None,
        }];
        let (d1, n1) = s
            .create_dossier(now(), &Actor::system(), &d1)
            .await
            .unwrap();
        let mut d2 = new_dossier(&cat, ctx.t2);
        d2.header.received_at = "2026-01-06T09:00:00Z".parse().unwrap();
        d2.assignments = vec![AssignmentInput {
            service_id: s2,
            due_on: today + Duration::days(6),
            ..d1_assignment(ctx.s1, today)
        }];
        d2.follow_ups = vec![FollowUp {
            kind: FollowUpKind::Feedback119,
            due_on: Some(today + Duration::days(2)),
            done_at: None,
            not_done_reason: None,
        }];
        let (_, n2) = s
            .create_dossier(now(), &Actor::system(), &d2)
            .await
            .unwrap();
        // And a third, in T1 too, without échéance (for the record navigation).
        s.create_dossier(now(), &Actor::system(), &new_dossier(&cat, ctx.t1))
            .await
            .unwrap();
        let expected = s
            .due_items(&Scope::All, today, 15, None, None)
            .await
            .unwrap();
        let (overdue, soon) = s.due_counts(&Scope::All, today).await.unwrap();
        assert!(overdue >= 1 && soon >= 2);

        let agent = login(&ctx, "agent").await;
        // Home: the counts, linking to the page.
        let home = get(app, "/", &agent).await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(
            home.body.contains(r#"<a href="/echeances"><strong>"#)
                && home
                    .body
                    .contains(&format!("<strong>{overdue}</strong> échéance"))
                && home.body.contains(&format!(
                    "<strong>{soon}</strong> dans les 15 prochains jours"
                )),
            "{}",
            home.body
        );
        // The page: every échéance, by date, overdue said in words.
        let page = get(app, "/echeances", &agent).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(
            page.body.matches("<tr class=\"overdue\">").count(),
            expected.iter().filter(|i| i.overdue).count()
        );
        assert!(page.body.contains("En retard de 3 jours"), "{}", page.body);
        let at = |n: &DossierNumber| page.body.find(&format!(">{n}</a>")).unwrap();
        assert!(at(&n1) < at(&n2), "by due date");
        assert!(page.body.contains(&format!("href=\"/dossiers/{d1}\"")));
        assert!(page.body.contains("Dans 2 jours") && page.body.contains("Retour au 119"));
        // Filters by id: territory, service.
        let t1 = get(app, &format!("/echeances?territoire={}", ctx.t1), &agent).await;
        assert!(
            t1.body.contains(&format!(">{n1}</a>")) && !t1.body.contains(&format!(">{n2}</a>"))
        );
        let by_s2 = get(app, &format!("/echeances?service={s2}"), &agent).await;
        assert!(
            by_s2.body.contains(&format!(">{n2}</a>"))
                && !by_s2.body.contains("Retour au 119")
                && !by_s2.body.contains(&format!(">{n1}</a>"))
        );
        let bad = get(app, "/echeances?territoire=abc", &agent).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("Territoire : valeur inconnue."));
        // The evaluator of T1: their territory only, and only its filters offered.
        let eval = login(&ctx, "eval").await;
        let seen = get(app, "/echeances", &eval).await;
        assert!(
            seen.body.contains(&format!(">{n1}</a>")) && !seen.body.contains(&format!(">{n2}</a>"))
        );
        let t2_label = &cat.territory(ctx.t2).unwrap().label;
        assert!(!seen.body.contains(&format!(">{t2_label}</option>")));

        // Record navigation: the list carries its filters to each dossier, which links
        // to the previous and next ones of that filtered list.
        let filter = format!("territoire={}&du=2025-01-01", ctx.t1);
        let rows = s
            .list_dossiers(
                &Scope::All,
                &ListFilter {
                    territory_id: Some(ctx.t1),
                    // 1 January 2025, Paris time.
                    from: Some("2024-12-31T23:00:00Z".parse().unwrap()),
                    ..ListFilter::default()
                },
                None,
                100,
            )
            .await
            .unwrap()
            .rows;
        assert!(rows.len() >= 2, "{}", rows.len());
        let list = get(app, &format!("/dossiers?{filter}"), &agent).await;
        let escaped = filter.replace('&', "&#38;");
        assert!(
            list.body
                .contains(&format!("href=\"/dossiers/{}?{escaped}\"", rows[0].id)),
            "{}",
            list.body
        );
        let first = get(app, &format!("/dossiers/{}?{filter}", rows[0].id), &agent).await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(!first.body.contains("Dossier précédent"));
        assert!(first.body.contains(&format!(
            "href=\"/dossiers/{}?{escaped}\" rel=\"next\">Dossier suivant",
            rows[1].id
        )));
        assert!(
            first
                .body
                .contains(&format!("href=\"/dossiers?{escaped}\""))
        );
        let second = get(app, &format!("/dossiers/{}?{filter}", rows[1].id), &agent).await;
        assert!(second.body.contains(&format!(
            "href=\"/dossiers/{}?{escaped}\" rel=\"prev\">« Dossier précédent",
            rows[0].id
        )));
        // Without a filter: the whole list's order.
        let all = s
            .list_dossiers(&Scope::All, &ListFilter::default(), None, 2)
            .await
            .unwrap()
            .rows;
        let plain = get(app, &format!("/dossiers/{}", all[0].id), &agent).await;
        assert!(
            plain
                .body
                .contains(&format!("href=\"/dossiers/{}\" rel=\"next\"", all[1].id))
        );
        ctx.db.finish().await;
    }
}

fn d1_assignment(service: i64, today: NaiveDate) -> AssignmentInput {
    AssignmentInput {
        service_id: service,
        asked_on: "2026-01-06".parse().unwrap(),
        due_on: today,
        evaluators: vec![],
        returned_on: None,
        result_id: None,
        cancelled: false,
        comment: None,
    }
}
