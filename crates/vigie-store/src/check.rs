//! `vigie check`: schema version, integrity, counts.

use crate::Result;
use crate::audit::Verification;
use crate::db::Store;

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
        let integrity = crate::backend::integrity_check(&self.db).await?;
        Ok(CheckReport {
            schema_version,
            binary_version: crate::migrate::latest_version(),
            integrity,
            audit: self.verify_audit().await?,
            counts: self.counts().await?,
        })
    }
}
