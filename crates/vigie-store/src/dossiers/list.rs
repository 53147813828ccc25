//! The dossier list: one page at a time, newest first (a keyset cursor), filtered in SQL
//! by the caller's scope and the list's filters (`super::filter`), each row with its
//! children's names; and the record of a listing in the audit trail.

use chrono::{DateTime, Utc};
use sea_orm::QueryResult;
use vigie_domain::{DossierStatus, DossierSummary, Scope};

use super::filter::{ListFilter, list_filter};
use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::sql::{Sql, all_sql, get, scope_filter};
use crate::{Result, StoreError};

/// Keyset cursor: the last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub received_at: DateTime<Utc>,
    pub id: i64,
}

/// One page of the list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub rows: Vec<DossierSummary>,
    pub next: Option<Cursor>,
}

fn summary_from(r: &QueryResult) -> Result<DossierSummary> {
    let number: String = get(r, "number")?;
    let status: String = get(r, "status")?;
    Ok(DossierSummary {
        id: get(r, "id")?,
        number: number.parse().map_err(StoreError::Config)?,
        received_at: get(r, "received_at")?,
        type_label: get(r, "type_label")?,
        territory_label: get(r, "territory_label")?,
        status: DossierStatus::parse(&status).unwrap_or(DossierStatus::Recue),
        danger_grave: get(r, "danger_grave")?,
        children: String::new(),
    })
}

/// The columns of a list row ([`summary_from`]), up to `WHERE `.
pub(crate) const SUMMARY_SELECT: &str = "SELECT d.id, d.number, d.received_at, d.status, d.danger_grave, t.label AS territory_label, pt.label AS type_label
     FROM dossier d JOIN territory t ON t.id = d.territory_id JOIN param_value pt ON pt.id = d.type_id WHERE ";

impl Store {
    /// One page of the list, newest first, filtered in SQL by scope and filters.
    pub async fn list_dossiers(
        &self,
        scope: &Scope,
        f: &ListFilter,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<Page> {
        // Filtering on one of the scope's own territories makes the scope condition
        // true: dropping it lets the planner seek (territory, status, received_at).
        let scope = match (scope, f.territory_id) {
            (Scope::Restricted { territories, .. }, Some(t)) if territories.contains(&t) => {
                &Scope::All
            }
            _ => scope,
        };
        let mut q = Sql::new(SUMMARY_SELECT);
        scope_filter(&mut q, scope, "d");
        list_filter(&mut q, f);
        if let Some(c) = after {
            // A row-value comparison: an index range on both backends (PostgreSQL only
            // filters the equivalent `OR`, reading every row of the previous pages).
            q.push(" AND (d.received_at, d.id) < (")
                .bind(c.received_at)
                .push(", ")
                .bind(c.id)
                .push(")");
        }
        q.push(" ORDER BY d.received_at DESC, d.id DESC LIMIT ")
            .bind(i64::from(limit) + 1);
        let rows = all_sql(&self.db, &q).await?;
        let mut out = rows.iter().map(summary_from).collect::<Result<Vec<_>>>()?;
        let next = if out.len() > limit as usize {
            out.truncate(limit as usize);
            out.last().map(|l| Cursor {
                received_at: l.received_at,
                id: l.id,
            })
        } else {
            None
        };
        self.fill_children(&mut out).await?;
        Ok(Page { rows: out, next })
    }

    /// Records that a list of dossiers was shown (the list page, the API list, the
    /// échéances): their ids only, so that every access to a dossier's data is traced.
    pub async fn record_listing(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        action: &str,
        ids: &[i64],
    ) -> Result<()> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        self.audit(
            now,
            actor,
            Event::new(action).detail(format!("n={} ids={}", ids.len(), list.join(","))),
        )
        .await?;
        Ok(())
    }

    /// The list rows a `SUMMARY_SELECT` query gives, with their children's names.
    pub(crate) async fn summaries_of(&self, q: &Sql) -> Result<Vec<DossierSummary>> {
        let mut rows = all_sql(&self.db, q)
            .await?
            .iter()
            .map(summary_from)
            .collect::<Result<Vec<_>>>()?;
        self.fill_children(&mut rows).await?;
        Ok(rows)
    }

    pub(crate) async fn fill_children(&self, rows: &mut [DossierSummary]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut q = Sql::new(
            "SELECT dc.dossier_id, p.first_names, p.birth_name, p.usage_name FROM dossier_child dc JOIN person p ON p.id = dc.person_id WHERE dc.dossier_id IN ",
        );
        q.bind_list(&ids)
            .push(" ORDER BY dc.dossier_id, dc.position");
        let names = all_sql(&self.db, &q).await?;
        for row in rows.iter_mut() {
            let list: Vec<String> = names
                .iter()
                .filter(|n| get::<i64>(n, "dossier_id").ok() == Some(row.id))
                .map(|n| {
                    let first: String = get(n, "first_names").unwrap_or_default();
                    let usage: Option<String> = get(n, "usage_name").unwrap_or_default();
                    let birth: String = get(n, "birth_name").unwrap_or_default();
                    format!("{} {}", first, usage.unwrap_or(birth).to_uppercase())
                        .trim()
                        .to_owned()
                })
                .collect();
            row.children = list.join(", ");
        }
        Ok(())
    }
}
