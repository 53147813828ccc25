//! The dossier list: filters by GET (ids, status code, dates and month, see
//! [`crate::shared::list`]; the form in [`super::filters`]), the name search by POST so
//! that no name ever appears in a URL or an access log.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use vigie_domain::DossierSummary;
use vigie_domain::search::SearchResults;
use vigie_store::sessions::SessionUser;

use super::filters::FilterForm;
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::{Form, Query};
use crate::shared::dates::datetime;
use crate::shared::list::{ListQuery, filter_of, filter_query, list_recorded, query_suffix};
use crate::shared::{Chrome, actor, render};

#[derive(Debug)]
pub struct Row {
    pub href: String,
    pub number: String,
    pub received: String,
    pub type_label: String,
    pub territory: String,
    pub status: String,
    pub danger: bool,
    pub children: String,
    /// Why a search found it (« même orthographe », « parent (même prononciation) »…).
    pub reason: Option<String>,
}

/// What the page says about a search's results.
#[derive(Debug)]
pub struct SearchInfo {
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub truncated: bool,
    pub previous: Option<usize>,
    pub next: Option<usize>,
    /// Ranked at most (see `vigie_store::search::MAX_RANKED`).
    pub max_ranked: usize,
}

#[derive(Template)]
#[template(path = "dossiers.html")]
struct ListPage {
    demo: bool,
    chrome: Chrome,
    filters: FilterForm,
    search: String,
    rows: Vec<Row>,
    next: Option<String>,
    errors: Vec<String>,
    searching: Option<SearchInfo>,
}

fn rows(
    list: Vec<DossierSummary>,
    tz: chrono_tz::Tz,
    cat: &vigie_domain::catalog::Catalog,
) -> Vec<Row> {
    list.into_iter()
        .map(|d| Row {
            href: format!("/dossiers/{}", d.id),
            number: d.number.to_string(),
            received: datetime(d.received_at, tz),
            type_label: d.type_label,
            territory: d.territory_label,
            status: cat.status_label(d.status),
            danger: d.danger_grave,
            children: d.children,
            reason: None,
        })
        .collect()
}

/// The rows and what the page says of a page of search results.
fn search_rows(
    found: SearchResults,
    tz: chrono_tz::Tz,
    cat: &vigie_domain::catalog::Catalog,
) -> (Vec<Row>, SearchInfo) {
    let reasons: Vec<Option<String>> = found
        .rows
        .iter()
        .map(|h| h.found.as_ref().map(|f| f.reason.clone()))
        .collect();
    let mut listed = rows(found.rows.into_iter().map(|h| h.dossier).collect(), tz, cat);
    for (r, reason) in listed.iter_mut().zip(reasons) {
        r.reason = reason;
    }
    let info = SearchInfo {
        total: found.total,
        page: found.page,
        pages: found.pages,
        truncated: found.truncated,
        previous: (found.page > 1).then(|| found.page - 1),
        next: (found.page < found.pages).then(|| found.page + 1),
        max_ranked: vigie_store::search::MAX_RANKED,
    };
    (listed, info)
}

async fn list_page(
    state: &AppState,
    u: &SessionUser,
    ip: Option<String>,
    q: &ListQuery,
    search: Option<(String, SearchResults)>,
) -> Result<ListPage, WebError> {
    let tz = state.config.timezone;
    let cat = state.store.catalog().await?;
    let (filter, cursor, errors) = filter_of(state, q);
    let (rows_, next, search_text, searching) = match search {
        Some((text, found)) => {
            let (listed, info) = search_rows(found, tz, &cat);
            (listed, None, text, Some(info))
        }
        None => {
            let page = list_recorded(state, u, ip, &filter, cursor).await?;
            let filters = filter_query(q);
            let next = page.next.map(|c| {
                let mut qs: Vec<String> = filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
                qs.push(format!("apres={}_{}", c.received_at.timestamp(), c.id));
                format!("/dossiers?{}", qs.join("&amp;"))
            });
            // Each dossier opens with the list's filters, for its previous / next links.
            let suffix = query_suffix(&filters);
            let mut listed = rows(page.rows, tz, &cat);
            for r in &mut listed {
                r.href.push_str(&suffix);
            }
            (listed, next, String::new(), None)
        }
    };
    Ok(ListPage {
        demo: state.config.demo,
        chrome: Chrome::new(state, u),
        filters: FilterForm::new(&cat, &u.scope(), q),
        search: search_text,
        rows: rows_,
        next,
        errors,
        searching,
    })
}

pub async fn dossier_list(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<ListQuery>,
) -> Response {
    match list_page(&state, &u, ip, &q, None).await {
        Ok(p) => render(
            if p.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            &p,
        ),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    /// The page of results asked for (from 1; anything else is the first).
    #[serde(default)]
    page: String,
}

pub async fn dossier_search(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Form(form): Form<SearchForm>,
) -> Response {
    let text: String = form.q.chars().take(200).collect();
    if text.trim().is_empty() {
        return Redirect::to("/dossiers").into_response();
    }
    let actor = actor(&u, ip);
    let found = match state
        .store
        .search_dossiers(
            state.now(),
            &actor,
            &u.scope(),
            &text,
            form.page.trim().parse().unwrap_or(1),
        )
        .await
    {
        Ok(f) => f,
        Err(e) => return WebError::from(e).into_response(),
    };
    match list_page(&state, &u, None, &ListQuery::default(), Some((text, found))).await {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => e.into_response(),
    }
}
