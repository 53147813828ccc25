//! The keyed chain: from the sequence number recorded for each key (`audit_key`), every
//! link is an HMAC under that key; the first entry of each segment is an `audit.cle` entry
//! naming the key. Adopting the first key ([`Store::adopt_instance_key`]) keeps the unkeyed
//! chain written before (still verified by SHA-256) and seals the secrets stored in clear;
//! rotating ([`Store::rotate_instance_key`]) starts a new segment and seals them again.

use chrono::{DateTime, SubsecRound, Utc};
use hmac::Mac;
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use super::{Actor, Checkpoint, Event, Head, Signer, append, canonical_instant, lock_head};
use crate::db::Store;
use crate::keys::{HmacSha256, KeyRing, is_sealed};
use crate::sql::{all, exec, get};
use crate::{Result, StoreError, vals};

/// One key that signs the chain from `from_seq` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySegment {
    pub id: i64,
    pub fingerprint: String,
    pub from_seq: i64,
    pub created_at: DateTime<Utc>,
}

/// What opening the store with a key ring found, or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStatus {
    /// The database already used this ring's key `id`.
    Known { id: i64 },
    /// The chain is not keyed yet (a database written before the instance key).
    NotAdopted,
    /// The chain was not keyed: key `id` signs from entry `from_seq` on; the `from_seq - 1`
    /// entries before stay verifiable by SHA-256; `sealed` secrets were encrypted.
    Adopted { id: i64, from_seq: i64, sealed: u64 },
}

/// The ring must hold every key the database recorded, with the same fingerprint.
fn check_ring(ring: &KeyRing, segs: &[KeySegment]) -> Result<()> {
    for s in segs {
        match ring.get(s.id) {
            Some(k) if k.fingerprint() == s.fingerprint => {}
            Some(k) => {
                return Err(StoreError::Config(format!(
                    "la clé d'instance fournie ne correspond pas à cette base : clé n° {} d'empreinte {} dans le fichier, {} dans la base",
                    s.id,
                    k.fingerprint(),
                    s.fingerprint
                )));
            }
            None => {
                return Err(StoreError::Config(format!(
                    "la clé d'instance n° {} (empreinte {}) de cette base est absente du fichier de clés",
                    s.id, s.fingerprint
                )));
            }
        }
    }
    Ok(())
}

/// Why a database without key segments was keyed before (`None`: a genuine upgrade).
async fn keyed_before(txn: &DatabaseTransaction, ring: &KeyRing) -> Result<Option<String>> {
    if ring.keys().len() > 1 || ring.newest().id != 1 {
        return Ok(Some(format!(
            "le fichier de clés a déjà servi (clé n° {}) alors que la base n'enregistre aucune clé",
            ring.newest().id
        )));
    }
    let opened = crate::sql::one(
        txn,
        "SELECT seq FROM audit_entry WHERE action = 'audit.cle' ORDER BY seq LIMIT 1",
        vec![],
    )
    .await?;
    if let Some(r) = opened {
        let seq: i64 = get(&r, "seq")?;
        return Ok(Some(format!(
            "la chaîne contient déjà une entrée « audit.cle » (entrée {seq})"
        )));
    }
    let signed = crate::sql::one(
        txn,
        "SELECT id FROM audit_checkpoint WHERE mac IS NOT NULL OR key_id IS NOT NULL LIMIT 1",
        vec![],
    )
    .await?;
    if let Some(r) = signed {
        let id: i64 = get(&r, "id")?;
        return Ok(Some(format!("le point de contrôle n° {id} est signé")));
    }
    Ok(None)
}

/// The detail of the entry that opens a key's segment.
pub(crate) fn opening_detail(id: i64, fingerprint: &str) -> String {
    format!("cle={id};empreinte={fingerprint}")
}

pub(crate) async fn segments(c: &impl ConnectionTrait) -> Result<Vec<KeySegment>> {
    all(
        c,
        "SELECT id, fingerprint, from_seq, created_at FROM audit_key ORDER BY from_seq",
        vec![],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(KeySegment {
            id: get(r, "id")?,
            fingerprint: get(r, "fingerprint")?,
            from_seq: get(r, "from_seq")?,
            created_at: get(r, "created_at")?,
        })
    })
    .collect()
}

/// How to walk the chain: the signers of its keyed segments, whether the latest
/// checkpoint is signed and checked, or what is already broken before walking.
pub(super) struct Plan {
    pub segments: Vec<KeySegment>,
    pub signers: Vec<Signer>,
    pub checkpoint_signed: bool,
    pub broken: Option<(i64, String)>,
}

