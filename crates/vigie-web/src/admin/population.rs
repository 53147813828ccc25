//! Administration → population of 0–17 year-olds per territory (`/admin/parametres/population`),
//! for the dashboards' rate of IP per 1,000 minors. One form per territory, its own version.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::{Form, Query};
use crate::shared::{Chrome, actor, path_id, render};

/// One territory's row.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub label: String,
    pub minors: String,
    pub year: String,
    pub version: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_population.html")]
struct Page {
    demo: bool,
    chrome: Chrome,
    rows: Vec<Row>,
    saved: bool,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Saved {
    #[serde(default)]
    ok: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PopulationForm {
    #[serde(default)]
    mineurs: String,
    #[serde(default)]
    annee: String,
    #[serde(default)]
    version: String,
}

async fn rows(state: &AppState) -> Result<Vec<Row>, WebError> {
    let cat = state.store.catalog().await?;
    let pops = state.store.territory_populations().await?;
    Ok(cat
        .territories
        .iter()
        .map(|t| {
            let p = pops.iter().find(|p| p.territory_id == t.id);
            Row {
                id: t.id,
                label: t.label.clone(),
                minors: p.map(|p| p.minors.to_string()).unwrap_or_default(),
                year: p.map(|p| p.insee_year.to_string()).unwrap_or_default(),
                version: p.map(|p| p.version.to_string()).unwrap_or_default(),
                error: None,
            }
        })
        .collect())
}

pub async fn page(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<Saved>,
) -> Response {
    match rows(&state).await {
        Ok(rows) => render(
            StatusCode::OK,
            &Page {
                demo: state.config.demo,
                chrome: Chrome::new(&state, &u),
                rows,
                saved: q.ok == "1",
            },
        ),
        Err(e) => e.into_response(),
    }
}

fn number(s: &str, what: &str) -> Result<Option<i64>, String> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse()
        .map(Some)
        .map_err(|_| format!("{what} : nombre entier attendu."))
}

pub async fn save(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    Form(f): Form<PopulationForm>,
) -> Response {
    let Ok(id) = path_id(&id) else {
        return WebError::NotFound.into_response();
    };
    let value = match (
        number(&f.mineurs, "Habitants de 0 à 17 ans"),
        number(&f.annee, "Année INSEE"),
    ) {
        (Ok(None), Ok(None)) => Ok(None),
        (Ok(Some(m)), Ok(Some(y))) => Ok(Some((m, y))),
        (Err(e), _) | (_, Err(e)) => Err(e),
        _ => Err("Saisissez le nombre d'habitants de 0 à 17 ans et l'année de la donnée INSEE, ou laissez les deux vides.".to_owned()),
    };
    let version = f.version.trim().parse::<i64>().ok();
    let result = match value {
        Ok(v) => state
            .store
            .set_territory_population(state.now(), &actor(&u, ip), id, v, version)
            .await
            .map_err(|e| match e {
                vigie_store::StoreError::Invalid(d) => Ok(d
                    .fields()
                    .iter()
                    .map(|x| format!("{} : {}", x.label, x.message))
                    .collect::<Vec<_>>()
                    .join(" ")),
                vigie_store::StoreError::Stale(m) => Ok(m),
                other => Err(other),
            }),
        Err(m) => Err(Ok(m)),
    };
    match result {
        Ok(()) => Redirect::to("/admin/parametres/population?ok=1").into_response(),
        Err(Ok(message)) => match rows(&state).await {
            Ok(mut rows) => {
                for r in rows.iter_mut().filter(|r| r.id == id) {
                    r.minors = f.mineurs.clone();
                    r.year = f.annee.clone();
                    r.error = Some(message.clone());
                }
                render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &Page {
                        demo: state.config.demo,
                        chrome: Chrome::new(&state, &u),
                        rows,
                        saved: false,
                    },
                )
            }
            Err(e) => e.into_response(),
        },
        Err(Err(e)) => WebError::from(e).into_response(),
    }
}
