//! Authorisation that cannot be forgotten: every route of the registry × every role ×
//! a dossier inside / outside the user's scope, on SQLite and PostgreSQL. Each answer is
//! checked against what the route's declared access and the role's permissions imply:
//! 403 (and an `acces.refuse` audit entry) without the permission, 404 for a dossier
//! outside the scope, neither with both; and every answer carries the security headers.
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
use vigie_web::{Access, AppState, RouteSpec, WebConfig};

struct World {
    app: Router,
    store: Store,
    specs: Vec<RouteSpec>,
    users: Vec<(Role, i64)>,
    /// A user the user-administration routes act on (never one of the callers).
    target_user: i64,
    /// A value of the motifs table, for the parameter administration routes.
    motif: i64,
    inside: i64,
    outside: i64,
    outside_number: String,
    /// A letter stored with the dossier `inside`.
    document: i64,
}

async fn world(db: &TestDb) -> World {
    let s = &db.store;
    let a = Actor::system();
    let t = vigie_store::testing::now();
    let t1 = add_territory(s, t, &a, "T1", "MDS Nord").await;
    let t2 = add_territory(s, t, &a, "T2", "MDS Sud").await;
    add_service(s, t, &a, t1, "S1", "Évaluation Nord").await;
    add_service(s, t, &a, t2, "S2", "Évaluation Sud").await;
    let hash = vigie_store::password::hash("mot de passe de test");
    let mut users = Vec::new();
    for role in Role::ALL {
        let territories = if role == Role::EvaluateurTerritorial {
            vec![t1]
        } else {
            vec![]
        };
        let id = s
            .add_user(
                t,
                &a,
                &NewUser {
                    login: role.code().into(),
                    display_name: format!("Nom {}", role.code()),
                    password_hash: hash.clone(),
                    role,
                    territories,
                    service_id: None,
                    demo: false,
                },
            )
            .await
            .unwrap();
        users.push((role, id));
    }
    let target_user = s
        .add_user(
            t,
            &a,
            &NewUser {
                login: "cible".into(),
                display_name: "Utilisateur cible".into(),
                password_hash: hash.clone(),
                role: Role::AgentCrip,
                territories: vec![],
                service_id: None,
                demo: false,
            },
        )
        .await
        .unwrap();
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
            snated_number: None,
            territory_id: territory,
            status: DossierStatus::Recue,
            expose: None,
            observation: None,
        },
        source: Source {
            category_id: Some(p(ParamKind::SourceCategory, "EN")),
            confidentiality: SourceConfidentiality::Known,
            name: None,
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
    let (inside, _) = s.create_dossier(t, &a, &mk(t1, "DEDANS")).await.unwrap();
    let (outside, outside_number) = s.create_dossier(t, &a, &mk(t2, "DEHORS")).await.unwrap();
    let outside_number = outside_number.to_string();
    let document = s
        .add_documents(
            t,
            &a,
            &Scope::All,
            &[vigie_store::documents::NewDocument {
                dossier_id: inside,
                kind: "courrier",
                title: "Courrier".into(),
                template_code: None,
                template_version: None,
                recipient_kind: None,
                recipient_label: None,
                file_name: "courrier.odt".into(),
                media_type: "application/vnd.oasis.opendocument.text".into(),
                bytes: b"PK",
                confidential: false,
                names_source: false,
                category_id: None,
                version_of: None,
            }],
        )
        .await
        .unwrap()[0];
    let state = AppState::new(
        s.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(now()),
    );
    let (_, specs) = vigie_web::routes::build(state.clone());
    World {
        app: vigie_web::app(state),
        store: s.clone(),
        specs,
        users,
        target_user,
        motif: cat.of_kind(ParamKind::Motif).next().unwrap().id,
        document,
        inside,
        outside,
        outside_number,
    }
}

/// The concrete path of a route for a case, or why a placeholder is unknown.
fn concrete(path: &str, w: &World, dossier: i64) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(&rest[..start]);
        let name = &rest[start + 1..end];
        let value = match (name, path) {
            ("id", p) if p.contains("/dossiers/") => dossier.to_string(),
            ("id", p) if p.contains("/utilisateurs/") || p.starts_with("/comptes-en-attente/") => {
                w.target_user.to_string()
            }
            ("id", p) if p.contains("/parametres/") => w.motif.to_string(),
            ("id", p) if p.starts_with("/documents/") || p.starts_with("/api/v1/documents/") => {
                w.document.to_string()
            }
            ("kind", _) | ("table", _) => ParamKind::Motif.code().to_owned(),
            // A template's code; its version 0 is the one built into Vigie.
            ("code", _) => "01-accuse-reception".to_owned(),
            ("id", p) if p.starts_with("/admin/modeles/") => "0".to_owned(),
            ("id", p) if p.starts_with("/tableaux-de-bord/croise/") => "1".to_owned(),
            // A reminder batch (none yet: 404 for the roles that may see one).
            ("id", p) if p.starts_with("/echeances/relances/") => "1".to_owned(),
            _ => {
                return Err(format!(
                    "{path}: placeholder {{{name}}} unknown to the matrix"
                ));
            }
        };
        out.push_str(&value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn call(w: &World, method: &Method, uri: &str, cookie: &str) -> Answer {
    let b = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(header::HOST, "vigie.test")
        .header(header::COOKIE, cookie);
    let req = if *method == Method::GET {
        b.body(Body::empty()).unwrap()
    } else if uri.starts_with("/api/") {
        b.header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap()
    } else {
        b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(""))
            .unwrap()
    };
    let res = w.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body =
        String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Answer {
        status,
        headers,
        body,
    }
}

