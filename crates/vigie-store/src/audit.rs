//! The audit trail: append-only, hash-chained. Each entry holds the previous entry's
//! hash and its own, `SHA-256(prev_hash ‖ canonical fields)`. The chain head lives in
//! one row (`audit_head`), locked by every writer (`FOR UPDATE` on PostgreSQL; the
//! `IMMEDIATE` transaction on SQLite), so concurrent writers never fork the chain.
//! An entry never holds dossier content: who, when, what (action, object, field
//! names, revision), from which address.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction};
use sha2::{Digest, Sha256};

use crate::db::Store;
use crate::sql::{exec, get, one};
use crate::{Result, StoreError, vals};

/// Who does something, and from where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub ip: Option<String>,
}

impl Actor {
    pub fn user(id: i64, ip: Option<String>) -> Self {
        Self {
            user_id: Some(id),
            ip,
        }
    }

    /// The command line, run by the operator.
    pub fn system() -> Self {
        Self {
            user_id: None,
            ip: None,
        }
    }
}

/// What is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    pub action: &'a str,
    pub object_type: Option<&'a str>,
    pub object_id: Option<i64>,
    /// Field names, revision id, keyed hashes: never content.
    pub detail: Option<String>,
}

impl<'a> Event<'a> {
    pub fn new(action: &'a str) -> Self {
        Self {
            action,
            object_type: None,
            object_id: None,
            detail: None,
        }
    }

