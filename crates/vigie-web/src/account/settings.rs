//! « Mon compte »: change of password, new recovery codes, log out everywhere.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use vigie_store::sessions::SessionUser;

use super::reauth::{OwnPassword, own_password};
use super::second_factor::RecoveryCodesPage;
use super::throttled;
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::{Form, Query};
use crate::shared::reauth::require_reauth;
use crate::shared::{Chrome, actor, render};

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
    /// Title, phone and e-mail printed as « Affaire suivie par » (as typed after a refusal).
    contact: vigie_domain::letters::merge::Agent,
    contact_error: Option<String>,
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
    contact_page(state, user, status, notice, error, None).await
}

async fn contact_page(
    state: &AppState,
    user: &SessionUser,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
    typed: Option<(vigie_domain::letters::merge::Agent, String)>,
) -> Response {
    let codes_left = match state.store.recovery_codes_left(user.user_id).await {
        Ok(n) => n,
        Err(e) => return WebError::from(e).into_response(),
    };
    let (contact, contact_error) = match typed {
        Some((c, e)) => (c, Some(e)),
        None => match state.store.user_contact(user.user_id).await {
            Ok(c) => (c, None),
            Err(e) => return WebError::from(e).into_response(),
        },
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
            contact,
            contact_error,
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
        (_, "coordonnees") => Some("Vos coordonnées ont été enregistrées."),
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
    if let Some(r) = require_reauth(&state, &user, "/compte") {
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
        Ok(_) => super::login::logged_out(&state),
        Err(e) => WebError::from(e).into_response(),
    }
}

#[derive(serde::Deserialize, Debug)]
pub struct ContactForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

/// `POST /compte/coordonnees`: one's title, phone and e-mail, printed on letters as
/// « Affaire suivie par ».
pub async fn contact_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(user): Extension<SessionUser>,
    Form(f): Form<ContactForm>,
) -> Response {
    let saved = state
        .store
        .set_user_contact(
            state.now(),
            &actor(&user, ip),
            user.user_id,
            &f.title,
            &f.phone,
            &f.email,
        )
        .await;
    match saved {
        Ok(()) => Redirect::to("/compte?ok=coordonnees").into_response(),
        Err(vigie_store::StoreError::Invalid(d)) => {
            let typed = vigie_domain::letters::merge::Agent {
                name: user.display_name.clone(),
                title: f.title,
                phone: f.phone,
                email: f.email,
            };
            contact_page(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                None,
                Some((typed, d.to_string())),
            )
            .await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
