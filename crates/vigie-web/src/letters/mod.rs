//! Letters of a dossier: the « Courriers » page ([`page`]) and the generation shared with the
//! API ([`generate`]); the letters are stored with the dossier's documents
//! ([`crate::documents`]).

pub mod generate;
pub mod page;
pub mod source;

use axum::http::Method;
use vigie_domain::Permission::DossierRead;

use crate::routes::{Access::Perm, Routes};

/// The routes of letters. Reading a dossier is the route's permission; which
/// letter a role may generate is the domain's rule (`LetterDef::may_generate`: agents and
/// the responsable every letter, an évaluateur the invitation and the reminder), checked by
/// the handlers; a confidential document is filtered in SQL.
pub fn routes(r: Routes) -> Routes {
    r.add(
        Method::GET,
        "/dossiers/{id}/courriers",
        Perm(DossierRead),
        page::letters_page,
    )
    .add(
        Method::POST,
        "/dossiers/{id}/courriers",
        Perm(DossierRead),
        page::create,
    )
    .add(
        Method::POST,
        "/dossiers/{id}/courriers/apercu",
        Perm(DossierRead),
        page::preview,
    )
    .add(
        Method::POST,
        "/api/v1/dossiers/{id}/courriers",
        Perm(DossierRead),
        crate::api::documents::create,
    )
}
