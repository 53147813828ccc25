//! Versioned migrations, each run in one transaction on both backends (on SQLite
//! too: its DDL is transactional), recorded in `schema_migrations`. A database whose
//! schema is newer than this program is refused.
//!
//! `sea-orm-migration` is not used: it wraps migrations in a transaction only on
//! PostgreSQL, and the schema here is plain SQL written once for both backends.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction};

use crate::db::Store;
use crate::sql::{all, exec};
use crate::{Result, StoreError, vals};

#[path = "migrations/m0001_schema.rs"]
mod m0001_schema;
#[path = "migrations/m0002_revisions.rs"]
mod m0002_revisions;
#[path = "migrations/m0003_security.rs"]
mod m0003_security;
#[path = "migrations/m0004_instance_key.rs"]
mod m0004_instance_key;
#[path = "migrations/m0005_pending_accounts.rs"]
mod m0005_pending_accounts;
#[path = "migrations/m0006_least_privilege.rs"]
mod m0006_least_privilege;
#[path = "migrations/m0007_name_search.rs"]
mod m0007_name_search;
#[path = "migrations/m0008_name_pairs.rs"]
mod m0008_name_pairs;
#[path = "migrations/m0009_reference_version.rs"]
mod m0009_reference_version;
#[path = "migrations/m0010_scope_indexes.rs"]
mod m0010_scope_indexes;
#[path = "migrations/m0011_documents.rs"]
mod m0011_documents;
#[path = "migrations/m0012_statistics.rs"]
mod m0012_statistics;
#[path = "migrations/m0013_stat_counters.rs"]
mod m0013_stat_counters;
#[path = "migrations/m0014_counter_totals.rs"]
mod m0014_counter_totals;
#[path = "migrations/m0015_attachments.rs"]
mod m0015_attachments;
#[path = "migrations/m0016_letter_templates.rs"]
mod m0016_letter_templates;
#[path = "migrations/m0017_reminders.rs"]
mod m0017_reminders;

/// What the application's role may do on a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privileges {
    /// SELECT, INSERT, UPDATE, DELETE: an ordinary table.
    ReadWrite,
    /// SELECT only: written by migrations alone (reference data, `schema_migrations`).
    ReadOnly,
    /// SELECT and INSERT: append-only (the audit trail and its checkpoints).
    AppendOnly,
    /// SELECT and UPDATE: a row moved at each append, never inserted nor deleted
    /// (`audit_head`; its row lock, see `crate::backend::for_update`, needs UPDATE).
    Head,
}

impl Privileges {
    /// The privileges granted, as SQL.
    pub fn sql(self) -> &'static str {
        match self {
            Privileges::ReadWrite => "SELECT, INSERT, UPDATE, DELETE",
            Privileges::ReadOnly => "SELECT",
            Privileges::AppendOnly => "SELECT, INSERT",
            Privileges::Head => "SELECT, UPDATE",
        }
    }

    /// Whether rows are inserted (then the table's sequences are granted USAGE).
    pub(crate) fn inserts(self) -> bool {
        matches!(self, Privileges::ReadWrite | Privileges::AppendOnly)
    }
}

/// One step of a migration.
#[derive(Debug, Clone)]
pub enum Step {
    /// SQL for both backends, with type tokens.
    Sql(String),
    /// SQL for one backend only.
    Only(DatabaseBackend, String),
    /// Seed the default values of the parameter tables that have none yet.
    SeedParams,
    /// Load the communes reference file.
    LoadCommunes,
    /// Recompute the name-search keys of every person and adult (`crate::name_keys`).
    RebuildNameKeys,
    /// Fill the milestones of the stored dossiers (`crate::milestones::backfill`).
    BackfillMilestones,
    /// Count the stored dossiers in the statistics' counters (`crate::stats::counter`).
    BackfillCounters,
    /// Add the shipped letter templates that are missing (`crate::letter_templates::seed`).
    SeedTemplates,
}

