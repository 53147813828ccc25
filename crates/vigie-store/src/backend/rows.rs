//! Multi-row inserts. SQLite takes `INSERT … VALUES (…), (…)` with up to [`MAX_PARAMS`]
//! bound parameters: cheap there. On PostgreSQL such a statement is parsed and planned
//! anew for every row count, so rows go in as one typed array per column, `INSERT …
//! SELECT … FROM UNNEST($1::bigint[], …)`: one short statement per table, prepared once
//! per connection, its arrays sent in binary.
//!
//! The arrays the driver binds cannot hold a NULL, so each column's array holds a
//! placeholder where the value is NULL, and each row a bitmap of its NULL columns (one
//! `bigint`): one statement text per table whatever its NULLs.
//!
//! A PostgreSQL statement carries at most [`PG_STATEMENT_BYTES`] of values. sqlx 0.9.0
//! leaves Nagle's algorithm on (no `TCP_NODELAY`, sqlx issue 4335, fixed upstream but
//! not released), and a message longer than one write — over TLS, one record of 16 KiB —
//! waits for the server's delayed acknowledgement of its first part: 40 ms on Linux, per
//! statement, whatever its size (100,000 demo dossiers: 229 s that way, 41 s in small
//! statements). A small statement goes out in one write and never waits. Once sqlx sets
//! `TCP_NODELAY` again, the cap can grow.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::ArrayType;
use sea_orm::{DatabaseTransaction, Value};

use super::{exec, is_postgres};
use crate::Result;

/// At most this many bound parameters per statement (SQLite's limit is 32,766).
pub(crate) const MAX_PARAMS: usize = 30_000;

/// At most about this many bytes of values per PostgreSQL statement, so that the whole
/// message fits in one TLS record (16,384 bytes) with its headers.
const PG_STATEMENT_BYTES: usize = 15_000;

/// Inserts `rows` with `head`, `INSERT INTO table (columns)`: every row has one value
/// per column, in the columns' order.
pub(crate) async fn insert_rows(
    txn: &DatabaseTransaction,
    head: &str,
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    if is_postgres(txn)
        && let Some(kinds) = column_kinds(&rows)
    {
        let sql = unnest_sql(head, &kinds);
        for chunk in pg_chunks(&kinds, rows) {
            exec(txn, &sql, column_arrays(&kinds, chunk)).await?;
        }
        return Ok(());
    }
    let per = (MAX_PARAMS / width.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per).collect();
        let (sql, values) = values_sql(head, chunk);
        exec(txn, &sql, values).await?;
    }
    Ok(())
}

/// `head VALUES ($1, $2), ($3, $4), …` and its values, row after row.
fn values_sql(head: &str, rows: Vec<Vec<Value>>) -> (String, Vec<Value>) {
    let mut sql = String::with_capacity(head.len() + 8 * rows.len() * rows[0].len());
    sql.push_str(head);
    sql.push_str(" VALUES ");
    let mut values = Vec::with_capacity(rows.len() * rows[0].len());
    for (i, row) in rows.into_iter().enumerate() {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for (j, v) in row.into_iter().enumerate() {
            values.push(v);
            if j > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&values.len().to_string());
        }
        sql.push(')');
    }
    (sql, values)
}

/// The PostgreSQL type of a column's array, as its values are bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    BigInt,
    Text,
    Bool,
    Date,
    TimestampTz,
}

impl Kind {
    /// The kind of a value, NULL or not (the driver's values carry their type); `None`
    /// for the types no bulk insert writes.
    fn of(v: &Value) -> Option<Self> {
        Some(match v {
            Value::TinyInt(_)
            | Value::SmallInt(_)
            | Value::Int(_)
            | Value::BigInt(_)
            | Value::TinyUnsigned(_)
            | Value::SmallUnsigned(_)
            | Value::Unsigned(_) => Self::BigInt,
            Value::String(_) => Self::Text,
            Value::Bool(_) => Self::Bool,
            Value::ChronoDate(_) => Self::Date,
            Value::ChronoDateTimeUtc(_) => Self::TimestampTz,
            _ => return None,
        })
    }

