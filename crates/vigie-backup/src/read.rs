//! Reading an archive: a verification pass over every member (nothing written), then the
//! restore's pass, which checks every member again as it inserts (one transaction: a
//! difference rolls it back).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Read};
use std::path::Path;

use chrono::{DateTime, Utc};
use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};
use vigie_store::keys::KeyRing;
use vigie_store::{Actor, Store};

use crate::manifest::{self, FORMAT, FORMAT_VERSION, Header, Manifest, Member};
use crate::{Decryption, Error, Progress};

type Stream<R> = tar::Archive<GzDecoder<age::stream::StreamReader<BufReader<R>>>>;

/// Largest table part read whole: a part is cut after [`crate::PART_BYTES`], so it is that
/// and one row (a row is at most a few MiB: a letterhead's logo).
const PART_LIMIT: u64 = 64 * 1024 * 1024;

/// Largest member read whole that is not a table part (header, configuration, and the
/// manifest: about 120 bytes per member, so some 2 million documents).
const SMALL_MEMBER: u64 = 256 * 1024 * 1024;

/// The largest scrypt work factor accepted when reading (2^20: 1 GiB for a moment).
const MAX_WORK_FACTOR: u8 = 20;

/// What a verification proved.
#[derive(Debug, Clone)]
pub struct Verified {
    pub manifest: Manifest,
    /// The settings saved with the archive (without secrets).
    pub configuration: serde_json::Value,
    /// The source's id counters.
    pub sequences: BTreeMap<String, i64>,
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub manifest: Manifest,
    pub configuration: serde_json::Value,
    /// Migrations applied after the rows went in (an older archive's schema brought up to date).
    pub migrated: Vec<i64>,
    /// Rows inserted per table.
    pub rows: BTreeMap<String, u64>,
    pub documents: u64,
    /// Audit entries verified, and the chain's head after the restore's own entry.
    pub audit_entries: i64,
    pub audit_head_seq: i64,
}

/// Opens the archive: age, then gzip, then tar.
fn open<R: Read>(input: R, dec: &Decryption) -> Result<Stream<R>, Error> {
    let d = age::Decryptor::new(BufReader::new(input)).map_err(|e| match e {
        age::DecryptError::Io(e) => Error::io("lecture de l'archive", &e),
        _ => Error::Archive(
            "ce fichier n'est pas une archive Vigie chiffrée (format age), ou son en-tête est altéré"
                .into(),
        ),
    })?;
    let reader = match dec {
        Decryption::Passphrase(p) => {
            if !d.is_scrypt() {
                return Err(Error::Usage(
                    "cette archive est chiffrée pour des clés publiques : donnez la clé privée (--identity FICHIER), pas une phrase de passe".into(),
                ));
            }
            let mut id = age::scrypt::Identity::new(p.clone());
            // Vigie writes 2^17; an archive re-encrypted by the age tool may take more, but
            // never the gigabytes a hostile header could ask before anything is checked.
            id.set_max_work_factor(MAX_WORK_FACTOR);
            d.decrypt(std::iter::once(&id as &dyn age::Identity))
        }
        Decryption::Identities(keys) => {
            if d.is_scrypt() {
                return Err(Error::Usage(
                    "cette archive est chiffrée par une phrase de passe : donnez-la (VIGIE_BACKUP_PASSPHRASE ou --passphrase-file), pas une clé privée".into(),
                ));
            }
            d.decrypt(keys.iter().map(|k| k as &dyn age::Identity))
        }
    }
    .map_err(|e| match e {
        age::DecryptError::ExcessiveWork { .. } => Error::Archive(
            "le coût de la phrase de passe de cette archive dépasse la limite (archive suspecte)".into(),
        ),
        age::DecryptError::Io(e) => Error::io("lecture de l'archive", &e),
        _ => Error::Usage(
            "phrase de passe ou clé privée incorrecte (ou en-tête de l'archive altéré) : l'archive ne peut pas être déchiffrée".into(),
        ),
    })?;
    Ok(tar::Archive::new(GzDecoder::new(reader)))
}

/// A read failure in the middle of the stream: age authenticates every 64 KiB, so a
/// changed byte or a cut file shows here.
fn damaged(e: &std::io::Error) -> Error {
    Error::Archive(format!(
        "archive altérée ou tronquée, illisible à partir d'un point ({e})"
    ))
}

