//! The audit trail: append-only, hash-chained. Each entry holds the previous entry's
//! hash and its own, `SHA-256(prev_hash ‖ canonical fields)`. The chain head lives in
//! one row (`audit_head`), locked by every writer (`FOR UPDATE` on PostgreSQL; the
//! `IMMEDIATE` transaction on SQLite), so concurrent writers never fork the chain.
//! An entry never holds dossier content: who, when, what (action, object, field
//! names, revision), from which address.
//!
//! Retention (CNIL, délibération n° 2021-122: six months to one year by default, three
//! years at most): [`Store::purge_audit`] deletes the entries older than a date, after
//! checking the part it deletes, and leaves a checkpoint (`audit_checkpoint`: the first
//! entry kept and the hash it links to) from which [`Store::verify_audit_with`] verifies
//! the remainder. The head hash ([`Verification::head_hash`]) and every checkpoint are
//! printed by the command line to be recorded outside the database; an externally
//! recorded [`Anchor`] is checked against the chain.
//!
//! Consultation ([`Store::audit_search`]): by user, dossier, child (a person, across its
//! dossiers), action, period; newest first, keyset paging.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Months, SubsecRound, Utc};
use hmac::Mac;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, QueryResult};
use sha2::{Digest, Sha256};
use vigie_domain::{DomainError, DossierNumber, Person, Scope};

use crate::db::Store;
use crate::dossiers::scope_filter;
use crate::keys::{HmacSha256, Keys};
use crate::persons::{find_by_name, person_from};
use crate::sql::{Sql, all, all_sql, exec, get, one};
use crate::{Result, StoreError, vals};

pub mod anchors;
mod keyed;
pub use keyed::{KeySegment, KeyStatus};

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

/// The fields an entry's hash covers, borrowed (verification hashes a million of them).
struct Fields<'a> {
    prev: &'a str,
    seq: i64,
    at: DateTime<Utc>,
    user_id: Option<i64>,
    action: &'a str,
    object_type: Option<&'a str>,
    object_id: Option<i64>,
    detail: Option<&'a str>,
    ip: Option<&'a str>,
}

impl<'a> Fields<'a> {
    fn of(e: &'a Entry) -> Self {
        Self {
            prev: &e.prev_hash,
            seq: e.seq,
            at: e.at,
            user_id: e.user_id,
            action: &e.action,
            object_type: e.object_type.as_deref(),
            object_id: e.object_id,
            detail: e.detail.as_deref(),
            ip: e.ip.as_deref(),
        }
    }
}

