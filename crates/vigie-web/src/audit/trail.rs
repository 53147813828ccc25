//! Traçabilité: the audit trail for the responsable CRIP (permission `AuditRead`).
//!
//! Filters by GET, ids and codes only (user id, dossier number or id, person id, action
//! code, dates): never a name in a URL. The child is chosen by name through a POST search
//! form (« Qui a consulté les données de cet enfant ? », a family's access request), which
//! answers with persons to pick, each a link carrying the person's id.
//!
//! Every consultation, child search and export is itself recorded in the trail
//! (`audit.consultation`, `audit.recherche_enfant`, `audit.export`, with the filters' ids).
//! The CSV export (`;`, UTF-8 with a byte order mark: what a French spreadsheet opens
//! directly) requires a recent re-authentication and is streamed page by page.

use crate::http::extract::Form;
use crate::http::extract::Query;
use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vigie_domain::DossierNumber;
use vigie_store::Store;
use vigie_store::audit::{ActionFilter, AuditFilter, AuditRow, ChildCandidate, Event};
use vigie_store::sessions::SessionUser;

use super::actions::{ACTIONS, action_label};
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::shared::dates::{parse_date, start_of};
use crate::shared::url::query_value;
use crate::shared::{Choice, Chrome, actor, render};

/// Entries per page.
const PAGE_SIZE: u32 = 100;

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub utilisateur: String,
    /// A dossier number (`2026-000123`) or a dossier id.
    #[serde(default)]
    pub dossier: String,
    /// A person id, chosen from the child search.
    #[serde(default)]
    pub personne: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub du: String,
    #[serde(default)]
    pub au: String,
    /// Paging cursor: entries before this sequence number.
    #[serde(default)]
    pub avant: String,
}

impl AuditQuery {
    /// The filters as `k=v` pairs (no cursor), URL-encoded: ids, codes and dates only.
    fn pairs(&self) -> Vec<String> {
        [
            ("utilisateur", &self.utilisateur),
            ("dossier", &self.dossier),
            ("personne", &self.personne),
            ("action", &self.action),
            ("du", &self.du),
            ("au", &self.au),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", query_value(v.trim())))
        .collect()
    }

    pub(super) fn suffix(&self) -> String {
        let p = self.pairs();
        if p.is_empty() {
            String::new()
        } else {
            format!("?{}", p.join("&"))
        }
    }
}

/// The filters read from the query string, and what is wrong with them (in French).
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub(super) filter: AuditFilter,
    cursor: Option<i64>,
    pub(super) errors: Vec<String>,
}

pub(super) async fn parse(
    store: &Store,
    q: &AuditQuery,
    tz: chrono_tz::Tz,
) -> Result<Parsed, WebError> {
    let mut p = Parsed::default();
    let id = |s: &str, what: &str, errors: &mut Vec<String>| -> Option<i64> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        match s.parse::<i64>() {
            Ok(v) if v > 0 => Some(v),
            _ => {
                errors.push(format!("{what} : valeur inconnue."));
                None
            }
        }
    };
    p.filter.user_id = id(&q.utilisateur, "Utilisateur", &mut p.errors);
    p.filter.person_id = id(&q.personne, "Enfant", &mut p.errors);
    let d = q.dossier.trim();
    if !d.is_empty() {
        if let Ok(n) = d.parse::<DossierNumber>() {
            match store.audit_dossier_id(n).await? {
                Some(id) => p.filter.dossier_id = Some(id),
                None => p.errors.push(format!(
                    "Dossier : aucun dossier n° {n} (s'il a été supprimé, indiquez son identifiant)."
                )),
            }
        } else {
            p.filter.dossier_id = id(
                d,
                "Dossier (numéro AAAA-NNNNNN ou identifiant)",
                &mut p.errors,
            );
        }
    }
    let a = q.action.trim();
    if !a.is_empty() {
        if a.len() <= 64
            && a.bytes()
                .all(|b| b.is_ascii_lowercase() || b"._*".contains(&b))
        {
            p.filter.action = ActionFilter::parse(a);
        }
        if p.filter.action.is_none() {
            p.errors.push("Action : valeur inconnue.".into());
        }
    }
    for (s, what, to) in [(&q.du, "Du", false), (&q.au, "Au", true)] {
        if s.trim().is_empty() {
            continue;
        }
        match parse_date(s) {
            Some(day) => {
                // « au » is inclusive: up to the start of the next day.
                let day = if to {
                    day.succ_opt().unwrap_or(day)
                } else {
                    day
                };
                let t = start_of(day, tz);
                if to {
                    p.filter.to = t;
                } else {
                    p.filter.from = t;
                }
            }
            None => p
                .errors
                .push(format!("{what} : date attendue au format JJ/MM/AAAA.")),
        }
    }
    if let (Some(f), Some(t)) = (p.filter.from, p.filter.to)
        && f >= t
    {
        p.errors
            .push("Période : la date de début est après la date de fin.".into());
    }
    if !q.avant.trim().is_empty() {
        p.cursor = id(&q.avant, "Page", &mut p.errors);
    }
    Ok(p)
}

