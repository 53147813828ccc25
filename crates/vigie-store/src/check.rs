//! `vigie check`: schema version, integrity, counts.

use crate::Result;
use crate::audit::Verification;
use crate::db::Store;
use crate::sql::{all, get};

/// What `vigie check` reports.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub schema_version: i64,
    pub binary_version: i64,
    /// Database integrity (SQLite `integrity_check` and `foreign_key_check`; PostgreSQL: reachable).
    pub integrity: Result<(), String>,
    pub audit: Verification,
    pub counts: Vec<(&'static str, i64)>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.schema_version == self.binary_version
            && self.integrity.is_ok()
            && self.audit.broken.is_none()
    }
}

impl Store {
    pub async fn check(&self) -> Result<CheckReport> {
        let schema_version = self.schema_version().await?;
        let integrity = if self.is_sqlite() {
            let rows = all(&self.db, "PRAGMA integrity_check", vec![]).await?;
            let first: String = rows
                .first()
                .map(|r| r.try_get_by_index::<String>(0))
                .transpose()?
                .unwrap_or_default();
            let fk = all(&self.db, "PRAGMA foreign_key_check", vec![]).await?;
            if first != "ok" {
                Err(format!("integrity_check : {first}"))
            } else if !fk.is_empty() {
                Err(format!(
                    "{} référence(s) cassée(s) (foreign_key_check)",
                    fk.len()
                ))
            } else {
                Ok(())
            }
        } else {
            let rows = all(
                &self.db,
                "SELECT COUNT(*) AS n FROM pg_stat_database WHERE datname = current_database()",
                vec![],
            )
            .await?;
            match rows.first().map(|r| get::<i64>(r, "n")) {
                Some(Ok(1)) => Ok(()),
                _ => Err("base PostgreSQL introuvable".into()),
            }
        };
        Ok(CheckReport {
            schema_version,
            binary_version: crate::migrate::latest_version(),
            integrity,
            audit: self.verify_audit().await?,
            counts: self.counts().await?,
        })
    }
}
