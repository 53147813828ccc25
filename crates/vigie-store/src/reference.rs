//! The reference data nearly every page reads — the catalog, the instance and the communes
//! of its départements, the accounts, the under-two-months setting — kept in memory by each
//! process and re-read only when the database says it changed.
//!
//! Triggers bump `reference_version` in the same transaction as any change to the tables
//! this data comes from (migration 9), so a page costs one one-row read instead of several
//! hundred rows, and every server sharing a database sees a change at its next request.
//! The counter is read *before* the data: a change committed in between makes the data
//! newer than its version, never older, and the next request reads it again.

use std::sync::{Arc, Mutex};

use vigie_domain::catalog::Catalog;

use crate::Result;
use crate::communes::Commune;
use crate::db::Store;
use crate::sql::{get, one};
use crate::users::{Instance, User};

/// One consistent copy of the reference data.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Every parameter value, territory and service (active or not).
    pub catalog: Arc<Catalog>,
    pub instance: Option<Instance>,
    /// The communes of the instance's départements.
    pub communes: Arc<Vec<Commune>>,
    /// Every account, by login.
    pub users: Arc<Vec<User>>,
    /// The shorter evaluation deadline for children under two, in months, when set.
    pub under_two_months: Option<u32>,
}

/// The last copy read by this process, with the counter it was read at.
pub(crate) type Cache = Arc<Mutex<Option<(i64, Reference)>>>;

impl Store {
    /// The reference data, from memory when the database's counter has not moved.
    pub async fn reference(&self) -> Result<Reference> {
        // Without its row (removed by hand), nothing is kept: every call reads.
        let Some(version) = self.reference_version().await? else {
            return self.read_reference().await;
        };
        if let Some((v, r)) = &*self.cached()
            && *v == version
        {
            return Ok(r.clone());
        }
        let fresh = self.read_reference().await?;
        let mut cache = self.cached();
        // Another request may have stored a newer copy meanwhile: keep the newest.
        if cache.as_ref().is_none_or(|(v, _)| *v <= version) {
            *cache = Some((version, fresh.clone()));
        }
        Ok(fresh)
    }

    /// Every parameter value, territory and service (active or not).
    pub async fn catalog(&self) -> Result<Arc<Catalog>> {
        Ok(self.reference().await?.catalog)
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, Option<(i64, Reference)>> {
        // A panic while the lock was held left a whole value or none: still usable.
        self.reference
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn reference_version(&self) -> Result<Option<i64>> {
        one(
            &self.db,
            "SELECT version FROM reference_version WHERE id = 1",
            vec![],
        )
        .await?
        .map(|r| get(&r, "version"))
        .transpose()
    }

    async fn read_reference(&self) -> Result<Reference> {
        let catalog = crate::params::load_catalog(&self.db).await?;
        let instance = self.instance().await?;
        let departements = instance
            .as_ref()
            .map(|i| i.departements.clone())
            .unwrap_or_default();
        Ok(Reference {
            catalog: Arc::new(catalog),
            communes: Arc::new(self.communes_of(&departements).await?),
            instance,
            users: Arc::new(self.list_users().await?),
            under_two_months: self.under_two_months().await?,
        })
    }
}
