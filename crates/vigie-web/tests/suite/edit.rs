//! The dossier form (creation, modification, no-JS actions, conflicts) and the history
//! page, through HTTP against a real store, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigie_domain::*;
use vigie_store::params_admin::Table;
use vigie_store::testing::{TestDb, add_service, add_territory, now};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};
use vigie_web::{AppState, WebConfig};

const PW: &str = "mot de passe de test";

struct Ctx {
    app: Router,
    db: TestDb,
    /// A dossier of territory T1 with two children (Léa and Noé MARTIN).
    dossier: i64,
    /// A dossier of territory T2.
    other: i64,
    t1: i64,
    s1: i64,
    p: std::collections::HashMap<(ParamKind, String), i64>,
}

impl Ctx {
    fn p(&self, k: ParamKind, code: &str) -> i64 {
        self.p[&(k, code.to_owned())]
    }
}

fn child(first: &str, birth: &str) -> ChildInput {
    ChildInput {
        person_id: None,
        person: Person {
            birth_name: "Martin".into(),
            usage_name: None,
            first_names: first.into(),
            sex: Sex::Female,
            birth: BirthDate::Exact(birth.parse().unwrap()),
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
    }
}

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
        ("agent2", Role::AgentCrip, vec![]),
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
    let p: std::collections::HashMap<(ParamKind, String), i64> = cat
        .params
        .iter()
        .map(|v| ((v.kind, v.code.clone()), v.id))
        .collect();
    let received = now() - Duration::days(10);
    let mk = |territory: i64, children: Vec<ChildInput>| DossierInput {
        header: Header {
            received_at: received,
            type_id: p[&(ParamKind::DossierType, "IP".to_owned())],
            danger_grave: false,
            violence_conjugale: false,
            sip: false,
            receiving_agent_id: None,
            channel_id: p[&(ParamKind::Channel, "TEL".to_owned())],
            snated_number: None,
            territory_id: territory,
            status: DossierStatus::Recue,
            expose: Some("Situation initiale".into()),
            observation: None,
        },
        source: Source::anonymous(None),
        adults: vec![],
        children,
        assignments: vec![],
        follow_ups: vec![],
    };
    let (dossier, _) = s
        .create_dossier(
            now(),
            &a,
            &mk(
                t1,
                vec![child("Léa", "2015-05-01"), child("Noé", "2017-02-03")],
            ),
        )
        .await
        .unwrap();
    let (other, _) = s
        .create_dossier(now(), &a, &mk(t2, vec![child("Zoé", "2016-01-01")]))
        .await
        .unwrap();
    let state = AppState::new(
        s.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(now()),
    );
    Ctx {
        app: vigie_web::app(state),
        db,
        dossier,
        other,
        t1,
        s1,
        p,
    }
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
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
    let req = Request::builder()
        .method(Method::POST)
        .uri("/connexion")
        .header(header::HOST, "vigie.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "login={who}&password={}",
            PW.replace(' ', "+")
        )))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    res.headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.*".contains(&b) {
                (b as char).to_string()
            } else if b == b' ' {
                "+".into()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn body(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Decodes askama's escapes and the usual named entities.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let ent = &tail[1..end];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let pat = format!(" {name}=\"");
    let i = tag.find(&pat)? + pat.len();
    let j = tag[i..].find('"')? + i;
    Some(unescape(&tag[i..j]))
}

fn has_flag(tag: &str, name: &str) -> bool {
    tag.split(|c: char| c.is_whitespace() || c == '>')
        .any(|w| w == name)
}

/// What a browser would post from the page's form (without the submit buttons).
fn form_fields(html: &str) -> Vec<(String, String)> {
    let start = html
        .find("<form method=\"post\" action=\"/dossiers/")
        .expect("form");
    let end = html[start..].find("</form>").unwrap() + start;
    let form = &html[start..end];
    let mut out = Vec::new();
    let mut i = 0;
    while i < form.len() {
        let next = ["<input", "<select", "<textarea"]
            .iter()
            .filter_map(|t| form[i..].find(t).map(|p| (p + i, *t)))
            .min_by_key(|(p, _)| *p);
        let Some((p, kind)) = next else { break };
        let close = form[p..].find('>').unwrap() + p;
        let tag = &form[p..=close];
        match kind {
            "<input" => {
                if let Some(name) = attr(tag, "name") {
                    let ty = attr(tag, "type").unwrap_or_default();
                    let value = attr(tag, "value").unwrap_or_default();
                    if ty != "checkbox" || has_flag(tag, "checked") {
                        out.push((name, value));
                    }
                }
                i = close + 1;
            }
            "<select" => {
                let end = form[close..].find("</select>").unwrap() + close;
                let inner = &form[close + 1..end];
                let options: Vec<&str> = inner.split("<option").skip(1).collect();
                let chosen = options
                    .iter()
                    .find(|o| o.split('>').next().unwrap().contains(" selected"))
                    .or(options.first());
                if let (Some(name), Some(o)) = (attr(tag, "name"), chosen) {
                    out.push((name, attr(o, "value").unwrap_or_default()));
                }
                i = end;
            }
            _ => {
                let end = form[close..].find("</textarea>").unwrap() + close;
                let text = &form[close + 1..end];
                let text = text.strip_prefix('\n').unwrap_or(text);
                if let Some(name) = attr(tag, "name") {
                    out.push((name, unescape(text)));
                }
                i = end;
            }
        }
    }
    out
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    let f = fields
        .iter_mut()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no field {name}"));
    f.1 = value.to_owned();
}

fn with_action(mut fields: Vec<(String, String)>, action: &str) -> String {
    fields.push(("action".into(), action.into()));
    body(&fields)
}

fn location(r: &Resp) -> String {
    r.headers
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

async fn dossier_count(s: &Store) -> usize {
    s.list_dossiers(
        &Scope::All,
        &vigie_store::dossiers::ListFilter::default(),
        None,
        1000,
    )
    .await
    .unwrap()
    .rows
    .len()
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Paris)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A new dossier as typed in the form: two children with motifs, one concluded, an assignment.
fn new_dossier(ctx: &Ctx) -> Vec<(String, String)> {
    let received = now() - Duration::days(3);
    let day = |d: i64| (received + Duration::days(d)).date_naive().to_string();
    let id = |k: ParamKind, c: &str| ctx.p(k, c).to_string();
    let mut v = pairs(&[
        ("version", ""),
        ("base", ""),
        ("status", "recue"),
        ("sip", "1"),
        ("snated_number", "SNATED-77"),
        ("source.confidentiality", "connu"),
        ("source.name", "Mme Directrice"),
        ("source.organisation", "École Jules Ferry"),
        ("adults[0].id", ""),
        ("adults[0].birth_name", "Martin"),
        ("adults[0].first_names", "Paul"),
        ("children[0].sex", "F"),
        ("children[0].birth_name", "Durand"),
        ("children[0].first_names", "Camille"),
        ("children[0].birth_precision", "exacte"),
        ("children[0].birth_date", "2014-03-12"),
        ("children[0].adults[0].parental_authority", "1"),
        ("children[0].authors[0].adult", ""),
        ("children[0].authors[0].third_party_name", "M. Voisin"),
        ("children[1].sex", "M"),
        ("children[1].birth_name", "Durand"),
        ("children[1].first_names", "Hugo"),
        ("children[1].birth_precision", "exacte"),
        ("children[1].birth_date", "18/09/2019"),
        ("assignments[0].evaluators", "Mme Une\nM. Deux"),
        ("expose", "Exposé : l'enfant arrive à l'école sans manger."),
        ("action", "save"),
    ]);
    v.extend([
        ("received_at".into(), local(received)),
        ("type_id".into(), id(ParamKind::DossierType, "IP")),
        ("channel_id".into(), id(ParamKind::Channel, "TEL")),
        ("territory_id".into(), ctx.t1.to_string()),
        (
            "children[0].adults[0].link_id".into(),
            id(ParamKind::Link, "PERE"),
        ),
        (
            "children[0].authors[0].link_id".into(),
            id(ParamKind::Link, "TIERS"),
        ),
        (
            "children[0].motifs".into(),
            id(ParamKind::Motif, "VIOLPHYS"),
        ),
        ("children[0].motifs".into(), id(ParamKind::Motif, "NEGLIG")),
        ("children[1].motifs".into(), id(ParamKind::Motif, "NEGLIG")),
        (
            "children[1].conclusion".into(),
            id(ParamKind::Conclusion, "CSS"),
        ),
        ("children[1].conclusion.on".into(), day(1)),
        ("assignments[0].service_id".into(), ctx.s1.to_string()),
        ("assignments[0].asked_on".into(), day(0)),
        ("assignments[0].due_on".into(), day(60)),
    ]);
    v
}

#[tokio::test]
async fn a_dossier_is_created_from_the_form() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let c = login(&ctx, "agent").await;
        let page = send(app, Method::GET, "/dossiers/nouveau", &c, None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for part in [
            r#"<section id="entete" class="tab" data-tab="En-tête""#,
            r#"data-tab="Enfants concernés""#,
            r#"<label for="f-children-0-first_names">Prénoms</label>"#,
            r#"name="action" value="save" accesskey="s" data-save"#,
            "Alt</kbd>+<kbd>S</kbd>",
            r#"maxlength="50000""#,
        ] {
            assert!(page.body.contains(part), "{part} missing");
        }
        assert!(!page.body.contains("style="), "no inline style");
        // The default submit button (Enter) is « Enregistrer »: the first of the form.
        let form_at = page
            .body
            .find("<form method=\"post\" action=\"/dossiers/nouveau\"")
            .unwrap();
        let first_button = page.body[form_at..].find("<button").unwrap() + form_at;
        assert!(
            page.body[first_button..]
                .starts_with(r#"<button type="submit" name="action" value="save""#)
        );
        // The four follow-ups, a legal deadline shown with a new assignment.
        assert!(page.body.contains("Retour au 119"));

        let before = dossier_count(&ctx.db.store).await;
        let r = send(
            app,
            Method::POST,
            "/dossiers/nouveau",
            &c,
            Some(&body(&new_dossier(&ctx))),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let loc = location(&r);
        assert!(loc.ends_with("?enregistre=1#enregistre"), "{loc}");
        assert_eq!(dossier_count(&ctx.db.store).await, before + 1);
        let view = send(app, Method::GET, loc.split('?').next().unwrap(), &c, None).await;
        assert_eq!(view.status, StatusCode::OK);
        for text in [
            "Camille DURAND",
            "Hugo DURAND",
            "18/09/2019",
            "Violences physiques",
            "Classement sans suite",
            "Évaluation Nord",
            "Mme Une, M. Deux",
            "M. Voisin",
            "SNATED-77",
            "Mme Directrice",
            "titulaire de l'autorité parentale",
            "Exposé : l&#39;enfant arrive",
            "/historique",
        ] {
            assert!(
                view.body.contains(text) || view.body.contains(&text.replace('\'', "&#39;")),
                "{text} missing from the view ({})",
                ctx.db.backend
            );
        }
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn validation_errors_name_the_field_and_keep_what_was_typed() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let c = login(&ctx, "agent").await;
        let before = dossier_count(&ctx.db.store).await;
        // Received in the future, a birth after the reception, an unknown motif, a name too long.
        let mut v = new_dossier(&ctx);
        set(&mut v, "received_at", &local(now() + Duration::days(2)));
        set(
            &mut v,
            "children[1].birth_date",
            &(now() + Duration::days(5)).date_naive().to_string(),
        );
        v.push(("children[0].motifs".into(), "999999".into()));
        // A well-formed INSEE code of no commune.
        v.retain(|(k, _)| k != "children[0].address.commune_insee");
        v.push(("children[0].address.commune_insee".into(), "18999".into()));
        let long = "é".repeat(201);
        set(&mut v, "children[0].first_names", &long);
        set(
            &mut v,
            "source.name",
            "Mme <script>alert('x')</script> Directrice",
        );
        let r = send(app, Method::POST, "/dossiers/nouveau", &c, Some(&body(&v))).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            ctx.db.backend
        );
        for text in [
            r#"role="alert" tabindex="-1" id="erreurs""#,
            "Date de réception : ne peut pas être dans le futur.",
            r##"href="#f-received_at""##,
            "Date de naissance : postérieure à la réception de l&#39;information.",
            r##"href="#f-children-1-birth_date""##,
            "valeur inconnue dans la table « Motifs »",
            r##"href="#f-children-0-motifs""##,
            "201 caractères saisis, 200 au plus sont acceptés.",
            r#"aria-describedby="f-children-0-first_names-erreur" aria-invalid="true""#,
            r#"<p class="field-error" id="f-received_at-erreur">ne peut pas être dans le futur.</p>"#,
            "aucune commune n&#39;a le code INSEE « 18999 »",
            r##"href="#f-children-0-address-commune_insee""##,
            // Typed values are all kept.
            "SNATED-77",
            "École Jules Ferry",
            "Hugo",
            r#"value="999999" checked"#,
            "Mme Une\nM. Deux",
        ] {
            assert!(
                r.body.contains(text),
                "{text} missing ({}): {}",
                ctx.db.backend,
                r.body
                    .lines()
                    .filter(|l| l.contains("erreur") || l.contains("alert"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        assert!(r.body.contains(&long), "the long name is kept as typed");
        // HTML typed in a field is shown as text.
        assert!(
            r.body
                .contains("Mme &#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; Directrice")
        );
        assert!(!r.body.contains("<script>alert"));
        // An unreadable date and no child at all.
        let mut v: Vec<(String, String)> = new_dossier(&ctx)
            .into_iter()
            .filter(|(k, _)| !k.starts_with("children["))
            .collect();
        set(&mut v, "assignments[0].due_on", "31/02/2026");
        let r = send(app, Method::POST, "/dossiers/nouveau", &c, Some(&body(&v))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains("Échéance : date attendue au format jj/mm/aaaa."),
            "{}",
            r.body
        );
        assert!(r.body.contains("value=\"31/02/2026\""), "typed date kept");
        assert!(
            r.body
                .contains("Enfants concernés : un dossier concerne au moins un enfant.")
        );
        assert!(r.body.contains(r##"href="#f-children""##));
        assert_eq!(
            dossier_count(&ctx.db.store).await,
            before,
            "nothing written"
        );
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn actions_other_than_save_show_the_form_again_without_writing() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let c = login(&ctx, "agent").await;
        let before = dossier_count(&ctx.db.store).await;
        let audit_before = ctx.db.store.audit_page(0, 100_000).await.unwrap().len();
        let mut v = new_dossier(&ctx);
        set(&mut v, "action", "add_child");
        let r = send(app, Method::POST, "/dossiers/nouveau", &c, Some(&body(&v))).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains(r#"name="children[2].birth_name""#));
        assert!(r.body.contains("<legend>Enfant 3</legend>"));
        assert!(r.body.contains(r#"value="Camille""#) && r.body.contains("M. Voisin"));
        // A fresh child gets the fratrie's adults to link to.
        assert!(r.body.contains(r#"name="children[2].adults[0].link_id""#));
        // Add a parent, an author; remove the new child again; move Hugo up.
        let fields = form_fields(&r.body);
        let r = send(
            app,
            Method::POST,
            "/dossiers/nouveau",
            &c,
            Some(&with_action(fields, "add_adult")),
        )
        .await;
        assert!(r.body.contains(r#"name="adults[1].birth_name""#));
        assert!(r.body.contains(r#"name="children[0].adults[1].link_id""#));
        let r = send(
            app,
            Method::POST,
            "/dossiers/nouveau",
            &c,
            Some(&with_action(form_fields(&r.body), "add_author:1")),
        )
        .await;
        assert!(
            r.body
                .contains(r#"name="children[1].authors[0].third_party_name""#)
        );
        let r = send(
            app,
            Method::POST,
            "/dossiers/nouveau",
            &c,
            Some(&with_action(form_fields(&r.body), "remove_child:2")),
        )
        .await;
        assert!(!r.body.contains(r#"name="children[2].birth_name""#));
        let r = send(
            app,
            Method::POST,
            "/dossiers/nouveau",
            &c,
            Some(&with_action(form_fields(&r.body), "move_child_up:1")),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let f = form_fields(&r.body);
        let get = |k: &str| {
            f.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("children[0].first_names"), "Hugo");
        assert_eq!(get("children[1].first_names"), "Camille");
        assert_eq!(get("children[1].authors[0].third_party_name"), "M. Voisin");
        assert_eq!(
            get("expose"),
            "Exposé : l'enfant arrive à l'école sans manger."
        );
        assert_eq!(
            dossier_count(&ctx.db.store).await,
            before,
            "no dossier written"
        );
        assert_eq!(
            ctx.db.store.audit_page(0, 100_000).await.unwrap().len(),
            audit_before,
            "nothing recorded"
        );
        // The form, as re-rendered, still saves (once the added parent is named).
        let mut f = f;
        set(&mut f, "adults[1].birth_name", "Bernard");
        let r = send(
            app,
            Method::POST,
            "/dossiers/nouveau",
            &c,
            Some(&with_action(f, "save")),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(dossier_count(&ctx.db.store).await, before + 1);
        ctx.db.finish().await;
    }
}

/// On an existing dossier, a button other than « Enregistrer » re-renders from the posted
/// form: the consultation is traced once, when the page opens, never at each click; the
/// page still shows the dossier's number and each child's other dossiers.
#[tokio::test]
async fn buttons_on_an_existing_dossier_read_nothing_again_and_trace_one_consultation() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let c = login(&ctx, "agent").await;
        let first = ctx
            .db
            .store
            .read_dossier(now(), &Actor::system(), &Scope::All, ctx.dossier)
            .await
            .unwrap();
        // A second dossier for Léa: the new-dossier form links her known person.
        let page = send(app, Method::GET, "/dossiers/nouveau", &c, None).await;
        let mut f = form_fields(&page.body);
        set(&mut f, "children[0].birth_name", "Martin");
        set(&mut f, "children[0].first_names", "Léa");
        set(&mut f, "children[0].birth_date", "2015-05-01");
        set(
            &mut f,
            "channel_id",
            &ctx.p[&(ParamKind::Channel, "TEL".to_owned())].to_string(),
        );
        set(&mut f, "territory_id", &ctx.t1.to_string());
        let link = format!("link_person:0:{}", first.children[0].person_id);
        let r = send(
            app,
            Method::POST,
            "/dossiers/nouveau",
            &c,
            Some(&with_action(f, &link)),
        )
        .await;
        let r = send(
            app,
            Method::POST,
            "/dossiers/nouveau",
            &c,
            Some(&with_action(form_fields(&r.body), "save")),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let second = location(&r);
        let second = second.split('?').next().unwrap();
        let edit = format!("{second}/modifier");

        let before = ctx.db.store.audit_page(0, 100_000).await.unwrap().len();
        let page = send(app, Method::GET, &edit, &c, None).await;
        assert_eq!(page.status, StatusCode::OK);
        let trail = ctx.db.store.audit_page(0, 100_000).await.unwrap();
        assert_eq!(
            trail.len(),
            before + 1,
            "opening the page is one consultation"
        );
        assert_eq!(trail.last().unwrap().action, "dossier.consultation");
        let other_link = format!(r#"href="/dossiers/{}""#, ctx.dossier);
        assert!(page.body.contains(&other_link), "Léa's first dossier shown");

        let mut fields = form_fields(&page.body);
        for action in ["add_child", "add_adult", "remove_child:1", "add_assignment"] {
            let r = send(
                app,
                Method::POST,
                &edit,
                &c,
                Some(&with_action(fields, action)),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
            assert!(r.body.contains("Modifier le dossier 2026-"), "{action}");
            assert!(r.body.contains(&other_link), "{action}: other dossier kept");
            assert!(r.body.contains(&first.number.to_string()), "{action}");
            fields = form_fields(&r.body);
        }
        assert_eq!(
            ctx.db.store.audit_page(0, 100_000).await.unwrap().len(),
            before + 1,
            "no entry per button: the dossier is not read again"
        );
        // A button on a dossier outside the scope or unknown: 404, and the refusal traced.
        let r = send(
            app,
            Method::POST,
            "/dossiers/999999/modifier",
            &c,
            Some(&with_action(fields, "add_child")),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let last = ctx.db.store.audit_tail(1).await.unwrap().remove(0);
        assert_eq!(last.action, "dossier.consultation_refusee");
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn a_stale_save_of_the_same_child_is_a_conflict_showing_the_other_value() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let a = login(&ctx, "agent").await;
        let b = login(&ctx, "agent2").await;
        let url = format!("/dossiers/{}/modifier", ctx.dossier);
        let form_a = form_fields(&send(app, Method::GET, &url, &a, None).await.body);
        let form_b = form_fields(&send(app, Method::GET, &url, &b, None).await.body);
        // Saving the form unchanged writes nothing.
        let r = send(
            app,
            Method::POST,
            &url,
            &a,
            Some(&with_action(form_a.clone(), "save")),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let hist = send(
            app,
            Method::GET,
            &format!("/dossiers/{}/historique", ctx.dossier),
            &a,
            None,
        )
        .await;
        assert!(
            !hist.body.contains("par Nom agent"),
            "no revision for an unchanged save"
        );

        let mut fb = form_b;
        set(&mut fb, "children[0].first_names", "Léa-Rose");
        let r = send(app, Method::POST, &url, &b, Some(&with_action(fb, "save"))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        let mut fa = form_a;
        set(&mut fa, "children[0].first_names", "Léana");
        set(&mut fa, "children[0].comment", "vue à l'école");
        let r = send(app, Method::POST, &url, &a, Some(&with_action(fa, "save"))).await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "{} {}",
            ctx.db.backend,
            r.body
        );
        for text in [
            "Modifié par Nom agent2 le ",
            "<td>Léa-Rose</td><td>Léana</td>",
            r#"value="Léana""#,
            "vue à l&#39;école",
        ] {
            assert!(r.body.contains(text), "{text} missing: {}", r.body);
        }
        let view = send(
            app,
            Method::GET,
            &format!("/dossiers/{}", ctx.dossier),
            &a,
            None,
        )
        .await;
        assert!(
            view.body.contains("Léa-Rose") && !view.body.contains("Léana"),
            "nothing written"
        );
        // Saving again deliberately applies the typed values.
        let again = form_fields(&r.body);
        let r = send(
            app,
            Method::POST,
            &url,
            &a,
            Some(&with_action(again, "save")),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let view = send(
            app,
            Method::GET,
            &format!("/dossiers/{}", ctx.dossier),
            &a,
            None,
        )
        .await;
        assert!(view.body.contains("Léana") && view.body.contains("vue à l&#39;école"));
        // The same for the header part (header, source, parents, exposé, suites).
        let form_a = form_fields(&send(app, Method::GET, &url, &a, None).await.body);
        let mut fb = form_fields(&send(app, Method::GET, &url, &b, None).await.body);
        set(&mut fb, "snated_number", "119-B");
        let r = send(app, Method::POST, &url, &b, Some(&with_action(fb, "save"))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let mut fa = form_a;
        set(&mut fa, "snated_number", "119-A");
        let r = send(app, Method::POST, &url, &a, Some(&with_action(fa, "save"))).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert!(
            r.body.contains("<td>119-B</td><td>119-A</td>"),
            "{}",
            r.body
        );
        let r = send(
            app,
            Method::POST,
            &url,
            &a,
            Some(&with_action(form_fields(&r.body), "save")),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let view = send(
            app,
            Method::GET,
            &format!("/dossiers/{}", ctx.dossier),
            &a,
            None,
        )
        .await;
        assert!(view.body.contains("119-A"));
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn saves_of_different_children_from_the_same_old_form_both_succeed() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let a = login(&ctx, "agent").await;
        let b = login(&ctx, "agent2").await;
        let url = format!("/dossiers/{}/modifier", ctx.dossier);
        let old = form_fields(&send(app, Method::GET, &url, &a, None).await.body);
        let mut fa = old.clone();
        set(&mut fa, "children[0].first_names", "Léa-Marie");
        let r = send(app, Method::POST, &url, &a, Some(&with_action(fa, "save"))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let mut fb = old;
        set(&mut fb, "children[1].first_names", "Noé-Paul");
        fb.push((
            "children[1].motifs".into(),
            ctx.p(ParamKind::Motif, "NEGLIG").to_string(),
        ));
        let r = send(app, Method::POST, &url, &b, Some(&with_action(fb, "save"))).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{} {}",
            ctx.db.backend,
            r.body
        );
        let view = send(
            app,
            Method::GET,
            &format!("/dossiers/{}", ctx.dossier),
            &a,
            None,
        )
        .await;
        assert!(view.body.contains("Léa-Marie") && view.body.contains("Noé-Paul"));
        assert!(view.body.contains("Négligences lourdes"));
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn removing_an_existing_child_asks_confirmation_and_happens_at_the_save() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let c = login(&ctx, "agent").await;
        let url = format!("/dossiers/{}/modifier", ctx.dossier);
        let f = form_fields(&send(app, Method::GET, &url, &c, None).await.body);
        let r = send(
            app,
            Method::POST,
            &url,
            &c,
            Some(&with_action(f, "remove_child:1")),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains("À supprimer à l'enregistrement."),
            "{}",
            r.body
        );
        assert!(r.body.contains(r#"value="cancel_remove_child:1""#));
        assert!(r.body.contains(r#"name="removed_children""#));
        // Cancel, then remove again and save.
        let r2 = send(
            app,
            Method::POST,
            &url,
            &c,
            Some(&with_action(form_fields(&r.body), "cancel_remove_child:1")),
        )
        .await;
        assert!(!r2.body.contains(r#"name="removed_children""#));
        let view = send(
            app,
            Method::GET,
            &format!("/dossiers/{}", ctx.dossier),
            &c,
            None,
        )
        .await;
        assert!(
            view.body.contains("Noé MARTIN"),
            "not removed before the save"
        );
        let r = send(
            app,
            Method::POST,
            &url,
            &c,
            Some(&with_action(form_fields(&r.body), "save")),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let view = send(
            app,
            Method::GET,
            &format!("/dossiers/{}", ctx.dossier),
            &c,
            None,
        )
        .await;
        assert!(view.body.contains("Léa MARTIN") && !view.body.contains("Noé MARTIN"));
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn outside_the_scope_or_unknown_is_404_and_writing_needs_the_permission() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let agent = login(&ctx, "agent").await;
        for uri in [
            "/dossiers/999999/modifier",
            "/dossiers/abc/modifier",
            "/dossiers/999999/historique",
        ] {
            let r = send(app, Method::GET, uri, &agent, None).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        }
        let f = form_fields(
            &send(
                app,
                Method::GET,
                &format!("/dossiers/{}/modifier", ctx.dossier),
                &agent,
                None,
            )
            .await
            .body,
        );
        let r = send(
            app,
            Method::POST,
            "/dossiers/999999/modifier",
            &agent,
            Some(&with_action(f, "save")),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // An evaluator reads the dossiers of its territory but writes none; outside its
        // territory, even the history is not found.
        let ev = login(&ctx, "eval").await;
        let r = send(
            app,
            Method::GET,
            &format!("/dossiers/{}/modifier", ctx.dossier),
            &ev,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = send(app, Method::GET, "/dossiers/nouveau", &ev, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = send(
            app,
            Method::GET,
            &format!("/dossiers/{}/historique", ctx.other),
            &ev,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = send(
            app,
            Method::GET,
            &format!("/dossiers/{}/historique", ctx.dossier),
            &ev,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        // Links: « Modifier » only for those who may write.
        let view = send(
            app,
            Method::GET,
            &format!("/dossiers/{}", ctx.dossier),
            &ev,
            None,
        )
        .await;
        assert!(!view.body.contains("/modifier") && view.body.contains("/historique"));
        let view = send(
            app,
            Method::GET,
            &format!("/dossiers/{}", ctx.dossier),
            &agent,
            None,
        )
        .await;
        assert!(
            view.body
                .contains(&format!("/dossiers/{}/modifier", ctx.dossier))
        );
        let list = send(app, Method::GET, "/dossiers", &agent, None).await;
        assert!(list.body.contains("/dossiers/nouveau"));
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn the_history_lists_each_change_with_old_and_new_values() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let c = login(&ctx, "agent").await;
        let url = format!("/dossiers/{}/modifier", ctx.dossier);
        let mut f = form_fields(&send(app, Method::GET, &url, &c, None).await.body);
        set(&mut f, "children[1].first_names", "Noémie");
        set(&mut f, "snated_number", "119-2026-5");
        let r = send(app, Method::POST, &url, &c, Some(&with_action(f, "save"))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let h = send(
            app,
            Method::GET,
            &format!("/dossiers/{}/historique", ctx.dossier),
            &c,
            None,
        )
        .await;
        assert_eq!(h.status, StatusCode::OK);
        for text in [
            "<h1>Historique des modifications</h1>",
            "par Nom agent",
            "<th scope=\"row\">Prénoms</th><td>Noé</td><td>Noémie</td>",
            "<td></td><td>119-2026-5</td>",
        ] {
            assert!(
                h.body.contains(text),
                "{text} missing ({}): {}",
                ctx.db.backend,
                h.body
            );
        }
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn deactivated_values_status_rules_and_young_adults() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let c = login(&ctx, "agent").await;
        let url = format!("/dossiers/{}/modifier", ctx.dossier);
        // A motif stored on Léa, then deactivated: still shown (and kept) on this dossier,
        // no longer offered for a new one.
        let mut f = form_fields(&send(app, Method::GET, &url, &c, None).await.body);
        let motif = ctx.p(ParamKind::Motif, "CONFLIT");
        f.push(("children[0].motifs".into(), motif.to_string()));
        let r = send(app, Method::POST, &url, &c, Some(&with_action(f, "save"))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        ctx.db
            .store
            .admin_set_active(
                now(),
                &Actor::system(),
                Table::Param(ParamKind::Motif),
                motif,
                false,
            )
            .await
            .unwrap();
        let page = send(app, Method::GET, &url, &c, None).await;
        assert!(page.body.contains(&format!(
            r#"name="children[0].motifs" value="{motif}" checked"#
        )));
        assert!(page.body.contains("Conflit parental (désactivé)"));
        assert!(
            !page
                .body
                .contains(&format!(r#"name="children[1].motifs" value="{motif}""#))
        );
        let fresh = send(app, Method::GET, "/dossiers/nouveau", &c, None).await;
        assert!(!fresh.body.contains("Conflit parental"));
        // Touching Léa keeps the deactivated motif.
        let mut f = form_fields(&page.body);
        set(&mut f, "children[0].comment", "revue");
        let r = send(app, Method::POST, &url, &c, Some(&with_action(f, "save"))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // Concluding without evaluation needs the qualification's reason.
        let mut f = form_fields(&send(app, Method::GET, &url, &c, None).await.body);
        set(&mut f, "status", "conclue");
        let r = send(app, Method::POST, &url, &c, Some(&with_action(f, "save"))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(r##"href="#f-status""##));
        assert!(r.body.contains("raison de la qualification"));
        assert!(r.body.contains(r#"<option value="conclue" selected>"#));

        // A child of 19 at reception: the agent confirms a jeune majeur.
        let mut f = form_fields(&send(app, Method::GET, &url, &c, None).await.body);
        let received = ctx
            .db
            .store
            .read_dossier(now(), &Actor::system(), &Scope::All, ctx.dossier)
            .await
            .unwrap()
            .header
            .received_at
            .date_naive();
        let nineteen = received
            .checked_sub_months(chrono::Months::new(19 * 12 + 1))
            .unwrap();
        set(&mut f, "children[1].birth_date", &nineteen.to_string());
        let r = send(app, Method::POST, &url, &c, Some(&with_action(f, "save"))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("jeune majeur"));
        assert!(r.body.contains(r#"name="children[1].confirmed_adult""#));
        let mut f = form_fields(&r.body);
        f.push(("children[1].confirmed_adult".into(), "1".into()));
        let r = send(app, Method::POST, &url, &c, Some(&with_action(f, "save"))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // Stored as confirmed: the form comes back with the box ticked and saves as is.
        let f = form_fields(&send(app, Method::GET, &url, &c, None).await.body);
        assert!(
            f.iter()
                .any(|(k, v)| k == "children[1].confirmed_adult" && v == "1")
        );
        let r = send(app, Method::POST, &url, &c, Some(&with_action(f, "save"))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        ctx.db.finish().await;
    }
}

#[tokio::test]
async fn known_children_are_proposed_and_linked_without_javascript() {
    for db in TestDb::both().await {
        let ctx = setup(db).await;
        let app = &ctx.app;
        let c = login(&ctx, "agent").await;
        let page = send(app, Method::GET, "/dossiers/nouveau", &c, None).await;
        let mut f = form_fields(&page.body);
        // Léa MARTIN, born 01/05/2015, is in the T1 dossier: typed without accent or capitals.
        set(&mut f, "children[0].birth_name", "martin");
        set(&mut f, "children[0].first_names", "Lea");
        set(&mut f, "children[0].birth_date", "2015-05-20");
        let before = dossier_count(&ctx.db.store).await;
        let r = send(
            app,
            Method::POST,
            "/dossiers/nouveau",
            &c,
            Some(&with_action(f.clone(), "suggest_persons:0")),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let at = r.body.find("suggestions-0").unwrap_or(0);
        assert!(
            r.body.contains("Léa MARTIN"),
            "suggestion shown: {}",
            &r.body[at..(at + 1500).min(r.body.len())]
        );
        assert!(
            !r.body.contains("Noé MARTIN"),
            "another first name is not proposed"
        );
        let rec = ctx
            .db
            .store
            .read_dossier(now(), &Actor::system(), &Scope::All, ctx.dossier)
            .await
            .unwrap();
        assert!(
            r.body.contains(&rec.number.to_string()),
            "earlier dossier number shown"
        );
        let pid = rec.children[0].person_id;
        let link = format!("link_person:0:{pid}");
        assert!(r.body.contains(&link), "a button links this person");
        // What was typed elsewhere is kept, nothing is written.
        assert!(r.body.contains(r#"value="Lea""#));
        assert_eq!(dossier_count(&ctx.db.store).await, before);

        // Choosing it links the child and takes the known identity.
        let r = send(
            app,
            Method::POST,
            "/dossiers/nouveau",
            &c,
            Some(&with_action(f.clone(), &link)),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let f2 = form_fields(&r.body);
        let get = |k: &str| f2.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("children[0].person_id"), pid.to_string());
        assert_eq!(get("children[0].birth_name"), "Martin");
        assert_eq!(get("children[0].birth_date"), "2015-05-01");

        // A birth date more than 31 days away excludes the person.
        let mut far = f.clone();
        set(&mut far, "children[0].birth_date", "2015-08-20");
        let r = send(
            app,
            Method::POST,
            "/dossiers/nouveau",
            &c,
            Some(&with_action(far, "suggest_persons:0")),
        )
        .await;
        assert!(r.body.contains("Aucun enfant connu ne correspond"));
        ctx.db.finish().await;
    }
}

/// A database that cannot write (SQLite at its page limit, as a full disk): the form comes
/// back with everything typed and says in French that nothing was saved (503, never
/// « Erreur interne »); the API answers a problem saying the same; `/healthz` tells; once
/// the space is back, the same process saves again.
#[tokio::test]
async fn a_database_that_cannot_write_keeps_what_was_typed_and_says_nothing_was_saved() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let limit = std::sync::Arc::new(AtomicU32::new(u32::MAX - 1));
    let ctx = setup(TestDb::sqlite_with_page_limit(limit.clone()).await).await;
    let app = &ctx.app;
    let (clock, hands) = vigie_web::Clock::manual(now());
    let health = vigie_web::app(AppState::new(
        ctx.db.store.clone(),
        WebConfig::default(),
        clock,
    ));
    let healthz = || async {
        let r = health
            .clone()
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        r.status()
    };
    assert_eq!(healthz().await, StatusCode::OK);
    let c = login(&ctx, "agent").await;
    let before = dossier_count(&ctx.db.store).await;

    limit.store(
        vigie_store::testing::sqlite_page_count(&ctx.db.store).await + 4,
        Ordering::SeqCst,
    );
    // Saves fill the last pages, then one is refused.
    let mut refused = None;
    for i in 0..400 {
        let mut v = new_dossier(&ctx);
        set(&mut v, "snated_number", &format!("SNATED-PLEIN-{i}"));
        let r = send(app, Method::POST, "/dossiers/nouveau", &c, Some(&body(&v))).await;
        match r.status {
            StatusCode::SEE_OTHER => continue,
            StatusCode::SERVICE_UNAVAILABLE => {
                refused = Some((i, r));
                break;
            }
            other => panic!("save {i}: {other} {}", r.body),
        }
    }
    let (i, r) = refused.expect("the database never filled");
    assert!(r.body.contains("rien n&#39;a été enregistré"), "{}", r.body);
    assert!(!r.body.contains("Erreur interne"));
    assert!(r.body.contains("Votre saisie est conservée"));
    for typed in [
        format!("SNATED-PLEIN-{i}"),
        "Camille".into(),
        "Mme Directrice".into(),
        "l&#39;enfant arrive à l&#39;école sans manger".into(),
    ] {
        assert!(r.body.contains(&typed), "{typed} kept in the form");
    }
    assert_eq!(dossier_count(&ctx.db.store).await, before + i);

    // The API: a problem saying the same, with Retry-After.
    let input = DossierInput {
        header: Header {
            received_at: now() - Duration::days(1),
            type_id: ctx.p(ParamKind::DossierType, "IP"),
            danger_grave: false,
            violence_conjugale: false,
            sip: false,
            receiving_agent_id: None,
            channel_id: ctx.p(ParamKind::Channel, "TEL"),
            snated_number: None,
            territory_id: ctx.t1,
            status: DossierStatus::Recue,
            expose: None,
            observation: None,
        },
        source: Source::anonymous(None),
        adults: vec![],
        children: vec![child("Léna", "2016-04-01")],
        assignments: vec![],
        follow_ups: vec![],
    };
    let input = serde_json::json!({ "input": input });
    // A smaller dossier may still fit in the last free bytes: it is saved (201) until one
    // is refused.
    let mut res = None;
    for _ in 0..50 {
        let api = Request::post("/api/v1/dossiers")
            .header(header::HOST, "vigie.test")
            .header(header::COOKIE, &c)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(input.to_string()))
            .unwrap();
        let r = app.clone().oneshot(api).await.unwrap();
        if r.status() != StatusCode::CREATED {
            res = Some(r);
            break;
        }
    }
    let res = res.expect("the API saves until the database is full");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/problem+json"
    );
    let problem: serde_json::Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("rien n'a été enregistré"),
        "{problem}"
    );
    hands.advance(Duration::seconds(11));
    assert_eq!(healthz().await, StatusCode::SERVICE_UNAVAILABLE);

    // Space back: the same process saves again; /healthz at its next probe says so.
    limit.store(u32::MAX - 1, Ordering::SeqCst);
    let v = new_dossier(&ctx);
    let r = send(app, Method::POST, "/dossiers/nouveau", &c, Some(&body(&v))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    hands.advance(Duration::seconds(11));
    assert_eq!(healthz().await, StatusCode::OK);
    ctx.db.finish().await;
}
