//! Retention (CNIL, délibération n° 2021-122): the setting, and the purge that deletes the
//! entries older than it under a signed checkpoint.

use super::*;

/// The retention setting (months), in the `setting` table.
pub const RETENTION_SETTING: &str = "audit_conservation_mois";
/// The retention when none is set: one year (CNIL: six months to one year by default).
pub const RETENTION_DEFAULT_MONTHS: u32 = 12;
/// The retention allowed: six months to three years.
pub const RETENTION_RANGE: std::ops::RangeInclusive<u32> = 6..=36;

impl Store {
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
        self.check_purge_before(now, before).await?;
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
            return Err(purge_refused(seq, &why));
        }
        let (start, start_prev) = match latest {
            Some(cp) => (cp.first_seq, cp.prev_hash),
            None => (1, GENESIS.to_owned()),
        };
        let first_kept = first_kept(&txn, start, before).await?;
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
        if let Some(refusal) = walk_refusal(&walk, through) {
            txn.rollback().await?;
            return Err(refusal);
        }
        let prev_hash = match first_kept {
            // The hash of the last entry purged, which the first entry kept links to.
            Some(_) => entries_from(&txn, first_seq, Some(first_seq + 1), 1)
                .await?
                .pop()
                .map(|e| e.prev_hash)
                .ok_or_else(|| {
                    purge_refused(first_seq, &format!("entrée {first_seq} manquante"))
                })?,
            None => {
                if walk.prev != head_hash {
                    txn.rollback().await?;
                    return Err(purge_refused(
                        head_seq,
                        "la tête de chaîne ne correspond pas à la dernière entrée",
                    ));
                }
                head_hash
            }
        };
        let mut checkpoint = Checkpoint {
            id: 0,
            at: now.trunc_subsecs(6),
            purged_before: before,
            first_seq,
            prev_hash,
            entries_purged: first_seq - start,
            key_id: head.key_id,
            mac: None,
        };
        self.record_checkpoint(&txn, &mut checkpoint).await?;
        let purged = checkpoint.entries_purged;
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
                Event::new("audit.purge").detail(purge_detail(purged, first_seq, checkpoint.id)),
            )
            .await?;
        txn.commit().await?;
        self.anchor_after_commit(now, "purge", Some(purge_seq))
            .await;
        Ok(Some(checkpoint))
    }

    /// Refuses a purge cutting at `before` when that is within the retention.
    async fn check_purge_before(&self, now: DateTime<Utc>, before: DateTime<Utc>) -> Result<()> {
        let limit = self.audit_purge_limit(now).await?;
        if before > limit {
            let months = self.audit_retention_months().await?;
            return Err(StoreError::Config(format!(
                "la durée de conservation du journal d'audit est de {months} mois : seules les entrées antérieures au {} peuvent être purgées",
                limit.with_timezone(&self.tz).format("%d/%m/%Y %H:%M")
            )));
        }
        Ok(())
    }

    /// Signs the checkpoint (`mac`, under the head's key when the chain is keyed) and
    /// records it (`id`).
    async fn record_checkpoint(
        &self,
        txn: &DatabaseTransaction,
        cp: &mut Checkpoint,
    ) -> Result<()> {
        cp.mac = match cp.key_id {
            Some(id) => {
                let key = self.keys.key(id).map_err(StoreError::Config)?;
                Some(keyed::checkpoint_mac(
                    &key.chain_mac(),
                    cp.at,
                    cp.purged_before,
                    cp.first_seq,
                    &cp.prev_hash,
                    cp.entries_purged,
                ))
            }
            None => None,
        };
        let row = one(
            txn,
            "INSERT INTO audit_checkpoint (at, purged_before, first_seq, prev_hash, entries_purged, key_id, mac)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vals![cp.at, cp.purged_before, cp.first_seq, cp.prev_hash.clone(), cp.entries_purged, cp.key_id, cp.mac.clone()],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        cp.id = get(&row, "id")?;
        Ok(())
    }
}

/// A purge refused because the chain is broken at entry `seq` (`why`).
fn purge_refused(seq: i64, why: &str) -> StoreError {
    StoreError::Config(format!(
        "purge refusée : la chaîne d'audit est rompue à l'entrée {seq} ({why}) ; rien n'a été supprimé. Lancez « vigie audit verify »."
    ))
}

/// The first entry kept: the first one recorded at or after `before` (entries are
/// appended in time order) from `start`; none: every entry goes, and the purge's own
/// entry becomes the first one kept.
async fn first_kept(
    txn: &DatabaseTransaction,
    start: i64,
    before: DateTime<Utc>,
) -> Result<Option<i64>> {
    one(
        txn,
        "SELECT seq FROM audit_entry WHERE seq >= $1 AND at >= $2 ORDER BY seq LIMIT 1",
        vals![start, before],
    )
    .await?
    .map(|r| get::<i64>(&r, "seq"))
    .transpose()
}

/// Why a purge is refused after walking the part purged up to `through` (excluded): a
/// broken link, or a missing entry.
fn walk_refusal(walk: &Walk, through: i64) -> Option<StoreError> {
    if let Some((seq, why)) = &walk.broken {
        return Some(purge_refused(*seq, why));
    }
    if walk.next_seq != through {
        return Some(purge_refused(
            walk.next_seq,
            &format!("entrée {} manquante", walk.next_seq),
        ));
    }
    None
}
