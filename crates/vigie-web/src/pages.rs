//! HTML pages: home, the dossier list (filters by GET, name search by POST so that no
//! name ever appears in a URL or an access log), and the read-only dossier view.

use crate::extract::Form;
use crate::extract::Query;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use vigie_domain::{DossierStatus, DossierSummary, ParamKind, Permission, Scope};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::auth::ClientIp;
use crate::error::WebError;
use crate::shared::access::{dossier_scope, may_request_break_glass};
use crate::shared::dates::datetime;
use crate::shared::list::{ListQuery, filter_query, list_recorded, parse_filter, query_suffix};
use crate::shared::{Choice, Chrome, actor, path_id, render};
use crate::views::DossierView;

/// 200 when the database answers and accepts a write (a real write, at most once every
/// 10 seconds: see [`vigie_store::Store::can_write`]), 503 otherwise.
pub async fn healthz(State(state): State<AppState>) -> Response {
    if !state.store.ping().await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "base de données injoignable",
        )
            .into_response();
    }
    if !state.store.can_write(state.now()).await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "la base de données refuse l'écriture (disque plein ?)",
        )
            .into_response();
    }
    (StatusCode::OK, "ok").into_response()
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/vigie.css"),
    )
        .into_response()
}

/// The enhancement script (pages work without it).
pub async fn script() -> Response {
    static_js(include_str!("../static/vigie.js"))
}

/// htmx 2.0.11 (BSD-0-Clause), vendored: nothing is downloaded at run time.
pub async fn htmx() -> Response {
    static_js(include_str!("../static/htmx.min.js"))
}

fn static_js(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    demo: bool,
    chrome: Chrome,
    /// For the roles that read dossiers: (overdue, due within 15 days) échéances in their scope.
    due: Option<(i64, i64)>,
}

pub async fn home(State(state): State<AppState>, Extension(u): Extension<SessionUser>) -> Response {
    let due = if u.role.has(Permission::DossierRead) {
        let today = state
            .now()
            .with_timezone(&state.config.timezone)
            .date_naive();
        match state.store.due_counts(&u.scope(), today).await {
            Ok(c) => Some(c),
            Err(e) => return WebError::from(e).into_response(),
        }
    } else {
        None
    };
    render(
        StatusCode::OK,
        &HomePage {
            demo: state.config.demo,
            chrome: Chrome::new(&state, &u),
            due,
        },
    )
}

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
}

#[derive(Template)]
#[template(path = "dossiers.html")]
struct ListPage {
    demo: bool,
    chrome: Chrome,
    territories: Vec<Choice>,
    statuses: Vec<Choice>,
    types: Vec<Choice>,
    du: String,
    au: String,
    search: String,
    rows: Vec<Row>,
    next: Option<String>,
    errors: Vec<String>,
    searching: bool,
}

fn rows(
    list: Vec<DossierSummary>,
    tz: chrono_tz::Tz,
    cat: &vigie_store::params::Catalog,
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
        })
        .collect()
}

async fn list_page(
    state: &AppState,
    u: &SessionUser,
    ip: Option<String>,
    q: &ListQuery,
    search: Option<(String, Vec<DossierSummary>)>,
) -> Result<ListPage, WebError> {
    let tz = state.config.timezone;
    let cat = state.store.catalog().await?;
    let (filter, cursor, errors) = parse_filter(q, tz);
    let (rows_, next, search_text, searching) = match search {
        Some((text, found)) => (rows(found, tz, &cat), None, text, true),
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
            (listed, next, String::new(), false)
        }
    };
    let sel = |v: &str, cur: &str| v == cur.trim();
    let scope = u.scope();
    Ok(ListPage {
        demo: state.config.demo,
        chrome: Chrome::new(state, u),
        territories: cat
            .territories
            .iter()
            .filter(|t| reachable(&scope, &cat, t.id))
            .map(|t| Choice {
                value: t.id.to_string(),
                label: t.label.clone(),
                selected: sel(&t.id.to_string(), &q.territoire),
            })
            .collect(),
        statuses: DossierStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.code().into(),
                label: cat.status_label(*s),
                selected: sel(s.code(), &q.statut),
            })
            .collect(),
        types: cat
            .of_kind(ParamKind::DossierType)
            .map(|t| Choice {
                value: t.id.to_string(),
                label: t.label.clone(),
                selected: sel(&t.id.to_string(), &q.type_),
            })
            .collect(),
        du: q.du.clone(),
        au: q.au.clone(),
        search: search_text,
        rows: rows_,
        next,
        errors,
        searching,
    })
}

/// Territories worth offering as a filter: all, or for a restricted scope its own and
/// those of its services (another territory could only ever give an empty list).
fn reachable(scope: &Scope, cat: &vigie_store::params::Catalog, territory: i64) -> bool {
    match scope {
        Scope::All => true,
        Scope::Nothing => false,
        Scope::Restricted {
            territories,
            services,
            ..
        } => {
            territories.contains(&territory)
                || services
                    .iter()
                    .any(|s| cat.service(*s).is_some_and(|s| s.territory_id == territory))
        }
    }
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
        .search_dossiers(state.now(), &actor, &u.scope(), &text, 100)
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

#[derive(Template)]
#[template(path = "dossier.html")]
struct DossierPage {
    demo: bool,
    chrome: Chrome,
    d: DossierView,
    nav: RecordNav,
}

/// The record navigator of the dossier view: back to the list, previous (newer) and next
/// (older) dossier of the list, all with the list's filters.
#[derive(Debug, Clone)]
pub struct RecordNav {
    pub list: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

async fn record_nav(
    state: &AppState,
    u: &SessionUser,
    q: &ListQuery,
    id: i64,
    received_at: DateTime<Utc>,
) -> Result<RecordNav, WebError> {
    // An invalid filter is dropped, as the list reports it: navigation stays possible.
    let (filter, _, _) = parse_filter(q, state.config.timezone);
    let suffix = query_suffix(&filter_query(q));
    let (previous, next) = state
        .store
        .neighbours(
            &u.scope(),
            &filter,
            vigie_store::dossiers::Cursor { received_at, id },
        )
        .await?;
    let href = |id: i64| format!("/dossiers/{id}{suffix}");
    Ok(RecordNav {
        list: format!("/dossiers{suffix}"),
        previous: previous.map(href),
        next: next.map(href),
    })
}

pub async fn dossier_view(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let id = match path_id(&id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    let actor = actor(&u, ip);
    // The scope with the user's accès exceptionnels; outside it, the « page introuvable »
    // offers to ask for one (the same whether the dossier exists or not).
    let scope = match dossier_scope(&state, &u).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let rec = match state
        .store
        .read_dossier(state.now(), &actor, &scope, id)
        .await
    {
        Ok(r) => r,
        Err(vigie_store::StoreError::NotFound) if may_request_break_glass(&u) => {
            return crate::break_glass::not_found(&state, &u, id);
        }
        Err(e) => return WebError::from(e).into_response(),
    };
    let cat = match state.store.catalog().await {
        Ok(c) => c,
        Err(e) => return WebError::from(e).into_response(),
    };
    let nav = match record_nav(&state, &u, &q, id, rec.header.received_at).await {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    let d = DossierView::new(&rec, &cat, u.role, state.config.timezone);
    render(
        StatusCode::OK,
        &DossierPage {
            demo: state.config.demo,
            chrome: Chrome::new(&state, &u),
            d,
            nav,
        },
    )
}