/// Where the chain is broken and why: an entry's sequence number and a message.
type Broken = (i64, String);

/// Reads the key segments and checks them against the ring (when given), the head and the
/// latest checkpoint.
pub(super) async fn plan(
    c: &impl ConnectionTrait,
    ring: Option<&KeyRing>,
    head: &Head,
    checkpoint: Option<&Checkpoint>,
) -> Result<Plan> {
    let segs = segments(c).await?;
    let mut plan = Plan {
        segments: segs.clone(),
        signers: Vec::new(),
        checkpoint_signed: false,
        broken: None,
    };
    if segs.is_empty() {
        plan.broken = unkeyed_broken(ring, head, checkpoint);
        return Ok(plan);
    }
    for i in 0..segs.len() {
        match segment_signer(ring, &segs, i, head) {
            Ok(signer) => plan.signers.push(signer),
            Err(broken) => {
                plan.broken = Some(broken);
                return Ok(plan);
            }
        }
    }
    let newest = segs.last().map(|s| s.id);
    if head.key_id != newest {
        plan.broken = Some((
            head.seq,
            "la tête de chaîne ne nomme pas la dernière clé enregistrée".into(),
        ));
        return Ok(plan);
    }
    if let Some(cp) = checkpoint {
        match checkpoint_signed(ring, &segs, cp) {
            Ok(signed) => plan.checkpoint_signed = signed,
            Err(broken) => {
                plan.broken = Some(broken);
                return Ok(plan);
            }
        }
    }
    Ok(plan)
}

/// Without any key segment: what is broken, if anything (a head naming a key, a ring
/// given, a signed checkpoint; the last one found wins).
fn unkeyed_broken(
    ring: Option<&KeyRing>,
    head: &Head,
    checkpoint: Option<&Checkpoint>,
) -> Option<Broken> {
    let mut broken = None;
    if head.key_id.is_some() {
        broken = Some((
            head.seq,
            "la tête de chaîne nomme une clé qu'aucun segment n'enregistre : segments de clé supprimés".into(),
        ));
    } else if ring.is_some() {
        broken = Some((
            head.seq,
            "une clé d'instance est fournie mais aucune entrée n'est signée : la chaîne a pu être réécrite sans la clé (ou la clé n'a jamais été adoptée par cette base)".into(),
        ));
    }
    if let Some(cp) = checkpoint
        && cp.mac.is_some()
    {
        broken = Some((
            cp.first_seq,
            format!(
                "le point de contrôle n° {} est signé par une clé que la base n'enregistre pas",
                cp.id
            ),
        ));
    }
    broken
}

/// The signer of segment `segs[i]`, checked against the head, the previous segment and
/// the ring (when given).
fn segment_signer(
    ring: Option<&KeyRing>,
    segs: &[KeySegment],
    i: usize,
    head: &Head,
) -> std::result::Result<Signer, Broken> {
    let s = &segs[i];
    if s.from_seq > head.seq {
        return Err((
            s.from_seq,
            format!(
                "le journal s'arrête à l'entrée {} alors que la clé n° {} signe à partir de l'entrée {} : journal tronqué",
                head.seq, s.id, s.from_seq
            ),
        ));
    }
    let ordered = i == 0 || (segs[i - 1].id < s.id && segs[i - 1].from_seq < s.from_seq);
    if !ordered || s.from_seq < 1 {
        return Err((
            s.from_seq,
            format!(
                "le segment de la clé n° {} est incohérent (début à l'entrée {}) : segments de clé falsifiés",
                s.id, s.from_seq
            ),
        ));
    }
    let mac = match ring {
        Some(r) => match r.get(s.id) {
            Some(k) if k.fingerprint() == s.fingerprint => Some(k.chain_mac()),
            Some(k) => {
                return Err((
                    s.from_seq,
                    format!(
                        "la clé n° {} du fichier (empreinte {}) n'est pas celle qui a signé la chaîne (empreinte {})",
                        s.id,
                        k.fingerprint(),
                        s.fingerprint
                    ),
                ));
            }
            None => {
                return Err((
                    s.from_seq,
                    format!(
                        "la clé n° {} (empreinte {}), qui signe la chaîne à partir de l'entrée {}, est absente du fichier de clés",
                        s.id, s.fingerprint, s.from_seq
                    ),
                ));
            }
        },
        None => None,
    };
    Ok(Signer {
        from_seq: s.from_seq,
        id: s.id,
        mac,
        opening: opening_detail(s.id, &s.fingerprint),
    })
}