/// `2026-11-24T10:00:00.000000Z`: the instant as hashed. Written by hand for the years
/// 0 to 9999 (what chrono's `%Y-%m-%dT%H:%M:%S%.6fZ` gives, without its formatter);
/// chrono's formatter otherwise.
fn canonical_instant(at: DateTime<Utc>, buf: &mut [u8; 27]) -> Option<&str> {
    use chrono::{Datelike, Timelike};
    let year = at.year();
    let nanos = at.nanosecond();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return None;
    }
    let mut put = |pos: usize, width: usize, mut v: u32| {
        for i in (0..width).rev() {
            buf[pos + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, at.month());
    put(8, 2, at.day());
    put(11, 2, at.hour());
    put(14, 2, at.minute());
    put(17, 2, at.second());
    put(20, 6, nanos / 1_000);
    buf[4] = b'-';
    buf[7] = b'-';
    buf[10] = b'T';
    buf[13] = b':';
    buf[16] = b':';
    buf[19] = b'.';
    buf[26] = b'Z';
    std::str::from_utf8(buf).ok()
}

/// Feeds the canonical bytes of an entry to `update` (SHA-256 for the unkeyed chain, the
/// HMAC under the instance key for the keyed one: the same bytes either way).
fn feed_fields(f: &Fields<'_>, update: &mut dyn FnMut(&[u8])) {
    let field = |update: &mut dyn FnMut(&[u8]), s: Option<&[u8]>| match s {
        Some(s) => {
            update(&(s.len() as u64).to_be_bytes());
            update(s);
        }
        None => update(&u64::MAX.to_be_bytes()),
    };
    let num = |update: &mut dyn FnMut(&[u8]), n: Option<i64>| match n {
        Some(n) => {
            // The decimal text of the number, without allocating.
            let mut buf = [0u8; 21];
            let mut pos = buf.len();
            let mut v = n.unsigned_abs();
            loop {
                pos -= 1;
                buf[pos] = b'0' + (v % 10) as u8;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
            if n < 0 {
                pos -= 1;
                buf[pos] = b'-';
            }
            update(&((buf.len() - pos) as u64).to_be_bytes());
            update(&buf[pos..]);
        }
        None => update(&u64::MAX.to_be_bytes()),
    };
    update(f.prev.as_bytes());
    update(&f.seq.to_be_bytes());
    let mut buf = [0u8; 27];
    match canonical_instant(f.at, &mut buf) {
        Some(s) => field(update, Some(s.as_bytes())),
        None => field(
            update,
            Some(f.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string().as_bytes()),
        ),
    }
    num(update, f.user_id);
    field(update, Some(f.action.as_bytes()));
    field(update, f.object_type.map(str::as_bytes));
    num(update, f.object_id);
    field(update, f.detail.map(str::as_bytes));
    field(update, f.ip.map(str::as_bytes));
}

/// The unkeyed link (entries written before the instance key was adopted).
fn hash_fields(f: &Fields<'_>) -> String {
    let mut h = Sha256::new();
    feed_fields(f, &mut |b| h.update(b));
    hex::encode(h.finalize())
}

/// The unkeyed (SHA-256) link of an entry: what anyone can compute, hence what an attacker
/// rewriting the chain without the key would write (public for the tests that play him).
pub fn sha256_link(e: &Entry) -> String {
    hash_fields(&Fields::of(e))
}

/// The keyed link: HMAC-SHA-256 under the chain key (a clone of the keyed template).
fn mac_fields(mac: &HmacSha256, f: &Fields<'_>) -> String {
    let mut m = mac.clone();
    feed_fields(f, &mut |b| m.update(b));
    hex::encode(m.finalize().into_bytes())
}

fn canonical_hash(
    prev: &str,
    seq: i64,
    at: DateTime<Utc>,
    actor: &Actor,
    ev: &Event<'_>,
    mac: Option<&HmacSha256>,
) -> String {
    let f = Fields {
        prev,
        seq,
        at,
        user_id: actor.user_id,
        action: ev.action,
        object_type: ev.object_type,
        object_id: ev.object_id,
        detail: ev.detail.as_deref(),
        ip: actor.ip.as_deref(),
    };
    match mac {
        Some(m) => mac_fields(m, &f),
        None => hash_fields(&f),
    }
}

/// Appends one entry, in the caller's transaction (which must be a write transaction):
/// linked by HMAC under the key the head names, or by SHA-256 on a chain not keyed yet.
pub(crate) async fn append(
    txn: &DatabaseTransaction,
    keys: &Keys,
    now: DateTime<Utc>,
    actor: &Actor,
    ev: Event<'_>,
) -> Result<i64> {
    let head = lock_head(txn).await?;
    let mac = match head.key_id {
        Some(id) => {
            let key = keys.key(id).map_err(StoreError::Config)?;
            if !keys.is_verified(id) {
                // A key read again from the file (another node rotated): it must be the
                // one the database recorded, or nothing is signed with it.
                let recorded = one(
                    txn,
                    "SELECT fingerprint FROM audit_key WHERE id = $1",
                    vals![id],
                )
                .await?
                .map(|r| get::<String>(&r, "fingerprint"))
                .transpose()?;
                if recorded.as_deref() != Some(key.fingerprint().as_str()) {
                    return Err(StoreError::Config(format!(
                        "la clé d'instance n° {id} du fichier n'est pas celle que la base enregistre : rien n'est écrit ; copiez le fichier de clés à jour"
                    )));
                }
                keys.mark_verified([id]);
            }
            Some(key.chain_mac())
        }
        // A store given a ring never writes an unkeyed entry: the database must adopt the
        // key first (explicitly).
        None if keys.ring().is_some() => {
            return Err(StoreError::Config(
                "cette base n'a pas adopté la clé d'instance : lancez une fois « vigie key adopter » (rien n'a été écrit)".into(),
            ));
        }
        None => None,
    };
    let (prev_seq, prev_hash) = (head.seq, head.hash);
    let seq = prev_seq + 1;
    let at = now.trunc_subsecs(6);
    let hash = canonical_hash(&prev_hash, seq, at, actor, &ev, mac.as_ref());
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

/// The chain head: the last entry, and the key that signs the next one (none: not keyed yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    pub seq: i64,
    pub hash: String,
    pub key_id: Option<i64>,
}

/// The chain head, locked for the rest of the transaction (PostgreSQL `FOR UPDATE`; on
/// SQLite the `IMMEDIATE` transaction already holds the write lock).
pub(crate) async fn lock_head(txn: &DatabaseTransaction) -> Result<Head> {
    let lock = if txn.get_database_backend() == DatabaseBackend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    head_of(txn, lock).await
}

pub(crate) async fn head_of(c: &impl ConnectionTrait, lock: &str) -> Result<Head> {
    let head = one(
        c,
        &format!("SELECT last_seq, last_hash, key_id FROM audit_head WHERE id = 1{lock}"),
        vec![],
    )
    .await?
    .ok_or(StoreError::Config(
        "tête de la chaîne d'audit absente".into(),
    ))?;
    Ok(Head {
        seq: get(&head, "last_seq")?,
        hash: get(&head, "last_hash")?,
        key_id: get(&head, "key_id")?,
    })
}

/// A checkpoint left by a purge: the entries before `first_seq` were deleted; the entry
/// `first_seq` links to `prev_hash`. Append-only (database triggers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The purge deleted the entries recorded before this instant.
    pub purged_before: DateTime<Utc>,
    /// The first entry kept.
    pub first_seq: i64,
    /// The hash of the last entry purged (entry `first_seq - 1`), which `first_seq` links to.
    pub prev_hash: String,
    pub entries_purged: i64,
    /// The key that signed the checkpoint, and its signature (none: a purge made before
    /// the chain was keyed).
    pub key_id: Option<i64>,
    pub mac: Option<String>,
}

impl Checkpoint {
    /// The anchor this checkpoint stands for: entry `first_seq - 1` had hash `prev_hash`.
    pub fn anchor(&self) -> Anchor {
        Anchor {
            seq: self.first_seq - 1,
            hash: self.prev_hash.clone(),
        }
    }
}

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

/// What became of an anchor given to the verification (a mismatch is a broken link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorCheck {
    /// The entry is there, with that hash.
    Matches,
    /// The entry was purged by a checkpoint signed under the instance key and checked with
    /// it: a regular purge (only the checkpoint's own link can still be compared).
    Purged,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries checked (from the checkpoint, or from the first entry).
    pub entries: i64,
    pub head_seq: i64,
    pub head_hash: String,
    /// The first broken link: sequence number and what is wrong, in French.
    pub broken: Option<(i64, String)>,
    /// The checkpoint the walk started from, when entries were purged.
    pub checkpoint: Option<Checkpoint>,
    /// The anchor given alone (`--ancre`), when the chain is intact up to it.
    pub anchor: Option<AnchorCheck>,
    /// Every anchor checked (given, or read from the anchor files), when intact.
    pub anchors: Vec<(Anchor, AnchorCheck)>,
    /// The keys that signed segments of the chain, oldest first (empty: not keyed yet).
    pub segments: Vec<KeySegment>,
    /// Whether the verification ran with the key ring (keyed links checked).
    pub with_key: bool,
    /// Keyed entries whose link could only be followed, not checked (run without the key).
    pub unverified: i64,
}

/// Entries fetched per query when walking the chain.
/// (On 1,000,000 entries, 10,000 is as fast as 20,000 within the noise, with less memory.)
const VERIFY_PAGE: i64 = 10_000;

const ENTRY_COLUMNS: &str =
    "seq, at, user_id, action, object_type, object_id, detail, ip, prev_hash, hash";

fn entry_from(r: &QueryResult) -> Result<Entry> {
    // By position (the order of ENTRY_COLUMNS): no column-name lookups.
    Ok(Entry {
        seq: r.try_get_by_index(0)?,
        at: r.try_get_by_index(1)?,
        user_id: r.try_get_by_index(2)?,
        action: r.try_get_by_index(3)?,
        object_type: r.try_get_by_index(4)?,
        object_id: r.try_get_by_index(5)?,
        detail: r.try_get_by_index(6)?,
        ip: r.try_get_by_index(7)?,
        prev_hash: r.try_get_by_index(8)?,
        hash: r.try_get_by_index(9)?,
    })
}

