//! Dashboards over HTTP on SQLite and PostgreSQL: the responsable's figures; an évaluateur's
//! restricted to their scope; the lecteur statistiques' with small counts hidden (secondary
//! suppression included) and no link to a list; the exports (CSV for French spreadsheets,
//! XLSX) audited; a refused filter said in French; the administrator refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value as Json;
use tower::ServiceExt;
use vigie_domain::*;
use vigie_store::sessions::SessionPolicy;
use vigie_store::testing::{TestDb, add_territory, now, raw_texts};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};
use vigie_web::{AppState, WebConfig};

struct World {
    app: Router,
    store: Store,
    responsable: i64,
    evaluator: i64,
    reader: i64,
    admin: i64,
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

fn dossier(cat: &catalog::Catalog, territory: i64, received: &str, sex: Sex) -> DossierInput {
    let p = |k: ParamKind, c: &str| cat.of_kind(k).find(|v| v.code == c).unwrap().id;
    DossierInput {
        header: Header {
            received_at: received.parse().unwrap(),
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
        source: Source::anonymous(None),
        adults: vec![],
        children: vec![ChildInput {
            person_id: None,
            person: Person {
                birth_name: "MARTIN".into(),
                usage_name: None,
                first_names: "Léa".into(),
                sex,
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
        assignments: vec![],
        follow_ups: vec![],
    }
}

/// Six dossiers in MDS Nord and one in MDS Sud, all received in March 2026 (Paris time), one
/// in Nord on 1 April at 00:30 Paris time (31 March 22:30 UTC): April, not March.
async fn world(db: &TestDb) -> World {
    let s = &db.store;
    let a = Actor::system();
    let nord = add_territory(s, now(), &a, "T1", "MDS Nord").await;
    let sud = add_territory(s, now(), &a, "T2", "MDS Sud").await;
    let cat = s.catalog().await.unwrap();
    for (i, t) in [nord, nord, nord, nord, nord, nord, sud]
        .into_iter()
        .enumerate()
    {
        let sex = if i % 2 == 0 { Sex::Female } else { Sex::Male };
        let d = dossier(&cat, t, &format!("2026-03-{:02}T10:00:00Z", i + 2), sex);
        s.create_dossier(now(), &a, &d).await.unwrap();
    }
    let april = dossier(&cat, nord, "2026-03-31T22:30:00Z", Sex::Female);
    s.create_dossier(now(), &a, &april).await.unwrap();
    let state = AppState::new(
        s.clone(),
        WebConfig::default(),
        vigie_web::Clock::fixed(now()),
    );
    World {
        app: vigie_web::app(state),
        store: s.clone(),
        responsable: user(s, "responsable", Role::ResponsableCrip, vec![]).await,
        evaluator: user(s, "evaluateur", Role::EvaluateurTerritorial, vec![sud]).await,
        reader: user(s, "statistiques", Role::LecteurStatistiques, vec![]).await,
        admin: user(s, "admin", Role::Administrateur, vec![]).await,
    }
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

    fn json(&self) -> Json {
        serde_json::from_slice(&self.body).unwrap()
    }
}

async fn post(w: &World, user: i64, uri: &str, form: &str) -> Answer {
    let token = w
        .store
        .open_session(now(), user, None, SessionPolicy::default())
        .await
        .unwrap();
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::HOST, "vigie.test")
        .header(header::COOKIE, format!("vigie_session={token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap();
    let res = w.app.clone().oneshot(req).await.unwrap();
    Answer {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    }
}

async fn get(w: &World, user: i64, uri: &str) -> Answer {
    let token = w
        .store
        .open_session(now(), user, None, SessionPolicy::default())
        .await
        .unwrap();
    let req = Request::builder()
        .uri(uri)
        .header(header::HOST, "vigie.test")
        .header(header::COOKIE, format!("vigie_session={token}"))
        .body(Body::empty())
        .unwrap();
    let res = w.app.clone().oneshot(req).await.unwrap();
    Answer {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    }
}

fn table<'a>(figures: &'a Json, key: &str) -> &'a Json {
    figures["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == key)
        .unwrap_or_else(|| panic!("no table {key}"))
}

/// The cells of a one-column table by row label: a count, or `None` when hidden.
fn column(t: &Json) -> Vec<(String, Option<u64>)> {
    let labels = t["rows"]["items"].as_array().unwrap();
    labels
        .iter()
        .zip(t["cells"].as_array().unwrap())
        .map(|(l, row)| {
            let v = &row[0];
            let n = (v["kind"] == "count").then(|| v["value"].as_u64().unwrap());
            (l["label"].as_str().unwrap().to_owned(), n)
        })
        .collect()
}

const MARCH: &str = "periode=mois&annee=2026&mois=3";

#[tokio::test]
async fn each_role_sees_the_figures_of_its_scope_and_detail() {
    for db in TestDb::both().await {
        let w = world(&db).await;
        let b = &db.backend;
        let api = format!("/api/v1/statistiques/tableau-de-bord?{MARCH}");

        // The responsable: every dossier of March; the one received on 1 April at 00:30
        // Paris time is April's.
        let r = get(&w, w.responsable, &api).await;
        assert_eq!(r.status, StatusCode::OK, "{b}: {}", r.text());
        let f = r.json();
        assert_eq!(f["aggregates_only"], false);
        assert_eq!(f["period_label"], "mars 2026");
        let key = table(&f, "chiffres_cles");
        assert_eq!(key["cells"][0][0]["value"], 7, "{b}: IP reçues");
        assert_eq!(key["cells"][1][0]["value"], 7, "{b}: enfants");
        let by_territory = column(table(&f, "ip_par_territoire"));
        assert!(
            by_territory.contains(&("MDS Nord".into(), Some(6))),
            "{b}: {by_territory:?}"
        );
        assert!(by_territory.contains(&("MDS Sud".into(), Some(1))), "{b}");
        let april = get(
            &w,
            w.responsable,
            "/api/v1/statistiques/tableau-de-bord?periode=mois&annee=2026&mois=4",
        )
        .await;
        assert_eq!(
            table(&april.json(), "chiffres_cles")["cells"][0][0]["value"],
            1,
            "{b}: 1 April 00:30 Paris"
        );

        // An évaluateur of MDS Sud: only their territory.
        let e = get(&w, w.evaluator, &api).await.json();
        assert_eq!(
            table(&e, "chiffres_cles")["cells"][0][0]["value"],
            1,
            "{b}: scope"
        );
        let e_territory = column(table(&e, "ip_par_territoire"));
        assert!(
            e_territory.contains(&("MDS Nord".into(), Some(0))),
            "{b}: {e_territory:?}"
        );

        // The lecteur statistiques: 1 hidden, and 6 too (7 − 6 would give it back).
        let s = get(&w, w.reader, &api).await.json();
        assert_eq!(s["aggregates_only"], true);
        let s_territory = column(table(&s, "ip_par_territoire"));
        assert!(
            s_territory.contains(&("MDS Sud".into(), None)),
            "{b}: {s_territory:?}"
        );
        assert!(
            s_territory.contains(&("MDS Nord".into(), None)),
            "{b}: secondary suppression"
        );

        // Pages: links to the dossier list for the responsable only; « < 5 » for the reader.
        let page = get(&w, w.responsable, &format!("/tableaux-de-bord?{MARCH}")).await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        assert!(page.text().contains("href=\"/dossiers?"), "{b}");
        // A figure leads to the dossiers it counts: the 7 of March with no source category.
        let html = page.text().replace("&#38;", "&").replace("&amp;", "&");
        let href = html
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .find(|h| h.starts_with("/dossiers?") && h.contains("categorie=aucune"))
            .unwrap_or_else(|| panic!("{b}: no link for « Non renseigné »"))
            .to_owned();
        let listed = get(
            &w,
            w.responsable,
            &href.replace("/dossiers?", "/api/v1/dossiers?"),
        )
        .await;
        assert_eq!(listed.status, StatusCode::OK, "{b}: {href}");
        assert_eq!(
            listed.json()["dossiers"].as_array().unwrap().len(),
            7,
            "{b}: {href}"
        );
        let page = get(&w, w.reader, &format!("/tableaux-de-bord?{MARCH}")).await;
        assert_eq!(page.status, StatusCode::OK, "{b}");
        assert!(
            !page.text().contains("href=\"/dossiers"),
            "{b}: no link for the reader"
        );
        assert!(page.text().contains("&lt; 5"), "{b}");

        // The administrator sees nothing.
        assert_eq!(
            get(&w, w.admin, "/tableaux-de-bord").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(get(&w, w.admin, &api).await.status, StatusCode::FORBIDDEN);
        db.finish().await;
    }
}

#[tokio::test]
async fn exports_open_in_french_spreadsheets_are_audited_and_bad_filters_are_said() {
    for db in TestDb::both().await {
        let w = world(&db).await;
        let b = &db.backend;
        let csv = get(&w, w.responsable, &format!("/tableaux-de-bord/croise/export.csv?mesure=enfants&lignes=territoire&colonnes=sexe&{MARCH}")).await;
        assert_eq!(csv.status, StatusCode::OK, "{b}: {}", csv.text());
        assert!(
            csv.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert!(csv.body.starts_with(&[0xef, 0xbb, 0xbf]), "{b}: BOM");
        let text = csv.text();
        // Nord: 3 girls (2, 4, 6 March) and 3 boys; Sud: one girl (8 March).
        assert!(
            text.contains("Territoire;Féminin;Masculin;Non renseigné;Total\r\n"),
            "{b}: {text}"
        );
        assert!(text.contains("MDS Nord;3;3;0;6\r\n"), "{b}: {text}");
        assert!(text.contains("MDS Sud;1;0;0;1\r\n"), "{b}: {text}");
        assert!(text.contains("Total;4;3;0;7\r\n"), "{b}: {text}");

        let xlsx = get(
            &w,
            w.reader,
            &format!("/tableaux-de-bord/export.xlsx?{MARCH}"),
        )
        .await;
        assert_eq!(xlsx.status, StatusCode::OK, "{b}");
        assert!(xlsx.body.starts_with(b"PK"), "{b}: a zip (XLSX)");
        assert!(
            xlsx.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains(".xlsx")
        );

        let actions = raw_texts(
            &w.store,
            "SELECT detail FROM audit_entry WHERE action = 'statistiques.export' ORDER BY seq",
        )
        .await;
        assert_eq!(actions.len(), 2, "{b}: {actions:?}");
        let first = actions[0].clone().unwrap();
        assert!(first.contains("tableau-croise;format=csv;mesure=enfants;lignes=territoire;colonnes=sexe;periode=2026-03-01..2026-03-31"), "{b}: {first}");

        let bad = get(
            &w,
            w.responsable,
            "/tableaux-de-bord?periode=mois&annee=2026&mois=13",
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(bad.text().contains("choisissez un mois de 1 à 12"), "{b}");
        let bad = get(
            &w,
            w.responsable,
            "/api/v1/statistiques/tableau-croise?lignes=nimporte",
        )
        .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{b}");
        assert!(
            bad.text().contains("Lignes : dimension inconnue"),
            "{b}: {}",
            bad.text()
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_saved_crosstab_is_shared_and_each_reader_sees_it_in_their_own_scope() {
    for db in TestDb::both().await {
        let w = world(&db).await;
        let b = &db.backend;
        let spec = "mesure=dossiers&lignes=territoire&colonnes=&periode=mois&annee=2026&mois=3";
        let form = format!(
            "nom=IP+par+territoire&tableau={}",
            form_urlencoded::byte_serialize(spec.as_bytes()).collect::<String>()
        );
        // Only the responsable saves; a nameless table is refused in French, nothing saved.
        let no_name = post(
            &w,
            w.responsable,
            "/tableaux-de-bord/croise/enregistrer",
            &format!(
                "nom=&tableau={}",
                form_urlencoded::byte_serialize(spec.as_bytes()).collect::<String>()
            ),
        )
        .await;
        assert_eq!(no_name.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(no_name.text().contains("donnez un nom au tableau"), "{b}");
        assert_eq!(
            post(
                &w,
                w.evaluator,
                "/tableaux-de-bord/croise/enregistrer",
                &form
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        let saved = post(
            &w,
            w.responsable,
            "/tableaux-de-bord/croise/enregistrer",
            &form,
        )
        .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{b}: {}", saved.text());
        let again = post(
            &w,
            w.responsable,
            "/tableaux-de-bord/croise/enregistrer",
            &form,
        )
        .await;
        assert!(again.text().contains("porte déjà ce nom"), "{b}");

        // The reader finds it on the dashboard and opens it: the same choices, their figures.
        let dash = get(&w, w.reader, "/tableaux-de-bord").await.text();
        let href = dash
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .find(|h| h.starts_with("/tableaux-de-bord/croise?") && h.contains("lignes=territoire"))
            .unwrap_or_else(|| panic!("{b}: saved table not listed"))
            .replace("&amp;", "&")
            .replace("&#38;", "&");
        assert!(dash.contains("IP par territoire"), "{b}");
        assert!(
            !dash.contains("/supprimer"),
            "{b}: the reader cannot delete"
        );
        let opened = get(&w, w.reader, &href).await;
        assert_eq!(opened.status, StatusCode::OK, "{b}: {href}");
        assert!(
            opened.text().contains("Dossiers par territoire"),
            "{b}: {href}"
        );
        let ids = raw_texts(&w.store, "SELECT CAST(id AS TEXT) FROM saved_crosstab").await;
        assert_eq!(ids.len(), 1, "{b}");
        let id = ids[0].clone().unwrap();
        let gone = post(
            &w,
            w.responsable,
            &format!("/tableaux-de-bord/croise/{id}/supprimer"),
            "",
        )
        .await;
        assert_eq!(gone.status, StatusCode::SEE_OTHER, "{b}");
        assert!(
            raw_texts(&w.store, "SELECT name FROM saved_crosstab")
                .await
                .is_empty(),
            "{b}"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn the_rate_per_thousand_minors_follows_the_populations_the_administrator_types() {
    for db in TestDb::both().await {
        let w = world(&db).await;
        let b = &db.backend;
        let cat = w.store.catalog().await.unwrap();
        let nord = cat
            .territories
            .iter()
            .find(|t| t.label == "MDS Nord")
            .unwrap()
            .id;
        let url = format!("/admin/parametres/population/{nord}");
        // Refused input is said in French and kept; nothing saved.
        let bad = post(&w, w.admin, &url, "mineurs=12abc&annee=2022&version=").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(bad.text().contains("nombre entier attendu"), "{b}");
        assert!(
            bad.text().contains("value=\"12abc\""),
            "{b}: typed value kept"
        );
        let half = post(&w, w.admin, &url, "mineurs=6000&annee=&version=").await;
        assert!(half.text().contains("ou laissez les deux vides"), "{b}");
        assert!(
            w.store.territory_populations().await.unwrap().is_empty(),
            "{b}"
        );
        let ok = post(&w, w.admin, &url, "mineurs=6+000&annee=2022&version=").await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{b}: {}", ok.text());
        // A stale version is refused.
        let stale = post(&w, w.admin, &url, "mineurs=7000&annee=2022&version=").await;
        assert!(stale.text().contains("modifiée entre-temps"), "{b}");
        assert_eq!(
            post(&w, w.responsable, &url, "mineurs=1&annee=2022&version=1")
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        let api = format!("/api/v1/statistiques/tableau-de-bord?{MARCH}");
        let f = get(&w, w.responsable, &api).await.json();
        let rates = table(&f, "taux_par_territoire");
        let by: Vec<(String, Json)> = rates["rows"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .zip(rates["cells"].as_array().unwrap())
            .map(|(l, c)| (l["label"].as_str().unwrap().to_owned(), c[0].clone()))
            .collect();
        let nord_rate = &by.iter().find(|(l, _)| l == "MDS Nord").unwrap().1;
        assert_eq!(nord_rate["kind"], "rate", "{b}");
        assert!(
            (nord_rate["value"].as_f64().unwrap() - 1.0).abs() < 1e-9,
            "{b}: 6 IP for 6,000 minors"
        );
        assert_eq!(
            by.iter().find(|(l, _)| l == "MDS Sud").unwrap().1["kind"],
            "empty",
            "{b}"
        );
        // The reader: a hidden count gives a hidden rate.
        let s = get(&w, w.reader, &api).await.json();
        let r = table(&s, "taux_par_territoire");
        assert!(
            r["cells"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c[0]["kind"] != "rate"),
            "{b}: {r}"
        );
        db.finish().await;
    }
}
