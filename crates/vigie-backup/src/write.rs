//! Writing an archive: tar, in gzip, in age, streamed from one snapshot.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use vigie_store::Store;
use vigie_store::backup::{DocumentPart, LEFT_OUT, Snapshot};

use crate::manifest::{
    self, DocumentCount, FORMAT, FORMAT_VERSION, Header, KeyFingerprint, Manifest, Member,
    TableCount,
};
use crate::{Encryption, Error, Progress};

/// A table part is cut after this many bytes of JSON lines.
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// What a backup wrote.
#[derive(Debug, Clone)]
pub struct Summary {
    pub manifest: Manifest,
    /// Bytes written (the encrypted archive).
    pub archive_bytes: u64,
}

type Inner<W> = GzEncoder<age::stream::StreamWriter<Counting<W>>>;

/// Counts the bytes that reach the file.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The tar stream being written, with the manifest's list of members.
struct Out<W: Write> {
    tar: tar::Builder<Inner<W>>,
    members: Vec<Member>,
    mtime: u64,
    /// The document being written: its member, declared size, bytes so far, hash.
    document: Option<(String, u64, u64, Sha256)>,
}

impl<W: Write> Out<W> {
    fn header(&self, name: &str, size: u64) -> std::io::Result<tar::Header> {
        let mut h = tar::Header::new_ustar();
        h.set_path(name)?;
        h.set_size(size);
        h.set_mode(0o600);
        h.set_mtime(self.mtime);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        Ok(h)
    }

    /// A member whose bytes are in memory.
    fn member(&mut self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let h = self.header(name, bytes.len() as u64)?;
        self.tar.append(&h, bytes)?;
        self.members.push(Member {
            name: name.to_owned(),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
        });
        Ok(())
    }

    /// A document part: a new document's header, or its next bytes (written straight after
    /// the header, padded to tar's 512-byte blocks when the document ends).
    fn document(&mut self, part: DocumentPart<'_>) -> std::io::Result<()> {
        match part {
            DocumentPart::Start { id, size, .. } => {
                self.end_document()?;
                let name = manifest::document(id);
                let h = self.header(&name, size)?;
                self.tar.get_mut().write_all(h.as_bytes())?;
                self.document = Some((name, size, 0, Sha256::new()));
            }
            DocumentPart::Bytes(b) => {
                let Some((name, size, written, hash)) = self.document.as_mut() else {
                    return Ok(());
                };
                *written += b.len() as u64;
                if *written > *size {
                    return Err(std::io::Error::other(format!(
                        "{name} : plus d'octets que la taille enregistrée ({size})"
                    )));
                }
                hash.update(b);
                self.tar.get_mut().write_all(b)?;
            }
        }
        Ok(())
    }

    fn end_document(&mut self) -> std::io::Result<()> {
        let Some((name, size, written, hash)) = self.document.take() else {
            return Ok(());
        };
        if written != size {
            return Err(std::io::Error::other(format!(
                "{name} : {written} octets lus pour une taille enregistrée de {size}"
            )));
        }
        let pad = (512 - (size % 512)) % 512;
        self.tar
            .get_mut()
            .write_all(&vec![0u8; usize::try_from(pad).unwrap_or(0)])?;
        self.members.push(Member {
            name,
            size,
            sha256: hex::encode(hash.finalize()),
        });
        Ok(())
    }
}

