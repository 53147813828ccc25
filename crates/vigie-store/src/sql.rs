//! Small helpers to write one SQL text for both backends: `$n` parameters (SQLite
//! accepts them too), a builder that numbers them, and typed row getters.

use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, TryGetable, Value};
use vigie_domain::Scope;

use crate::Result;
pub use crate::backend::placeholders;
use crate::backend::statement;

/// SQL text with its numbered parameters.
#[derive(Debug, Default)]
pub struct Sql {
    pub text: String,
    pub values: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            values: Vec::new(),
        }
    }

    /// Appends text.
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Appends a parameter placeholder bound to `v`.
    pub fn bind(&mut self, v: impl Into<Value>) -> &mut Self {
        self.values.push(v.into());
        let n = self.values.len();
        self.text.push('$');
        self.text.push_str(&n.to_string());
        self
    }

    /// Appends `(p1, p2, …)` for a non-empty list.
    pub fn bind_list<T: Into<Value> + Clone>(&mut self, items: &[T]) -> &mut Self {
        self.text.push('(');
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(it.clone());
        }
        self.text.push(')');
        self
    }

    /// Appends `(p1, p2, …), (…)`: the rows of a multi-row `VALUES`.
    pub fn rows(&mut self, rows: impl IntoIterator<Item = Vec<Value>>) -> &mut Self {
        for (i, row) in rows.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind_list(&row);
        }
        self
    }

    pub fn stmt(&self, backend: DatabaseBackend) -> Statement {
        Statement::from_sql_and_values(
            backend,
            placeholders(&self.text, backend),
            self.values.clone(),
        )
    }
}

/// Runs a statement with parameters.
pub async fn exec(c: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<u64> {
    Ok(c.execute_raw(statement(c, sql, values))
        .await?
        .rows_affected())
}

/// Fetches all rows.
pub async fn all(
    c: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>> {
    Ok(c.query_all_raw(statement(c, sql, values)).await?)
}

/// Fetches at most one row.
pub async fn one(
    c: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<QueryResult>> {
    Ok(c.query_one_raw(statement(c, sql, values)).await?)
}

/// Runs a built query.
pub async fn exec_sql(c: &impl ConnectionTrait, q: &Sql) -> Result<u64> {
    Ok(c.execute_raw(q.stmt(c.get_database_backend()))
        .await?
        .rows_affected())
}

/// Runs a built query and fetches all rows.
pub async fn all_sql(c: &impl ConnectionTrait, q: &Sql) -> Result<Vec<QueryResult>> {
    Ok(c.query_all_raw(q.stmt(c.get_database_backend())).await?)
}

/// Typed column getter.
pub fn get<T: TryGetable>(r: &QueryResult, col: &str) -> Result<T> {
    Ok(r.try_get::<T>("", col)?)
}

/// Shorthand for building a parameter list.
#[macro_export]
macro_rules! vals {
    ($($v:expr),* $(,)?) => { vec![$(sea_orm::Value::from($v)),*] };
}

/// Appends the scope condition on dossier alias `d`.
pub(crate) fn scope_filter(q: &mut Sql, scope: &Scope, d: &str) {
    match scope {
        Scope::All => {
            q.push("1 = 1");
        }
        Scope::Nothing => {
            q.push("1 = 0");
        }
        Scope::Restricted {
            territories,
            services,
            dossiers,
        } => {
            q.push("(");
            if territories.is_empty() {
                q.push("1 = 0");
            } else {
                q.push(&format!("{d}.territory_id IN "))
                    .bind_list(territories);
            }
            if !services.is_empty() {
                // A correlated scalar subquery, not `EXISTS`: PostgreSQL turns an `EXISTS`
                // under `OR` into a hashed subplan that reads every assignment of the
                // services on each list page (4–25 ms at 100,000 dossiers); this form is
                // probed per row through `assignment_service`, on both backends.
                q.push(&format!(" OR (SELECT 1 FROM assignment sa WHERE sa.dossier_id = {d}.id AND sa.service_id IN "))
                    .bind_list(services)
                    .push(" LIMIT 1) IS NOT NULL");
            }
            if !dossiers.is_empty() {
                // Accès exceptionnels (break-glass): single dossiers, for a limited time.
                q.push(&format!(" OR {d}.id IN ")).bind_list(dossiers);
            }
            q.push(")");
        }
    }
}