/// A fresh, fully authenticated and recently re-authenticated session for each request:
/// a route that logs out or ends sessions cannot disturb the next case.
async fn session(w: &World, user_id: i64) -> String {
    let token = w
        .store
        .open_session(now(), user_id, None, SessionPolicy::default())
        .await
        .unwrap();
    let cookie = format!("vigie_session={token}");
    w.store
        .testing_reauthenticate(&cookie, now())
        .await
        .unwrap();
    cookie
}

async fn denials(store: &Store) -> usize {
    store
        .audit_page(0, 1_000_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "acces.refuse")
        .count()
}

fn hardened(a: &Answer) -> Result<(), String> {
    let csp = a
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ok = csp.contains("frame-ancestors 'none'")
        && !csp.contains("unsafe-inline")
        && !csp.contains("unsafe-eval")
        && a.headers
            .get(header::REFERRER_POLICY)
            .is_some_and(|v| v == "no-referrer")
        && a.headers
            .get(header::X_CONTENT_TYPE_OPTIONS)
            .is_some_and(|v| v == "nosniff");
    if ok {
        Ok(())
    } else {
        Err(format!("security headers missing: {:?}", a.headers))
    }
}

/// What each part of the application must declare: a route added without the right
/// permission fails here, before any request is made.
fn declared_policy(spec: &RouteSpec) -> Result<(), String> {
    use Permission::*;
    let p = spec.path;
    let allowed: &[Access] = if p.starts_with("/admin/modeles") || p == "/api/v1/modeles" {
        // The CRIP's templates: the responsable and the administrator (no dossier shown).
        &[Access::Perm(TemplatesAdmin)]
    } else if p.starts_with("/admin/parametres") || p.starts_with("/admin/courriers") {
        &[Access::Perm(ParamsAdmin)]
    } else if p.starts_with("/admin/") {
        &[Access::Perm(UsersAdmin)]
    } else if p.starts_with("/tracabilite") || p == "/acces-exceptionnels" {
        &[Access::Perm(AuditRead)]
    } else if p.ends_with("/suppression")
        && (p.starts_with("/documents/") || p.starts_with("/api/v1/documents/"))
    {
        // Removing a document: the responsable CRIP only.
        &[Access::Perm(DocumentRemove)]
    } else if p.starts_with("/comptes-en-attente") {
        // The two-person rule: the responsable CRIP confirms accounts, an administrator never.
        &[Access::Perm(UsersConfirm)]
    } else if p.starts_with("/dossiers")
        || p.starts_with("/api/v1/dossiers")
        || p.starts_with("/api/v1/personnes")
        || p.starts_with("/echeances")
        || p.starts_with("/documents/")
        || p.starts_with("/api/v1/documents/")
    {
        &[Access::Perm(DossierRead), Access::Perm(DossierWrite)]
    } else if p.starts_with("/tableaux-de-bord") || p.starts_with("/api/v1/statistiques") {
        // Aggregates: every role but the administrator; small counts only with StatsDetail.
        &[Access::Perm(StatsRead), Access::Perm(StatsShare)]
    } else if p.starts_with("/static/") || matches!(p, "/healthz" | "/connexion") {
        &[Access::Public]
    } else if p.starts_with("/connexion/second-facteur")
        || p.starts_with("/compte/second-facteur")
        || p == "/deconnexion"
    {
        &[Access::SecondFactorStep]
    } else if matches!(
        p,
        "/" | "/reauthentification" | "/api/v1/parametres" | "/api/v1/openapi.json"
    ) || p.starts_with("/compte")
    {
        &[Access::Authenticated]
    } else {
        return Err(format!(
            "{} {p}: not in the declared policy of this test",
            spec.method
        ));
    };
    if allowed.contains(&spec.access) {
        Ok(())
    } else {
        Err(format!(
            "{} {p}: declared {:?}, expected one of {allowed:?}",
            spec.method, spec.access
        ))
    }
}

