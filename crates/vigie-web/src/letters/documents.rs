//! A dossier's documents (`/dossiers/{id}/documents`): every generated letter, newest first,
//! with its template, recipient, author and date, downloadable again (`/documents/{id}`):
//! streamed chunk by chunk from the database, each download audited. A confidential document
//! is neither listed nor served to a role that may not see the source's identity.

use askama::Template;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use vigie_store::documents::DocumentInfo;
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Query;
use crate::shared::access::dossier_scope;
use crate::shared::dates::datetime;
use crate::shared::{Chrome, actor, path_id, render};

/// A row of the documents list.
#[derive(Debug, Clone)]
pub struct Row {
    pub href: String,
    pub title: String,
    pub recipient: String,
    pub format: &'static str,
    pub size: String,
    pub by: String,
    pub at: String,
    pub confidential: bool,
}

#[derive(Template)]
#[template(path = "documents.html")]
struct DocumentsPage {
    demo: bool,
    chrome: Chrome,
    dossier_id: i64,
    number: String,
    rows: Vec<Row>,
    generated: usize,
    follow_up_left: bool,
    may_generate: bool,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    generes: Option<usize>,
    #[serde(default)]
    suivi: Option<String>,
}

pub fn format_label(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => "PDF",
        "application/vnd.oasis.opendocument.text" => "ODT",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "DOCX",
        _ => "Fichier",
    }
}

pub fn size_label(size: i64) -> String {
    if size < 1024 * 1024 {
        format!("{} Ko", (size + 1023) / 1024)
    } else {
        format!("{:.1} Mo", size as f64 / (1024.0 * 1024.0)).replace('.', ",")
    }
}

/// `GET /dossiers/{id}/documents`.
pub async fn documents_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let result = async {
        let id = path_id(&id)?;
        let scope = dossier_scope(&state, &u).await?;
        let rec = state
            .store
            .read_dossier(state.now(), &actor(&u, ip), &scope, id)
            .await?;
        let docs = super::generate::documents(&state, &u, &scope, id).await?;
        Ok::<_, WebError>((rec, docs))
    }
    .await;
    let (rec, docs) = match result {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let tz = state.config.timezone;
    let rows = docs
        .iter()
        .map(|d| Row {
            href: format!("/documents/{}", d.id),
            title: d.title.clone(),
            recipient: d.recipient_label.clone().unwrap_or_default(),
            format: format_label(&d.media_type),
            size: size_label(d.size),
            by: d.created_by_name.clone().unwrap_or_default(),
            at: datetime(d.created_at, tz),
            confidential: d.confidential,
        })
        .collect();
    render(
        StatusCode::OK,
        &DocumentsPage {
            demo: state.config.demo,
            chrome: Chrome::new(&state, &u),
            dossier_id: rec.id,
            number: rec.number.to_string(),
            rows,
            generated: done.generes.unwrap_or(0),
            follow_up_left: done.suivi.as_deref() == Some("non"),
            may_generate: vigie_domain::letters::may_generate_any(u.role),
        },
    )
}

/// The response streaming a document chunk by chunk.
pub fn stream(state: &AppState, doc: &DocumentInfo) -> Response {
    let store = state.store.clone();
    let id = doc.id;
    let body = futures_util::stream::unfold(Some(0i64), move |seq| {
        let store = store.clone();
        async move {
            let seq = seq?;
            match store.document_chunk(id, seq).await {
                Ok(Some(bytes)) => Some((Ok::<_, std::io::Error>(bytes), Some(seq + 1))),
                Ok(None) => None,
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
            }
        }
    });
    let disposition = format!(
        "attachment; filename=\"{}\"",
        doc.file_name.replace(['"', '\\', '\r', '\n'], "_")
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, doc.media_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, doc.size.to_string()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// `GET /documents/{id}`: the document, audited.
pub async fn download(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let id = path_id(&id)?;
        let scope = dossier_scope(&state, &u).await?;
        let doc = state
            .store
            .document(
                &scope,
                u.role.has(vigie_domain::Permission::SourceIdentityRead),
                id,
            )
            .await?;
        state
            .store
            .record_download(state.now(), &actor(&u, ip), &doc)
            .await?;
        Ok::<_, WebError>(doc)
    }
    .await;
    match result {
        Ok(doc) => stream(&state, &doc),
        Err(e) => e.into_response(),
    }
}
