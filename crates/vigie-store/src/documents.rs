//! The dossier's documents: stored in the database in fixed-size chunks with their SHA-256 and
//! size, added in one transaction with their audit entry, listed and read within the caller's
//! scope, a confidential document (one naming a confidential source) only by roles that may see
//! the source's identity — filtered in SQL, so a document out of reach is simply not found.
//! A download is read chunk by chunk and audited (who, which document; never content).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use sha2::{Digest, Sha256};
use vigie_domain::{DomainError, Scope};

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::sql::{Sql, all_sql, exec, get, one, scope_filter};
use crate::{Result, StoreError, vals};

/// Bytes per chunk row: small enough for both drivers to read one at a time with bounded
/// memory, large enough that a 20 MB document is 80 rows.
pub const CHUNK_SIZE: usize = 256 * 1024;

/// Chunk rows written by one statement (at most 4 MB).
pub(crate) const CHUNKS_PER_INSERT: usize = 16;

/// Largest document accepted (a generated letter is a few tens of kB).
pub const MAX_SIZE: usize = 50 * 1024 * 1024;

/// A document to add to a dossier.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub dossier_id: i64,
    /// `courrier` for a generated letter.
    pub kind: &'a str,
    pub title: String,
    pub template_code: Option<String>,
    pub template_version: Option<String>,
    pub recipient_kind: Option<String>,
    pub recipient_label: Option<String>,
    pub file_name: String,
    pub media_type: String,
    pub bytes: &'a [u8],
    /// Names a confidential source: hidden from roles that may not see the source's identity.
    pub confidential: bool,
    /// Prints the source's identity: hidden like a confidential document as soon as the
    /// dossier's source is no longer « identité connue » (it may become confidential later).
    pub names_source: bool,
    /// An uploaded document's category (`categorie_document`).
    pub category_id: Option<i64>,
    /// The generated letter this document is an edited or signed version of (same dossier).
    pub version_of: Option<i64>,
}

/// A removed document: who removed it, when, why (its content is gone).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Removal {
    pub by_name: Option<String>,
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// A stored document, without its content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DocumentInfo {
    pub id: i64,
    pub dossier_id: i64,
    pub kind: String,
    pub title: String,
    pub template_code: Option<String>,
    pub template_version: Option<String>,
    pub recipient_kind: Option<String>,
    pub recipient_label: Option<String>,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub confidential: bool,
    pub names_source: bool,
    pub created_by: Option<i64>,
    /// Display name of the author.
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub category_id: Option<i64>,
    pub category_label: Option<String>,
    pub version_of: Option<i64>,
    /// Set when a responsable removed it: listed, never served.
    pub removal: Option<Removal>,
}

const COLUMNS: &str = "doc.id, doc.dossier_id, doc.kind, doc.title, doc.template_code, \
    doc.template_version, doc.recipient_kind, doc.recipient_label, doc.file_name, doc.media_type, \
    doc.size, doc.sha256, doc.confidential, doc.names_source, doc.created_by, u.display_name AS created_by_name, \
    doc.created_at, fi.category_id, cat.label AS category_label, fi.version_of, \
    rm.removed_at, rm.reason AS removal_reason, ru.display_name AS removed_by_name";

/// The joins [`COLUMNS`] reads.
const JOINS: &str = "LEFT JOIN app_user u ON u.id = doc.created_by \
    LEFT JOIN document_filing fi ON fi.document_id = doc.id \
    LEFT JOIN param_value cat ON cat.id = fi.category_id \
    LEFT JOIN document_removal rm ON rm.document_id = doc.id \
    LEFT JOIN app_user ru ON ru.id = rm.removed_by";

