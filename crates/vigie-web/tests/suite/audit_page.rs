//! The traçabilité page and its CSV export, against a real store on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigie_domain::*;
use vigie_store::Actor;
use vigie_store::testing::{TestDb, add_territory, now};
use vigie_store::users::NewUser;
use vigie_web::{AppState, WebConfig};

const PW: &str = "mot de passe de test";

struct Ctx {
    app: Router,
    db: TestDb,
    d1: i64,
    d2: i64,
}

async fn setup(db: TestDb) -> Ctx {
    let s = &db.store;
    let a = Actor::system();
    let t1 = add_territory(s, now(), &a, "T1", "MDS Nord").await;
    let hash = vigie_store::password::hash(PW);
    for (login, role) in [
        ("responsable", Role::ResponsableCrip),
        ("agent", Role::AgentCrip),
    ] {
        s.add_user(
            now(),
            &a,
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
    let cat = s.catalog().await.unwrap();
    let p = |k: ParamKind, c: &str| cat.of_kind(k).find(|v| v.code == c).unwrap().id;
    let mk = |name: &str| DossierInput {
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
        source: Source::anonymous(Some(p(ParamKind::SourceCategory, "ANONYME"))),
        adults: vec![],
        children: vec![ChildInput {
            person_id: None,
            person: Person {
                birth_name: name.into(),
                usage_name: None,
                first_names: "Éloïse".into(),
                sex: Sex::Female,
                birth: BirthDate::Exact("2016-04-02".parse().unwrap()),
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
    let (d1, _) = s.create_dossier(now(), &a, &mk("Lefèvre")).await.unwrap();
    let (d2, _) = s.create_dossier(now(), &a, &mk("Dubois")).await.unwrap();
    let state = AppState::new(
        s.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(now()),
    );
    Ctx {
        app: vigie_web::app(state),
        db,
        d1,
        d2,
    }
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    bytes: Vec<u8>,
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
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

/// Password form, then the second factor marked passed (its flow is tested elsewhere).
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
    let cookie = r
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    ctx.db
        .store
        .testing_pass_second_factor(&cookie, now())
        .await
        .unwrap();
    cookie
}

/// Every `href` and `action` of a page.
fn urls(body: &str) -> Vec<String> {
    body.split(['"'])
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[0].ends_with("href=") || w[0].ends_with("action="))
        .map(|w| w[1].to_owned())
        .collect()
}

#[tokio::test]
async fn the_responsable_sees_who_consulted_a_dossier_and_an_agent_is_refused() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let agent = login(&ctx, "agent").await;
        // The agent consults the first dossier (twice) and the second one.
        for id in [ctx.d1, ctx.d1, ctx.d2] {
            let r = send(
                app,
                Method::GET,
                &format!("/dossiers/{id}"),
                Some(&agent),
                None,
            )
            .await;
            assert_eq!(r.status, StatusCode::OK);
        }
        // The audit trail is not for agents: 403, and the refusal is recorded.
        let r = send(app, Method::GET, "/tracabilite", Some(&agent), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let last = ctx.db.store.audit_tail(1).await.unwrap().remove(0);
        assert_eq!(last.action, "acces.refuse");
        assert!(last.detail.unwrap().contains("AuditRead"));
        let r = send(
            app,
            Method::GET,
            "/tracabilite/export.csv",
            Some(&agent),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let home = send(app, Method::GET, "/dossiers", Some(&agent), None).await;
        assert!(!home.body.contains("href=\"/tracabilite\""));

        let resp = login(&ctx, "responsable").await;
        let home = send(app, Method::GET, "/dossiers", Some(&resp), None).await;
        assert!(
            home.body
                .contains("<a href=\"/tracabilite\">Traçabilité</a>")
        );
        let r = send(
            app,
            Method::GET,
            "/tracabilite?dossier=2026-000001&action=dossier.consultation",
            Some(&resp),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let rows = r.body.matches("<td>Nom agent (agent)</td>").count();
        assert_eq!(rows, 2, "two consultations of 2026-000001 by the agent");
        assert!(
            r.body.contains("Consultation d&#39;un dossier")
                || r.body.contains("Consultation d'un dossier")
        );
        assert!(r.body.contains(&format!(
            "<a href=\"/dossiers/{}\">Dossier 2026-000001</a>",
            ctx.d1
        )));
        assert!(!r.body.contains("2026-000002"));
        // The consultation of the trail is itself recorded, with the filters' ids.
        let last = ctx.db.store.audit_tail(1).await.unwrap().remove(0);
        assert_eq!(last.action, "audit.consultation");
        assert_eq!(
            last.detail.as_deref(),
            Some(format!("dossier={};action=dossier.consultation", ctx.d1).as_str())
        );
        // By dossier id too; a bad filter is said in French.
        let r = send(
            app,
            Method::GET,
            &format!("/tracabilite?dossier={}", ctx.d2),
            Some(&resp),
            None,
        )
        .await;
        assert!(r.body.contains("Dossier 2026-000002") && !r.body.contains("Dossier 2026-000001"));
        let r = send(
            app,
            Method::GET,
            "/tracabilite?dossier=2026-000999&du=31/02/2026",
            Some(&resp),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("aucun dossier n° 2026-000999")
                && r.body.contains("Du : date attendue")
        );

        // Who consulted this child's data? The name goes in a POST body, the URL holds an id.
        let r = send(
            app,
            Method::POST,
            "/tracabilite/enfant",
            Some(&resp),
            Some("q=lefevre+eloise"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("Éloïse LEFÈVRE") && r.body.contains("2026-000001"));
        assert!(!r.body.contains("DUBOIS"));
        for u in urls(&r.body) {
            assert!(
                !u.to_lowercase().contains("lef") && !u.contains("%C3"),
                "{u}"
            );
        }
        let link = urls(&r.body)
            .into_iter()
            .find(|u| u.starts_with("/tracabilite?personne="))
            .unwrap();
        let r = send(app, Method::GET, &link, Some(&resp), None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("Enfant : <strong>Éloïse LEFÈVRE</strong>"));
        // The agent's entries about this child: the two above, and the list that showed it.
        assert_eq!(r.body.matches("<td>Nom agent (agent)</td>").count(), 3);
        assert!(r.body.contains("Liste de dossiers affichée"));
        assert!(!r.body.contains("Dossier 2026-000002"));
        for u in urls(&r.body) {
            assert!(!u.to_lowercase().contains("lef"), "{u}");
        }
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn the_csv_export_requires_a_recent_reauthentication_and_gives_the_filtered_rows() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let agent = login(&ctx, "agent").await;
        for id in [ctx.d1, ctx.d2] {
            send(
                app,
                Method::GET,
                &format!("/dossiers/{id}"),
                Some(&agent),
                None,
            )
            .await;
        }
        let resp = login(&ctx, "responsable").await;
        let uri = "/tracabilite/export.csv?dossier=2026-000001";
        let r = send(app, Method::GET, uri, Some(&resp), None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let to = r.headers.get(header::LOCATION).unwrap().to_str().unwrap();
        assert!(
            to.starts_with(
                "/reauthentification?retour=/tracabilite/export.csv%3Fdossier%3D2026-000001"
            ),
            "{to}"
        );
        assert!(
            !ctx.db.store.audit_tail(1).await.unwrap()[0]
                .action
                .starts_with("audit.export"),
            "nothing exported"
        );
        ctx.db
            .store
            .testing_reauthenticate(&resp, now())
            .await
            .unwrap();
        let r = send(app, Method::GET, uri, Some(&resp), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            r.headers.get(header::CONTENT_TYPE).unwrap(),
            "text/csv; charset=utf-8"
        );
        let disposition = r
            .headers
            .get(header::CONTENT_DISPOSITION)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            disposition.starts_with("attachment; filename=\"tracabilite-"),
            "{disposition}"
        );
        assert!(
            r.bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
            "UTF-8 byte order mark"
        );
        let text = r.body.trim_start_matches('\u{feff}');
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "N°;Date (heure de Paris);Utilisateur;Action;Code de l'action;Objet;Détail;Adresse IP"
        );
        // The consultation by the agent, then the creation by the command line.
        assert_eq!(lines.len(), 3, "{text}");
        let cols: Vec<&str> = lines[1].split(';').collect();
        assert_eq!(cols.len(), 8);
        assert_eq!(cols[2], "Nom agent (agent)");
        assert_eq!(cols[3], "Consultation d'un dossier");
        assert_eq!(cols[4], "dossier.consultation");
        assert_eq!(cols[5], "Dossier 2026-000001");
        assert!(lines[2].contains("dossier.creation") && lines[2].contains("Système"));
        assert!(!text.contains("2026-000002"));
        let last = ctx.db.store.audit_tail(1).await.unwrap().remove(0);
        assert_eq!(last.action, "audit.export");
        assert_eq!(last.detail, Some(format!("dossier={}", ctx.d1)));
        ctx.db.finish().await;
    }
}
