//! Opening the connection pool: a SQLite file (created when needed, WAL, a fixed page
//! cache) or a PostgreSQL server; and the database URL that chooses between them.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sea_orm::{DatabaseConnection, SqlxPostgresConnector, SqlxSqliteConnector};
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

use crate::{Result, StoreError};

/// A SQLite page limit read at every acquisition (`PRAGMA max_page_count`): tests make a
/// database "full" at a chosen size, then give the space back, without root.
pub type PageLimit = std::sync::Arc<std::sync::atomic::AtomicU32>;

/// A database URL: `sqlite://path/to/file.db` or `postgres://…` (TLS with `sslmode=verify-full`).
/// Its `Debug` and `Display` hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl(String);

impl DbUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }

    /// The PostgreSQL role the URL connects as (`None` on SQLite).
    pub fn postgres_role(&self) -> Option<String> {
        if self.is_sqlite() {
            return None;
        }
        PgConnectOptions::from_str(self.expose())
            .ok()
            .map(|o| o.get_username().to_owned())
    }

    /// Whether two PostgreSQL URLs name the same server and database (a database left
    /// out of a URL is the user's name, as for `psql`).
    pub fn same_postgres_database(&self, other: &DbUrl) -> bool {
        let target = |u: &DbUrl| {
            PgConnectOptions::from_str(u.expose()).ok().map(|o| {
                (
                    o.get_host().to_owned(),
                    o.get_port(),
                    o.get_socket().cloned(),
                    o.get_database()
                        .unwrap_or_else(|| o.get_username())
                        .to_owned(),
                )
            })
        };
        !self.is_sqlite()
            && !other.is_sqlite()
            && target(self).is_some()
            && target(self) == target(other)
    }

    /// The SQLite file path, when it is one.
    pub fn sqlite_path(&self) -> Option<&str> {
        let rest = self
            .0
            .strip_prefix("sqlite://")
            .or_else(|| self.0.strip_prefix("sqlite:"))?;
        Some(rest.split('?').next().unwrap_or(rest))
    }
}

impl FromStr for DbUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.starts_with("sqlite:") {
            let u = DbUrl(s.to_owned());
            match u.sqlite_path() {
                Some(p) if !p.is_empty() => Ok(u),
                _ => Err(
                    "VIGIE_DATABASE_URL : chemin SQLite manquant (ex. sqlite://data/vigie.db)"
                        .into(),
                ),
            }
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            PgConnectOptions::from_str(s)
                .map(|_| DbUrl(s.to_owned()))
                .map_err(|_| "VIGIE_DATABASE_URL : URL PostgreSQL invalide (ex. postgres://vigie@db.example/vigie?sslmode=verify-full)".into())
        } else {
            Err("VIGIE_DATABASE_URL : doit commencer par sqlite:// ou postgres://".into())
        }
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hide a password in `scheme://user:password@host`.
        let s = &self.0;
        if let Some((scheme, rest)) = s.split_once("://")
            && let Some((userinfo, host)) = rest.split_once('@')
            && let Some((user, _)) = userinfo.split_once(':')
        {
            return write!(f, "{scheme}://{user}:***@{host}");
        }
        f.write_str(s)
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({self})")
    }
}

/// Whether a pooled connection is outside any transaction, as the pool requires: a
/// connection whose `COMMIT` or `ROLLBACK` failed (disk full, I/O error, a server that went
/// away) still counts a transaction open, and would turn the next `BEGIN` into a savepoint
/// inside a transaction that never commits — saves acknowledged, then lost. Such a
/// connection is closed (which rolls back and releases SQLite's write lock), never reused.
fn outside_transaction<DB: sqlx::Database>(conn: &DB::Connection) -> bool {
    let inside = sqlx::Connection::is_in_transaction(conn);
    if inside {
        tracing::warn!(
            "connexion à la base laissée dans une transaction (validation ou annulation en échec) : fermée"
        );
    }
    !inside
}

/// SQLite page cache per connection, fixed (in KiB, as a negative `cache_size`).
const SQLITE_CACHE_KIB: i64 = 16 * 1024;

/// Opens the pool for `url` (creating the SQLite file and its directory when needed).
pub(crate) async fn open(url: &DbUrl, page_limit: Option<PageLimit>) -> Result<DatabaseConnection> {
    Ok(if let Some(path) = url.sqlite_path() {
        if let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Config(format!(
                    "impossible de créer le dossier {} : {e}",
                    dir.display()
                ))
            })?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"))
            .pragma("temp_store", "memory");
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .before_acquire(move |conn, _| {
                let limit = page_limit.clone();
                Box::pin(async move {
                    if let Some(l) = limit {
                        let n = l.load(std::sync::atomic::Ordering::SeqCst);
                        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {n}")))
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(outside_transaction::<sqlx::Sqlite>(conn))
                })
            })
            .after_release(|conn, _| {
                Box::pin(async move {
                    // Runs the rollback a dropped transaction queued, then checks.
                    sqlx::Connection::ping(&mut *conn).await?;
                    Ok(outside_transaction::<sqlx::Sqlite>(conn))
                })
            })
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Config(format!("base SQLite {path} inaccessible : {e}")))?;
        SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
    } else {
        let opts = PgConnectOptions::from_str(url.expose()).map_err(|_| {
            StoreError::Config("VIGIE_DATABASE_URL : URL PostgreSQL invalide".into())
        })?;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .before_acquire(|conn, _| {
                Box::pin(async move { Ok(outside_transaction::<sqlx::Postgres>(conn)) })
            })
            // A dropped transaction's ROLLBACK is queued and counted at once here (sqlx
            // sends it with its own ping after this check): no extra round trip.
            .after_release(|conn, _| {
                Box::pin(async move { Ok(outside_transaction::<sqlx::Postgres>(conn)) })
            })
            .connect_with(opts)
            .await
            .map_err(|e| {
                StoreError::Config(format!(
                    "PostgreSQL ({url}) inaccessible : {}",
                    pg_reason(&e)
                ))
            })?;
        SqlxPostgresConnector::from_sqlx_postgres_pool(pool)
    })
}

fn pg_reason(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Tls(t) => format!("TLS : {t}"),
        sqlx::Error::Database(d) => d.message().to_owned(),
        sqlx::Error::PoolTimedOut => "délai de connexion dépassé".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(
            "sqlite://data/vigie.db"
                .parse::<DbUrl>()
                .unwrap()
                .is_sqlite()
        );
        assert_eq!(
            "sqlite://data/vigie.db?mode=rwc"
                .parse::<DbUrl>()
                .unwrap()
                .sqlite_path(),
            Some("data/vigie.db")
        );
        let pg: DbUrl = "postgres://vigie:secret@db.local/vigie?sslmode=verify-full"
            .parse()
            .unwrap();
        assert_eq!(
            pg.to_string(),
            "postgres://vigie:***@db.local/vigie?sslmode=verify-full"
        );
        assert!(!format!("{pg:?}").contains("secret"));
        assert!("mysql://x".parse::<DbUrl>().is_err());
        assert!("sqlite://".parse::<DbUrl>().is_err());
        assert!("postgres://a:b@h:notaport/db".parse::<DbUrl>().is_err());
    }
}