/// A numbered migration.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub steps: Vec<Step>,
    /// What the application's role may do on the tables this migration creates, applied
    /// by `vigie migrate` on PostgreSQL (see [`crate::grants`]).
    pub grants: &'static [(&'static str, Privileges)],
}

/// The migrations this program knows, in order.
pub fn migrations() -> Vec<Migration> {
    let mut steps = steps_of(
        m0001_schema::STATEMENTS,
        m0001_schema::SQLITE_ONLY,
        m0001_schema::POSTGRES_ONLY,
    );
    steps.push(Step::SeedParams);
    steps.push(Step::LoadCommunes);
    vec![
        Migration {
            version: 1,
            name: "schema",
            steps,
            grants: m0001_schema::GRANTS,
        },
        Migration {
            version: 2,
            name: "revisions",
            steps: steps_of(m0002_revisions::STATEMENTS, &[], &[]),
            grants: m0002_revisions::GRANTS,
        },
        Migration {
            version: 3,
            name: "security",
            steps: steps_of(
                m0003_security::STATEMENTS,
                m0003_security::SQLITE_ONLY,
                m0003_security::POSTGRES_ONLY,
            ),
            grants: m0003_security::GRANTS,
        },
        Migration {
            version: 4,
            name: "instance_key",
            steps: steps_of(
                m0004_instance_key::STATEMENTS,
                m0004_instance_key::SQLITE_ONLY,
                m0004_instance_key::POSTGRES_ONLY,
            ),
            grants: m0004_instance_key::GRANTS,
        },
        Migration {
            version: 5,
            name: "pending_accounts",
            steps: steps_of(m0005_pending_accounts::STATEMENTS, &[], &[]),
            grants: &[],
        },
        Migration {
            version: 6,
            name: "least privilege",
            steps: steps_of(&[], &[], m0006_least_privilege::POSTGRES_ONLY),
            grants: m0006_least_privilege::GRANTS,
        },
        Migration {
            version: 7,
            name: "name search",
            steps: steps_of(m0007_name_search::STATEMENTS, &[], &[])
                .into_iter()
                .chain([Step::RebuildNameKeys])
                .collect(),
            grants: m0007_name_search::GRANTS,
        },
        Migration {
            version: 8,
            name: "name pairs",
            steps: steps_of(&[], m0008_name_pairs::SQLITE_ONLY, &[])
                .into_iter()
                .chain([Step::RebuildNameKeys])
                .collect(),
            grants: &[],
        },
        Migration {
            version: 9,
            name: "reference version",
            steps: steps_of(m0009_reference_version::STATEMENTS, &[], &[])
                .into_iter()
                .chain(
                    m0009_reference_version::triggers(false)
                        .into_iter()
                        .map(|s| Step::Only(DatabaseBackend::Sqlite, s)),
                )
                .chain(
                    m0009_reference_version::triggers(true)
                        .into_iter()
                        .map(|s| Step::Only(DatabaseBackend::Postgres, s)),
                )
                .collect(),
            grants: m0009_reference_version::GRANTS,
        },
        Migration {
            version: 10,
            name: "scope indexes",
            steps: steps_of(m0010_scope_indexes::STATEMENTS, &[], &[]),
            grants: &[],
        },
        Migration {
            version: 11,
            name: "documents",
            steps: steps_of(m0011_documents::STATEMENTS, &[], &[]),
            grants: m0011_documents::GRANTS,
        },
    ]
    .into_iter()
    .chain(statistics())
    .chain(documents())
    .collect()
}