/// Entries with `from <= seq < to`, in order, at most `limit`.
async fn entries_from(
    c: &impl ConnectionTrait,
    from: i64,
    to: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>> {
    let rows = match to {
        Some(to) => {
            all(
                c,
                &format!("SELECT {ENTRY_COLUMNS} FROM audit_entry WHERE seq >= $1 AND seq < $2 ORDER BY seq LIMIT $3"),
                vals![from, to, limit],
            )
            .await?
        }
        None => {
            all(
                c,
                &format!("SELECT {ENTRY_COLUMNS} FROM audit_entry WHERE seq >= $1 ORDER BY seq LIMIT $2"),
                vals![from, limit],
            )
            .await?
        }
    };
    rows.iter().map(entry_from).collect()
}

/// The latest checkpoint (the one the delete trigger honours: the highest `first_seq`).
async fn latest_checkpoint(c: &impl ConnectionTrait) -> Result<Option<Checkpoint>> {
    one(
        c,
        "SELECT id, at, purged_before, first_seq, prev_hash, entries_purged, key_id, mac FROM audit_checkpoint
         ORDER BY first_seq DESC, id DESC LIMIT 1",
        vec![],
    )
    .await?
    .map(|r| {
        Ok(Checkpoint {
            id: get(&r, "id")?,
            at: get(&r, "at")?,
            purged_before: get(&r, "purged_before")?,
            first_seq: get(&r, "first_seq")?,
            prev_hash: get(&r, "prev_hash")?,
            entries_purged: get(&r, "entries_purged")?,
            key_id: get(&r, "key_id")?,
            mac: get(&r, "mac")?,
        })
    })
    .transpose()
}

/// The detail of the `audit.purge` entry a purge appends (the verification looks for it).
fn purge_detail(purged: i64, first_seq: i64, checkpoint_id: i64) -> String {
    format!("entrees={purged};premiere={first_seq};point={checkpoint_id}")
}

/// Who signs the entries from `from_seq` on: the key's chain MAC (none: run without the
/// ring, the links are followed but not checked), and the entry that must open the segment.
struct Signer {
    from_seq: i64,
    id: i64,
    mac: Option<HmacSha256>,
    opening: String,
}

/// The walk along the chain: the next entry expected, the hash it must link to.
struct Walk {
    next_seq: i64,
    prev: String,
    checked: i64,
    broken: Option<(i64, String)>,
    /// Anchors inside the walked range (sequence → hash), and how many were met.
    anchors: std::collections::BTreeMap<i64, String>,
    anchors_met: Vec<i64>,
    /// The `audit.purge` entry of the checkpoint walked from, and whether it was met.
    purge_entry: Option<String>,
    purge_met: bool,
    /// The keyed segments, oldest first; `signer`: the one the next entry falls in.
    signers: Vec<Signer>,
    signer: Option<usize>,
    unverified: i64,
}

impl Walk {
    fn new(next_seq: i64, prev: String) -> Self {
        Self {
            next_seq,
            prev,
            checked: 0,
            broken: None,
            anchors: std::collections::BTreeMap::new(),
            anchors_met: Vec::new(),
            purge_entry: None,
            purge_met: false,
            signers: Vec::new(),
            signer: None,
            unverified: 0,
        }
    }

    fn with_signers(mut self, signers: Vec<Signer>) -> Self {
        self.signers = signers;
        self.signer = self
            .signers
            .iter()
            .rposition(|s| s.from_seq <= self.next_seq);
        self
    }

    /// Checks one entry; `false` once the chain is broken.
    fn feed(&mut self, e: Entry) -> bool {
        if e.seq != self.next_seq {
            self.broken = Some((self.next_seq, format!("entrée {} manquante", self.next_seq)));
            return false;
        }
        if e.prev_hash != self.prev {
            self.broken = Some((
                e.seq,
                "le lien vers l'entrée précédente ne correspond pas".into(),
            ));
            return false;
        }
        let next_signer = self.signer.map_or(0, |i| i + 1);
        if self
            .signers
            .get(next_signer)
            .is_some_and(|s| s.from_seq == e.seq)
        {
            self.signer = Some(next_signer);
        }
        let signer = self.signer.and_then(|i| self.signers.get(i));
        let content_ok = match signer {
            None => hash_fields(&Fields::of(&e)) == e.hash,
            Some(Signer { mac: Some(m), .. }) => mac_fields(m, &Fields::of(&e)) == e.hash,
            Some(Signer { mac: None, .. }) => {
                self.unverified += 1;
                true
            }
        };
        if !content_ok {
            self.broken = Some((
                e.seq,
                if signer.is_some() {
                    "le contenu de l'entrée a été modifié, ou sa signature réécrite sans la clé d'instance".into()
                } else {
                    "le contenu de l'entrée a été modifié".into()
                },
            ));
            return false;
        }
        if let Some(s) = signer
            && s.from_seq == e.seq
            && (e.action != "audit.cle" || e.detail.as_deref() != Some(s.opening.as_str()))
        {
            self.broken = Some((
                e.seq,
                format!(
                    "l'entrée {} devait ouvrir le segment signé par la clé n° {} (« audit.cle ») : segment de clé falsifié",
                    e.seq, s.id
                ),
            ));
            return false;
        }
        if let Some(h) = self.anchors.get(&e.seq) {
            if *h != e.hash {
                let a = Anchor {
                    seq: e.seq,
                    hash: h.clone(),
                };
                self.broken = Some((e.seq, anchor_mismatch(&a, &e.hash)));
                return false;
            }
            self.anchors_met.push(e.seq);
        }
        if let Some(d) = &self.purge_entry
            && e.action == "audit.purge"
            && e.detail.as_deref() == Some(d.as_str())
        {
            self.purge_met = true;
        }
        self.checked += 1;
        self.next_seq += 1;
        self.prev = e.hash;
        true
    }

    /// Walks the entries from `next_seq` to the end, reading the next page while the
    /// current one is hashed (on a blocking thread): reading and hashing overlap.
    async fn run_pipelined(mut self, db: &sea_orm::DatabaseConnection) -> Result<Self> {
        let fetch = |from: i64| {
            let db = db.clone();
            tokio::spawn(async move { entries_from(&db, from, None, VERIFY_PAGE).await })
        };
        let mut next = fetch(self.next_seq);
        loop {
            let page = (&mut next)
                .await
                .map_err(|e| StoreError::Config(format!("vérification interrompue : {e}")))??;
            let last_page = (page.len() as i64) < VERIFY_PAGE;
            if let Some(e) = page.last().filter(|_| !last_page) {
                next = fetch(e.seq + 1);
            }
            let (walk, intact) = tokio::task::spawn_blocking(move || {
                let intact = page.into_iter().all(|e| self.feed(e));
                (self, intact)
            })
            .await
            .map_err(|e| StoreError::Config(format!("vérification interrompue : {e}")))?;
            self = walk;
            if !intact || last_page {
                if !last_page {
                    next.abort();
                }
                return Ok(self);
            }
        }
    }

    /// Walks the entries `next_seq..to` (to the end without `to`), page by page.
    async fn run(&mut self, c: &impl ConnectionTrait, to: Option<i64>) -> Result<()> {
        loop {
            let page = entries_from(c, self.next_seq, to, VERIFY_PAGE).await?;
            let n = page.len() as i64;
            for e in page {
                if !self.feed(e) {
                    return Ok(());
                }
            }
            if n < VERIFY_PAGE {
                return Ok(());
            }
        }
    }
}

fn anchor_mismatch(a: &Anchor, found: &str) -> String {
    format!(
        "l'empreinte enregistrée hors de la base pour l'entrée {} ne correspond pas (enregistrée : {}, en base : {found})",
        a.seq, a.hash
    )
}

/// The retention setting (months), in the `setting` table.
pub const RETENTION_SETTING: &str = "audit_conservation_mois";
/// The retention when none is set: one year (CNIL: six months to one year by default).
pub const RETENTION_DEFAULT_MONTHS: u32 = 12;
/// The retention allowed: six months to three years.
pub const RETENTION_RANGE: std::ops::RangeInclusive<u32> = 6..=36;

/// An action filter: one action, or every action of a family (`dossier.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionFilter {
    Exact(String),
    /// Actions starting with this text (`dossier.` for `dossier.*`).
    Prefix(String),
}

