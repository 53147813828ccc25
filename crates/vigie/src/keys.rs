//! The instance key on the command line: `vigie key init|rotate|empreinte`, and giving the
//! key to the store (adoption by a database not keyed yet, a demo database's own key).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use vigie_store::audit::KeyStatus;
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
    /// Adopt the key in a database created before it (once, explicitly).
    Adopter,
    /// Rotation in two steps: add a new key to the key file (copy it to every server), then
    /// run it again to start signing with it.
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
/// adopts it only on the operator's explicit request (`vigie key adopter`), or with
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

fn say_adoption(status: &KeyStatus) {
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
        KeyCommand::Adopter => {
            let store = Store::connect(&s.database_url, s.timezone).await?;
            store.require_current_schema().await?;
            let (ring, file) = configured(s)?
                .ok_or_else(|| anyhow::anyhow!("clé d'instance absente : {HOW_TO}."))?;
            let store = store.with_anchors(vigie_store::audit::anchors::AnchorLog::new(Some(
                s.audit_anchor_dir.clone(),
            )));
            match store.open_with_key_ring(now(), ring, file).await? {
                KeyStatus::Known { id } => {
                    println!("Cette base utilise déjà la clé d'instance n° {id} : rien à faire.")
                }
                st => {
                    say_adoption(&st);
                    println!(
                        "Clé adoptée. Les sauvegardes antérieures de la base contiennent encore les secrets en clair :                          faites réactiver le second facteur des comptes si elles ne sont pas sous votre seul contrôle."
                    );
                }
            }
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
            let (ring, _) = required(s, false, false)?;
            let current = store
                .audit_key_segments()
                .await?
                .last()
                .map(|k| k.id)
                .ok_or_else(|| {
                    anyhow::anyhow!("cette base n'a pas encore de clé d'instance : « vigie key adopter » d'abord")
                })?;
            if ring.newest().id <= current {
                // Step 1: a new key in the file, nothing in the database yet.
                let mut next = ring;
                let k = next.rotate();
                let (id, fp) = (k.id, k.fingerprint());
                next.write(path, false)
                    .map_err(|e| anyhow::anyhow!("VIGIE_INSTANCE_KEY_FILE : {e}"))?;
                println!(
                    "Nouvelle clé d'instance n° {id} (empreinte {fp}) ajoutée à {} ; elle ne signe rien encore.",
                    path.display()
                );
                println!(
                    "Copiez ce fichier sur chaque serveur web, sauvegardez-le à part, puis relancez « vigie key rotate » pour qu'elle signe la chaîne d'audit et chiffre les secrets."
                );
                return Ok(ExitCode::SUCCESS);
            }
            // Step 2: the file holds a key the database does not use yet: activate it.
            let store = store.with_anchors(vigie_store::audit::anchors::AnchorLog::new(Some(
                s.audit_anchor_dir.clone(),
            )));
            let seg = store
                .rotate_instance_key(now(), &Actor::system(), ring, Some(path.clone()))
                .await?;
            println!(
                "Clé d'instance n° {} (empreinte {}) activée : elle signe la chaîne d'audit à partir de l'entrée {} ; les secrets sont chiffrés avec elle.",
                seg.id, seg.fingerprint, seg.from_seq
            );
            println!(
                "Les anciennes clés restent dans {} : elles vérifient les segments qu'elles ont signés.",
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
