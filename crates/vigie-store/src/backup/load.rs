//! The restore's side: an empty database, migrated to the archive's schema, filled in one
//! transaction (a failure leaves it as empty as it was).

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sea_orm::{DatabaseTransaction, Value};
use serde_json::{Map, Value as Json};

use super::{ColumnKind, Table, quoted};
use crate::backend::{insert_rows, is_postgres};
use crate::db::Store;
use crate::documents::{CHUNK_SIZE, CHUNKS_PER_INSERT, insert_chunk_rows};
use crate::sql::{all, exec};
use crate::{Result, StoreError, vals};

/// Rows sent to the database at once (fewer when they are large: [`BATCH_BYTES`]).
const BATCH_ROWS: usize = 2_000;
/// About this many bytes of JSON per batch.
const BATCH_BYTES: usize = 4 * 1024 * 1024;

/// The tables the migrations fill (default parameters, settings, the letterhead, the
/// chain's head row): a database whose other tables are all empty is « empty » for a restore.
const SEEDED: &[&str] = &[
    "param_value",
    "audit_head",
    "setting",
    "reference_version",
    "letterhead",
];

/// A restore under way: one write transaction.
#[derive(Debug)]
pub struct Restore {
    txn: DatabaseTransaction,
    tables: HashMap<String, Table>,
    /// The table being filled, its pending rows and their size in JSON.
    pending: Option<(String, Vec<Vec<Value>>, usize)>,
    documents: u64,
    /// Document chunks not written yet (written several per statement).
    chunks: Vec<(i64, i64, Vec<u8>)>,
}

impl Store {
    /// Whether this database may receive a restore of schema `version`: empty of data, and
    /// at that version or none. `Err` says why not, in French.
    async fn restore_target_check(&self, version: i64) -> Result<()> {
        let current = self.schema_version().await?;
        let names = crate::backend::table_names(&self.db).await?;
        for t in names.iter().filter(|t| {
            !SEEDED.contains(&t.as_str()) && !super::LEFT_OUT.iter().any(|(l, _)| l == t)
        }) {
            let rows = all(
                &self.db,
                &format!("SELECT 1 AS x FROM {} LIMIT 1", quoted(t)),
                vec![],
            )
            .await?;
            if !rows.is_empty() {
                return Err(StoreError::Config(format!(
                    "la base cible n'est pas vide (table {t}) : une restauration se fait dans une base neuve, vide ; rien n'a été écrit"
                )));
            }
        }
        if current > version {
            return Err(StoreError::Config(format!(
                "la base cible est déjà migrée en version {current}, plus récente que l'archive (version {version}) : restaurez dans une base neuve, sans tables ; rien n'a été écrit"
            )));
        }
        Ok(())
    }

    /// Migrates this empty database to the archive's schema `version`, then opens the
    /// restore's transaction and empties every table the migrations seeded.
    pub async fn begin_restore(&self, version: i64, now: DateTime<Utc>) -> Result<Restore> {
        self.restore_target_check(version).await?;
        let upto: Vec<_> = crate::migrate::migrations()
            .into_iter()
            .filter(|m| m.version <= version)
            .collect();
        self.migrate_with(&upto, now).await?;
        let txn = self.write().await?;
        let list = super::tables(&txn).await?;
        for t in list.iter().rev() {
            exec(&txn, &format!("DELETE FROM {}", quoted(&t.name)), vec![]).await?;
        }
        Ok(Restore {
            txn,
            tables: list.into_iter().map(|t| (t.name.clone(), t)).collect(),
            pending: None,
            documents: 0,
            chunks: Vec::new(),
        })
    }
}

