//! Tableaux de bord: the CRIP's activity over a period (`page`), the cross-tab anyone can
//! build (`crosstab`), their exports (`export`) and the API's figures (`crate::api::stats`).
//!
//! Who sees what: the responsable and the agents every dossier; an évaluateur their scope
//! (computed in SQL, as the lists); the lecteur statistiques every dossier but aggregates
//! only — no link to a list, and every count from 1 to 4 hidden with the secondary
//! suppression of `vigie_domain::stats::suppress`.

pub mod crosstab;
pub mod export;
pub mod figures;
pub mod page;
pub mod saved;
pub mod view;

use chrono::{Datelike, NaiveDate};
use vigie_domain::stats::Period;
use vigie_domain::{Permission, Scope};
use vigie_store::sessions::SessionUser;
use vigie_store::stats::StatsFilter;

use crate::AppState;
use crate::shared::dates::parse_date;

/// Whose figures, and how detailed.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub scope: Scope,
    /// Small counts shown and figures linked to the dossier list.
    pub detail: bool,
}

impl Viewer {
    pub fn of(u: &SessionUser) -> Self {
        let detail = u.role.has(Permission::StatsDetail);
        let scope = if u.role.has(Permission::DossierRead) {
            u.scope()
        } else if u.role.has(Permission::StatsRead) {
            // Aggregates of every dossier, small counts hidden.
            Scope::All
        } else {
            Scope::Nothing
        };
        Self { scope, detail }
    }
}

/// The dashboard's filters, by GET (codes and ids only).
#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashQuery {
    /// `mois`, `trimestre`, `annee` (by default) or `dates`.
    #[serde(default)]
    pub periode: String,
    #[serde(default)]
    pub annee: String,
    /// 1–12, with `periode=mois`.
    #[serde(default)]
    pub mois: String,
    /// 1–4, with `periode=trimestre`.
    #[serde(default)]
    pub trimestre: String,
    /// JJ/MM/AAAA, with `periode=dates`.
    #[serde(default)]
    pub du: String,
    #[serde(default)]
    pub au: String,
    #[serde(default)]
    pub territoire: String,
    #[serde(default, rename = "type")]
    pub type_: String,
    /// `1` after a cross-tab was saved (the page says so).
    #[serde(default, skip_serializing)]
    #[param(ignore)]
    pub enregistre: String,
}

/// The filters understood, and what was refused (in French).
#[derive(Debug, Clone)]
pub struct Resolved {
    pub period: Period,
    pub territory_id: Option<i64>,
    pub type_id: Option<i64>,
    pub errors: Vec<String>,
}

fn number<T: std::str::FromStr>(s: &str, what: &str, errors: &mut Vec<String>) -> Option<T> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    s.parse().ok().or_else(|| {
        errors.push(format!("{what} : nombre attendu."));
        None
    })
}

impl DashQuery {
    /// The period and filters; a refused value falls back to the current year and says why.
    pub fn resolve(&self, today: NaiveDate) -> Resolved {
        let mut errors = Vec::new();
        let year = number::<i32>(&self.annee, "Année", &mut errors).unwrap_or(today.year());
        let period = match self.periode.trim() {
            "mois" => {
                let m = number::<u32>(&self.mois, "Mois", &mut errors).unwrap_or(today.month());
                Period::month(year, m)
            }
            "trimestre" => {
                let q = number::<u32>(&self.trimestre, "Trimestre", &mut errors)
                    .unwrap_or(today.month0() / 3 + 1);
                Period::quarter(year, q)
            }
            "dates" => match (parse_date(&self.du), parse_date(&self.au)) {
                (Some(from), Some(to)) => Period::dates(from, to),
                _ => {
                    errors.push("Du, au : dates attendues au format JJ/MM/AAAA.".into());
                    Period::year(year)
                }
            },
            "" | "annee" => Period::year(year),
            _ => {
                errors.push("Période : mois, trimestre, année ou dates.".into());
                Period::year(year)
            }
        };
        let period = period.unwrap_or_else(|e| {
            errors.extend(
                e.fields()
                    .iter()
                    .map(|f| format!("{} : {}", f.label, f.message)),
            );
            Period::year(today.year()).unwrap_or(Period {
                kind: vigie_domain::stats::PeriodKind::Annee,
                from: today,
                to: today,
            })
        });
        Resolved {
            period,
            territory_id: number(&self.territoire, "Territoire", &mut errors),
            type_id: number(&self.type_, "Type de dossier", &mut errors),
            errors,
        }
    }

    /// The query string of these filters (for the exports' and the cross-tab's links).
    pub fn query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }
}

impl Resolved {
    /// The store's filter for `period` (this one, or a comparison).
    pub fn filter(&self, state: &AppState, viewer: &Viewer, period: &Period) -> StatsFilter {
        let (from, to) = period.instants(&state.config.timezone);
        StatsFilter {
            scope: viewer.scope.clone(),
            from,
            to,
            territory_id: self.territory_id,
            type_id: self.type_id,
        }
    }
}
