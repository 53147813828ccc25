//! Record navigation (the legacy screens' « 1 dossier » navigator): from one dossier, the
//! previous and the next one in the list's order (newest first: `received_at DESC, id DESC`)
//! with the list's filters, within the scope — filtered in SQL, two index seeks.

use sea_orm::ConnectionTrait;
use vigie_domain::Scope;

use crate::Result;
use crate::db::Store;
use crate::dossiers::{Cursor, ListFilter, list_filter};
use crate::sql::{Sql, all_sql, get, scope_filter};

async fn seek(
    c: &impl ConnectionTrait,
    scope: &Scope,
    f: &ListFilter,
    current: Cursor,
    newer: bool,
) -> Result<Option<i64>> {
    let mut q = Sql::new("SELECT d.id FROM dossier d WHERE ");
    scope_filter(&mut q, scope, "d");
    list_filter(&mut q, f);
    // Row-value comparisons, as the list's keyset pages: an index range on both backends.
    q.push(if newer {
        " AND (d.received_at, d.id) > ("
    } else {
        " AND (d.received_at, d.id) < ("
    })
    .bind(current.received_at)
    .push(", ")
    .bind(current.id)
    .push(if newer {
        ") ORDER BY d.received_at ASC, d.id ASC LIMIT 1"
    } else {
        ") ORDER BY d.received_at DESC, d.id DESC LIMIT 1"
    });
    match all_sql(c, &q).await?.first() {
        Some(r) => Ok(Some(get(r, "id")?)),
        None => Ok(None),
    }
}

impl Store {
    /// The dossiers around `current` in the order of [`Store::list_dossiers`] with the same
    /// filter and scope: (previous = the next newer one, next = the next older one).
    /// `current` need not match the filter (the neighbours are then where it would sit).
    pub async fn neighbours(
        &self,
        scope: &Scope,
        filter: &ListFilter,
        current: Cursor,
    ) -> Result<(Option<i64>, Option<i64>)> {
        let previous = seek(&self.db, scope, filter, current, true).await?;
        let next = seek(&self.db, scope, filter, current, false).await?;
        Ok((previous, next))
    }
}