fn info(r: &sea_orm::QueryResult) -> Result<DocumentInfo> {
    Ok(DocumentInfo {
        id: get(r, "id")?,
        dossier_id: get(r, "dossier_id")?,
        kind: get(r, "kind")?,
        title: get(r, "title")?,
        template_code: get(r, "template_code")?,
        template_version: get(r, "template_version")?,
        recipient_kind: get(r, "recipient_kind")?,
        recipient_label: get(r, "recipient_label")?,
        file_name: get(r, "file_name")?,
        media_type: get(r, "media_type")?,
        size: get(r, "size")?,
        sha256: get(r, "sha256")?,
        confidential: get(r, "confidential")?,
        names_source: get(r, "names_source")?,
        created_by: get(r, "created_by")?,
        created_by_name: get(r, "created_by_name")?,
        created_at: get(r, "created_at")?,
        category_id: get(r, "category_id")?,
        category_label: get(r, "category_label")?,
        version_of: get(r, "version_of")?,
        removal: match get::<Option<DateTime<Utc>>>(r, "removed_at")? {
            Some(at) => Some(Removal {
                by_name: get(r, "removed_by_name")?,
                at,
                reason: get(r, "removal_reason")?,
            }),
            None => None,
        },
    })
}

/// The query of documents within reach: the dossier in scope, a confidential document only
/// for those who may see the source.
fn reachable(scope: &Scope, source_visible: bool) -> Sql {
    let mut q = Sql::new(&format!(
        "SELECT {COLUMNS} FROM document doc JOIN dossier d ON d.id = doc.dossier_id {JOINS} WHERE "
    ));
    scope_filter(&mut q, scope, "d");
    if !source_visible {
        q.push(" AND doc.confidential = ").bind(false);
        q.push(" AND (doc.names_source = ").bind(false);
        q.push(" OR (SELECT s.confidentiality FROM dossier_source s WHERE s.dossier_id = doc.dossier_id) = ")
            .bind(vigie_domain::SourceConfidentiality::Known.code())
            .push(")");
    }
    q
}

fn too_large() -> StoreError {
    DomainError::field(
        "document",
        "Document",
        format!("trop volumineux : {} Mo au plus.", MAX_SIZE / (1024 * 1024)),
    )
    .into()
}

/// Inserts a document's row, without its chunks (inside the caller's transaction).
async fn insert(
    c: &impl ConnectionTrait,
    now: DateTime<Utc>,
    actor: &Actor,
    d: &NewDocument<'_>,
) -> Result<i64> {
    let sha = hex::encode(Sha256::digest(d.bytes));
    let size = i64::try_from(d.bytes.len()).map_err(|_| too_large())?;
    let mut q = Sql::new(
        "INSERT INTO document (dossier_id, kind, title, template_code, template_version, \
         recipient_kind, recipient_label, file_name, media_type, size, sha256, confidential, \
         names_source, created_by, created_at) VALUES (",
    );
    q.bind(d.dossier_id)
        .push(", ")
        .bind(d.kind)
        .push(", ")
        .bind(d.title.clone());
    q.push(", ")
        .bind(d.template_code.clone())
        .push(", ")
        .bind(d.template_version.clone());
    q.push(", ")
        .bind(d.recipient_kind.clone())
        .push(", ")
        .bind(d.recipient_label.clone());
    q.push(", ")
        .bind(d.file_name.clone())
        .push(", ")
        .bind(d.media_type.clone());
    q.push(", ")
        .bind(size)
        .push(", ")
        .bind(sha)
        .push(", ")
        .bind(d.confidential);
    q.push(", ").bind(d.names_source);
    q.push(", ")
        .bind(actor.user_id)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    let rows = all_sql(c, &q).await?;
    let id: i64 = get(rows.first().ok_or(StoreError::NotFound)?, "id")?;
    if d.category_id.is_some() || d.version_of.is_some() {
        exec(
            c,
            "INSERT INTO document_filing (document_id, category_id, version_of) VALUES ($1, $2, $3)",
            vals![id, d.category_id, d.version_of],
        )
        .await?;
    }
    Ok(id)
}

