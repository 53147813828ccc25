//! `/api/v1/dossiers`: list, search, read, the body of an update, create, update.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use vigie_domain::dossier::{DirectConclusionCode, DossierEdit, DossierRecord, PartRef, Saved};
use vigie_domain::{DomainError, DossierInput, FieldError};
use vigie_store::sessions::SessionUser;

use super::ApiJson;
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::{ApiError, Problem, WebError};
use crate::http::extract::ApiQuery as Query;
use crate::shared::access::dossier_scope;
use crate::shared::list::{ListQuery, filter_of, list_recorded};
use crate::shared::{actor, path_id};

/// A page of the dossier list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ListResponse {
    pub dossiers: Vec<vigie_domain::DossierSummary>,
    /// Pass as `apres` to get the next page.
    pub next: Option<String>,
}

/// The dossiers within the caller's scope, newest first, 50 a page.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers",
    tag = "dossiers",
    params(
        ("territoire" = Option<i64>, Query, description = "Id du territoire"),
        ("statut" = Option<String>, Query, description = "Code du statut : recue, qualifiee, en_evaluation, conclue, cloturee"),
        ("type" = Option<i64>, Query, description = "Id du type de dossier"),
        ("du" = Option<String>, Query, description = "Reçu à partir du (AAAA-MM-JJ ou JJ/MM/AAAA)"),
        ("au" = Option<String>, Query, description = "Reçu jusqu'au, inclus"),
        ("mois" = Option<String>, Query, description = "Mois de réception (AAAA-MM), dans le fuseau configuré ; ne se combine pas avec `du` ni `au`"),
        ("categorie" = Option<String>, Query, description = "Id de la catégorie du signalant, ou `aucune` : catégorie non renseignée"),
        ("support" = Option<i64>, Query, description = "Id du support de réception"),
        ("motif" = Option<i64>, Query, description = "Id d'un motif : un enfant du dossier a ce motif"),
        ("conclusion" = Option<i64>, Query, description = "Id d'une conclusion : un enfant du dossier a cette conclusion"),
        ("service" = Option<i64>, Query, description = "Id d'un service : le dossier lui a été confié (affectation non annulée)"),
        ("en_retard" = Option<String>, Query, description = "`1` : une évaluation en retard aujourd'hui (affectation ni annulée ni rendue, échéance dépassée)"),
        ("apres" = Option<String>, Query, description = "Curseur `next` de la page précédente"),
    ),
    responses(
        (status = 200, body = ListResponse),
        (status = 422, description = "Filtre invalide", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<ListQuery>,
) -> Result<Json<ListResponse>, ApiError> {
    let (filter, cursor, errors) = filter_of(&state, &q);
    if let Some(e) = errors.first() {
        return Err(ApiError(WebError::Invalid(DomainError::Rule(e.clone()))));
    }
    let page = list_recorded(&state, &u, ip, &filter, cursor).await?;
    Ok(Json(ListResponse {
        dossiers: page.rows,
        next: page
            .next
            .map(|c| format!("{}_{}", c.received_at.timestamp(), c.id)),
    }))
}

/// A search: dossier number, 119/SNATED number or child name.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct SearchBody {
    /// 200 characters at most are used.
    pub q: String,
    /// The page of results (from 1; 50 dossiers per page).
    #[serde(default)]
    pub page: Option<usize>,
}

/// Search within the caller's scope by dossier number, 119 number or the name of a child
/// or a parent; best matches first, each with why it was found. POST: names never go into a URL.
#[utoipa::path(
    post,
    path = "/api/v1/dossiers/recherche",
    tag = "dossiers",
    request_body = SearchBody,
    responses((status = 200, body = vigie_domain::search::SearchResults))
)]
pub async fn search(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    ApiJson(body): ApiJson<SearchBody>,
) -> Result<Json<vigie_domain::search::SearchResults>, ApiError> {
    let text: String = body.q.chars().take(200).collect();
    let page = body.page.unwrap_or(1);
    Ok(Json(
        state
            .store
            .search_dossiers(state.now(), &actor(&u, ip), &u.scope(), &text, page)
            .await?,
    ))
}

