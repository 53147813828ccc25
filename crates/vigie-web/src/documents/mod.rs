//! A dossier's documents: the list, downloads and the upload form ([`page`]), uploads checked
//! and stored ([`upload`], shared with the API), removal by a responsable ([`removal`]).

pub mod page;
pub mod removal;
pub mod upload;

use axum::http::Method;
use vigie_domain::Permission::{DocumentRemove, DossierRead};

use crate::routes::{Access::Perm, Routes};

/// The routes of documents. Reading a dossier is the route's permission for the list, the
/// downloads and the uploads: which role may upload which category to which dossier is the
/// domain's rule (`documents::may_upload`: agents and the responsable any, an évaluateur the
/// evaluation report to a dossier assigned to their service), checked by the handlers; a
/// confidential document is filtered in SQL. Removal needs its own permission.
pub fn routes(r: Routes) -> Routes {
    r.add(
        Method::GET,
        "/dossiers/{id}/documents",
        Perm(DossierRead),
        page::documents_page,
    )
    .add_upload(
        Method::POST,
        "/dossiers/{id}/documents",
        Perm(DossierRead),
        upload::submit,
    )
    .add(
        Method::GET,
        "/documents/{id}",
        Perm(DossierRead),
        page::download,
    )
    .add(
        Method::GET,
        "/documents/{id}/suppression",
        Perm(DocumentRemove),
        removal::confirm,
    )
    .add(
        Method::POST,
        "/documents/{id}/suppression",
        Perm(DocumentRemove),
        removal::remove,
    )
    .add(
        Method::GET,
        "/api/v1/dossiers/{id}/documents",
        Perm(DossierRead),
        crate::api::documents::list,
    )
    .add_upload(
        Method::POST,
        "/api/v1/dossiers/{id}/documents",
        Perm(DossierRead),
        crate::api::documents::upload,
    )
    .add(
        Method::GET,
        "/api/v1/documents/{id}",
        Perm(DossierRead),
        crate::api::documents::download,
    )
    .add(
        Method::POST,
        "/api/v1/documents/{id}/suppression",
        Perm(DocumentRemove),
        crate::api::documents::remove,
    )
}
