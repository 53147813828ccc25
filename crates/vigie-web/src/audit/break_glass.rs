//! The accès exceptionnels granted (break-glass), for the responsable CRIP
//! (`/acces-exceptionnels`, permission `AuditRead`): who asked for which dossier, when,
//! why, and until when. The request itself is on the dossier (`dossier::break_glass`).

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::error::WebError;
use crate::http::extract::Query;
use crate::shared::dates::{datetime, parse_date, start_of};
use crate::shared::{Chrome, render};

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
