//! Each territory's population aged 0–17 and its INSEE year, typed by the administrator:
//! the dashboard's rate of IP per 1,000 minors. Optimistic lock per territory.

use chrono::{DateTime, Utc};
use vigie_domain::DomainError;

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::sql::{all, exec, get};
use crate::{Result, StoreError, vals};

/// A territory's minors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Population {
    pub territory_id: i64,
    pub minors: i64,
    pub insee_year: i64,
    pub version: i64,
}

fn check(minors: i64, year: i64) -> Result<()> {
    if minors <= 0 || minors > 5_000_000 {
        return Err(DomainError::field(
            "mineurs",
            "Population de 0 à 17 ans",
            "saisissez un nombre d'habitants de 0 à 17 ans entre 1 et 5 000 000.",
        )
        .into());
    }
    if !(1990..=2200).contains(&year) {
        return Err(DomainError::field(
            "annee_insee",
            "Année de la donnée INSEE",
            "saisissez l'année de la donnée INSEE, par exemple 2022.",
        )
        .into());
    }
    Ok(())
}

impl Store {
    /// The populations configured, by territory.
    pub async fn territory_populations(&self) -> Result<Vec<Population>> {
        all(
            &self.db,
            "SELECT territory_id, minors, insee_year, version FROM territory_population ORDER BY territory_id",
            vec![],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(Population {
                territory_id: get(r, "territory_id")?,
                minors: get(r, "minors")?,
                insee_year: get(r, "insee_year")?,
                version: get(r, "version")?,
            })
        })
        .collect()
    }

    /// Sets (or, with `None`, removes) the population of `territory_id`; `version` is the one
    /// read (`None`: none was configured). A change made since is refused, nothing written.
    /// Audited `parametre.population`.
    pub async fn set_territory_population(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        territory_id: i64,
        value: Option<(i64, i64)>,
        version: Option<i64>,
    ) -> Result<()> {
        if let Some((minors, year)) = value {
            check(minors, year)?;
        }
        let txn = self.write().await?;
        if all(
            &txn,
            "SELECT id FROM territory WHERE id = $1",
            vals![territory_id],
        )
        .await?
        .is_empty()
        {
            return Err(StoreError::NotFound);
        }
        let current: Option<i64> = all(
            &txn,
            &format!(
                "SELECT version FROM territory_population WHERE territory_id = $1{}",
                crate::backend::for_update(&txn)
            ),
            vals![territory_id],
        )
        .await?
        .first()
        .map(|r| get(r, "version"))
        .transpose()?;
        if current != version {
            return Err(StoreError::Stale(
                "la population de ce territoire a été modifiée entre-temps : rechargez la page, vos saisies sont conservées ci-dessous.".into(),
            ));
        }
        exec(
            &txn,
            "DELETE FROM territory_population WHERE territory_id = $1",
            vals![territory_id],
        )
        .await?;
        if let Some((minors, year)) = value {
            exec(
                &txn,
                "INSERT INTO territory_population (territory_id, minors, insee_year, version, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
                vals![territory_id, minors, year, version.unwrap_or(0) + 1, actor.user_id, now],
            )
            .await?;
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.population").on("territoire", territory_id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
