//! `/api/v1`: a dossier's documents, generating letters, uploading, downloading and removing a
//! document — the same generation, checks of uploads, scope, confidentiality and audit as the
//! « Courriers » and « Documents » pages.

use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use vigie_domain::Permission;
use vigie_store::documents::DocumentInfo;
use vigie_store::sessions::SessionUser;

use super::ApiJson;
use crate::AppState;
use crate::documents::upload::{read_form, store_upload};
use crate::http::client::ClientIp;
use crate::http::error::{ApiError, Problem, WebError};
use crate::letters::generate::{LetterRequest, generate};
use crate::shared::access::dossier_scope;
use crate::shared::{actor, path_id};

/// A stored document (never its content).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Document {
    pub id: i64,
    pub dossier_id: i64,
    /// `courrier` for a generated letter, `piece` for an uploaded file.
    pub kind: String,
    pub title: String,
    /// Code of the template (`08-signalement-parquet`) and its version.
    pub template_code: Option<String>,
    pub template_version: Option<String>,
    /// `parent`, `signalant`, `service`, `parquet`, `crip`, `119`.
    pub recipient_kind: Option<String>,
    pub recipient_label: Option<String>,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    /// SHA-256 of the content, hexadecimal.
    pub sha256: String,
    /// Names a confidential source: served only to roles that may see the source's identity.
    pub confidential: bool,
    pub created_by: Option<i64>,
    pub created_by_name: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// An uploaded document's category (table `categorie_document`).
    pub category_id: Option<i64>,
    pub category_label: Option<String>,
    /// The generated letter this document is an edited or signed version of.
    pub version_of: Option<i64>,
    /// Set when a responsable removed it (its content is gone).
    pub removal: Option<Removal>,
    /// Where to download it (none once removed).
    pub href: Option<String>,
}

/// Who removed a document, when and why.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Removal {
    pub by_name: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
    pub reason: String,
}

impl From<DocumentInfo> for Document {
    fn from(d: DocumentInfo) -> Self {
        Document {
            href: d
                .removal
                .is_none()
                .then(|| format!("/api/v1/documents/{}", d.id)),
            id: d.id,
            dossier_id: d.dossier_id,
            kind: d.kind,
            title: d.title,
            template_code: d.template_code,
            template_version: d.template_version,
            recipient_kind: d.recipient_kind,
            recipient_label: d.recipient_label,
            file_name: d.file_name,
            media_type: d.media_type,
            size: d.size,
            sha256: d.sha256,
            confidential: d.confidential,
            created_by: d.created_by,
            created_by_name: d.created_by_name,
            created_at: d.created_at,
            category_id: d.category_id,
            category_label: d.category_label,
            version_of: d.version_of,
            removal: d.removal.map(|r| Removal {
                by_name: r.by_name,
                at: r.at,
                reason: r.reason,
            }),
        }
    }
}

/// A dossier's documents, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{id}/documents",
    tag = "documents",
    params(("id" = i64, Path, description = "Id du dossier")),
    responses(
        (status = 200, body = Vec<Document>),
        (status = 404, description = "Inexistant ou hors de votre périmètre", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Document>>, ApiError> {
    let id = path_id(&id)?;
    let scope = dossier_scope(&state, &u).await?;
    let docs = crate::letters::generate::documents(&state, &u, &scope, id).await?;
    Ok(Json(docs.into_iter().map(Document::from).collect()))
}

/// Letters to generate from a dossier.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct LetterOrder {
    /// Code of the template: `01-accuse-reception` … `10-retour-119`, or one the CRIP added
    /// (`GET /api/v1/modeles`).
    pub modele: String,
    /// Recipients (`parent:ID`, `signalant`, `service:ID`, `annuaire:ID`); empty: every one the
    /// template may have. One letter each.
    #[serde(default)]
    pub destinataires: Vec<String>,
    /// Ids of the children concerned (`children[].id`); empty: all.
    #[serde(default)]
    pub enfants: Vec<i64>,
    /// `odt` (default) or `docx`; a template the CRIP published comes in its own format
    /// (another one asked: 422).
    #[serde(default)]
    pub format: Option<String>,
    /// Also store the PDF (LibreOffice on the server).
    #[serde(default)]
    pub pdf: bool,
    /// Mark the follow-up the template completes as done (default: yes).
    #[serde(default = "yes")]
    pub suivi: bool,
}

fn yes() -> bool {
    true
}

/// Generates letters and stores them with the dossier; `Location` is the first document.
#[utoipa::path(
    post,
    path = "/api/v1/dossiers/{id}/courriers",
    tag = "documents",
    params(("id" = i64, Path, description = "Id du dossier")),
    request_body = LetterOrder,
    responses(
        (status = 201, body = Vec<Document>, headers(("Location" = String, description = "Le premier document produit"))),
        (status = 403, description = "Ce rôle ne produit pas ce courrier", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Inexistant ou hors de votre périmètre", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Modèle, destinataire ou enfant refusé (message en français)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    ApiJson(order): ApiJson<LetterOrder>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let format = match order.format.as_deref() {
        None | Some("odt") => vigie_letters::Format::Odt,
        Some("docx") => vigie_letters::Format::Docx,
        Some(_) => {
            return Err(WebError::Invalid(vigie_domain::DomainError::field(
                "format",
                "Format",
                "odt ou docx attendu.",
            ))
            .into());
        }
    };
    // A template the CRIP published comes in its own format: another one asked is refused.
    if let Some(asked) = order.format.as_deref()
        && let Ok(t) = state.store.letter_template(&order.modele).await
        && let Some(v) = &t.in_service
        && v.format != asked
    {
        return Err(WebError::Invalid(vigie_domain::DomainError::field(
            "format",
            "Format",
            format!(
                "ce modèle est publié par la CRIP en {} : demandez « {} » ou n'indiquez pas de format.",
                v.format.to_uppercase(),
                v.format
            ),
        ))
        .into());
    }
    let scope = dossier_scope(&state, &u).await?;
    let actor = actor(&u, ip);
    let rec = state
        .store
        .read_dossier(state.now(), &actor, &scope, id)
        .await?;
    let req = LetterRequest {
        code: order.modele,
        recipients: order.destinataires,
        children: order.enfants,
        format,
        pdf: order.pdf,
        complete_follow_up: order.suivi,
    };
    let done = generate(&state, &u, &actor, &scope, &rec, &req).await?;
    let visible = u.role.has(Permission::SourceIdentityRead);
    let mut docs = Vec::new();
    for d in &done.ids {
        docs.push(Document::from(
            state.store.document(&scope, true, *d).await?,
        ));
    }
    docs.retain(|d| visible || !d.confidential);
    let location = docs
        .first()
        .and_then(|d| d.href.clone())
        .unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(docs),
    )
        .into_response())
}

