//! User administration, the roles page and accès exceptionnels (break-glass), through HTTP
//! against a real store, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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
use vigie_web::{AppState, WebConfig};

struct Ctx {
    app: Router,
    state: AppState,
    db: TestDb,
    t1: i64,
    t2: i64,
    s2: i64,
    in_t1: i64,
    in_t2: i64,
    ids: std::collections::HashMap<&'static str, i64>,
}

impl Ctx {
    fn s(&self) -> &Store {
        &self.db.store
    }

    fn id(&self, login: &str) -> i64 {
        self.ids[login]
    }

    /// A session past the second factor (the login and TOTP flows are tested elsewhere);
    /// `reauth`: re-authenticated just now.
    async fn session(&self, login: &str, reauth: bool) -> String {
        let token = self
            .s()
            .open_session(now(), self.id(login), None, SessionPolicy::default())
            .await
            .unwrap();
        let cookie = format!("vigie_session={token}");
        self.s()
            .testing_pass_second_factor(&cookie, now())
            .await
            .unwrap();
        if reauth {
            self.s()
                .testing_reauthenticate(&cookie, now())
                .await
                .unwrap();
        }
        cookie
    }

    async fn get(&self, uri: &str, cookie: &str) -> Resp {
        send(&self.app, Method::GET, uri, cookie, None).await
    }

    async fn post(&self, uri: &str, cookie: &str, form: &str) -> Resp {
        send(&self.app, Method::POST, uri, cookie, Some(form)).await
    }

    async fn last(&self) -> vigie_store::audit::Entry {
        self.s().audit_tail(1).await.unwrap().remove(0)
    }
}

fn dossier(cat: &vigie_domain::catalog::Catalog, territory: i64) -> DossierInput {
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
    }
}