impl ActionFilter {
    /// `dossier.*` is a family (prefix `dossier.`); anything else, one action (an unknown
    /// one matches nothing). A control character, which no action holds, is no filter
    /// (the web refuses it before: a French 422).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.is_empty() || vigie_domain::text::forbidden_char(s, false).is_some() {
            None
        } else if let Some(p) = s.strip_suffix('*') {
            (!p.is_empty()).then(|| Self::Prefix(p.to_owned()))
        } else {
            Some(Self::Exact(s.to_owned()))
        }
    }
}

/// What the consultation page filters on (all optional, combined with AND).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub user_id: Option<i64>,
    pub dossier_id: Option<i64>,
    /// A child (a person): every entry on a dossier where the person is (or was linked as)
    /// a child, and the entries on the person itself.
    pub person_id: Option<i64>,
    pub action: Option<ActionFilter>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant (exclusive).
    pub to: Option<DateTime<Utc>>,
}

/// One entry as the consultation page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub user_login: Option<String>,
    pub user_name: Option<String>,
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<i64>,
    /// The dossier's number, when the object is a dossier that still exists.
    pub dossier_number: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

/// One page of the consultation, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    /// The cursor of the next (older) page: entries before this sequence number.
    pub next: Option<i64>,
}

/// A child found by name for the consultation's child filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildCandidate {
    pub person_id: i64,
    pub person: Person,
    /// The numbers of the person's dossiers within the caller's scope, newest first.
    pub dossiers: Vec<DossierNumber>,
}

impl Store {
    /// Records one event in its own transaction.
    pub async fn audit(&self, now: DateTime<Utc>, actor: &Actor, ev: Event<'_>) -> Result<i64> {
        let txn = self.write().await?;
        let seq = self.append(&txn, now, actor, ev).await?;
        txn.commit().await?;
        self.anchor_after_commit(now, "periodique", Some(seq)).await;
        Ok(seq)
    }

    /// Appends one entry in the caller's write transaction, signed under the key the
    /// chain head names (see [`append`]).
    pub(crate) async fn append(
        &self,
        txn: &DatabaseTransaction,
        now: DateTime<Utc>,
        actor: &Actor,
        ev: Event<'_>,
    ) -> Result<i64> {
        append(txn, &self.keys, now, actor, ev).await
    }

    /// Appends several entries in one transaction (aggregated refusals): one write, however
    /// many entries.
    pub async fn audit_batch(
        &self,
        now: DateTime<Utc>,
        entries: Vec<(Actor, Event<'_>)>,
    ) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let txn = self.write().await?;
        let mut last = None;
        for (actor, ev) in entries {
            last = Some(self.append(&txn, now, &actor, ev).await?);
        }
        txn.commit().await?;
        self.anchor_after_commit(now, "periodique", last).await;
        Ok(())
    }

    /// Walks the chain in order and reports the first broken link (see [`Self::verify_audit_anchored`]).
    pub async fn verify_audit(&self) -> Result<Verification> {
        self.verify_audit_anchored(&[]).await
    }

    /// [`Self::verify_audit_anchored`] with at most one anchor, reported in
    /// [`Verification::anchor`].
    pub async fn verify_audit_with(&self, anchor: Option<&Anchor>) -> Result<Verification> {
        let given: Vec<Anchor> = anchor.into_iter().cloned().collect();
        let mut v = self.verify_audit_anchored(&given).await?;
        v.anchor = v.anchors.first().map(|(_, c)| c.clone());
        Ok(v)
    }

