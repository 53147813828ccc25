//! `/api/v1/statistiques`: the dashboard's tables and a cross-tab as JSON, with the same
//! permissions, scope and small-count suppression as the pages.

use axum::extract::State;
use axum::{Extension, Json};
use vigie_domain::stats::{Period, Table};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::dashboard::crosstab::{CrossQuery, table};
use crate::dashboard::{DashQuery, Viewer, figures};
use crate::http::client::ClientIp;
use crate::http::error::{ApiError, Problem, WebError};
use crate::http::extract::Query;

/// Figures over a period.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub period: Period,
    /// « mars 2026 ».
    pub period_label: String,
    /// Whether small counts are hidden (`suppressed` values) for this user.
    pub aggregates_only: bool,
    pub tables: Vec<Table>,
}

/// The dashboard's tables.
#[utoipa::path(
    get,
    path = "/api/v1/statistiques/tableau-de-bord",
    tag = "statistiques",
    params(DashQuery),
    responses(
        (status = 200, body = Figures),
        (status = 400, description = "Filtre invalide", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn dashboard(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<DashQuery>,
) -> Result<Json<Figures>, ApiError> {
    let viewer = Viewer::of(&u);
    let today = state
        .now()
        .with_timezone(&state.config.timezone)
        .date_naive();
    let r = q.resolve(today);
    if let Some(e) = r.errors.first() {
        return Err(WebError::BadRequest(e.clone()).into());
    }
    let tables = figures::dashboard(&state, &viewer, &r, today).await?;
    state
        .store
        .audit(
            state.now(),
            &crate::shared::actor(&u, ip),
            vigie_store::audit::Event::new("statistiques.consultation")
                .detail(crate::dashboard::export::filters_detail(&r)),
        )
        .await
        .map_err(WebError::from)?;
    Ok(Json(Figures {
        period: r.period,
        period_label: r.period.label(),
        aggregates_only: !viewer.detail,
        tables,
    }))
}

/// A cross-tab.
#[utoipa::path(
    get,
    path = "/api/v1/statistiques/tableau-croise",
    tag = "statistiques",
    params(CrossQuery),
    responses(
        (status = 200, body = Figures),
        (status = 400, description = "Choix ou filtre invalide", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn crosstab(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<CrossQuery>,
) -> Result<Json<Figures>, ApiError> {
    let viewer = Viewer::of(&u);
    let (t, r) = table(&state, &viewer, &q).await?;
    if let Some(e) = r.errors.first() {
        return Err(WebError::BadRequest(e.clone()).into());
    }
    state
        .store
        .audit(
            state.now(),
            &crate::shared::actor(&u, ip),
            vigie_store::audit::Event::new("statistiques.tableau_croise").detail(format!(
                "{};{}",
                crate::dashboard::crosstab::codes(&q),
                crate::dashboard::export::filters_detail(&r)
            )),
        )
        .await
        .map_err(WebError::from)?;
    Ok(Json(Figures {
        period: r.period,
        period_label: r.period.label(),
        aggregates_only: !viewer.detail,
        tables: vec![t],
    }))
}