/// A whole dossier (the consultation is recorded). The identity of a confidential source
/// only for the roles that may see it.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{id}",
    tag = "dossiers",
    params(("id" = i64, Path, description = "Id du dossier")),
    responses(
        (status = 200, body = DossierRecord),
        (status = 404, description = "Inexistant ou hors de votre périmètre", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Result<Json<DossierRecord>, ApiError> {
    let id = path_id(&id)?;
    let scope = dossier_scope(&state, &u).await?;
    let mut rec = state
        .store
        .read_dossier(state.now(), &actor(&u, ip), &scope, id)
        .await?;
    rec.source = rec.source.visible_to(u.role);
    Ok(Json(rec))
}

impl DossierUpdate {
    /// The stored dossier as an update that changes nothing yet: what a client modifies
    /// and sends back with `PUT` (adults referenced by index, every part with its version).
    fn of(rec: &DossierRecord) -> Self {
        let e = DossierEdit::from_record(rec);
        let pv = |r: Option<PartRef>| {
            r.map(|r| PartVersion {
                id: r.id,
                version: r.version,
            })
        };
        Self {
            version: rec.version,
            input: e.input,
            adult_ids: e.adult_ids,
            children: e.children.into_iter().map(pv).collect(),
            assignments: e.assignments.into_iter().map(pv).collect(),
            removed_children: vec![],
            removed_assignments: vec![],
            direct: e.direct,
            status_reason: None,
            confirmed_adult_children: vec![],
        }
    }
}

/// The dossier ready to be modified: the body of a `PUT` that changes nothing yet (the
/// consultation is recorded). Only for the roles that may see a confidential source's
/// identity, so that a `PUT` never sends back a masked source.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{id}/edition",
    tag = "dossiers",
    params(("id" = i64, Path, description = "Id du dossier")),
    responses(
        (status = 200, body = DossierUpdate),
        (status = 403, description = "Rôle sans accès à l'identité du signalant", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Inexistant ou hors de votre périmètre", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn edition(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Result<Json<DossierUpdate>, ApiError> {
    let id = path_id(&id)?;
    if !u.role.has(vigie_domain::Permission::SourceIdentityRead) {
        return Err(ApiError(WebError::Forbidden));
    }
    let rec = state
        .store
        .read_dossier(state.now(), &actor(&u, ip), &u.scope(), id)
        .await?;
    Ok(Json(DossierUpdate::of(&rec)))
}

/// A new dossier.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct DossierCreate {
    /// The whole dossier. In `children[].adults[].adult` and `children[].authors[].adult`,
    /// adults are referenced by their **index** in `adults`. A child already known (see
    /// `/api/v1/personnes/suggestions`) is linked by `children[].person_id`.
    pub input: DossierInput,
    /// Why the dossier is concluded without evaluation, when it is created concluded.
    #[serde(default)]
    pub direct: Option<DirectConclusionCode>,
    /// Indexes of the children aged 18 or more at reception that are confirmed (jeunes majeurs).
    #[serde(default)]
    pub confirmed_adult_children: Vec<usize>,
}

/// A stored part of a dossier and the version the client read.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PartVersion {
    /// Child row id (`children[].id` of the dossier read) or assignment id.
    pub id: i64,
    pub version: i64,
}

impl PartVersion {
    /// The API sends whole dossiers: every part is checked (an unchanged part is a no-op).
    fn part(self) -> PartRef {
        PartRef {
            id: self.id,
            version: self.version,
            touched: true,
        }
    }
}

/// A whole dossier to save over the stored one, with the versions read.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DossierUpdate {
    /// The dossier's `version` as read (its header part: header, source, parents, follow-ups).
    pub version: i64,
    /// The whole dossier; adults referenced by their **index** in `adults`.
    pub input: DossierInput,
    /// Stored id of each adult of `input.adults` (`null` for a new one); same length.
    pub adult_ids: Vec<Option<i64>>,
    /// The stored child of each `input.children` (`null` for a new child); same length.
    pub children: Vec<Option<PartVersion>>,
    /// The stored assignment of each `input.assignments` (`null` for a new one); same length.
    pub assignments: Vec<Option<PartVersion>>,
    /// Children removed, with the version read.
    #[serde(default)]
    pub removed_children: Vec<PartVersion>,
    /// Assignments removed, with the version read.
    #[serde(default)]
    pub removed_assignments: Vec<PartVersion>,
    #[serde(default)]
    pub direct: Option<DirectConclusionCode>,
    /// Why a concluded or closed dossier is reopened.
    #[serde(default)]
    pub status_reason: Option<String>,
    #[serde(default)]
    pub confirmed_adult_children: Vec<usize>,
}

