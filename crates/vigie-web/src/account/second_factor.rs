//! The second factor: TOTP enrolment with a server-rendered QR code, the login step, and
//! the recovery codes shown once.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use vigie_store::authn::{Attempt, FactorCheck, SecondFactor};
use vigie_store::sessions::SessionUser;

use super::{next_step, throttled};
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Form;
use crate::http::session::session_cookie;
use crate::shared::render;

#[derive(serde::Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}
redacted_debug!(CodeForm);

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage {
    demo: bool,
    error: Option<String>,
}

pub async fn second_factor_page(
    State(state): State<AppState>,
    Extension(user): Extension<SessionUser>,
) -> Response {
    if user.fully_authenticated() || !user.totp_enabled {
        return Redirect::to(next_step(&user)).into_response();
    }
    render(
        StatusCode::OK,
        &SecondFactorPage {
            demo: state.config.demo,
            error: None,
        },
    )
}

pub async fn second_factor_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(user): Extension<SessionUser>,
    Form(form): Form<CodeForm>,
) -> Response {
    if user.fully_authenticated() || !user.totp_enabled {
        return Redirect::to(next_step(&user)).into_response();
    }
    let now = state.now();
    let fail = |status: StatusCode, m: String| {
        render(
            status,
            &SecondFactorPage {
                demo: state.config.demo,
                error: Some(m),
            },
        )
    };
    let key = match state.store.login_key(&user.login).await {
        Ok(k) => k,
        Err(e) => return WebError::from(e).into_response(),
    };
    match state.store.throttle(now, &key, ip.as_deref()).await {
        Ok(t) => {
            if let Some(m) = throttled(t) {
                return fail(StatusCode::TOO_MANY_REQUESTS, m);
            }
        }
        Err(e) => return WebError::from(e).into_response(),
    }
    let Some(factor) = SecondFactor::parse(&form.code) else {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Code : saisissez le code à 6 chiffres affiché par votre application, ou un code de secours.".into(),
        );
    };
    // The throttle is read again, and a failure recorded, inside the check's transaction.
    match state
        .store
        .complete_second_factor(
            now,
            &user.session_id,
            user.user_id,
            &key,
            &factor,
            ip.clone(),
            state.config.sessions,
        )
        .await
    {
        Ok(Attempt::Passed((token, check))) => {
            let _ = state.store.clear_failures(&key).await;
            let target = if user.must_change_password {
                "/compte"
            } else if matches!(check, FactorCheck::Valid { recovery_codes_left: Some(n) } if n <= 3)
            {
                "/compte?codes=peu"
            } else {
                "/"
            };
            let mut resp = Redirect::to(target).into_response();
            resp.headers_mut()
                .insert(header::SET_COOKIE, session_cookie(&state, &token, None));
            resp
        }
        Ok(Attempt::Invalid) => fail(
            StatusCode::UNAUTHORIZED,
            "Code incorrect ou déjà utilisé : saisissez le code à 6 chiffres affiché maintenant par votre application, ou un code de secours.".into(),
        ),
        Ok(Attempt::Throttled(t)) => fail(
            StatusCode::TOO_MANY_REQUESTS,
            throttled(t).unwrap_or_default(),
        ),
        Err(e) => WebError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "totp_enrol.html")]
struct EnrolPage {
    demo: bool,
    secret_groups: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub(super) struct RecoveryCodesPage {
    pub(super) demo: bool,
    pub(super) codes: Vec<String>,
    pub(super) first_enrolment: bool,
}

fn groups(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Enrolment of the TOTP second factor (first login, or after an administrator reset it).
pub async fn enrol_page(
    State(state): State<AppState>,
    Extension(user): Extension<SessionUser>,
) -> Response {
    if user.totp_enabled {
        return Redirect::to(next_step(&user)).into_response();
    }
    match state
        .store
        .totp_enrolment(&user.session_id, &user.login)
        .await
    {
        Ok(e) => render(
            StatusCode::OK,
            &EnrolPage {
                demo: state.config.demo,
                secret_groups: groups(&e.secret_base32),
                error: None,
            },
        ),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// The QR code of the pending enrolment, as SVG (the secret never appears in a URL).
pub async fn enrol_qr(
    State(state): State<AppState>,
    Extension(user): Extension<SessionUser>,
) -> Response {
    if user.totp_enabled {
        return WebError::NotFound.into_response();
    }
    let e = match state
        .store
        .totp_enrolment(&user.session_id, &user.login)
        .await
    {
        Ok(e) => e,
        Err(e) => return WebError::from(e).into_response(),
    };
    let Ok(code) = qrcode::QrCode::new(e.url.as_bytes()) else {
        return WebError::Internal("qr".into()).into_response();
    };
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        svg,
    )
        .into_response()
}

pub async fn enrol_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(user): Extension<SessionUser>,
    Form(form): Form<CodeForm>,
) -> Response {
    if user.totp_enabled {
        return Redirect::to(next_step(&user)).into_response();
    }
    let now = state.now();
    let code: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    let confirmed = if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        state
            .store
            .confirm_totp(
                now,
                &user.session_id,
                &code,
                ip.clone(),
                state.config.sessions,
            )
            .await
    } else {
        Ok(None)
    };
    match confirmed {
        Ok(Some((token, codes))) => {
            let mut resp = render(
                StatusCode::OK,
                &RecoveryCodesPage {
                    demo: state.config.demo,
                    codes,
                    first_enrolment: true,
                },
            );
            resp.headers_mut()
                .insert(header::SET_COOKIE, session_cookie(&state, &token, None));
            resp
        }
        Ok(None) => {
            let key = state.store.login_key(&user.login).await;
            if let Ok(key) = key
                && let Err(e) = state
                    .store
                    .record_failed_attempt(
                        now,
                        "second_facteur.activation_echec",
                        &key,
                        Some(user.user_id),
                        ip,
                    )
                    .await
            {
                return WebError::from(e).into_response();
            }
            match state
                .store
                .totp_enrolment(&user.session_id, &user.login)
                .await
            {
                Ok(e) => render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &EnrolPage {
                        demo: state.config.demo,
                        secret_groups: groups(&e.secret_base32),
                        error: Some("Code incorrect : saisissez les 6 chiffres affichés maintenant par l'application (vérifiez l'heure du téléphone).".into()),
                    },
                ),
                Err(e) => WebError::from(e).into_response(),
            }
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
