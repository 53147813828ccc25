//! Re-authentication before sensitive operations (password, and the second factor when
//! enrolled), and the check of one's own password under the login throttle, shared with
//! the change of password.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use vigie_store::authn::{Attempt, SecondFactor, Throttle};
use vigie_store::sessions::SessionUser;

use super::throttled;
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::{Form, Query};
use crate::shared::{Chrome, render};

#[derive(serde::Deserialize, Debug, Default)]
pub struct Back {
    #[serde(default)]
    retour: String,
}

/// A local path to come back to (never another site).
fn safe_back(p: &str) -> String {
    let ok = p.starts_with('/')
        && !p.starts_with("//")
        && !p.contains('\\')
        && p.len() <= 300
        && p.bytes().all(|b| (0x21..0x7f).contains(&b));
    if ok { p.to_owned() } else { "/".into() }
}

/// The session user's own password, checked under the login throttle.
pub(super) enum OwnPassword {
    /// Right: the attempt's slot is given back; the keyed hash of the login, for what follows.
    Right {
        key: String,
    },
    /// Wrong (or `also_wrong`): the attempt stays counted and is audited.
    Wrong,
    Throttled(Throttle),
}

/// Checks the session user's own password as the login does (see `login::login`): the
/// attempt is counted before the (slow) password check, so that simultaneous guesses
/// cannot all pass the throttle; a right password gives its slot back, a wrong one is
/// audited as `failure`. `also_wrong`: the attempt fails even with the right password (a
/// second factor missing).
pub(super) async fn own_password(
    state: &AppState,
    now: chrono::DateTime<chrono::Utc>,
    user: &SessionUser,
    ip: Option<String>,
    password: &str,
    also_wrong: bool,
    failure: &str,
) -> Result<OwnPassword, WebError> {
    let key = state.store.login_key(&user.login).await?;
    let attempt = match state
        .store
        .reserve_attempt(now, &key, ip.as_deref())
        .await?
    {
        Ok(attempt) => attempt,
        Err(t) => return Ok(OwnPassword::Throttled(t)),
    };
    let right = if password.is_empty() || password.len() > 1024 {
        false
    } else {
        match state.store.login_hash(&user.login).await? {
            Some((_, phc)) => state.hashing.verify(password.to_owned(), phc).await,
            None => false,
        }
    };
    if !right || also_wrong {
        state
            .store
            .reserved_attempt_failed(now, attempt, failure, &key, Some(user.user_id), ip)
            .await?;
        return Ok(OwnPassword::Wrong);
    }
    state.store.release_attempt(attempt).await?;
    Ok(OwnPassword::Right { key })
}

#[derive(Template)]
#[template(path = "reauth.html")]
struct ReauthPage {
    demo: bool,
    chrome: Chrome,
    back: String,
    needs_code: bool,
    error: Option<String>,
}

pub async fn reauth_page(
    State(state): State<AppState>,
    Extension(user): Extension<SessionUser>,
    Query(q): Query<Back>,
) -> Response {
    render(
        StatusCode::OK,
        &ReauthPage {
            demo: state.config.demo,
            chrome: Chrome::new(&state, &user),
            back: safe_back(&q.retour),
            needs_code: user.totp_enabled,
            error: None,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct ReauthForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    retour: String,
}
redacted_debug!(ReauthForm);

pub async fn reauth_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(user): Extension<SessionUser>,
    Form(form): Form<ReauthForm>,
) -> Response {
    let now = state.now();
    let back = safe_back(&form.retour);
    let fail = |status: StatusCode, m: String| {
        render(
            status,
            &ReauthPage {
                demo: state.config.demo,
                chrome: Chrome::new(&state, &user),
                back: back.clone(),
                needs_code: user.totp_enabled,
                error: Some(m),
            },
        )
    };
    let factor = SecondFactor::parse(&form.code);
    let wrong = if user.totp_enabled {
        "Mot de passe ou code incorrect."
    } else {
        "Mot de passe incorrect."
    };
    let missing_factor = user.totp_enabled && factor.is_none();
    let key = match own_password(
        &state,
        now,
        &user,
        ip.clone(),
        &form.password,
        missing_factor,
        "reauthentification.echec",
    )
    .await
    {
        Ok(OwnPassword::Right { key }) => key,
        Ok(OwnPassword::Wrong) => return fail(StatusCode::UNAUTHORIZED, wrong.into()),
        Ok(OwnPassword::Throttled(t)) => {
            return fail(
                StatusCode::TOO_MANY_REQUESTS,
                throttled(t).unwrap_or_default(),
            );
        }
        Err(e) => return e.into_response(),
    };
    // The factor is checked (and a failure recorded) under the throttle, in one transaction.
    let factor = if user.totp_enabled {
        factor.as_ref()
    } else {
        None
    };
    match state
        .store
        .reauthenticate(now, &user.session_id, user.user_id, &key, factor, ip)
        .await
    {
        Ok(Attempt::Passed(())) => {
            let _ = state.store.clear_failures(&key).await;
            Redirect::to(&back).into_response()
        }
        Ok(Attempt::Invalid) => fail(StatusCode::UNAUTHORIZED, wrong.into()),
        Ok(Attempt::Throttled(t)) => fail(
            StatusCode::TOO_MANY_REQUESTS,
            throttled(t).unwrap_or_default(),
        ),
        Err(e) => WebError::from(e).into_response(),
    }
}
