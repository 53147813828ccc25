//! What a handler reads from the request besides its form: who is acting, and the id in
//! the path.

use vigie_store::Actor;
use vigie_store::sessions::SessionUser;

use crate::http::error::WebError;

/// The session's user, acting from the client's address (for the audit trail).
pub fn actor(u: &SessionUser, ip: Option<String>) -> Actor {
    Actor::user(u.user_id, ip)
}

/// An id in the path (`/dossiers/{id}`); anything else is "not found". The API maps the
/// error to a problem through `?` ([`crate::http::error::ApiError`]).
pub fn path_id(s: &str) -> Result<i64, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}
