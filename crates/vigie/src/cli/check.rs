//! `vigie check`: schema version, integrity, audit chain, counts (and, on PostgreSQL, what
//! the application's role could do to the audit trail).

use std::process::ExitCode;

use vigie_store::Store;

use crate::config::{self, Settings};
use crate::{keys, pg_roles};

/// No option yet.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// `vigie check`: exit 1 when something is wrong.
pub async fn run(_args: Args, s: &Settings) -> anyhow::Result<ExitCode> {
    let store = Store::connect(&s.database_url, s.timezone).await?;
    if let Some((ring, file)) = keys::configured(s)? {
        store.use_key_ring(ring, file);
    }
    let r = store.check().await?;
    println!(
        "Schéma : version {} (programme : {})",
        r.schema_version, r.binary_version
    );
    config::announce_public_url(s, true);
    pg_roles::report(&store).await?;
    match &r.integrity {
        Ok(()) => println!("Intégrité : OK"),
        Err(e) => println!("Intégrité : ÉCHEC — {e}"),
    }
    match &r.audit.broken {
        None => {
            println!(
                "Journal d'audit : {} entrées, chaîne intacte ; tête {} = {}",
                r.audit.entries, r.audit.head_seq, r.audit.head_hash
            );
            super::audit::say_key(&r.audit);
        }
        Some((seq, why)) => {
            println!("Journal d'audit : CHAÎNE ROMPUE à l'entrée {seq} : {why}")
        }
    }
    for (t, n) in &r.counts {
        println!("  {t:<14} {n}");
    }
    Ok(if r.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