    /// Walks the chain in order, in pages, from the latest checkpoint (or the first entry),
    /// and reports the first broken link: a missing entry, a link, a content or a keyed
    /// signature that does not match, a head that is not the last entry, a key segment
    /// or a checkpoint that is not what the key signed, a checkpoint whose purge is not
    /// in the chain, or an anchor recorded outside the database that does not match — an
    /// anchor beyond the head (a truncated tail) or inside a range no signed checkpoint
    /// accounts for is a broken link too. Without the key ring, keyed links are followed
    /// but not checked ([`Verification::unverified`]).
    pub async fn verify_audit_anchored(&self, anchors: &[Anchor]) -> Result<Verification> {
        let head = head_of(&self.db, "").await?;
        let (head_seq, head_hash) = (head.seq, head.hash.clone());
        let checkpoint = latest_checkpoint(&self.db).await?;
        let ring = self.keys.ring();
        let mut out = Verification {
            entries: 0,
            head_seq,
            head_hash: head_hash.clone(),
            broken: None,
            checkpoint: checkpoint.clone(),
            anchor: None,
            anchors: Vec::new(),
            segments: Vec::new(),
            with_key: ring.is_some(),
            unverified: 0,
        };
        let plan = keyed::plan(&self.db, ring.as_deref(), &head, checkpoint.as_ref()).await?;
        out.segments = plan.segments.clone();
        if let Some(b) = plan.broken {
            out.broken = Some(b);
            return Ok(out);
        }
        let mut walk = match &checkpoint {
            Some(cp) => {
                let mut w = Walk::new(cp.first_seq, cp.prev_hash.clone());
                w.purge_entry = Some(purge_detail(cp.entries_purged, cp.first_seq, cp.id));
                w
            }
            None => Walk::new(1, GENESIS.to_owned()),
        }
        .with_signers(plan.signers);
        let start = walk.next_seq;
        let mut sorted: Vec<Anchor> = anchors.to_vec();
        sorted.sort_by_key(|a| a.seq);
        sorted.dedup();
        for a in &sorted {
            if a.seq > head_seq {
                out.broken = Some((
                    a.seq,
                    format!(
                        "l'entrée {}, enregistrée hors de la base, n'existe plus : le journal s'arrête à l'entrée {head_seq} (journal tronqué ou restauré d'une sauvegarde antérieure)",
                        a.seq
                    ),
                ));
                return Ok(out);
            }
            if a.seq == start - 1 {
                // The checkpoint's link (or the genesis): checked before walking.
                if a.hash != walk.prev {
                    out.broken = Some((a.seq, anchor_mismatch(a, &walk.prev)));
                    return Ok(out);
                }
                out.anchors.push((a.clone(), AnchorCheck::Matches));
            } else if a.seq < start - 1 {
                if !plan.checkpoint_signed {
                    out.broken = Some((
                        a.seq,
                        format!(
                            "l'entrée {}, enregistrée hors de la base, a été supprimée par une purge que rien ne prouve (point de contrôle non signé par la clé d'instance, ou vérification sans la clé)",
                            a.seq
                        ),
                    ));
                    return Ok(out);
                }
                out.anchors.push((a.clone(), AnchorCheck::Purged));
            } else if let Some(other) = walk.anchors.get(&a.seq)
                && *other != a.hash
            {
                out.broken = Some((a.seq, anchor_mismatch(a, other)));
                return Ok(out);
            } else {
                walk.anchors.insert(a.seq, a.hash.clone());
            }
        }
        // Rows below where the walk starts would never be read: none may exist.
        if let Some(r) = one(
            &self.db,
            "SELECT MIN(seq) AS s FROM audit_entry WHERE seq < $1",
            vals![start],
        )
        .await?
            && let Some(seq) = get::<Option<i64>>(&r, "s")?
        {
            out.broken = Some((
                seq,
                format!(
                    "l'entrée {seq} se trouve avant le début de la chaîne (entrée {start}) : entrée insérée hors de la chaîne"
                ),
            ));
            return Ok(out);
        }
        let mut walk = walk.run_pipelined(&self.db).await?;
        out.entries = walk.checked;
        out.unverified = walk.unverified;
        let mut broken = walk.broken.take();
        if broken.is_none() && (walk.next_seq - 1 != head_seq || walk.prev != head_hash) {
            broken = Some((
                walk.next_seq,
                "la tête de chaîne ne correspond pas à la dernière entrée".into(),
            ));
        }
        // Every key segment the walk covers must have been reached (two segments cannot
        // share their first entry: the later key would never be checked).
        if broken.is_none()
            && let Some(last) = walk.signers.last()
            && last.from_seq >= start
            && walk.signer != Some(walk.signers.len() - 1)
        {
            broken = Some((
                last.from_seq,
                format!(
                    "le segment de la clé n° {} n'a pas été atteint : segments de clé falsifiés",
                    last.id
                ),
            ));
        }
        if broken.is_none()
            && let Some(cp) = &checkpoint
            && !walk.purge_met
        {
            broken = Some((
                cp.first_seq,
                format!(
                    "le point de contrôle n° {} n'a pas son entrée « audit.purge » dans la chaîne : purge non tracée",
                    cp.id
                ),
            ));
        }
        if broken.is_none() {
            for seq in &walk.anchors_met {
                if let Some(h) = walk.anchors.get(seq) {
                    out.anchors.push((
                        Anchor {
                            seq: *seq,
                            hash: h.clone(),
                        },
                        AnchorCheck::Matches,
                    ));
                }
            }
            out.anchors.sort_by_key(|(a, _)| a.seq);
        } else {
            out.anchors.clear();
        }
        out.broken = broken;
        Ok(out)
    }

    /// The current head: last sequence number and its hash (to record outside the database).
    pub async fn audit_head(&self) -> Result<Anchor> {
        let h = head_of(&self.db, "").await?;
        Ok(Anchor {
            seq: h.seq,
            hash: h.hash,
        })
    }

