//! The dossier list's query string (filters by GET: ids, codes, dates and a month, never a
//! name), shared by the HTML list, the record navigation and the API, and the listing
//! itself, recorded in the audit trail.

use chrono::{DateTime, Months, NaiveDate, Utc};
use vigie_domain::DossierStatus;
use vigie_store::dossiers::{CategoryFilter, Cursor, ListFilter, Page};
use vigie_store::sessions::SessionUser;

use crate::AppState;
use crate::http::error::WebError;
use crate::shared::dates::{parse_date, parse_month, start_of};
use crate::shared::url::query_value;

/// Dossiers per page, in the list and in the API.
pub const PAGE_SIZE: u32 = 50;

/// The value of `categorie` for « no category filled in ».
pub const NO_CATEGORY: &str = "aucune";

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
    /// A month of reception, `AAAA-MM`: « du » its first day « au » its last.
    #[serde(default)]
    pub mois: String,
    /// Source category id, or [`NO_CATEGORY`].
    #[serde(default)]
    pub categorie: String,
    /// Channel id.
    #[serde(default)]
    pub support: String,
    /// Motif id (of a child).
    #[serde(default)]
    pub motif: String,
    /// Conclusion id (of a child).
    #[serde(default)]
    pub conclusion: String,
    /// Service id (an assignment not cancelled).
    #[serde(default)]
    pub service: String,
    /// `1`: an evaluation overdue today.
    #[serde(default)]
    pub en_retard: String,
    #[serde(default)]
    pub apres: String,
}

