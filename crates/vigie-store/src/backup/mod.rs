//! What a backup reads and a restore writes, table by table, in a form both backends share
//! (the archive itself — members, checksums, encryption — is `vigie-backup`'s):
//! - [`Snapshot`] (`dump.rs`): one read transaction, the same data throughout (PostgreSQL
//!   `REPEATABLE READ READ ONLY`; SQLite a read transaction, which WAL mode keeps while writers
//!   go on); every table's rows as JSON objects, in primary-key order, streamed; the documents'
//!   bytes, streamed chunk by chunk.
//! - [`Restore`] (`load.rs`): into an empty database, migrated to the archive's schema, one
//!   transaction: every table emptied of what the migrations seeded, then filled in the
//!   archive's order (parents before children), the documents cut again in chunks, the
//!   PostgreSQL identity sequences moved past the restored ids.
//!
//! Values in JSON: integers as numbers, booleans as `true`/`false`, bytes in base64, times as
//! the text SQLite stores (`2026-11-24T10:00:00.123456+00:00`, RFC 3339; dates `2026-11-24`),
//! which PostgreSQL reads back exactly (to the microsecond, its precision).
//!
//! Left out, and why ([`LEFT_OUT`]): web sessions and failed-login counters (a restored
//! instance starts with everyone logged out and no throttling), the migrations' list (the
//! archive says its schema version, and the restore migrates), the communes (reference data
//! the program's migrations load, kept as the restoring program loaded them), the documents'
//! chunks (the archive holds each document whole).

mod dump;
mod load;

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::ConnectionTrait;

use crate::backend::is_postgres;
use crate::sql::{all, get};
use crate::{Result, StoreError, vals};

pub use dump::{DocumentPart, Snapshot};
pub use load::{Restore, cancelled};

/// The tables a backup leaves out, with the reason the archive's manifest gives.
pub const LEFT_OUT: &[(&str, &str)] = &[
    (
        "web_session",
        "sessions web : après une restauration, chacun se reconnecte",
    ),
    (
        "login_failure",
        "compteurs d'échecs de connexion (limitation des tentatives), remis à zéro",
    ),
    (
        "schema_migrations",
        "liste des migrations : le manifeste donne la version du schéma, la restauration migre",
    ),
    (
        "commune",
        "référentiel des communes (INSEE), fourni par le programme : la restauration garde celui de sa version",
    ),
    (
        "document_chunk",
        "morceaux des documents : chaque document est dans l'archive en entier (documents/)",
    ),
];

/// Tables filled last by a restore, in this order, whatever their references: the rows
/// their triggers check or update must be in first (`audit_head` says whether the chain
/// is keyed, which the checkpoints' trigger reads; `reference_version` is bumped by the
/// reference tables' triggers).
const LAST: &[&str] = &["reference_version", "audit_head"];

/// How a column's values are written in JSON and bound back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Integer,
    Boolean,
    Text,
    /// PostgreSQL `timestamptz` (a `TEXT` column on SQLite: [`ColumnKind::Text`] there).
    Timestamp,
    /// PostgreSQL `date` (a `TEXT` column on SQLite).
    Date,
    Bytes,
}

impl ColumnKind {
    /// The kind of a declared type (SQLite) or of `format_type` (PostgreSQL).
    fn of(declared: &str) -> Option<Self> {
        Some(match declared.to_ascii_lowercase().as_str() {
            "integer" | "bigint" | "smallint" => Self::Integer,
            "boolean" => Self::Boolean,
            "text" => Self::Text,
            "timestamp with time zone" => Self::Timestamp,
            "date" => Self::Date,
            "blob" | "bytea" => Self::Bytes,
            _ => return None,
        })
    }
}

/// A table as a backup reads it and a restore writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    /// Columns in their declared order, with their kind.
    pub columns: Vec<(String, ColumnKind)>,
    /// The primary key's columns (rows are read in that order); all columns when none.
    pub key: Vec<String>,
}

/// The tables a backup holds, parents before children (the order a restore inserts them).
pub(crate) async fn tables(c: &impl ConnectionTrait) -> Result<Vec<Table>> {
    let names: Vec<String> = crate::backend::table_names(c)
        .await?
        .into_iter()
        .filter(|t| !LEFT_OUT.iter().any(|(l, _)| l == t))
        .collect();
    let mut out = Vec::with_capacity(names.len());
    for name in ordered(c, names).await? {
        out.push(describe(c, &name).await?);
    }
    Ok(out)
}

