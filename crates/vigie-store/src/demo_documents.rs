//! Demo documents (`vigie demo --documents N`): scanned pieces of realistic sizes attached to
//! the dossiers of a demo database, to measure backups and restores on a base that holds
//! documents as well as dossiers.
//!
//! Each document is a PDF as a scanner writes it: a page holding one grey-level JPEG image,
//! whose entropy-coded data are pseudo-random (incompressible, as a real scan nearly is), of a
//! size drawn uniformly between [`MIN_BYTES`] and [`MAX_BYTES`]. Everything about the `i`-th
//! document — its bytes, size, title, dossier — is drawn from `(seed, i)` alone: the same seed
//! gives the same documents, and a document is drawn without the others (one batch at a time
//! in memory).

use chrono::{DateTime, Utc};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vigie_domain::Scope;

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::documents::NewDocument;
use crate::sql::{all, get, one};
use crate::{Result, StoreError};

/// Smallest demo document, in bytes (200 kB).
pub const MIN_BYTES: usize = 200_000;
/// Largest demo document, in bytes (800 kB).
pub const MAX_BYTES: usize = 800_000;

/// Documents are written by transactions of about this many bytes (with the batch drawn
/// next, what is held in memory at once).
const BATCH_BYTES: usize = 16 * 1024 * 1024;

/// What a scanned piece of a dossier may be: (title, file name stem, may be confidential,
/// names the source). A piece naming the source is hidden, like a confidential one, from the
/// roles that may not see it once the source is no longer « identité connue ».
const PIECES: [(&str, &str, bool, bool); 8] = [
    ("IP reçue (scan)", "ip-recue", true, true),
    ("Courrier reçu", "courrier-recu", true, true),
    ("Rapport d'évaluation", "rapport-evaluation", false, false),
    (
        "Signalement de l'Éducation nationale",
        "signalement-en",
        true,
        true,
    ),
    ("Compte rendu de la PMI", "compte-rendu-pmi", false, false),
    ("Certificat médical", "certificat-medical", false, false),
    (
        "Ordonnance du juge des enfants",
        "ordonnance-jde",
        false,
        false,
    ),
    (
        "Courriel du signalant (impression)",
        "courriel-signalant",
        true,
        true,
    ),
];

/// One generated document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoDocument {
    /// The dossier it is attached to, among those it was drawn for.
    pub dossier_id: i64,
    pub title: String,
    pub file_name: String,
    pub confidential: bool,
    pub names_source: bool,
    /// A whole PDF file: `%PDF-1.4` … `%%EOF`.
    pub bytes: Vec<u8>,
}

/// What [`Store::generate_demo_documents`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    pub documents: usize,
    pub bytes: u64,
}

/// The `index`-th demo document of `seed`, attached to one of `dossiers` (not empty).
pub fn demo_document(seed: u64, index: u64, dossiers: &[i64]) -> DemoDocument {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&index.to_le_bytes());
    key[16..].copy_from_slice(b"vigie-demo-doc\0\0");
    let mut rng = ChaCha8Rng::from_seed(key);
    let dossier_id = dossiers[rng.random_range(0..dossiers.len())];
    let (title, stem, may_be_confidential, names_source) =
        PIECES[rng.random_range(0..PIECES.len())];
    let confidential = may_be_confidential && rng.random_bool(0.2);
    let size = rng.random_range(MIN_BYTES..=MAX_BYTES);
    DemoDocument {
        dossier_id,
        title: title.to_owned(),
        file_name: format!("{stem}-{:05}.pdf", index + 1),
        confidential,
        names_source,
        bytes: scanned_pdf(&mut rng, title, size),
    }
}

/// A one-page PDF of exactly `size` bytes (for `size` in the demo range) whose page is a
/// grey-level JPEG scan at 150 or 200 dpi (A4).
fn scanned_pdf(rng: &mut ChaCha8Rng, title: &str, size: usize) -> Vec<u8> {
    let (dpi, width, height) = if rng.random_bool(0.5) {
        (150, 1240, 1754)
    } else {
        (200, 1654, 2339)
    };
    // The image's length fixes the offsets after it: settle it until the whole is `size`.
    let mut image_len = size.saturating_sub(2048);
    let mut layout = Layout::new(title, (width, height), image_len);
    for _ in 0..4 {
        let overhead = layout.head.len() + layout.tail.len();
        let wanted = size.saturating_sub(overhead).max(JPEG_MIN);
        if wanted == image_len {
            break;
        }
        image_len = wanted;
        layout = Layout::new(title, (width, height), image_len);
    }
    let mut out = Vec::with_capacity(layout.head.len() + image_len + layout.tail.len());
    out.extend_from_slice(&layout.head);
    jpeg(rng, dpi, (width, height), image_len, &mut out);
    out.extend_from_slice(&layout.tail);
    out
}