/// Whether the latest checkpoint is signed and checked (only with a ring); an unsigned
/// checkpoint after the first keyed entry, or a wrong signature, is a falsified one.
fn checkpoint_signed(
    ring: Option<&KeyRing>,
    segs: &[KeySegment],
    cp: &Checkpoint,
) -> std::result::Result<bool, Broken> {
    let first_keyed = segs.first().map_or(i64::MAX, |s| s.from_seq);
    match (&cp.mac, cp.key_id) {
        (Some(mac), Some(id)) => {
            let Some(r) = ring else {
                return Ok(false);
            };
            let ok = segs.iter().any(|s| s.id == id)
                && r.get(id).is_some_and(|k| {
                    checkpoint_mac(
                        &k.chain_mac(),
                        cp.at,
                        cp.purged_before,
                        cp.first_seq,
                        &cp.prev_hash,
                        cp.entries_purged,
                    ) == *mac
                });
            if ok {
                Ok(true)
            } else {
                Err((
                    cp.first_seq,
                    format!(
                        "le point de contrôle n° {} n'est pas signé par la clé d'instance : point de contrôle falsifié",
                        cp.id
                    ),
                ))
            }
        }
        _ if cp.first_seq > first_keyed => Err((
            cp.first_seq,
            format!(
                "le point de contrôle n° {} n'est pas signé alors que la chaîne l'est depuis l'entrée {first_keyed} : point de contrôle falsifié",
                cp.id
            ),
        )),
        _ => Ok(false),
    }
}

