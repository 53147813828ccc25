//! Accès exceptionnel (break-glass), on the web: a user whose role reaches dossiers by
//! territory gets, on the « page introuvable » of a dossier URL, the offer to ask for an
//! accès exceptionnel (`/dossiers/{id}/acces-exceptionnel`): a reason to type, then the
//! dossier for a limited time. The same page is shown whether or not the dossier exists:
//! nothing is revealed before a reason is typed. The responsable CRIP lists the grants on
//! `/acces-exceptionnels` (`audit::break_glass`).
//!
//! The caller's scope widened by their active grants is [`crate::shared::access`].

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use vigie_domain::DomainError;
use vigie_domain::role::DossierReach;
use vigie_store::StoreError;
use vigie_store::break_glass::{DEFAULT_HOURS, REASON_MAX, REASON_MIN};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Form;
use crate::shared::access::may_request_break_glass;
use crate::shared::{Chrome, actor, path_id, render};

#[derive(Template)]
#[template(path = "acces_exceptionnel.html")]
struct RequestPage {
    demo: bool,
    chrome: Chrome,
    /// The « page introuvable » of a dossier URL, with the offer; otherwise the form.
    not_found: bool,
    action: String,
    reason: String,
    error: String,
    hours: i64,
    min: usize,
    max: usize,
}

/// The request page; `typed`: the reason as typed and the French error, after a refusal.
/// A 404 status makes it the « page introuvable » with the offer.
fn request_page(
    state: &AppState,
    u: &SessionUser,
    id: i64,
    hours: i64,
    status: StatusCode,
    typed: Option<(String, String)>,
) -> Response {
    let (reason, error) = typed.unwrap_or_default();
    render(
        status,
        &RequestPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            not_found: status == StatusCode::NOT_FOUND,
            action: format!("/dossiers/{id}/acces-exceptionnel"),
            reason,
            error,
            hours,
            min: REASON_MIN,
            max: REASON_MAX,
        },
    )
}

/// The « page introuvable » of `/dossiers/{id}` for a user who may ask for an accès
/// exceptionnel: the same whether the dossier exists or not.
pub fn not_found(state: &AppState, u: &SessionUser, id: i64) -> Response {
    request_page(state, u, id, DEFAULT_HOURS, StatusCode::NOT_FOUND, None)
}

/// `GET /dossiers/{id}/acces-exceptionnel`: the explanation and the reason to type.
pub async fn form(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Response {
    let id = match path_id(&id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    if !may_request_break_glass(&u) {
        // A role that reaches every dossier needs no accès exceptionnel.
        return Redirect::to(&format!("/dossiers/{id}")).into_response();
    }
    let hours = match state.store.break_glass_hours().await {
        Ok(h) => h,
        Err(e) => return WebError::from(e).into_response(),
    };
    request_page(&state, &u, id, hours, StatusCode::OK, None)
}

#[derive(serde::Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    motif: String,
}

impl std::fmt::Debug for ReasonForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReasonForm").field("motif", &"…").finish()
    }
}

/// `POST /dossiers/{id}/acces-exceptionnel`: grants the access and opens the dossier.
pub async fn grant(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> Response {
    let id = match path_id(&id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    if !may_request_break_glass(&u) && u.role.reach() == DossierReach::All {
        return Redirect::to(&format!("/dossiers/{id}")).into_response();
    }
    match state
        .store
        .grant_break_glass(state.now(), &actor(&u, ip), id, &form.motif)
        .await
    {
        Ok(_) => Redirect::to(&format!("/dossiers/{id}")).into_response(),
        Err(StoreError::Invalid(DomainError::Invalid(fields))) => {
            let hours = state
                .store
                .break_glass_hours()
                .await
                .unwrap_or(DEFAULT_HOURS);
            let error = fields
                .iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            let reason: String = form.motif.chars().take(REASON_MAX + 100).collect();
            request_page(
                &state,
                &u,
                id,
                hours,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((reason, error)),
            )
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
