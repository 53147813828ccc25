//! Exports of the dashboard and of a cross-tab: CSV for French spreadsheets and XLSX with
//! native charts (`vigie_export`), the same figures as the screen (small counts hidden for
//! an aggregates-only viewer), audited with the filters (ids and codes only). Aggregates
//! carry no dossier number: no re-authentication is asked.

use axum::Extension;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use vigie_domain::stats::Table;
use vigie_store::sessions::SessionUser;

use super::{DashQuery, Resolved, Viewer, figures};
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Query;

/// The two formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The filters as the audit entry names them: codes, dates and ids, never a name.
pub fn filters_detail(r: &Resolved) -> String {
    format!(
        "periode={}..{};territoire={};type={}",
        r.period.from,
        r.period.last_day(),
        r.territory_id.map(|t| t.to_string()).unwrap_or_default(),
        r.type_id.map(|t| t.to_string()).unwrap_or_default(),
    )
}

/// The filters in words, for the export's header.
pub async fn filters_words(
    state: &AppState,
    r: &Resolved,
) -> Result<Vec<(String, String)>, WebError> {
    let cat = state.store.catalog().await?;
    let mut v = vec![("Période".to_owned(), r.period.label())];
    v.push((
        "Territoire".into(),
        r.territory_id
            .and_then(|t| cat.territory(t))
            .map_or_else(|| "Tous".to_owned(), |t| t.label.clone()),
    ));
    v.push((
        "Type de dossier".into(),
        r.type_id
            .map_or_else(|| "Tous".to_owned(), |t| cat.label(Some(t))),
    ));
    Ok(v)
}

/// Writes `tables` in `format` as a download, after its audit entry.
#[allow(clippy::too_many_arguments)]
pub async fn respond(
    state: &AppState,
    u: &SessionUser,
    ip: Option<String>,
    format: Format,
    what: &str,
    title: &str,
    filters: &[(String, String)],
    detail: String,
    tables: &[Table],
) -> Result<Response, WebError> {
    let tz = state.config.timezone;
    let now = state.now().with_timezone(&tz);
    let generated = crate::shared::dates::datetime(state.now(), tz);
    let note = "« < 5 » : effectif de 1 à 4, masqué (secret statistique), ou valeur masquée pour qu'un tel effectif ne puisse être recalculé.";
    let ctx = vigie_export::Context {
        title,
        filters,
        generated: &generated,
        note: Some(note),
    };
    let body = match format {
        Format::Csv => vigie_export::tables_csv(&ctx, tables),
        Format::Xlsx => vigie_export::tables_xlsx(&ctx, tables)
            .map_err(|e| WebError::Internal(format!("export XLSX : {e}")))?,
    };
    state
        .store
        .audit(
            state.now(),
            &crate::shared::actor(u, ip),
            vigie_store::audit::Event::new("statistiques.export")
                .detail(format!("{what};format={};{detail}", format.extension())),
        )
        .await?;
    let filename = format!(
        "attachment; filename=\"{what}-{}.{}\"",
        now.format("%Y%m%d-%H%M"),
        format.extension()
    );
    Ok((
        [
            (header::CONTENT_TYPE, format.media_type().to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        body,
    )
        .into_response())
}

async fn dashboard(
    state: AppState,
    u: SessionUser,
    ip: Option<String>,
    q: DashQuery,
    format: Format,
) -> Result<Response, WebError> {
    let viewer = Viewer::of(&u);
    let today = state
        .now()
        .with_timezone(&state.config.timezone)
        .date_naive();
    let r = q.resolve(today);
    if let Some(e) = r.errors.first() {
        return Err(WebError::BadRequest(e.clone()));
    }
    let tables = figures::dashboard(&state, &viewer, &r, today).await?;
    let words = filters_words(&state, &r).await?;
    respond(
        &state,
        &u,
        ip,
        format,
        "tableau-de-bord",
        "Tableau de bord de la CRIP",
        &words,
        filters_detail(&r),
        &tables,
    )
    .await
}

pub async fn dashboard_csv(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<DashQuery>,
) -> Response {
    dashboard(state, u, ip, q, Format::Csv)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub async fn dashboard_xlsx(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<DashQuery>,
) -> Response {
    dashboard(state, u, ip, q, Format::Xlsx)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}