/// What the trail says of the filters (ids and codes, never a name).
pub(super) fn filter_detail(f: &AuditFilter) -> String {
    let mut parts = Vec::new();
    if let Some(u) = f.user_id {
        parts.push(format!("utilisateur={u}"));
    }
    if let Some(d) = f.dossier_id {
        parts.push(format!("dossier={d}"));
    }
    if let Some(p) = f.person_id {
        parts.push(format!("personne={p}"));
    }
    match &f.action {
        Some(ActionFilter::Exact(a)) => parts.push(format!("action={a}")),
        Some(ActionFilter::Prefix(a)) => parts.push(format!("action={a}*")),
        None => {}
    }
    if let Some(t) = f.from {
        parts.push(format!("du={}", t.format("%Y-%m-%dT%H:%M:%SZ")));
    }
    if let Some(t) = f.to {
        parts.push(format!("au={}", t.format("%Y-%m-%dT%H:%M:%SZ")));
    }
    if parts.is_empty() {
        "filtres=aucun".into()
    } else {
        parts.join(";")
    }
}

/// One line of the table (and of the export).
#[derive(Debug)]
pub struct RowView {
    pub seq: i64,
    pub at: String,
    pub user: String,
    pub action: String,
    pub action_code: String,
    pub object: String,
    pub object_href: Option<String>,
    pub detail: String,
    pub ip: String,
}

fn user_text(r: &AuditRow) -> String {
    match (r.user_id, &r.user_name, &r.user_login) {
        (None, _, _) => "Système (ligne de commande)".into(),
        (Some(_), Some(name), Some(login)) => format!("{name} ({login})"),
        (Some(id), _, _) => format!("Compte n° {id}"),
    }
}

fn object_text(r: &AuditRow) -> (String, Option<String>) {
    let (Some(t), Some(id)) = (r.object_type.as_deref(), r.object_id) else {
        return (String::new(), None);
    };
    match t {
        "dossier" => match &r.dossier_number {
            Some(n) => (format!("Dossier {n}"), Some(format!("/dossiers/{id}"))),
            None => (format!("Dossier n° {id} (supprimé)"), None),
        },
        "app_user" => (format!("Compte n° {id}"), None),
        "param_value" => (format!("Paramètre n° {id}"), None),
        "territory" => (format!("Territoire n° {id}"), None),
        "service" => (format!("Service n° {id}"), None),
        "personne" | "person" => (format!("Personne n° {id}"), None),
        other => (format!("{other} n° {id}"), None),
    }
}

pub(super) fn row_view(r: &AuditRow, tz: chrono_tz::Tz) -> RowView {
    let (object, object_href) = object_text(r);
    RowView {
        seq: r.seq,
        at: r
            .at
            .with_timezone(&tz)
            .format("%d/%m/%Y %H:%M:%S")
            .to_string(),
        user: user_text(r),
        action: action_label(&r.action).map_or_else(|| r.action.clone(), str::to_owned),
        action_code: r.action.clone(),
        object,
        object_href,
        detail: r.detail.clone().unwrap_or_default(),
        ip: r.ip.clone().unwrap_or_default(),
    }
}

/// A child proposed by the search, or the one filtered on.
#[derive(Debug)]
pub struct ChildView {
    pub href: String,
    pub name: String,
    pub birth: String,
    pub dossiers: String,
}

