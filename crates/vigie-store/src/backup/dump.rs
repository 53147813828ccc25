//! The backup's side: one read transaction from which every table and document is read.

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use futures_util::StreamExt;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseTransaction, IsolationLevel, QueryResult, StreamTrait,
    TransactionTrait,
};
use serde_json::{Map, Value as Json};

use super::{ColumnKind, Table, quoted};
use crate::backend::{is_postgres, statement};
use crate::db::Store;
use crate::sql::get;
use crate::{Result, StoreError};

/// One consistent view of the database, for as long as the backup reads.
#[derive(Debug)]
pub struct Snapshot {
    txn: DatabaseTransaction,
}

/// A document's bytes as the snapshot streams them.
#[derive(Debug)]
pub enum DocumentPart<'a> {
    /// A document begins: its id and recorded size.
    Start { id: i64, size: u64 },
    /// The next bytes of the current document.
    Bytes(&'a [u8]),
}

impl Store {
    /// Opens the snapshot a backup reads from (with the application's role: reading only).
    pub async fn snapshot(&self) -> Result<Snapshot> {
        let txn = if self.has_roles() {
            self.db
                .begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await?
        } else {
            self.db.begin().await?
        };
        // SQLite takes its snapshot at the first read: now, not at the first table.
        txn.execute_unprepared("SELECT 1 FROM schema_migrations LIMIT 1")
            .await?;
        Ok(Snapshot { txn })
    }
}

impl Snapshot {
    /// The schema version seen by the snapshot.
    pub async fn schema_version(&self) -> Result<i64> {
        crate::migrate::version_of(&self.txn).await
    }

