//! Every difference between SQLite and PostgreSQL lives here: row locks, id reservation,
//! integrity and foreign-key checks, the system catalogs, placeholders, the storage error
//! codes (disk full, I/O: see [`crate::health`]), the type tokens of the migrations, the
//! transaction mode, opening the pool ([`connect`]) and multi-row inserts ([`insert_rows`]:
//! `VALUES` on SQLite, one array per column on PostgreSQL). The rest of
//! the store writes one SQL text and asks this module whenever the two backends differ;
//! the future backup and restore go through it too.
//!
//! How the two serialise writers: on SQLite every write transaction begins `IMMEDIATE`
//! and holds the database's write lock until commit, so row locks are no-ops there; on
//! PostgreSQL writers lock the rows they read (`FOR UPDATE`) or an advisory key.

mod bulk_load;
pub(crate) mod connect;
mod rows;

pub(crate) use bulk_load::BulkLoad;
pub(crate) use rows::{MAX_PARAMS, insert_rows};

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, QueryResult, Statement,
    TransactionOptions, TryGetable, Value,
};

use crate::{Result, StoreError, vals};

// This module is the lowest layer of the store: it runs its own few statements rather
// than through `crate::sql`, which builds on it (placeholders).

/// A statement for the connection's backend, with its placeholders rewritten.
pub(crate) fn statement(c: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let b = c.get_database_backend();
    Statement::from_sql_and_values(b, placeholders(sql, b), values)
}

async fn exec(c: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<()> {
    c.execute_raw(statement(c, sql, values)).await?;
    Ok(())
}

async fn all(c: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>> {
    Ok(c.query_all_raw(statement(c, sql, values)).await?)
}

fn get<T: TryGetable>(r: &QueryResult, col: &str) -> Result<T> {
    Ok(r.try_get::<T>("", col)?)
}

pub(crate) fn is_postgres(c: &impl ConnectionTrait) -> bool {
    c.get_database_backend() == DatabaseBackend::Postgres
}

/// Whether the search's candidates are read the PostgreSQL way: the newest within scope
/// of each key from its index read backward, then merged (`LATERAL`); several sets of
/// keys intersected and sorted in a subquery before their scope is probed. Left to
/// itself, PostgreSQL walks the whole id index backward testing every row's key (seconds
/// for a rare name at 1,000,000 dossiers) or hashes every dossier of the scope. SQLite
/// reads the newest of a key set directly from its key index; it has no `LATERAL`.
pub(crate) fn sorts_candidates_first(c: &impl ConnectionTrait) -> bool {
    is_postgres(c)
}

/// The options of a write transaction: `BEGIN IMMEDIATE` on SQLite (a read that writes its
/// audit entry is a write).
pub(crate) fn write_options(backend: DatabaseBackend) -> TransactionOptions {
    TransactionOptions {
        sqlite_transaction_mode: (backend == DatabaseBackend::Sqlite)
            .then_some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    }
}

/// The suffix that locks the rows a `SELECT` reads until the end of the transaction:
/// ` FOR UPDATE` on PostgreSQL, nothing on SQLite (its `IMMEDIATE` transaction already
/// holds the write lock).
pub(crate) fn for_update(c: &impl ConnectionTrait) -> &'static str {
    if is_postgres(c) { " FOR UPDATE" } else { "" }
}

/// Locks the row `id` of `table` (a constant of the caller) until the end of the
/// transaction (PostgreSQL); nothing to do on SQLite.
pub(crate) async fn lock_row(
    txn: &DatabaseTransaction,
    table: &'static str,
    id: i64,
) -> Result<()> {
    if is_postgres(txn) {
        exec(
            txn,
            &format!("SELECT id FROM {table} WHERE id = $1 FOR UPDATE"),
            vals![id],
        )
        .await?;
    }
    Ok(())
}

/// Serialises the transactions that name the same keys, in the order given: on
/// PostgreSQL, transaction-scoped advisory locks; on SQLite, `BEGIN IMMEDIATE` already
/// serialises every writer.
pub(crate) async fn lock_keys(
    txn: &DatabaseTransaction,
    keys: impl IntoIterator<Item = String>,
) -> Result<()> {
    if !is_postgres(txn) {
        return Ok(());
    }
    for k in keys {
        exec(
            txn,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            vals![k],
        )
        .await?;
    }
    Ok(())
}

/// Reserves `n` new ids of `table` (a constant of the caller).
pub(crate) async fn reserve_ids(
    txn: &DatabaseTransaction,
    table: &'static str,
    n: usize,
) -> Result<Vec<i64>> {
    if n == 0 {
        return Ok(vec![]);
    }
    if is_postgres(txn) {
        return all(
            txn,
            &format!(
                "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, $1)"
            ),
            vals![n as i64],
        )
        .await?
            .iter()
            .map(|r| get::<i64>(r, "id"))
            .collect();
    }
    // SQLite, inside a BEGIN IMMEDIATE transaction: no other writer until commit.
    // AUTOINCREMENT never reuses an id: start above both the table and its sequence.
    let r = all(
        txn,
        &format!(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0), COALESCE((SELECT MAX(id) FROM {table}), 0)) AS m"
        ),
        vec![],
    )
    .await?;
    let max: i64 = get(r.first().ok_or(StoreError::NotFound)?, "m")?;
    let top = max + n as i64;
    // The sequence moves past the ids taken, so that a later reservation in the same
    // transaction starts above them even before their rows are written (a load reserves a
    // batch's ids while the previous batch is being written).
    exec(
        txn,
        "UPDATE sqlite_sequence SET seq = $1 WHERE name = $2",
        vals![top, table],
    )
    .await?;
    exec(
        txn,
        "INSERT INTO sqlite_sequence (name, seq) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = $1)",
        vals![table, top],
    )
    .await?;
    Ok((max + 1..=top).collect())
}

