//! The history of a dossier's changes: each saved revision, who, when, which part, and
//! each field's value before and after.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vigie_domain::dossier::Revision;
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::shared::access::dossier_scope;
use crate::shared::dates::datetime;
use crate::shared::{Chrome, actor, path_id, render};

#[derive(Debug, Clone)]
pub struct RevisionView {
    pub at: String,
    pub who: String,
    pub part: String,
    pub version: i64,
    pub reason: String,
    pub changes: Vec<ChangeLine>,
}

#[derive(Debug, Clone)]
pub struct ChangeLine {
    pub label: String,
    pub old: String,
    pub new: String,
}

#[derive(Template)]
#[template(path = "dossier_history.html")]
struct HistoryPage {
    demo: bool,
    chrome: Chrome,
    back: String,
    revisions: Vec<RevisionView>,
}

fn revision_view(r: &Revision, tz: chrono_tz::Tz) -> RevisionView {
    RevisionView {
        at: datetime(r.at, tz),
        who: r.user_name.clone().unwrap_or_else(|| "Système".to_owned()),
        part: r.part_label.clone(),
        version: r.version,
        reason: r.reason.clone().unwrap_or_default(),
        changes: r
            .changes
            .iter()
            .map(|c| ChangeLine {
                label: c.label.clone(),
                old: c.old.clone(),
                new: c.new.clone(),
            })
            .collect(),
    }
}

/// `GET /dossiers/{id}/historique`
pub async fn history(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Response {
    let id = match path_id(&id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    let scope = match dossier_scope(&state, &u).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let list = match state
        .store
        .dossier_history(state.now(), &actor(&u, ip), &scope, id)
        .await
    {
        Ok(l) => l,
        Err(e) => return WebError::from(e).into_response(),
    };
    let tz = state.store.timezone();
    render(
        StatusCode::OK,
        &HistoryPage {
            demo: state.config.demo,
            chrome: Chrome::new(&state, &u),
            back: format!("/dossiers/{id}"),
            revisions: list.iter().map(|r| revision_view(r, tz)).collect(),
        },
    )
}
