//! The audit trail and the secrets against an attacker who holds the database but not the
//! instance key (a stolen backup, a database account, a DBA), on SQLite and PostgreSQL:
//! every forgery is reported by the verification, and the secrets stay unreadable.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, on_both};
use chrono::{DateTime, Duration, Utc};
use vigie_store::audit::{Anchor, AnchorCheck, Entry, Event, sha256_link};
use vigie_store::keys::KeyRing;
use vigie_store::testing::{TestDb, now, raw_texts};
use vigie_store::{Actor, Store};

/// Runs SQL with the trail's protections lifted, as the database's owner could.
async fn as_owner(db: &TestDb, sql: &str) {
    if db.backend == "sqlite" {
        for t in [
            "audit_entry_no_update",
            "audit_entry_no_delete",
            "audit_entry_no_replace",
            "audit_key_no_update",
            "audit_key_no_delete",
            "audit_checkpoint_no_replace",
        ] {
            db.raw(&format!("DROP TRIGGER IF EXISTS {t}"))
                .await
                .unwrap();
        }
        db.raw(sql).await.unwrap();
    } else {
        // The owner (`TestDb::raw`) may switch its tables' triggers off.
        let tables = ["audit_entry", "audit_checkpoint", "audit_key", "audit_head"];
        for t in tables {
            db.raw(&format!("ALTER TABLE {t} DISABLE TRIGGER USER"))
                .await
                .unwrap();
        }
        let done = db.raw(sql).await;
        for t in tables {
            db.raw(&format!("ALTER TABLE {t} ENABLE TRIGGER USER"))
                .await
                .unwrap();
        }
        done.unwrap();
    }
}

async fn entries(s: &Store, from: DateTime<Utc>, n: i64) -> Vec<i64> {
    let mut v = Vec::new();
    for i in 0..n {
        v.push(
            s.audit(
                from + Duration::minutes(i),
                &Actor::user(1, Some("10.0.0.1".into())),
                Event::new("dossier.consultation").on("dossier", i + 1),
            )
            .await
            .unwrap(),
        );
    }
    v
}

/// Rewrites every link from `from` on with plain SHA-256 (the attacker has no key), the
/// entry `from` altered by `change`, and moves the head along.
async fn rewrite_unkeyed(db: &TestDb, from: i64, change: impl Fn(&mut Entry)) {
    let all: Vec<Entry> = db.store.audit_page(0, 100_000).await.unwrap();
    let mut prev: Option<String> = None;
    let mut sql = Vec::new();
    for mut e in all.into_iter().filter(|e| e.seq >= from - 1) {
        if e.seq == from - 1 {
            prev = Some(e.hash.clone());
            continue;
        }
        if e.seq == from {
            change(&mut e);
        }
        e.prev_hash = prev.clone().unwrap_or_else(|| e.prev_hash.clone());
        e.hash = sha256_link(&e);
        sql.push(format!(
            "UPDATE audit_entry SET detail = {}, prev_hash = '{}', hash = '{}' WHERE seq = {}",
            e.detail
                .as_deref()
                .map_or("NULL".to_owned(), |d| format!("'{d}'")),
            e.prev_hash,
            e.hash,
            e.seq
        ));
        prev = Some(e.hash.clone());
    }
    sql.push(format!(
        "UPDATE audit_head SET last_hash = '{}' WHERE id = 1",
        prev.unwrap()
    ));
    as_owner(db, &sql.join("; ")).await;
}