#[tokio::test]
async fn every_route_declares_the_permission_of_its_part() {
    let db = TestDb::sqlite().await;
    let state = AppState::new(
        db.store.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(now()),
    );
    let (_, specs) = vigie_web::routes::build(state);
    let errors: Vec<String> = specs
        .iter()
        .filter_map(|s| declared_policy(s).err())
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // Writing a dossier needs more than reading it.
    for s in specs
        .iter()
        .filter(|s| s.path.starts_with("/dossiers") || s.path.starts_with("/api/v1/dossiers"))
    {
        // Letters: an évaluateur, who reads dossiers, generates the invitation and the
        // reminder; which letter a role may generate is the domain's rule, checked by the
        // handler (LetterKind::may_generate) and by tests/suite/letters.rs.
        if s.method != Method::GET
            && !s.path.ends_with("recherche")
            && !s.path.ends_with("acces-exceptionnel")
            && !s.path.ends_with("/courriers")
            && !s.path.ends_with("/courriers/apercu")
            // Uploads: an évaluateur uploads the evaluation report to a dossier assigned to
            // their service (documents::may_upload, checked by the handler and
            // tests/suite/attachments.rs).
            && !s.path.ends_with("/documents")
        {
            assert_eq!(
                s.access,
                Access::Perm(Permission::DossierWrite),
                "{} {}",
                s.method,
                s.path
            );
        }
    }
    db.finish().await;
}

#[tokio::test]
async fn every_route_every_role_inside_and_outside_the_scope() {
    for db in TestDb::both().await {
        let w = world(&db).await;
        let mut failures = Vec::new();
        let mut cases = 0usize;
        for spec in &w.specs {
            let (Access::Perm(_) | Access::Authenticated | Access::SecondFactorStep) = spec.access
            else {
                continue;
            };
            let on_dossier = spec.path.contains("/dossiers/{id}");
            for &(role, user_id) in &w.users {
                let scopes: &[(&str, i64)] = if on_dossier {
                    &[("dedans", w.inside), ("dehors", w.outside)]
                } else {
                    &[("-", w.inside)]
                };
                for &(case, dossier) in scopes {
                    let uri = match concrete(spec.path, &w, dossier) {
                        Ok(u) => u,
                        Err(e) => {
                            failures.push(e);
                            continue;
                        }
                    };
                    cases += 1;
                    let cookie = session(&w, user_id).await;
                    let before = denials(&w.store).await;
                    let a = call(&w, &spec.method, &uri, &cookie).await;
                    let after = denials(&w.store).await;
                    let label = format!("{} {} as {} ({case})", spec.method, uri, role.code());
                    if let Err(e) = hardened(&a) {
                        failures.push(format!("{label}: {e}"));
                    }
                    let permitted = match spec.access {
                        Access::Perm(p) => role.has(p),
                        _ => true,
                    };
                    let scoped_out = case == "dehors"
                        && role.reach() == vigie_domain::role::DossierReach::Territorial;
                    let verdict = if !permitted {
                        if a.status != StatusCode::FORBIDDEN {
                            Err(format!("expected 403, got {}", a.status))
                        } else if after != before + 1 {
                            Err("the denial was not audited".to_owned())
                        } else {
                            Ok(())
                        }
                    } else if a.status == StatusCode::UNAUTHORIZED
                        && spec.method == Method::POST
                        && matches!(
                            spec.path,
                            "/reauthentification" | "/connexion/second-facteur"
                        )
                    {
                        // An empty password or code: a wrong credential, not a denial.
                        Ok(())
                    } else if a.status == StatusCode::FORBIDDEN
                        || a.status == StatusCode::UNAUTHORIZED
                    {
                        Err(format!("permitted but got {}", a.status))
                    } else if a.status.is_server_error() {
                        Err(format!("server error {}", a.status))
                    } else if scoped_out && spec.path.ends_with("/acces-exceptionnel") {
                        // The break-glass form is the way in: it must not show the dossier.
                        if a.body.contains("DEHORS") {
                            Err("out-of-scope content shown before access was granted".into())
                        } else {
                            Ok(())
                        }
                    } else if scoped_out {
                        // 404; or the body refused before the handler runs (same for any id).
                        let refused_body = matches!(
                            a.status,
                            StatusCode::BAD_REQUEST
                                | StatusCode::UNSUPPORTED_MEDIA_TYPE
                                | StatusCode::UNPROCESSABLE_ENTITY
                        ) && spec.method != Method::GET;
                        if a.status != StatusCode::NOT_FOUND && !refused_body {
                            Err(format!("outside the scope, expected 404, got {}", a.status))
                        } else if a.body.contains("DEHORS") || a.body.contains(&w.outside_number) {
                            Err("outside the scope, the answer shows the dossier".into())
                        } else {
                            Ok(())
                        }
                    } else if on_dossier && a.status == StatusCode::NOT_FOUND {
                        Err("inside the scope, got 404".into())
                    } else if spec.method == Method::GET
                        && on_dossier
                        && !spec.path.ends_with("/acces-exceptionnel")
                        && a.status != StatusCode::OK
                    {
                        Err(format!("inside the scope, expected 200, got {}", a.status))
                    } else {
                        Ok(())
                    };
                    if let Err(e) = verdict {
                        failures.push(format!("{label}: {e}"));
                    }
                }
            }
        }
        assert!(cases >= 150, "only {cases} cases");
        assert!(
            failures.is_empty(),
            "{} failure(s):\n{}",
            failures.len(),
            failures.join("\n")
        );
        eprintln!("{}: {cases} route × role × scope cases", db.backend);
        db.finish().await;
    }
}