/// The signature of a checkpoint under a chain key.
pub(crate) fn checkpoint_mac(
    mac: &HmacSha256,
    at: DateTime<Utc>,
    purged_before: DateTime<Utc>,
    first_seq: i64,
    prev_hash: &str,
    entries_purged: i64,
) -> String {
    let mut m = mac.clone();
    m.update(b"audit_checkpoint\0");
    for t in [at, purged_before] {
        let t = t.trunc_subsecs(6);
        let mut buf = [0u8; 27];
        let s = canonical_instant(t, &mut buf)
            .map(str::to_owned)
            .unwrap_or_else(|| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
        m.update(s.as_bytes());
        m.update(b"\0");
    }
    m.update(&first_seq.to_be_bytes());
    m.update(prev_hash.as_bytes());
    m.update(&entries_purged.to_be_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// The secrets sealed under the instance key: table, column, and the column naming the
/// row the secret is bound to (its context is `table.column:ROW`).
const SEALED: &[(&str, &str, &str)] = &[
    ("instance", "secret_key", "id"),
    ("app_user", "totp_secret", "id"),
    ("web_session", "totp_pending", "user_id"),
];

/// The context a sealed secret is bound to: its table, column and row.
pub(crate) fn seal_context(prefix: &str, row: &str) -> String {
    format!("{prefix}:{row}")
}

/// Seals (again) every stored secret under `ring`'s newest key: those in clear, and
/// those sealed under an older key. Returns how many were written.
async fn reseal_all(txn: &DatabaseTransaction, ring: &KeyRing) -> Result<u64> {
    let newest = ring.newest();
    let current = format!("chiffre:v1:{}:", newest.id);
    let mut n = 0;
    for (table, column, row_col) in SEALED {
        let rows = all(
            txn,
            &format!(
                "SELECT CAST(id AS TEXT) AS k, CAST({row_col} AS TEXT) AS r, {column} AS v FROM {table} WHERE {column} IS NOT NULL"
            ),
            vec![],
        )
        .await?;
        for r in &rows {
            let id: String = get(r, "k")?;
            let row: String = get(r, "r")?;
            let value: String = get(r, "v")?;
            if value.starts_with(&current) {
                continue;
            }
            let ctx = seal_context(&format!("{table}.{column}"), &row);
            let clear = if is_sealed(&value) {
                match ring.open(&ctx, &value) {
                    Ok(c) => c,
                    // An enrolment in progress that cannot be opened is started again.
                    Err(_) if *table == "web_session" => {
                        exec(
                            txn,
                            &format!(
                                "UPDATE {table} SET {column} = NULL WHERE CAST(id AS TEXT) = $1"
                            ),
                            vals![id],
                        )
                        .await?;
                        continue;
                    }
                    Err(e) => return Err(StoreError::Config(e)),
                }
            } else {
                value
            };
            let sealed = ring.seal_with(newest, &ctx, &clear);
            exec(
                txn,
                &format!("UPDATE {table} SET {column} = $1 WHERE CAST(id AS TEXT) = $2"),
                vals![sealed, id],
            )
            .await?;
            n += 1;
        }
    }
    Ok(n)
}

impl Store {
    /// What the database says of `ring`, without writing: `Known` (its keys match the
    /// database's), `NotAdopted` (the chain is not keyed yet), or an error when the ring
    /// is not this database's (another key, a missing key).
    pub async fn key_status(&self, ring: &KeyRing) -> Result<KeyStatus> {
        let head = super::head_of(&self.db, "").await?;
        let segs = segments(&self.db).await?;
        check_ring(ring, &segs)?;
        match segs.last() {
            Some(last) => Ok(KeyStatus::Known { id: last.id }),
            None if head.key_id.is_some() => Err(StoreError::Config(
                "la tête de la chaîne d'audit nomme une clé qu'aucun segment n'enregistre : lancez « vigie audit verify »".into(),
            )),
            None => Ok(KeyStatus::NotAdopted),
        }
    }

    /// Gives the store its key ring (read from `file`, when it came from one). A keyed
    /// database must know the ring's keys (same fingerprints), else nothing is changed and
    /// the error says so. A database whose chain is not keyed yet **adopts** the ring's key
    /// in one transaction: segment recorded from the next entry, an `audit.cle` entry
    /// signed with it, every secret sealed. Adoption is refused when anything shows the
    /// chain was keyed before (a ring of several keys, an `audit.cle` entry, a signed
    /// checkpoint): a database that lost its key segments is a forgery, not an upgrade.
    /// The command line adopts only on the operator's explicit request (`vigie key
    /// adopter`) or for a demo database.
    pub async fn open_with_key_ring(
        &self,
        now: DateTime<Utc>,
        ring: KeyRing,
        file: Option<std::path::PathBuf>,
    ) -> Result<KeyStatus> {
        let txn = self.write().await?;
        let head = lock_head(&txn).await?;
        let segs = segments(&txn).await?;
        if let Err(e) = check_ring(&ring, &segs) {
            txn.rollback().await?;
            return Err(e);
        }
        if let Some(last) = segs.last() {
            txn.rollback().await?;
            self.keys.set(ring, file);
            self.keys.mark_verified(segs.iter().map(|s| s.id));
            return Ok(KeyStatus::Known { id: last.id });
        }
        if head.key_id.is_some() {
            txn.rollback().await?;
            return Err(StoreError::Config(
                "la tête de la chaîne d'audit nomme une clé qu'aucun segment n'enregistre : lancez « vigie audit verify »".into(),
            ));
        }
        if let Some(why) = keyed_before(&txn, &ring).await? {
            txn.rollback().await?;
            return Err(StoreError::Config(format!(
                "adoption de la clé refusée : {why} ; la base a pu être réécrite sans la clé (lancez « vigie audit verify » avec la clé, et comparez aux ancres)"
            )));
        }
        let key_id = ring.newest().id;
        let from_seq = head.seq + 1;
        let sealed = reseal_all(&txn, &ring).await?;
        let seq = self
            .start_segment(&txn, now, &Actor::system(), &ring, from_seq)
            .await?;
        txn.commit().await?;
        self.keys.set(ring, file);
        self.keys.mark_verified([key_id]);
        tracing::info!(
            cle = key_id,
            debut = seq,
            secrets = sealed,
            "clé d'instance adoptée : la chaîne d'audit est signée à partir de l'entrée {seq} ; les {} entrées antérieures restent vérifiables sans clé (SHA-256)",
            seq - 1
        );
        // Secrets rewritten sealed: the clear values must not linger in free pages.
        if let Err(e) = crate::backend::reclaim_free_pages(&self.db).await {
            tracing::warn!(erreur = %e, "VACUUM après l'adoption de la clé impossible");
        }
        self.anchor_after_commit(now, "cle", Some(seq)).await;
        Ok(KeyStatus::Adopted {
            id: key_id,
            from_seq: seq,
            sealed,
        })
    }

    /// Gives the store a ring for reading only (verification, `vigie check`): nothing is
    /// written, a database not keyed yet does not adopt it.
    pub fn use_key_ring(&self, ring: KeyRing, file: Option<std::path::PathBuf>) {
        self.keys.set(ring, file);
    }

    /// Records the ring's newest key as the signer from `from_seq` (the next entry) and
    /// appends the `audit.cle` entry that opens its segment, signed with it.
    pub(crate) async fn start_segment(
        &self,
        txn: &DatabaseTransaction,
        now: DateTime<Utc>,
        actor: &Actor,
        ring: &KeyRing,
        from_seq: i64,
    ) -> Result<i64> {
        let key = ring.newest();
        let fp = key.fingerprint();
        exec(
            txn,
            "INSERT INTO audit_key (id, fingerprint, from_seq, created_at) VALUES ($1, $2, $3, $4)",
            vals![key.id, fp.clone(), from_seq, now.trunc_subsecs(6)],
        )
        .await?;
        exec(
            txn,
            "UPDATE audit_head SET key_id = $1 WHERE id = 1",
            vals![key.id],
        )
        .await?;
        // Signed with the ring given (the store takes it once the transaction commits).
        let keys = crate::keys::Keys::default();
        keys.set(ring.clone(), None);
        keys.mark_verified([key.id]);
        let seq = append(
            txn,
            &keys,
            now,
            actor,
            Event::new("audit.cle").detail(opening_detail(key.id, &fp)),
        )
        .await?;
        debug_assert_eq!(seq, from_seq);
        Ok(seq)
    }

    /// Starts signing with `ring`'s newest key (which the database does not know yet; the
    /// ring holds the current one too): a new segment from the next entry, every secret
    /// sealed again under the new key. Old keys stay needed to verify old segments.
    pub async fn rotate_instance_key(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        ring: KeyRing,
        file: Option<std::path::PathBuf>,
    ) -> Result<KeySegment> {
        let txn = self.write().await?;
        let head = lock_head(&txn).await?;
        let segs = segments(&txn).await?;
        let Some(current) = segs.last() else {
            txn.rollback().await?;
            return Err(StoreError::Config(
                "cette base n'a pas encore de clé d'instance : lancez d'abord « vigie serve » ou « vigie migrate » avec la clé".into(),
            ));
        };
        let newest = ring.newest();
        let knows_current = ring
            .get(current.id)
            .is_some_and(|k| k.fingerprint() == current.fingerprint);
        if !knows_current || newest.id <= current.id {
            txn.rollback().await?;
            return Err(StoreError::Config(format!(
                "rotation refusée : le fichier doit contenir la clé actuelle n° {} (empreinte {}) et une clé plus récente",
                current.id, current.fingerprint
            )));
        }
        reseal_all(&txn, &ring).await?;
        let from_seq = head.seq + 1;
        self.start_segment(&txn, now, actor, &ring, from_seq)
            .await?;
        txn.commit().await?;
        self.keys.set(ring.clone(), file);
        self.keys.mark_verified(ring.keys().iter().map(|k| k.id));
        self.anchor_after_commit(now, "cle", Some(from_seq)).await;
        Ok(KeySegment {
            id: newest.id,
            fingerprint: newest.fingerprint(),
            from_seq,
            created_at: now.trunc_subsecs(6),
        })
    }

    /// The key segments of the chain, oldest first.
    pub async fn audit_key_segments(&self) -> Result<Vec<KeySegment>> {
        segments(&self.db).await
    }

    /// Seals a secret for storage, bound to its row, when the store has a ring (a database
    /// not keyed yet stores it as before, and sealed at adoption).
    pub(crate) fn seal_secret(&self, prefix: &str, row: &str, clear: &str) -> String {
        match self.keys.ring() {
            Some(r) => r.seal(&seal_context(prefix, row), clear),
            None => clear.to_owned(),
        }
    }

    /// Opens a stored secret (a value stored before the key was adopted is returned as is).
    pub(crate) fn open_secret(&self, prefix: &str, row: &str, stored: &str) -> Result<String> {
        if !is_sealed(stored) {
            // A store with the key reads only sealed secrets: a value in clear was put
            // there by someone who wants to know it (a downgrade).
            if self.keys.ring().is_some() {
                return Err(StoreError::Config(format!(
                    "secret en clair ({prefix}) dans une base dont les secrets sont chiffrés : valeur remplacée hors de Vigie, refusée"
                )));
            }
            return Ok(stored.to_owned());
        }
        let ring = self.keys.ring().ok_or_else(|| {
            StoreError::Config(
                "clé d'instance absente : les secrets de cette base sont chiffrés (indiquez VIGIE_INSTANCE_KEY_FILE)".into(),
            )
        })?;
        let ctx = seal_context(prefix, row);
        match ring.open(&ctx, stored) {
            Ok(s) => Ok(s),
            Err(_) => {
                // A key rotated by another node: read the file again, once.
                let id = stored
                    .strip_prefix("chiffre:v1:")
                    .and_then(|r| r.split(':').next())
                    .and_then(|i| i.parse().ok())
                    .unwrap_or(0);
                self.keys.key(id).map_err(StoreError::Config)?;
                let ring = self.keys.ring().ok_or(StoreError::NotFound)?;
                ring.open(&ctx, stored)
                    .map_err(|e| StoreError::Config(format!("secret illisible : {e}")))
            }
        }
    }
}
