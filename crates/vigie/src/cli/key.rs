//! `vigie key …`: the instance key on the command line (create, adopt, rotate, fingerprints);
//! giving the key to the store is [`crate::keys`].

use std::path::PathBuf;
use std::process::ExitCode;

use vigie_store::audit::KeyStatus;
use vigie_store::keys::KeyRing;
use vigie_store::{Actor, Store};

use crate::config::{KeySource, Settings};
use crate::keys::{HOW_TO, configured, required, say_adoption};
use crate::now;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Crée la clé d'instance (fichier en mode 0600), à garder à part des données.
    Init {
        /// Le fichier à créer (jamais écrasé).
        #[arg(long, value_name = "FICHIER")]
        output: PathBuf,
    },
    /// Fait adopter la clé par une base créée avant elle (une fois, explicitement).
    #[command(visible_alias = "adopter")]
    Adopt,
    /// Rotation en deux temps : ajoute une nouvelle clé au fichier de clés (à copier sur chaque
    /// serveur), puis, relancée, la fait signer.
    Rotate,
    /// Affiche les empreintes de la clé configurée et des clés de la base.
    #[command(visible_alias = "empreinte")]
    Fingerprint,
}

/// `vigie key …`.
pub async fn run(cmd: Command, s: &Settings) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Init { output } => init(output),
        Command::Adopt => adopt(s).await,
        Command::Rotate => rotate(s).await,
        Command::Fingerprint => fingerprint(s).await,
    }
}

/// `vigie key init`: a new key file, never overwriting one.
fn init(output: PathBuf) -> anyhow::Result<ExitCode> {
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

/// `vigie key adopt`: a database created before the key adopts it.
async fn adopt(s: &Settings) -> anyhow::Result<ExitCode> {
    let store = Store::connect(&s.database_url, s.timezone).await?;
    store.require_current_schema().await?;
    let (ring, file) =
        configured(s)?.ok_or_else(|| anyhow::anyhow!("clé d'instance absente : {HOW_TO}."))?;
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

/// `vigie key rotate`: a new key in the file (step 1), then its activation (step 2).
async fn rotate(s: &Settings) -> anyhow::Result<ExitCode> {
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
            anyhow::anyhow!(
                "cette base n'a pas encore de clé d'instance : « vigie key adopter » d'abord"
            )
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

/// `vigie key fingerprint`: the keys of the file and those the database records.
async fn fingerprint(s: &Settings) -> anyhow::Result<ExitCode> {
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