/// The integrity of the database, for `vigie check`: on SQLite `integrity_check` and
/// [`foreign_key_check`]; on PostgreSQL, that the database is reachable. `Err` holds the
/// French line to report.
pub(crate) async fn integrity_check(c: &impl ConnectionTrait) -> Result<Result<(), String>> {
    if is_postgres(c) {
        let rows = all(
            c,
            "SELECT COUNT(*) AS n FROM pg_stat_database WHERE datname = current_database()",
            vec![],
        )
        .await?;
        return Ok(match rows.first().map(|r| get::<i64>(r, "n")) {
            Some(Ok(1)) => Ok(()),
            _ => Err("base PostgreSQL introuvable".into()),
        });
    }
    let rows = all(c, "PRAGMA integrity_check", vec![]).await?;
    let first: String = rows
        .first()
        .map(|r| r.try_get_by_index::<String>(0))
        .transpose()?
        .unwrap_or_default();
    let broken = foreign_key_check(c).await?;
    Ok(if first != "ok" {
        Err(format!("integrity_check : {first}"))
    } else if broken > 0 {
        Err(format!(
            "{broken} référence(s) cassée(s) (foreign_key_check)"
        ))
    } else {
        Ok(())
    })
}

/// The number of broken references (SQLite's `foreign_key_check`; PostgreSQL enforces
/// its foreign keys at every statement: always 0 there).
pub(crate) async fn foreign_key_check(c: &impl ConnectionTrait) -> Result<usize> {
    if is_postgres(c) {
        return Ok(0);
    }
    Ok(all(c, "PRAGMA foreign_key_check", vec![]).await?.len())
}

/// The foreign keys declared in the database: (table, column, referenced table), in no
/// particular order.
pub(crate) async fn foreign_keys(
    c: &impl ConnectionTrait,
) -> Result<Vec<(String, String, String)>> {
    let sql = if is_postgres(c) {
        // The catalog, not `information_schema`, whose `constraint_column_usage` shows
        // only the tables the current role owns (not the application's role's).
        "SELECT t.relname::text AS tbl, a.attname::text AS col, r.relname::text AS target
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_class r ON r.oid = c.confrelid
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
         WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace"
    } else {
        "SELECT m.name AS tbl, f.\"from\" AS col, f.\"table\" AS target
         FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
         WHERE m.type = 'table'"
    };
    all(c, sql, vec![])
        .await?
        .iter()
        .map(|r| Ok((get(r, "tbl")?, get(r, "col")?, get(r, "target")?)))
        .collect()
}

/// Whether the table `name` exists (reading needs no right to create anything).
pub(crate) async fn table_exists(c: &impl ConnectionTrait, name: &str) -> Result<bool> {
    let sql = if is_postgres(c) {
        "SELECT 1 AS x WHERE to_regclass($1) IS NOT NULL"
    } else {
        "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = $1"
    };
    Ok(!all(c, sql, vals![name]).await?.is_empty())
}

/// The tables of the database (PostgreSQL: of its current schema), sorted (the backup's
/// list, and the tests' helpers).
pub(crate) async fn table_names(c: &impl ConnectionTrait) -> Result<Vec<String>> {
    let sql = if is_postgres(c) {
        "SELECT tablename::text AS t FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    } else {
        "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    };
    all(c, sql, vec![])
        .await?
        .iter()
        .map(|r| get::<String>(r, "t"))
        .collect()
}

/// Whether the backend has roles and privileges (PostgreSQL; SQLite has none).
pub(crate) fn has_roles(backend: DatabaseBackend) -> bool {
    backend == DatabaseBackend::Postgres
}

/// Whether a database error's code says the storage cannot write (disk full, I/O error,
/// read-only file), by the backend that raised it.
pub(crate) fn is_storage_error_code(d: &dyn sqlx::error::DatabaseError) -> bool {
    let code = d.code().unwrap_or_default();
    if d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        pg_storage_code(&code)
    } else {
        sqlite_storage_code(&code)
    }
}

