//! Whether the database can write, for `/healthz`: a real write, at most once per
//! [`PROBE_EVERY`], and the storage failures (disk full, I/O errors) seen since the last probe.
//!
//! A database that answers `SELECT 1` may still refuse every save (a full disk): load
//! balancers and supervision must learn it from `/healthz`, not from the agents.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Duration, Utc};

use crate::db::{Probe, STORAGE_FAILURES, Store};
use crate::sql::exec;
use crate::{Result, vals};

/// At most one write probe in this interval; in between, the last answer is given.
pub const PROBE_EVERY: Duration = Duration::seconds(10);

/// The probe writes this much (several pages: a full database refuses it as it refuses a save).
const PROBE_BYTES: usize = 16 * 1024;

/// Counts a database error when it says the storage cannot write.
pub(crate) fn note(e: &sea_orm::DbErr) {
    if is_storage_failure(e) {
        STORAGE_FAILURES.fetch_add(1, Ordering::Relaxed);
    }
}

/// Whether a database error says the storage cannot write.
pub fn is_storage_failure(e: &sea_orm::DbErr) -> bool {
    let sqlx_err = match e {
        sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(x))
        | sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(x))
        | sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(x)) => x,
        _ => return false,
    };
    let sqlx::Error::Database(d) = &**sqlx_err else {
        return false;
    };
    crate::backend::is_storage_error_code(&**d)
}

impl Store {
    /// Whether the database accepts a write now: a write transaction that stores and
    /// replaces [`PROBE_BYTES`] (committed), at most once per [`PROBE_EVERY`], and no storage
    /// failure since the previous probe. In between, the last answer.
    pub async fn can_write(&self, now: DateTime<Utc>) -> bool {
        let Ok(state) = self.probe.lock().map(|p| *p) else {
            return false;
        };
        if let Some((at, ok)) = state.last
            && now >= at
            && now - at < PROBE_EVERY
        {
            return ok;
        }
        let failures = STORAGE_FAILURES.load(Ordering::Relaxed);
        let wrote = self.write_probe(now).await;
        if let Err(e) = &wrote {
            tracing::warn!(error = %e, "sonde d'écriture : la base n'accepte pas d'écriture");
        }
        let ok = wrote.is_ok() && state.failures == failures;
        if let Ok(mut p) = self.probe.lock() {
            *p = Probe {
                last: Some((now, ok)),
                failures: STORAGE_FAILURES.load(Ordering::Relaxed),
            };
        }
        ok
    }

    async fn write_probe(&self, now: DateTime<Utc>) -> Result<()> {
        // A fresh value each time, replacing the last one: several pages to write.
        let stamp = now.timestamp_micros().to_string();
        let value: String = stamp.chars().cycle().take(PROBE_BYTES).collect();
        let txn = self.write().await?;
        exec(
            &txn,
            "DELETE FROM setting WHERE key = $1",
            vals!["sonde_ecriture"],
        )
        .await?;
        exec(
            &txn,
            "INSERT INTO setting (key, value) VALUES ($1, $2)",
            vals!["sonde_ecriture", value],
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
