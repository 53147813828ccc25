//! The actions on a template's versions besides uploading them (see [`super::templates`]):
//! download a version or the one built into Vigie, publish a version, offer the template or
//! no longer. Each change goes through the store, which audits it and checks the template's
//! row version (two administrators never overwrite each other).

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use vigie_store::letter_templates::{LetterTemplate, TemplateVersion};
use vigie_store::sessions::SessionUser;

use super::templates::template_page;
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::{Form, Query};
use crate::shared::{actor, path_id};

/// A version of `code` (checked to belong to it).
async fn version_of(
    state: &AppState,
    code: &str,
    id: &str,
) -> Result<(LetterTemplate, TemplateVersion, Vec<u8>), WebError> {
    let t = state.store.letter_template(code).await?;
    let (v, bytes) = state.store.template_version(path_id(id)?).await?;
    if v.template_id != t.id {
        return Err(WebError::NotFound);
    }
    Ok((t, v, bytes))
}

pub fn attachment(bytes: Vec<u8>, mime: &str, name: &str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                crate::shared::url::attachment(name),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /admin/modeles/{code}/versions/{id}`: the version's file.
pub async fn download(
    State(state): State<AppState>,
    Extension(_u): Extension<SessionUser>,
    Path((code, id)): Path<(String, String)>,
) -> Response {
    match version_of(&state, &code, &id).await {
        Ok((_, v, bytes)) => {
            let format = super::super::letters::source::format_of(&v.format)
                .unwrap_or(vigie_letters::Format::Odt);
            attachment(bytes, format.mime(), &v.file_name)
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct FormatQuery {
    #[serde(default)]
    format: String,
}

/// `GET /admin/modeles/{code}/defaut?format=odt|docx`: the version built into Vigie, to start
/// editing from.
pub async fn download_default(
    State(state): State<AppState>,
    Extension(_u): Extension<SessionUser>,
    Path(code): Path<String>,
    Query(q): Query<FormatQuery>,
) -> Response {
    let format = if q.format == "docx" {
        vigie_letters::Format::Docx
    } else {
        vigie_letters::Format::Odt
    };
    match state.store.letter_template(&code).await {
        Ok(t) if t.builtin => match vigie_letters::defaults::template(&t.code, format) {
            Some(bytes) => attachment(
                bytes.to_vec(),
                format.mime(),
                &format!("{}.{}", t.code, format.extension()),
            ),
            None => WebError::NotFound.into_response(),
        },
        Ok(_) => WebError::NotFound.into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// `POST /admin/modeles/{code}/versions/{id}/publication`.
pub async fn publish(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path((code, id)): Path<(String, String)>,
    Form(f): Form<ActivationForm>,
) -> Response {
    let result = async {
        let (_, v, _) = version_of(&state, &code, &id).await?;
        state
            .store
            .publish_template_version(state.now(), &actor(&u, ip), v.id, f.version)
            .await?;
        Ok::<_, WebError>(())
    }
    .await;
    match result {
        Ok(()) => {
            Redirect::to(&format!("/admin/modeles/{code}?enregistre=publication")).into_response()
        }
        Err(WebError::Conflict(m)) => template_page(&state, &u, &code, vec![m], "", None).await,
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ActivationForm {
    #[serde(default)]
    version: i64,
    #[serde(default)]
    actif: String,
}

/// `POST /admin/modeles/{code}/activation` (`version`, `actif=1|0`).
pub async fn activation(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(code): Path<String>,
    Form(f): Form<ActivationForm>,
) -> Response {
    let result = async {
        let t = state.store.letter_template(&code).await?;
        state
            .store
            .set_template_active(state.now(), &actor(&u, ip), t.id, f.version, f.actif == "1")
            .await?;
        Ok::<_, WebError>(())
    }
    .await;
    match result {
        Ok(()) => {
            Redirect::to(&format!("/admin/modeles/{code}?enregistre=activation")).into_response()
        }
        Err(WebError::Conflict(m)) => template_page(&state, &u, &code, vec![m], "", None).await,
        Err(e) => e.into_response(),
    }
}
