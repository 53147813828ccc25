//! The instance key on the command line: `vigie key init|rotate|empreinte`, and giving the
//! key to the store (adoption by a database not keyed yet, a demo database's own key).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use vigie_store::keys::KeyRing;
use vigie_store::{Actor, Store};

use crate::config::{KeySource, Settings};
use crate::now;

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create the instance key (file with mode 0600), to keep apart from the data.
    Init {
        /// The file to create (never overwritten).
        #[arg(long)]
        output: PathBuf,
    },
    /// Start signing with a new key (added to the key file; old keys stay in it).
    Rotate,
    /// Show the fingerprints of the configured key and of the database's keys.
    Empreinte,
}

/// What to do when no key is configured.
const HOW_TO: &str = "créez-la une fois avec « vigie key init --output /etc/vigie/cle-instance », sauvegardez-la à part, puis indiquez VIGIE_INSTANCE_KEY_FILE=/etc/vigie/cle-instance (ou instance_key_file dans vigie.toml)";

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
/// (created at its first use). A real database without its key is refused.
pub fn required(s: &Settings, demo: bool) -> anyhow::Result<(KeyRing, Option<PathBuf>)> {
    if let Some(r) = configured(s)? {
        return Ok(r);
    }
    if !demo {
        anyhow::bail!("clé d'instance absente : {HOW_TO}.");
    }
    let path = demo_key_path(s);
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

/// Gives the store its key (adopted by a database not keyed yet: said on standard error)
/// and its anchor directory.
pub async fn attach(store: Store, s: &Settings, demo: bool) -> anyhow::Result<Store> {
    let (ring, file) = required(s, demo)?;
    let store = store.with_anchors(vigie_store::audit::anchors::AnchorLog::new(Some(
        s.audit_anchor_dir.clone(),
    )));
    if let vigie_store::audit::KeyStatus::Adopted {
        id,
        from_seq,
        sealed,
    } = store.open_with_key_ring(now(), ring, file).await?
    {
        eprintln!(
            "Clé d'instance n° {id} adoptée : la chaîne d'audit est signée à partir de l'entrée {from_seq} ; les {} entrées antérieures restent chaînées par SHA-256 et vérifiables sans clé. {sealed} secret(s) chiffré(s).",
            from_seq - 1
        );
    }
    Ok(store)
}

/// `vigie key …`.
pub async fn command(cmd: KeyCommand, s: &Settings) -> anyhow::Result<ExitCode> {
    match cmd {
        KeyCommand::Init { output } => {
            let ring = KeyRing::generate();
            ring.write(&output, true)
                .map_err(|e| anyhow::anyhow!("--output : {e}"))?;
            println!(
                "Clé d'instance créée : {} (lisible par son seul propriétaire), empreinte {}.",
                output.display(),
                ring.newest().fingerprint()
            );
            println!(
                "Sauvegardez ce fichier À PART des données et de leurs sauvegardes (coffre, support hors ligne) : \
                 sans lui, les secrets chiffrés de la base sont illisibles et la chaîne d'audit n'est plus vérifiable ; \
                 avec lui et une copie de la base, on peut les lire."
            );
            println!(
                "Indiquez-le à Vigie : VIGIE_INSTANCE_KEY_FILE={} (ou instance_key_file dans vigie.toml). \
                 Plusieurs serveurs web partagent le même fichier.",
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::Rotate => {
            let KeySource::File(path) = &s.instance_key else {
                anyhow::bail!(
                    "la rotation ajoute une clé au fichier de clés : indiquez-le avec VIGIE_INSTANCE_KEY_FILE"
                );
            };
            let store = Store::connect(&s.database_url, s.timezone).await?;
            store.require_current_schema().await?;
            let (ring, _) = required(s, false)?;
            let store = store.with_anchors(vigie_store::audit::anchors::AnchorLog::new(Some(
                s.audit_anchor_dir.clone(),
            )));
            store
                .open_with_key_ring(now(), ring.clone(), Some(path.clone()))
                .await?;
            let mut next = ring;
            next.rotate();
            // The file first: a key the database records is never missing from it.
            next.write(path, false)
                .map_err(|e| anyhow::anyhow!("VIGIE_INSTANCE_KEY_FILE : {e}"))?;
            let seg = store
                .rotate_instance_key(now(), &Actor::system(), next, Some(path.clone()))
                .await?;
            println!(
                "Nouvelle clé d'instance n° {} (empreinte {}) : elle signe la chaîne d'audit à partir de l'entrée {} ; les secrets sont chiffrés avec elle.",
                seg.id, seg.fingerprint, seg.from_seq
            );
            println!(
                "Le fichier {} contient désormais toutes les clés (les anciennes restent nécessaires pour vérifier les segments qu'elles ont signés) : \
                 copiez-le sur chaque serveur web et sauvegardez-le à part.",
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::Empreinte => {
            match configured(s)? {
                Some((ring, _)) => {
                    for k in ring.keys() {
                        println!("Fichier : clé n° {} empreinte {}", k.id, k.fingerprint());
                    }
                }
                None => println!("Aucune clé d'instance configurée."),
            }
            let store = Store::connect(&s.database_url, s.timezone).await?;
            store.require_current_schema().await?;
            let segs = store.audit_key_segments().await?;
            if segs.is_empty() {
                println!("Base : aucune clé (chaîne d'audit non signée).");
            }
            for seg in segs {
                println!(
                    "Base : clé n° {} empreinte {}, signe à partir de l'entrée {}",
                    seg.id, seg.fingerprint, seg.from_seq
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