    pub fn on(mut self, object_type: &'a str, id: i64) -> Self {
        self.object_type = Some(object_type);
        self.object_id = Some(id);
        self
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<i64>,
    pub detail: Option<String>,
    pub ip: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The genesis hash.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn canonical_hash(
    prev: &str,
    seq: i64,
    at: DateTime<Utc>,
    actor: &Actor,
    ev: &Event<'_>,
) -> String {
    let mut h = Sha256::new();
    let field = |h: &mut Sha256, s: Option<&str>| match s {
        Some(s) => {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
        None => h.update(u64::MAX.to_be_bytes()),
    };
    h.update(prev.as_bytes());
    h.update(seq.to_be_bytes());
    field(
        &mut h,
        Some(&at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
    );
    field(&mut h, actor.user_id.map(|u| u.to_string()).as_deref());
    field(&mut h, Some(ev.action));
    field(&mut h, ev.object_type);
    field(&mut h, ev.object_id.map(|u| u.to_string()).as_deref());
    field(&mut h, ev.detail.as_deref());
    field(&mut h, actor.ip.as_deref());
    hex::encode(h.finalize())
}

/// Appends one entry, in the caller's transaction (which must be a write transaction).
pub async fn append(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &Actor,
    ev: Event<'_>,
) -> Result<i64> {
    let lock = if txn.get_database_backend() == DatabaseBackend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let head = one(
        txn,
        &format!("SELECT last_seq, last_hash FROM audit_head WHERE id = 1{lock}"),
        vec![],
    )
    .await?
    .ok_or(StoreError::Config(
        "tête de la chaîne d'audit absente".into(),
    ))?;
    let prev_seq: i64 = get(&head, "last_seq")?;
    let prev_hash: String = get(&head, "last_hash")?;
    let seq = prev_seq + 1;
    let at = now.trunc_subsecs(6);
    let hash = canonical_hash(&prev_hash, seq, at, actor, &ev);
    exec(
        txn,
        "INSERT INTO audit_entry (seq, at, user_id, action, object_type, object_id, detail, ip, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vals![seq, at, actor.user_id, ev.action, ev.object_type, ev.object_id, ev.detail.clone(), actor.ip.clone(), prev_hash, hash.clone()],
    )
    .await?;
    exec(
        txn,
        "UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1",
        vals![seq, hash],
    )
    .await?;
    Ok(seq)
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub entries: i64,
    pub head_seq: i64,
    pub head_hash: String,
    /// The first broken link: sequence number and what is wrong.
    pub broken: Option<(i64, String)>,
}

impl Store {
    /// Records one event in its own transaction.
    pub async fn audit(&self, now: DateTime<Utc>, actor: &Actor, ev: Event<'_>) -> Result<i64> {
        let txn = self.write().await?;
        let seq = append(&txn, now, actor, ev).await?;
        txn.commit().await?;
        Ok(seq)
    }

    /// Walks the chain in order, in pages, and reports the first broken link.
    pub async fn verify_audit(&self) -> Result<Verification> {
        let head = one(
            &self.db,
            "SELECT last_seq, last_hash FROM audit_head WHERE id = 1",
            vec![],
        )
        .await?
        .ok_or(StoreError::Config(
            "tête de la chaîne d'audit absente".into(),
        ))?;
        let head_seq: i64 = get(&head, "last_seq")?;
        let head_hash: String = get(&head, "last_hash")?;
        let mut prev = GENESIS.to_owned();
        let mut expected_seq = 1i64;
        let mut count = 0i64;
        let mut broken = None;
        let mut after = 0i64;
        'pages: loop {
            let rows = self.audit_page(after, 5_000).await?;
            if rows.is_empty() {
                break;
            }
            for e in rows {
                after = e.seq;
                count += 1;
                if e.seq != expected_seq {
                    broken = Some((expected_seq, format!("entrée {expected_seq} manquante")));
                    break 'pages;
                }
                if e.prev_hash != prev {
                    broken = Some((
                        e.seq,
                        "le lien vers l'entrée précédente ne correspond pas".into(),
                    ));
                    break 'pages;
                }
                let actor = Actor {
                    user_id: e.user_id,
                    ip: e.ip.clone(),
                };
                let ev = Event {
                    action: &e.action,
                    object_type: e.object_type.as_deref(),
                    object_id: e.object_id,
                    detail: e.detail.clone(),
                };
                let h = canonical_hash(&e.prev_hash, e.seq, e.at, &actor, &ev);
                if h != e.hash {
                    broken = Some((e.seq, "le contenu de l'entrée a été modifié".into()));
                    break 'pages;
                }
                prev = e.hash;
                expected_seq += 1;
            }
        }
        if broken.is_none() && (expected_seq - 1 != head_seq || prev != head_hash) {
            broken = Some((
                expected_seq,
                "la tête de chaîne ne correspond pas à la dernière entrée".into(),
            ));
        }
        Ok(Verification {
            entries: count,
            head_seq,
            head_hash,
            broken,
        })
    }

    /// Entries after `after_seq`, in order.
    pub async fn audit_page(&self, after_seq: i64, limit: i64) -> Result<Vec<Entry>> {
        let rows = crate::sql::all(
            &self.db,
            "SELECT seq, at, user_id, action, object_type, object_id, detail, ip, prev_hash, hash
             FROM audit_entry WHERE seq > $1 ORDER BY seq LIMIT $2",
            vals![after_seq, limit],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Entry {
                    seq: get(r, "seq")?,
                    at: get(r, "at")?,
                    user_id: get(r, "user_id")?,
                    action: get(r, "action")?,
                    object_type: get(r, "object_type")?,
                    object_id: get(r, "object_id")?,
                    detail: get(r, "detail")?,
                    ip: get(r, "ip")?,
                    prev_hash: get(r, "prev_hash")?,
                    hash: get(r, "hash")?,
                })
            })
            .collect()
    }

    /// The last entries (newest first), for tests and the CLI.
    pub async fn audit_tail(&self, n: i64) -> Result<Vec<Entry>> {
        let head = one(
            &self.db,
            "SELECT last_seq FROM audit_head WHERE id = 1",
            vec![],
        )
        .await?;
        let last: i64 = head.map(|h| get(&h, "last_seq")).transpose()?.unwrap_or(0);
        let mut v = self.audit_page((last - n).max(0), n).await?;
        v.reverse();
        Ok(v)
    }
}
