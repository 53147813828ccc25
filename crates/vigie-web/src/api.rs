//! JSON API `/api/v1`: the same store functions and the same scope as the pages.
//! Errors are RFC 9457 problems. The OpenAPI document comes with the dossier screen.

use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use vigie_store::Actor;
use vigie_store::dossiers::DossierRecord;
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::auth::ClientIp;
use crate::error::{ApiError, WebError};
use crate::pages::{ListQuery, parse_filter};

#[derive(Debug, serde::Serialize)]
pub struct ListResponse {
    pub dossiers: Vec<vigie_domain::DossierSummary>,
    /// Pass as `apres` to get the next page.
    pub next: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<ListQuery>,
) -> Result<Json<ListResponse>, ApiError> {
    let (filter, cursor, errors) = parse_filter(&q, state.config.timezone);
    if let Some(e) = errors.first() {
        return Err(ApiError(WebError::Invalid(
            vigie_domain::DomainError::Rule(e.clone()),
        )));
    }
    let page = state
        .store
        .list_dossiers(&u.scope(), &filter, cursor, 50)
        .await?;
    Ok(Json(ListResponse {
        dossiers: page.rows,
        next: page
            .next
            .map(|c| format!("{}_{}", c.received_at.timestamp(), c.id)),
    }))
}

#[derive(Debug, serde::Deserialize)]
pub struct SearchBody {
    pub q: String,
}

pub async fn search(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Json(body): Json<SearchBody>,
) -> Result<Json<Vec<vigie_domain::DossierSummary>>, ApiError> {
    let actor = Actor {
        user_id: Some(u.user_id),
        ip: ip.clone(),
    };
    let text: String = body.q.chars().take(200).collect();
    Ok(Json(
        state
            .store
            .search_dossiers(state.now(), &actor, &u.scope(), &text, 100)
            .await?,
    ))
}

pub async fn read(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Result<Json<DossierRecord>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError(WebError::NotFound))?;
    let actor = Actor {
        user_id: Some(u.user_id),
        ip: ip.clone(),
    };
    let mut rec = state
        .store
        .read_dossier(state.now(), &actor, &u.scope(), id)
        .await?;
    rec.source = rec.source.visible_to(u.role);
    Ok(Json(rec))
}