/// Parses the list's query string into a filter; every problem is reported in French,
/// naming the filter. `today` (in the configured time zone) is what `en_retard` means.
pub fn parse_filter(
    q: &ListQuery,
    tz: chrono_tz::Tz,
    today: NaiveDate,
) -> (ListFilter, Option<Cursor>, Vec<String>) {
    let mut errors = Vec::new();
    let mut f = ListFilter::default();
    parse_ids(q, &mut f, &mut errors);
    if !q.statut.trim().is_empty() {
        f.status = DossierStatus::parse(q.statut.trim());
        if f.status.is_none() {
            errors.push("Statut : valeur inconnue.".into());
        }
    }
    parse_period(q, tz, &mut f, &mut errors);
    match q.en_retard.trim() {
        "" | "0" => {}
        "1" => f.overdue_on = Some(today),
        _ => errors.push("Évaluation en retard : valeur inconnue (1 attendu).".into()),
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

/// [`parse_filter`] as of the request: `en_retard` means overdue today, in the configured
/// time zone.
pub fn filter_of(state: &AppState, q: &ListQuery) -> (ListFilter, Option<Cursor>, Vec<String>) {
    let tz = state.config.timezone;
    parse_filter(q, tz, state.now().with_timezone(&tz).date_naive())
}

/// An id filter: nothing when empty, an error naming the filter when not a number.
fn id(s: &str, what: &str, errors: &mut Vec<String>) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    s.parse().ok().or_else(|| {
        errors.push(format!("{what} : valeur inconnue."));
        None
    })
}

/// The filters given by id.
fn parse_ids(q: &ListQuery, f: &mut ListFilter, errors: &mut Vec<String>) {
    f.territory_id = id(&q.territoire, "Territoire", errors);
    f.type_id = id(&q.type_, "Type de dossier", errors);
    f.source_category = if q.categorie.trim().eq_ignore_ascii_case(NO_CATEGORY) {
        Some(CategoryFilter::Unfilled)
    } else {
        id(&q.categorie, "Catégorie du signalant", errors).map(CategoryFilter::Is)
    };
    f.channel_id = id(&q.support, "Support", errors);
    f.motif_id = id(&q.motif, "Motif", errors);
    f.conclusion_id = id(&q.conclusion, "Conclusion", errors);
    f.service_id = id(&q.service, "Service", errors);
}

/// « Reçu du … au … » (local days, `au` inclusive), or a month of reception.
fn parse_period(q: &ListQuery, tz: chrono_tz::Tz, f: &mut ListFilter, errors: &mut Vec<String>) {
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
    if q.mois.trim().is_empty() {
        return;
    }
    if !q.du.trim().is_empty() || !q.au.trim().is_empty() {
        errors.push(
            "Mois de réception : ne se combine pas avec « Reçu du » ni « au », choisissez l'un ou l'autre."
                .into(),
        );
        return;
    }
    match parse_month(&q.mois) {
        Some(first) => {
            f.from = start_of(first, tz);
            f.to = first
                .checked_add_months(Months::new(1))
                .and_then(|next| start_of(next, tz));
        }
        None => errors.push("Mois de réception : mois attendu au format AAAA-MM.".into()),
    }
}

/// The list's filters as query pairs (ids, codes, dates and month only: never a name),
/// URL-encoded, without the page cursor: what the pages and the record navigation carry.
pub fn filter_query(q: &ListQuery) -> Vec<(&'static str, String)> {
    [
        ("territoire", &q.territoire),
        ("statut", &q.statut),
        ("type", &q.type_),
        ("du", &q.du),
        ("au", &q.au),
        ("mois", &q.mois),
        ("categorie", &q.categorie),
        ("support", &q.support),
        ("motif", &q.motif),
        ("conclusion", &q.conclusion),
        ("service", &q.service),
        ("en_retard", &q.en_retard),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(qs: &str) -> (ListFilter, Vec<String>) {
        let q: ListQuery = serde_urlencoded::from_str(qs).unwrap_or_default();
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
        let (f, _, errors) = parse_filter(&q, chrono_tz::Europe::Paris, today);
        (f, errors)
    }

    #[test]
    fn the_new_filters_are_read_from_ids_a_month_and_a_flag() {
        let (f, errors) = parse(
            "categorie=aucune&support=2&motif=3&conclusion=4&service=5&en_retard=1&mois=2026-03",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(f.source_category, Some(CategoryFilter::Unfilled));
        assert_eq!(
            (f.channel_id, f.motif_id, f.conclusion_id, f.service_id),
            (Some(2), Some(3), Some(4), Some(5))
        );
        assert_eq!(f.overdue_on, NaiveDate::from_ymd_opt(2026, 11, 24));
        // March 2026 in Paris: from 1 March 00:00 (UTC+1) to 1 April 00:00 (UTC+2).
        assert_eq!(f.from, "2026-02-28T23:00:00Z".parse().ok());
        assert_eq!(f.to, "2026-03-31T22:00:00Z".parse().ok());
        assert_eq!(
            parse("categorie=7").0.source_category,
            Some(CategoryFilter::Is(7))
        );
        assert_eq!(parse("en_retard=0").0.overdue_on, None);
    }

    #[test]
    fn each_refused_value_names_its_filter_in_french() {
        for (qs, message) in [
            ("motif=abc", "Motif : valeur inconnue."),
            (
                "categorie=rien",
                "Catégorie du signalant : valeur inconnue.",
            ),
            ("support=x", "Support : valeur inconnue."),
            ("conclusion=1.5", "Conclusion : valeur inconnue."),
            ("service=S1", "Service : valeur inconnue."),
            (
                "en_retard=oui",
                "Évaluation en retard : valeur inconnue (1 attendu).",
            ),
            (
                "mois=2026-13",
                "Mois de réception : mois attendu au format AAAA-MM.",
            ),
        ] {
            let (f, errors) = parse(qs);
            assert_eq!(errors, vec![message.to_owned()], "{qs}");
            assert_eq!(
                f,
                ListFilter::default(),
                "{qs}: the refused value is dropped"
            );
        }
        let (f, errors) = parse("mois=2026-03&du=01/01/2026");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("Mois de réception : ne se combine pas"));
        assert_eq!(f.to, None, "the month is dropped, « du » kept");
        assert!(f.from.is_some());
    }

    #[test]
    fn the_new_filters_are_carried_without_a_cursor() {
        let q: ListQuery = serde_urlencoded::from_str(
            "motif=3&en_retard=1&mois=2026-03&categorie=aucune&apres=1_2",
        )
        .unwrap_or_default();
        assert_eq!(
            query_suffix(&filter_query(&q)),
            "?mois=2026-03&categorie=aucune&motif=3&en_retard=1"
        );
    }
}