/// Writes a backup of `store` to `out`: the whole archive, encrypted; `configuration` is
/// the settings to keep (without secrets). `out` is finished (flushed) on success.
pub async fn backup<W: Write + Send>(
    store: &Store,
    out: W,
    encryption: &Encryption,
    configuration: &serde_json::Value,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<Summary, Error> {
    let snap = store.snapshot().await?;
    let result = write_all(&snap, out, encryption, configuration, now, progress).await;
    snap.finish().await?;
    result
}

async fn write_all<W: Write + Send>(
    snap: &Snapshot,
    out: W,
    encryption: &Encryption,
    configuration: &serde_json::Value,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> Result<Summary, Error> {
    let io = |e: std::io::Error| Error::io("écriture de l'archive", &e);
    let schema_version = snap.schema_version().await?;
    let tables = snap.tables().await?;
    if progress.visible() {
        let mut total = 0;
        for t in &tables {
            total += snap.count(&t.name).await?;
        }
        progress.start(total);
    }
    let created_at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut out = Out {
        tar: tar::Builder::new(GzEncoder::new(
            encryptor(encryption)?
                .wrap_output(Counting {
                    inner: out,
                    bytes: 0,
                })
                .map_err(io)?,
            Compression::fast(),
        )),
        members: Vec::new(),
        mtime: u64::try_from(now.timestamp()).unwrap_or(0),
        document: None,
    };
    let header = Header {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        vigie_version: env!("CARGO_PKG_VERSION").into(),
        schema_version,
        created_at: created_at.clone(),
    };
    out.member(manifest::HEADER, &json(&header)?).map_err(io)?;
    let mut counts = Vec::with_capacity(tables.len());
    for (index, table) in tables.iter().enumerate() {
        let rows = write_table(snap, &mut out, index, table, progress).await?;
        counts.push(TableCount {
            name: table.name.clone(),
            rows,
        });
    }
    let mut doc_bytes = 0u64;
    let documents = snap
        .documents(&mut |part| {
            match &part {
                DocumentPart::Start { .. } => progress.advance(1, "documents"),
                DocumentPart::Bytes(b) => doc_bytes += b.len() as u64,
            }
            out.document(part)
        })
        .await?;
    out.end_document().map_err(io)?;
    out.member(manifest::CONFIGURATION, &json(configuration)?)
        .map_err(io)?;
    out.member(manifest::SEQUENCES, &json(&snap.sequences().await?)?)
        .map_err(io)?;
    let (audit_head_seq, audit_head_hash) = snap.audit_head().await?;
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        vigie_version: env!("CARGO_PKG_VERSION").into(),
        schema_version,
        created_at,
        source_backend: snap.backend_name().into(),
        tables: counts,
        documents: DocumentCount {
            count: documents,
            bytes: doc_bytes,
        },
        audit_head_seq,
        audit_head_hash,
        instance_keys: snap
            .key_fingerprints()
            .await?
            .into_iter()
            .map(|(id, fingerprint)| KeyFingerprint { id, fingerprint })
            .collect(),
        members: std::mem::take(&mut out.members),
        left_out: LEFT_OUT
            .iter()
            .map(|(t, why)| ((*t).to_owned(), (*why).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    };
    out.member(manifest::MANIFEST, &json(&manifest)?)
        .map_err(io)?;
    let gz = out.tar.into_inner().map_err(io)?;
    let mut counting = gz.finish().map_err(io)?.finish().map_err(io)?;
    counting.flush().map_err(io)?;
    Ok(Summary {
        manifest,
        archive_bytes: counting.bytes,
    })
}

/// One table's rows, in parts of about [`PART_BYTES`].
async fn write_table<W: Write + Send>(
    snap: &Snapshot,
    out: &mut Out<W>,
    index: usize,
    table: &vigie_store::backup::Table,
    progress: &dyn Progress,
) -> Result<u64, Error> {
    let mut part = 0u32;
    let mut buf: Vec<u8> = Vec::with_capacity(PART_BYTES + 64 * 1024);
    let mut since = 0u64;
    let rows = snap
        .rows(table, &mut |row| {
            serde_json::to_writer(&mut buf, &row).map_err(std::io::Error::other)?;
            buf.push(b'\n');
            since += 1;
            if buf.len() >= PART_BYTES {
                part += 1;
                out.member(&manifest::table_part(index, &table.name, part), &buf)?;
                buf.clear();
                progress.advance(since, &table.name);
                since = 0;
            }
            Ok(())
        })
        .await?;
    if !buf.is_empty() || part == 0 {
        part += 1;
        out.member(&manifest::table_part(index, &table.name, part), &buf)
            .map_err(|e| Error::io("écriture de l'archive", &e))?;
        progress.advance(since, &table.name);
    }
    Ok(rows)
}

fn json<T: serde::Serialize + ?Sized>(v: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec_pretty(v).map_err(|e| Error::Io(format!("JSON : {e}")))
}

fn encryptor(e: &Encryption) -> Result<age::Encryptor, Error> {
    match e {
        Encryption::Passphrase(p, work) => {
            let mut r = age::scrypt::Recipient::new(p.clone());
            r.set_work_factor(work.unwrap_or(crate::PASSPHRASE_WORK_FACTOR));
            age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
                .map_err(|e| Error::Usage(format!("chiffrement : {e}")))
        }
        Encryption::Recipients(list) => {
            age::Encryptor::with_recipients(list.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|_| Error::Usage("chiffrement : aucune clé publique donnée".into()))
        }
    }
}
