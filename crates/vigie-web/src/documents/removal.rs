//! Removing a document (`/documents/{id}/suppression`), by a responsable CRIP only: a page
//! that names the document and asks why, then the removal — its content deleted, its row kept
//! in the list with who removed it, when and why, one audit entry. A reason too short comes
//! back with what was typed.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use vigie_domain::documents::{REASON_MIN, check_reason};
use vigie_store::documents::DocumentInfo;
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Form;
use crate::shared::access::dossier_scope;
use crate::shared::dates::datetime;
use crate::shared::{Chrome, actor, path_id, render};

#[derive(Template)]
#[template(path = "document_removal.html")]
struct RemovalPage {
    demo: bool,
    chrome: Chrome,
    id: i64,
    dossier_id: i64,
    title: String,
    file_name: String,
    at: String,
    by: String,
    reason: String,
    error: String,
    reason_min: usize,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RemovalForm {
    #[serde(default)]
    motif: String,
}

async fn reach(state: &AppState, u: &SessionUser, id: &str) -> Result<DocumentInfo, WebError> {
    let id = path_id(id)?;
    let scope = dossier_scope(state, u).await?;
    Ok(state.store.document(&scope, true, id).await?)
}

fn page(
    state: &AppState,
    u: &SessionUser,
    doc: &DocumentInfo,
    reason: String,
    error: String,
) -> Response {
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &RemovalPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            id: doc.id,
            dossier_id: doc.dossier_id,
            title: doc.title.clone(),
            file_name: doc.file_name.clone(),
            at: datetime(doc.created_at, state.config.timezone),
            by: doc.created_by_name.clone().unwrap_or_default(),
            reason,
            error,
            reason_min: REASON_MIN,
        },
    )
}

/// `GET /documents/{id}/suppression`.
pub async fn confirm(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Response {
    match reach(&state, &u, &id).await {
        Ok(doc) => page(&state, &u, &doc, String::new(), String::new()),
        Err(e) => e.into_response(),
    }
}

/// `POST /documents/{id}/suppression`.
pub async fn remove(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    Form(f): Form<RemovalForm>,
) -> Response {
    let doc = match reach(&state, &u, &id).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let reason = match check_reason(&f.motif) {
        Ok(r) => r,
        Err(e) => {
            let message = e
                .fields()
                .first()
                .map_or_else(|| e.to_string(), |f| f.message.clone());
            return page(&state, &u, &doc, f.motif, message);
        }
    };
    let result = async {
        let scope = dossier_scope(&state, &u).await?;
        Ok::<_, WebError>(
            state
                .store
                .remove_document(state.now(), &actor(&u, ip), &scope, doc.id, &reason)
                .await?,
        )
    }
    .await;
    match result {
        Ok(d) => Redirect::to(&format!("/dossiers/{}/documents?supprime=1", d.dossier_id))
            .into_response(),
        Err(e) => e.into_response(),
    }
}
