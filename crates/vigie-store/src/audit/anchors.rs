//! The store's anchors outside the database: when the chain's head is anchored (at start,
//! when due after a commit, at each purge and key change, by a ticker). The anchor file,
//! its format and the log it is written to: [`crate::anchor_log`].

use std::path::Path;

use chrono::{DateTime, Utc};

pub use crate::anchor_log::{AnchorLog, read_dir};
use crate::db::Store;

impl Store {
    /// Anchors the head outside the database from now on (see the module's doc).
    pub fn with_anchors(mut self, log: AnchorLog) -> Self {
        self.anchors = Some(std::sync::Arc::new(log));
        self
    }

    /// The anchor directory, when one is configured.
    pub fn anchor_dir(&self) -> Option<&Path> {
        self.anchors.as_deref().and_then(AnchorLog::dir)
    }

    /// Writes an anchor of the current head now (start, purge, key change).
    pub async fn anchor_now(&self, now: DateTime<Utc>, reason: &str) -> crate::Result<()> {
        if let Some(log) = &self.anchors {
            let head = self.audit_head().await?;
            log.write(now, &head, reason);
        }
        Ok(())
    }

    /// After a commit that appended up to `seq`: writes an anchor when one is due
    /// ([`EVERY_ENTRIES`](crate::anchor_log::EVERY_ENTRIES) entries or
    /// [`EVERY`](crate::anchor_log::EVERY) since the last), or always for a purge or
    /// a key change. Never fails the caller (its save is acknowledged).
    pub(crate) async fn anchor_after_commit(
        &self,
        now: DateTime<Utc>,
        reason: &str,
        seq: Option<i64>,
    ) {
        let Some(log) = &self.anchors else { return };
        let forced = reason != "periodique";
        if !forced && !seq.is_some_and(|s| log.due(now, s)) {
            return;
        }
        if let Err(e) = self.anchor_now(now, reason).await {
            tracing::error!(erreur = %e, "ancre de la chaîne d'audit non écrite");
        }
    }

    /// For a ticker: writes an anchor when one is due for the current head (entries
    /// appended in other transactions than [`Store::audit`]'s are anchored this way).
    pub async fn anchor_if_due(&self, now: DateTime<Utc>) -> crate::Result<()> {
        if let Some(log) = &self.anchors {
            let head = self.audit_head().await?;
            if log.due(now, head.seq) {
                log.write(now, &head, "periodique");
            }
        }
        Ok(())
    }
}
