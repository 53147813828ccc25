//! The two-person rule on the web (`/comptes-en-attente`): the accounts that read
//! dossiers, created or widened by an administrator, wait for a responsable CRIP's
//! confirmation before they can log in (see `vigie_store::pending`).
//!
//! The page lists each pending account with who asked, when and what changed, and a
//! « Confirmer » button per account (a plain POST form: no JavaScript needed). Like the
//! user administration, the page and the confirmation ask for a recent re-authentication.
//! The store refuses a confirmation by the person who asked (a French message, audited).

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use vigie_domain::{DomainError, two_person};
use vigie_store::StoreError;
use vigie_store::sessions::SessionUser;

use super::reach_text;
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Query;
use crate::shared::dates::datetime;
use crate::shared::reauth::require_reauth;
use crate::shared::{Chrome, actor, path_id, render};

const PAGE: &str = "/comptes-en-attente";

#[derive(Debug)]
pub struct PendingRow {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: &'static str,
    pub reach: String,
    pub asked_by: String,
    pub since: String,
    pub change: String,
}

#[derive(Template)]
#[template(path = "comptes_en_attente.html")]
struct ListPage {
    demo: bool,
    chrome: Chrome,
    rows: Vec<PendingRow>,
    notice: String,
    error: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    confirme: String,
}

async fn page(
    state: &AppState,
    u: &SessionUser,
    status: StatusCode,
    notice: String,
    error: String,
) -> Response {
    let (accounts, cat) =
        match tokio::try_join!(state.store.pending_accounts(), state.store.catalog()) {
            Ok(x) => x,
            Err(e) => return WebError::from(e).into_response(),
        };
    let tz = state.config.timezone;
    let rows = accounts
        .into_iter()
        .map(|a| PendingRow {
            id: a.id,
            login: a.login,
            name: a.display_name,
            role: a.role.label(),
            reach: reach_text(&a.territories, a.service_id, &cat),
            asked_by: a.by_name.map_or_else(
                || "système (ligne de commande)".to_owned(),
                |(n, l)| format!("{n} ({l})"),
            ),
            since: datetime(a.since, tz),
            change: a
                .change
                .iter()
                .map(|f| two_person::field_label(f))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    render(
        status,
        &ListPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            rows,
            notice,
            error,
        },
    )
}

/// `GET /comptes-en-attente`
pub async fn list(
    State(state): State<AppState>,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<DoneQuery>,
) -> Response {
    if let Some(r) = require_reauth(&state, &u, PAGE) {
        return r;
    }
    // The account confirmed, by its id: no login (often a name) in a URL.
    let notice = match q.confirme.parse::<i64>() {
        Ok(id) => match state.store.user_detail(state.now(), id).await {
            Ok(d) => format!(
                "Compte {} confirmé : il peut désormais se connecter.",
                d.user.login
            ),
            Err(_) => String::new(),
        },
        Err(_) => String::new(),
    };
    page(&state, &u, StatusCode::OK, notice, String::new()).await
}

/// `POST /comptes-en-attente/{id}/confirmer`
pub async fn confirm(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Path(id): Path<String>,
) -> Response {
    let id = match path_id(&id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    if let Some(r) = require_reauth(&state, &u, PAGE) {
        return r;
    }
    let login = match state.store.user_detail(state.now(), id).await {
        Ok(d) => d.user.login,
        Err(e) => return WebError::from(e).into_response(),
    };
    match state
        .store
        .confirm_account(state.now(), &actor(&u, ip), id)
        .await
    {
        Ok(true) => Redirect::to(&format!("{PAGE}?confirme={id}")).into_response(),
        Ok(false) => {
            let notice = format!("Le compte {login} était déjà confirmé : rien n'a changé.");
            page(&state, &u, StatusCode::OK, notice, String::new()).await
        }
        Err(StoreError::Invalid(DomainError::Rule(m))) => {
            page(&state, &u, StatusCode::FORBIDDEN, String::new(), m).await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}