/// A document's content (streamed), audited.
#[utoipa::path(
    get,
    path = "/api/v1/documents/{id}",
    tag = "documents",
    params(("id" = i64, Path, description = "Id du document")),
    responses(
        (status = 200, description = "Le fichier (ODT, DOCX ou PDF)", content_type = "application/octet-stream"),
        (status = 404, description = "Inexistant, hors de votre périmètre ou confidentiel", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn download(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let scope = dossier_scope(&state, &u).await?;
    let doc = state
        .store
        .document(&scope, u.role.has(Permission::SourceIdentityRead), id)
        .await?;
    state
        .store
        .record_download(state.now(), &actor(&u, ip), &doc)
        .await?;
    Ok(crate::documents::page::stream(&state, &doc))
}

/// An upload (`multipart/form-data`), as the « Documents » page sends it.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadBody {
    /// One or several files (`fichier` is accepted too), 20 MB each by default
    /// (`VIGIE_DOCUMENT_MAX_MO`), 10 at most: PDF, JPEG, PNG, TIFF, GIF, WebP, HEIC, DOCX, ODT,
    /// text, EML — the type read from the content.
    #[schema(format = Binary)]
    fichiers: Vec<String>,
    /// Id of a value of the table `categorie_document`.
    categorie: i64,
    /// Title (default: the file's name).
    titre: Option<String>,
    /// `categorie` (default: an « IP reçue » is confidential), `oui` or `non`.
    confidentiel: Option<String>,
    /// Id of the generated letter this file is an edited or signed version of.
    version_de: Option<i64>,
}

/// Uploads documents to a dossier: all or none; `Location` is the first.
#[utoipa::path(
    post,
    path = "/api/v1/dossiers/{id}/documents",
    tag = "documents",
    params(("id" = i64, Path, description = "Id du dossier")),
    request_body(content = UploadBody, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = Vec<Document>, headers(("Location" = String, description = "Le premier document déposé"))),
        (status = 403, description = "Ce rôle ne dépose pas ce document dans ce dossier", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Inexistant ou hors de votre périmètre", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fichier ou saisie refusé : chaque raison en français (type, macro, archive, PDF chiffré, taille, antivirus)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let form = read_form(multipart, state.config.uploads.max_size).await;
    let scope = dossier_scope(&state, &u).await?;
    let actor = actor(&u, ip);
    let rec = state
        .store
        .read_dossier(state.now(), &actor, &scope, id)
        .await?;
    let stored = store_upload(&state, &u, &actor, &scope, &rec, form).await?;
    // Read back as the caller sees them (never a document they could not see).
    let visible = u.role.has(Permission::SourceIdentityRead);
    let mut docs = Vec::new();
    for d in &stored.ids {
        match state.store.document(&scope, visible, *d).await {
            Ok(doc) => docs.push(Document::from(doc)),
            Err(vigie_store::StoreError::NotFound) => {}
            Err(e) => return Err(WebError::from(e).into()),
        }
    }
    let location = docs
        .first()
        .and_then(|d| d.href.clone())
        .unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(docs),
    )
        .into_response())
}

/// Why a document is removed.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct RemovalOrder {
    /// Kept with the document's trace (5 characters at least).
    pub motif: String,
}

/// Removes a document (responsable CRIP): its content is deleted, its trace kept.
#[utoipa::path(
    post,
    path = "/api/v1/documents/{id}/suppression",
    tag = "documents",
    params(("id" = i64, Path, description = "Id du document")),
    request_body = RemovalOrder,
    responses(
        (status = 200, body = Document),
        (status = 404, description = "Inexistant, hors de votre périmètre ou déjà supprimé", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Motif manquant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn remove(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    ApiJson(order): ApiJson<RemovalOrder>,
) -> Result<Json<Document>, ApiError> {
    let id = path_id(&id)?;
    let reason = vigie_domain::documents::check_reason(&order.motif).map_err(WebError::Invalid)?;
    let scope = dossier_scope(&state, &u).await?;
    let removed = state
        .store
        .remove_document(state.now(), &actor(&u, ip), &scope, id, &reason)
        .await?;
    let listed = state
        .store
        .documents(&scope, true, removed.dossier_id)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(WebError::NotFound)?;
    Ok(Json(Document::from(listed)))
}
