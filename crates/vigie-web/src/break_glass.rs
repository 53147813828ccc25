//! Accès exceptionnel (break-glass), on the web: a user whose role reaches dossiers by
//! territory gets, on the « page introuvable » of a dossier URL, the offer to ask for an
//! accès exceptionnel (`/dossiers/{id}/acces-exceptionnel`): a reason to type, then the
//! dossier for a limited time. The same page is shown whether or not the dossier exists:
//! nothing is revealed before a reason is typed. The responsable CRIP lists the grants on
//! `/acces-exceptionnels`.
//!
//! The caller's scope widened by their active grants is [`crate::shared::access`].

use crate::extract::Form;
use crate::extract::Query;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate};
use vigie_domain::DomainError;
use vigie_domain::role::DossierReach;
use vigie_store::StoreError;
use vigie_store::break_glass::{DEFAULT_HOURS, REASON_MAX, REASON_MIN};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::auth::ClientIp;
use crate::error::WebError;
use crate::shared::access::may_request_break_glass;
use crate::shared::dates::{datetime, parse_date, start_of};
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

// ---------------------------------------------------------------------------------------
// The list, for the responsable CRIP
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
pub struct GrantRow {
    pub granted: String,
    pub expires: String,
    pub active: bool,
    pub user: String,
    pub dossier_href: String,
    pub dossier_number: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "acces_exceptionnels.html")]
struct ListPage {
    demo: bool,
    chrome: Chrome,
    du: String,
    au: String,
    error: String,
    rows: Vec<GrantRow>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    du: String,
    #[serde(default)]
    au: String,
}

/// `GET /acces-exceptionnels`: the grants of a period (the last 30 days by default).
pub async fn list(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let tz = state.config.timezone;
    let now = state.now();
    let today = now.with_timezone(&tz).date_naive();
    let mut error = String::new();
    let mut date = |s: &str, default: NaiveDate, what: &str| {
        if s.trim().is_empty() {
            return default;
        }
        parse_date(s).unwrap_or_else(|| {
            error = format!("{what} : date attendue au format JJ/MM/AAAA.");
            default
        })
    };
    let from = date(&q.du, today - Duration::days(30), "Du");
    let to = date(&q.au, today, "Au");
    let (Some(start), Some(end)) = (start_of(from, tz), start_of(to + Duration::days(1), tz))
    else {
        return WebError::NotFound.into_response();
    };
    let grants = match state.store.list_break_glass(start, end).await {
        Ok(g) => g,
        Err(e) => return WebError::from(e).into_response(),
    };
    let rows = grants
        .into_iter()
        .map(|g| GrantRow {
            granted: datetime(g.granted_at, tz),
            expires: datetime(g.expires_at, tz),
            active: g.expires_at > now,
            user: format!("{} ({})", g.user_name, g.user_login),
            dossier_href: format!("/dossiers/{}", g.dossier_id),
            dossier_number: g.dossier_number,
            reason: g.reason,
        })
        .collect();
    render(
        StatusCode::OK,
        &ListPage {
            demo: state.config.demo,
            chrome: Chrome::new(&state, &u),
            du: from.format("%Y-%m-%d").to_string(),
            au: to.format("%Y-%m-%d").to_string(),
            error,
            rows,
        },
    )
}
