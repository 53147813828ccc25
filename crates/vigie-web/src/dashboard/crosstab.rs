//! The cross-tab (`/tableaux-de-bord/croise`): what to count, rows and columns among the
//! dimensions, the dashboard's filters; the table with its margins, its chart and exports.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vigie_domain::stats::build::Spec;
use vigie_domain::stats::{Dimension, Measure, Table};
use vigie_store::sessions::SessionUser;

use super::export::{Format, filters_detail, filters_words, respond};
use super::page::Form;
use super::view::{Links, TableView, view};
use super::{DashQuery, Resolved, Viewer, figures};
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Query;
use crate::shared::{Choice, Chrome, render};

/// The cross-tab's choices and the dashboard's filters, by GET.
#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrossQuery {
    /// `dossiers` (by default), `enfants` or `evaluations`.
    #[serde(default)]
    pub mesure: String,
    /// A dimension's code (`mois` by default).
    #[serde(default)]
    pub lignes: String,
    /// A dimension's code, or nothing for one column.
    #[serde(default)]
    pub colonnes: String,
    #[serde(default)]
    pub periode: String,
    #[serde(default)]
    pub annee: String,
    #[serde(default)]
    pub mois: String,
    #[serde(default)]
    pub trimestre: String,
    #[serde(default)]
    pub du: String,
    #[serde(default)]
    pub au: String,
    #[serde(default)]
    pub territoire: String,
    #[serde(default, rename = "type")]
    pub type_: String,
}

impl CrossQuery {
    pub fn dash(&self) -> DashQuery {
        DashQuery {
            periode: self.periode.clone(),
            annee: self.annee.clone(),
            mois: self.mois.clone(),
            trimestre: self.trimestre.clone(),
            du: self.du.clone(),
            au: self.au.clone(),
            territoire: self.territoire.clone(),
            type_: self.type_.clone(),
            enregistre: String::new(),
        }
    }

    /// The measure and dimensions; what was refused, in French.
    pub fn choices(&self, errors: &mut Vec<String>) -> (Measure, Dimension, Option<Dimension>) {
        let measure = match self.mesure.trim() {
            "" => Measure::Dossiers,
            m => Measure::parse(m).unwrap_or_else(|| {
                errors.push("Compter : dossiers, enfants ou évaluations.".into());
                Measure::Dossiers
            }),
        };
        let rows = match self.lignes.trim() {
            "" => Dimension::Mois,
            d => Dimension::parse(d).unwrap_or_else(|| {
                errors.push("Lignes : dimension inconnue.".into());
                Dimension::Mois
            }),
        };
        let columns = match self.colonnes.trim() {
            "" => None,
            d => match Dimension::parse(d) {
                Some(c) if c == rows => {
                    errors.push(
                        "Colonnes : choisissez une autre dimension que celle des lignes.".into(),
                    );
                    None
                }
                Some(c) if c.is_time() && rows.is_time() => {
                    errors.push("Colonnes : une seule dimension de temps (mois, trimestre ou année) à la fois.".into());
                    None
                }
                Some(c) => Some(c),
                None => {
                    errors.push("Colonnes : dimension inconnue.".into());
                    None
                }
            },
        };
        (measure, rows, columns)
    }
}

/// The choices as the audit entry names them: known codes only (never what was typed).
pub fn codes(q: &CrossQuery) -> String {
    let mut ignored = Vec::new();
    let (m, r, c) = q.choices(&mut ignored);
    format!(
        "mesure={};lignes={};colonnes={}",
        m.code(),
        r.code(),
        c.map(Dimension::code).unwrap_or_default()
    )
}

/// The cross-tab of `q` for `viewer`, and what the filters resolved to.
pub async fn table(
    state: &AppState,
    viewer: &Viewer,
    q: &CrossQuery,
) -> Result<(Table, Resolved), WebError> {
    let today = state
        .now()
        .with_timezone(&state.config.timezone)
        .date_naive();
    let mut r = q.dash().resolve(today);
    let (measure, rows, columns) = q.choices(&mut r.errors);
    let cat = state.store.catalog().await?;
    let f = r.filter(state, viewer, &r.period);
    let buckets = r.period.buckets(
        [Some(rows), columns]
            .into_iter()
            .flatten()
            .find(|d| d.is_time())
            .unwrap_or(Dimension::Mois),
        &state.config.timezone,
    );
    let title = match columns {
        Some(c) => format!(
            "{} par {} et {}",
            measure.label(),
            rows.label().to_lowercase(),
            c.label().to_lowercase()
        ),
        None => format!("{} par {}", measure.label(), rows.label().to_lowercase()),
    };
    let spec = Spec {
        key: "tableau_croise",
        title,
        measure,
        rows,
        columns,
    };
    let t = figures::cross_table(state, &cat, &f, &spec, &buckets, !viewer.detail).await?;
    Ok((t, r))
}