/// The migrations of the dashboards (12 to 14).
fn statistics() -> [Migration; 3] {
    [
        Migration {
            version: 12,
            name: "statistics",
            steps: steps_of(m0012_statistics::STATEMENTS, &[], &[])
                .into_iter()
                .chain([Step::BackfillMilestones])
                .collect(),
            grants: m0012_statistics::GRANTS,
        },
        Migration {
            version: 13,
            name: "statistics_counters",
            steps: steps_of(
                m0013_stat_counters::STATEMENTS,
                m0013_stat_counters::SQLITE,
                m0013_stat_counters::POSTGRES,
            )
            .into_iter()
            .collect(),
            grants: m0013_stat_counters::GRANTS,
        },
        // The counters hold each way's totals of every type (type 0) and the département's
        // totals (`via = -1`) too, under a key read by range: made again and counted (the
        // stored dossiers were counted here from version 13 on).
        Migration {
            version: 14,
            name: "statistics_totals",
            steps: steps_of(m0014_counter_totals::STATEMENTS, &[], &[])
                .into_iter()
                .chain([Step::BackfillCounters])
                .collect(),
            grants: m0014_counter_totals::GRANTS,
        },
    ]
}

/// The migrations of the dossier's documents from 15 on.
fn documents() -> [Migration; 3] {
    [
        // Uploaded documents: their categories (seeded: `SeedParams` adds only the tables
        // that have no value yet), the versions of a letter, removals.
        Migration {
            version: 15,
            name: "attachments",
            steps: steps_of(m0015_attachments::STATEMENTS, &[], &[])
                .into_iter()
                .chain([Step::SeedParams])
                .collect(),
            grants: m0015_attachments::GRANTS,
        },
        // The letter templates and their versions, administered by the CRIP.
        Migration {
            version: 16,
            name: "letter_templates",
            steps: steps_of(m0016_letter_templates::STATEMENTS, &[], &[])
                .into_iter()
                .chain([Step::SeedTemplates])
                .collect(),
            grants: m0016_letter_templates::GRANTS,
        },
        // The reminders of overdue evaluations: each batch, each assignment reminded.
        Migration {
            version: 17,
            name: "reminders",
            steps: steps_of(m0017_reminders::STATEMENTS, &[], &[]),
            grants: m0017_reminders::GRANTS,
        },
    ]
}

/// A migration's steps: SQL for both backends, then SQLite's, then PostgreSQL's.
fn steps_of(both: &[&str], sqlite: &[&str], postgres: &[&str]) -> Vec<Step> {
    both.iter()
        .map(|s| Step::Sql((*s).to_owned()))
        .chain(
            sqlite
                .iter()
                .map(|s| Step::Only(DatabaseBackend::Sqlite, (*s).to_owned())),
        )
        .chain(
            postgres
                .iter()
                .map(|s| Step::Only(DatabaseBackend::Postgres, (*s).to_owned())),
        )
        .collect()
}

/// The schema version this program expects.
pub fn latest_version() -> i64 {
    migrations().last().map_or(0, |m| m.version)
}

/// Replaces the type tokens for a backend.
pub fn render(sql: &str, backend: DatabaseBackend) -> String {
    crate::backend::render_types(sql, backend)
}

impl Store {
    /// The schema version of the database (0 when empty).
    pub async fn schema_version(&self) -> Result<i64> {
        version_of(&self.db).await
    }

    /// Applies the pending migrations of this program.
    pub async fn migrate(&self, now: DateTime<Utc>) -> Result<Vec<i64>> {
        self.migrate_with(&migrations(), now).await
    }

    /// Applies pending migrations from `list`, each in its own transaction.
    pub async fn migrate_with(&self, list: &[Migration], now: DateTime<Utc>) -> Result<Vec<i64>> {
        self.migrate_inner(list, now).await.map_err(|e| {
            if crate::error::is_permission_denied(&e) {
                StoreError::Config(
                    "le rôle de connexion n'a pas le droit de modifier le schéma de la base (c'est le cas du rôle de l'application) : lancez « vigie migrate » avec le rôle propriétaire (VIGIE_MIGRATE_DATABASE_URL)".into(),
                )
            } else {
                e
            }
        })
    }

