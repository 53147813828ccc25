//! The read-only dossier view, with its record navigator (previous / next dossier of the
//! filtered list). Outside the caller's scope, a territorial role gets the « page
//! introuvable » that offers an accès exceptionnel ([`super::break_glass`]).

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use vigie_store::sessions::SessionUser;

use super::view::DossierView;
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Query;
use crate::shared::access::{dossier_scope, may_request_break_glass};
use crate::shared::list::{ListQuery, filter_of, filter_query, query_suffix};
use crate::shared::{Chrome, actor, path_id, render};

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
    let (filter, _, _) = filter_of(state, q);
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
            return super::break_glass::not_found(&state, &u, id);
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
