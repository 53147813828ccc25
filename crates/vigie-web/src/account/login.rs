//! Login and logout. A wrong login or password gets the same message and (through a dummy
//! hash) a similar response time whether or not the login exists; an account waiting for
//! a responsable's confirmation gets no session ([`refuse_login`]).

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use vigie_store::audit::Event;
use vigie_store::authn::Throttle;
use vigie_store::sessions::SessionUser;
use vigie_store::{Actor, StoreError};

use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Form;
use crate::http::session::{session_cookie, session_from_headers};
use crate::shared::render;

#[derive(Debug, Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub demo: bool,
    pub error: Option<String>,
    pub login: String,
}

pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Ok(Some(_)) = session_from_headers(&state, &headers).await {
        return Redirect::to("/").into_response();
    }
    render(
        StatusCode::OK,
        &LoginPage {
            demo: state.config.demo,
            error: None,
            login: String::new(),
        },
    )
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("login", &"…")
            .field("password", &"…")
            .finish()
    }
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let login = form.login.trim().to_lowercase();
    let page = |state: &AppState, status: StatusCode, error: String, login: String| {
        render(
            status,
            &LoginPage {
                demo: state.config.demo,
                error: Some(error),
                login,
            },
        )
    };
    let generic = "Identifiant ou mot de passe incorrect.".to_owned();
    if login.is_empty()
        || form.password.is_empty()
        || form.password.len() > 1024
        || login.len() > 200
    {
        return page(
            &state,
            StatusCode::UNAUTHORIZED,
            generic,
            form.login.chars().take(200).collect(),
        );
    }
    let now = state.now();
    // Throttling first, by a keyed hash of the typed login (whether it exists or not) and
    // by address: the counters live in the database, shared by every web node. The attempt
    // is counted now, before the (slow) password check, so that simultaneous guesses cannot
    // all pass the throttle; a right password gives its slot back.
    let key = match state.store.login_key(&login).await {
        Ok(k) => k,
        Err(e) => return WebError::from(e).into_response(),
    };
    let attempt = match state.store.reserve_attempt(now, &key, ip.as_deref()).await {
        Ok(Ok(attempt)) => attempt,
        Ok(Err(t)) => return refused(&state, now, t, &key, ip, form.login).await,
        Err(e) => return WebError::from(e).into_response(),
    };
    let found = match state.store.login_hash(&login).await {
        Ok(f) => f,
        // A login no account can have (a tab, a line break, too long): an unknown login,
        // the same answer and the same cost as any wrong guess.
        Err(StoreError::Invalid(_)) => None,
        Err(e) => return WebError::from(e).into_response(),
    };
    // Bounded: each Argon2id computation takes 19 MiB and a CPU (see `hashing`). An
    // unknown login is checked against a dummy hash: a similar response time.
    let (user_id, phc) = match &found {
        Some((id, h)) => (Some(*id), h.clone()),
        None => (None, vigie_store::password::dummy_hash().to_owned()),
    };
    let ok = state.hashing.verify(form.password.clone(), phc).await;
    match (ok, user_id) {
        (true, Some(id)) => {
            if let Err(e) = state.store.release_attempt(attempt).await {
                return WebError::from(e).into_response();
            }
            // The two-person rule: an account waiting for a responsable's confirmation
            // gets no session (see `vigie_store::pending`).
            match refuse_login(&state, now, id, ip.clone()).await {
                Ok(None) => {}
                Ok(Some(msg)) => {
                    return page(&state, StatusCode::FORBIDDEN, msg, form.login);
                }
                Err(e) => return e.into_response(),
            }
            // Rotation: a previous session on this browser is closed.
            if let Ok(Some(old)) = session_from_headers(&state, &headers).await {
                let _ = state.store.close_session(now, &old, ip.clone()).await;
            }
            // A demo account may skip the second factor; every other account passes it
            // (or enrols it) before anything else.
            let demo = match state.store.is_demo_user(id).await {
                Ok(d) => d,
                Err(e) => return WebError::from(e).into_response(),
            };
            match state
                .store
                .open_session_stage(now, id, ip, state.config.sessions, demo)
                .await
            {
                Ok(token) => {
                    if demo {
                        let _ = state.store.clear_failures(&key).await;
                    }
                    let mut resp = Redirect::to(if demo {
                        "/"
                    } else {
                        "/connexion/second-facteur"
                    })
                    .into_response();
                    resp.headers_mut()
                        .insert(header::SET_COOKIE, session_cookie(&state, &token, None));
                    resp
                }
                Err(e) => WebError::from(e).into_response(),
            }
        }
        _ => {
            if let Err(e) = state
                .store
                .reserved_attempt_failed(now, attempt, "connexion.echec", &key, user_id, ip)
                .await
            {
                return WebError::from(e).into_response();
            }
            page(&state, StatusCode::UNAUTHORIZED, generic, form.login)
        }
    }
}

