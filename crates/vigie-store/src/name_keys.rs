//! The name-search keys written with every child (`person_key`) and every adult of a
//! dossier's « Parents » part (`adult_key`), and the vocabulary of the names stored
//! (`name_variant`) that finds a name within one typo of a word typed. The keys are the
//! domain's ([`vigie_domain::names::keys`]): family names under `n`/`np`, first names
//! under `f`/`fp`, and the pair and birth-year keys of their pieces
//! ([`vigie_domain::search::keys`]). The vocabulary keeps every piece of five letters or
//! more with its one-deletion variants ([`vigie_domain::names::deletions`]); a word whose
//! last person is gone stays in it until the dossiers' retention prunes it (not built yet).

use std::collections::{BTreeSet, HashSet};

use sea_orm::{DatabaseTransaction, Value};
use vigie_domain::names::{deletions, keys_and_atoms};
use vigie_domain::search::TYPO_MIN_LETTERS;
use vigie_domain::search::keys::{combined_keys, is_combined};
use vigie_domain::{Adult, Person};

use crate::Result;
use crate::persons::birth_year;
use crate::sql::{Sql, all_sql, exec, exec_sql, get};

/// Vocabulary rows per multi-row insert: a statement of about 15 kB, under one TLS record
/// (see `crate::backend::insert_rows` on PostgreSQL's 40 ms stall beyond it).
const VARIANTS_PER_INSERT: usize = 500;

/// The search keys of a child: family names (birth and usage) under `n`, first names
/// under `f`, with the pair and birth-year keys ([`vigie_domain::search::keys`]).
pub fn person_keys(p: &Person) -> Vec<String> {
    names_keys(
        &p.birth_name,
        p.usage_name.as_deref(),
        Some(&p.first_names),
        Some(birth_year(p.birth)),
    )
}

/// The search keys of an adult, as a child's without birth year (not recorded).
pub fn adult_keys(a: &Adult) -> Vec<String> {
    names_keys(
        &a.birth_name,
        a.usage_name.as_deref(),
        a.first_names.as_deref(),
        None,
    )
}

/// The keys of names; `year`: a child's birth year (`Some(None)` unknown), `None` for an adult.
fn names_keys(
    birth: &str,
    usage: Option<&str>,
    first: Option<&str>,
    year: Option<Option<i64>>,
) -> Vec<String> {
    let mut atoms = BTreeSet::new();
    let mut k = keys_and_atoms("n", birth, &mut atoms);
    if let Some(u) = usage {
        k.extend(keys_and_atoms("n", u, &mut atoms));
    }
    if let Some(f) = first {
        k.extend(keys_and_atoms("f", f, &mut atoms));
    }
    k.extend(combined_keys(&atoms, year));
    k.sort();
    k.dedup();
    k
}

/// The vocabulary words of some keys: each name piece of five letters or more.
fn words<'a>(keys: impl IntoIterator<Item = &'a String>) -> BTreeSet<&'a str> {
    keys.into_iter()
        .filter(|k| !is_combined(k))
        .filter_map(|k| match k.split_once(':') {
            Some(("n" | "f", w)) if w.chars().count() >= TYPO_MIN_LETTERS => Some(w),
            _ => None,
        })
        .collect()
}

/// The vocabulary rows `(variant, word)` of some words: each as itself and as each of its
/// one-deletion variants.
fn variants<'a>(words: impl IntoIterator<Item = &'a str>) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for word in words {
        for d in deletions(word) {
            out.insert((d, word.to_owned()));
        }
        out.insert((word.to_owned(), word.to_owned()));
    }
    out
}

/// The words a load has written to the vocabulary already: a batch writes only the
/// others (a load of 1,000,000 demo dossiers names a few thousand words, each in most of
/// its batches). One per transaction: a word counts as written once its batch is in.
#[derive(Debug, Default)]
pub(crate) struct Vocabulary {
    written: HashSet<String>,
}

