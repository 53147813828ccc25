//! `vigie backup --output …` (an encrypted archive, online) and `vigie backup --verify …`;
//! `vigie restore` is [`super::restore`]. The archive's format: `vigie_backup`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use vigie_backup::{Decryption, Encryption, SecretString};
use vigie_store::Store;

use crate::config::Settings;
use crate::{keys, now};

/// The environment variable holding the archive's passphrase.
pub const PASSPHRASE_ENV: &str = "VIGIE_BACKUP_PASSPHRASE";

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["output", "verify"])))]
pub struct Args {
    /// Écrit l'archive dans ce fichier ; un dossier existant reçoit
    /// vigie-AAAAMMJJ-HHMMSS.age (avec --keep, les plus anciennes y sont supprimées).
    #[arg(long, value_name = "FICHIER_OU_DOSSIER")]
    output: Option<PathBuf>,
    /// Vérifie une archive (complète, lisible, sommes de contrôle) sans rien restaurer.
    #[arg(long, value_name = "FICHIER")]
    verify: Option<PathBuf>,
    /// Avec --output DOSSIER : garde les N archives vigie-*.age les plus récentes.
    #[arg(long, value_name = "N", requires = "output")]
    keep: Option<usize>,
    #[command(flatten)]
    keys: KeyArgs,
}

/// How the archive is encrypted or decrypted (shared with `vigie restore`).
#[derive(clap::Args, Debug, Default)]
pub struct KeyArgs {
    /// Fichier contenant la phrase de passe (sinon VIGIE_BACKUP_PASSPHRASE).
    #[arg(long, value_name = "FICHIER")]
    pub passphrase_file: Option<PathBuf>,
    /// Clé publique age (age1…) destinataire de l'archive ; répétable. Le serveur qui
    /// sauvegarde n'a alors pas de quoi relire ses archives.
    #[arg(long, value_name = "CLE_PUBLIQUE")]
    pub recipient: Vec<String>,
    /// Fichier de clés publiques age, une par ligne.
    #[arg(long, value_name = "FICHIER")]
    pub recipients_file: Option<PathBuf>,
    /// Fichier de clé privée age (AGE-SECRET-KEY-1…) pour lire une archive chiffrée pour
    /// une clé publique.
    #[arg(long, value_name = "FICHIER")]
    pub identity: Option<PathBuf>,
}

fn read_text(path: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("{what} {} illisible : {e}", path.display()))
}

fn passphrase(k: &KeyArgs) -> anyhow::Result<Option<SecretString>> {
    let text = match &k.passphrase_file {
        Some(p) => Some(read_text(p, "--passphrase-file")?),
        None => std::env::var(PASSPHRASE_ENV).ok(),
    };
    let Some(text) = text else { return Ok(None) };
    let line = text.trim_end_matches(['\n', '\r']).to_owned();
    if line.chars().count() < 12 {
        anyhow::bail!(
            "phrase de passe trop courte : 12 caractères au moins (une phrase de plusieurs mots, gardée hors du serveur)"
        );
    }
    Ok(Some(SecretString::from(line)))
}

impl KeyArgs {
    /// How to encrypt: recipients when given, else the passphrase.
    pub fn encryption(&self) -> anyhow::Result<Encryption> {
        let mut list = vigie_backup::parse_recipients(&self.recipient.join("\n"))?;
        if let Some(f) = &self.recipients_file {
            list.extend(vigie_backup::parse_recipients(&read_text(
                f,
                "--recipients-file",
            )?)?);
        }
        if !list.is_empty() {
            return Ok(Encryption::Recipients(list));
        }
        match passphrase(self)? {
            Some(p) => Ok(Encryption::Passphrase(p, None)),
            None => anyhow::bail!(
                "l'archive est toujours chiffrée : donnez une phrase de passe (VIGIE_BACKUP_PASSPHRASE ou --passphrase-file) ou une clé publique age (--recipient age1… ou --recipients-file)"
            ),
        }
    }

