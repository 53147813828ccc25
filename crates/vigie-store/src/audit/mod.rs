//! The audit trail: append-only, hash-chained. Each entry holds the previous entry's
//! hash and its own, `SHA-256(prev_hash ‖ canonical fields)`. The chain head lives in
//! one row (`audit_head`), locked by every writer (a row lock on PostgreSQL; the
//! `IMMEDIATE` transaction on SQLite: see [`crate::backend`]), so concurrent writers never fork the chain.
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

use chrono::{DateTime, Months, SubsecRound, Utc};
use hmac::Mac;
use sea_orm::{ConnectionTrait, DatabaseTransaction, QueryResult};
use sha2::{Digest, Sha256};
use vigie_domain::{DomainError, DossierNumber, Person, Scope};

use crate::db::Store;
use crate::keys::{HmacSha256, Keys};
use crate::persons::person_from;
use crate::sql::{Sql, all, all_sql, exec, get, one, scope_filter};
use crate::{Result, StoreError, vals};

pub mod anchors;
mod consult;
mod keyed;
mod retention;
#[cfg(feature = "testing")]
mod synthetic;
mod verify;
pub use crate::anchor_log::Anchor;
pub use consult::{ActionFilter, AuditFilter, AuditPage, AuditRow, ChildCandidate};
pub(crate) use keyed::segments as key_segments;
pub use keyed::{KeySegment, KeyStatus};
pub use retention::{RETENTION_DEFAULT_MONTHS, RETENTION_RANGE, RETENTION_SETTING};
#[cfg(feature = "testing")]
pub use synthetic::bulk_append_synthetic;
use verify::{Signer, Walk};

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

/// An entry of the chain (`$1` its sequence number, `$10` its hash).
const INSERT_ENTRY: &str = "INSERT INTO audit_entry (seq, at, user_id, action, object_type, object_id, detail, ip, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

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
    let values = vals![
        seq,
        at,
        actor.user_id,
        ev.action,
        ev.object_type,
        ev.object_id,
        ev.detail.clone(),
        actor.ip.clone(),
        prev_hash,
        hash.clone()
    ];
    if crate::backend::is_postgres(txn) {
        // One statement, one round trip: the entry and the head that points to it.
        let head = "UPDATE audit_head SET last_seq = $1, last_hash = $10 WHERE id = 1";
        exec(
            txn,
            &format!("WITH entry AS ({INSERT_ENTRY}) {head}"),
            values,
        )
        .await?;
    } else {
        exec(txn, INSERT_ENTRY, values).await?;
        let head = "UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1";
        exec(txn, head, vals![seq, hash]).await?;
    }
    Ok(seq)
}

/// The chain head: the last entry, and the key that signs the next one (none: not keyed yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    pub seq: i64,
    pub hash: String,
    pub key_id: Option<i64>,
}

/// The chain head, locked for the rest of the transaction (a PostgreSQL row lock; on
/// SQLite the `IMMEDIATE` transaction already holds the write lock).
pub(crate) async fn lock_head(txn: &DatabaseTransaction) -> Result<Head> {
    head_of(txn, crate::backend::for_update(txn)).await
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
