//! Administration of the drop-down lists through HTTP (`/admin/parametres`), on SQLite and
//! PostgreSQL: an administrator adds, renames, reorders and deactivates a motif, and the
//! dossier form follows at once (no restart); refusals keep the typed values and say why in
//! French; other roles are refused and the refusal is audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigie_domain::*;
use vigie_store::testing::{TestDb, add_service, add_territory, now};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};
use vigie_web::{AppState, WebConfig};

const PW: &str = "mot de passe de test";

struct Ctx {
    app: Router,
    db: TestDb,
    t1: i64,
    admin_id: i64,
}

impl Ctx {
    fn store(&self) -> &Store {
        &self.db.store
    }
}

async fn setup(db: TestDb) -> Ctx {
    let s: &Store = &db.store;
    let a = Actor::system();
    let t1 = add_territory(s, now(), &a, "T1", "MDS Bourges Nord").await;
    add_service(s, now(), &a, t1, "S1", "Évaluation Nord").await;
    let hash = vigie_store::password::hash(PW);
    let mut admin_id = 0;
    for (login, role) in [("admin", Role::Administrateur), ("agent", Role::AgentCrip)] {
        let id = s
            .add_user(
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
        if login == "admin" {
            admin_id = id;
        }
    }
    let state = AppState::new(
        s.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(now()),
    );
    Ctx {
        app: vigie_web::app(state),
        db,
        t1,
        admin_id,
    }
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Resp {
    fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
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
            .header("origin", "http://vigie.test")
            .header("sec-fetch-site", "same-origin")
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
    send(&ctx.app, Method::GET, uri, cookie, None).await
}

async fn post(ctx: &Ctx, uri: &str, cookie: &str, form: &[(&str, &str)]) -> Resp {
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    send(&ctx.app, Method::POST, uri, cookie, Some(&body)).await
}

/// `application/x-www-form-urlencoded` encoding of one name or value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Logs in through the password form, then marks the session as having passed the second
/// factor (the TOTP flow is tested in tests/suite/account.rs).
async fn login(ctx: &Ctx, who: &str) -> String {
    let r = send(
        &ctx.app,
        Method::POST,
        "/connexion",
        "",
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
    ctx.store()
        .testing_pass_second_factor(&cookie, now())
        .await
        .unwrap();
    cookie
}

async fn motif_id(ctx: &Ctx, code: &str) -> i64 {
    ctx.store()
        .catalog()
        .await
        .unwrap()
        .of_kind(ParamKind::Motif)
        .find(|p| p.code == code)
        .unwrap()
        .id
}

async fn audit_seq(ctx: &Ctx) -> i64 {
    ctx.store().audit_tail(1).await.unwrap()[0].seq
}

/// A refused change writes nothing but one `parametre.refus` entry (table and field names).
async fn assert_refusal_traced(ctx: &Ctx, before: i64) -> i64 {
    let tail = ctx.store().audit_tail(3).await.unwrap();
    let last = tail[0].clone();
    assert_eq!(
        last.seq,
        before + 1,
        "one entry: the refusal; {:?}",
        tail.iter()
            .map(|e| (e.seq, &e.action, &e.detail, &e.user_id))
            .collect::<Vec<_>>()
    );
    assert_eq!(last.action, "parametre.refus");
    assert!(last.detail.unwrap_or_default().starts_with("table="));
    last.seq
}

/// Every visible form control of a page has a label (`<label for>`) naming it.
fn assert_labelled(body: &str) {
    for tag in body
        .split("<input")
        .skip(1)
        .chain(body.split("<select").skip(1))
    {
        let tag = &tag[..tag.find('>').unwrap()];
        if tag.contains("type=\"hidden\"") {
            continue;
        }
        let id = tag
            .split("id=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_else(|| panic!("control without id: {tag}"));
        assert!(
            body.contains(&format!("for=\"{id}\"")),
            "control {id} has no label"
        );
    }
}

/// A dossier of T1 whose child has these motifs, created before the administration changes.
async fn old_dossier(ctx: &Ctx, motifs: Vec<i64>) -> i64 {
    let cat = ctx.store().catalog().await.unwrap();
    let p = |k: ParamKind, c: &str| cat.of_kind(k).find(|v| v.code == c).unwrap().id;
    let d = DossierInput {
        header: Header {
            received_at: "2026-11-20T09:00:00Z".parse().unwrap(),
            type_id: p(ParamKind::DossierType, "IP"),
            danger_grave: false,
            violence_conjugale: false,
            sip: false,
            receiving_agent_id: None,
            channel_id: p(ParamKind::Channel, "TEL"),
            snated_number: None,
            territory_id: ctx.t1,
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
            motif_ids: motifs,
            evaluation_result_id: None,
            conclusion: None,
        }],
        assignments: vec![],
        follow_ups: vec![],
    };
    ctx.store()
        .create_dossier(now(), &Actor::system(), &d)
        .await
        .unwrap()
        .0
}

#[tokio::test]
async fn an_administrator_manages_a_motif_and_the_dossier_form_follows_at_once() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let admin = login(&ctx, "admin").await;
        let agent = login(&ctx, "agent").await;

        // The navigation offers the administration to the administrator only.
        assert!(
            get(&ctx, "/", &admin)
                .await
                .body
                .contains(r#"href="/admin/parametres""#)
        );
        assert!(
            !get(&ctx, "/", &agent)
                .await
                .body
                .contains(r#"href="/admin/parametres""#)
        );
        // The index lists the tables with their counts.
        let index = get(&ctx, "/admin/parametres", &admin).await;
        assert_eq!(index.status, StatusCode::OK);
        assert!(
            index.body.contains(
                r#"<a href="/admin/parametres/motif">Motifs</a></td><td>11</td><td>11</td>"#
            ),
            "{}",
            index.body
        );
        assert!(
            index.body.contains(
                r#"<a href="/admin/parametres/territoires">Territoires</a></td><td>1</td>"#
            )
        );

        // Add a motif: 303 to the table with a confirmation; audited with the admin's id.
        let r = post(
            &ctx,
            "/admin/parametres/motif/ajout",
            &admin,
            &[
                ("code", "HARCEL"),
                ("label", "Harcèlement scolaire"),
                ("national_code", ""),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let id = motif_id(&ctx, "HARCEL").await;
        assert_eq!(
            r.location(),
            format!("/admin/parametres/motif?fait=ajout&valeur={id}#v-{id}")
        );
        let page = get(&ctx, &r.location(), &admin).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains("Valeur « Harcèlement scolaire » ajoutée.")
        );
        assert!(page.body.contains(&format!(r#"<tr id="v-{id}""#)));
        assert!(!page.body.contains("style="), "no inline style");
        assert_labelled(&page.body);
        let e = ctx.store().audit_tail(1).await.unwrap().remove(0);
        assert_eq!(
            (
                e.action.as_str(),
                e.user_id,
                e.object_id,
                e.detail.as_deref()
            ),
            (
                "parametre.ajout",
                Some(ctx.admin_id),
                Some(id),
                Some("table=motif code=HARCEL")
            )
        );
        // Offered at once in the new-dossier form (the catalog is read per request).
        let fresh = get(&ctx, "/dossiers/nouveau", &agent).await;
        assert_eq!(fresh.status, StatusCode::OK);
        assert!(fresh.body.contains("Harcèlement scolaire"));

        // An old dossier uses it.
        let dossier = old_dossier(&ctx, vec![id]).await;

        // Rename (the code of a used value is locked, shown as text).
        let page = get(&ctx, "/admin/parametres/motif", &admin).await;
        assert!(page.body.contains(&format!(
            r#"<input type="hidden" name="code" form="f-{id}" value="HARCEL">"#
        )));
        assert!(
            !page
                .body
                .contains(&format!(r#"id="f-{id}-code" name="code""#))
        );
        assert!(page.body.contains(&format!(
            r#"<span id="f-{id}-code" tabindex="-1">HARCEL</span>"#
        )));
        assert!(page.body.contains("1 dossier"));
        let r = post(
            &ctx,
            &format!("/admin/parametres/motif/{id}/modification"),
            &admin,
            &[
                ("code", "HARCEL"),
                ("label", "Harcèlement"),
                ("national_code", ""),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(
            get(&ctx, &r.location(), &admin)
                .await
                .body
                .contains("Valeur « Harcèlement » enregistrée.")
        );
        // A row shown before that rename (another administrator's page): refused, 409.
        let before = audit_seq(&ctx).await;
        let r = post(
            &ctx,
            &format!("/admin/parametres/motif/{id}/modification"),
            &admin,
            &[
                ("code", "HARCEL"),
                ("label", "Harcèlement entre élèves"),
                ("national_code", ""),
                ("avant_code", "HARCEL"),
                ("avant_label", "Harcèlement scolaire"),
                ("avant_national_code", ""),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert!(
            r.body
                .contains("modifiée entre-temps par un autre administrateur")
        );
        assert!(r.body.contains(r#"value="Harcèlement entre élèves""#));
        assert!(r.body.contains(r#"name="avant_label" value="Harcèlement""#));
        assert_refusal_traced(&ctx, before).await;
        let view = get(&ctx, &format!("/dossiers/{dossier}"), &agent).await;
        assert!(view.body.contains("<li>Harcèlement</li>"), "{}", view.body);

        // Reorder without JavaScript: ↑ puts it before « Autre », in the form too.
        let autre = motif_id(&ctx, "AUTRE").await;
        let checkbox = |v: i64| format!(r#"name="children[0].motifs" value="{v}""#);
        let pos = |body: &str, needle: &str| body.find(needle).unwrap();
        let fresh = get(&ctx, "/dossiers/nouveau", &agent).await;
        assert!(pos(&fresh.body, &checkbox(autre)) < pos(&fresh.body, &checkbox(id)));
        let r = post(
            &ctx,
            &format!("/admin/parametres/motif/{id}/deplacement"),
            &admin,
            &[("sens", "haut")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(r.location().ends_with(&format!("#v-{id}")));
        let page = get(&ctx, "/admin/parametres/motif", &admin).await;
        assert!(
            pos(&page.body, &format!(r#"<tr id="v-{id}""#))
                < pos(&page.body, &format!(r#"<tr id="v-{autre}""#))
        );
        let fresh = get(&ctx, "/dossiers/nouveau", &agent).await;
        assert!(pos(&fresh.body, &checkbox(id)) < pos(&fresh.body, &checkbox(autre)));

        // Deactivate: no longer offered for a new dossier, still shown on the old one.
        let r = post(
            &ctx,
            &format!("/admin/parametres/motif/{id}/desactivation"),
            &admin,
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = get(&ctx, &r.location(), &admin).await;
        assert!(page.body.contains("Valeur « Harcèlement » désactivée"));
        assert!(page.body.contains(&format!(
            r#"action="/admin/parametres/motif/{id}/reactivation""#
        )));
        let fresh = get(&ctx, "/dossiers/nouveau", &agent).await;
        assert!(!fresh.body.contains("Harcèlement") && !fresh.body.contains(&checkbox(id)));
        let view = get(&ctx, &format!("/dossiers/{dossier}"), &agent).await;
        assert!(view.body.contains("<li>Harcèlement</li>"));
        let edit = get(&ctx, &format!("/dossiers/{dossier}/modifier"), &agent).await;
        assert!(edit.body.contains("Harcèlement (désactivé)"));

        // The code of a value in use cannot change: 422, French message beside the field,
        // the typed label kept, nothing written.
        let before = audit_seq(&ctx).await;
        let r = post(
            &ctx,
            &format!("/admin/parametres/motif/{id}/modification"),
            &admin,
            &[
                ("code", "HARC2"),
                ("label", "Harcèlement à l'école"),
                ("national_code", ""),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(&format!(
            r#"<p class="field-error" id="f-{id}-code-erreur">« Harcèlement » est utilisée (1 dossier) : son code ne peut plus changer.</p>"#
        )), "{}", r.body);
        assert!(r.body.contains(&format!(
            r##"<a href="#f-{id}-code">Code de « Harcèlement » : "##
        )));
        assert!(
            r.body.contains(r#"value="Harcèlement à l&#39;école""#),
            "typed label kept"
        );
        assert!(r.body.contains("Rien n'a été enregistré"));
        let before = assert_refusal_traced(&ctx, before).await;
        let cat = ctx.store().catalog().await.unwrap();
        assert_eq!(
            (
                cat.param(id).unwrap().code.as_str(),
                cat.label(Some(id)).as_str()
            ),
            ("HARCEL", "Harcèlement")
        );
        // A value in use cannot be deleted either (no button; a forged post is refused).
        assert!(!r.body.contains(&format!("/motif/{id}/suppression")));
        let r = post(
            &ctx,
            &format!("/admin/parametres/motif/{id}/suppression"),
            &admin,
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(
            r.body
                .contains("elle ne peut pas être supprimée, seulement désactivée")
        );
        let before = assert_refusal_traced(&ctx, before).await;

        // Bad input on the add form: 422, typed values kept, message beside the field.
        let r = post(
            &ctx,
            "/admin/parametres/motif/ajout",
            &admin,
            &[("code", "NOUVEAU"), ("label", "  "), ("national_code", "")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains(r#"<p class="field-error" id="ajout-label-erreur">obligatoire.</p>"#)
        );
        assert!(
            r.body
                .contains(r#"aria-invalid="true" aria-describedby="ajout-label-erreur""#)
        );
        assert!(
            r.body
                .contains(r#"id="ajout-code" name="code" value="NOUVEAU""#)
        );
        assert!(r.body.contains("Libellé (nouvelle valeur) : obligatoire."));
        assert_refusal_traced(&ctx, before).await;

        // An unused value is deleted.
        post(
            &ctx,
            "/admin/parametres/motif/ajout",
            &admin,
            &[("code", "TEMP"), ("label", "Provisoire")],
        )
        .await;
        let temp = motif_id(&ctx, "TEMP").await;
        let r = post(
            &ctx,
            &format!("/admin/parametres/motif/{temp}/suppression"),
            &admin,
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(
            get(&ctx, &r.location(), &admin)
                .await
                .body
                .contains("Valeur supprimée.")
        );
        assert!(ctx.store().catalog().await.unwrap().param(temp).is_none());

        let trail: Vec<String> = ctx
            .store()
            .audit_page(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.user_id == Some(ctx.admin_id))
            .map(|e| e.action)
            .collect();
        for a in [
            "parametre.ajout",
            "parametre.modification",
            "parametre.deplacement",
            "parametre.desactivation",
            "parametre.suppression",
        ] {
            assert!(trail.iter().any(|x| x == a), "{a} missing from {trail:?}");
        }
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn territories_services_and_statuses() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let admin = login(&ctx, "admin").await;
        // A territory, then a service in it; a service without territory is refused.
        let r = post(
            &ctx,
            "/admin/parametres/territoires/ajout",
            &admin,
            &[("code", "T2"), ("label", "MDS Vierzon")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let cat = ctx.store().catalog().await.unwrap();
        let t2 = cat.territories.iter().find(|t| t.code == "T2").unwrap().id;
        let page = get(&ctx, "/admin/parametres/services", &admin).await;
        assert!(
            page.body
                .contains(&format!(r#"<option value="{t2}">MDS Vierzon</option>"#))
        );
        assert_labelled(&page.body);
        let r = post(
            &ctx,
            "/admin/parametres/services/ajout",
            &admin,
            &[
                ("code", "S2"),
                ("label", "Évaluation Vierzon"),
                ("territory_id", ""),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(
            r#"<p class="field-error" id="ajout-territory_id-erreur">choisissez un territoire actif dans la liste.</p>"#
        ));
        let r = post(
            &ctx,
            "/admin/parametres/services/ajout",
            &admin,
            &[
                ("code", "S2"),
                ("label", "Évaluation Vierzon"),
                ("territory_id", &t2.to_string()),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = get(&ctx, &r.location(), &admin).await;
        assert!(page.body.contains("<td>MDS Vierzon</td>"));
        // T2 now has a service: no delete button.
        let page = get(&ctx, "/admin/parametres/territoires", &admin).await;
        assert!(
            !page
                .body
                .contains(&format!("/territoires/{t2}/suppression"))
        );
        assert!(page.body.contains("1 service"));
        let e = ctx.store().audit_tail(1).await.unwrap().remove(0);
        assert_eq!(e.object_type.as_deref(), Some("service"));

        // Statuses: a closed list, labels only.
        let page = get(&ctx, "/admin/parametres/statut", &admin).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Liste fixe"));
        assert!(!page.body.contains("Ajouter une valeur"));
        assert!(!page.body.contains("/deplacement") && !page.body.contains("/desactivation"));
        // Unknown table or id: 404.
        assert_eq!(
            get(&ctx, "/admin/parametres/inconnue", &admin).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            post(&ctx, "/admin/parametres/motif/abc/suppression", &admin, &[])
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            post(
                &ctx,
                "/admin/parametres/motif/999999/suppression",
                &admin,
                &[]
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn other_roles_are_refused_and_the_refusal_is_audited() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let agent = login(&ctx, "agent").await;
        let before = ctx.store().catalog().await.unwrap().params.len();
        let r = get(&ctx, "/admin/parametres", &agent).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Accès refusé"));
        let r = post(
            &ctx,
            "/admin/parametres/motif/ajout",
            &agent,
            &[("code", "PIRATE"), ("label", "Pirate")],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(ctx.store().catalog().await.unwrap().params.len(), before);
        let denials: Vec<String> = ctx
            .store()
            .audit_page(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "acces.refuse")
            .filter_map(|e| e.detail)
            .collect();
        assert_eq!(
            denials,
            [
                "permission=ParamsAdmin route=GET /admin/parametres",
                "permission=ParamsAdmin route=POST /admin/parametres/{table}/ajout"
            ]
        );
        ctx.db.finish().await;
    }
}