async fn setup(db: TestDb) -> Ctx {
    let s: &Store = &db.store;
    let a = Actor::system();
    let t1 = add_territory(s, now(), &a, "T1", "MDS Bourges Nord").await;
    let t2 = add_territory(s, now(), &a, "T2", "MDS Vierzon").await;
    add_service(s, now(), &a, t1, "S1", "Évaluation Nord").await;
    let s2 = add_service(s, now(), &a, t2, "S2", "Évaluation Vierzon").await;
    let mut ids = std::collections::HashMap::new();
    for (login, role, territories) in [
        ("admin", Role::Administrateur, vec![]),
        ("admin2", Role::Administrateur, vec![]),
        ("resp", Role::ResponsableCrip, vec![]),
        ("agent", Role::AgentCrip, vec![]),
        ("eval", Role::EvaluateurTerritorial, vec![t1]),
    ] {
        let id = s
            .add_user(
                now(),
                &a,
                &NewUser {
                    login: login.into(),
                    display_name: format!("Nom {login}"),
                    password_hash: "x".into(),
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
    let (in_t1, _) = s
        .create_dossier(now(), &a, &dossier(&cat, t1))
        .await
        .unwrap();
    let (in_t2, _) = s
        .create_dossier(now(), &a, &dossier(&cat, t2))
        .await
        .unwrap();
    let state = AppState::new(
        s.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(now()),
    );
    Ctx {
        app: vigie_web::app(state.clone()),
        state,
        db,
        t1,
        t2,
        s2,
        in_t1,
        in_t2,
        ids,
    }
}

struct Resp {
    status: StatusCode,
    location: String,
    body: String,
}

async fn send(app: &Router, method: Method, uri: &str, cookie: &str, form: Option<&str>) -> Resp {
    let b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "vigie.test")
        .header(header::COOKIE, cookie);
    let req = match form {
        Some(f) => b
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(f.to_owned()))
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
    // Apostrophes in messages are escaped by the templates: read them as text.
    let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes())
        .replace("&#39;", "'");
    Resp {
        status,
        location,
        body,
    }
}

/// The temporary password shown once on the page.
fn shown_password(body: &str) -> String {
    let start = body.find("<code>").expect("password shown") + "<code>".len();
    let end = body[start..].find("</code>").unwrap() + start;
    body[start..end].to_owned()
}

#[tokio::test]
async fn an_administrator_creates_and_edits_users_and_forged_fields_are_refused() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let s = ctx.s();
        let c = ctx.session("admin", true).await;

        let list = ctx.get("/admin/utilisateurs", &c).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(list.body.contains("Nom eval") && list.body.contains("MDS Bourges Nord"));
        assert!(list.body.contains("Non enrôlé"));
        assert!(
            list.body
                .contains(r#"<a href="/admin/utilisateurs">Utilisateurs</a>"#)
        );
        let form = ctx.get("/admin/utilisateurs/nouveau", &c).await;
        assert_eq!(form.status, StatusCode::OK);
        for t in [
            r#"<label for="login">"#,
            r#"<label for="role">"#,
            r#"<legend>Territoires</legend>"#,
            r#"<label for="service">"#,
        ] {
            assert!(form.body.contains(t), "{t}");
        }

        // Creation: a temporary password shown once, to change at the first login.
        let created = ctx
            .post(
                "/admin/utilisateurs/nouveau",
                &c,
                &format!(
                    "login=c.martin&display_name=Camille+Martin&role=evaluateur&territories={}&service=",
                    ctx.t1
                ),
            )
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        assert!(created.body.contains("une seule fois"));
        let pw = shown_password(&created.body);
        assert_eq!(pw.len(), 23, "{pw}");
        let (id, hash) = s.login_hash("c.martin").await.unwrap().unwrap();
        assert!(vigie_store::password::verify(&pw, &hash));
        let d = s.user_detail(now(), id).await.unwrap();
        assert!(d.user.must_change_password);
        assert_eq!(
            (d.user.role, d.user.territories.clone()),
            (Role::EvaluateurTerritorial, vec![ctx.t1])
        );
        // An evaluator reads dossiers: the account waits for a responsable (two-person rule,
        // tests/suite/pending_accounts.rs), and the administrator is told so.
        let tail = s.audit_tail(2).await.unwrap();
        assert_eq!(tail[1].action, "utilisateur.creation");
        assert_eq!(tail[0].action, "utilisateur.confirmation_demandee");
        assert!(created.body.contains("en attente de confirmation"));
        let page = ctx.get(&format!("/admin/utilisateurs/{id}"), &c).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("en attente de confirmation"));
        assert!(!page.body.contains(&pw), "shown once only");
        assert!(page.body.contains(r#"name="version" value="1""#));

        // Forged fields: 422 with a French message naming the field, nothing written, audited.
        let users_before = s.list_users().await.unwrap().len();
        for (form, words, fields) in [
            (
                format!(
                    "display_name=Camille+Martin&role=evaluateur&territories={}&territories=999999&version=1",
                    ctx.t1
                ),
                "le territoire n° 999999 n'existe pas",
                "champs=territories",
            ),
            (
                "display_name=Camille+Martin&role=root&version=1".to_owned(),
                "ce rôle n'existe pas",
                "champs=role",
            ),
            (
                format!(
                    "display_name=Camille+Martin&role=evaluateur&territories={}&service=777777&version=1",
                    ctx.t1
                ),
                "le service n° 777777 n'existe pas",
                "champs=service",
            ),
            (
                "display_name=Camille+Martin&role=evaluateur&territories=abc&version=1".to_owned(),
                "cochez des territoires de la liste",
                "champs=territories",
            ),
        ] {
            let r = ctx
                .post(&format!("/admin/utilisateurs/{id}"), &c, &form)
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{form}");
            assert!(r.body.contains(words), "{form}: {}", r.body);
            assert!(r.body.contains("Rien n'a été enregistré"));
            assert!(r.body.contains(r#"aria-invalid="true""#));
            let e = ctx.last().await;
            assert_eq!(e.action, "utilisateur.modification_refusee", "{form}");
            assert_eq!(e.detail.as_deref(), Some(fields));
            assert_eq!((e.object_id, e.user_id), (Some(id), Some(ctx.id("admin"))));
            let now_d = s.user_detail(now(), id).await.unwrap();
            assert_eq!(now_d.version, 1, "nothing written");
            assert_eq!(now_d.user.territories, vec![ctx.t1]);
        }
        // An inactive territory cannot be given.
        ctx.db
            .raw(&format!(
                "UPDATE territory SET active = FALSE WHERE id = {}",
                ctx.t2
            ))
            .await
            .unwrap();
        let r = ctx
            .post(
                &format!("/admin/utilisateurs/{id}"),
                &c,
                &format!(
                    "display_name=Camille+Martin&role=evaluateur&territories={}&version=1",
                    ctx.t2
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("est désactivé"), "{}", r.body);
        ctx.db
            .raw(&format!(
                "UPDATE territory SET active = TRUE WHERE id = {}",
                ctx.t2
            ))
            .await
            .unwrap();
        // An unknown role at creation: nothing created.
        let r = ctx
            .post(
                "/admin/utilisateurs/nouveau",
                &c,
                "login=x.y&display_name=X&role=superadmin",
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("ce rôle n'existe pas"));
        assert!(!r.body.contains("<code>"), "no password shown");
        assert_eq!(ctx.last().await.action, "utilisateur.creation_refusee");
        assert_eq!(s.list_users().await.unwrap().len(), users_before);
        assert!(s.login_hash("x.y").await.unwrap().is_none());

        // A valid change: saved, then a stale form is refused (409), the input kept.
        let r = ctx
            .post(
                &format!("/admin/utilisateurs/{id}"),
                &c,
                &format!(
                    "display_name=Camille+Martin&role=evaluateur&territories={}&territories={}&service={}&version=1",
                    ctx.t1, ctx.t2, ctx.s2
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // A new territory and service: the account (still) waits for a responsable.
        assert_eq!(r.location, format!("/admin/utilisateurs/{id}?fait=attente"));
        let d = s.user_detail(now(), id).await.unwrap();
        assert_eq!(
            (d.version, d.user.territories.clone(), d.user.service_id),
            (2, vec![ctx.t1, ctx.t2], Some(ctx.s2))
        );
        let e = s.audit_tail(2).await.unwrap().remove(1);
        assert_eq!(e.action, "utilisateur.modification");
        assert_eq!(e.detail.as_deref(), Some("champs=territories,service"));
        let page = ctx
            .get(&format!("/admin/utilisateurs/{id}?fait=modification"), &c)
            .await;
        assert!(page.body.contains("Modifications enregistrées"));
        let r = ctx
            .post(
                &format!("/admin/utilisateurs/{id}"),
                &c,
                "display_name=Autre+Nom&role=agent&version=1",
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("modifié entre-temps"));
        assert!(r.body.contains(r#"value="Autre Nom""#), "input kept");
        assert_eq!(s.user_detail(now(), id).await.unwrap().version, 2);

        // The roles page: the matrix with text alternatives.
        let roles = ctx.get("/admin/roles", &c).await;
        assert_eq!(roles.status, StatusCode::OK);
        assert!(
            roles
                .body
                .contains("<caption>Permissions par rôle</caption>")
        );
        assert!(
            roles
                .body
                .contains(r#"<th scope="row">Administrer les utilisateurs</th>"#)
        );
        assert!(
            roles
                .body
                .contains(r#"<span aria-hidden="true">✓</span> Oui"#)
        );
        assert!(roles.body.contains("Évaluateur territorial"));
        assert!(roles.body.contains("accès exceptionnel"));

        // Without a recent re-authentication: sent to re-authenticate, GET and POST alike.
        let stale = ctx.session("admin", false).await;
        for (m, uri) in [
            (Method::GET, "/admin/utilisateurs".to_owned()),
            (Method::GET, format!("/admin/utilisateurs/{id}")),
            (Method::POST, format!("/admin/utilisateurs/{id}")),
            (Method::POST, format!("/admin/utilisateurs/{id}/desactiver")),
            (Method::POST, "/admin/utilisateurs/nouveau".to_owned()),
        ] {
            let r = send(
                &ctx.app,
                m.clone(),
                &uri,
                &stale,
                Some("role=agent&version=2"),
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{m} {uri}");
            assert!(
                r.location
                    .starts_with("/reauthentification?retour=/admin/utilisateurs"),
                "{m} {uri}: {}",
                r.location
            );
        }
        assert_eq!(s.user_detail(now(), id).await.unwrap().version, 2);
        assert!(s.verify_audit().await.unwrap().broken.is_none());
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn disabling_ends_sessions_at_once_and_a_role_change_applies_on_the_next_request() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let s = ctx.s();
        let c = ctx.session("admin", true).await;

        // Another role gets 403 on user administration, and the refusal is audited.
        let agent = ctx.session("agent", true).await;
        let r = ctx.get("/admin/utilisateurs", &agent).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let e = ctx.last().await;
        assert_eq!(e.action, "acces.refuse");
        assert_eq!(e.user_id, Some(ctx.id("agent")));
        assert!(e.detail.unwrap().contains("UsersAdmin"));

        // The agent demoted to statistics reader: the same cookie gets 403 on the next request.
        assert_eq!(ctx.get("/dossiers", &agent).await.status, StatusCode::OK);
        let r = ctx
            .post(
                &format!("/admin/utilisateurs/{}", ctx.id("agent")),
                &c,
                "display_name=Nom+agent&role=statistiques&service=&version=1",
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(
            ctx.get("/dossiers", &agent).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            ctx.get(&format!("/dossiers/{}", ctx.in_t1), &agent)
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        // Disabling: confirmed on a second page, then every session of the user ends at once.
        let eval = ctx.session("eval", false).await;
        let eval2 = ctx.session("eval", false).await;
        assert_eq!(ctx.get("/dossiers", &eval).await.status, StatusCode::OK);
        let uri = format!("/admin/utilisateurs/{}/desactiver", ctx.id("eval"));
        let ask = ctx.post(&uri, &c, "").await;
        assert_eq!(ask.status, StatusCode::OK);
        assert!(ask.body.contains("Désactiver le compte ?"));
        assert!(ask.body.contains(r#"name="confirmer" value="oui""#));
        assert_eq!(
            ctx.get("/dossiers", &eval).await.status,
            StatusCode::OK,
            "not yet"
        );
        let done = ctx.post(&uri, &c, "confirmer=oui").await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
        assert_eq!(
            done.location,
            format!("/admin/utilisateurs/{}?fait=desactivation", ctx.id("eval"))
        );
        assert_eq!(ctx.last().await.action, "utilisateur.desactivation");
        for cookie in [&eval, &eval2] {
            let r = ctx.get("/dossiers", cookie).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
            assert_eq!(r.location, "/connexion");
        }
        // The disabled user's old cookies name no session any more: traced as one count
        // per address and minute.
        ctx.state.flush_all_refusals().await;
        let last = ctx.last().await;
        assert_eq!(last.action, "session.invalide");
        assert!(last.detail.unwrap().contains("nombre=2"));
        let page = ctx
            .get(&format!("/admin/utilisateurs/{}", ctx.id("eval")), &c)
            .await;
        assert!(page.body.contains("Réactiver le compte…"));
        let r = ctx
            .post(
                &format!("/admin/utilisateurs/{}/reactiver", ctx.id("eval")),
                &c,
                "confirmer=oui",
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(
            s.user_detail(now(), ctx.id("eval"))
                .await
                .unwrap()
                .user
                .active
        );

        // An administrator cannot disable themselves (the button is not even offered).
        let own = ctx
            .get(&format!("/admin/utilisateurs/{}", ctx.id("admin")), &c)
            .await;
        assert!(!own.body.contains("Désactiver le compte…"));
        let r = ctx
            .post(
                &format!("/admin/utilisateurs/{}/desactiver", ctx.id("admin")),
                &c,
                "confirmer=oui",
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("votre propre compte"));
        // Nor demote themselves.
        let r = ctx
            .post(
                &format!("/admin/utilisateurs/{}", ctx.id("admin")),
                &c,
                "display_name=Nom+admin&role=agent&version=1",
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("propre rôle d'administrateur"));
        assert_eq!(
            ctx.get("/admin/utilisateurs", &c).await.status,
            StatusCode::OK
        );

        // Password reset: a temporary password shown once; sessions ended.
        let eval = ctx.session("eval", false).await;
        let r = ctx
            .post(
                &format!("/admin/utilisateurs/{}/mot-de-passe", ctx.id("eval")),
                &c,
                "confirmer=oui",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let pw = shown_password(&r.body);
        let (_, hash) = s.login_hash("eval").await.unwrap().unwrap();
        assert!(vigie_store::password::verify(&pw, &hash));
        assert!(
            s.user_detail(now(), ctx.id("eval"))
                .await
                .unwrap()
                .user
                .must_change_password
        );
        assert_eq!(
            ctx.last().await.action,
            "utilisateur.mot_de_passe_reinitialise"
        );
        assert_eq!(ctx.get("/dossiers", &eval).await.location, "/connexion");
        ctx.state.flush_all_refusals().await;
        assert_eq!(ctx.last().await.action, "session.invalide");

        // Second factor reset and ending sessions.
        for (path, action, fait) in [
            (
                "second-facteur",
                "utilisateur.second_facteur_reinitialise",
                "second-facteur",
            ),
            ("sessions", "utilisateur.sessions_fermees", "sessions"),
        ] {
            let resp = ctx.session("resp", false).await;
            let r = ctx
                .post(
                    &format!("/admin/utilisateurs/{}/{path}", ctx.id("resp")),
                    &c,
                    "confirmer=oui",
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
            assert!(r.location.ends_with(&format!("?fait={fait}")));
            assert_eq!(ctx.last().await.action, action);
            assert_eq!(ctx.get("/", &resp).await.location, "/connexion", "{path}");
        }
        assert!(s.verify_audit().await.unwrap().broken.is_none());
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn an_evaluator_opens_an_out_of_scope_dossier_by_break_glass_and_the_responsable_sees_it() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let s = ctx.s();
        let eval = ctx.session("eval", false).await;

        // Outside the scope: the « page introuvable » offers an accès exceptionnel, the same
        // whether the dossier exists or not.
        let out = ctx.get(&format!("/dossiers/{}", ctx.in_t2), &eval).await;
        assert_eq!(out.status, StatusCode::NOT_FOUND);
        assert!(out.body.contains("Page introuvable"));
        let href = format!("/dossiers/{}/acces-exceptionnel", ctx.in_t2);
        assert!(out.body.contains(&format!(
            r#"<a href="{href}">Demander un accès exceptionnel</a>"#
        )));
        let missing = ctx.get("/dossiers/999999", &eval).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(
            missing
                .body
                .replace("/dossiers/999999/acces-exceptionnel", "LIEN"),
            out.body.replace(&href, "LIEN")
        );
        assert!(!out.body.contains("2026-000002"));
        // In the scope: read as before.
        assert_eq!(
            ctx.get(&format!("/dossiers/{}", ctx.in_t1), &eval)
                .await
                .status,
            StatusCode::OK
        );

        let form = ctx.get(&href, &eval).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(
            form.body
                .contains(r#"<label for="motif">Motif de l'accès exceptionnel"#)
        );
        assert!(form.body.contains("24 heures"));
        // No reason: a French error, no grant.
        let r = ctx.post(&href, &eval, "motif=++").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("obligatoire : de 10 à 2000 caractères"),
            "{}",
            r.body
        );
        assert!(r.body.contains(r#"aria-invalid="true""#));
        let r = ctx.post(&href, &eval, "").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let since = now() - chrono::Duration::days(400);
        let until = now() + chrono::Duration::days(1);
        assert!(s.list_break_glass(since, until).await.unwrap().is_empty());
        assert_eq!(
            ctx.get(&format!("/dossiers/{}", ctx.in_t2), &eval)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        // A dossier that does not exist: 404 once the reason is typed, and no grant.
        let reason = "Audience+en+urgence+chez+le+juge+des+enfants";
        let r = ctx
            .post(
                "/dossiers/999999/acces-exceptionnel",
                &eval,
                &format!("motif={reason}"),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // A reason: granted, audited, and the dossier reads (page, history, API).
        let r = ctx.post(&href, &eval, &format!("motif={reason}")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("/dossiers/{}", ctx.in_t2));
        let e = ctx.last().await;
        assert_eq!(e.action, "dossier.acces_exceptionnel");
        assert_eq!(
            (e.user_id, e.object_id),
            (Some(ctx.id("eval")), Some(ctx.in_t2))
        );
        let view = ctx.get(&format!("/dossiers/{}", ctx.in_t2), &eval).await;
        assert_eq!(view.status, StatusCode::OK);
        assert!(view.body.contains("2026-000002"));
        assert_eq!(ctx.last().await.action, "dossier.consultation");
        assert_eq!(
            ctx.get(&format!("/dossiers/{}/historique", ctx.in_t2), &eval)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            ctx.get(&format!("/api/v1/dossiers/{}", ctx.in_t2), &eval)
                .await
                .status,
            StatusCode::OK
        );
        let grants = s.list_break_glass(since, until).await.unwrap();
        assert_eq!(grants.len(), 1);
        assert_eq!(
            grants[0].reason,
            "Audience en urgence chez le juge des enfants"
        );

        // The responsable CRIP lists the grants; others may not.
        let resp = ctx.session("resp", false).await;
        let home = ctx.get("/", &resp).await;
        assert!(
            home.body
                .contains(r#"<a href="/acces-exceptionnels">Accès exceptionnels</a>"#)
        );
        let list = ctx.get("/acces-exceptionnels", &resp).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("Nom eval (eval)"));
        assert!(list.body.contains("2026-000002"));
        assert!(
            list.body
                .contains("Audience en urgence chez le juge des enfants")
        );
        assert!(list.body.contains("en cours"));
        let empty = ctx
            .get("/acces-exceptionnels?du=2020-01-01&au=2020-01-31", &resp)
            .await;
        assert!(
            empty
                .body
                .contains("Aucun accès exceptionnel sur cette période.")
        );
        let bad = ctx.get("/acces-exceptionnels?du=hier", &resp).await;
        assert!(
            bad.body
                .contains("Du : date attendue au format JJ/MM/AAAA.")
        );
        assert_eq!(
            ctx.get("/acces-exceptionnels", &eval).await.status,
            StatusCode::FORBIDDEN
        );

        // Roles reaching every dossier need none; administrators can never get one.
        let agent = ctx.session("agent", false).await;
        let r = ctx.get(&href, &agent).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location, format!("/dossiers/{}", ctx.in_t2));
        let admin = ctx.session("admin", true).await;
        assert_eq!(ctx.get(&href, &admin).await.status, StatusCode::FORBIDDEN);
        assert_eq!(
            ctx.post(&href, &admin, &format!("motif={reason}"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(s.list_break_glass(since, until).await.unwrap().len(), 1);
        assert!(s.verify_audit().await.unwrap().broken.is_none());
        ctx.db.finish().await;
    }
}
