//! The store and its transaction helpers (opening the pool, and everything that differs
//! between SQLite and PostgreSQL, is in [`crate::backend`]).

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};

use crate::Result;

pub use crate::backend::connect::DbUrl;

/// The store: one connection pool and the département's time zone (for dossier numbers).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: DatabaseConnection,
    pub(crate) tz: chrono_tz::Tz,
    /// The last write probe (see [`Store::can_write`]).
    pub(crate) probe: std::sync::Arc<std::sync::Mutex<Probe>>,
    /// The instance key ring, kept outside the database (see [`crate::keys`]).
    pub(crate) keys: crate::keys::Keys,
    /// Where the audit chain's head is anchored outside the database (see [`crate::audit::anchors`]).
    pub(crate) anchors: Option<std::sync::Arc<crate::anchor_log::AnchorLog>>,
    /// The reference data last read (see [`crate::reference`]).
    pub(crate) reference: crate::reference::Cache,
    /// Whether the statistics read their counters (see [`Store::read_counters`]).
    pub(crate) counters: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Whether the counters were written in this store's time zone (read once).
    pub(crate) counters_tz: std::sync::Arc<std::sync::OnceLock<bool>>,
}

pub use crate::backend::connect::PageLimit;

/// Storage failures (disk full, I/O error, read-only file) seen by any store of the process
/// (`vigie serve` has one store; tests that fill a database take turns).
pub(crate) static STORAGE_FAILURES: AtomicU64 = AtomicU64::new(0);

/// The last write probe of [`Store::can_write`] (when, its answer) and the storage
/// failures counted then (or when the store connected).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe {
    pub(crate) last: Option<(DateTime<Utc>, bool)>,
    pub(crate) failures: u64,
}

impl Probe {
    pub(crate) fn new() -> Self {
        Self {
            last: None,
            failures: STORAGE_FAILURES.load(Ordering::Relaxed),
        }
    }
}

impl Store {
    /// Connects (creating the SQLite file and its directory when needed). Does not migrate.
    pub async fn connect(url: &DbUrl, tz: chrono_tz::Tz) -> Result<Self> {
        Self::connect_limited(url, tz, None).await
    }

    pub(crate) async fn connect_limited(
        url: &DbUrl,
        tz: chrono_tz::Tz,
        page_limit: Option<PageLimit>,
    ) -> Result<Self> {
        let db = crate::backend::connect::open(url, page_limit).await?;
        Ok(Self {
            db,
            tz,
            probe: std::sync::Arc::new(std::sync::Mutex::new(Probe::new())),
            keys: crate::keys::Keys::default(),
            anchors: None,
            reference: crate::reference::Cache::default(),
            counters: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)),
            counters_tz: std::sync::Arc::default(),
        })
    }

    pub fn backend(&self) -> sea_orm::DatabaseBackend {
        self.db.get_database_backend()
    }

    /// Whether the database has roles and privileges to grant (PostgreSQL; SQLite has none).
    pub fn has_roles(&self) -> bool {
        crate::backend::has_roles(self.backend())
    }

    pub fn timezone(&self) -> chrono_tz::Tz {
        self.tz
    }

    /// A write transaction: `BEGIN IMMEDIATE` on SQLite (a read that writes its audit entry is a write).
    pub(crate) async fn write(&self) -> Result<DatabaseTransaction> {
        let opts = crate::backend::write_options(self.backend());
        Ok(self.db.begin_with_options(opts).await?)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        self.db.execute_unprepared("SELECT 1").await.is_ok()
    }

    pub async fn close(self) {
        let _ = self.db.close().await;
    }
}
