//! Anchors outside the database: the chain's head (sequence number and link) written to an
//! append-only file in a configured directory, and to the log (a line operators ship to
//! their central logging). Written at start, every [`EVERY_ENTRIES`] entries or
//! [`EVERY`] (whichever comes first, when the chain moved), at each purge and each key
//! change. `vigie audit verify` reads every anchor of the directory: a database restored
//! from an old backup, or whose tail was cut, no longer reaches the last anchors; a chain
//! rewritten from an entry no longer matches them.
//!
//! One line per anchor: `INSTANT SEQ:LINK REASON`, e.g.
//! `2026-11-24T10:00:00Z 1234:9f86…0a08 periodique`.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A head recorded outside the database (`vigie audit tete`): entry `seq` had hash `hash`.
/// Written `SEQ:HASH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl FromStr for Anchor {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let err = || {
            "ancre attendue sous la forme NUMÉRO:EMPREINTE (64 caractères hexadécimaux), telle qu'affichée par « vigie audit tete »".to_owned()
        };
        let (seq, hash) = s.trim().split_once(':').ok_or_else(err)?;
        let seq: i64 = seq.trim().parse().map_err(|_| err())?;
        let hash = hash.trim().to_ascii_lowercase();
        if seq < 0 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err());
        }
        Ok(Self { seq, hash })
    }
}

/// An anchor at least every this many entries…
pub const EVERY_ENTRIES: i64 = 1_000;
/// …or this often, when the chain moved.
pub const EVERY: Duration = Duration::minutes(10);
/// The file written in the anchor directory.
pub const FILE_NAME: &str = "ancres-audit.log";

/// Where anchors go, and the last one written by this process.
#[derive(Debug)]
pub struct AnchorLog {
    dir: Option<PathBuf>,
    last: Mutex<Option<(i64, DateTime<Utc>)>>,
}

impl AnchorLog {
    /// Anchors written to `dir` (created when missing) and to the log; `None`: the log only.
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self {
            dir,
            last: Mutex::new(None),
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Whether an anchor is due for a head at `seq`.
    pub(crate) fn due(&self, now: DateTime<Utc>, seq: i64) -> bool {
        match self.last.lock().ok().and_then(|l| *l) {
            None => true,
            Some((last_seq, at)) => {
                seq >= last_seq + EVERY_ENTRIES || (seq > last_seq && now - at >= EVERY)
            }
        }
    }

    /// Writes one anchor (file then log). A file that cannot be written is logged as an
    /// error (the save it follows is already acknowledged); the next anchor due tries again.
    pub(crate) fn write(&self, now: DateTime<Utc>, anchor: &Anchor, reason: &str) {
        let line = format!(
            "{} {anchor} {reason}\n",
            now.format("%Y-%m-%dT%H:%M:%S%.6fZ")
        );
        if let Some(dir) = &self.dir
            && let Err(e) = append_line(dir, &line)
        {
            tracing::error!(
                dossier = %dir.display(),
                erreur = %e,
                "ancre de la chaîne d'audit non écrite dans le fichier"
            );
        }
        tracing::info!(
            target: "vigie::audit::ancre",
            seq = anchor.seq,
            empreinte = %anchor.hash,
            raison = reason,
            "ancre de la chaîne d'audit {anchor}"
        );
        // Recorded even when the file could not be written: the next attempt waits for the
        // next anchor due (one error per period, not one per entry).
        if let Ok(mut l) = self.last.lock() {
            *l = Some((anchor.seq, now));
        }
    }
}

fn append_line(dir: &Path, line: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o640);
    }
    let mut f = opts.open(dir.join(FILE_NAME))?;
    // One write of one short line in append mode: never interleaved with another node's.
    f.write_all(line.as_bytes())?;
    f.sync_data()
}

/// Every anchor recorded in the `*.log` files of `dir`, with where it was read (French
/// error naming the file and line of an unreadable one). A missing directory has none.
pub fn read_dir(dir: &Path) -> Result<Vec<(String, Anchor)>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => {
            return Err(format!(
                "ancres : impossible de lire {} ({e})",
                dir.display()
            ));
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)
            .map_err(|e| format!("ancres : impossible de lire {} ({e})", f.display()))?;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let where_ = format!("{}:{}", f.display(), i + 1);
            let anchor = line
                .split_whitespace()
                .nth(1)
                .and_then(|w| w.parse::<Anchor>().ok())
                .ok_or_else(|| format!("ancre illisible ({where_}) : « {line} »"))?;
            out.push((where_, anchor));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_due_by_count_or_by_time() {
        let log = AnchorLog::new(None);
        let t0: DateTime<Utc> = "2026-11-24T10:00:00Z".parse().unwrap_or_default();
        assert!(log.due(t0, 0));
        log.write(
            t0,
            &Anchor {
                seq: 10,
                hash: "0".repeat(64),
            },
            "demarrage",
        );
        assert!(!log.due(t0, 10));
        assert!(!log.due(t0 + Duration::minutes(9), 500));
        assert!(log.due(t0 + Duration::minutes(10), 11));
        assert!(
            !log.due(t0 + Duration::minutes(30), 10),
            "the chain did not move"
        );
        assert!(log.due(t0, 1010));
    }

    #[test]
    fn anchors_read_back_from_the_files() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = AnchorLog::new(Some(dir.path().to_owned()));
        let t0: DateTime<Utc> = "2026-11-24T10:00:00Z".parse().unwrap_or_default();
        log.write(
            t0,
            &Anchor {
                seq: 1,
                hash: "a".repeat(64),
            },
            "demarrage",
        );
        log.write(
            t0,
            &Anchor {
                seq: 2,
                hash: "b".repeat(64),
            },
            "purge",
        );
        let read = read_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            read.iter().map(|(_, a)| a.seq).collect::<Vec<_>>(),
            vec![1, 2]
        );
        std::fs::write(dir.path().join("autre.log"), "n'importe quoi\n").unwrap_or_default();
        assert!(read_dir(dir.path()).is_err_and(|e| e.contains("autre.log:1")));
        assert_eq!(read_dir(&dir.path().join("absent")), Ok(vec![]));
    }
}
