//! Children as persons across dossiers, and name search.
//!
//! Keys (see `vigie_domain::names`) are stored in `person_key`; candidates are found
//! by key in SQL (optionally with the birth year), and ranked here in Rust, so both
//! backends return the same rows in the same order. A birth date typed in a search
//! (`vigie_domain::search`) narrows the persons found instead of being a name word.

use std::collections::HashMap;

use chrono::Datelike;
use sea_orm::ConnectionTrait;
use vigie_domain::names::{keys, phonetic, tokens};
use vigie_domain::search::BirthHint;
use vigie_domain::{BirthDate, Person, Sex};

use crate::Result;
use crate::sql::{Sql, all_sql, get};

/// The search keys of a person: family names under `n`, first names under `f`.
pub fn person_keys(p: &Person) -> Vec<String> {
    let mut k = keys("n", &p.birth_name);
    if let Some(u) = &p.usage_name {
        k.extend(keys("n", u));
    }
    k.extend(keys("f", &p.first_names));
    k.sort();
    k.dedup();
    k
}

pub(crate) fn birth_year(b: BirthDate) -> Option<i64> {
    match b {
        BirthDate::Exact(d) | BirthDate::Approximate(d) | BirthDate::Expected(d) => {
            Some(i64::from(d.year()))
        }
        BirthDate::Unknown => None,
    }
}

/// A person's birth date from its `birth_precision` and `birth_date` columns.
fn birth_from(r: &sea_orm::QueryResult) -> Result<BirthDate> {
    let precision: String = get(r, "birth_precision")?;
    Ok(BirthDate::from_parts(&precision, get(r, "birth_date")?).unwrap_or(BirthDate::Unknown))
}

pub(crate) fn person_from(r: &sea_orm::QueryResult) -> Result<Person> {
    let sex: String = get(r, "sex")?;
    Ok(Person {
        birth_name: get(r, "birth_name")?,
        usage_name: get(r, "usage_name")?,
        first_names: get(r, "first_names")?,
        sex: Sex::parse(&sex).unwrap_or(Sex::Unknown),
        birth: birth_from(r)?,
    })
}

/// A person found by name, with a score (higher is better).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonHit {
    pub person_id: i64,
    pub score: u32,
}

/// Finds persons whose names match every word typed (each word as a family name or a
/// first name, exactly once normalised, or phonetically), optionally born in `year`.
/// Best first; ties by most recent person.
pub(crate) async fn find_by_name(
    c: &impl ConnectionTrait,
    text: &str,
    year: Option<i32>,
    limit: usize,
) -> Result<Vec<PersonHit>> {
    let words: Vec<String> = tokens(text).into_iter().take(6).collect();
    if words.is_empty() {
        return Ok(vec![]);
    }
    // For each word, its exact and phonetic keys (as family name or first name).
    let per_word: Vec<(Vec<String>, Vec<String>)> = words
        .iter()
        .map(|w| {
            let p = phonetic(w);
            (
                vec![format!("n:{w}"), format!("f:{w}")],
                vec![format!("np:{p}"), format!("fp:{p}")],
            )
        })
        .collect();
    let mut all_keys: Vec<String> = per_word
        .iter()
        .flat_map(|(e, p)| e.iter().chain(p.iter()).cloned())
        .collect();
    all_keys.sort();
    all_keys.dedup();
    let mut q = Sql::new("SELECT k.person_id, k.key FROM person_key k");
    if year.is_some() {
        q.push(" JOIN person p ON p.id = k.person_id");
    }
    q.push(" WHERE k.key IN ").bind_list(&all_keys);
    if let Some(y) = year {
        q.push(" AND (p.birth_year IS NULL OR p.birth_year = ")
            .bind(i64::from(y))
            .push(")");
    }
    let rows = all_sql(c, &q).await?;
    let mut by_person: HashMap<i64, Vec<String>> = HashMap::new();
    for r in &rows {
        by_person
            .entry(get(r, "person_id")?)
            .or_default()
            .push(get(r, "key")?);
    }
    let mut hits: Vec<PersonHit> = by_person
        .into_iter()
        .filter_map(|(person_id, ks)| {
            let mut score = 0u32;
            for (exact, phon) in &per_word {
                if exact.iter().any(|k| ks.contains(k)) {
                    score += 2;
                } else if phon.iter().any(|k| ks.contains(k)) {
                    score += 1;
                } else {
                    return None;
                }
            }
            Some(PersonHit { person_id, score })
        })
        .collect();
    hits.sort_by(|a, b| b.score.cmp(&a.score).then(b.person_id.cmp(&a.person_id)));
    hits.truncate(limit);
    Ok(hits)
}

/// Finds persons by a search as typed: its name words, narrowed by the birth date typed
/// among them (a year in SQL; a month or a day then on each person's birth date, where it
/// is exact). A search of only a date finds nobody: a date alone names no one.
pub(crate) async fn find_by_query(
    c: &impl ConnectionTrait,
    text: &str,
    limit: usize,
) -> Result<Vec<PersonHit>> {
    let q = vigie_domain::search::parse_name_query(text);
    let Some(hint) = q.birth else {
        return find_by_name(c, &q.words, None, limit).await;
    };
    if matches!(hint, BirthHint::Year(_)) {
        return find_by_name(c, &q.words, Some(hint.year()), limit).await;
    }
    // Every namesake born that year, narrowed, then the best `limit`: narrowing only the
    // best would lose a match ranked after namesakes born another month.
    let hits = find_by_name(c, &q.words, Some(hint.year()), usize::MAX).await?;
    if hits.is_empty() {
        return Ok(hits);
    }
    let ids: Vec<i64> = hits.iter().map(|h| h.person_id).collect();
    let mut s = Sql::new("SELECT id, birth_precision, birth_date FROM person WHERE id IN ");
    s.bind_list(&ids);
    let mut births: HashMap<i64, BirthDate> = HashMap::new();
    for r in &all_sql(c, &s).await? {
        births.insert(get(r, "id")?, birth_from(r)?);
    }
    Ok(hits
        .into_iter()
        .filter(|h| {
            hint.admits(
                births
                    .get(&h.person_id)
                    .copied()
                    .unwrap_or(BirthDate::Unknown),
            )
        })
        .take(limit)
        .collect())
}
