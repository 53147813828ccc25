//! What the tests of documents and templates share: a dossier (assigned to a service, its
//! source confidential but named) with an agent, a responsable and two évaluateurs; requests
//! with a session; multipart bodies.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;

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

pub struct World {
    pub app: Router,
    pub store: Store,
    pub agent: i64,
    pub responsable: i64,
    /// Évaluateur of the service the dossier is assigned to.
    pub evaluator: i64,
    /// Évaluateur of the dossier's territory, whose service has no assignment on it.
    pub neighbour: i64,
    pub dossier: i64,
    pub category_ip: i64,
    pub category_report: i64,
}

pub async fn user(
    s: &Store,
    login: &str,
    role: Role,
    territories: Vec<i64>,
    service: Option<i64>,
) -> i64 {
    s.add_user(
        now(),
        &Actor::system(),
        &NewUser {
            login: login.into(),
            display_name: format!("Nom {login}"),
            password_hash: "x".into(),
            role,
            territories,
            service_id: service,
            demo: false,
        },
    )
    .await
    .unwrap()
}

/// A dossier received 2026-11-20 in `territory`, its source confidential but named, one child
/// (`name`, Léa, born 2018-03-01) and one evaluation asked of `service` on 2026-11-21, due `due`.
pub fn dossier_input(
    cat: &vigie_domain::catalog::Catalog,
    territory: i64,
    service: i64,
    due: &str,
    name: &str,
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
        source: Source {
            category_id: Some(p(ParamKind::SourceCategory, "EN")),
            confidentiality: SourceConfidentiality::Confidential,
            name: Some("Mme LEROY".into()),
            organisation: None,
            address: Address::default(),
            email: None,
            phone: None,
        },
        adults: vec![],
        children: vec![ChildInput {
            person_id: None,
            person: Person {
                birth_name: name.into(),
                usage_name: None,
                first_names: "Léa".into(),
                sex: Sex::Female,
                birth: BirthDate::Exact("2018-03-01".parse().unwrap()),
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
        assignments: vec![AssignmentInput {
            service_id: service,
            asked_on: "2026-11-21".parse().unwrap(),
            due_on: due.parse().unwrap(),
            evaluators: vec![],
            returned_on: None,
            result_id: None,
            cancelled: false,
            comment: None,
        }],
        follow_ups: vec![],
    }
}

pub async fn world(db: &TestDb, uploads: UploadSettings) -> World {
    let s = &db.store;
    let a = Actor::system();
    let t1 = add_territory(s, now(), &a, "T1", "MDS Nord").await;
    let s1 = add_service(s, now(), &a, t1, "S1", "Évaluation Nord").await;
    let s2 = add_service(s, now(), &a, t1, "S2", "Évaluation Nord bis").await;
    let cat = s.catalog().await.unwrap();
    let p = |k: ParamKind, c: &str| cat.of_kind(k).find(|v| v.code == c).unwrap().id;
    let input = dossier_input(&cat, t1, s1, "2027-02-21", "MARTIN");
    let (dossier, _) = s.create_dossier(now(), &a, &input).await.unwrap();
    let agent = user(s, "agent", Role::AgentCrip, vec![], None).await;
    let responsable = user(s, "responsable", Role::ResponsableCrip, vec![], None).await;
    let evaluator = user(
        s,
        "evaluateur",
        Role::EvaluateurTerritorial,
        vec![],
        Some(s1),
    )
    .await;
    let neighbour = user(s, "voisin", Role::EvaluateurTerritorial, vec![t1], Some(s2)).await;
    let config = WebConfig {
        uploads,
        ..WebConfig::default()
    };
    let state = AppState::new(s.clone(), config, vigie_web::Clock::fixed(now()));
    World {
        app: vigie_web::app(state),
        store: s.clone(),
        agent,
        responsable,
        evaluator,
        neighbour,
        dossier,
        category_ip: p(ParamKind::DocumentCategory, "IP"),
        category_report: p(ParamKind::DocumentCategory, "EVAL"),
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
}

pub const BOUNDARY: &str = "----vigie-test-boundary";

/// A `multipart/form-data` body: text fields, then files `(field, name, bytes)`.
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        write!(
            b,
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        )
        .unwrap();
    }
    for (k, name, bytes) in files {
        write!(
            b,
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .unwrap();
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    write!(b, "--{BOUNDARY}--\r\n").unwrap();
    b
}

pub async fn send(
    w: &World,
    user: i64,
    method: Method,
    uri: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Answer {
    let token = w
        .store
        .open_session(now(), user, None, SessionPolicy::default())
        .await
        .unwrap();
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "vigie.test")
        .header(header::COOKIE, format!("vigie_session={token}"));
    if !content_type.is_empty() {
        b = b.header(header::CONTENT_TYPE, content_type);
    }
    let res = w
        .app
        .clone()
        .oneshot(b.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn get(w: &World, user: i64, uri: &str) -> Answer {
    send(w, user, Method::GET, uri, "", Vec::new()).await
}
