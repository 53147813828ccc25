//! The dossier list's query string (filters by GET: ids, status code and dates, never a
//! name), shared by the HTML list and the API, and the listing itself, recorded in the
//! audit trail.

use chrono::{DateTime, Utc};
use vigie_domain::DossierStatus;
use vigie_store::dossiers::{Cursor, ListFilter, Page};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::error::WebError;
use crate::shared::dates::{parse_date, start_of};
use crate::shared::url::query_value;

/// Dossiers per page, in the list and in the API.
pub const PAGE_SIZE: u32 = 50;

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub territoire: String,
    #[serde(default)]
    pub statut: String,
    #[serde(default, rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub du: String,
    #[serde(default)]
    pub au: String,
    #[serde(default)]
    pub apres: String,
}

/// Parses the list's query string into a filter; every problem is reported in French.
pub fn parse_filter(q: &ListQuery, tz: chrono_tz::Tz) -> (ListFilter, Option<Cursor>, Vec<String>) {
    let mut errors = Vec::new();
    let mut f = ListFilter::default();
    let id = |s: &str, what: &str, errors: &mut Vec<String>| -> Option<i64> {
        if s.trim().is_empty() {
            return None;
        }
        match s.trim().parse() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.push(format!("{what} : valeur inconnue."));
                None
            }
        }
    };
    f.territory_id = id(&q.territoire, "Territoire", &mut errors);
    f.type_id = id(&q.type_, "Type de dossier", &mut errors);
    if !q.statut.trim().is_empty() {
        f.status = DossierStatus::parse(q.statut.trim());
        if f.status.is_none() {
            errors.push("Statut : valeur inconnue.".into());
        }
    }
    for (s, what, target) in [
        (&q.du, "Reçu du", &mut f.from),
        (&q.au, "Reçu au", &mut f.to),
    ] {
        if s.trim().is_empty() {
            continue;
        }
        match parse_date(s) {
            Some(d) => {
                // "au" is inclusive: up to the start of the next day.
                let d = if what == "Reçu au" {
                    d.succ_opt().unwrap_or(d)
                } else {
                    d
                };
                *target = start_of(d, tz);
            }
            None => errors.push(format!("{what} : date attendue au format JJ/MM/AAAA.")),
        }
    }
    let cursor = q.apres.split_once('_').and_then(|(t, i)| {
        let ts = DateTime::<Utc>::from_timestamp(t.parse().ok()?, 0)?;
        Some(Cursor {
            received_at: ts,
            id: i.parse().ok()?,
        })
    });
    (f, cursor, errors)
}

/// The list's filters as query pairs (ids, status code and dates only: never a name),
/// URL-encoded, without the page cursor.
pub fn filter_query(q: &ListQuery) -> Vec<(&'static str, String)> {
    [
        ("territoire", &q.territoire),
        ("statut", &q.statut),
        ("type", &q.type_),
        ("du", &q.du),
        ("au", &q.au),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| (k, query_value(v.trim())))
    .collect()
}

/// `?k=v&…`, or nothing without a filter.
pub fn query_suffix(pairs: &[(&'static str, String)]) -> String {
    if pairs.is_empty() {
        String::new()
    } else {
        let qs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("?{}", qs.join("&"))
    }
}

/// One page of the dossiers within the caller's scope, its listing recorded in the audit
/// trail (`dossier.liste`, with the ids shown).
pub async fn list_recorded(
    state: &AppState,
    u: &SessionUser,
    ip: Option<String>,
    filter: &ListFilter,
    cursor: Option<Cursor>,
) -> Result<Page, WebError> {
    let page = state
        .store
        .list_dossiers(&u.scope(), filter, cursor, PAGE_SIZE)
        .await?;
    let ids: Vec<i64> = page.rows.iter().map(|r| r.id).collect();
    state
        .store
        .record_listing(
            state.now(),
            &crate::shared::actor(u, ip),
            "dossier.liste",
            &ids,
        )
        .await?;
    Ok(page)
}
