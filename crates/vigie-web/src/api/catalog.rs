//! `/api/v1/parametres`: every parameter list, the territories and the services.

use axum::Json;
use axum::extract::State;

use crate::AppState;
use crate::http::error::ApiError;

/// A value of a parameter table (every drop-down list).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ParamItem {
    pub id: i64,
    /// Code of the table, e.g. `motif`.
    pub kind: String,
    /// French name of the table, e.g. « Motifs ».
    pub kind_label: String,
    pub code: String,
    pub label: String,
    /// An inactive value stays on the dossiers that have it, and is no longer offered.
    pub active: bool,
    /// Display order within the table.
    pub order: i64,
}

/// A territory.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TerritoryItem {
    pub id: i64,
    pub code: String,
    pub label: String,
    pub active: bool,
}

/// A service (of a territory).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ServiceItem {
    pub id: i64,
    pub territory_id: i64,
    pub code: String,
    pub label: String,
    pub active: bool,
}

/// Every parameter table, territory and service.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Parametres {
    pub params: Vec<ParamItem>,
    pub territories: Vec<TerritoryItem>,
    pub services: Vec<ServiceItem>,
}

/// Every parameter list (active or not), the territories and the services: the ids a
/// dossier refers to. No personal data.
#[utoipa::path(
    get,
    path = "/api/v1/parametres",
    tag = "paramètres",
    responses((status = 200, body = Parametres))
)]
pub async fn parametres(State(state): State<AppState>) -> Result<Json<Parametres>, ApiError> {
    let cat = state.store.catalog().await?;
    Ok(Json(Parametres {
        params: cat
            .params
            .iter()
            .map(|p| ParamItem {
                id: p.id,
                kind: p.kind.code().into(),
                kind_label: p.kind.label().into(),
                code: p.code.clone(),
                label: p.label.clone(),
                active: p.active,
                order: p.sort_order,
            })
            .collect(),
        territories: cat
            .territories
            .iter()
            .map(|t| TerritoryItem {
                id: t.id,
                code: t.code.clone(),
                label: t.label.clone(),
                active: t.active,
            })
            .collect(),
        services: cat
            .services
            .iter()
            .map(|s| ServiceItem {
                id: s.id,
                territory_id: s.territory_id,
                code: s.code.clone(),
                label: s.label.clone(),
                active: s.active,
            })
            .collect(),
    }))
}