/// The PDF around the image stream: `head` up to its `stream` keyword, `tail` from the end
/// of its data to `%%EOF` (cross-reference table included).
struct Layout {
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl Layout {
    fn new(title: &str, (width, height): (u16, u16), image_len: usize) -> Self {
        let mut head = Vec::new();
        let mut offsets = Vec::new();
        // A binary file, as the comment of the second line tells readers.
        head.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
        let mut object = |buf: &mut Vec<u8>, body: &str| {
            offsets.push(buf.len());
            buf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", offsets.len()).as_bytes());
        };
        object(&mut head, "<< /Type /Catalog /Pages 2 0 R >>");
        object(&mut head, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
        object(
            &mut head,
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
             /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
        );
        offsets.push(head.len());
        head.extend_from_slice(
            format!(
                "4 0 obj\n<< /Type /XObject /Subtype /Image /Width {width} /Height {height} \
                 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode \
                 /Length {image_len} >>\nstream\n"
            )
            .as_bytes(),
        );
        let mut tail = Vec::new();
        tail.extend_from_slice(b"\nendstream\nendobj\n");
        let base = head.len() + image_len;
        let draw = "q 595 0 0 842 0 0 cm /Im0 Do Q";
        let mut object = |buf: &mut Vec<u8>, body: &str| {
            offsets.push(base + buf.len());
            buf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", offsets.len()).as_bytes());
        };
        object(
            &mut tail,
            &format!("<< /Length {} >>\nstream\n{draw}\nendstream", draw.len()),
        );
        object(
            &mut tail,
            &format!(
                "<< /Title ({}) /Producer (Vigie - document de demonstration) >>",
                pdf_text(title)
            ),
        );
        let xref = base + tail.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1);
        for o in &offsets {
            table.push_str(&format!("{o:010} 00000 n \n"));
        }
        table.push_str(&format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        ));
        tail.extend_from_slice(table.as_bytes());
        Self { head, tail }
    }
}

/// A title as a PDF literal string in ASCII (accents dropped, parentheses escaped).
fn pdf_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'à' | 'â' => 'a',
            'é' | 'è' | 'ê' => 'e',
            'É' => 'E',
            'ç' => 'c',
            '’' => '\'',
            c if c.is_ascii() => c,
            _ => '?',
        })
        .flat_map(|c| match c {
            '(' | ')' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// Bytes of the JPEG markers around the entropy-coded data.
const JPEG_MIN: usize = 256;

/// A baseline grey-level JPEG of exactly `len` bytes: its markers, then pseudo-random
/// entropy-coded data (no `FF` byte in it, as after byte stuffing), then `FFD9`.
fn jpeg(
    rng: &mut ChaCha8Rng,
    dpi: u16,
    (width, height): (u16, u16),
    len: usize,
    out: &mut Vec<u8>,
) {
    let start = out.len();
    // SOI, then JFIF APP0 with the resolution in dots per inch.
    out.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]);
    out.extend_from_slice(b"JFIF\0\x01\x01\x01");
    out.extend_from_slice(&dpi.to_be_bytes());
    out.extend_from_slice(&dpi.to_be_bytes());
    out.extend_from_slice(&[0x00, 0x00]);
    // A quantisation table, a DC Huffman table.
    out.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x43, 0x00]);
    out.extend((1..=64u8).map(|i| 2 + i / 4));
    out.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x1F, 0x00]);
    out.extend_from_slice(&[0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    out.extend(0..=11u8);
    // The frame (one grey component) and the scan header.
    out.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08]);
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x01, 0x11, 0x00]);
    out.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
    let data = len.saturating_sub(out.len() - start + 2);
    let from = out.len();
    out.resize(from + data, 0);
    rng.fill_bytes(&mut out[from..]);
    for b in &mut out[from..] {
        if *b == 0xFF {
            *b = 0xFE;
        }
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
}

