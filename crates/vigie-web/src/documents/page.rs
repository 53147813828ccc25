//! A dossier's documents (`/dossiers/{id}/documents`): generated letters and uploaded files,
//! newest first — an edited or signed version above the letter it replaces, both kept —, with
//! their category, recipient, author and date, downloadable again (`/documents/{id}`):
//! streamed chunk by chunk from the database, each download audited. A confidential document
//! is neither listed nor served to a role that may not see the source's identity; a removed
//! one is listed with who removed it and why, never served. The upload form
//! ([`super::upload`]) is on the same page: after a refusal it comes back with what was typed
//! and every reason.

use askama::Template;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use vigie_domain::catalog::Catalog;
use vigie_domain::documents::{may_upload, may_upload_any};
use vigie_domain::{ParamKind, Permission};
use vigie_store::documents::DocumentInfo;
use vigie_store::sessions::SessionUser;

use super::upload::UploadForm;

use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Query;
use crate::shared::access::dossier_scope;
use crate::shared::dates::datetime;
use crate::shared::{Choice, Chrome, actor, path_id, render};

/// A row of the documents list.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub href: String,
    pub title: String,
    pub category: String,
    pub recipient: String,
    pub format: &'static str,
    pub size: String,
    pub by: String,
    pub at: String,
    pub confidential: bool,
    /// Where it sits among a letter's versions (empty outside one).
    pub note: String,
    /// An older version or the letter a newer version replaces (shown indented).
    pub older: bool,
    /// « Supprimé le … par … : motif » (then no link).
    pub removed: String,
    /// A generated letter: a version of it may be uploaded.
    pub letter: bool,
}

/// The upload form, as shown.
#[derive(Debug, Clone, Default)]
pub struct UploadView {
    pub categories: Vec<Choice>,
    /// The confidentiality is chosen (roles that see confidential documents).
    pub choose_confidentiality: bool,
    pub confidentiality: String,
    pub title: String,
    /// The letter the upload is a version of: id and title.
    pub version_of: Option<(i64, String)>,
    pub errors: Vec<String>,
    pub max_mb: usize,
    pub max_files: usize,
    pub antivirus: bool,
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
    uploaded: usize,
    removed: bool,
    follow_up_left: bool,
    may_generate: bool,
    may_remove: bool,
    upload: Option<UploadView>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    generes: Option<usize>,
    #[serde(default)]
    deposes: Option<usize>,
    #[serde(default)]
    suivi: Option<String>,
    #[serde(default)]
    supprime: Option<u8>,
    /// Upload a version of this letter.
    #[serde(default)]
    version_de: Option<i64>,
}

pub fn format_label(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => "PDF",
        "application/vnd.oasis.opendocument.text" => "ODT",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "DOCX",
        other => vigie_files::inspect::Kind::ALL
            .into_iter()
            .find(|k| other.split(';').next() == Some(k.media_type()))
            .map_or("Fichier", vigie_files::inspect::Kind::label),
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
    match path_id(&id) {
        Ok(id) => show(&state, &u, ip, id, &done, None).await,
        Err(e) => e.into_response(),
    }
}

/// The page, with the upload form as typed and its errors after a refusal (422).
pub async fn show(
    state: &AppState,
    u: &SessionUser,
    ip: Option<String>,
    id: i64,
    done: &Done,
    refused: Option<(&UploadForm, Vec<String>)>,
) -> Response {
    let result = async {
        let scope = dossier_scope(state, u).await?;
        let rec = state
            .store
            .read_dossier(state.now(), &actor(u, ip), &scope, id)
            .await?;
        let docs = crate::letters::generate::documents(state, u, &scope, id).await?;
        let cat = state.store.catalog().await?;
        Ok::<_, WebError>((rec, docs, cat))
    }
    .await;
    let (rec, docs, cat) = match result {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let tz = state.config.timezone;
    let rows = rows(&docs, tz);
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    // The form where this user may upload something to this dossier (an évaluateur: to a
    // dossier assigned to their service).
    let offered = may_upload_any(u.role)
        && (u.role.has(Permission::DossierWrite)
            || super::upload::assigned_to_own_service(u, &rec));
    let upload = offered.then(|| {
        let version_of = done
            .version_de
            .or_else(|| {
                refused
                    .as_ref()
                    .and_then(|(f, _)| f.version_of.trim().parse().ok())
            })
            .and_then(|v| docs.iter().find(|d| d.id == v && d.kind == "courrier"))
            .map(|d| (d.id, d.title.clone()));
        upload_view(state, u, &cat, refused, version_of)
    });
    render(
        status,
        &DocumentsPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            dossier_id: rec.id,
            number: rec.number.to_string(),
            rows,
            generated: done.generes.unwrap_or(0),
            uploaded: done.deposes.unwrap_or(0),
            removed: done.supprime.is_some(),
            follow_up_left: done.suivi.as_deref() == Some("non"),
            may_generate: vigie_domain::letters::may_generate_any(u.role),
            may_remove: u.role.has(Permission::DocumentRemove),
            upload,
        },
    )
}

