//! The caller's dossier scope: their role's, widened by their active accès exceptionnels
//! (break-glass). The dossier-reading handlers (pages and API) use [`dossier_scope`]
//! instead of `SessionUser::scope`.

use vigie_domain::role::DossierReach;
use vigie_domain::{Permission, Scope};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::error::WebError;

/// Whether the user may ask for an accès exceptionnel: a dossier role restricted to
/// territories (a role reaching every dossier needs none; a role without dossier access
/// never gets one).
pub fn may_request_break_glass(u: &SessionUser) -> bool {
    u.role.has(Permission::DossierRead) && u.role.reach() == DossierReach::Territorial
}

/// The caller's scope, widened by their active accès exceptionnels (one query, only for
/// the territorial roles).
pub async fn dossier_scope(state: &AppState, u: &SessionUser) -> Result<Scope, WebError> {
    let base = u.scope();
    if !may_request_break_glass(u) {
        return Ok(base);
    }
    let grants = state
        .store
        .active_break_glass(u.user_id, state.now())
        .await?;
    Ok(base.with_grants(u.role, &grants))
}
