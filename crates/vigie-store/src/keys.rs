//! The instance key, kept **outside the database**: a file (mode 0600) or an environment
//! variable, never a column. Whoever holds only the database (a stolen backup, a database
//! account, a DBA) can neither forge the audit trail nor read the secrets stored in it:
//! - each audit entry's link is an HMAC-SHA-256 under a key derived from it ([`KeyRing::chain_mac`]);
//! - the checkpoints of audit purges are signed the same way;
//! - TOTP secrets and the instance's HMAC secret are sealed with ChaCha20-Poly1305
//!   ([`KeyRing::seal`]), bound to the row they belong to.
//!
//! The file holds a **ring**: every key ever used, numbered from 1 (`vigie key rotate` adds
//! one). Old keys stay needed to verify the audit segments they signed. The database keeps
//! each key's fingerprint and the sequence number from which it signs (`audit_key`), never
//! the key.
//!
//! File format (text, one key per line, `#` comments):
//! ```text
//! vigie-cle 1 <64 hexadecimal characters>
//! vigie-cle 2 <64 hexadecimal characters>
//! ```

use std::fmt;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::password::fill_random;

/// HMAC-SHA-256.
pub type HmacSha256 = Hmac<Sha256>;

/// The environment variable holding the ring's text itself (rather than a file).
pub const KEY_ENV: &str = "VIGIE_INSTANCE_KEY";
/// The environment variable naming the key file.
pub const KEY_FILE_ENV: &str = "VIGIE_INSTANCE_KEY_FILE";

const LINE_TAG: &str = "vigie-cle";
/// What a sealed value starts with; anything else is a value written before sealing.
const SEALED_TAG: &str = "chiffre:v1:";

/// One key of the ring.
#[derive(Clone)]
pub struct InstanceKey {
    pub id: i64,
    secret: [u8; 32],
}

impl InstanceKey {
    /// A new random key.
    pub fn generate(id: i64) -> Self {
        let mut secret = [0u8; 32];
        fill_random(&mut secret);
        Self { id, secret }
    }

    fn derive(&self, label: &str) -> [u8; 32] {
        #[allow(clippy::expect_used)]
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(b"vigie/v1/");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The key's public fingerprint (32 hexadecimal characters): recorded in the
    /// database and printed, it tells which key is which without revealing it.
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.derive("empreinte")[..16])
    }

    /// The keyed MAC of the audit chain, ready to be cloned per entry.
    pub fn chain_mac(&self) -> HmacSha256 {
        #[allow(clippy::expect_used)]
        <HmacSha256 as Mac>::new_from_slice(&self.derive("chaine-audit"))
            .expect("HMAC takes any key length")
    }

    fn aead(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&self.derive("secrets").into())
    }
}

impl Drop for InstanceKey {
    fn drop(&mut self) {
        // Best effort: the key does not linger in freed memory.
        // `black_box` keeps the compiler from eliding the wipe of memory about to be freed.
        *std::hint::black_box(&mut self.secret) = [0u8; 32];
    }
}

impl fmt::Debug for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InstanceKey({}, {})", self.id, self.fingerprint())
    }
}

/// Every key of the instance, oldest first.
#[derive(Clone, Debug)]
pub struct KeyRing {
    keys: Vec<InstanceKey>,
}

impl KeyRing {
    /// A new ring with one random key, number 1 (`vigie key init`).
    pub fn generate() -> Self {
        Self {
            keys: vec![InstanceKey::generate(1)],
        }
    }

    /// Adds a new random key, numbered after the last (`vigie key rotate`).
    pub fn rotate(&mut self) -> &InstanceKey {
        let id = self.keys.last().map_or(1, |k| k.id + 1);
        self.keys.push(InstanceKey::generate(id));
        #[allow(clippy::expect_used)]
        self.keys.last().expect("just pushed")
    }

    /// The key with this number.
    pub fn get(&self, id: i64) -> Option<&InstanceKey> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// The newest key.
    pub fn newest(&self) -> &InstanceKey {
        #[allow(clippy::expect_used)]
        self.keys.last().expect("a ring holds at least one key")
    }

    pub fn keys(&self) -> &[InstanceKey] {
        &self.keys
    }