    async fn migrate_inner(&self, list: &[Migration], now: DateTime<Utc>) -> Result<Vec<i64>> {
        ensure_table(&self.db).await?;
        let current = self.schema_version().await?;
        let binary = list.last().map_or(0, |m| m.version);
        if current > binary {
            return Err(StoreError::SchemaTooNew {
                db: current,
                binary,
            });
        }
        let mut applied = Vec::new();
        for m in list.iter().filter(|m| m.version > current) {
            let txn = self.write().await?;
            apply(&txn, m, self.tz).await?;
            exec(
                &txn,
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                vals![m.version, m.name, now],
            )
            .await?;
            txn.commit().await?;
            tracing::info!(version = m.version, name = m.name, "migration appliquée");
            applied.push(m.version);
        }
        // The counters' months are those of the time zone they were written in: counted
        // again when it changed.
        if list.iter().any(|m| m.version == 13) {
            let written = crate::stats::counter::written_in(&self.db).await?;
            if written.as_deref() != Some(self.tz.name()) {
                let txn = self.write().await?;
                crate::stats::counter::backfill(&txn, self.tz).await?;
                txn.commit().await?;
                tracing::info!(
                    fuseau = self.tz.name(),
                    "compteurs statistiques recomptés dans le fuseau horaire configuré"
                );
            }
        }
        Ok(applied)
    }

    /// Refuses to go on when the database is not at this program's version.
    pub async fn require_current_schema(&self) -> Result<()> {
        let v = self.schema_version().await?;
        let binary = latest_version();
        if v > binary {
            return Err(StoreError::SchemaTooNew { db: v, binary });
        }
        if v < binary {
            return Err(StoreError::Config(format!(
                "le schéma de la base (version {v}) est en retard sur ce programme (version {binary}) : lancez « vigie migrate » (sur PostgreSQL, avec le rôle propriétaire : VIGIE_MIGRATE_DATABASE_URL)"
            )));
        }
        Ok(())
    }
}

/// The schema version seen by `c` (a pool, or a transaction such as a backup's snapshot):
/// 0 when empty.
pub(crate) async fn version_of(c: &impl ConnectionTrait) -> Result<i64> {
    if !table_exists(c).await? {
        return Ok(0);
    }
    let rows = all(c, "SELECT MAX(version) AS v FROM schema_migrations", vec![]).await?;
    Ok(rows
        .first()
        .and_then(|r| r.try_get::<Option<i64>>("", "v").ok().flatten())
        .unwrap_or(0))
}

/// Whether `schema_migrations` exists (reading needs no right to create it: the
/// application's role reads the version too).
async fn table_exists(c: &impl ConnectionTrait) -> Result<bool> {
    crate::backend::table_exists(c, "schema_migrations").await
}

/// Creates `schema_migrations` when absent (by the role that migrates).
async fn ensure_table(c: &impl ConnectionTrait) -> Result<()> {
    if table_exists(c).await? {
        return Ok(());
    }
    let sql = render(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version {BIGINT} PRIMARY KEY, name TEXT NOT NULL, applied_at {TS} NOT NULL)",
        c.get_database_backend(),
    );
    c.execute_unprepared(&sql).await?;
    Ok(())
}

async fn apply(txn: &DatabaseTransaction, m: &Migration, tz: chrono_tz::Tz) -> Result<()> {
    let backend = txn.get_database_backend();
    for step in &m.steps {
        match step {
            Step::Sql(sql) => {
                txn.execute_unprepared(&render(sql, backend)).await?;
            }
            Step::Only(b, sql) if *b == backend => {
                txn.execute_unprepared(&render(sql, backend)).await?;
            }
            Step::Only(..) => {}
            Step::SeedParams => crate::params::seed_defaults(txn).await?,
            Step::LoadCommunes => crate::communes::load(txn).await?,
            Step::RebuildNameKeys => crate::name_keys::rebuild(txn).await?,
            Step::BackfillMilestones => crate::milestones::backfill(txn).await?,
            Step::BackfillCounters => crate::stats::counter::backfill(txn, tz).await?,
            Step::SeedTemplates => crate::letter_templates::seed(txn).await?,
        }
    }
    Ok(())
}