#[tokio::test]
async fn a_chain_rewritten_without_the_key_is_reported() {
    on_both(|db| async move {
        let s = &db.store;
        let seqs = entries(s, now(), 6).await;
        assert_eq!(s.verify_audit().await.unwrap().broken, None);
        // One entry changed, every link after it recomputed: the chain is consistent by
        // SHA-256, but the keyed links are not the key's.
        let target = seqs[2];
        rewrite_unkeyed(&db, target, |e| e.detail = Some("falsifie".into())).await;
        let v = s.verify_audit().await.unwrap();
        let (seq, why) = v.broken.expect("a rewritten chain is reported");
        assert_eq!(seq, target);
        assert!(why.contains("sans la clé d'instance"), "{why}");
        // Without the key, the same database looks intact: said, not proved.
        let bare = db.without_key().await;
        let v = bare.verify_audit().await.unwrap();
        assert_eq!(v.broken, None);
        assert!(!v.with_key && v.unverified > 0, "{v:?}");
        bare.close().await;
        // Going further: the key's traces removed, the whole chain unkeyed. With the key,
        // a chain that no longer holds any signed entry is a forgery.
        rewrite_unkeyed(&db, 1, |_| {}).await;
        as_owner(
            &db,
            "DELETE FROM audit_key; UPDATE audit_head SET key_id = NULL WHERE id = 1",
        )
        .await;
        let v = s.verify_audit().await.unwrap();
        let (_, why) = v.broken.expect("an unkeyed rewrite is reported");
        assert!(why.contains("aucune entrée n'est signée"), "{why}");
        // And the key cannot be adopted again over it: that would seal the forgery.
        let bare = db.without_key().await;
        let e = bare
            .open_with_key_ring(now(), vigie_store::testing::test_ring(), None)
            .await
            .expect_err("no adoption over a chain that was keyed");
        assert!(e.to_string().contains("adoption de la clé refusée"), "{e}");
        bare.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn an_entry_inserted_below_the_chain_is_reported() {
    on_both(|db| async move {
        let s = &db.store;
        entries(s, now(), 2).await;
        // Any role that may append can insert a row the walk would never read.
        vigie_store::testing::raw_sql(
            s,
            "INSERT INTO audit_entry (seq, at, user_id, action, object_type, object_id, prev_hash, hash) VALUES (-1, '2026-11-24T10:00:00+00:00', 1, 'dossier.consultation', 'dossier', 1, 'x', 'y')",
        )
        .await
        .unwrap();
        let v = s.verify_audit().await.unwrap();
        let (seq, why) = v.broken.expect("a row below the chain is reported");
        assert_eq!(seq, -1);
        assert!(why.contains("hors de la chaîne"), "{why}");
        db
    })
    .await;
}

#[tokio::test]
async fn a_secret_replaced_in_clear_is_refused() {
    on_both(|db| async move {
        let s = &db.store;
        let known = "00".repeat(32);
        db.raw(&format!("UPDATE instance SET secret_key = '{known}'"))
            .await
            .unwrap();
        let e = s
            .login_key("agent")
            .await
            .expect_err("a downgrade is refused");
        assert!(e.to_string().contains("secret en clair"), "{e}");
        db
    })
    .await;
}

#[tokio::test]
async fn a_truncated_tail_is_reported_by_the_anchors() {
    on_both(|db| async move {
        let s = &db.store;
        entries(s, now(), 5).await;
        let anchored = s.audit_head().await.unwrap();
        entries(s, now() + Duration::hours(1), 3).await;
        assert_eq!(
            s.verify_audit_anchored(std::slice::from_ref(&anchored))
                .await
                .unwrap()
                .anchors,
            vec![(anchored.clone(), AnchorCheck::Matches)]
        );
        // The last four entries cut, the head moved back onto the entry before: the rest
        // of the chain is intact, but the anchor recorded outside is no longer reached.
        let keep = anchored.seq - 1;
        let last = s.audit_page(keep - 1, 1).await.unwrap().remove(0);
        as_owner(
            &db,
            &format!(
                "DELETE FROM audit_entry WHERE seq > {keep}; UPDATE audit_head SET last_seq = {keep}, last_hash = '{}' WHERE id = 1",
                last.hash
            ),
        )
        .await;
        assert_eq!(s.verify_audit().await.unwrap().broken, None);
        let v = s.verify_audit_anchored(std::slice::from_ref(&anchored)).await.unwrap();
        let (seq, why) = v.broken.expect("a truncated tail is reported");
        assert_eq!(seq, anchored.seq);
        assert!(why.contains("tronqué"), "{why}");
        db
    })
    .await;
}

#[tokio::test]
async fn a_forged_checkpoint_and_purge_entry_are_reported_and_an_anchor_they_hide_too() {
    on_both(|db| async move {
        let s = &db.store;
        let seqs = entries(s, now(), 6).await;
        let hidden = s.audit_page(seqs[1] - 1, 1).await.unwrap().remove(0);
        let hidden = Anchor {
            seq: hidden.seq,
            hash: hidden.hash,
        };
        // The attacker deletes the first entries, records a checkpoint (any signature) and
        // appends the `audit.purge` entry the verification looks for, linked by SHA-256.
        let first = seqs[3];
        let kept = s.audit_page(first - 1, 1).await.unwrap().remove(0);
        let head = s.audit_head().await.unwrap();
        let at_ = now() + Duration::hours(2);
        let at_text = at_.format("%Y-%m-%dT%H:%M:%S%.6f+00:00");
        as_owner(
            &db,
            &format!(
                "INSERT INTO audit_checkpoint (id, at, purged_before, first_seq, prev_hash, entries_purged, key_id, mac) VALUES (77, '{at_text}', '{at_text}', {first}, '{}', {}, 1, '{}'); DELETE FROM audit_entry WHERE seq < {first}",
                kept.prev_hash,
                first - 1,
                "0".repeat(64)
            ),
        )
        .await;
        let mut purge = Entry {
            seq: head.seq + 1,
            at: at_,
            user_id: None,
            action: "audit.purge".into(),
            object_type: None,
            object_id: None,
            detail: Some(format!("entrees={};premiere={first};point=77", first - 1)),
            ip: None,
            prev_hash: head.hash.clone(),
            hash: String::new(),
        };
        purge.hash = sha256_link(&purge);
        as_owner(
            &db,
            &format!(
                "INSERT INTO audit_entry (seq, at, user_id, action, object_type, object_id, detail, ip, prev_hash, hash) VALUES ({}, '{}', NULL, 'audit.purge', NULL, NULL, '{}', NULL, '{}', '{}'); UPDATE audit_head SET last_seq = {}, last_hash = '{}' WHERE id = 1",
                purge.seq,
                at_text,
                purge.detail.clone().unwrap(),
                purge.prev_hash,
                purge.hash,
                purge.seq,
                purge.hash
            ),
        )
        .await;
        let v = s.verify_audit().await.unwrap();
        let (seq, why) = v.broken.expect("a forged purge is reported");
        assert_eq!(seq, first);
        assert!(why.contains("falsifié"), "{why}");
        // An anchor recorded in the range the forgery deleted: a failure, never « not
        // verifiable ».
        let v = s.verify_audit_anchored(&[hidden]).await.unwrap();
        assert!(v.broken.is_some(), "{v:?}");
        db
    })
    .await;
}

#[tokio::test]
async fn a_regular_purge_is_signed_and_keeps_old_anchors_valid() {
    on_both(|db| async move {
        let s = &db.store;
        let seqs = entries(s, now() + Duration::hours(1), 4).await;
        let old = s.audit_page(seqs[1] - 1, 1).await.unwrap().remove(0);
        let old = Anchor {
            seq: old.seq,
            hash: old.hash,
        };
        entries(s, now() + Duration::days(400), 2).await;
        let t = now() + Duration::days(800);
        // The purge deletes entries: the owner's right (PostgreSQL's application role has not).
        let cp = db
            .owner()
            .await
            .purge_audit(t, &Actor::system(), now() + Duration::days(200))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(cp.key_id, Some(1));
        assert!(cp.mac.is_some());
        let v = s
            .verify_audit_anchored(std::slice::from_ref(&old))
            .await
            .unwrap();
        assert_eq!(v.broken, None);
        assert_eq!(v.anchors, vec![(old.clone(), AnchorCheck::Purged)]);
        // Without the key, the purge cannot be proved: the anchor it hides is a failure.
        let bare = db.without_key().await;
        let v = bare.verify_audit_anchored(&[old]).await.unwrap();
        assert!(v.broken.is_some(), "{v:?}");
        bare.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn rows_slipped_past_the_triggers_are_refused_or_reported() {
    on_both(|db| async move {
        let s = &db.store;
        let seqs = entries(s, now(), 3).await;
        let e = s.audit_page(seqs[1] - 1, 1).await.unwrap().remove(0);
        // Replacing an entry: SQLite's INSERT OR REPLACE, PostgreSQL's upsert.
        let replace = if db.backend == "sqlite" {
            format!(
                "INSERT OR REPLACE INTO audit_entry (seq, at, action, prev_hash, hash) VALUES ({}, '2026-11-24T10:00:00.000000+00:00', 'connexion', '{}', '{}')",
                e.seq, e.prev_hash, e.hash
            )
        } else {
            format!(
                "INSERT INTO audit_entry (seq, at, action, prev_hash, hash) VALUES ({}, '2026-11-24T10:00:00+00:00', 'connexion', '{}', '{}') ON CONFLICT (seq) DO UPDATE SET action = 'connexion'",
                e.seq, e.prev_hash, e.hash
            )
        };
        assert!(db.raw(&replace).await.is_err(), "replace refused");
        // A checkpoint without signature, and changes to the key segments: refused.
        assert!(
            db.raw("INSERT INTO audit_checkpoint (at, purged_before, first_seq, prev_hash, entries_purged) VALUES ('2026-11-24T10:00:00+00:00', '2026-11-24T10:00:00+00:00', 2, 'x', 1)")
                .await
                .is_err()
        );
        assert!(db.raw("UPDATE audit_key SET from_seq = 1").await.is_err());
        assert!(db.raw("DELETE FROM audit_key").await.is_err());
        assert_eq!(s.verify_audit().await.unwrap().broken, None);
        // A row deleted by the owner: named.
        as_owner(&db, &format!("DELETE FROM audit_entry WHERE seq = {}", e.seq)).await;
        let v = s.verify_audit().await.unwrap();
        assert_eq!(
            v.broken,
            Some((e.seq, format!("entrée {} manquante", e.seq)))
        );
        db
    })
    .await;
}

const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

#[tokio::test]
async fn a_copy_of_the_database_without_the_key_does_not_reveal_a_totp_secret() {
    use vigie_store::authn::{Attempt, SecondFactor, totp_code};
    use vigie_store::sessions::SessionPolicy;
    on_both(|db| async move {
        let s = &db.store;
        let uid = common::agent(s, "cible").await;
        let t = now();
        s.testing_enrol_totp(uid, SECRET, t).await.unwrap();
        let stored = raw_texts(
            s,
            "SELECT totp_secret FROM app_user WHERE totp_secret IS NOT NULL",
        )
        .await;
        let instance = raw_texts(s, "SELECT secret_key FROM instance").await;
        for v in stored.iter().chain(&instance) {
            let v = v.as_deref().unwrap_or_default();
            assert!(v.starts_with("chiffre:v1:1:"), "{v}");
            assert!(!v.contains(SECRET), "{v}");
        }
        let policy = SessionPolicy::default();
        let code = totp_code(SECRET, t).unwrap();
        let login = |store: Store| {
            let code = code.clone();
            let opener = s.clone();
            async move {
                let token = opener
                    .open_session_stage(t, uid, None, policy, false)
                    .await
                    .unwrap();
                let sid = opener
                    .session_user(t, &token, policy)
                    .await
                    .unwrap()
                    .unwrap()
                    .session_id;
                store
                    .complete_second_factor(
                        t,
                        &sid,
                        uid,
                        "k",
                        &SecondFactor::Totp(code),
                        None,
                        policy,
                    )
                    .await
            }
        };
        // The copy alone: nothing to check the code with.
        let bare = db.without_key().await;
        let e = login(bare.clone())
            .await
            .expect_err("no key, no second factor");
        assert!(e.to_string().contains("clé d'instance absente"), "{e}");
        // Another key: refused before anything is written.
        let e = bare
            .open_with_key_ring(t, KeyRing::generate(), None)
            .await
            .expect_err("another key is refused");
        assert!(e.to_string().contains("ne correspond pas"), "{e}");
        bare.close().await;
        // With the key, the code passes.
        assert!(matches!(
            login(s.clone()).await.unwrap(),
            Attempt::Passed(_)
        ));
        db
    })
    .await;
}

/// An upgrade: a database written before the key keeps its unkeyed chain, adopts the key
/// from the next entry, and has its secrets sealed; nothing is lost and it says so.
#[tokio::test]
async fn an_existing_database_adopts_the_key_without_losing_anything() {
    let db = TestDb::sqlite_unkeyed().await;
    let s = &db.store;
    let uid = common::agent(s, "ancien").await;
    s.testing_enrol_totp(uid, SECRET, now()).await.unwrap();
    entries(s, now(), 3).await;
    let before = s.audit_head().await.unwrap();
    let clear = raw_texts(s, "SELECT totp_secret FROM app_user WHERE id = 2").await;
    assert!(
        raw_texts(
            s,
            "SELECT totp_secret FROM app_user WHERE totp_secret IS NOT NULL"
        )
        .await
        .iter()
        .any(|v| v.as_deref() == Some(SECRET)),
        "stored in clear before the key: {clear:?}"
    );
    let ring = vigie_store::testing::test_ring();
    let status = s
        .open_with_key_ring(now(), ring.clone(), None)
        .await
        .unwrap();
    assert_eq!(
        status,
        vigie_store::audit::KeyStatus::Adopted {
            id: 1,
            from_seq: before.seq + 1,
            sealed: 2
        }
    );
    let v = s
        .verify_audit_anchored(std::slice::from_ref(&before))
        .await
        .unwrap();
    assert_eq!(v.broken, None);
    assert_eq!(v.entries, before.seq + 1);
    assert_eq!(v.segments.len(), 1);
    assert_eq!(v.segments[0].from_seq, before.seq + 1);
    for v in raw_texts(
        s,
        "SELECT totp_secret FROM app_user WHERE totp_secret IS NOT NULL",
    )
    .await
    {
        assert!(v.unwrap_or_default().starts_with("chiffre:v1:1:"));
    }
    // Opening again with the same key changes nothing.
    assert_eq!(
        s.open_with_key_ring(now(), ring.clone(), None)
            .await
            .unwrap(),
        vigie_store::audit::KeyStatus::Known { id: 1 }
    );
    // A rotation: a new segment, secrets sealed under key 2, both keys needed to verify.
    let mut next = ring.clone();
    next.rotate();
    let seg = s
        .rotate_instance_key(now(), &Actor::system(), next, None)
        .await
        .unwrap();
    assert_eq!(seg.id, 2);
    for v in raw_texts(
        s,
        "SELECT totp_secret FROM app_user WHERE totp_secret IS NOT NULL",
    )
    .await
    {
        assert!(v.unwrap_or_default().starts_with("chiffre:v1:2:"));
    }
    entries(s, now(), 2).await;
    let v = s.verify_audit().await.unwrap();
    assert_eq!((v.broken, v.segments.len()), (None, 2));
    let old_only = db.without_key().await;
    old_only.use_key_ring(ring, None);
    let v = old_only.verify_audit().await.unwrap();
    let (seq, why) = v
        .broken
        .expect("the old key alone cannot verify the new segment");
    assert_eq!(seq, seg.from_seq);
    assert!(why.contains("clé n° 2"), "{why}");
    old_only.close().await;
    db.finish().await;
}
