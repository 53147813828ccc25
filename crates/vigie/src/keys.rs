//! Giving the instance key to the store: the configured ring, a demo database's own key,
//! adoption by a database not keyed yet. The `vigie key …` commands are [`crate::cli::key`].

use std::path::{Path, PathBuf};

use vigie_store::Store;
use vigie_store::audit::KeyStatus;
use vigie_store::keys::KeyRing;

use crate::config::{KeySource, Settings};
use crate::now;

/// What to do when no key is configured.
pub const HOW_TO: &str = "créez-la une fois avec « vigie key init --output /etc/vigie/cle-instance », sauvegardez-la à part, puis indiquez VIGIE_INSTANCE_KEY_FILE=/etc/vigie/cle-instance (ou instance_key_file dans vigie.toml)";

/// The demo database's key file: next to the SQLite file (or in `data/`).
fn demo_key_path(s: &Settings) -> PathBuf {
    let dir = s
        .database_url
        .sqlite_path()
        .and_then(|p| Path::new(p).parent().map(Path::to_owned))
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("data"));
    dir.join("cle-instance-demo")
}

/// The configured ring and the file it came from; `None` when none is configured.
pub fn configured(s: &Settings) -> anyhow::Result<Option<(KeyRing, Option<PathBuf>)>> {
    Ok(match &s.instance_key {
        KeySource::None => None,
        KeySource::File(p) => Some((
            KeyRing::read(p).map_err(|e| anyhow::anyhow!("VIGIE_INSTANCE_KEY_FILE : {e}"))?,
            Some(p.clone()),
        )),
        KeySource::Inline(text) => Some((
            KeyRing::parse(text).map_err(|e| anyhow::anyhow!("VIGIE_INSTANCE_KEY : {e}"))?,
            None,
        )),
    })
}

/// The ring a command that writes must use: the configured one, or a demo database's own
/// (created only by `--demo`: a database's own « demo » flag never creates a key). A real
/// database without its key is refused.
pub fn required(
    s: &Settings,
    demo_flag: bool,
    db_demo: bool,
) -> anyhow::Result<(KeyRing, Option<PathBuf>)> {
    if let Some(r) = configured(s)? {
        return Ok(r);
    }
    let path = demo_key_path(s);
    if !demo_flag && (!db_demo || !path.exists()) {
        anyhow::bail!("clé d'instance absente : {HOW_TO}.");
    }
    if !path.exists() {
        KeyRing::generate()
            .write(&path, true)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        eprintln!(
            "Base de démonstration : clé d'instance créée dans {}.",
            path.display()
        );
    }
    Ok((
        KeyRing::read(&path).map_err(|e| anyhow::anyhow!("{e}"))?,
        Some(path),
    ))
}

/// Gives the store its key and its anchor directory. A database written before the key
/// adopts it only on the operator's explicit request (`vigie key adopt`), or with
/// `--demo`: an automatic adoption would also seal a chain rewritten without the key.
pub async fn attach(
    store: Store,
    s: &Settings,
    demo_flag: bool,
    db_demo: bool,
) -> anyhow::Result<Store> {
    let (ring, file) = required(s, demo_flag, db_demo)?;
    let store = store.with_anchors(vigie_store::audit::anchors::AnchorLog::new(Some(
        s.audit_anchor_dir.clone(),
    )));
    // A database not initialised yet has nothing written to seal: it adopts at once.
    let fresh = store.instance().await?.is_none();
    if store.key_status(&ring).await? == KeyStatus::NotAdopted && !(demo_flag && db_demo) && !fresh
    {
        anyhow::bail!(
            "cette base a été créée avant la clé d'instance et ne l'a pas encore adoptée : lancez une fois « vigie key adopter » (avec VIGIE_INSTANCE_KEY_FILE), qui le fait et dit ce qui change ; rien n'a été écrit"
        );
    }
    say_adoption(&store.open_with_key_ring(now(), ring, file).await?);
    Ok(store)
}

pub fn say_adoption(status: &KeyStatus) {
    if let KeyStatus::Adopted {
        id,
        from_seq,
        sealed,
    } = status
    {
        eprintln!(
            "Clé d'instance n° {id} adoptée : la chaîne d'audit est signée à partir de l'entrée {from_seq} ; les {} entrées antérieures restent chaînées par SHA-256 et vérifiables sans clé. {sealed} secret(s) chiffré(s).",
            from_seq - 1
        );
    }
}
