//! Vigie's backups: one encrypted archive of the data, the documents and the configuration,
//! taken online from one consistent snapshot, that restores into an empty database of either
//! backend (and so also moves an instance from SQLite to PostgreSQL).
//!
//! The archive is a tar stream, compressed with gzip, encrypted with [age](https://age-encryption.org)
//! (a passphrase, or recipients' public keys so that the server writing backups cannot read
//! them). Its members, in order:
//! - `vigie-sauvegarde.json`: what it is (format, Vigie and schema versions);
//! - `tables/NNN-<table>/PPPPPP.jsonl`: each table's rows, one JSON object per line, in parts
//!   of a few MiB, tables in the order a restore inserts them (parents first);
//! - `documents/<id>`: each document's bytes, whole;
//! - `configuration.json` (the settings, without secrets), `sequences.json` (id counters);
//! - `manifeste.json`, last: row counts, documents, the audit chain's head, the instance keys'
//!   fingerprints, and the size and SHA-256 of every other member.
//!
//! Rows and documents are streamed: a table part is at most [`write::PART_BYTES`] (and one
//! row) in memory. What grows with the archive is its list of members (the manifest names
//! each document with its SHA-256: about 0.5 kB per document).

pub mod manifest;
mod read;
mod write;

pub use age::secrecy::SecretString;
pub use read::{RestoreReport, Verified, restore, verify};
pub use write::{PART_BYTES, Summary, backup};

/// The scrypt work factor of a passphrase (log2 N, r = 8, p = 1): 2^17 takes 128 MiB and
/// a few tenths of a second, the configuration OWASP recommends for scrypt. age would
/// calibrate about one second instead (2^19 or 2^20 here: 512 MiB to 1 GiB at each backup
/// and restore); this keeps every command under its memory target. A long passphrase
/// (12 characters at least, enforced by the command line) matters more than the factor.
pub const PASSPHRASE_WORK_FACTOR: u8 = 17;

/// How an archive is encrypted.
pub enum Encryption {
    /// A passphrase (age's scrypt); the work factor (log2) is [`PASSPHRASE_WORK_FACTOR`]
    /// unless given (tests use a small one).
    Passphrase(SecretString, Option<u8>),
    /// Public keys (`age1…`): whoever holds one of the matching private keys can read it.
    Recipients(Vec<age::x25519::Recipient>),
}

/// How an archive is decrypted.
pub enum Decryption {
    Passphrase(SecretString),
    /// Private keys (`AGE-SECRET-KEY-1…`), from an age identity file.
    Identities(Vec<age::x25519::Identity>),
}

impl std::fmt::Debug for Encryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Passphrase(..) => f.write_str("Passphrase(***)"),
            Self::Recipients(r) => write!(f, "Recipients({})", r.len()),
        }
    }
}

impl std::fmt::Debug for Decryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Passphrase(_) => f.write_str("Passphrase(***)"),
            Self::Identities(i) => write!(f, "Identities({})", i.len()),
        }
    }
}

/// Parses public keys, one per line (`#` comments), as an age recipients file holds them.
pub fn parse_recipients(text: &str) -> Result<Vec<age::x25519::Recipient>, Error> {
    lines(text)
        .map(|l| {
            l.parse().map_err(|_| {
                Error::Usage(format!(
                    "clé publique age invalide « {l} » (attendu : age1…)"
                ))
            })
        })
        .collect()
}

/// Parses private keys, one per line (`#` comments), as `age-keygen` writes them.
pub fn parse_identities(text: &str) -> Result<Vec<age::x25519::Identity>, Error> {
    let keys: Vec<age::x25519::Identity> = lines(text)
        .map(|l| {
            l.parse().map_err(|_| {
                Error::Usage(
                    "fichier de clé privée age invalide (attendu : une ligne AGE-SECRET-KEY-1…)"
                        .into(),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    if keys.is_empty() {
        return Err(Error::Usage(
            "le fichier de clé privée age ne contient aucune clé".into(),
        ));
    }
    Ok(keys)
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// What is told about a backup or a restore as it goes (a progress bar on a terminal).
pub trait Progress: Send + Sync {
    /// Whether anything is shown: the total of a backup costs a count of every table, made
    /// only for a visible bar.
    fn visible(&self) -> bool;
    /// The work ahead: rows and documents.
    fn start(&self, total: u64);
    /// `n` more rows or documents done; `what` names the table or « documents ».
    fn advance(&self, n: u64, what: &str);
}

/// No progress shown.
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn visible(&self) -> bool {
        false
    }
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64, _: &str) {}
}

/// Why a backup, a verification or a restore failed, in French.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The archive is not what it should be (altered, truncated, incomplete, wrong key).
    #[error("archive refusée : {0}")]
    Archive(String),
    /// A usage or configuration problem (wrong key, non-empty database…).
    #[error("{0}")]
    Usage(String),
    /// The restore's data is committed, but what follows failed (migrations, the chain's
    /// verification with the key, the restore's own audit entry).
    #[error(
        "les données de l'archive sont restaurées et validées en base, mais la suite a échoué : {0} ; lancez « vigie migrate » puis « vigie check » et « vigie audit verify » pour voir où en est la base"
    )]
    AfterCommit(String),
    /// Reading or writing a file.
    #[error("{0}")]
    Io(String),
    /// The database.
    #[error(transparent)]
    Store(#[from] vigie_store::StoreError),
}

impl Error {
    pub(crate) fn io(context: &str, e: &std::io::Error) -> Self {
        Self::Io(format!("{context} : {e}"))
    }
}
