//! The re-authentication a sensitive operation asks for (exports, user administration,
//! audit export): a redirection to `/reauthentification`, which comes back.

use axum::response::{IntoResponse, Redirect, Response};
use vigie_store::sessions::SessionUser;

use crate::AppState;

/// How long a re-authentication (password + second factor) covers sensitive operations.
pub const REAUTH_WINDOW_MINUTES: i64 = 10;

/// Before a sensitive operation (exports, user administration, audit export): `None` when the
/// user re-authenticated within the last [`REAUTH_WINDOW_MINUTES`], otherwise the redirection
/// to the re-authentication page, which comes back to `back` (a local path, no personal data).
pub fn require_reauth(state: &AppState, user: &SessionUser, back: &str) -> Option<Response> {
    if user.reauthenticated_since(
        state.now(),
        chrono::Duration::minutes(REAUTH_WINDOW_MINUTES),
    ) {
        return None;
    }
    let back = if back.starts_with('/') && !back.starts_with("//") {
        back
    } else {
        "/"
    };
    let q = crate::shared::url::local_path(back);
    Some(Redirect::to(&format!("/reauthentification?retour={q}")).into_response())
}