    /// How to decrypt: the private key when given, else the passphrase.
    pub fn decryption(&self) -> anyhow::Result<Decryption> {
        if let Some(f) = &self.identity {
            return Ok(Decryption::Identities(vigie_backup::parse_identities(
                &read_text(f, "--identity")?,
            )?));
        }
        match passphrase(self)? {
            Some(p) => Ok(Decryption::Passphrase(p)),
            None => anyhow::bail!(
                "pour lire l'archive : sa phrase de passe (VIGIE_BACKUP_PASSPHRASE ou --passphrase-file) ou la clé privée age (--identity FICHIER)"
            ),
        }
    }
}

/// A progress bar on a terminal; nothing otherwise (the summary line says it all).
pub struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    pub fn new() -> Self {
        Self(std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(0);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {percent:>3} % {pos}/{len} {msg}",
            ) {
                b.set_style(style.progress_chars("=> "));
            }
            b
        }))
    }

    pub fn done(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl vigie_backup::Progress for Bar {
    fn visible(&self) -> bool {
        self.0.is_some()
    }
    fn start(&self, total: u64) {
        if let Some(b) = &self.0 {
            b.set_length(total);
        }
    }
    fn advance(&self, n: u64, what: &str) {
        if let Some(b) = &self.0 {
            b.inc(n);
            b.set_message(what.to_owned());
        }
    }
}

/// `vigie backup`.
pub async fn run(args: Args, s: &Settings) -> anyhow::Result<ExitCode> {
    if let Some(file) = &args.verify {
        return verify(file, &args.keys);
    }
    let Some(output) = &args.output else {
        anyhow::bail!(
            "indiquez --output FICHIER_OU_DOSSIER (sauvegarder) ou --verify FICHIER (vérifier une archive)"
        );
    };
    let encryption = args.keys.encryption()?;
    let (file, dir) = if output.is_dir() {
        let stamp = now().format("%Y%m%d-%H%M%S").to_string();
        let mut file = output.join(format!("vigie-{stamp}.age"));
        let mut n = 1;
        while file.exists() {
            n += 1;
            file = output.join(format!("vigie-{stamp}-{n}.age"));
        }
        (file, Some(output.clone()))
    } else {
        if args.keep.is_some() {
            anyhow::bail!("--keep demande un dossier pour --output");
        }
        (output.clone(), None)
    };
    let store = Store::connect(&s.database_url, s.timezone).await?;
    let started = std::time::Instant::now();
    let summary = write(&store, &file, &encryption, s).await?;
    let m = &summary.manifest;
    let rows: u64 = m.tables.iter().map(|t| t.rows).sum();
    let dossiers = m
        .tables
        .iter()
        .find(|t| t.name == "dossier")
        .map_or(0, |t| t.rows);
    println!(
        "Sauvegarde écrite : {} ({:.1} Mo) en {:.1} s — schéma {}, {} tables, {rows} lignes dont {dossiers} dossiers, {} documents ({:.1} Mo), journal d'audit jusqu'à l'entrée {}.",
        file.display(),
        summary.archive_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        m.schema_version,
        m.tables.len(),
        m.documents.count,
        m.documents.bytes as f64 / 1e6,
        m.audit_head_seq
    );
    audit(&store, s, &file, dossiers).await;
    if let (Some(dir), Some(keep)) = (dir, args.keep) {
        rotate(&dir, keep)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the archive to `file.partial`, synced, then renamed: an interrupted backup never
/// leaves a file that looks finished.
async fn write(
    store: &Store,
    file: &Path,
    encryption: &Encryption,
    s: &Settings,
) -> anyhow::Result<vigie_backup::Summary> {
    let partial = file.with_extension("age.partial");
    // A leftover of an interrupted backup is replaced, never reused with its old mode.
    let _ = std::fs::remove_file(&partial);
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    // Encrypted, yet readable by its owner only.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let out = open
        .open(&partial)
        .map_err(|e| anyhow::anyhow!("{} : {e}", partial.display()))?;
    let bar = Bar::new();
    let configuration = crate::config::saved(s);
    let result = vigie_backup::backup(store, &out, encryption, &configuration, now(), &bar).await;
    bar.done();
    let summary = match result.and_then(|r| {
        out.sync_all()
            .map_err(|e| vigie_backup::Error::Io(format!("{} : {e}", partial.display())))?;
        Ok(r)
    }) {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            anyhow::bail!("sauvegarde échouée, aucune archive écrite : {e}");
        }
    };
    std::fs::rename(&partial, file).map_err(|e| anyhow::anyhow!("{} : {e}", file.display()))?;
    // The rename itself made durable before anything older is rotated away.
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(summary)
}

/// Records the backup in the audit trail when the instance key is at hand (a backup reads
/// everything: it is traced like a consultation).
async fn audit(store: &Store, s: &Settings, file: &Path, dossiers: u64) {
    let db_demo = store
        .instance()
        .await
        .ok()
        .flatten()
        .is_some_and(|i| i.demo);
    let Ok((ring, path)) = keys::required(s, false, db_demo) else {
        eprintln!(
            "Note : clé d'instance absente, la sauvegarde n'est pas inscrite au journal d'audit."
        );
        return;
    };
    store.use_key_ring(ring, path);
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Err(e) = store
        .audit(
            now(),
            &vigie_store::Actor::system(),
            vigie_store::audit::Event::new("sauvegarde.creation")
                .detail(format!("archive {name} ; {dossiers} dossiers")),
        )
        .await
    {
        eprintln!("Note : la sauvegarde n'a pas pu être inscrite au journal d'audit ({e}).");
    }
}

/// Whether `name` is an archive named by [`run`] (`vigie-AAAAMMJJ-HHMMSS[-N].age`): other
/// files of the directory (an archive kept by hand) are never rotated.
fn dated(name: &str) -> bool {
    let Some(stem) = name
        .strip_prefix("vigie-")
        .and_then(|n| n.strip_suffix(".age"))
    else {
        return false;
    };
    let b = stem.as_bytes();
    b.len() >= 15
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'-'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && (b.len() == 15 || (b[15] == b'-' && b[16..].iter().all(u8::is_ascii_digit)))
}

/// Keeps the `keep` newest dated archives of `dir` (their names sort by date).
fn rotate(dir: &Path, keep: usize) -> anyhow::Result<()> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("rotation : dossier {} illisible : {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(dated))
        .collect();
    // By date, then by the number added to a name already taken within the same second.
    names.sort_by_key(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let stem = name.trim_start_matches("vigie-").trim_end_matches(".age");
        let n: u32 = stem.get(16..).and_then(|x| x.parse().ok()).unwrap_or(1);
        (stem.get(..15).unwrap_or_default().to_owned(), n)
    });
    let excess = names.len().saturating_sub(keep.max(1));
    for old in names.iter().take(excess) {
        std::fs::remove_file(old).map_err(|e| anyhow::anyhow!("{} : {e}", old.display()))?;
        println!("Rotation : {} supprimée.", old.display());
    }
    Ok(())
}

/// `vigie backup --verify FILE`.
fn verify(file: &Path, k: &KeyArgs) -> anyhow::Result<ExitCode> {
    let dec = k.decryption()?;
    let started = std::time::Instant::now();
    let input =
        std::fs::File::open(file).map_err(|e| anyhow::anyhow!("{} : {e}", file.display()))?;
    match vigie_backup::verify(input, &dec) {
        Ok(v) => {
            let m = &v.manifest;
            println!(
                "Archive complète et lisible : {} — écrite le {} par Vigie {} (base {}, schéma {}), {} membres vérifiés (SHA-256), {} lignes, {} documents, journal d'audit jusqu'à l'entrée {} ; vérifiée en {:.1} s.",
                file.display(),
                m.created_at,
                m.vigie_version,
                m.source_backend,
                m.schema_version,
                m.members.len() + 1,
                m.tables.iter().map(|t| t.rows).sum::<u64>(),
                m.documents.count,
                m.audit_head_seq,
                started.elapsed().as_secs_f64()
            );
            for k in &m.instance_keys {
                println!(
                    "  clé d'instance n° {} nécessaire à la restauration : empreinte {}",
                    k.id, k.fingerprint
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("vigie : {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_dated_archives_rotate() {
        assert!(super::dated("vigie-20261205-023000.age"));
        assert!(super::dated("vigie-20261205-023000-2.age"));
        assert!(!super::dated("vigie-avant-mise-a-jour.age"));
        assert!(!super::dated("vigie-20261205-023000.age.partial"));
        assert!(!super::dated("autre-20261205-023000.age"));
    }
}