/// SQLite: SQLITE_FULL, SQLITE_IOERR (and its extended codes), SQLITE_READONLY,
/// SQLITE_CANTOPEN (the primary code is the low byte of the extended one).
fn sqlite_storage_code(code: &str) -> bool {
    code.parse::<u32>()
        .is_ok_and(|n| matches!(n & 0xff, 8 | 10 | 13 | 14))
}

/// PostgreSQL: class 53 (insufficient resources: disk full, out of memory) and class 58
/// (system error: I/O).
fn pg_storage_code(code: &str) -> bool {
    code.starts_with("53") || code.starts_with("58")
}

/// Gives back the pages freed by rewritten rows, so that no cleared value lingers in the
/// file (SQLite `VACUUM`); PostgreSQL's free space is not readable by SQL: nothing to do.
pub(crate) async fn reclaim_free_pages(c: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    if !is_postgres(c) {
        c.execute_unprepared("VACUUM").await?;
    }
    Ok(())
}

/// The SQL expression of a child's age in whole years at the reception of its dossier
/// (UTC dates; `NULL` without a birth date), from person alias `p` and dossier alias `d`.
pub(crate) fn age_at_reception(c: &impl ConnectionTrait, p: &str, d: &str) -> String {
    if is_postgres(c) {
        format!(
            "CAST(EXTRACT(YEAR FROM age(CAST({d}.received_at AT TIME ZONE 'UTC' AS DATE), {p}.birth_date)) AS BIGINT)"
        )
    } else {
        format!(
            "(CAST(strftime('%Y', {d}.received_at) AS INTEGER) - CAST(strftime('%Y', {p}.birth_date) AS INTEGER) - (strftime('%m-%d', {d}.received_at) < strftime('%m-%d', {p}.birth_date)))"
        )
    }
}

/// Replaces the type tokens of the migrations (`{ID}`, `{BIGINT}`, `{BOOL}`, `{TS}`,
/// `{DATE}`, `{BYTES}`) and `{WITHOUT_ROWID}` (a table that is its primary key on SQLite)
/// for a backend.
pub fn render_types(sql: &str, backend: DatabaseBackend) -> String {
    let pg = backend == DatabaseBackend::Postgres;
    sql.replace(
        "{ID}",
        if pg {
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
        } else {
            "INTEGER PRIMARY KEY AUTOINCREMENT"
        },
    )
    .replace("{BIGINT}", if pg { "BIGINT" } else { "INTEGER" })
    .replace("{BOOL}", "BOOLEAN")
    .replace("{TS}", if pg { "TIMESTAMPTZ" } else { "TEXT" })
    .replace("{DATE}", if pg { "DATE" } else { "TEXT" })
    .replace("{BYTES}", if pg { "BYTEA" } else { "BLOB" })
    .replace("{WITHOUT_ROWID}", if pg { "" } else { " WITHOUT ROWID" })
}

/// Placeholders for the backend. SQLite reads `$1` as a *named* parameter, and sqlx asks
/// SQLite the name of every parameter it binds, which SQLite finds by a linear scan:
/// quadratic on a multi-row insert with thousands of parameters. So on SQLite, `$1, $2, …`
/// in textual order become anonymous `?`; any other order or a reused number keeps the
/// numbered form `?N`.
pub fn placeholders(sql: &str, backend: DatabaseBackend) -> std::borrow::Cow<'_, str> {
    if backend != DatabaseBackend::Sqlite || !sql.contains('$') {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut anonymous = String::with_capacity(sql.len());
    let mut numbered = String::with_capacity(sql.len());
    let mut in_order = true;
    let mut expected = 1u64;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut n = String::new();
            while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                n.push(d);
                chars.next();
            }
            in_order &= n.parse::<u64>().ok() == Some(expected);
            expected += 1;
            anonymous.push('?');
            numbered.push('?');
            numbered.push_str(&n);
        } else {
            anonymous.push(c);
            numbered.push(c);
        }
    }
    std::borrow::Cow::Owned(if in_order { anonymous } else { numbered })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_placeholders_for_sqlite_only() {
        assert_eq!(
            placeholders("a = $1 AND b = $12", DatabaseBackend::Sqlite),
            "a = ?1 AND b = ?12"
        );
        assert_eq!(placeholders("a = $1", DatabaseBackend::Postgres), "a = $1");
    }

    #[test]
    fn storage_failures_are_told_apart() {
        assert!(sqlite_storage_code("13")); // SQLITE_FULL
        assert!(sqlite_storage_code("778")); // SQLITE_IOERR_WRITE
        assert!(sqlite_storage_code("8")); // SQLITE_READONLY
        assert!(!sqlite_storage_code("2067")); // SQLITE_CONSTRAINT_UNIQUE
        assert!(!sqlite_storage_code("5")); // SQLITE_BUSY
        assert!(pg_storage_code("53100")); // disk_full
        assert!(pg_storage_code("58030")); // io_error
        assert!(!pg_storage_code("23505")); // unique_violation
        assert!(!pg_storage_code("40001")); // serialization_failure
    }
}