/// Reads a member whole, at most `limit` bytes (its size from its header, allocated once),
/// with its hash.
fn read_small<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    limit: u64,
) -> Result<(Vec<u8>, String), Error> {
    let size = entry.size();
    if size > limit {
        return Err(Error::Archive(format!(
            "membre de {size} octets, plus grand que prévu ({limit} au plus)"
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    entry.read_to_end(&mut bytes).map_err(|e| damaged(&e))?;
    let sha = hex::encode(Sha256::digest(&bytes));
    Ok((bytes, sha))
}

/// A reader that hashes what goes through.
struct Hashing<'a, R> {
    inner: &'a mut R,
    hash: Sha256,
    bytes: u64,
}

impl<'a, R: Read> Hashing<'a, R> {
    fn new(inner: &'a mut R) -> Self {
        Self {
            inner,
            hash: Sha256::new(),
            bytes: 0,
        }
    }

    /// The bytes read and their SHA-256 in hexadecimal.
    fn finish(self) -> (u64, String) {
        (self.bytes, hex::encode(self.hash.finalize()))
    }
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// The lines of a table part, each parsed as it is reached (it must be a JSON object): a
/// part's rows are never all in memory as objects.
fn part_rows<'a>(
    name: &'a str,
    bytes: &'a [u8],
) -> impl Iterator<Item = Result<serde_json::Map<String, serde_json::Value>, Error>> + 'a {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
        .map(move |(i, line)| match serde_json::from_slice(line) {
            Ok(serde_json::Value::Object(o)) => Ok(o),
            _ => Err(Error::Archive(format!(
                "{name}, ligne {} : ligne JSON illisible",
                i + 1
            ))),
        })
}

/// The member's name in the archive.
fn member_name<R: Read>(entry: &tar::Entry<'_, R>) -> Result<String, Error> {
    Ok(entry
        .path()
        .map_err(|e| damaged(&e))?
        .to_string_lossy()
        .into_owned())
}

/// The pass that proves an archive complete and readable, without writing anything.
pub fn verify<R: Read>(input: R, dec: &Decryption) -> Result<Verified, Error> {
    let mut archive = open(input, dec)?;
    let mut seen: Vec<Member> = Vec::new();
    let mut rows: BTreeMap<String, u64> = BTreeMap::new();
    let mut recorded: HashMap<i64, String> = HashMap::new();
    let mut header: Option<Header> = None;
    let mut found: Option<Manifest> = None;
    let mut configuration = serde_json::Value::Null;
    let mut sequences = BTreeMap::new();
    for entry in archive.entries().map_err(|e| damaged(&e))? {
        let mut entry = entry.map_err(|e| damaged(&e))?;
        let name = member_name(&entry)?;
        if found.is_some() {
            return Err(Error::Archive(format!(
                "membre « {name} » après le manifeste"
            )));
        }
        if header.is_none() && name != manifest::HEADER {
            return Err(Error::Archive(
                "le premier membre n'est pas l'en-tête d'une archive Vigie".into(),
            ));
        }
        if let Some(id) = manifest::document_of(&name) {
            let mut h = Hashing::new(&mut entry);
            std::io::copy(&mut h, &mut std::io::sink()).map_err(|e| damaged(&e))?;
            let (size, sha) = h.finish();
            if recorded.get(&id) != Some(&sha) {
                return Err(Error::Archive(format!(
                    "document {id} : ses octets ne correspondent pas à la somme SHA-256 enregistrée avec lui"
                )));
            }
            seen.push(Member {
                name,
                size,
                sha256: sha,
            });
            continue;
        }
        let limit = if manifest::table_of(&name).is_some() {
            PART_LIMIT
        } else if [
            manifest::HEADER,
            manifest::CONFIGURATION,
            manifest::SEQUENCES,
            manifest::MANIFEST,
        ]
        .contains(&name.as_str())
        {
            SMALL_MEMBER
        } else {
            return Err(Error::Archive(format!("membre inattendu « {name} »")));
        };
        let (bytes, sha) = read_small(&mut entry, limit)?;
        let size = bytes.len() as u64;
        if let Some(table) = manifest::table_of(&name) {
            for r in part_rows(&name, &bytes) {
                let r = r?;
                if table == "document"
                    && let (Some(id), Some(s)) = (
                        r.get("id").and_then(serde_json::Value::as_i64),
                        r.get("sha256").and_then(|v| v.as_str()),
                    )
                {
                    recorded.insert(id, s.to_owned());
                }
                *rows.entry(table.to_owned()).or_default() += 1;
            }
        } else if name == manifest::HEADER {
            let h: Header = parse(&name, &bytes)?;
            if h.format != FORMAT {
                return Err(Error::Archive("ce n'est pas une archive Vigie".into()));
            }
            if h.format_version > FORMAT_VERSION {
                return Err(Error::Usage(format!(
                    "archive au format {} écrite par Vigie {}, plus récent que ce programme (format {FORMAT_VERSION}) : mettez Vigie à jour",
                    h.format_version, h.vigie_version
                )));
            }
            header = Some(h);
        } else if name == manifest::CONFIGURATION {
            configuration = parse(&name, &bytes)?;
        } else if name == manifest::SEQUENCES {
            sequences = parse(&name, &bytes)?;
        } else if name == manifest::MANIFEST {
            found = Some(parse(&name, &bytes)?);
            continue;
        } else {
            return Err(Error::Archive(format!("membre inattendu « {name} »")));
        }
        seen.push(Member {
            name,
            size,
            sha256: sha,
        });
    }
    let Some(manifest) = found else {
        return Err(Error::Archive(
            "manifeste absent : l'archive est incomplète (sauvegarde interrompue ?)".into(),
        ));
    };
    compare(&manifest, &seen, &rows)?;
    Ok(Verified {
        manifest,
        configuration,
        sequences,
    })
}

fn parse<T: serde::de::DeserializeOwned>(name: &str, bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Archive(format!("{name} illisible : {e}")))
}

/// The members and rows read against the manifest.
fn compare(m: &Manifest, seen: &[Member], rows: &BTreeMap<String, u64>) -> Result<(), Error> {
    let read: HashMap<&str, &Member> = seen.iter().map(|s| (s.name.as_str(), s)).collect();
    for want in &m.members {
        match read.get(want.name.as_str()) {
            None => {
                return Err(Error::Archive(format!(
                    "membre manquant : {} (annoncé par le manifeste)",
                    want.name
                )));
            }
            Some(got) if got.sha256 != want.sha256 || got.size != want.size => {
                return Err(Error::Archive(format!(
                    "{} : contenu différent de celui du manifeste (somme SHA-256)",
                    want.name
                )));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = seen
        .iter()
        .find(|s| !m.members.iter().any(|w| w.name == s.name))
    {
        return Err(Error::Archive(format!(
            "membre non déclaré par le manifeste : {}",
            extra.name
        )));
    }
    for t in &m.tables {
        let got = rows.get(&t.name).copied().unwrap_or(0);
        if got != t.rows {
            return Err(Error::Archive(format!(
                "table {} : {got} lignes lues, {} annoncées",
                t.name, t.rows
            )));
        }
    }
    let docs = seen
        .iter()
        .filter(|s| manifest::document_of(&s.name).is_some())
        .count() as u64;
    if docs != m.documents.count {
        return Err(Error::Archive(format!(
            "{docs} documents lus, {} annoncés",
            m.documents.count
        )));
    }
    Ok(())
}

/// Restores the archive at `path` into `store` (an empty database, the owner's role):
/// verification first (nothing written when it fails), then the checks of the database and
/// the instance key, the rows and documents in one transaction, the migrations up to this
/// program's schema, the counts and the audit chain verified with `ring`, and a
/// `sauvegarde.restauration` entry in the trail.
pub async fn restore(
    store: &Store,
    path: &Path,
    dec: &Decryption,
    ring: &KeyRing,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<RestoreReport, Error> {
    let file = || std::fs::File::open(path).map_err(|e| Error::io(&path.display().to_string(), &e));
    let verified = verify(file()?, dec)?;
    let m = &verified.manifest;
    let latest = vigie_store::migrate::latest_version();
    if m.schema_version > latest {
        return Err(Error::Usage(format!(
            "archive d'un schéma plus récent (version {}, Vigie {}) que ce programme (version {latest}) : mettez Vigie à jour ; rien n'a été écrit",
            m.schema_version, m.vigie_version
        )));
    }
    check_keys(m, ring)?;
    progress.start(m.tables.iter().map(|t| t.rows).sum::<u64>() + m.documents.count);
    let mut r = store.begin_restore(m.schema_version, now).await?;
    let seen = load_members(&mut r, open(file()?, dec)?, m, progress).await?;
    if let Some(missing) = m.members.iter().find(|w| !seen.contains(w.name.as_str())) {
        return Err(vigie_store::backup::cancelled(&format!(
            "{} a disparu depuis la vérification",
            missing.name
        ))
        .into());
    }
    let expected: Vec<(String, u64)> = m.tables.iter().map(|t| (t.name.clone(), t.rows)).collect();
    let rows = r
        .finish(
            &verified.sequences,
            &expected,
            m.documents.count,
            (m.audit_head_seq, &m.audit_head_hash),
        )
        .await?;
    after_commit(store, verified, rows, ring, now)
        .await
        .map_err(|e| Error::AfterCommit(e.to_string()))
}

/// The restore's pass over the archive: every member the manifest names goes into the
/// transaction, its SHA-256 checked again; returns the members read.
async fn load_members<R: Read>(
    r: &mut vigie_store::backup::Restore,
    mut archive: Stream<R>,
    m: &Manifest,
    progress: &dyn Progress,
) -> Result<std::collections::HashSet<String>, Error> {
    let wanted: HashMap<&str, &Member> = m.members.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut seen = std::collections::HashSet::new();
    for entry in archive.entries().map_err(|e| damaged(&e))? {
        let mut entry = entry.map_err(|e| damaged(&e))?;
        let name = member_name(&entry)?;
        let Some(want) = wanted.get(name.as_str()) else {
            continue;
        };
        let sha = if let Some(id) = manifest::document_of(&name) {
            let mut h = Hashing::new(&mut entry);
            r.document(id, &mut h).await?;
            progress.advance(1, "documents");
            h.finish().1
        } else if let Some(table) = manifest::table_of(&name) {
            let (bytes, sha) = read_small(&mut entry, PART_LIMIT)?;
            let mut n = 0u64;
            for row in part_rows(&name, &bytes) {
                r.row(table, row?).await?;
                n += 1;
            }
            progress.advance(n, table);
            sha
        } else {
            want.sha256.clone()
        };
        if sha != want.sha256 {
            return Err(vigie_store::backup::cancelled(&format!(
                "{name} a changé depuis la vérification"
            ))
            .into());
        }
        seen.insert(name);
    }
    Ok(seen)
}

/// After the commit (the data is in): migrations, the audit chain verified with the key,
/// the restore's own entry. A failure here is told as such ([`Error::AfterCommit`]).
async fn after_commit(
    store: &Store,
    verified: Verified,
    rows: BTreeMap<String, u64>,
    ring: &KeyRing,
    now: DateTime<Utc>,
) -> Result<RestoreReport, Error> {
    let m = verified.manifest;
    let migrated = store.migrate(now).await?;
    store.use_key_ring(ring.clone(), None);
    let v = store.verify_audit().await?;
    if let Some((seq, why)) = &v.broken {
        return Err(Error::Archive(format!(
            "la chaîne d'audit restaurée est rompue à l'entrée {seq} : {why}"
        )));
    }
    if v.head_seq != m.audit_head_seq || v.head_hash != m.audit_head_hash {
        return Err(Error::Archive(format!(
            "la tête de la chaîne d'audit restaurée ({}) n'est pas celle du manifeste ({})",
            v.head_seq, m.audit_head_seq
        )));
    }
    let detail = format!(
        "archive du {} (Vigie {}, schéma {}, base {}), tête {}",
        m.created_at, m.vigie_version, m.schema_version, m.source_backend, m.audit_head_seq
    );
    let seq = store
        .audit(
            now,
            &Actor::system(),
            vigie_store::audit::Event::new("sauvegarde.restauration").detail(detail),
        )
        .await?;
    Ok(RestoreReport {
        documents: m.documents.count,
        manifest: m,
        configuration: verified.configuration,
        migrated,
        rows,
        audit_entries: v.entries,
        audit_head_seq: seq,
    })
}

/// The ring must hold every key that signed the saved chain.
fn check_keys(m: &Manifest, ring: &KeyRing) -> Result<(), Error> {
    if m.instance_keys.is_empty() {
        return Err(Error::Usage(
            "cette archive vient d'une base qui n'avait pas encore adopté sa clé d'instance : sur la base d'origine, lancez « vigie key adopt » puis sauvegardez de nouveau (sans clé, la restauration ne peut ni vérifier ni signer le journal d'audit) ; rien n'a été écrit".into(),
        ));
    }
    for k in &m.instance_keys {
        match ring
            .get(k.id)
            .map(vigie_store::keys::InstanceKey::fingerprint)
        {
            Some(fp) if fp == k.fingerprint => {}
            Some(fp) => {
                return Err(Error::Usage(format!(
                    "la clé d'instance n° {} fournie (empreinte {fp}) n'est pas celle de la sauvegarde (empreinte {}) : donnez la clé d'instance de la base sauvegardée (VIGIE_INSTANCE_KEY_FILE) ; rien n'a été écrit",
                    k.id, k.fingerprint
                )));
            }
            None => {
                return Err(Error::Usage(format!(
                    "la clé d'instance fournie ne contient pas la clé n° {} (empreinte {}) qui a signé le journal d'audit sauvegardé : donnez la clé d'instance de la base sauvegardée (VIGIE_INSTANCE_KEY_FILE) ; rien n'a été écrit",
                    k.id, k.fingerprint
                )));
            }
        }
    }
    Ok(())
}