/// The lists that must match `input`, one element per adult, child, assignment.
fn check_lengths(u: &DossierUpdate) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (field, got, expected, what) in [
        (
            "adult_ids",
            u.adult_ids.len(),
            u.input.adults.len(),
            "input.adults",
        ),
        (
            "children",
            u.children.len(),
            u.input.children.len(),
            "input.children",
        ),
        (
            "assignments",
            u.assignments.len(),
            u.input.assignments.len(),
            "input.assignments",
        ),
    ] {
        if got != expected {
            errors.push(FieldError::new(
                field,
                field,
                format!("{expected} éléments attendus, autant que {what} ({got} reçus)."),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError(WebError::Invalid(DomainError::Invalid(errors))))
    }
}

/// Creates a dossier (one transaction, audited). `Location` gives its address.
#[utoipa::path(
    post,
    path = "/api/v1/dossiers",
    tag = "dossiers",
    request_body = DossierCreate,
    responses(
        (status = 201, body = Saved, headers(("Location" = String, description = "/api/v1/dossiers/{id}"))),
        (status = 422, description = "Saisie refusée : chaque champ refusé dans `errors`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    ApiJson(body): ApiJson<DossierCreate>,
) -> Result<Response, ApiError> {
    let mut edit = DossierEdit::create(body.input);
    edit.direct = body.direct;
    edit.confirmed_adult_children = body.confirmed_adult_children;
    let saved = state
        .store
        .save_dossier(state.now(), &actor(&u, ip), &u.scope(), &edit)
        .await?;
    let location = format!("/api/v1/dossiers/{}", saved.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(saved),
    )
        .into_response())
}

/// Saves a whole dossier over the stored one. Each part (header, each child, each
/// assignment) is checked against the version read: a part someone else saved since is
/// refused with what they changed (409), and nothing is written.
#[utoipa::path(
    put,
    path = "/api/v1/dossiers/{id}",
    tag = "dossiers",
    params(("id" = i64, Path, description = "Id du dossier")),
    request_body = DossierUpdate,
    responses(
        (status = 200, body = Saved),
        (status = 404, description = "Inexistant ou hors de votre périmètre", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Modifié entre-temps : chaque partie dans `conflicts`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Saisie refusée : chaque champ refusé dans `errors`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DossierUpdate>,
) -> Result<Json<Saved>, ApiError> {
    let id = path_id(&id)?;
    check_lengths(&body)?;
    let edit = DossierEdit {
        dossier: Some(PartRef {
            id,
            version: body.version,
            touched: true,
        }),
        input: body.input,
        adult_ids: body.adult_ids,
        children: body
            .children
            .into_iter()
            .map(|c| c.map(PartVersion::part))
            .collect(),
        assignments: body
            .assignments
            .into_iter()
            .map(|a| a.map(PartVersion::part))
            .collect(),
        removed_children: body
            .removed_children
            .into_iter()
            .map(PartVersion::part)
            .collect(),
        removed_assignments: body
            .removed_assignments
            .into_iter()
            .map(PartVersion::part)
            .collect(),
        direct: body.direct,
        status_reason: body.status_reason,
        confirmed_adult_children: body.confirmed_adult_children,
    };
    let saved = state
        .store
        .save_dossier(state.now(), &actor(&u, ip), &u.scope(), &edit)
        .await?;
    Ok(Json(saved))
}