/// Inserts the chunks of documents (inside the caller's transaction), several per statement
/// (up to [`CHUNKS_PER_INSERT`], across documents): over TCP, a statement of a few hundred kB
/// may wait for the acknowledgement of its first packets (the drivers leave Nagle's algorithm
/// on), so fewer, larger statements write faster.
async fn insert_chunks(c: &impl ConnectionTrait, documents: &[(i64, &[u8])]) -> Result<()> {
    let mut chunks = Vec::new();
    for (id, bytes) in documents {
        for (seq, chunk) in bytes.chunks(CHUNK_SIZE).enumerate() {
            chunks.push((*id, i64::try_from(seq).map_err(|_| too_large())?, chunk));
        }
    }
    for group in chunks.chunks(CHUNKS_PER_INSERT) {
        insert_chunk_rows(c, group).await?;
    }
    Ok(())
}

/// Inserts chunk rows `(document id, sequence number, bytes)` in one statement (callers keep
/// it to [`CHUNKS_PER_INSERT`] rows: a restore's documents go in the same way).
pub(crate) async fn insert_chunk_rows(
    c: &impl ConnectionTrait,
    rows: &[(i64, i64, &[u8])],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = String::from("INSERT INTO document_chunk (document_id, seq, data) VALUES ");
    let mut values = Vec::with_capacity(rows.len() * 3);
    for (k, (id, seq, chunk)) in rows.iter().enumerate() {
        if k > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, ${}, ${})", 3 * k + 1, 3 * k + 2, 3 * k + 3));
        values.extend(vals![*id, *seq, chunk.to_vec()]);
    }
    exec(c, &sql, values).await?;
    Ok(())
}

