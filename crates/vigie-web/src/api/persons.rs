//! `/api/v1/personnes/suggestions`: the known persons who may be the child being typed.

use axum::extract::State;
use axum::{Extension, Json};
use vigie_domain::dossier::Suggestion;
use vigie_domain::{BirthDate, Person, Sex};
use vigie_store::audit::Event;
use vigie_store::sessions::SessionUser;

use super::ApiJson;
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::ApiError;
use crate::shared::actor;

/// The identity being typed for a child.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct SuggestionRequest {
    /// Nom de naissance.
    pub birth_name: String,
    /// Nom d'usage.
    #[serde(default)]
    pub usage_name: Option<String>,
    /// Prénoms.
    pub first_names: String,
    /// Date de naissance (inconnue si absente).
    #[serde(default)]
    pub birth: Option<BirthDate>,
    /// 10 at most (the default).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// The known persons who may be the child being typed (no duplicate children): a family
/// name (birth or usage) and a first name match, normalised or phonetically, and the birth
/// dates are within ±31 days (the same year when approximate, or one is unknown). Best
/// first, 10 at most, among the persons with a dossier within the caller's scope; their
/// dossiers outside the scope show without an id. POST: names never go into a URL.
#[utoipa::path(
    post,
    path = "/api/v1/personnes/suggestions",
    tag = "personnes",
    request_body = SuggestionRequest,
    responses((status = 200, body = Vec<Suggestion>))
)]
pub async fn suggestions(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    ApiJson(body): ApiJson<SuggestionRequest>,
) -> Result<Json<Vec<Suggestion>>, ApiError> {
    let cut = |s: &str| s.chars().take(200).collect::<String>();
    let typed = Person {
        birth_name: cut(&body.birth_name),
        usage_name: body.usage_name.as_deref().map(cut),
        first_names: cut(&body.first_names),
        sex: Sex::Unknown,
        birth: body.birth.unwrap_or(BirthDate::Unknown),
    };
    let limit = body.limit.unwrap_or(vigie_store::suggest::MAX_SUGGESTIONS);
    let found = state
        .store
        .suggest_persons(&u.scope(), &typed, limit)
        .await?;
    // The consultation of identities is traced: how many, never the names typed.
    state
        .store
        .audit(
            state.now(),
            &actor(&u, ip),
            Event::new("personne.suggestion").detail(format!("resultats={}", found.len())),
        )
        .await?;
    Ok(Json(found))
}
