//! The OpenAPI 3.1 document of the JSON API, generated from the code: each handler's
//! `#[utoipa::path]` and the `ToSchema` of the types it takes and returns (the model's
//! through the `openapi` feature of vigie-domain and vigie-store). Served at
//! `GET /api/v1/openapi.json`.
//!
//! Access: any logged-in user, not the public. The document holds no data, but it
//! describes in detail what the département records about children (every field of a
//! dossier); there is no reason to show that to whoever reaches the server, and every
//! client of the API has a session anyway.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The session cookie: the API is used with the session of a logged-in user.
#[derive(Debug)]
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::http::session::COOKIE,
                "Session ouverte par POST /connexion (formulaire identifiant et mot de passe).",
            ))),
        );
    }
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Vigie — API",
        description = "API JSON de Vigie (recueil et suivi des informations préoccupantes). \
Chaque requête porte la session d'un utilisateur connecté ; le rôle et le périmètre (territoire, \
service) s'appliquent comme dans les pages : un dossier hors du périmètre répond 404. Les erreurs \
sont des problèmes RFC 9457 (application/problem+json) en français : 422 nomme chaque champ refusé \
(`errors`), 409 chaque partie modifiée entre-temps (`conflicts`). Aucun nom ne passe dans une URL : \
recherches et suggestions sont des POST."
    ),
    paths(
        crate::api::dossiers::list,
        crate::api::dossiers::search,
        crate::api::dossiers::read,
        crate::api::dossiers::edition,
        crate::api::dossiers::create,
        crate::api::dossiers::update,
        crate::api::catalog::parametres,
        crate::api::persons::suggestions,
        crate::api::documents::list,
        crate::api::documents::create,
        crate::api::documents::download,
        crate::api::documents::upload,
        crate::api::documents::remove,
        crate::api::templates::list,
        crate::api::stats::dashboard,
        crate::api::stats::crosstab,
        openapi_json,
    ),
    modifiers(&SessionCookie),
    security(("session" = [])),
    tags(
        (name = "dossiers", description = "Dossiers : liste, recherche, lecture, création, modification"),
        (name = "personnes", description = "Enfants déjà connus"),
        (name = "documents", description = "Courriers produits depuis un dossier et documents du dossier"),
        (name = "statistiques", description = "Tableau de bord et tableau croisé : agrégats du périmètre, petits effectifs masqués pour le lecteur statistiques"),
        (name = "paramètres", description = "Tables de paramètres, territoires, services"),
        (name = "api", description = "Ce document"),
    )
)]
pub struct ApiDoc;

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|_| "{}".to_owned())
});

/// The document, as served.
pub fn document() -> &'static str {
    &DOCUMENT
}

/// This document (OpenAPI 3.1).
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "api",
    responses((status = 200, description = "Le document OpenAPI de l'API", content_type = "application/json"))
)]
pub async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}