    fn sql(self) -> &'static str {
        match self {
            Self::BigInt => "bigint",
            Self::Text => "text",
            Self::Bool => "boolean",
            Self::Date => "date",
            Self::TimestampTz => "timestamptz",
        }
    }

    fn array_type(self) -> ArrayType {
        match self {
            Self::BigInt => ArrayType::BigInt,
            Self::Text => ArrayType::String,
            Self::Bool => ArrayType::Bool,
            Self::Date => ArrayType::ChronoDate,
            Self::TimestampTz => ArrayType::ChronoDateTimeUtc,
        }
    }

    /// `v` as an array element of this kind; `None` when `v` is NULL (or, which
    /// [`column_kinds`] excludes, of another kind).
    fn element(self, v: Value) -> Option<Value> {
        let i = |x: Option<i64>| x.map(|x| Value::BigInt(Some(x)));
        match (self, v) {
            (Self::BigInt, Value::TinyInt(x)) => i(x.map(i64::from)),
            (Self::BigInt, Value::SmallInt(x)) => i(x.map(i64::from)),
            (Self::BigInt, Value::Int(x)) => i(x.map(i64::from)),
            (Self::BigInt, Value::BigInt(x)) => i(x),
            (Self::BigInt, Value::TinyUnsigned(x)) => i(x.map(i64::from)),
            (Self::BigInt, Value::SmallUnsigned(x)) => i(x.map(i64::from)),
            (Self::BigInt, Value::Unsigned(x)) => i(x.map(i64::from)),
            (Self::Text, Value::String(Some(s))) => Some(Value::String(Some(s))),
            (Self::Bool, Value::Bool(Some(b))) => Some(Value::Bool(Some(b))),
            (Self::Date, Value::ChronoDate(Some(d))) => Some(Value::ChronoDate(Some(d))),
            (Self::TimestampTz, Value::ChronoDateTimeUtc(Some(t))) => {
                Some(Value::ChronoDateTimeUtc(Some(t)))
            }
            _ => None,
        }
    }

    /// The bytes `v` takes in its array (length prefix and value; a NULL, its
    /// placeholder's).
    fn size(self, v: &Value) -> usize {
        4 + match (self, v) {
            (Self::Text, Value::String(Some(s))) => s.len(),
            (Self::Text, _) => 0,
            (Self::BigInt | Self::TimestampTz, _) => 8,
            (Self::Bool, _) => 1,
            (Self::Date, _) => 4,
        }
    }

    /// The element that stands where the value is NULL (the row's bitmap says so).
    fn placeholder(self) -> Value {
        match self {
            Self::BigInt => Value::BigInt(Some(0)),
            Self::Text => Value::String(Some(String::new())),
            Self::Bool => Value::Bool(Some(false)),
            Self::Date => Value::ChronoDate(Some(NaiveDate::default())),
            Self::TimestampTz => Value::ChronoDateTimeUtc(Some(DateTime::<Utc>::default())),
        }
    }
}

/// Each column's kind, the same in every row; `None` when a value has no kind, two rows
/// disagree or the columns are too many for the NULL bitmap (then the rows go in as
/// `VALUES`).
fn column_kinds(rows: &[Vec<Value>]) -> Option<Vec<Kind>> {
    let kinds = rows
        .first()?
        .iter()
        .map(Kind::of)
        .collect::<Option<Vec<_>>>()?;
    (kinds.len() < 64
        && rows.iter().all(|r| {
            r.len() == kinds.len() && r.iter().zip(&kinds).all(|(v, k)| Kind::of(v) == Some(*k))
        }))
    .then_some(kinds)
}

/// `head SELECT CASE WHEN u.n & 1 = 0 THEN u.v1 END, … FROM UNNEST($1::bigint[],
/// $2::bigint[], …) AS u(n, v1, …)`: `n` is the row's NULL bitmap, bit `c - 1` for
/// column `c`.
fn unnest_sql(head: &str, kinds: &[Kind]) -> String {
    let select: Vec<String> = (1..=kinds.len())
        .map(|c| format!("CASE WHEN (u.n & {}) = 0 THEN u.v{c} END", 1u64 << (c - 1)))
        .collect();
    let arrays: Vec<String> = kinds
        .iter()
        .enumerate()
        .map(|(i, k)| format!("${}::{}[]", i + 2, k.sql()))
        .collect();
    let names: Vec<String> = (1..=kinds.len()).map(|c| format!("v{c}")).collect();
    format!(
        "{head} SELECT {} FROM UNNEST($1::bigint[], {}) AS u(n, {})",
        select.join(", "),
        arrays.join(", "),
        names.join(", ")
    )
}

