//! Verification: the walk along the chain, page by page, checking every link (SHA-256
//! before the key, HMAC under each key's segment after), the anchors recorded outside the
//! database, the checkpoint and its purge entry.

use super::*;

/// Who signs the entries from `from_seq` on: the key's chain MAC (none: run without the
/// ring, the links are followed but not checked), and the entry that must open the segment.
pub(super) struct Signer {
    pub(super) from_seq: i64,
    pub(super) id: i64,
    pub(super) mac: Option<HmacSha256>,
    pub(super) opening: String,
}

/// The walk along the chain: the next entry expected, the hash it must link to.
pub(super) struct Walk {
    pub(super) next_seq: i64,
    pub(super) prev: String,
    pub(super) checked: i64,
    pub(super) broken: Option<(i64, String)>,
    /// Anchors inside the walked range (sequence → hash), and how many were met.
    pub(super) anchors: std::collections::BTreeMap<i64, String>,
    pub(super) anchors_met: Vec<i64>,
    /// The `audit.purge` entry of the checkpoint walked from, and whether it was met.
    pub(super) purge_entry: Option<String>,
    pub(super) purge_met: bool,
    /// The keyed segments, oldest first; `signer`: the one the next entry falls in.
    pub(super) signers: Vec<Signer>,
    pub(super) signer: Option<usize>,
    pub(super) unverified: i64,
}

impl Walk {
    pub(super) fn new(next_seq: i64, prev: String) -> Self {
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

    pub(super) fn with_signers(mut self, signers: Vec<Signer>) -> Self {
        self.signers = signers;
        self.signer = self
            .signers
            .iter()
            .rposition(|s| s.from_seq <= self.next_seq);
        self
    }

    /// Checks one entry; `false` once the chain is broken.
    pub(super) fn feed(&mut self, e: Entry) -> bool {
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
    pub(super) async fn run_pipelined(mut self, db: &sea_orm::DatabaseConnection) -> Result<Self> {
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
    pub(super) async fn run(&mut self, c: &impl ConnectionTrait, to: Option<i64>) -> Result<()> {
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

impl Store {
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
        if let Some(b) = place_anchors(
            anchors,
            &mut walk,
            head_seq,
            plan.checkpoint_signed,
            &mut out.anchors,
        ) {
            out.broken = Some(b);
            return Ok(out);
        }
        if let Some(b) = rows_before_start(&self.db, start).await? {
            out.broken = Some(b);
            return Ok(out);
        }
        let mut walk = walk.run_pipelined(&self.db).await?;
        out.entries = walk.checked;
        out.unverified = walk.unverified;
        let broken = match walk.broken.take() {
            Some(b) => Some(b),
            None => walk_end_broken(&walk, start, head_seq, &head_hash, checkpoint.as_ref()),
        };
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
}

/// Places the anchors recorded outside the database (sorted, deduplicated) against the
/// walk before it starts: beyond the head is a truncated tail; the checkpoint's link (or
/// the genesis) is checked now (`checked`); below it, only a signed checkpoint accounts
/// for them (`checked`, purged); inside the walked range, they are given to the walk.
/// Returns the first broken link.
fn place_anchors(
    anchors: &[Anchor],
    walk: &mut Walk,
    head_seq: i64,
    checkpoint_signed: bool,
    checked: &mut Vec<(Anchor, AnchorCheck)>,
) -> Option<(i64, String)> {
    let start = walk.next_seq;
    let mut sorted: Vec<Anchor> = anchors.to_vec();
    sorted.sort_by_key(|a| a.seq);
    sorted.dedup();
    for a in &sorted {
        if a.seq > head_seq {
            return Some((
                a.seq,
                format!(
                    "l'entrée {}, enregistrée hors de la base, n'existe plus : le journal s'arrête à l'entrée {head_seq} (journal tronqué ou restauré d'une sauvegarde antérieure)",
                    a.seq
                ),
            ));
        }
        if a.seq == start - 1 {
            // The checkpoint's link (or the genesis): checked before walking.
            if a.hash != walk.prev {
                return Some((a.seq, anchor_mismatch(a, &walk.prev)));
            }
            checked.push((a.clone(), AnchorCheck::Matches));
        } else if a.seq < start - 1 {
            if !checkpoint_signed {
                return Some((
                    a.seq,
                    format!(
                        "l'entrée {}, enregistrée hors de la base, a été supprimée par une purge que rien ne prouve (point de contrôle non signé par la clé d'instance, ou vérification sans la clé)",
                        a.seq
                    ),
                ));
            }
            checked.push((a.clone(), AnchorCheck::Purged));
        } else if let Some(other) = walk.anchors.get(&a.seq)
            && *other != a.hash
        {
            return Some((a.seq, anchor_mismatch(a, other)));
        } else {
            walk.anchors.insert(a.seq, a.hash.clone());
        }
    }
    None
}

/// Rows below where the walk starts would never be read: none may exist.
async fn rows_before_start(
    db: &sea_orm::DatabaseConnection,
    start: i64,
) -> Result<Option<(i64, String)>> {
    if let Some(r) = one(
        db,
        "SELECT MIN(seq) AS s FROM audit_entry WHERE seq < $1",
        vals![start],
    )
    .await?
        && let Some(seq) = get::<Option<i64>>(&r, "s")?
    {
        return Ok(Some((
            seq,
            format!(
                "l'entrée {seq} se trouve avant le début de la chaîne (entrée {start}) : entrée insérée hors de la chaîne"
            ),
        )));
    }
    Ok(None)
}

/// After a walk without a broken link: the head must be its last entry, every key
/// segment it covers must have been reached, and the checkpoint's purge entry met.
fn walk_end_broken(
    walk: &Walk,
    start: i64,
    head_seq: i64,
    head_hash: &str,
    checkpoint: Option<&Checkpoint>,
) -> Option<(i64, String)> {
    if walk.next_seq - 1 != head_seq || walk.prev != head_hash {
        return Some((
            walk.next_seq,
            "la tête de chaîne ne correspond pas à la dernière entrée".into(),
        ));
    }
    // Every key segment the walk covers must have been reached (two segments cannot
    // share their first entry: the later key would never be checked).
    if let Some(last) = walk.signers.last()
        && last.from_seq >= start
        && walk.signer != Some(walk.signers.len() - 1)
    {
        return Some((
            last.from_seq,
            format!(
                "le segment de la clé n° {} n'a pas été atteint : segments de clé falsifiés",
                last.id
            ),
        ));
    }
    if let Some(cp) = checkpoint
        && !walk.purge_met
    {
        return Some((
            cp.first_seq,
            format!(
                "le point de contrôle n° {} n'a pas son entrée « audit.purge » dans la chaîne : purge non tracée",
                cp.id
            ),
        ));
    }
    None
}