impl Store {
    /// Adds documents to a dossier within the caller's scope, in one transaction with one audit
    /// entry each (`document.creation`: the document, its dossier and template; no content).
    pub async fn add_documents(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        documents: &[NewDocument<'_>],
    ) -> Result<Vec<i64>> {
        let txn = self.write().await?;
        let ids = self
            .add_documents_in(&txn, now, actor, scope, documents)
            .await?;
        txn.commit().await?;
        Ok(ids)
    }

    /// [`Store::add_documents`] inside the caller's transaction (which the caller commits).
    pub(crate) async fn add_documents_in(
        &self,
        txn: &DatabaseTransaction,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        documents: &[NewDocument<'_>],
    ) -> Result<Vec<i64>> {
        if documents.iter().any(|d| d.bytes.len() > MAX_SIZE) {
            return Err(too_large());
        }
        let mut ids = Vec::with_capacity(documents.len());
        let mut written = Vec::with_capacity(documents.len());
        for d in documents {
            let mut q = Sql::new("SELECT d.id FROM dossier d WHERE d.id = ");
            q.bind(d.dossier_id).push(" AND ");
            scope_filter(&mut q, scope, "d");
            if all_sql(txn, &q).await?.is_empty() {
                return Err(StoreError::NotFound);
            }
            if let Some(of) = d.version_of {
                let original = one(
                    txn,
                    "SELECT doc.id FROM document doc LEFT JOIN document_removal rm \
                     ON rm.document_id = doc.id WHERE doc.id = $1 AND doc.dossier_id = $2 \
                     AND rm.document_id IS NULL",
                    vals![of, d.dossier_id],
                )
                .await?;
                if original.is_none() {
                    return Err(StoreError::NotFound);
                }
            }
            let id = insert(txn, now, actor, d).await?;
            let mut detail = format!(
                "dossier {} ; modèle {}",
                d.dossier_id,
                d.template_code.as_deref().unwrap_or("-")
            );
            if let Some(c) = d.category_id {
                detail.push_str(&format!(" ; catégorie {c}"));
            }
            if let Some(of) = d.version_of {
                detail.push_str(&format!(" ; version du document {of}"));
            }
            self.append(
                txn,
                now,
                actor,
                Event::new("document.creation")
                    .on("document", id)
                    .detail(detail),
            )
            .await?;
            ids.push(id);
            written.push((id, d.bytes));
        }
        insert_chunks(txn, &written).await?;
        Ok(ids)
    }

    /// A dossier's documents within reach, newest first. A dossier out of scope is not found.
    pub async fn documents(
        &self,
        scope: &Scope,
        source_visible: bool,
        dossier_id: i64,
    ) -> Result<Vec<DocumentInfo>> {
        let mut q = Sql::new("SELECT d.id FROM dossier d WHERE d.id = ");
        q.bind(dossier_id).push(" AND ");
        scope_filter(&mut q, scope, "d");
        if all_sql(&self.db, &q).await?.is_empty() {
            return Err(StoreError::NotFound);
        }
        let mut q = reachable(scope, source_visible);
        q.push(" AND doc.dossier_id = ").bind(dossier_id);
        q.push(" ORDER BY doc.id DESC");
        all_sql(&self.db, &q).await?.iter().map(info).collect()
    }

    /// One document within reach, to download (not found otherwise: out of scope,
    /// confidential, or removed).
    pub async fn document(
        &self,
        scope: &Scope,
        source_visible: bool,
        id: i64,
    ) -> Result<DocumentInfo> {
        let mut q = reachable(scope, source_visible);
        q.push(" AND rm.document_id IS NULL AND doc.id = ").bind(id);
        let rows = all_sql(&self.db, &q).await?;
        info(rows.first().ok_or(StoreError::NotFound)?)
    }

    /// The `seq`-th chunk of a document already reached through [`Store::document`]
    /// (`None` after the last).
    pub async fn document_chunk(&self, id: i64, seq: i64) -> Result<Option<Vec<u8>>> {
        let r = one(
            &self.db,
            "SELECT data FROM document_chunk WHERE document_id = $1 AND seq = $2",
            vals![id, seq],
        )
        .await?;
        r.map(|r| get::<Vec<u8>>(&r, "data")).transpose()
    }

    /// Records that a document was downloaded (`document.telechargement`; who, which).
    pub async fn record_download(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        doc: &DocumentInfo,
    ) -> Result<()> {
        let txn = self.write().await?;
        let detail = format!("dossier {}", doc.dossier_id);
        self.append(
            &txn,
            now,
            actor,
            Event::new("document.telechargement")
                .on("document", doc.id)
                .detail(detail),
        )
        .await?;
        txn.commit().await.map_err(Into::into)
    }

    /// A whole document's bytes, checked against its size and SHA-256 (for tests and exports;
    /// downloads stream [`Store::document_chunk`]).
    pub async fn document_bytes(&self, doc: &DocumentInfo) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(usize::try_from(doc.size).unwrap_or(0));
        let mut seq = 0;
        while let Some(chunk) = self.document_chunk(doc.id, seq).await? {
            out.extend_from_slice(&chunk);
            seq += 1;
        }
        if i64::try_from(out.len()).ok() != Some(doc.size)
            || hex::encode(Sha256::digest(&out)) != doc.sha256
        {
            return Err(StoreError::Config(format!(
                "le document {} est altéré (taille ou empreinte SHA-256 différente)",
                doc.id
            )));
        }
        Ok(out)
    }
}

impl Store {
    /// Removes a document (a responsable CRIP, checked by the caller): its row stays with who
    /// removed it, when and why (`document_removal`), its content is deleted, an audit entry
    /// `document.suppression` names it — one transaction. Not found: out of scope, or
    /// already removed.
    pub async fn remove_document(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        reason: &str,
    ) -> Result<DocumentInfo> {
        let txn = self.write().await?;
        let mut q = reachable(scope, true);
        q.push(" AND rm.document_id IS NULL AND doc.id = ").bind(id);
        let rows = all_sql(&txn, &q).await?;
        let doc = info(rows.first().ok_or(StoreError::NotFound)?)?;
        // Two removals at once: the second inserts nothing and finds the document gone.
        let inserted = exec(
            &txn,
            "INSERT INTO document_removal (document_id, removed_by, removed_at, reason) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (document_id) DO NOTHING",
            vals![id, actor.user_id, now, reason],
        )
        .await?;
        if inserted == 0 {
            return Err(StoreError::NotFound);
        }
        exec(
            &txn,
            "DELETE FROM document_chunk WHERE document_id = $1",
            vals![id],
        )
        .await?;
        let detail = format!("dossier {} ; {}", doc.dossier_id, doc.kind);
        self.append(
            &txn,
            now,
            actor,
            Event::new("document.suppression")
                .on("document", id)
                .detail(detail),
        )
        .await?;
        txn.commit().await?;
        Ok(doc)
    }
}