/// `names` sorted so that each table comes after the tables it references (a reference to
/// itself does not count: rows go in primary-key order), alphabetically among equals,
/// [`LAST`] at the end.
async fn ordered(c: &impl ConnectionTrait, names: Vec<String>) -> Result<Vec<String>> {
    let set: BTreeSet<String> = names.into_iter().collect();
    let mut parents: BTreeMap<String, BTreeSet<String>> =
        set.iter().map(|t| (t.clone(), BTreeSet::new())).collect();
    for (table, _, target) in crate::backend::foreign_keys(c).await? {
        if table != target
            && set.contains(&target)
            && let Some(p) = parents.get_mut(&table)
        {
            p.insert(target);
        }
    }
    let mut out: Vec<String> = Vec::with_capacity(set.len());
    let mut done: BTreeSet<String> = BTreeSet::new();
    while done.len() < set.len() {
        let ready = parents
            .iter()
            .filter(|(t, p)| {
                !done.contains(*t) && !LAST.contains(&t.as_str()) && p.is_subset(&done)
            })
            .map(|(t, _)| t.clone())
            .next()
            .or_else(|| {
                LAST.iter()
                    .map(|t| (*t).to_owned())
                    .find(|t| set.contains(t) && !done.contains(t))
            });
        let Some(next) = ready else {
            return Err(StoreError::Config(
                "sauvegarde : références circulaires entre tables".into(),
            ));
        };
        done.insert(next.clone());
        out.push(next);
    }
    Ok(out)
}

/// A table's columns, their kinds and its primary key.
async fn describe(c: &impl ConnectionTrait, name: &str) -> Result<Table> {
    let sql = if is_postgres(c) {
        "SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS declared,
            COALESCE(array_position(i.indkey::int2[], a.attnum) - array_lower(i.indkey::int2[], 1) + 1, 0)::bigint AS pk
         FROM pg_attribute a
         JOIN pg_class t ON t.oid = a.attrelid
         LEFT JOIN pg_index i ON i.indrelid = t.oid AND i.indisprimary
         WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace
           AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attnum"
    } else {
        "SELECT name, type AS declared, pk FROM pragma_table_info($1) ORDER BY cid"
    };
    let rows = all(c, sql, vals![name]).await?;
    let mut columns = Vec::with_capacity(rows.len());
    let mut key: Vec<(i64, String)> = Vec::new();
    for r in &rows {
        let column: String = get(r, "name")?;
        let declared: String = get(r, "declared")?;
        let kind = ColumnKind::of(&declared).ok_or_else(|| {
            StoreError::Config(format!(
                "sauvegarde : type de colonne non pris en charge ({name}.{column} : {declared})"
            ))
        })?;
        let pk: i64 = get(r, "pk")?;
        if pk > 0 {
            key.push((pk, column.clone()));
        }
        columns.push((column, kind));
    }
    key.sort();
    let key = if key.is_empty() {
        columns.iter().map(|(c, _)| c.clone()).collect()
    } else {
        key.into_iter().map(|(_, c)| c).collect()
    };
    Ok(Table {
        name: name.to_owned(),
        columns,
        key,
    })
}

/// The rows of `table` as `c` sees them.
pub(crate) async fn count(c: &impl ConnectionTrait, table: &str) -> Result<u64> {
    let rows = all(
        c,
        &format!("SELECT COUNT(*) AS n FROM {}", quoted(table)),
        vec![],
    )
    .await?;
    let n: i64 = rows.first().map(|r| get(r, "n")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// PostgreSQL's identity columns (table, column): the ids a backup reads the counters of,
/// and a restore moves past.
pub(crate) async fn identity_columns(c: &impl ConnectionTrait) -> Result<Vec<(String, String)>> {
    all(
        c,
        "SELECT c.relname::text AS t, a.attname::text AS col
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
           AND a.attidentity <> '' AND NOT a.attisdropped
         ORDER BY c.relname",
        vec![],
    )
    .await?
    .iter()
    .map(|r| Ok((get(r, "t")?, get(r, "col")?)))
    .collect()
}

/// Quotes an identifier read from the catalog (table and column names are plain here;
/// quoting keeps a keyword-named column safe on both backends).
fn quoted(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}
