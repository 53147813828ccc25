//! The échéances page: evaluations not yet returned and dated follow-ups still pending,
//! overdue or due within 15 days, by due date, within the user's scope; filtered by
//! territory and service (GET, ids only). Each evaluation says when it was last reminded; for
//! the roles that write dossiers, « Relancer les services » sends the overdue ones of the
//! filter their grouped reminder (see [`crate::reminders`]).

use crate::http::extract::Query;
use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vigie_domain::Scope;
use vigie_domain::catalog::Catalog;
use vigie_store::due::{DEFAULT_HORIZON_DAYS, DueItem};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::client::ClientIp;
use crate::shared::dates::date;
use crate::shared::{Choice, Chrome, actor, render};

#[derive(Debug, Default, serde::Deserialize)]
pub struct DueQuery {
    #[serde(default)]
    pub territoire: String,
    #[serde(default)]
    pub service: String,
}

/// One line of the table.
#[derive(Debug)]
pub struct DueRow {
    pub due_on: String,
    /// « En retard de 3 jours », « Aujourd'hui », « Dans 5 jours »: the state in words.
    pub state: String,
    pub overdue: bool,
    pub kind: &'static str,
    pub href: String,
    pub number: String,
    pub territory: String,
    pub service: String,
    /// « Relancé le 5 décembre 2026 par Jeanne Martin », for an evaluation reminded.
    pub reminded: String,
}

#[derive(Template)]
#[template(path = "echeances.html")]
struct DuePage {
    demo: bool,
    chrome: Chrome,
    territories: Vec<Choice>,
    services: Vec<Choice>,
    errors: Vec<String>,
    /// Why a batch was not sent.
    notices: Vec<String>,
    rows: Vec<DueRow>,
    overdue: usize,
    horizon: i64,
    today: String,
    /// The user may run the reminder batch.
    can_remind: bool,
    /// Overdue evaluations of the filter not yet reminded today, and their services.
    to_remind: usize,
    services_to_remind: usize,
    /// The current filter, carried by the batch's form.
    territoire: String,
    service: String,
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 jour".into()
    } else {
        format!("{n} jours")
    }
}

/// The state of an échéance in words (never by colour only).
pub fn state_text(days_left: i64) -> String {
    match days_left {
        0 => "Aujourd'hui".into(),
        1 => "Demain".into(),
        n if n < 0 => format!("En retard de {}", days(-n)),
        n => format!("Dans {}", days(n)),
    }
}

fn row(i: &DueItem) -> DueRow {
    DueRow {
        due_on: date(i.due_on),
        state: state_text(i.days_left),
        overdue: i.overdue,
        kind: i.kind.label(),
        href: format!("/dossiers/{}", i.dossier_id),
        number: i.dossier_number.to_string(),
        territory: i.territory_label.clone(),
        service: i.service_label.clone().unwrap_or_default(),
        reminded: i
            .reminded
            .as_ref()
            .map_or_else(String::new, |r| match &r.by_name {
                Some(by) => format!("Relancé le {} par {by}", date(r.on)),
                None => format!("Relancé le {}", date(r.on)),
            }),
    }
}

/// A filter's id: empty for none, else a number (the French error names the filter).
pub fn filter_id(s: &str, what: &str) -> Result<Option<i64>, String> {
    match s.trim() {
        "" => Ok(None),
        s => s
            .parse()
            .map(Some)
            .map_err(|_| format!("{what} : valeur inconnue.")),
    }
}

/// Whether an item is an overdue evaluation not yet reminded on `today`.
fn remindable(i: &DueItem, today: chrono::NaiveDate) -> bool {
    i.overdue && i.assignment_id.is_some() && i.reminded.as_ref().is_none_or(|r| r.on != today)
}