fn child_view(c: &ChildCandidate) -> ChildView {
    let p = &c.person;
    let family = match &p.usage_name {
        Some(u) if u != &p.birth_name => format!(
            "{} (née ou né {})",
            u.to_uppercase(),
            p.birth_name.to_uppercase()
        ),
        _ => p.birth_name.to_uppercase(),
    };
    ChildView {
        href: format!("/tracabilite?personne={}", c.person_id),
        name: format!("{} {family}", p.first_names).trim().to_owned(),
        birth: p.birth.display(),
        dossiers: c
            .dossiers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
pub(super) struct AuditPage {
    demo: bool,
    chrome: Chrome,
    users: Vec<Choice>,
    actions: Vec<Choice>,
    dossier: String,
    du: String,
    au: String,
    personne: String,
    child: Option<ChildView>,
    search: String,
    candidates: Option<Vec<ChildView>>,
    errors: Vec<String>,
    rows: Vec<RowView>,
    next: Option<String>,
    export: String,
    clear_child: String,
}

pub(super) async fn page_for(
    state: &AppState,
    u: &SessionUser,
    ip: Option<String>,
    q: &AuditQuery,
    candidates: Option<(String, Vec<ChildCandidate>)>,
) -> Result<(StatusCode, AuditPage), WebError> {
    let tz = state.config.timezone;
    let store = &state.store;
    let mut parsed = parse(store, q, tz).await?;
    let child = match parsed.filter.person_id {
        Some(p) => match store.audit_child(&u.scope(), p).await {
            Ok(c) => Some(child_view(&c)),
            Err(vigie_store::StoreError::NotFound) => {
                parsed
                    .errors
                    .push("Enfant : aucun enfant avec cet identifiant.".into());
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let (rows, next) = if parsed.errors.is_empty() && candidates.is_none() {
        let page = store
            .audit_search(&parsed.filter, parsed.cursor, PAGE_SIZE)
            .await?;
        // The consultation is recorded before anything is shown.
        store
            .audit(
                state.now(),
                &actor(u, ip),
                Event::new("audit.consultation").detail(filter_detail(&parsed.filter)),
            )
            .await?;
        let mut pairs = q.pairs();
        let next = page.next.map(|n| {
            pairs.push(format!("avant={n}"));
            format!("/tracabilite?{}", pairs.join("&"))
        });
        (page.rows.iter().map(|r| row_view(r, tz)).collect(), next)
    } else {
        (Vec::new(), None)
    };
    let users = store
        .list_users()
        .await?
        .into_iter()
        .map(|x| Choice {
            value: x.id.to_string(),
            selected: Some(x.id) == parsed.filter.user_id,
            label: format!("{} ({})", x.display_name, x.login),
        })
        .collect();
    let actions = ACTIONS
        .iter()
        .map(|(code, label)| Choice {
            value: (*code).to_owned(),
            label: (*label).to_owned(),
            selected: q.action.trim() == *code,
        })
        .collect();
    let status = if parsed.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let without_child = AuditQuery {
        personne: String::new(),
        ..q.clone()
    };
    let (search, candidates) = match candidates {
        Some((text, found)) => (text, Some(found.iter().map(child_view).collect())),
        None => (String::new(), None),
    };
    Ok((
        status,
        AuditPage {
            demo: state.config.demo,
            chrome: Chrome::new(state, u),
            users,
            actions,
            dossier: q.dossier.trim().to_owned(),
            du: q.du.trim().to_owned(),
            au: q.au.trim().to_owned(),
            personne: parsed
                .filter
                .person_id
                .map(|p| p.to_string())
                .unwrap_or_default(),
            child,
            search,
            candidates,
            errors: parsed.errors,
            rows,
            next,
            export: format!("/tracabilite/export.csv{}", q.suffix()),
            clear_child: format!("/tracabilite{}", without_child.suffix()),
        },
    ))
}

/// `GET /tracabilite`: the trail, filtered, newest first.
pub async fn page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<AuditQuery>,
) -> Response {
    match page_for(&state, &u, ip, &q, None).await {
        Ok((status, p)) => render(status, &p),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ChildSearchForm {
    #[serde(default)]
    q: String,
}

/// `POST /tracabilite/enfant`: finds a child by name (the name stays in the request body)
/// and proposes the persons found, each a link with the person's id only.
pub async fn child_search(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Form(form): Form<ChildSearchForm>,
) -> Response {
    let text: String = form.q.chars().take(200).collect();
    let q = AuditQuery::default();
    if text.trim().is_empty() {
        return match page_for(&state, &u, ip, &q, Some((String::new(), vec![]))).await {
            Ok((_, p)) => render(StatusCode::OK, &p),
            Err(e) => e.into_response(),
        };
    }
    let found = match state
        .store
        .audit_find_children(state.now(), &actor(&u, ip.clone()), &u.scope(), &text)
        .await
    {
        Ok(f) => f,
        Err(e) => return WebError::from(e).into_response(),
    };
    match page_for(&state, &u, ip, &q, Some((text, found))).await {
        Ok((_, p)) => render(StatusCode::OK, &p),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_in_the_url_are_ids_codes_and_dates() {
        let q = AuditQuery {
            utilisateur: "3".into(),
            dossier: "2026-000001".into(),
            personne: "12".into(),
            action: "dossier.*".into(),
            du: "2026-11-01".into(),
            au: String::new(),
            avant: "99".into(),
        };
        assert_eq!(
            q.suffix(),
            "?utilisateur=3&dossier=2026-000001&personne=12&action=dossier.*&du=2026-11-01"
        );
    }
}