/// The rows cut into statements of at most about [`PG_STATEMENT_BYTES`] of values
/// (a longer row goes alone).
fn pg_chunks(kinds: &[Kind], rows: Vec<Vec<Value>>) -> Vec<Vec<Vec<Value>>> {
    // Per array: its length prefix and header (dimensions, flags, element type).
    let fixed = (kinds.len() + 1) * 24;
    let mut chunks = Vec::new();
    let mut chunk = Vec::new();
    let mut bytes = fixed;
    for row in rows {
        // The row's bitmap, then its elements, each with its length prefix.
        let size = 12 + row.iter().zip(kinds).map(|(v, k)| k.size(v)).sum::<usize>();
        if !chunk.is_empty() && bytes + size > PG_STATEMENT_BYTES {
            chunks.push(std::mem::take(&mut chunk));
            bytes = fixed;
        }
        bytes += size;
        chunk.push(row);
    }
    if !chunk.is_empty() {
        chunks.push(chunk);
    }
    chunks
}

/// The parameters of [`unnest_sql`]: the rows' NULL bitmaps, then each column's values.
fn column_arrays(kinds: &[Kind], rows: Vec<Vec<Value>>) -> Vec<Value> {
    let mut nulls = Vec::with_capacity(rows.len());
    let mut columns: Vec<Vec<Value>> = kinds
        .iter()
        .map(|_| Vec::with_capacity(rows.len()))
        .collect();
    for row in rows {
        let mut bits = 0i64;
        for (c, ((v, k), values)) in row.into_iter().zip(kinds).zip(&mut columns).enumerate() {
            let e = k.element(v).unwrap_or_else(|| {
                bits |= 1 << c;
                k.placeholder()
            });
            values.push(e);
        }
        nulls.push(Value::BigInt(Some(bits)));
    }
    std::iter::once(Value::Array(ArrayType::BigInt, Some(Box::new(nulls))))
        .chain(
            kinds
                .iter()
                .zip(columns)
                .map(|(k, values)| Value::Array(k.array_type(), Some(Box::new(values)))),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_travel_as_arrays_with_a_null_bitmap() {
        let rows = vec![
            vec![
                Value::BigInt(Some(1)),
                Value::String(None),
                Value::Int(Some(7)),
            ],
            vec![
                Value::BigInt(Some(2)),
                Value::String(Some("a".into())),
                Value::Int(None),
            ],
        ];
        let kinds = column_kinds(&rows).expect("kinds");
        assert_eq!(kinds, vec![Kind::BigInt, Kind::Text, Kind::BigInt]);
        assert_eq!(
            unnest_sql("INSERT INTO t (a, b, c)", &kinds),
            "INSERT INTO t (a, b, c) SELECT CASE WHEN (u.n & 1) = 0 THEN u.v1 END, \
             CASE WHEN (u.n & 2) = 0 THEN u.v2 END, CASE WHEN (u.n & 4) = 0 THEN u.v3 END \
             FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::bigint[]) AS u(n, v1, v2, v3)"
        );
        let big = |xs: Vec<i64>| {
            Value::Array(
                ArrayType::BigInt,
                Some(Box::new(
                    xs.into_iter().map(|x| Value::BigInt(Some(x))).collect(),
                )),
            )
        };
        let text = |xs: Vec<&str>| {
            Value::Array(
                ArrayType::String,
                Some(Box::new(
                    xs.into_iter()
                        .map(|x| Value::String(Some(x.into())))
                        .collect(),
                )),
            )
        };
        assert_eq!(
            column_arrays(&kinds, rows),
            vec![
                big(vec![0b010, 0b100]),
                big(vec![1, 2]),
                text(vec!["", "a"]),
                big(vec![7, 0])
            ]
        );
    }

    #[test]
    fn statements_stay_small() {
        let kinds = [Kind::BigInt, Kind::Text];
        let row = |n: usize| vec![Value::BigInt(Some(1)), Value::String(Some("x".repeat(n)))];
        // 12 (bitmap) + 12 + 4 + 1,000 bytes a row: 14 rows a statement.
        let chunks = pg_chunks(&kinds, (0..30).map(|_| row(1_000)).collect());
        assert_eq!(
            chunks.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![14, 14, 2]
        );
        // A row longer than a statement goes alone.
        let chunks = pg_chunks(&kinds, vec![row(10), row(20_000), row(10)]);
        assert_eq!(
            chunks.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![1, 1, 1]
        );
    }

    #[test]
    fn rows_of_mixed_kinds_go_in_as_values() {
        let rows = vec![
            vec![Value::BigInt(Some(1))],
            vec![Value::String(Some("x".into()))],
        ];
        assert_eq!(column_kinds(&rows), None);
        assert_eq!(column_kinds(&[vec![Value::Double(Some(1.0))]]), None);
        assert_eq!(column_kinds(&[vec![Value::Bool(None); 64]]), None);
        let (sql, values) = values_sql("INSERT INTO t (a)", rows);
        assert_eq!(sql, "INSERT INTO t (a) VALUES ($1), ($2)");
        assert_eq!(values.len(), 2);
    }
}
