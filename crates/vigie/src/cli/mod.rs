//! The command line, one module per command group (`vigie <group> …`). Each module owns its
//! clap type (`Args` for a command, `Command` for a group of subcommands) and its `run`;
//! `main.rs` only parses and dispatches.
//!
//! A new command (`backup`, `restore`, `export`, `import`…) is one new module here, declared
//! below, plus one variant in `main.rs`'s `Command` and its arm in `run`.
//!
//! One naming convention for every command, now and later: command and option names in
//! English, as operators expect (`audit head`, `audit purge --before`, `key adopt`,
//! `--territory`, `--year` for a year); a former French name stays accepted as an alias
//! (`#[command(visible_alias = "tete")]`, `#[arg(visible_alias = "ancre")]`; the old top-level
//! `delai-moins-de-deux-ans` as a hidden command) so that no runbook breaks; help texts and
//! messages in French, like the README. The `///` lines on clap types and fields are that
//! help, hence in French.
//!
//! What the commands share: [`open`] (connect, migrate, instance row, key).

pub mod audit;
pub mod backup;
pub mod check;
pub mod demo;
pub mod key;
pub mod migrate;
pub mod restore;
pub mod serve;
pub mod settings;
pub mod user;

use vigie_store::Store;

use crate::config::Settings;
use crate::{keys, now, pg_roles};

/// Opens the database, migrates it, and makes sure the instance row exists.
pub async fn open(
    s: &Settings,
    demo: bool,
) -> anyhow::Result<(Store, vigie_store::users::Instance)> {
    let store = Store::connect(&s.database_url, s.timezone).await?;
    pg_roles::migrate_on_start(&store, s, now()).await?;
    let existing = store.instance().await?;
    if demo && existing.as_ref().is_some_and(|i| !i.demo) {
        anyhow::bail!(
            "cette base ({}) n'a pas été créée avec --demo : les données et comptes de démonstration n'y sont pas ajoutés. Choisissez une autre base (VIGIE_DATABASE_URL).",
            s.database_url
        );
    }
    // A real database is never written to without its key (checked before creating it):
    // a new database is keyed from its first entry.
    let db_demo = existing.as_ref().is_some_and(|i| i.demo);
    let (ring, file) = keys::required(s, demo, db_demo)?;
    store.use_key_ring(ring, file);
    let instance = store.init_instance(now(), demo, &s.departements).await?;
    let store = keys::attach(store, s, demo, instance.demo).await?;
    Ok((store, instance))
}
