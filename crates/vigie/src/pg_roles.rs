//! The two PostgreSQL roles from the command line (README, « PostgreSQL en production »):
//! `vigie migrate` connects as the owner (`VIGIE_MIGRATE_DATABASE_URL`) and grants the
//! application's role (the user of `VIGIE_DATABASE_URL`) what the migrations declare;
//! `vigie serve` and the other commands connect as the application's role and migrate at
//! start only when one role does everything; `vigie audit purge`, which deletes audit
//! entries, runs as the owner; `vigie check` says what the application's role could do to
//! the audit trail. On SQLite there is one file and no role: none of this applies.

use chrono::{DateTime, Utc};
use vigie_store::grants::{is_permission_denied, role_of};
use vigie_store::{DbUrl, Store, StoreError};

use crate::config::Settings;

/// `vigie migrate`: migrations, then the application role's grants.
pub async fn migrate(s: &Settings, now: DateTime<Utc>) -> anyhow::Result<()> {
    let url = s.migrate_database_url.as_ref().unwrap_or(&s.database_url);
    let store = Store::connect(url, s.timezone).await?;
    let applied = store.migrate(now).await?;
    println!(
        "Schéma à jour (version {}) ; migrations appliquées : {:?}",
        store.schema_version().await?,
        applied
    );
    let result = grant(&store, s).await;
    store.close().await;
    result
}

pub async fn grant(store: &Store, s: &Settings) -> anyhow::Result<()> {
    if !store.has_roles() {
        tracing::info!("base SQLite : pas de rôles, aucun droit à accorder");
        return Ok(());
    }
    let app = role_of(&s.database_url).unwrap_or_default();
    let Some(owner) = s.migrate_database_url.as_ref().and_then(role_of) else {
        tracing::warn!(
            "VIGIE_MIGRATE_DATABASE_URL non définie : le rôle de l'application « {app} » a migré le schéma lui-même ; aucun droit accordé (voir le README, « PostgreSQL en production »)"
        );
        return Ok(());
    };
    if owner == app {
        tracing::warn!(
            "VIGIE_MIGRATE_DATABASE_URL et VIGIE_DATABASE_URL désignent le même rôle « {app} » : aucun droit accordé (voir le README, « PostgreSQL en production »)"
        );
        return Ok(());
    }
    let g = store.grant_application_role(&app).await?;
    println!(
        "Droits du rôle de l'application « {} » accordés par « {owner} » : {} tables, {} séquences ; journal d'audit en lecture et ajout seulement.",
        g.role, g.tables, g.sequences
    );
    Ok(())
}

/// At start (`vigie serve`, `vigie user …`, `vigie demo`): with one role, migrates as
/// before; with two (`VIGIE_MIGRATE_DATABASE_URL` set), the application's role cannot
/// change the schema: an outdated one is refused with what to run.
pub async fn migrate_on_start(
    store: &Store,
    s: &Settings,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    if s.migrate_database_url.is_some() && store.has_roles() {
        store.require_current_schema().await?;
    } else {
        store.migrate(now).await?;
    }
    Ok(())
}

/// The URL `vigie audit purge` connects with: the owner's when set (deleting audit
/// entries is refused to the application's role).
pub fn purge_url(s: &Settings) -> &DbUrl {
    s.migrate_database_url.as_ref().unwrap_or(&s.database_url)
}

/// A purge refused for lack of privilege, explained.
pub fn purge_error(e: StoreError) -> anyhow::Error {
    if is_permission_denied(&e) {
        anyhow::anyhow!(
            "purge refusée : le rôle de l'application n'a pas le droit de supprimer des entrées du journal d'audit (c'est voulu : il ne peut qu'en ajouter) ; définissez VIGIE_MIGRATE_DATABASE_URL, l'URL du rôle propriétaire de la base, pour lancer « vigie audit purger »"
        )
    } else {
        e.into()
    }
}

/// `vigie check`: what the application's role could do that it must not (PostgreSQL).
pub async fn report(store: &Store) -> anyhow::Result<()> {
    let Some(r) = store.privilege_report().await? else {
        return Ok(());
    };
    if r.warnings.is_empty() {
        println!(
            "Droits PostgreSQL : le rôle « {} » ne peut ni modifier, ni supprimer, ni vider le journal d'audit",
            r.role
        );
    }
    for w in &r.warnings {
        println!("Droits PostgreSQL : ATTENTION — {w}");
    }
    Ok(())
}
