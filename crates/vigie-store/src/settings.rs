//! Settings of the instance kept in the `setting` table: today the shorter evaluation
//! deadline for children under two.

use chrono::{DateTime, Utc};
use vigie_domain::DomainError;

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::sql::{exec, get, one};
use crate::{Result, vals};

/// The setting holding the shorter evaluation deadline for children under two (months).
pub const UNDER_TWO_SETTING: &str = "delai_evaluation_moins_de_deux_ans_mois";

impl Store {
    /// The shorter evaluation deadline for children under two, in months (`None`: the
    /// legal deadline applies to every child).
    pub async fn under_two_months(&self) -> Result<Option<u32>> {
        let r = one(
            &self.db,
            "SELECT value FROM setting WHERE key = $1",
            vals![UNDER_TWO_SETTING],
        )
        .await?;
        Ok(match r {
            Some(r) => get::<String>(&r, "value")?.trim().parse().ok(),
            None => None,
        })
    }

    /// Sets the shorter deadline for children under two (audited).
    pub async fn set_under_two_months(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        months: Option<u32>,
    ) -> Result<()> {
        if months.is_some_and(|m| !(1..=3).contains(&m)) {
            return Err(DomainError::field(
                "under_two_months",
                "Délai pour les moins de deux ans",
                "entre 1 et 3 mois (le délai légal est de 3 mois).",
            )
            .into());
        }
        let txn = self.write().await?;
        exec(
            &txn,
            "DELETE FROM setting WHERE key = $1",
            vals![UNDER_TWO_SETTING],
        )
        .await?;
        if let Some(m) = months {
            exec(
                &txn,
                "INSERT INTO setting (key, value) VALUES ($1, $2)",
                vals![UNDER_TWO_SETTING, m.to_string()],
            )
            .await?;
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.modification").detail(UNDER_TWO_SETTING),
        )
        .await?;
        txn.commit().await.map_err(Into::into)
    }
}