#[derive(Template)]
#[template(path = "crosstab.html")]
struct CrossPage {
    demo: bool,
    chrome: Chrome,
    q: CrossQuery,
    form: Form,
    measures: Vec<Choice>,
    rows: Vec<Choice>,
    columns: Vec<Choice>,
    errors: Vec<String>,
    period: String,
    table: TableView,
    detail: bool,
    query: String,
    /// May save the table under a name (the responsable).
    can_share: bool,
    save_name: String,
    save_error: Option<String>,
}

fn dimension_choices(current: &str, default: &str) -> Vec<Choice> {
    let cur = if current.trim().is_empty() {
        default
    } else {
        current.trim()
    };
    Dimension::ALL
        .iter()
        .map(|d| Choice {
            value: d.code().to_owned(),
            label: d.label().to_owned(),
            selected: d.code() == cur,
        })
        .collect()
}

pub async fn page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<CrossQuery>,
) -> Response {
    render_page(&state, &u, ip, q, None).await
}

/// The cross-tab page; `save` is the name typed in « Enregistrer » and why it was refused.
pub async fn render_page(
    state: &AppState,
    u: &SessionUser,
    ip: Option<String>,
    q: CrossQuery,
    save: Option<(String, String)>,
) -> Response {
    let (state, u) = (state.clone(), u.clone());
    let viewer = Viewer::of(&u);
    let refused = save.is_some();
    let built = async {
        let (t, r) = table(&state, &viewer, &q).await?;
        state
            .store
            .audit(
                state.now(),
                &crate::shared::actor(&u, ip),
                vigie_store::audit::Event::new("statistiques.tableau_croise").detail(format!(
                    "{};{}",
                    codes(&q),
                    filters_detail(&r)
                )),
            )
            .await?;
        let cat = state.store.catalog().await?;
        let tz = state.config.timezone;
        let months = r.period.buckets(Dimension::Mois, &tz);
        let links = Links {
            enabled: viewer.detail,
            months: &months,
            period: r.period,
            territory_id: r.territory_id,
            type_id: r.type_id,
            tz,
        };
        let measure = if q.mesure.trim().is_empty() {
            "dossiers"
        } else {
            q.mesure.trim()
        };
        let mut columns = vec![Choice {
            value: String::new(),
            label: "Aucune (une seule colonne)".into(),
            selected: q.colonnes.trim().is_empty(),
        }];
        columns.extend(dimension_choices(&q.colonnes, ""));
        Ok::<_, WebError>(CrossPage {
            demo: state.config.demo,
            chrome: Chrome::new(&state, &u),
            form: Form::new(&q.dash(), &r, &viewer, &cat),
            measures: Measure::ALL
                .iter()
                .map(|m| Choice {
                    value: m.code().to_owned(),
                    label: m.label().to_owned(),
                    selected: m.code() == measure,
                })
                .collect(),
            rows: dimension_choices(&q.lignes, "mois"),
            columns,
            errors: r.errors.clone(),
            period: r.period.label(),
            table: view(&t, &links),
            detail: viewer.detail,
            query: serde_urlencoded::to_string(&q).unwrap_or_default(),
            q: q.clone(),
            can_share: u.role.has(vigie_domain::Permission::StatsShare),
            save_name: save.as_ref().map(|(n, _)| n.clone()).unwrap_or_default(),
            save_error: save.map(|(_, e)| e),
        })
    }
    .await;
    match built {
        Ok(p) => render(
            if p.errors.is_empty() && !refused {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            &p,
        ),
        Err(e) => e.into_response(),
    }
}

async fn export(
    state: AppState,
    u: SessionUser,
    ip: Option<String>,
    q: CrossQuery,
    format: Format,
) -> Result<Response, WebError> {
    let viewer = Viewer::of(&u);
    let (t, r) = table(&state, &viewer, &q).await?;
    if let Some(e) = r.errors.first() {
        return Err(WebError::BadRequest(e.clone()));
    }
    let words = filters_words(&state, &r).await?;
    let detail = format!("{};{}", codes(&q), filters_detail(&r));
    respond(
        &state,
        &u,
        ip,
        format,
        "tableau-croise",
        "Tableau croisé",
        &words,
        detail,
        &[t],
    )
    .await
}

pub async fn export_csv(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<CrossQuery>,
) -> Response {
    export(state, u, ip, q, Format::Csv)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<CrossQuery>,
) -> Response {
    export(state, u, ip, q, Format::Xlsx)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}
