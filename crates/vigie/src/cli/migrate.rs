//! `vigie migrate`: the database migrations (on PostgreSQL as the owner role, then the
//! application role's grants: see [`crate::pg_roles`]).

use std::process::ExitCode;

use vigie_store::Store;

use crate::config::Settings;
use crate::{keys, now, pg_roles};

/// No option yet.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// `vigie migrate`.
pub async fn run(_args: Args, s: &Settings) -> anyhow::Result<ExitCode> {
    pg_roles::migrate(s, now()).await?;
    // A database written before the key adopts it explicitly (`vigie key adopt`).
    if let Some((ring, _)) = keys::configured(s)? {
        let store = Store::connect(&s.database_url, s.timezone).await?;
        if store.instance().await?.is_some()
            && store.key_status(&ring).await? == vigie_store::audit::KeyStatus::NotAdopted
        {
            println!(
                "Cette base n'a pas encore adopté la clé d'instance : lancez une fois « vigie key adopter »."
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