impl Store {
    /// Attaches `count` generated documents ([`demo_document`]) to the dossiers of a demo
    /// database (refused in any other), drawn with `seed` from the index that follows the
    /// documents already there (adding twice never writes the same bytes twice). Written by
    /// batches of about 16 MB, one transaction each with one `document.creation` entry per
    /// document and one `demo.generation` entry; `progress` is called after each batch with
    /// the number done.
    pub async fn generate_demo_documents(
        &self,
        now: DateTime<Utc>,
        seed: u64,
        count: usize,
        mut progress: impl FnMut(usize),
    ) -> Result<Generated> {
        self.demo_only(
            "les documents de démonstration ne s'ajoutent qu'à une base de démonstration",
        )
        .await?;
        let mut done = Generated {
            documents: 0,
            bytes: 0,
        };
        if count == 0 {
            return Ok(done);
        }
        let dossiers = all(&self.db, "SELECT id FROM dossier ORDER BY id", vec![])
            .await?
            .iter()
            .map(|r| get::<i64>(r, "id"))
            .collect::<Result<Vec<_>>>()?;
        if dossiers.is_empty() {
            return Err(StoreError::Config(
                "aucun dossier auquel joindre des documents : générez d'abord des dossiers".into(),
            ));
        }
        let dossiers = std::sync::Arc::new(dossiers);
        let first = one(&self.db, "SELECT COUNT(*) AS n FROM document", vec![])
            .await?
            .map(|r| get::<i64>(&r, "n"))
            .transpose()?
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        let end = first + count as u64;
        // The next batch is drawn on another thread while this one is written.
        let mut next = Some(draw_batch(seed, first, end, dossiers.clone()));
        while let Some(drawing) = next.take() {
            let batch = drawing
                .await
                .map_err(|e| StoreError::Config(format!("génération interrompue : {e}")))?;
            let after = batch.last().map_or(end, |(i, _)| i + 1);
            if after < end {
                next = Some(draw_batch(seed, after, end, dossiers.clone()));
            }
            let written = self.write_batch(now, &batch).await?;
            done.documents += batch.len();
            done.bytes += written;
            progress(done.documents);
        }
        Ok(done)
    }

    /// Writes one batch of demo documents in one transaction; returns its bytes.
    async fn write_batch(&self, now: DateTime<Utc>, batch: &[(u64, DemoDocument)]) -> Result<u64> {
        let docs: Vec<NewDocument<'_>> = batch
            .iter()
            .map(|(_, d)| NewDocument {
                dossier_id: d.dossier_id,
                kind: "piece",
                title: d.title.clone(),
                template_code: None,
                template_version: None,
                recipient_kind: None,
                recipient_label: None,
                file_name: d.file_name.clone(),
                media_type: "application/pdf".into(),
                bytes: &d.bytes,
                confidential: d.confidential,
                names_source: d.names_source,
                category_id: None,
                version_of: None,
            })
            .collect();
        let actor = Actor::system();
        let txn = self.write().await?;
        self.add_documents_in(&txn, now, &actor, &Scope::All, &docs)
            .await?;
        self.append(
            &txn,
            now,
            &actor,
            Event::new("demo.generation").detail(format!("documents={}", docs.len())),
        )
        .await?;
        txn.commit().await?;
        Ok(docs.iter().map(|d| d.bytes.len() as u64).sum())
    }
}

/// Draws, on a blocking thread, the documents from index `from` until [`BATCH_BYTES`] or
/// index `end` is reached, each with its index.
fn draw_batch(
    seed: u64,
    from: u64,
    end: u64,
    dossiers: std::sync::Arc<Vec<i64>>,
) -> tokio::task::JoinHandle<Vec<(u64, DemoDocument)>> {
    tokio::task::spawn_blocking(move || {
        let mut batch = Vec::new();
        let mut bytes = 0usize;
        let mut i = from;
        while i < end && bytes < BATCH_BYTES {
            let d = demo_document(seed, i, &dossiers);
            bytes += d.bytes.len();
            batch.push((i, d));
            i += 1;
        }
        batch
    })
}
