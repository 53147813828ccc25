//! Large loads on PostgreSQL (the demo generator's): each row inserted into a table with
//! foreign keys runs one query per key (PostgreSQL's referential triggers), and each
//! non-unique index takes one insertion per row. At 1,000,000 demo dossiers that is most
//! of the server's work (tens of millions of checks). Inside the load's one transaction,
//! the foreign keys and non-unique indexes of the tables loaded are dropped, then
//! recreated from their own definitions once the rows are in: each index is built by one
//! sort, each foreign key checked by one join over the whole table. A failure anywhere
//! rolls the transaction back, definitions included. The tables stay locked meanwhile, so
//! this is for a load nobody else is using the database during (`vigie demo`), and only
//! for a role that owns them; otherwise, and on SQLite (whose checks cost little), rows go
//! in as usual.

use sea_orm::DatabaseTransaction;

use super::{all, exec, get, is_postgres};
use crate::Result;

/// What was dropped, to be recreated by [`BulkLoad::finish`].
#[derive(Debug, Default)]
pub(crate) struct BulkLoad {
    /// `(table, constraint name, definition)` of each foreign key, then of each primary
    /// key dropped (recreated in the reverse order: primary keys first).
    foreign_keys: Vec<(String, String, String)>,
    /// `CREATE INDEX …` of each non-unique index.
    indexes: Vec<String>,
    /// The tables loaded (analysed at the end).
    tables: Vec<&'static str>,
}

impl BulkLoad {
    /// Drops the foreign keys and the non-unique indexes of `tables` (constants of the
    /// caller), and the primary keys of `keyed`, tables of search keys that nothing
    /// references and nothing upserts into (their rows come in random key order, so each
    /// insertion reads another page of an index larger than the server's cache: most of a
    /// load's time at 1,000,000 dossiers), when on PostgreSQL and the role owns them all;
    /// `None` otherwise.
    pub(crate) async fn start(
        txn: &DatabaseTransaction,
        tables: &[&'static str],
        keyed: &[&'static str],
    ) -> Result<Option<Self>> {
        if !is_postgres(txn) {
            return Ok(None);
        }
        let list: Vec<String> = tables.iter().map(|t| format!("'{t}'")).collect();
        let list = list.join(", ");
        let not_owned = all(
            txn,
            &format!(
                "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname IN ({list})
                 AND NOT pg_has_role(current_user, c.relowner, 'USAGE')"
            ),
            vec![],
        )
        .await?;
        if !not_owned.is_empty() {
            return Ok(None);
        }
        let keyed: Vec<String> = keyed.iter().map(|t| format!("'{t}'")).collect();
        let keyed = if keyed.is_empty() {
            "NULL".to_owned()
        } else {
            keyed.join(", ")
        };
        let mut load = Self {
            tables: tables.to_vec(),
            ..Self::default()
        };
        for r in &all(
            txn,
            &format!(
                "SELECT c.relname AS tbl, k.conname AS name, pg_get_constraintdef(k.oid) AS def
                 FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relname IN ({list})
                 AND (k.contype = 'f' OR (k.contype = 'p' AND c.relname IN ({keyed})))
                 ORDER BY k.contype, c.relname, k.conname"
            ),
            vec![],
        )
        .await?
        {
            load.foreign_keys
                .push((get(r, "tbl")?, get(r, "name")?, get(r, "def")?));
        }
        let mut names = Vec::new();
        for r in &all(
            txn,
            &format!(
                "SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
                 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                 JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relname IN ({list})
                 AND NOT x.indisunique AND NOT x.indisprimary
                 ORDER BY i.relname"
            ),
            vec![],
        )
        .await?
        {
            names.push(get::<String>(r, "name")?);
            load.indexes.push(get(r, "def")?);
        }
        for (table, name, _) in &load.foreign_keys {
            exec(
                txn,
                &format!("ALTER TABLE {table} DROP CONSTRAINT {name}"),
                vec![],
            )
            .await?;
        }
        for name in names {
            exec(txn, &format!("DROP INDEX {name}"), vec![]).await?;
        }
        Ok(Some(load))
    }

    /// Recreates what [`BulkLoad::start`] dropped: the indexes, the primary keys, then the
    /// foreign keys, each checked against every row.
    pub(crate) async fn finish(self, txn: &DatabaseTransaction) -> Result<()> {
        // Index builds sort in memory rather than in temporary files.
        exec(txn, "SET LOCAL maintenance_work_mem = '256MB'", vec![]).await?;
        for def in &self.indexes {
            exec(txn, def, vec![]).await?;
        }
        for (table, name, def) in self.foreign_keys.iter().rev() {
            exec(
                txn,
                &format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def}"),
                vec![],
            )
            .await?;
        }
        // The planner's statistics of the tables loaded: what follows in the same
        // transaction (the statistics' counters) reads them by their indexes.
        for t in &self.tables {
            exec(txn, &format!("ANALYZE {t}"), vec![]).await?;
        }
        Ok(())
    }
}
