//! Cross-tabs saved under a name by a responsable, shared with everyone who reads the
//! dashboards: only the choices are stored (a query string of codes and ids), so each reader
//! recomputes the table within their own scope, small counts hidden for them as needed.

use chrono::{DateTime, Utc};
use vigie_domain::DomainError;
use vigie_domain::error::Errors;
use vigie_domain::text::{TextKind, check};

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::sql::{all, exec, get, one};
use crate::{Result, StoreError, vals};

/// One saved cross-tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedCrossTab {
    pub id: i64,
    pub name: String,
    /// The cross-tab page's query string (codes and ids only).
    pub spec: String,
    pub created_by_name: Option<String>,
    pub updated_at: DateTime<Utc>,
}

fn checked_name(name: &str) -> Result<String> {
    let name = name.trim();
    let mut e = Errors::default();
    if name.is_empty() {
        e.push("nom", "Nom du tableau", "donnez un nom au tableau.");
    }
    check(&mut e, "nom", "Nom du tableau", TextKind::Short, Some(name));
    e.into_result()?;
    Ok(name.to_owned())
}

impl Store {
    /// The saved cross-tabs, by name.
    pub async fn saved_crosstabs(&self) -> Result<Vec<SavedCrossTab>> {
        all(
            &self.db,
            "SELECT c.id, c.name, c.spec, c.updated_at, u.display_name FROM saved_crosstab c
             LEFT JOIN app_user u ON u.id = c.created_by ORDER BY c.name",
            vec![],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(SavedCrossTab {
                id: get(r, "id")?,
                name: get(r, "name")?,
                spec: get(r, "spec")?,
                created_by_name: get(r, "display_name")?,
                updated_at: get(r, "updated_at")?,
            })
        })
        .collect()
    }

    /// Saves a cross-tab under `name` (the caller checked `spec`); a name already taken is
    /// refused in French. Audited `statistiques.tableau_enregistre`.
    pub async fn save_crosstab(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        name: &str,
        spec: &str,
    ) -> Result<i64> {
        let name = checked_name(name)?;
        let txn = self.write().await?;
        let inserted = one(
            &txn,
            "INSERT INTO saved_crosstab (name, spec, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
            vals![name, spec.to_owned(), actor.user_id, now],
        )
        .await;
        let id: i64 = match inserted {
            Ok(Some(r)) => get(&r, "id")?,
            Ok(None) => return Err(StoreError::NotFound),
            Err(e) if e.is_unique_violation() => {
                return Err(DomainError::field(
                    "nom",
                    "Nom du tableau",
                    "un tableau enregistré porte déjà ce nom : choisissez-en un autre.",
                )
                .into());
            }
            Err(e) => return Err(e),
        };
        self.append(
            &txn,
            now,
            actor,
            Event::new("statistiques.tableau_enregistre").on("tableau_croise", id),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Deletes a saved cross-tab. Audited `statistiques.tableau_supprime`.
    pub async fn delete_crosstab(&self, now: DateTime<Utc>, actor: &Actor, id: i64) -> Result<()> {
        let txn = self.write().await?;
        if exec(&txn, "DELETE FROM saved_crosstab WHERE id = $1", vals![id]).await? == 0 {
            return Err(StoreError::NotFound);
        }
        self.append(
            &txn,
            now,
            actor,
            Event::new("statistiques.tableau_supprime").on("tableau_croise", id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