    /// Reads a ring from its text (file or environment variable). Errors in French.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut keys: Vec<InstanceKey> = Vec::new();
        let mut words = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .flat_map(str::split_whitespace);
        while let Some(tag) = words.next() {
            let bad = || {
                format!(
                    "clé d'instance illisible : attendu « {LINE_TAG} NUMÉRO CLÉ » (64 caractères hexadécimaux), tel qu'écrit par « vigie key init »"
                )
            };
            if tag != LINE_TAG {
                return Err(bad());
            }
            let id: i64 = words
                .next()
                .and_then(|w| w.parse().ok())
                .filter(|n| *n >= 1)
                .ok_or_else(bad)?;
            let hex_text = words.next().ok_or_else(bad)?;
            let bytes = hex::decode(hex_text).map_err(|_| bad())?;
            let secret: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
            if keys.last().is_some_and(|k| k.id >= id) {
                return Err(format!(
                    "clé d'instance illisible : les clés doivent être numérotées dans l'ordre (clé {id} après la clé {})",
                    keys.last().map_or(0, |k| k.id)
                ));
            }
            keys.push(InstanceKey { id, secret });
        }
        if keys.is_empty() {
            return Err(
                "clé d'instance vide : créez-la avec « vigie key init --output FICHIER »".into(),
            );
        }
        Ok(Self { keys })
    }

    /// Reads a ring from a file.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "clé d'instance : impossible de lire {} ({e})",
                path.display()
            )
        })?;
        Self::parse(&text).map_err(|e| format!("{e} ({})", path.display()))
    }

    /// The ring's text, with a French header saying what it is.
    pub fn to_text(&self) -> String {
        let mut s = String::from(
            "# Clé d'instance Vigie. À sauvegarder À PART des données (coffre, support hors ligne) :\n\
             # sans elle, les secrets chiffrés de la base sont illisibles et la chaîne d'audit\n\
             # signée n'est plus vérifiable ; avec elle et une copie de la base, on peut tout lire.\n\
             # Les anciennes clés restent nécessaires pour vérifier les segments qu'elles ont signés.\n",
        );
        for k in &self.keys {
            s.push_str(&format!(
                "{LINE_TAG} {} {}  # empreinte {}\n",
                k.id,
                hex::encode(k.secret),
                k.fingerprint()
            ));
        }
        s
    }

    /// Writes the ring to `path` with mode 0600, atomically (a temporary file renamed).
    /// `create_new`: refuse to overwrite an existing file.
    pub fn write(&self, path: &Path, create_new: bool) -> Result<(), String> {
        use std::io::Write;
        let fail = |e: std::io::Error| {
            format!(
                "clé d'instance : impossible d'écrire {} ({e})",
                path.display()
            )
        };
        if create_new && path.exists() {
            return Err(format!(
                "{} existe déjà : une clé d'instance n'est jamais écrasée (elle protège les données existantes)",
                path.display()
            ));
        }
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(fail)?;
        let (tmp_path, mut tmp) = tempfile_in(dir).map_err(fail)?;
        let written = (|| {
            tmp.write_all(self.to_text().as_bytes())?;
            tmp.sync_all()?;
            drop(tmp);
            if create_new {
                // Never replace a file created meanwhile.
                std::fs::hard_link(&tmp_path, path)
            } else {
                std::fs::rename(&tmp_path, path)
            }
        })();
        // The temporary copy of the key never stays behind, whatever happened.
        let _ = std::fs::remove_file(&tmp_path);
        written.map_err(fail)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Seals a secret under the newest key, bound to `context` (the table, column and row
    /// it belongs to: a sealed value moved to another row does not open).
    pub fn seal(&self, context: &str, plaintext: &str) -> String {
        self.seal_with(self.newest(), context, plaintext)
    }

    pub(crate) fn seal_with(&self, key: &InstanceKey, context: &str, plaintext: &str) -> String {
        let mut nonce = [0u8; 12];
        fill_random(&mut nonce);
        #[allow(clippy::expect_used)]
        let ct = key
            .aead()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("ChaCha20-Poly1305 encrypts any message under 256 GiB");
        let mut raw = nonce.to_vec();
        raw.extend_from_slice(&ct);
        format!("{SEALED_TAG}{}:{}", key.id, hex::encode(raw))
    }

    /// Opens a value sealed by [`Self::seal`] with the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<String, String> {
        let rest = sealed
            .strip_prefix(SEALED_TAG)
            .ok_or_else(|| "secret non chiffré".to_owned())?;
        let (id, hex_text) = rest
            .split_once(':')
            .ok_or_else(|| "secret chiffré illisible".to_owned())?;
        let id: i64 = id
            .parse()
            .map_err(|_| "secret chiffré illisible".to_owned())?;
        let key = self.get(id).ok_or_else(|| {
            format!("secret chiffré avec la clé n° {id}, absente du fichier de clés")
        })?;
        let raw = hex::decode(hex_text).map_err(|_| "secret chiffré illisible".to_owned())?;
        if raw.len() < 12 {
            return Err("secret chiffré illisible".into());
        }
        let (nonce, ct) = raw.split_at(12);
        let pt = key
            .aead()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                "secret chiffré altéré, ou chiffré par une autre clé ou pour une autre ligne"
                    .to_owned()
            })?;
        String::from_utf8(pt).map_err(|_| "secret chiffré illisible".into())
    }
}

/// The store's view of the ring: none (a database whose chain is not keyed yet, or a
/// verification run without the key), or a ring and the file it came from (read again
/// when another node rotated the key: the new key signs from its recorded sequence).
#[derive(Clone, Default, Debug)]
pub struct Keys(std::sync::Arc<std::sync::RwLock<KeyState>>);