    /// Every checkpoint, oldest first.
    pub async fn audit_checkpoints(&self) -> Result<Vec<Checkpoint>> {
        all(
            &self.db,
            "SELECT id, at, purged_before, first_seq, prev_hash, entries_purged, key_id, mac FROM audit_checkpoint ORDER BY id",
            vec![],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(Checkpoint {
                id: get(r, "id")?,
                at: get(r, "at")?,
                purged_before: get(r, "purged_before")?,
                first_seq: get(r, "first_seq")?,
                prev_hash: get(r, "prev_hash")?,
                entries_purged: get(r, "entries_purged")?,
                key_id: get(r, "key_id")?,
                mac: get(r, "mac")?,
            })
        })
        .collect()
    }

    /// The retention of the audit trail, in months (12 unless set).
    pub async fn audit_retention_months(&self) -> Result<u32> {
        let r = one(
            &self.db,
            "SELECT value FROM setting WHERE key = $1",
            vals![RETENTION_SETTING],
        )
        .await?;
        Ok(match r {
            Some(r) => get::<String>(&r, "value")?
                .trim()
                .parse()
                .ok()
                .filter(|m| RETENTION_RANGE.contains(m))
                .unwrap_or(RETENTION_DEFAULT_MONTHS),
            None => RETENTION_DEFAULT_MONTHS,
        })
    }

    /// Sets the retention of the audit trail (6 to 36 months), audited.
    pub async fn set_audit_retention_months(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        months: u32,
    ) -> Result<()> {
        if !RETENTION_RANGE.contains(&months) {
            return Err(DomainError::field(
                RETENTION_SETTING,
                "Durée de conservation du journal d'audit",
                "entre 6 et 36 mois (CNIL : 6 mois à 1 an par défaut, 3 ans au plus).",
            )
            .into());
        }
        let txn = self.write().await?;
        exec(
            &txn,
            "DELETE FROM setting WHERE key = $1",
            vals![RETENTION_SETTING],
        )
        .await?;
        exec(
            &txn,
            "INSERT INTO setting (key, value) VALUES ($1, $2)",
            vals![RETENTION_SETTING, months.to_string()],
        )
        .await?;
        self.append(
            &txn,
            now,
            actor,
            Event::new("parametre.modification").detail(format!("{RETENTION_SETTING}={months}")),
        )
        .await?;
        txn.commit().await.map_err(Into::into)
    }

    /// The latest instant a purge may cut at: `now` minus the retention.
    pub async fn audit_purge_limit(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
        let months = self.audit_retention_months().await?;
        now.checked_sub_months(Months::new(months))
            .ok_or_else(|| StoreError::Config("date de purge hors limites".into()))
    }

    /// Deletes the entries recorded before `before` (which must be older than the
    /// retention), in one write transaction: checks the part deleted and its link to the
    /// first entry kept (refused, nothing deleted, when it is broken), records a
    /// checkpoint, deletes, and appends an `audit.purge` entry. `None`: nothing to purge.
    pub async fn purge_audit(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        before: DateTime<Utc>,
    ) -> Result<Option<Checkpoint>> {
        let limit = self.audit_purge_limit(now).await?;
        if before > limit {
            let months = self.audit_retention_months().await?;
            return Err(StoreError::Config(format!(
                "la durée de conservation du journal d'audit est de {months} mois : seules les entrées antérieures au {} peuvent être purgées",
                limit.with_timezone(&self.tz).format("%d/%m/%Y %H:%M")
            )));
        }
        let txn = self.write().await?;
        let head = lock_head(&txn).await?;
        let (head_seq, head_hash) = (head.seq, head.hash.clone());
        let latest = latest_checkpoint(&txn).await?;
        let ring = self.keys.ring();
        if head.key_id.is_some() && ring.is_none() {
            txn.rollback().await?;
            return Err(StoreError::Config(
                "purge refusée : la chaîne d'audit est signée et la clé d'instance est absente (indiquez VIGIE_INSTANCE_KEY_FILE) ; rien n'a été supprimé".into(),
            ));
        }
        let plan = keyed::plan(&txn, ring.as_deref(), &head, latest.as_ref()).await?;
        if let Some((seq, why)) = plan.broken {
            txn.rollback().await?;
            return Err(StoreError::Config(format!(
                "purge refusée : la chaîne d'audit est rompue à l'entrée {seq} ({why}) ; rien n'a été supprimé. Lancez « vigie audit verify »."
            )));
        }
        let (start, start_prev) = match latest {
            Some(cp) => (cp.first_seq, cp.prev_hash),
            None => (1, GENESIS.to_owned()),
        };
        // The first entry kept: the first one recorded at or after `before` (entries are
        // appended in time order); none: every entry goes, and the purge's own entry
        // becomes the first one kept.
        let first_kept = one(
            &txn,
            "SELECT seq FROM audit_entry WHERE seq >= $1 AND at >= $2 ORDER BY seq LIMIT 1",
            vals![start, before],
        )
        .await?
        .map(|r| get::<i64>(&r, "seq"))
        .transpose()?;
        let first_seq = first_kept.unwrap_or(head_seq + 1);
        if first_seq <= start {
            txn.rollback().await?;
            return Ok(None);
        }
        // The part purged, and the first entry kept (its link and content), must be intact.
        let mut walk = Walk::new(start, start_prev).with_signers(plan.signers);
        let through = if first_kept.is_some() {
            first_seq + 1
        } else {
            first_seq
        };
        walk.run(&txn, Some(through)).await?;
        let refuse = |seq: i64, why: &str| {
            StoreError::Config(format!(
                "purge refusée : la chaîne d'audit est rompue à l'entrée {seq} ({why}) ; rien n'a été supprimé. Lancez « vigie audit verify »."
            ))
        };
        if let Some((seq, why)) = &walk.broken {
            txn.rollback().await?;
            return Err(refuse(*seq, why));
        }
        if walk.next_seq != through {
            txn.rollback().await?;
            return Err(refuse(
                walk.next_seq,
                &format!("entrée {} manquante", walk.next_seq),
            ));
        }
        let prev_hash = match first_kept {
            // The hash of the last entry purged, which the first entry kept links to.
            Some(_) => entries_from(&txn, first_seq, Some(first_seq + 1), 1)
                .await?
                .pop()
                .map(|e| e.prev_hash)
                .ok_or_else(|| refuse(first_seq, &format!("entrée {first_seq} manquante")))?,
            None => {
                if walk.prev != head_hash {
                    txn.rollback().await?;
                    return Err(refuse(
                        head_seq,
                        "la tête de chaîne ne correspond pas à la dernière entrée",
                    ));
                }
                head_hash
            }
        };
        let purged = first_seq - start;
        let at = now.trunc_subsecs(6);
        let signature = match head.key_id {
            Some(id) => {
                let key = self.keys.key(id).map_err(StoreError::Config)?;
                Some(keyed::checkpoint_mac(
                    &key.chain_mac(),
                    at,
                    before,
                    first_seq,
                    &prev_hash,
                    purged,
                ))
            }
            None => None,
        };
        let row = one(
            &txn,
            "INSERT INTO audit_checkpoint (at, purged_before, first_seq, prev_hash, entries_purged, key_id, mac)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vals![at, before, first_seq, prev_hash.clone(), purged, head.key_id, signature.clone()],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        let id: i64 = get(&row, "id")?;
        let deleted = exec(
            &txn,
            "DELETE FROM audit_entry WHERE seq < $1",
            vals![first_seq],
        )
        .await?;
        if deleted as i64 != purged {
            // Entries below the previous checkpoint: the trigger would have refused them.
            txn.rollback().await?;
            return Err(StoreError::Config(format!(
                "purge refusée : {deleted} entrées supprimées au lieu de {purged} ; rien n'a été supprimé"
            )));
        }
        let purge_seq = self
            .append(
                &txn,
                now,
                actor,
                Event::new("audit.purge").detail(purge_detail(purged, first_seq, id)),
            )
            .await?;
        txn.commit().await?;
        self.anchor_after_commit(now, "purge", Some(purge_seq))
            .await;
        Ok(Some(Checkpoint {
            id,
            at,
            purged_before: before,
            first_seq,
            prev_hash,
            entries_purged: purged,
            key_id: head.key_id,
            mac: signature,
        }))
    }

    /// Entries after `after_seq`, in order.
    pub async fn audit_page(&self, after_seq: i64, limit: i64) -> Result<Vec<Entry>> {
        entries_from(&self.db, after_seq + 1, None, limit).await
    }

    /// The last entries (newest first), for tests and the CLI.
    pub async fn audit_tail(&self, n: i64) -> Result<Vec<Entry>> {
        let last = head_of(&self.db, "").await?.seq;
        let mut v = self.audit_page((last - n).max(0), n).await?;
        v.reverse();
        Ok(v)
    }

    /// The dossiers a person is or was a child of: its dossiers now, and those where it was
    /// linked or unlinked (the `personne.liaison` / `personne.deliaison` entries name it).
    async fn dossiers_of_person(&self, person_id: i64) -> Result<Vec<i64>> {
        let mut ids: Vec<i64> = all(
            &self.db,
            "SELECT dossier_id FROM dossier_child WHERE person_id = $1",
            vals![person_id],
        )
        .await?
        .iter()
        .map(|r| get::<i64>(r, "dossier_id"))
        .collect::<Result<_>>()?;
        let linked = all(
            &self.db,
            "SELECT DISTINCT object_id FROM audit_entry
             WHERE action IN ('personne.liaison', 'personne.deliaison') AND object_type = 'dossier'
               AND detail LIKE $1",
            vals![format!("%;personne={person_id}")],
        )
        .await?;
        for r in &linked {
            if let Some(id) = get::<Option<i64>>(r, "object_id")? {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// One page of the trail, newest first, filtered in SQL; `before`: the cursor
    /// ([`AuditPage::next`] of the previous page). Reserved to the audit readers: the
    /// route checks the permission, and the caller records the consultation.
    pub async fn audit_search(
        &self,
        f: &AuditFilter,
        before: Option<i64>,
        limit: u32,
    ) -> Result<AuditPage> {
        let person_dossiers = match f.person_id {
            Some(p) => Some(self.dossiers_of_person(p).await?),
            None => None,
        };
        let mut q = Sql::new(
            "SELECT a.seq, a.at, a.user_id, u.login AS user_login, u.display_name AS user_name,
                    a.action, a.object_type, a.object_id, d.number AS dossier_number, a.detail, a.ip
             FROM audit_entry a
             LEFT JOIN app_user u ON u.id = a.user_id
             LEFT JOIN dossier d ON a.object_type = 'dossier' AND d.id = a.object_id
             WHERE 1 = 1",
        );
        if let Some(u) = f.user_id {
            q.push(" AND a.user_id = ").bind(u);
        }
        if let Some(d) = f.dossier_id {
            q.push(" AND ((a.object_type = 'dossier' AND a.object_id = ")
                .bind(d)
                .push(")");
            listed_in(&mut q, &[d]);
            q.push(")");
        }
        if let (Some(p), Some(ds)) = (f.person_id, &person_dossiers) {
            q.push(" AND ((a.object_type IN ('personne', 'person') AND a.object_id = ")
                .bind(p)
                .push(")");
            if !ds.is_empty() {
                q.push(" OR (a.object_type = 'dossier' AND a.object_id IN ")
                    .bind_list(ds)
                    .push(")");
                listed_in(&mut q, ds);
            }
            q.push(")");
        }
        match &f.action {
            Some(ActionFilter::Exact(a)) => {
                q.push(" AND a.action = ").bind(a.clone());
            }
            Some(ActionFilter::Prefix(p)) => {
                // The length is a number computed here, not input: written into the text
                // (PostgreSQL's substr wants an integer, sqlx binds a bigint).
                q.push(&format!(
                    " AND substr(a.action, 1, {}) = ",
                    p.chars().count()
                ))
                .bind(p.clone());
            }
            None => {}
        }
        if let Some(t) = f.from {
            q.push(" AND a.at >= ").bind(t);
        }
        if let Some(t) = f.to {
            q.push(" AND a.at < ").bind(t);
        }
        if let Some(b) = before {
            q.push(" AND a.seq < ").bind(b);
        }
        q.push(" ORDER BY a.seq DESC LIMIT ")
            .bind(i64::from(limit) + 1);
        let rows = all_sql(&self.db, &q).await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(AuditRow {
                    seq: get(r, "seq")?,
                    at: get(r, "at")?,
                    user_id: get(r, "user_id")?,
                    user_login: get(r, "user_login")?,
                    user_name: get(r, "user_name")?,
                    action: get(r, "action")?,
                    object_type: get(r, "object_type")?,
                    object_id: get(r, "object_id")?,
                    dossier_number: get(r, "dossier_number")?,
                    detail: get(r, "detail")?,
                    ip: get(r, "ip")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let next = if out.len() > limit as usize {
            out.truncate(limit as usize);
            out.last().map(|r| r.seq)
        } else {
            None
        };
        Ok(AuditPage { rows: out, next })
    }

    /// Loads persons with their dossiers within the scope (persons without one are dropped).
    async fn child_candidates(&self, scope: &Scope, ids: &[i64]) -> Result<Vec<ChildCandidate>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut q = Sql::new(
            "SELECT dc.person_id, d.number FROM dossier_child dc JOIN dossier d ON d.id = dc.dossier_id WHERE ",
        );
        scope_filter(&mut q, scope, "d");
        q.push(" AND dc.person_id IN ")
            .bind_list(ids)
            .push(" ORDER BY d.received_at DESC, d.id DESC");
        let mut dossiers: std::collections::HashMap<i64, Vec<DossierNumber>> =
            std::collections::HashMap::new();
        for r in &all_sql(&self.db, &q).await? {
            let number: String = get(r, "number")?;
            if let Ok(n) = number.parse::<DossierNumber>() {
                dossiers.entry(get(r, "person_id")?).or_default().push(n);
            }
        }
        let mut q = Sql::new(
            "SELECT id, birth_name, usage_name, first_names, sex, birth_precision, birth_date FROM person WHERE id IN ",
        );
        q.bind_list(ids);
        let mut persons: std::collections::HashMap<i64, Person> = std::collections::HashMap::new();
        for r in &all_sql(&self.db, &q).await? {
            persons.insert(get(r, "id")?, person_from(r)?);
        }
        Ok(ids
            .iter()
            .filter_map(|id| {
                let ds = dossiers.remove(id)?;
                Some(ChildCandidate {
                    person_id: *id,
                    person: persons.remove(id)?,
                    dossiers: ds,
                })
            })
            .collect())
    }

    /// Children found by name (as the dossier search finds them) for the consultation's
    /// child filter, best first, with their dossiers within the scope; the search is
    /// recorded (the number of results, never the text).
    pub async fn audit_find_children(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        text: &str,
    ) -> Result<Vec<ChildCandidate>> {
        crate::text_in(
            "q",
            "Nom de l'enfant",
            vigie_domain::text::TextKind::Short,
            text,
        )?;
        let hits = find_by_name(&self.db, text, None, 20).await?;
        let ids: Vec<i64> = hits.iter().map(|h| h.person_id).collect();
        let found = self.child_candidates(scope, &ids).await?;
        self.audit(
            now,
            actor,
            Event::new("audit.recherche_enfant").detail(format!("resultats={}", found.len())),
        )
        .await?;
        Ok(found)
    }

    /// The id of the dossier with this number, for the consultation's dossier filter
    /// (`None`: no such dossier, or deleted since).
    pub async fn audit_dossier_id(&self, number: DossierNumber) -> Result<Option<i64>> {
        one(
            &self.db,
            "SELECT id FROM dossier WHERE number = $1",
            vals![number.to_string()],
        )
        .await?
        .map(|r| get::<i64>(&r, "id"))
        .transpose()
    }

    /// One child (person) with its dossiers within the scope, to name the child filter.
    pub async fn audit_child(&self, scope: &Scope, person_id: i64) -> Result<ChildCandidate> {
        self.child_candidates(scope, &[person_id])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }
}

/// Fills the trail with `n` synthetic entries, chained as [`append`] chains them, with
/// multi-row inserts (benchmarks and tests only): actions, users, dossiers, details and
/// addresses vary; entry `i` is recorded at `first_at + i × step`.
#[cfg(feature = "testing")]
pub async fn bulk_append_synthetic(
    store: &Store,
    n: u64,
    first_at: DateTime<Utc>,
    step: chrono::Duration,
    mut progress: impl FnMut(u64),
) -> Result<()> {
    const ACTIONS: [&str; 6] = [
        "dossier.consultation",
        "dossier.modification",
        "dossier.recherche",
        "connexion",
        "dossier.historique",
        "deconnexion",
    ];
    const ROWS_PER_INSERT: u64 = 2_000;
    const ROWS_PER_TXN: u64 = 100_000;
    let mut done = 0u64;
    while done < n {
        let txn = store.write().await?;
        let head = lock_head(&txn).await?;
        let mac = match head.key_id {
            Some(id) => Some(store.keys.key(id).map_err(StoreError::Config)?.chain_mac()),
            None => None,
        };
        let (mut seq, mut prev) = (head.seq, head.hash);
        let in_txn = (n - done).min(ROWS_PER_TXN);
        let mut written = 0u64;
        while written < in_txn {
            let rows = (in_txn - written).min(ROWS_PER_INSERT);
            let mut q = Sql::new(
                "INSERT INTO audit_entry (seq, at, user_id, action, object_type, object_id, detail, ip, prev_hash, hash) VALUES ",
            );
            let mut values = Vec::with_capacity(rows as usize);
            for _ in 0..rows {
                let i = done + written + values.len() as u64;
                seq += 1;
                let at = (first_at + step * i as i32).trunc_subsecs(6);
                let action = ACTIONS[(i % ACTIONS.len() as u64) as usize];
                let user_id = (!i.is_multiple_of(7)).then_some(1 + (i % 40) as i64);
                let on_dossier = action.starts_with("dossier.") && action != "dossier.recherche";
                let object_type = on_dossier.then_some("dossier");
                let object_id = on_dossier.then_some(1 + (i % 100_000) as i64);
                let detail = match action {
                    "dossier.modification" => Some(format!("revisions={};champs=expose", i)),
                    "dossier.recherche" => Some(format!("resultats={}", i % 50)),
                    _ => None,
                };
                let ip = Some(format!("10.0.{}.{}", (i / 250) % 250, i % 250));
                let fields = Fields {
                    prev: &prev,
                    seq,
                    at,
                    user_id,
                    action,
                    object_type,
                    object_id,
                    detail: detail.as_deref(),
                    ip: ip.as_deref(),
                };
                let hash = match &mac {
                    Some(m) => mac_fields(m, &fields),
                    None => hash_fields(&fields),
                };
                values.push(vals![
                    seq,
                    at,
                    user_id,
                    action,
                    object_type,
                    object_id,
                    detail,
                    ip,
                    std::mem::replace(&mut prev, hash.clone()),
                    hash
                ]);
            }
            written += values.len() as u64;
            q.rows(values);
            txn.execute_raw(q.stmt(txn.get_database_backend())).await?;
        }
        exec(
            &txn,
            "UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1",
            vals![seq, prev],
        )
        .await?;
        txn.commit().await?;
        done += in_txn;
        progress(done);
    }
    Ok(())
}

/// ` OR (…)`: the entries of lists that showed one of these dossiers (list page, API list,
/// échéances, search): their detail ends with `ids=1,2,3` (see `Store::record_listing`).
fn listed_in(q: &mut Sql, dossiers: &[i64]) {
    q.push(" OR (a.action IN ('dossier.liste', 'dossier.echeances', 'dossier.recherche') AND (");
    for (i, d) in dossiers.iter().enumerate() {
        if i > 0 {
            q.push(" OR ");
        }
        q.push("(a.detail || ',') LIKE ")
            .bind(format!("%ids={d},%"))
            .push(" OR (a.detail || ',') LIKE ")
            .bind(format!("%,{d},%"));
    }
    q.push("))");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instant_is_hashed_as_chrono_formats_it() {
        for s in [
            "2026-11-24T10:00:00Z",
            "2026-01-02T03:04:05.123456Z",
            "0999-12-31T23:59:59.000001Z",
            "2024-02-29T00:00:00.5Z",
        ] {
            let at: DateTime<Utc> = s.parse().unwrap_or_default();
            let mut buf = [0u8; 27];
            assert_eq!(
                canonical_instant(at, &mut buf).map(str::to_owned),
                Some(at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
                "{s}"
            );
        }
    }

    /// The hash format is fixed: a stored trail must verify forever.
    #[test]
    fn the_hash_of_an_entry_does_not_change() {
        let at: DateTime<Utc> = "2026-11-24T10:00:00.123456Z".parse().unwrap_or_default();
        let h = canonical_hash(
            GENESIS,
            1,
            at,
            &Actor::user(42, Some("127.0.0.1".into())),
            &Event::new("dossier.consultation")
                .on("dossier", -7)
                .detail("x"),
            None,
        );
        // The reference computation, written out with allocations as it first was.
        let mut r = Sha256::new();
        let field = |h: &mut Sha256, s: Option<&str>| match s {
            Some(s) => {
                h.update((s.len() as u64).to_be_bytes());
                h.update(s.as_bytes());
            }
            None => h.update(u64::MAX.to_be_bytes()),
        };
        r.update(GENESIS.as_bytes());
        r.update(1i64.to_be_bytes());
        field(&mut r, Some("2026-11-24T10:00:00.123456Z"));
        field(&mut r, Some("42"));
        field(&mut r, Some("dossier.consultation"));
        field(&mut r, Some("dossier"));
        field(&mut r, Some("-7"));
        field(&mut r, Some("x"));
        field(&mut r, Some("127.0.0.1"));
        assert_eq!(h, hex::encode(r.finalize()));
        let none = canonical_hash(
            GENESIS,
            2,
            at,
            &Actor::system(),
            &Event::new("connexion"),
            None,
        );
        let mut r = Sha256::new();
        r.update(GENESIS.as_bytes());
        r.update(2i64.to_be_bytes());
        field(&mut r, Some("2026-11-24T10:00:00.123456Z"));
        field(&mut r, None);
        field(&mut r, Some("connexion"));
        field(&mut r, None);
        field(&mut r, None);
        field(&mut r, None);
        field(&mut r, None);
        assert_eq!(none, hex::encode(r.finalize()));
    }

    #[test]
    fn an_anchor_reads_as_printed() {
        let a: Anchor = format!("12:{}", "AB".repeat(32)).parse().unwrap_or(Anchor {
            seq: 0,
            hash: String::new(),
        });
        assert_eq!(a.seq, 12);
        assert_eq!(a.hash, "ab".repeat(32));
        assert_eq!(a.to_string().parse::<Anchor>(), Ok(a));
        for bad in ["12", "x:ab", "12:abc", &format!("-1:{}", "0".repeat(64))] {
            assert!(bad.parse::<Anchor>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_action_filter_is_one_action_or_a_family() {
        assert_eq!(
            ActionFilter::parse("dossier.*"),
            Some(ActionFilter::Prefix("dossier.".into()))
        );
        assert_eq!(
            ActionFilter::parse(" connexion "),
            Some(ActionFilter::Exact("connexion".into()))
        );
        assert_eq!(ActionFilter::parse(""), None);
        assert_eq!(ActionFilter::parse("*"), None);
    }
}
