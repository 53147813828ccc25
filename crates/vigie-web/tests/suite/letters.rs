//! Letters from a dossier, as agents and évaluateurs use them, on SQLite and PostgreSQL: the
//! « Courriers » page offers each role its letters; generating stores one letter per parent
//! (each at their own address), lists them in the dossier's documents, completes the follow-up;
//! a download gives the stored bytes back and is audited; a letter naming a confidential source
//! is flagged and neither listed nor served to an évaluateur; an évaluateur generating a
//! letter that is not theirs is refused.
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

struct World {
    app: Router,
    store: Store,
    agent: i64,
    evaluator: i64,
    dossier: i64,
}

async fn user(s: &Store, login: &str, role: Role, territories: Vec<i64>) -> i64 {
    s.add_user(
        now(),
        &Actor::system(),
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
    .unwrap()
}

fn address(street: &str, city: &str) -> Address {
    Address {
        number: Some("3".into()),
        street: Some(street.into()),
        complement: None,
        postal_code: Some("18000".into()),
        commune_insee: None,
        city: Some(city.into()),
    }
}

async fn world(db: &TestDb) -> World {
    let s = &db.store;
    let a = Actor::system();
    let t1 = add_territory(s, now(), &a, "T1", "MDS Nord").await;
    let s1 = add_service(s, now(), &a, t1, "S1", "Évaluation Nord").await;
    let cat = s.catalog().await.unwrap();
    let p = |k: ParamKind, c: &str| cat.of_kind(k).find(|v| v.code == c).unwrap().id;
    let link = cat.of_kind(ParamKind::Link).next().unwrap().id;
    let adult = |name: &str, street: &str| Adult {
        civility_id: None,
        birth_name: name.into(),
        usage_name: None,
        first_names: Some("Camille".into()),
        address: address(street, "Bourges"),
        phone: None,
        email: None,
    };
    let input = DossierInput {
        header: Header {
            received_at: "2026-11-20T09:00:00Z".parse().unwrap(),
            type_id: p(ParamKind::DossierType, "IP"),
            danger_grave: false,
            violence_conjugale: true,
            sip: false,
            receiving_agent_id: None,
            channel_id: p(ParamKind::Channel, "TEL"),
            snated_number: None,
            territory_id: t1,
            status: DossierStatus::Recue,
            expose: Some("Exposé nommant LEROY".into()),
            observation: None,
        },
        source: Source {
            category_id: Some(p(ParamKind::SourceCategory, "EN")),
            confidentiality: SourceConfidentiality::Confidential,
            name: Some("Mme LEROY".into()),
            organisation: Some("École Jean Moulin".into()),
            address: address("rue de l'École", "Bourges"),
            email: None,
            phone: None,
        },
        adults: vec![
            adult("DURAND", "rue des Lilas"),
            adult("MARTIN", "rue du Port"),
        ],
        children: vec![ChildInput {
            person_id: None,
            person: Person {
                birth_name: "MARTIN".into(),
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
            adults: vec![
                AdultLink {
                    adult: 0,
                    link_id: link,
                    parental_authority: true,
                },
                AdultLink {
                    adult: 1,
                    link_id: link,
                    parental_authority: true,
                },
            ],
            authors: vec![],
            motif_ids: vec![],
            evaluation_result_id: None,
            conclusion: None,
        }],
        assignments: vec![AssignmentInput {
            service_id: s1,
            asked_on: "2026-11-21".parse().unwrap(),
            due_on: "2027-02-21".parse().unwrap(),
            evaluators: vec![],
            returned_on: None,
            result_id: None,
            cancelled: false,
            comment: None,
        }],
        follow_ups: vec![],
    };
    let (dossier, _) = s.create_dossier(now(), &a, &input).await.unwrap();
    let agent = user(s, "agent", Role::AgentCrip, vec![]).await;
    let evaluator = user(s, "evaluateur", Role::EvaluateurTerritorial, vec![t1]).await;
    let state = AppState::new(
        s.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(now()),
    );
    World {
        app: vigie_web::app(state),
        store: s.clone(),
        agent,
        evaluator,
        dossier,
    }
}

async fn cookie(w: &World, user: i64) -> String {
    let token = w
        .store
        .open_session(now(), user, None, SessionPolicy::default())
        .await
        .unwrap();
    format!("vigie_session={token}")
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn call(w: &World, user: i64, method: Method, uri: &str, form: &str) -> Answer {
    let b = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(header::HOST, "vigie.test")
        .header(header::COOKIE, cookie(w, user).await);
    let req = if method == Method::GET {
        b.body(Body::empty()).unwrap()
    } else {
        b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_owned()))
            .unwrap()
    };
    let res = w.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

fn links(html: &str, prefix: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn an_agent_generates_a_letter_per_parent_stored_listed_downloaded_and_audited() {
    for db in TestDb::both().await {
        let w = world(&db).await;
        let d = w.dossier;
        let page = call(
            &w,
            w.agent,
            Method::GET,
            &format!("/dossiers/{d}/courriers"),
            "",
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{}", db.backend);
        assert_eq!(
            links(&page.text(), &format!("/dossiers/{d}/courriers?modele=")).len(),
            10
        );
        let page = call(
            &w,
            w.agent,
            Method::GET,
            &format!("/dossiers/{d}/courriers?modele=02-information-parents"),
            "",
        )
        .await;
        let html = page.text();
        assert_eq!(html.matches("name=\"destinataire\"").count(), 2, "{html}");
        assert!(
            html.contains("Information des parents (L226-2-1)"),
            "the follow-up is offered"
        );

        // The preview shows each parent's own address, never the other's nor the source.
        let form = "modele=02-information-parents&format=odt&suivi=1";
        let preview = call(
            &w,
            w.agent,
            Method::POST,
            &format!("/dossiers/{d}/courriers/apercu"),
            form,
        )
        .await;
        let html = preview.text();
        assert_eq!(preview.status, StatusCode::OK, "{html}");
        assert!(
            html.contains("rue des Lilas") && html.contains("rue du Port"),
            "{html}"
        );
        assert!(
            !html.contains("LEROY") && !html.contains("École Jean Moulin"),
            "{html}"
        );

        let done = call(
            &w,
            w.agent,
            Method::POST,
            &format!("/dossiers/{d}/courriers"),
            form,
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        let to = done.headers[header::LOCATION].to_str().unwrap().to_owned();
        assert_eq!(to, format!("/dossiers/{d}/documents?generes=2"));
        let list = call(&w, w.agent, Method::GET, &to, "").await;
        let html = list.text();
        assert!(html.contains("2 documents enregistrés"), "{html}");
        let docs = links(&html, "/documents/");
        assert_eq!(docs.len(), 2);

        // The download is the stored letter, a filled ODT; audited.
        let file = call(&w, w.agent, Method::GET, &docs[0], "").await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(
            file.headers[header::CONTENT_TYPE],
            "application/vnd.oasis.opendocument.text"
        );
        assert!(
            file.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"2026-")
        );
        let text = vigie_letters::document_text(&file.body).unwrap();
        assert!(text.contains("Léa") && !text.contains("{{"), "{text}");
        let tail = w.store.audit_tail(3).await.unwrap();
        assert!(
            tail.iter()
                .any(|e| e.action == "document.telechargement" && e.user_id == Some(w.agent))
        );

        // The follow-up « parents informés » is done, with the letter's date.
        let rec = w
            .store
            .read_dossier(now(), &Actor::system(), &Scope::All, d)
            .await
            .unwrap();
        let informed = rec
            .follow_ups
            .iter()
            .find(|f| f.kind == FollowUpKind::ParentsInformed)
            .unwrap();
        assert_eq!(informed.done_at, Some(now()));
        db.finish().await;
    }
}

#[tokio::test]
async fn an_evaluator_generates_only_their_letters_and_never_sees_a_confidential_one() {
    for db in TestDb::both().await {
        let w = world(&db).await;
        let d = w.dossier;
        // The agent sends the acknowledgement to the confidential source: flagged confidential.
        let done = call(
            &w,
            w.agent,
            Method::POST,
            &format!("/dossiers/{d}/courriers"),
            "modele=01-accuse-reception&format=docx",
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        let agent_docs = links(
            &call(
                &w,
                w.agent,
                Method::GET,
                &format!("/dossiers/{d}/documents"),
                "",
            )
            .await
            .text(),
            "/documents/",
        );
        assert_eq!(agent_docs.len(), 1);

        let page = call(
            &w,
            w.evaluator,
            Method::GET,
            &format!("/dossiers/{d}/courriers"),
            "",
        )
        .await;
        let offered = links(&page.text(), &format!("/dossiers/{d}/courriers?modele="));
        assert_eq!(
            offered,
            vec![
                format!("/dossiers/{d}/courriers?modele=03-invitation-evaluation"),
                format!("/dossiers/{d}/courriers?modele=05-relance-evaluation"),
            ]
        );
        let refused = call(
            &w,
            w.evaluator,
            Method::POST,
            &format!("/dossiers/{d}/courriers"),
            "modele=02-information-parents&format=odt",
        )
        .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let last = w.store.audit_tail(1).await.unwrap().remove(0);
        assert_eq!(
            (last.action.as_str(), last.user_id),
            ("acces.refuse", Some(w.evaluator))
        );
        // From the page, nothing ticked is refused, never « everyone ».
        let form = "modele=02-information-parents&formulaire=1&enfant=1";
        let none = call(
            &w,
            w.agent,
            Method::POST,
            &format!("/dossiers/{d}/courriers"),
            form,
        )
        .await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            none.text().contains("cochez au moins un destinataire"),
            "{}",
            none.text()
        );
        let done = call(
            &w,
            w.evaluator,
            Method::POST,
            &format!("/dossiers/{d}/courriers"),
            "modele=05-relance-evaluation&format=odt",
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());

        // The évaluateur sees the reminder, not the confidential acknowledgement (404).
        let theirs = links(
            &call(
                &w,
                w.evaluator,
                Method::GET,
                &format!("/dossiers/{d}/documents"),
                "",
            )
            .await
            .text(),
            "/documents/",
        );
        assert_eq!(theirs.len(), 1);
        assert!(!theirs.contains(&agent_docs[0]));
        let hidden = call(&w, w.evaluator, Method::GET, &agent_docs[0], "").await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_letter_and_its_pdf_through_libreoffice() {
    let db = TestDb::sqlite().await;
    let w = world(&db).await;
    let d = w.dossier;
    let done = call(
        &w,
        w.agent,
        Method::POST,
        &format!("/dossiers/{d}/courriers"),
        "modele=04-demande-evaluation&format=odt&pdf=1",
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let html = call(
        &w,
        w.agent,
        Method::GET,
        &format!("/dossiers/{d}/documents"),
        "",
    )
    .await
    .text();
    assert!(html.contains(">PDF<") && html.contains(">ODT<"), "{html}");
    let pdf = links(&html, "/documents/")[1].clone();
    let file = call(&w, w.agent, Method::GET, &pdf, "").await;
    assert!(file.body.starts_with(b"%PDF"));
    db.finish().await;
}

#[tokio::test]
async fn an_empty_form_names_the_missing_template() {
    let db = TestDb::sqlite().await;
    let w = world(&db).await;
    let a = call(
        &w,
        w.agent,
        Method::POST,
        &format!("/dossiers/{}/courriers", w.dossier),
        "",
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert!(
        a.text().contains("choisissez un des modèles"),
        "{}",
        a.text()
    );
    db.finish().await;
}

async fn api(w: &World, user: i64, method: Method, uri: &str, json: Option<&str>) -> Answer {
    let b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "vigie.test")
        .header(header::COOKIE, cookie(w, user).await);
    let req = match json {
        Some(j) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(j.to_owned()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let res = w.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn the_api_generates_lists_and_downloads_letters() {
    for db in TestDb::both().await {
        let w = world(&db).await;
        let d = w.dossier;
        let body = r#"{"modele": "04-demande-evaluation", "format": "docx"}"#;
        let a = api(
            &w,
            w.agent,
            Method::POST,
            &format!("/api/v1/dossiers/{d}/courriers"),
            Some(body),
        )
        .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
        let created: serde_json::Value = serde_json::from_slice(&a.body).unwrap();
        let location = a.headers[header::LOCATION].to_str().unwrap().to_owned();
        assert_eq!(created[0]["href"], location.as_str());
        assert_eq!(created[0]["template_code"], "04-demande-evaluation");
        assert_eq!(created[0]["recipient_kind"], "service");
        let file = api(&w, w.agent, Method::GET, &location, None).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.body.len() as i64, created[0]["size"].as_i64().unwrap());
        assert!(
            vigie_letters::document_text(&file.body)
                .unwrap()
                .contains("Évaluation Nord")
        );
        let list = api(
            &w,
            w.agent,
            Method::GET,
            &format!("/api/v1/dossiers/{d}/documents"),
            None,
        )
        .await;
        let listed: serde_json::Value = serde_json::from_slice(&list.body).unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 1);
        // Refusals are French problems: an unknown template, a letter not for this role.
        let bad = api(
            &w,
            w.agent,
            Method::POST,
            &format!("/api/v1/dossiers/{d}/courriers"),
            Some(r#"{"modele": "99"}"#),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.text().contains("code de modèle inconnu"),
            "{}",
            bad.text()
        );
        let body = r#"{"modele": "08-signalement-parquet"}"#;
        let no = api(
            &w,
            w.evaluator,
            Method::POST,
            &format!("/api/v1/dossiers/{d}/courriers"),
            Some(body),
        )
        .await;
        assert_eq!(no.status, StatusCode::FORBIDDEN);
        db.finish().await;
    }
}

async fn multipart(w: &World, user: i64, uri: &str, name: &str, file: &[u8]) -> Answer {
    let boundary = "vigie-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"logo.svg\"\r\nContent-Type: image/svg+xml\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::HOST, "vigie.test")
        .header(header::COOKIE, cookie(w, user).await)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let res = w.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn the_administrator_edits_the_letterhead_logo_and_directory_and_an_agent_their_contact() {
    for db in TestDb::both().await {
        let w = world(&db).await;
        let admin = user(&w.store, "admin", Role::Administrateur, vec![]).await;
        let page = call(&w, admin, Method::GET, "/admin/courriers", "").await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        let version = html
            .split("name=\"version\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        // A bad e-mail: refused in French, what was typed kept.
        let form = format!(
            "version={version}&departement=CD+du+Cher&city=Bourges&email=pas-un-courriel&delegation=Par+d%C3%A9l%C3%A9gation"
        );
        let bad = call(&w, admin, Method::POST, "/admin/courriers/entete", &form).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.text().contains("Courriel") && bad.text().contains("value=\"pas-un-courriel\""),
            "{}",
            bad.text()
        );
        let form = form.replace("pas-un-courriel", "crip%40cd18.fr");
        let ok = call(&w, admin, Method::POST, "/admin/courriers/entete", &form).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
        assert_eq!(
            w.store.letterhead().await.unwrap().letterhead.city,
            "Bourges"
        );
        // The logo: an SVG with a script is refused, a plain one accepted.
        let evil = multipart(
            &w,
            admin,
            "/admin/courriers/logo",
            "logo",
            b"<svg><script>x</script></svg>",
        )
        .await;
        assert_eq!(evil.status, StatusCode::UNPROCESSABLE_ENTITY);
        let svg = b"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 40 20'><rect width='40' height='20'/></svg>";
        let ok = multipart(&w, admin, "/admin/courriers/logo", "logo", svg).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
        let served = call(&w, admin, Method::GET, "/admin/courriers/logo", "").await;
        assert_eq!(served.body, svg.to_vec());
        // The directory.
        let add = "kind=parquet&name=Monsieur+le+Procureur&organisation=TJ+Bourges&address=8+rue+des+Ar%C3%A8nes%0D%0A18000+Bourges";
        let ok = call(&w, admin, Method::POST, "/admin/courriers/annuaire", add).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
        let entries = w.store.directory(true).await.unwrap();
        assert_eq!(
            entries[0].contact.address,
            "8 rue des Arènes\n18000 Bourges"
        );
        let fields = call(&w, admin, Method::GET, "/admin/courriers/champs", "").await;
        assert!(fields.text().contains("signalant.nom"));
        // The agent's contact, printed on the letters they make.
        let ok = call(
            &w,
            w.agent,
            Method::POST,
            "/compte/coordonnees",
            "title=Agent+CRIP&phone=02+48+00+00+01&email=agent%40cd18.fr",
        )
        .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
        let preview = call(
            &w,
            w.agent,
            Method::POST,
            &format!("/dossiers/{}/courriers/apercu", w.dossier),
            "modele=08-signalement-parquet",
        )
        .await;
        let text = preview.text();
        assert!(
            text.contains("Affaire suivie par : Nom agent, Agent CRIP — Tél. : 02 48 00 00 01"),
            "{text}"
        );
        assert!(text.contains("Bourges, le "), "{text}");
        db.finish().await;
    }
}
