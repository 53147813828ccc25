//! `/api/v1/modeles`: the letter templates and their versions (responsable CRIP and
//! administrator), as « Modèles de courrier » shows them.

use axum::extract::State;
use axum::{Extension, Json};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::error::{ApiError, Problem};

/// A version of a template (never its content).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TemplateVersion {
    pub id: i64,
    pub number: i64,
    /// `odt` or `docx`.
    pub format: String,
    pub file_name: String,
    pub size: i64,
    pub sha256: String,
    pub comment: Option<String>,
    pub uploaded_by_name: Option<String>,
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
    /// Set once published; the last published is in service.
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    pub in_service: bool,
}

/// A letter template.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LetterTemplate {
    /// The code letters are generated with (`POST /api/v1/dossiers/{id}/courriers`).
    pub code: String,
    pub title: String,
    /// `parent`, `signalant`, `service`, `parquet`, `crip`, `119`.
    pub recipient_kind: String,
    pub legal_basis: String,
    /// Shipped with Vigie: its built-in version serves until one is published.
    pub builtin: bool,
    pub active: bool,
    /// Newest first.
    pub versions: Vec<TemplateVersion>,
}

/// Every template with its versions.
#[utoipa::path(
    get,
    path = "/api/v1/modeles",
    tag = "documents",
    responses(
        (status = 200, body = Vec<LetterTemplate>),
        (status = 403, description = "Réservé au responsable CRIP et à l'administrateur", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(_u): Extension<SessionUser>,
) -> Result<Json<Vec<LetterTemplate>>, ApiError> {
    let mut out = Vec::new();
    for t in state
        .store
        .letter_templates()
        .await
        .map_err(crate::http::error::WebError::from)?
    {
        let in_service = t.in_service.as_ref().map(|v| v.id);
        let versions = state
            .store
            .template_versions(t.id)
            .await
            .map_err(crate::http::error::WebError::from)?
            .into_iter()
            .map(|v| TemplateVersion {
                in_service: Some(v.id) == in_service,
                id: v.id,
                number: v.number,
                format: v.format,
                file_name: v.file_name,
                size: v.size,
                sha256: v.sha256,
                comment: v.comment,
                uploaded_by_name: v.uploaded_by_name,
                uploaded_at: v.uploaded_at,
                published_at: v.published_at,
            })
            .collect();
        out.push(LetterTemplate {
            code: t.code,
            title: t.title,
            recipient_kind: t.recipient.code().to_owned(),
            legal_basis: t.legal_basis,
            builtin: t.builtin,
            active: t.active,
            versions,
        });
    }
    Ok(Json(out))
}
