//! The session behind a request: the `vigie_session` cookie (a random token, `HttpOnly`,
//! `SameSite=Strict`, `Secure` behind TLS) and the session row it names (see
//! `vigie_store::sessions`).

use axum::http::{HeaderMap, HeaderValue, header};
use vigie_store::StoreError;
use vigie_store::sessions::SessionUser;

use crate::AppState;

pub const COOKIE: &str = "vigie_session";

/// The session token from the `Cookie` header.
fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// Whether the request carries a session cookie (valid or not).
pub fn has_session_cookie(headers: &HeaderMap) -> bool {
    token(headers).is_some()
}

/// The user behind the request's session, if any.
pub async fn session_from_headers(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<SessionUser>, StoreError> {
    match token(headers) {
        Some(t) => {
            state
                .store
                .session_user(state.now(), &t, state.config.sessions)
                .await
        }
        None => Ok(None),
    }
}

/// Ends the stale session (expired or idle) the request's cookie names and returns its
/// user; a closed or forged cookie names nobody.
pub async fn end_stale_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<i64>, StoreError> {
    match token(headers) {
        Some(t) => state.store.end_stale_session(&t).await,
        None => Ok(None),
    }
}

pub fn session_cookie(state: &AppState, value: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if state.config.behind_tls {
        "; Secure"
    } else {
        ""
    };
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    #[allow(clippy::expect_used)]
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{age}"
    ))
    .expect("ASCII cookie")
}
