//! The dashboard page (`/tableaux-de-bord`): filters by GET, every table with its chart,
//! links to the exports and to the cross-tab.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vigie_domain::ParamKind;
use vigie_domain::catalog::Catalog;
use vigie_domain::stats::Dimension;
use vigie_store::sessions::SessionUser;

use super::view::{Links, TableView, view};
use super::{DashQuery, Resolved, Viewer, figures};
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Query;
use crate::shared::{Choice, Chrome, render};

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashPage {
    demo: bool,
    chrome: Chrome,
    q: DashQuery,
    form: Form,
    errors: Vec<String>,
    period: String,
    tables: Vec<TableView>,
    detail: bool,
    query: String,
    saved: Vec<super::saved::SavedView>,
    can_share: bool,
    just_saved: bool,
}

/// The filter form's choices.
#[derive(Debug, Clone)]
pub struct Form {
    pub periods: Vec<Choice>,
    pub months: Vec<Choice>,
    pub quarters: Vec<Choice>,
    pub territories: Vec<Choice>,
    pub types: Vec<Choice>,
    pub year: String,
}

impl Form {
    pub fn new(q: &DashQuery, r: &Resolved, viewer: &Viewer, cat: &Catalog) -> Self {
        use chrono::Datelike;
        let choice = |v: &str, l: &str, cur: &str| Choice {
            value: v.to_owned(),
            label: l.to_owned(),
            selected: v == cur,
        };
        let kind = if q.periode.trim().is_empty() {
            "annee"
        } else {
            q.periode.trim()
        };
        let month = (r.period.from.month()).to_string();
        let quarter = (r.period.from.month0() / 3 + 1).to_string();
        let (ts, _) = crate::echeances::reachable(&viewer.scope, cat);
        let territory = r.territory_id.map(|t| t.to_string()).unwrap_or_default();
        let type_ = r.type_id.map(|t| t.to_string()).unwrap_or_default();
        Self {
            periods: [
                ("annee", "Année"),
                ("trimestre", "Trimestre"),
                ("mois", "Mois"),
                ("dates", "Dates libres"),
            ]
            .iter()
            .map(|(v, l)| choice(v, l, kind))
            .collect(),
            months: vigie_domain::stats::period::MONTHS
                .iter()
                .enumerate()
                .map(|(i, m)| choice(&(i + 1).to_string(), m, &month))
                .collect(),
            quarters: (1..=4)
                .map(|i| choice(&i.to_string(), &format!("T{i}"), &quarter))
                .collect(),
            territories: cat
                .territories
                .iter()
                .filter(|t| ts.contains(&t.id))
                .map(|t| choice(&t.id.to_string(), &t.label, &territory))
                .collect(),
            types: cat
                .of_kind(ParamKind::DossierType)
                .map(|p| choice(&p.id.to_string(), &p.label, &type_))
                .collect(),
            year: r.period.from.year().to_string(),
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<DashQuery>,
) -> Response {
    match build(&state, &u, ip, q).await {
        Ok(p) => render(
            if p.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            &p,
        ),
        Err(e) => e.into_response(),
    }
}

async fn build(
    state: &AppState,
    u: &SessionUser,
    ip: Option<String>,
    q: DashQuery,
) -> Result<DashPage, WebError> {
    let viewer = Viewer::of(u);
    let tz = state.config.timezone;
    let today = state.now().with_timezone(&tz).date_naive();
    let r = q.resolve(today);
    let cat = state.store.catalog().await?;
    let tables = figures::dashboard(state, &viewer, &r, today).await?;
    state
        .store
        .audit(
            state.now(),
            &crate::shared::actor(u, ip),
            vigie_store::audit::Event::new("statistiques.consultation")
                .detail(super::export::filters_detail(&r)),
        )
        .await?;
    let months = r.period.buckets(Dimension::Mois, &tz);
    let links = Links {
        enabled: viewer.detail,
        months: &months,
        period: r.period,
        territory_id: r.territory_id,
        type_id: r.type_id,
        tz,
    };
    Ok(DashPage {
        demo: state.config.demo,
        chrome: Chrome::new(state, u),
        form: Form::new(&q, &r, &viewer, &cat),
        errors: r.errors.clone(),
        period: r.period.label(),
        tables: tables.iter().map(|t| view(t, &links)).collect(),
        detail: viewer.detail,
        query: q.query_string(),
        saved: super::saved::list(state).await?,
        can_share: u.role.has(vigie_domain::Permission::StatsShare),
        just_saved: q.enregistre == "1",
        q,
    })
}