    /// `postgresql` or `sqlite`.
    pub fn backend_name(&self) -> &'static str {
        if is_postgres(&self.txn) {
            "postgresql"
        } else {
            "sqlite"
        }
    }

    /// The rows of `table` (for the progress bar).
    pub async fn count(&self, table: &str) -> Result<u64> {
        super::count(&self.txn, table).await
    }

    /// The tables to save, parents first (see [`super::LEFT_OUT`]).
    pub async fn tables(&self) -> Result<Vec<Table>> {
        super::tables(&self.txn).await
    }

    /// The audit chain's head as the snapshot sees it: (sequence number, hash).
    pub async fn audit_head(&self) -> Result<(i64, String)> {
        let h = crate::audit::head_of(&self.txn, "").await?;
        Ok((h.seq, h.hash))
    }

    /// The fingerprints of the instance keys that signed the chain, by key number.
    pub async fn key_fingerprints(&self) -> Result<Vec<(i64, String)>> {
        Ok(crate::audit::key_segments(&self.txn)
            .await?
            .into_iter()
            .map(|k| (k.id, k.fingerprint))
            .collect())
    }

    /// The last id each table's counter gave (PostgreSQL identity sequences, SQLite
    /// `AUTOINCREMENT`), so that a restore never gives again the id of a deleted row.
    pub async fn sequences(&self) -> Result<std::collections::BTreeMap<String, i64>> {
        if !is_postgres(&self.txn) {
            return crate::sql::all(
                &self.txn,
                "SELECT name AS t, seq FROM sqlite_sequence",
                vec![],
            )
            .await?
            .iter()
            .map(|r| Ok((get(r, "t")?, get(r, "seq")?)))
            .collect();
        }
        let mut out = std::collections::BTreeMap::new();
        for (table, column) in super::identity_columns(&self.txn).await? {
            let last = crate::sql::one(
                &self.txn,
                "SELECT COALESCE(last_value, 0) AS seq FROM pg_sequences
                 WHERE quote_ident(schemaname) || '.' || quote_ident(sequencename)
                     = pg_get_serial_sequence($1, $2)",
                crate::vals![quoted(&table), column],
            )
            .await?
            .map(|r| get::<i64>(&r, "seq"))
            .transpose()?
            .unwrap_or(0);
            out.insert(table, last);
        }
        Ok(out)
    }

    /// Streams `table`'s rows in primary-key order to `each`, as JSON objects; returns
    /// how many. An error of `each` (the archive's writing) stops the reading.
    pub async fn rows(
        &self,
        table: &Table,
        each: &mut (dyn FnMut(Map<String, Json>) -> std::io::Result<()> + Send),
    ) -> Result<u64> {
        let columns: Vec<String> = table.columns.iter().map(|(c, _)| quoted(c)).collect();
        let key: Vec<String> = table.key.iter().map(|c| quoted(c)).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            columns.join(", "),
            quoted(&table.name),
            key.join(", ")
        );
        let pg = is_postgres(&self.txn);
        let mut stream = self
            .txn
            .stream_raw(statement(&self.txn, &sql, vec![]))
            .await?;
        let mut n = 0u64;
        while let Some(row) = stream.next().await {
            let row = row?;
            let mut object = Map::with_capacity(table.columns.len());
            for (i, (name, kind)) in table.columns.iter().enumerate() {
                object.insert(name.clone(), value(&row, i, *kind, pg)?);
            }
            each(object).map_err(write_error)?;
            n += 1;
        }
        Ok(n)
    }

    /// Streams every document's bytes, by id, chunk after chunk; returns how many documents.
    /// A removed document has no content left: its row is in `tables/`, its bytes nowhere.
    pub async fn documents(
        &self,
        each: &mut (dyn FnMut(DocumentPart<'_>) -> std::io::Result<()> + Send),
    ) -> Result<u64> {
        // Removals exist from schema version 15 on.
        let removed = if self.schema_version().await? >= 15 {
            "WHERE NOT EXISTS (SELECT 1 FROM document_removal rm WHERE rm.document_id = d.id)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT d.id, d.size, c.data FROM document d
             LEFT JOIN document_chunk c ON c.document_id = d.id {removed}
             ORDER BY d.id, c.seq"
        );
        let sql = sql.as_str();
        let mut stream = self
            .txn
            .stream_raw(statement(&self.txn, sql, vec![]))
            .await?;
        let mut current: Option<i64> = None;
        let mut n = 0u64;
        while let Some(row) = stream.next().await {
            let row = row?;
            let id: i64 = get(&row, "id")?;
            if current != Some(id) {
                let size: i64 = get(&row, "size")?;
                each(DocumentPart::Start {
                    id,
                    size: u64::try_from(size).unwrap_or(0),
                })
                .map_err(write_error)?;
                current = Some(id);
                n += 1;
            }
            if let Some(data) = get::<Option<Vec<u8>>>(&row, "data")? {
                each(DocumentPart::Bytes(&data)).map_err(write_error)?;
            }
        }
        Ok(n)
    }

    /// Ends the read transaction.
    pub async fn finish(self) -> Result<()> {
        self.txn.rollback().await?;
        Ok(())
    }
}

/// The archive could not be written (disk full, closed pipe): said as such.
fn write_error(e: std::io::Error) -> StoreError {
    StoreError::Config(format!("écriture de l'archive impossible : {e}"))
}

/// Column `i` of `row` in JSON.
fn value(row: &QueryResult, i: usize, kind: ColumnKind, pg: bool) -> Result<Json> {
    let at = StoreError::from;
    Ok(match kind {
        // PostgreSQL `integer` columns (a few) are read as such.
        ColumnKind::Integer => match row.try_get_by_index::<Option<i64>>(i) {
            Ok(v) => v,
            Err(_) => row
                .try_get_by_index::<Option<i32>>(i)
                .map_err(at)?
                .map(i64::from),
        }
        .map_or(Json::Null, Json::from),
        ColumnKind::Boolean => row
            .try_get_by_index::<Option<bool>>(i)
            .map_err(at)?
            .map_or(Json::Null, Json::from),
        ColumnKind::Text => row
            .try_get_by_index::<Option<String>>(i)
            .map_err(at)?
            .map_or(Json::Null, Json::from),
        ColumnKind::Timestamp if pg => row
            .try_get_by_index::<Option<DateTime<Utc>>>(i)
            .map_err(at)?
            .map_or(Json::Null, |t| {
                Json::from(t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
            }),
        ColumnKind::Date if pg => row
            .try_get_by_index::<Option<NaiveDate>>(i)
            .map_err(at)?
            .map_or(Json::Null, |d| Json::from(d.format("%F").to_string())),
        // SQLite's times are its text, kept as it is.
        ColumnKind::Timestamp | ColumnKind::Date => row
            .try_get_by_index::<Option<String>>(i)
            .map_err(at)?
            .map_or(Json::Null, Json::from),
        ColumnKind::Bytes => row
            .try_get_by_index::<Option<Vec<u8>>>(i)
            .map_err(at)?
            .map_or(Json::Null, |b| {
                Json::from(base64::engine::general_purpose::STANDARD.encode(b))
            }),
    })
}