/// Territories and services worth offering: all of them, or for a restricted scope its
/// territories, those of its services, and the services of those territories.
pub fn reachable(scope: &Scope, cat: &Catalog) -> (Vec<i64>, Vec<i64>) {
    match scope {
        Scope::All => (
            cat.territories.iter().map(|t| t.id).collect(),
            cat.services.iter().map(|s| s.id).collect(),
        ),
        Scope::Nothing => (vec![], vec![]),
        Scope::Restricted {
            territories,
            services,
            ..
        } => {
            let mut ts = territories.clone();
            ts.extend(
                services
                    .iter()
                    .filter_map(|s| cat.service(*s).map(|s| s.territory_id)),
            );
            let ss = cat
                .services
                .iter()
                .filter(|s| services.contains(&s.id) || ts.contains(&s.territory_id))
                .map(|s| s.id)
                .collect();
            (ts, ss)
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<DueQuery>,
) -> Response {
    respond(&state, &u, ip, &q, Vec::new(), StatusCode::OK).await
}

/// The page with `messages` above it (a refused batch) and `status` (422 for invalid filters).
pub async fn respond(
    state: &AppState,
    u: &SessionUser,
    ip: Option<String>,
    q: &DueQuery,
    messages: Vec<String>,
    status: StatusCode,
) -> Response {
    match build(state, u, ip, q).await {
        Ok(mut p) => {
            let status = if p.errors.is_empty() {
                status
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            p.notices = messages;
            render(status, &p)
        }
        Err(e) => e.into_response(),
    }
}

async fn build(
    state: &AppState,
    u: &SessionUser,
    ip: Option<String>,
    q: &DueQuery,
) -> Result<DuePage, crate::http::error::WebError> {
    let scope = u.scope();
    let cat = state.store.catalog().await?;
    let today = state
        .now()
        .with_timezone(&state.config.timezone)
        .date_naive();
    let mut errors = Vec::new();
    let mut id = |s: &str, what: &str| -> Option<i64> {
        filter_id(s, what).unwrap_or_else(|e| {
            errors.push(e);
            None
        })
    };
    let territory = id(&q.territoire, "Territoire");
    let service = id(&q.service, "Service");
    let items = state
        .store
        .due_items(&scope, today, DEFAULT_HORIZON_DAYS, territory, service)
        .await?;
    let ids: Vec<i64> = items.iter().map(|i| i.dossier_id).collect();
    state
        .store
        .record_listing(state.now(), &actor(u, ip), "dossier.echeances", &ids)
        .await?;
    let (ts, ss) = reachable(&scope, &cat);
    let sel = |id: i64, cur: &str| id.to_string() == cur.trim();
    Ok(DuePage {
        demo: state.config.demo,
        chrome: Chrome::new(state, u),
        territories: cat
            .territories
            .iter()
            .filter(|t| ts.contains(&t.id))
            .map(|t| Choice {
                value: t.id.to_string(),
                label: t.label.clone(),
                selected: sel(t.id, &q.territoire),
            })
            .collect(),
        services: cat
            .services
            .iter()
            .filter(|s| ss.contains(&s.id))
            .map(|s| Choice {
                value: s.id.to_string(),
                label: s.label.clone(),
                selected: sel(s.id, &q.service),
            })
            .collect(),
        errors,
        notices: Vec::new(),
        overdue: items.iter().filter(|i| i.overdue).count(),
        rows: items.iter().map(row).collect(),
        horizon: DEFAULT_HORIZON_DAYS,
        today: date(today),
        can_remind: u.role.has(vigie_domain::Permission::DossierWrite),
        to_remind: items.iter().filter(|i| remindable(i, today)).count(),
        services_to_remind: {
            let mut s: Vec<i64> = items
                .iter()
                .filter(|i| remindable(i, today))
                .filter_map(|i| i.service_id)
                .collect();
            s.sort_unstable();
            s.dedup();
            s.len()
        },
        territoire: q.territoire.trim().to_owned(),
        service: q.service.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_said_in_words() {
        assert_eq!(state_text(-1), "En retard de 1 jour");
        assert_eq!(state_text(-12), "En retard de 12 jours");
        assert_eq!(state_text(0), "Aujourd'hui");
        assert_eq!(state_text(1), "Demain");
        assert_eq!(state_text(9), "Dans 9 jours");
    }
}