/// A login attempt refused by the throttle (429 with `Retry-After`), audited.
async fn refused(
    state: &AppState,
    now: chrono::DateTime<chrono::Utc>,
    t: Throttle,
    key: &str,
    ip: Option<String>,
    typed_login: String,
) -> Response {
    let detail = if t == Throttle::AddressBlocked {
        "motif=adresse"
    } else {
        "motif=delai"
    };
    if let Err(e) = state
        .store
        .audit(
            now,
            &Actor { user_id: None, ip },
            Event::new("connexion.refusee").detail(format!("{detail} identifiant_hmac={key}")),
        )
        .await
    {
        return WebError::from(e).into_response();
    }
    let (msg, retry) = match t {
        Throttle::Wait(d) => (
            format!(
                "Trop de tentatives pour cet identifiant : réessayez dans {}.",
                super::human_delay(d.num_seconds().max(1))
            ),
            d.num_seconds().max(1),
        ),
        _ => (
            "Trop de tentatives de connexion depuis cette adresse : réessayez dans une heure ou contactez l'assistance.".to_owned(),
            3600,
        ),
    };
    let mut resp = render(
        StatusCode::TOO_MANY_REQUESTS,
        &LoginPage {
            demo: state.config.demo,
            error: Some(msg),
            login: typed_login,
        },
    );
    if let Ok(v) = HeaderValue::from_str(&retry.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

pub async fn logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(user): Extension<SessionUser>,
) -> Response {
    if let Err(e) = state
        .store
        .close_session(state.now(), &user, ip.clone())
        .await
    {
        return WebError::from(e).into_response();
    }
    logged_out(&state)
}

/// After a logout: to the login page, the cookie and the browser's copies of the pages
/// cleared.
pub(crate) fn logged_out(state: &AppState) -> Response {
    let mut resp = Redirect::to("/connexion").into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(state, "", Some(0)));
    resp.headers_mut().insert(
        axum::http::HeaderName::from_static("clear-site-data"),
        HeaderValue::from_static("\"cache\", \"cookies\", \"storage\""),
    );
    resp
}

/// The message of a login refused because the account waits for its confirmation.
pub const LOGIN_PENDING: &str = "Votre compte attend la confirmation d'un responsable CRIP.";

/// For the login: `Some(message)` when the account (whose password was right) waits for a
/// confirmation; the refusal is audited (`connexion.en_attente`) and no session is opened.
pub async fn refuse_login(
    state: &AppState,
    now: DateTime<Utc>,
    user_id: i64,
    ip: Option<String>,
) -> Result<Option<String>, WebError> {
    if !state.store.is_pending(user_id).await? {
        return Ok(None);
    }
    state
        .store
        .audit(
            now,
            &Actor::user(user_id, ip),
            Event::new("connexion.en_attente").on("app_user", user_id),
        )
        .await?;
    Ok(Some(LOGIN_PENDING.to_owned()))
}
