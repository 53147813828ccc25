//! The two-person rule through HTTP, on SQLite and PostgreSQL: an account that reads
//! dossiers, created or widened by an administrator, cannot log in nor read a dossier until
//! a responsable CRIP (another person) confirms it on `/comptes-en-attente`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigie_domain::*;
use vigie_store::sessions::SessionPolicy;
use vigie_store::testing::{TestDb, add_territory, now};
use vigie_store::users::{NewUser, UserInput};
use vigie_store::{Actor, Store};
use vigie_web::{AppState, WebConfig};

struct Ctx {
    app: Router,
    db: TestDb,
    t1: i64,
    t2: i64,
    dossier: i64,
    ids: std::collections::HashMap<&'static str, i64>,
}

struct Resp {
    status: StatusCode,
    location: String,
    cookie: String,
    body: String,
}

impl Ctx {
    fn s(&self) -> &Store {
        &self.db.store
    }

    /// A session past the second factor and re-authenticated, opened in the store (as the
    /// login would): the guard decides whether it is accepted.
    async fn session_of(&self, id: i64) -> String {
        let token = self
            .s()
            .open_session(now(), id, None, SessionPolicy::default())
            .await
            .unwrap();
        let cookie = format!("vigie_session={token}");
        self.s()
            .testing_reauthenticate(&cookie, now())
            .await
            .unwrap();
        cookie
    }

    async fn session(&self, login: &str) -> String {
        self.session_of(self.ids[login]).await
    }

    async fn send(&self, method: Method, uri: &str, cookie: &str, form: Option<&str>) -> Resp {
        let b = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "vigie.test")
            .header(header::COOKIE, cookie);
        let mut req = match form {
            Some(f) => b
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(f.to_owned()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let addr: SocketAddr = "192.0.2.20:40000".parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let h = |n| {
            res.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let location = h(header::LOCATION);
        let cookie = h(header::SET_COOKIE)
            .split(';')
            .next()
            .unwrap_or("")
            .to_owned();
        let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes())
            .replace("&#39;", "'");
        Resp {
            status,
            location,
            cookie,
            body,
        }
    }

    async fn get(&self, uri: &str, cookie: &str) -> Resp {
        self.send(Method::GET, uri, cookie, None).await
    }

    async fn post(&self, uri: &str, cookie: &str, form: &str) -> Resp {
        self.send(Method::POST, uri, cookie, Some(form)).await
    }

    async fn login(&self, login: &str, password: &str) -> Resp {
        let form = format!("login={login}&password={}", password.replace(' ', "+"));
        self.post("/connexion", "", &form).await
    }

    async fn actions(&self, action: &str) -> Vec<vigie_store::audit::Entry> {
        self.s()
            .audit_page(0, 1_000_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == action)
            .collect()
    }
}

async fn setup(db: TestDb) -> Ctx {
    let s: &Store = &db.store;
    let a = Actor::system();
    let t1 = add_territory(s, now(), &a, "T1", "MDS Nord").await;
    let t2 = add_territory(s, now(), &a, "T2", "MDS Sud").await;
    let mut ids = std::collections::HashMap::new();
    for (login, role, territories) in [
        ("admin", Role::Administrateur, vec![]),
        ("resp", Role::ResponsableCrip, vec![]),
        ("resp2", Role::ResponsableCrip, vec![]),
        ("eval", Role::EvaluateurTerritorial, vec![t1]),
    ] {
        let id = s
            .add_user(
                now(),
                &a,
                &NewUser {
                    login: login.into(),
                    display_name: format!("Nom {login}"),
                    password_hash: vigie_store::password::hash("mot de passe de test"),
                    role,
                    territories,
                    service_id: None,
                    demo: false,
                },
            )
            .await
            .unwrap();
        ids.insert(login, id);
    }
    let cat = s.catalog().await.unwrap();
    let p = |k: ParamKind, c: &str| cat.of_kind(k).find(|v| v.code == c).unwrap().id;
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
        source: Source::anonymous(Some(p(ParamKind::SourceCategory, "ANONYME"))),
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
            motif_ids: vec![],
            evaluation_result_id: None,
            conclusion: None,
        }],
        assignments: vec![],
        follow_ups: vec![],
    };
    let (dossier, _) = s.create_dossier(now(), &a, &input).await.unwrap();
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
        dossier,
        ids,
    }
}

/// The temporary password shown once on the page.
fn shown_password(body: &str) -> String {
    let start = body.find("<code>").expect("password shown") + "<code>".len();
    let end = body[start..].find("</code>").unwrap() + start;
    body[start..end].to_owned()
}

const WAITING: &str = "Votre compte attend la confirmation d'un responsable CRIP.";