impl Restore {
    /// Adds one row of `table` (rows of a table arrive together, tables parents first).
    pub async fn row(&mut self, table: &str, object: Map<String, Json>) -> Result<()> {
        if self.pending.as_ref().is_some_and(|(t, ..)| t != table) {
            self.flush().await?;
        }
        let Some(target) = self.tables.get(table) else {
            return Err(StoreError::Config(format!(
                "l'archive contient une table inconnue de ce schéma : {table}"
            )));
        };
        let (values, size) = row_values(target, object)?;
        let (_, rows, bytes) = self
            .pending
            .get_or_insert_with(|| (table.to_owned(), Vec::new(), 0));
        rows.push(values);
        *bytes += size;
        if rows.len() >= BATCH_ROWS || *bytes >= BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    /// Inserts the pending rows.
    async fn flush(&mut self) -> Result<()> {
        let Some((table, rows, _)) = self.pending.take() else {
            return Ok(());
        };
        let Some(target) = self.tables.get(&table) else {
            return Ok(());
        };
        let columns: Vec<String> = target.columns.iter().map(|(c, _)| quoted(c)).collect();
        let head = format!("INSERT INTO {} ({})", quoted(&table), columns.join(", "));
        insert_rows(&self.txn, &head, rows).await
    }

    /// Stores document `id`'s bytes, read from `bytes` in chunks (its row is in already).
    pub async fn document(&mut self, id: i64, bytes: &mut dyn Read) -> Result<u64> {
        self.flush().await?;
        let mut seq = 0i64;
        let mut total = 0u64;
        loop {
            let mut chunk = Vec::with_capacity(CHUNK_SIZE);
            let read = bytes
                .take(CHUNK_SIZE as u64)
                .read_to_end(&mut chunk)
                .map_err(|e| StoreError::Config(format!("lecture de l'archive : {e}")))?;
            if read == 0 {
                break;
            }
            total += read as u64;
            self.chunks.push((id, seq, chunk));
            if self.chunks.len() >= CHUNKS_PER_INSERT {
                self.flush_chunks().await?;
            }
            seq += 1;
        }
        self.documents += 1;
        Ok(total)
    }

    async fn flush_chunks(&mut self) -> Result<()> {
        let rows: Vec<(i64, i64, &[u8])> = self
            .chunks
            .iter()
            .map(|(id, seq, b)| (*id, *seq, b.as_slice()))
            .collect();
        insert_chunk_rows(&self.txn, &rows).await?;
        self.chunks.clear();
        Ok(())
    }

    /// Moves each table's id counter past `last_ids` (the last id the source used, per
    /// table: a row added after the restore never takes the id of one deleted before the
    /// backup) and past its largest restored id. Then checks, before committing, that every
    /// table holds `expected` rows (counted in the database), that `documents` documents
    /// were stored, and that the audit chain's head is `head` (sequence number, hash); then
    /// commits. A difference rolls everything back. Returns the rows per table, as counted.
    pub async fn finish(
        mut self,
        last_ids: &BTreeMap<String, i64>,
        expected: &[(String, u64)],
        documents: u64,
        head: (i64, &str),
    ) -> Result<BTreeMap<String, u64>> {
        self.flush().await?;
        self.flush_chunks().await?;
        set_sequences(&self.txn, last_ids).await?;
        let mut counted = BTreeMap::new();
        for (table, rows) in expected {
            let got = super::count(&self.txn, table).await?;
            counted.insert(table.clone(), got);
            if got != *rows {
                return Err(cancelled(&format!(
                    "table {table} : {got} lignes en base, {rows} annoncées par le manifeste"
                )));
            }
        }
        if self.documents != documents {
            return Err(cancelled(&format!(
                "{} documents restaurés, {documents} annoncés",
                self.documents
            )));
        }
        let got = crate::audit::head_of(&self.txn, "").await?;
        if got.seq != head.0 || got.hash != head.1 {
            return Err(cancelled(&format!(
                "la chaîne d'audit restaurée finit à l'entrée {}, le manifeste à l'entrée {}",
                got.seq, head.0
            )));
        }
        self.txn.commit().await?;
        Ok(counted)
    }
}

/// A restore rolled back: what was wrong, and what is left (the empty schema).
pub fn cancelled(what: &str) -> StoreError {
    StoreError::Config(format!(
        "{what} : restauration annulée, aucune donnée écrite (le schéma vide créé reste : relancez dans cette base ou dans une base neuve)"
    ))
}

/// Moves every id counter past `last`'s value for its table and the table's largest id.
async fn set_sequences(txn: &DatabaseTransaction, last: &BTreeMap<String, i64>) -> Result<()> {
    if is_postgres(txn) {
        for (t, col) in super::identity_columns(txn).await? {
            let floor = last.get(&t).copied().unwrap_or(0);
            exec(
                txn,
                &format!(
                    "SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(COALESCE(MAX({c}), 0), $3, 1), GREATEST(COALESCE(MAX({c}), 0), $3) > 0) FROM {t}",
                    c = quoted(&col),
                    t = quoted(&t)
                ),
                vals![quoted(&t), col, floor],
            )
            .await?;
        }
        return Ok(());
    }
    for (t, n) in last {
        exec(
            txn,
            "UPDATE sqlite_sequence SET seq = MAX(seq, $2) WHERE name = $1",
            vals![t.clone(), *n],
        )
        .await?;
        exec(
            txn,
            "INSERT INTO sqlite_sequence (name, seq) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = $1)",
            vals![t.clone(), *n],
        )
        .await?;
    }
    Ok(())
}

/// `object`'s values in `table`'s column order, typed for binding; and its size in JSON.
fn row_values(table: &Table, mut object: Map<String, Json>) -> Result<(Vec<Value>, usize)> {
    let mut size = 0;
    let mut values = Vec::with_capacity(table.columns.len());
    for (column, kind) in &table.columns {
        let Some(v) = object.remove(column) else {
            return Err(StoreError::Config(format!(
                "archive : colonne {}.{column} absente d'une ligne",
                table.name
            )));
        };
        size += match &v {
            Json::String(s) => s.len(),
            _ => 8,
        };
        values.push(bind(&table.name, column, *kind, v)?);
    }
    if let Some(extra) = object.keys().next() {
        return Err(StoreError::Config(format!(
            "archive : colonne {}.{extra} inconnue de ce schéma",
            table.name
        )));
    }
    Ok((values, size))
}

/// One JSON value as the target column takes it.
fn bind(table: &str, column: &str, kind: ColumnKind, v: Json) -> Result<Value> {
    let bad = || StoreError::Config(format!("archive : valeur illisible dans {table}.{column}"));
    Ok(match (kind, v) {
        (ColumnKind::Integer, Json::Null) => Value::BigInt(None),
        (ColumnKind::Boolean, Json::Null) => Value::Bool(None),
        (ColumnKind::Text, Json::Null) => Value::String(None),
        (ColumnKind::Timestamp, Json::Null) => Value::ChronoDateTimeUtc(None),
        (ColumnKind::Date, Json::Null) => Value::ChronoDate(None),
        (ColumnKind::Bytes, Json::Null) => Value::Bytes(None),
        (ColumnKind::Integer, Json::Number(n)) => Value::BigInt(Some(n.as_i64().ok_or_else(bad)?)),
        (ColumnKind::Boolean, Json::Bool(b)) => Value::Bool(Some(b)),
        (ColumnKind::Text, Json::String(s)) => Value::String(Some(s)),
        (ColumnKind::Timestamp, Json::String(s)) => {
            Value::ChronoDateTimeUtc(Some(parse_instant(&s).ok_or_else(bad)?))
        }
        (ColumnKind::Date, Json::String(s)) => Value::ChronoDate(Some(
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| bad())?,
        )),
        (ColumnKind::Bytes, Json::String(s)) => Value::Bytes(Some(
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|_| bad())?,
        )),
        _ => return Err(bad()),
    })
}

/// A time as SQLite stores it (RFC 3339, or `YYYY-MM-DD HH:MM:SS[.f]` in UTC).
fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_as_sqlite_stores_them() {
        let t = parse_instant("2026-12-05T00:51:35.097242345+00:00").unwrap_or_default();
        assert_eq!(t.timestamp_subsec_nanos(), 97_242_345);
        let t = parse_instant("2026-11-24 10:00:00").unwrap_or_default();
        assert_eq!(t.to_rfc3339(), "2026-11-24T10:00:00+00:00");
        assert!(parse_instant("24/11/2026").is_none());
    }
}