/// The upload form: the categories this role may upload (an évaluateur, the evaluation
/// report), what was typed.
fn upload_view(
    state: &AppState,
    u: &SessionUser,
    cat: &Catalog,
    refused: Option<(&UploadForm, Vec<String>)>,
    version_of: Option<(i64, String)>,
) -> UploadView {
    let (typed, errors) = match refused {
        Some((f, e)) => (Some(f), e),
        None => (None, Vec::new()),
    };
    let selected = typed
        .map(|f| f.category.trim().to_owned())
        .unwrap_or_default();
    let categories = cat
        .of_kind(ParamKind::DocumentCategory)
        .filter(|v| v.active && may_upload(u.role, v.meaning, true))
        .map(|v| Choice {
            value: v.id.to_string(),
            label: v.label.clone(),
            selected: v.id.to_string() == selected,
        })
        .collect();
    let settings = &state.config.uploads;
    UploadView {
        categories,
        choose_confidentiality: u.role.has(Permission::SourceIdentityRead),
        confidentiality: typed
            .map(|f| f.confidentiality.trim().to_owned())
            .unwrap_or_default(),
        title: typed.map(|f| f.title.clone()).unwrap_or_default(),
        version_of,
        errors,
        max_mb: settings.max_megabytes(),
        max_files: super::upload::MAX_FILES,
        antivirus: settings.clamav.is_some(),
    }
}

/// The rows, newest first; a letter's versions above it, newest first, the older ones and
/// the letter itself marked as replaced.
fn rows(docs: &[DocumentInfo], tz: chrono_tz::Tz) -> Vec<Row> {
    let row = |d: &DocumentInfo| Row {
        id: d.id,
        href: format!("/documents/{}", d.id),
        title: d.title.clone(),
        category: d.category_label.clone().unwrap_or_else(|| {
            if d.kind == "courrier" {
                "Courrier généré".to_owned()
            } else {
                String::new()
            }
        }),
        recipient: d.recipient_label.clone().unwrap_or_default(),
        format: format_label(&d.media_type),
        size: size_label(d.size),
        by: d.created_by_name.clone().unwrap_or_default(),
        at: datetime(d.created_at, tz),
        confidential: d.confidential,
        note: String::new(),
        older: false,
        removed: d.removal.as_ref().map_or_else(String::new, |r| {
            format!(
                "Supprimé le {} par {} : {}",
                datetime(r.at, tz),
                r.by_name.clone().unwrap_or_default(),
                r.reason
            )
        }),
        letter: d.kind == "courrier" && d.removal.is_none(),
    };
    // `docs` is newest first: a group's newest member comes first.
    let mut out = Vec::with_capacity(docs.len());
    let mut placed = std::collections::HashSet::new();
    for d in docs {
        let root = d.version_of.unwrap_or(d.id);
        if !placed.insert(root) {
            continue;
        }
        let versions: Vec<&DocumentInfo> =
            docs.iter().filter(|v| v.version_of == Some(root)).collect();
        let original = docs.iter().find(|o| o.id == root);
        for (k, v) in versions.iter().enumerate() {
            let mut r = row(v);
            r.note = if k == 0 {
                "Version déposée la plus récente".to_owned()
            } else {
                "Version précédente".to_owned()
            };
            r.older = k > 0;
            out.push(r);
        }
        if let Some(o) = original {
            let mut r = row(o);
            if !versions.is_empty() {
                r.note = "Courrier généré, remplacé par la version ci-dessus".to_owned();
                r.older = true;
            }
            out.push(r);
        }
    }
    out
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
    let disposition = crate::shared::url::attachment(&doc.file_name);
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