/// Inserts keys into `person_key` or `adult_key` (`table` is one of them) and the words
/// `vocabulary` has not written yet into the vocabulary.
pub(crate) async fn insert_keys(
    c: &DatabaseTransaction,
    table: &'static str,
    rows: &[(String, i64)],
    vocabulary: &mut Vocabulary,
) -> Result<()> {
    let head = match table {
        "person_key" => "INSERT INTO person_key (key, person_id)",
        _ => "INSERT INTO adult_key (key, adult_id)",
    };
    let values: Vec<Vec<Value>> = rows
        .iter()
        .map(|(k, id)| vec![Value::from(k.clone()), Value::from(*id)])
        .collect();
    crate::backend::insert_rows(c, head, values).await?;
    let new: Vec<&str> = words(rows.iter().map(|(k, _)| k))
        .into_iter()
        .filter(|w| !vocabulary.written.contains(*w))
        .collect();
    insert_variants(c, variants(new.iter().copied())).await?;
    vocabulary
        .written
        .extend(new.into_iter().map(str::to_owned));
    Ok(())
}

/// Adds words to the vocabulary (those already there are kept).
async fn insert_variants(c: &DatabaseTransaction, rows: BTreeSet<(String, String)>) -> Result<()> {
    let rows: Vec<(String, String)> = rows.into_iter().collect();
    for chunk in rows.chunks(VARIANTS_PER_INSERT) {
        let mut q = Sql::new("INSERT INTO name_variant (variant, word) VALUES ");
        q.rows(
            chunk
                .iter()
                .map(|(v, w)| vec![Value::from(v.clone()), Value::from(w.clone())]),
        );
        q.push(" ON CONFLICT DO NOTHING");
        exec_sql(c, &q).await?;
    }
    Ok(())
}

/// Rewrites one child's keys.
pub(crate) async fn write_person_keys(
    txn: &DatabaseTransaction,
    pid: i64,
    p: &Person,
) -> Result<()> {
    exec(
        txn,
        "DELETE FROM person_key WHERE person_id = $1",
        vec![pid.into()],
    )
    .await?;
    let rows: Vec<(String, i64)> = person_keys(p).into_iter().map(|k| (k, pid)).collect();
    insert_keys(txn, "person_key", &rows, &mut Vocabulary::default()).await
}

/// Rewrites one adult's keys.
pub(crate) async fn write_adult_keys(txn: &DatabaseTransaction, aid: i64, a: &Adult) -> Result<()> {
    exec(
        txn,
        "DELETE FROM adult_key WHERE adult_id = $1",
        vec![aid.into()],
    )
    .await?;
    let rows: Vec<(String, i64)> = adult_keys(a).into_iter().map(|k| (k, aid)).collect();
    insert_keys(txn, "adult_key", &rows, &mut Vocabulary::default()).await
}

/// Persons or adults read per batch while rebuilding.
const REBUILD_BATCH: i64 = 20_000;

/// Recomputes every key and the vocabulary (migrations 7 and 8), by batches of ids.
pub(crate) async fn rebuild(txn: &DatabaseTransaction) -> Result<()> {
    exec(txn, "DELETE FROM person_key", vec![]).await?;
    exec(txn, "DELETE FROM adult_key", vec![]).await?;
    exec(txn, "DELETE FROM name_variant", vec![]).await?;
    let mut vocabulary = Vocabulary::default();
    // Children have a birth year; adults none (not recorded).
    for (table, from, year) in [
        ("person_key", "person", ", birth_year"),
        ("adult_key", "adult", ""),
    ] {
        let mut last = 0i64;
        loop {
            let mut q = Sql::new(&format!(
                "SELECT id, birth_name, usage_name, first_names{year} FROM {from} WHERE id > "
            ));
            q.bind(last).push(" ORDER BY id LIMIT ").bind(REBUILD_BATCH);
            let batch = all_sql(txn, &q).await?;
            let Some(r) = batch.last() else { break };
            last = get(r, "id")?;
            let mut rows = Vec::new();
            for r in &batch {
                let id: i64 = get(r, "id")?;
                let birth: String = get(r, "birth_name")?;
                let usage: Option<String> = get(r, "usage_name")?;
                let first: Option<String> = get(r, "first_names")?;
                let year = (!year.is_empty())
                    .then(|| get::<Option<i64>>(r, "birth_year"))
                    .transpose()?;
                rows.extend(
                    names_keys(&birth, usage.as_deref(), first.as_deref(), year)
                        .into_iter()
                        .map(|k| (k, id)),
                );
            }
            insert_keys(txn, table, &rows, &mut vocabulary).await?;
        }
    }
    Ok(())
}