#[derive(Default, Debug)]
struct KeyState {
    ring: Option<std::sync::Arc<KeyRing>>,
    file: Option<std::path::PathBuf>,
    /// Keys whose fingerprint was compared with the database's record.
    verified: std::collections::HashSet<i64>,
}

impl Keys {
    /// Records that these keys match the database's fingerprints.
    pub(crate) fn mark_verified(&self, ids: impl IntoIterator<Item = i64>) {
        if let Ok(mut st) = self.0.write() {
            st.verified.extend(ids);
        }
    }

    /// Whether key `id` was compared with the database's record.
    pub(crate) fn is_verified(&self, id: i64) -> bool {
        self.0.read().is_ok_and(|st| st.verified.contains(&id))
    }

    pub(crate) fn set(&self, ring: KeyRing, file: Option<std::path::PathBuf>) {
        if let Ok(mut st) = self.0.write() {
            st.ring = Some(std::sync::Arc::new(ring));
            if file.is_some() {
                st.file = file;
            }
        }
    }

    /// The ring, when the store has one.
    pub fn ring(&self) -> Option<std::sync::Arc<KeyRing>> {
        self.0.read().ok().and_then(|st| st.ring.clone())
    }

    /// Key number `id`, reading the file again once when the ring lacks it. French error.
    pub(crate) fn key(&self, id: i64) -> Result<InstanceKey, String> {
        let ring = self.ring().ok_or_else(|| {
            format!(
                "clé d'instance absente : cette base chiffre ses secrets et signe sa chaîne d'audit (clé n° {id}) ; indiquez le fichier de clés ({KEY_FILE_ENV})"
            )
        })?;
        if let Some(k) = ring.get(id) {
            return Ok(k.clone());
        }
        let file = self.0.read().ok().and_then(|st| st.file.clone());
        if let Some(file) = &file
            && let Err(e) = KeyRing::read(file)
        {
            return Err(e);
        }
        if let Some(file) = file
            && let Ok(fresh) = KeyRing::read(&file)
            && let Some(k) = fresh.get(id).cloned()
            && ring.keys().iter().all(|old| {
                fresh
                    .get(old.id)
                    .is_some_and(|f| f.fingerprint() == old.fingerprint())
            })
        {
            self.set(fresh, Some(file));
            return Ok(k);
        }
        Err(format!(
            "la clé d'instance n° {id} est absente du fichier de clés : copiez sur ce serveur le fichier à jour (après « vigie key rotate »)"
        ))
    }
}

/// Whether a stored value is sealed.
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(SEALED_TAG)
}

/// A new file next to `dir`'s others, created with mode 0600.
fn tempfile_in(dir: &Path) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    loop {
        let mut r = [0u8; 8];
        fill_random(&mut r);
        let p = dir.join(format!(".vigie-cle-{}.tmp", hex::encode(r)));
        match opts.open(&p) {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_reads_back_as_written() {
        let mut ring = KeyRing::generate();
        ring.rotate();
        let back = KeyRing::parse(&ring.to_text()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.keys().len(), 2);
        for (a, b) in ring.keys().iter().zip(back.keys()) {
            assert_eq!(a.id, b.id);
            assert_eq!(a.fingerprint(), b.fingerprint());
        }
        assert_eq!(back.newest().id, 2);
    }

    #[test]
    fn a_bad_ring_is_refused_in_french() {
        for bad in [
            "",
            "# rien",
            "vigie-cle 1 abcd",
            "autre 1 00",
            &format!("vigie-cle 0 {}", "00".repeat(32)),
            &format!(
                "vigie-cle 2 {}\nvigie-cle 1 {}",
                "00".repeat(32),
                "11".repeat(32)
            ),
        ] {
            let e = KeyRing::parse(bad).err().unwrap_or_default();
            assert!(e.contains("clé d'instance"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_its_row() {
        let ring = KeyRing::generate();
        let sealed = ring.seal("app_user.totp_secret:7", "JBSWY3DPEHPK3PXP");
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            ring.open("app_user.totp_secret:7", &sealed).as_deref(),
            Ok("JBSWY3DPEHPK3PXP")
        );
        // Another row, another key, a flipped byte: refused.
        assert!(ring.open("app_user.totp_secret:8", &sealed).is_err());
        assert!(
            KeyRing::generate()
                .open("app_user.totp_secret:7", &sealed)
                .is_err()
        );
        let mut flipped = sealed.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap_or_default();
        assert!(ring.open("app_user.totp_secret:7", &flipped).is_err());
        // Two seals of one secret differ (random nonce).
        assert_ne!(
            sealed,
            ring.seal("app_user.totp_secret:7", "JBSWY3DPEHPK3PXP")
        );
    }

    #[test]
    fn the_written_file_is_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("cle");
        let ring = KeyRing::generate();
        ring.write(&path, true).unwrap_or_else(|e| panic!("{e}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(KeyRing::generate().write(&path, true).is_err());
        let back = KeyRing::read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.newest().fingerprint(), ring.newest().fingerprint());
    }
}