#[tokio::test]
async fn an_account_created_by_an_administrator_cannot_read_a_dossier_until_a_responsable_confirms_it()
 {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let s = ctx.s();
        let admin = ctx.session("admin").await;
        let created = ctx
            .post(
                "/admin/utilisateurs/nouveau",
                &admin,
                "login=c.agent&display_name=Camille+Agent&role=agent&service=",
            )
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        assert!(created.body.contains("en attente de confirmation"));
        let password = shown_password(&created.body);
        let (id, _) = s.login_hash("c.agent").await.unwrap().unwrap();
        let list = ctx.get("/admin/utilisateurs", &admin).await;
        assert!(
            list.body.contains("en attente de confirmation"),
            "{}",
            list.body
        );

        // The right password: a clear French message, no session, audited.
        let r = ctx.login("c.agent", &password).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains(WAITING), "{}", r.body);
        assert!(r.cookie.is_empty(), "no session cookie: {}", r.cookie);
        assert_eq!(ctx.actions("connexion.en_attente").await.len(), 1);
        // A wrong password says nothing of the account's state.
        let r = ctx.login("c.agent", "mauvais mot de passe").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(!r.body.contains(WAITING));

        // Even a session the store was made to open reads no dossier.
        // (As if its temporary password had been changed: the guard would ask for that first.)
        ctx.db
            .raw("UPDATE app_user SET must_change_password = FALSE WHERE login = 'c.agent'")
            .await
            .unwrap();
        let before = ctx.session_of(id).await;
        let dossier = format!("/dossiers/{}", ctx.dossier);
        let r = ctx.get(&dossier, &before).await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (StatusCode::SEE_OTHER, "/connexion")
        );

        // The administrator who created it cannot confirm it: not their page.
        let r = ctx.get("/comptes-en-attente", &admin).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = ctx
            .post(&format!("/comptes-en-attente/{id}/confirmer"), &admin, "")
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(s.is_pending(id).await.unwrap());

        // The responsable sees who asked, when and what, and confirms.
        let resp = ctx.session("resp").await;
        let page = ctx.get("/comptes-en-attente", &resp).await;
        assert_eq!(page.status, StatusCode::OK);
        for t in [
            "Camille Agent (c.agent)",
            "Agent CRIP",
            "Nom admin (admin)",
            "24/11/2026",
            "création du compte",
            &format!(r#"action="/comptes-en-attente/{id}/confirmer""#),
            ">Confirmer</button>",
        ] {
            assert!(page.body.contains(t), "{t}: {}", page.body);
        }
        let r = ctx
            .post(&format!("/comptes-en-attente/{id}/confirmer"), &resp, "")
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("/comptes-en-attente?confirme={id}"));
        let page = ctx.get(&r.location, &resp).await;
        assert!(
            page.body.contains("Compte c.agent confirmé"),
            "{}",
            page.body
        );
        assert!(page.body.contains("Aucun compte en attente."));
        let confirmed = ctx.actions("utilisateur.confirmation").await;
        assert_eq!(confirmed.len(), 1);
        assert_eq!(
            (confirmed[0].user_id, confirmed[0].object_id),
            (Some(ctx.ids["resp"]), Some(id))
        );

        // Now the password opens a session (the second factor comes next)…
        let r = ctx.login("c.agent", &password).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location, "/connexion/second-facteur");
        assert!(!r.cookie.is_empty());
        // … and a session reads the dossier.
        let after = ctx.session_of(id).await;
        let r = ctx.get(&dossier, &after).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.location);
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn a_change_that_grants_a_territory_closes_the_sessions_and_the_asker_cannot_confirm() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let s = ctx.s();
        let eval_id = ctx.ids["eval"];
        let eval = ctx.session("eval").await;
        assert_eq!(ctx.get("/", &eval).await.status, StatusCode::OK);

        // The administrator gives the evaluator a second territory.
        let admin = ctx.session("admin").await;
        let r = ctx
            .post(
                &format!("/admin/utilisateurs/{eval_id}"),
                &admin,
                &format!(
                    "display_name=Nom+eval&role=evaluateur&territories={}&territories={}&service=&version=1",
                    ctx.t1, ctx.t2
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = ctx.get(&r.location, &admin).await;
        assert!(
            page.body
                .contains("le compte attend la confirmation d'un responsable CRIP"),
            "{}",
            page.body
        );
        assert!(page.body.contains("en attente de confirmation"));
        // Its open session is closed at once.
        let r = ctx.get("/", &eval).await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (StatusCode::SEE_OTHER, "/connexion")
        );
        let r = ctx.login("eval", "mot de passe de test").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains(WAITING));

        // A change asked by a responsable (through the store: no role asks and confirms in
        // the web) cannot be confirmed by them: a French refusal, audited.
        let resp_id = ctx.ids["resp"];
        let other = s
            .create_user(
                now(),
                &Actor::user(resp_id, None),
                "c.eval",
                &UserInput {
                    display_name: "Claude Éval".into(),
                    role: "evaluateur".into(),
                    territories: vec![ctx.t1],
                    service_id: None,
                },
                "x",
            )
            .await
            .unwrap();
        let resp = ctx.session("resp").await;
        let page = ctx.get("/comptes-en-attente", &resp).await;
        assert!(page.body.contains("territoires"), "{}", page.body);
        assert!(page.body.contains("MDS Nord, MDS Sud"));
        let r = ctx
            .post(&format!("/comptes-en-attente/{other}/confirmer"), &resp, "")
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(
            r.body
                .contains("Vous avez vous-même demandé ce changement : un autre responsable CRIP doit le confirmer."),
            "{}",
            r.body
        );
        assert!(s.is_pending(other).await.unwrap());
        assert_eq!(
            ctx.actions("utilisateur.confirmation_refusee").await.len(),
            1
        );
        // Another responsable may; the evaluator logs in again.
        let resp2 = ctx.session("resp2").await;
        for id in [other, eval_id] {
            let r = ctx
                .post(&format!("/comptes-en-attente/{id}/confirmer"), &resp2, "")
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        let r = ctx.login("eval", "mot de passe de test").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        ctx.db.finish().await;
    }
}
