//! The second factor (TOTP enrolment with a server-rendered QR code, login step, recovery
//! codes), re-authentication before sensitive operations, and « Mon compte »: change of
//! password, new recovery codes, log out everywhere.

use crate::extract::Form;
use crate::extract::Query;
use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use vigie_store::authn::{Attempt, FactorCheck, SecondFactor, Throttle};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::auth::{ClientIp, session_cookie};
use crate::error::WebError;
use crate::shared::{Chrome, render};

/// Redacts form secrets in debug output.
macro_rules! redacted_debug {
    ($t:ty) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), " { … }"))
            }
        }
    };
}

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

/// Where a session that passed only the password goes next.
pub fn next_step(user: &SessionUser) -> &'static str {
    if user.fully_authenticated() {
        if user.must_change_password {
            "/compte"
        } else {
            "/"
        }
    } else if user.totp_enabled {
        "/connexion/second-facteur"
    } else {
        "/compte/second-facteur"
    }
}

fn throttled(t: Throttle) -> Option<String> {
    match t {
        Throttle::Allowed => None,
        Throttle::AddressBlocked => Some(
            "Trop de tentatives depuis cette adresse : réessayez dans une heure ou contactez l'assistance."
                .into(),
        ),
        Throttle::Wait(d) => Some(format!(
            "Trop de tentatives : réessayez dans {}.",
            human_delay(d.num_seconds().max(1))
        )),
    }
}

/// « 45 secondes », « 4 minutes ».
pub fn human_delay(secs: i64) -> String {
    if secs < 90 {
        format!("{secs} seconde{}", if secs > 1 { "s" } else { "" })
    } else {
        let m = (secs + 59) / 60;
        format!("{m} minutes")
    }
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
struct RecoveryCodesPage {
    demo: bool,
    codes: Vec<String>,
    first_enrolment: bool,
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
enum OwnPassword {
    /// Right: the attempt's slot is given back; the keyed hash of the login, for what follows.
    Right {
        key: String,
    },
    /// Wrong (or `also_wrong`): the attempt stays counted and is audited.
    Wrong,
    Throttled(Throttle),
}

/// Checks the session user's own password as the login does (see `auth::login`): the
/// attempt is counted before the (slow) password check, so that simultaneous guesses
/// cannot all pass the throttle; a right password gives its slot back, a wrong one is
/// audited as `failure`. `also_wrong`: the attempt fails even with the right password (a
/// second factor missing).
async fn own_password(
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

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    demo: bool,
    chrome: Chrome,
    login: String,
    totp_enabled: bool,
    codes_left: i64,
    forced: bool,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Debug, Default)]
pub struct AccountQuery {
    #[serde(default)]
    codes: String,
    #[serde(default)]
    ok: String,
}

async fn account_page_with(
    state: &AppState,
    user: &SessionUser,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Response {
    let codes_left = match state.store.recovery_codes_left(user.user_id).await {
        Ok(n) => n,
        Err(e) => return WebError::from(e).into_response(),
    };
    render(
        status,
        &AccountPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, user),
            login: user.login.clone(),
            totp_enabled: user.totp_enabled,
            codes_left,
            forced: user.must_change_password,
            notice,
            error,
        },
    )
}

pub async fn account_page(
    State(state): State<AppState>,
    Extension(user): Extension<SessionUser>,
    Query(q): Query<AccountQuery>,
) -> Response {
    let notice = match (q.codes.as_str(), q.ok.as_str()) {
        ("peu", _) => {
            Some("Il vous reste peu de codes de secours : générez-en de nouveaux ci-dessous.")
        }
        (_, "mot-de-passe") => Some("Votre mot de passe a été changé."),
        _ => None,
    };
    account_page_with(&state, &user, StatusCode::OK, notice, None).await
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}
redacted_debug!(PasswordForm);

/// Change of one's own password: the current one, the new one twice; the policy applies;
/// every other session of the user is closed.
pub async fn password_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(user): Extension<SessionUser>,
    Form(form): Form<PasswordForm>,
) -> Response {
    let now = state.now();
    let refuse = |m: String| {
        account_page_with(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(m),
        )
    };
    // Guessing the current password from an open session is throttled like a login, the
    // attempt counted before the password check.
    match own_password(
        &state,
        now,
        &user,
        ip.clone(),
        &form.current,
        false,
        "mot_de_passe.echec",
    )
    .await
    {
        Ok(OwnPassword::Right { .. }) => {}
        Ok(OwnPassword::Wrong) => return refuse("Mot de passe actuel : incorrect.".into()).await,
        Ok(OwnPassword::Throttled(t)) => {
            return account_page_with(
                &state,
                &user,
                StatusCode::TOO_MANY_REQUESTS,
                None,
                throttled(t),
            )
            .await;
        }
        Err(e) => return e.into_response(),
    }
    if form.new != form.confirm {
        return refuse("Confirmation : les deux saisies du nouveau mot de passe diffèrent.".into())
            .await;
    }
    if form.new == form.current {
        return refuse("Nouveau mot de passe : il doit différer de l'actuel.".into()).await;
    }
    let ctx = match state
        .store
        .password_context(&user.login, &user.display_name, now)
        .await
    {
        Ok(c) => c,
        Err(e) => return WebError::from(e).into_response(),
    };
    if let Err(e) = vigie_domain::password::check("new", &form.new, &ctx) {
        let m = e
            .fields()
            .first()
            .map_or_else(|| e.to_string(), |f| format!("{} : {}", f.label, f.message));
        return refuse(m).await;
    }
    let hash = state.hashing.hash(form.new.clone()).await;
    match state.store.change_own_password(now, &user, &hash, ip).await {
        Ok(()) => Redirect::to("/compte?ok=mot-de-passe").into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// New recovery codes (after re-authentication); shown once.
pub async fn recovery_codes_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(user): Extension<SessionUser>,
) -> Response {
    if let Some(r) = crate::auth::require_reauth(&state, &user, "/compte") {
        return r;
    }
    if !user.totp_enabled {
        return Redirect::to("/compte").into_response();
    }
    match state
        .store
        .regenerate_recovery_codes(state.now(), user.user_id, ip)
        .await
    {
        Ok(codes) => render(
            StatusCode::OK,
            &RecoveryCodesPage {
                demo: state.config.demo,
                codes,
                first_enrolment: false,
            },
        ),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// « Se déconnecter partout » : every session of the user, this one included, is closed.
pub async fn logout_everywhere(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(user): Extension<SessionUser>,
) -> Response {
    match state
        .store
        .close_all_sessions(state.now(), user.user_id, Some(user.user_id), ip)
        .await
    {
        Ok(_) => crate::auth::logged_out(&state),
        Err(e) => WebError::from(e).into_response(),
    }
}
