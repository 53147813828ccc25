//! The audit trail as the responsable CRIP and the operator use it: verification (a row
//! altered or deleted with SQL is named), external anchors, retention and purge from a
//! checkpoint, and the consultation filters — on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use chrono::{DateTime, Duration, Utc};
use vigie_domain::dossier::DossierEdit;
use vigie_domain::*;
use vigie_store::audit::{ActionFilter, Anchor, AnchorCheck, AuditFilter, Event};
use vigie_store::testing::{TestDb, now};
use vigie_store::{Actor, Store, StoreError};

/// Runs SQL that the append-only triggers would refuse (what an attacker with database
/// access could do).
async fn tamper(db: &TestDb, sql: &str) {
    if db.backend == "sqlite" {
        db.raw("DROP TRIGGER IF EXISTS audit_entry_no_update")
            .await
            .unwrap();
        db.raw("DROP TRIGGER IF EXISTS audit_entry_no_delete")
            .await
            .unwrap();
        db.raw(sql).await.unwrap();
    } else {
        db.raw("ALTER TABLE audit_entry DISABLE TRIGGER USER")
            .await
            .unwrap();
        db.raw(sql).await.unwrap();
        db.raw("ALTER TABLE audit_entry ENABLE TRIGGER USER")
            .await
            .unwrap();
    }
}

/// Appends `n` entries recorded from `from`, one hour apart; returns their sequence numbers.
async fn entries(s: &Store, from: DateTime<Utc>, n: i64) -> Vec<i64> {
    let mut v = Vec::new();
    for i in 0..n {
        v.push(
            s.audit(
                from + Duration::hours(i),
                &Actor::user(1, Some("10.0.0.1".into())),
                Event::new("dossier.recherche").detail(format!("resultats={i}")),
            )
            .await
            .unwrap(),
        );
    }
    v
}

#[tokio::test]
async fn a_row_altered_with_sql_is_named_by_the_verification() {
    on_both(|db| async move {
        let s = &db.store;
        let seqs = entries(s, now(), 6).await;
        let ok = s.verify_audit().await.unwrap();
        assert_eq!(ok.broken, None);
        assert_eq!(ok.head_seq, *seqs.last().unwrap());
        assert_eq!(ok.entries, ok.head_seq);
        assert_eq!(ok.checkpoint, None);
        let target = seqs[2];
        tamper(
            &db,
            &format!("UPDATE audit_entry SET detail = 'resultats=0' WHERE seq = {target}"),
        )
        .await;
        let v = s.verify_audit().await.unwrap();
        let (seq, why) = v.broken.unwrap();
        assert_eq!(seq, target);
        assert!(
            why.starts_with("le contenu de l'entrée a été modifié"),
            "{why}"
        );
        assert_eq!(v.entries, target - 1, "entries checked before the break");
        // The head is still reported, for the operator to compare with a recorded one.
        assert_eq!(v.head_seq, ok.head_seq);
        db
    })
    .await;
}

#[tokio::test]
async fn a_deleted_row_is_reported_missing_and_a_relinked_one_as_a_broken_link() {
    on_both(|db| async move {
        let s = &db.store;
        let seqs = entries(s, now(), 6).await;
        let gone = seqs[3];
        tamper(&db, &format!("DELETE FROM audit_entry WHERE seq = {gone}")).await;
        let v = s.verify_audit().await.unwrap();
        assert_eq!(v.broken, Some((gone, format!("entrée {gone} manquante"))));
        // Renumbering the next entry to fill the gap breaks its hash or its link.
        tamper(
            &db,
            &format!(
                "UPDATE audit_entry SET seq = {gone} WHERE seq = {}",
                gone + 1
            ),
        )
        .await;
        let v = s.verify_audit().await.unwrap();
        assert_eq!(v.broken.as_ref().map(|b| b.0), Some(gone));
        let why = v.broken.unwrap().1;
        assert!(why.contains("lien"), "{why}");
        db
    })
    .await;
}

#[tokio::test]
async fn an_anchor_recorded_outside_detects_a_truncated_trail() {
    on_both(|db| async move {
        let s = &db.store;
        entries(s, now(), 3).await;
        let anchor = s.audit_head().await.unwrap();
        entries(s, now() + Duration::hours(5), 3).await;
        let v = s.verify_audit_with(Some(&anchor)).await.unwrap();
        assert_eq!(v.broken, None);
        assert_eq!(v.anchor, Some(AnchorCheck::Matches));
        // A wrong hash for that entry.
        let wrong = Anchor {
            seq: anchor.seq,
            hash: "ab".repeat(32),
        };
        let v = s.verify_audit_with(Some(&wrong)).await.unwrap();
        let (seq, why) = v.broken.unwrap();
        assert_eq!(seq, anchor.seq);
        assert!(why.contains("empreinte enregistrée"), "{why}");
        // The genesis is an anchor too.
        let genesis = Anchor {
            seq: 0,
            hash: vigie_store::audit::GENESIS.into(),
        };
        assert_eq!(
            s.verify_audit_with(Some(&genesis)).await.unwrap().anchor,
            Some(AnchorCheck::Matches)
        );
        // Someone removes the last entries and rewinds the head: the chain alone is
        // intact, the recorded anchor says what is missing.
        let later = s.audit_head().await.unwrap();
        let keep = anchor.seq;
        tamper(&db, &format!("DELETE FROM audit_entry WHERE seq > {keep}")).await;
        db.raw(&format!(
            "UPDATE audit_head SET last_seq = {keep}, last_hash = '{}'",
            anchor.hash
        ))
        .await
        .unwrap();
        assert_eq!(s.verify_audit().await.unwrap().broken, None);
        let v = s.verify_audit_with(Some(&later)).await.unwrap();
        let (seq, why) = v.broken.unwrap();
        assert_eq!(seq, later.seq);
        assert!(why.contains("n'existe plus"), "{why}");
        db
    })
    .await;
}

#[tokio::test]
async fn a_purge_leaves_a_checkpoint_from_which_the_rest_verifies() {
    on_both(|db| async move {
        let s = &db.store;
        // A purge deletes entries: the owner's role does it (README), not the application's.
        let owner = db.owner().await;
        let sys = Actor::system();
        // The instance was created at now() (2026-11-24); a year and a half of activity.
        let old = entries(s, now() + Duration::days(10), 4).await;
        let kept = entries(s, at("2027-09-01T08:00:00Z"), 5).await;
        let anchor_before = s.audit_head().await.unwrap();
        let old_anchor = Anchor {
            seq: old[1],
            hash: s.audit_page(old[1] - 1, 1).await.unwrap()[0].hash.clone(),
        };
        let t = at("2028-06-01T10:00:00Z");
        // Default retention: 12 months, so nothing recorded after 01/06/2027 may go.
        assert_eq!(
            s.audit_purge_limit(t).await.unwrap(),
            at("2027-06-01T10:00:00Z")
        );
        let e = owner
            .purge_audit(t, &sys, at("2027-10-01T00:00:00Z"))
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("12 mois") && e.to_string().contains("01/06/2027"),
            "{e}"
        );
        let cp = owner
            .purge_audit(t, &sys, at("2027-06-01T00:00:00Z"))
            .await
            .unwrap()
            .expect("entries purged");
        assert_eq!(cp.first_seq, kept[0]);
        assert_eq!(cp.entries_purged, kept[0] - 1);
        assert_eq!(
            cp.prev_hash,
            s.audit_page(kept[0] - 1, 1).await.unwrap()[0].prev_hash
        );
        // Only the kept entries and the purge's own entry remain.
        let left = s.audit_page(0, 1000).await.unwrap();
        assert_eq!(left[0].seq, kept[0]);
        let last = left.last().unwrap();
        assert_eq!(last.action, "audit.purge");
        assert_eq!(
            last.detail.as_deref(),
            Some(
                format!(
                    "entrees={};premiere={};point={}",
                    kept[0] - 1,
                    kept[0],
                    cp.id
                )
                .as_str()
            )
        );
        let v = s.verify_audit().await.unwrap();
        assert_eq!(v.broken, None);
        assert_eq!(v.checkpoint.as_ref(), Some(&cp));
        assert_eq!(v.entries, kept.len() as i64 + 1);
        // Anchors: the one recorded before the purge still matches; the checkpoint's link
        // matches; an entry purged can no longer be checked.
        assert_eq!(
            s.verify_audit_with(Some(&anchor_before))
                .await
                .unwrap()
                .anchor,
            Some(AnchorCheck::Matches)
        );
        assert_eq!(
            s.verify_audit_with(Some(&cp.anchor()))
                .await
                .unwrap()
                .anchor,
            Some(AnchorCheck::Matches)
        );
        let v = s.verify_audit_with(Some(&old_anchor)).await.unwrap();
        assert_eq!((v.broken, v.anchor), (None, Some(AnchorCheck::Purged)));
        // A kept entry still cannot be deleted, nor a checkpoint changed.
        assert!(
            db.raw(&format!("DELETE FROM audit_entry WHERE seq = {}", kept[0]))
                .await
                .is_err()
        );
        assert!(
            db.raw("UPDATE audit_checkpoint SET first_seq = 1")
                .await
                .is_err()
        );
        assert!(db.raw("DELETE FROM audit_checkpoint").await.is_err());
        // Nothing older left: nothing to purge, nothing written.
        let head = s.audit_head().await.unwrap();
        assert_eq!(
            owner
                .purge_audit(t, &sys, at("2027-06-01T00:00:00Z"))
                .await
                .unwrap(),
            None
        );
        assert_eq!(s.audit_head().await.unwrap(), head);
        // A later purge starts from the checkpoint and takes everything, its own entry
        // becoming the first one kept.
        let t2 = at("2030-01-01T00:00:00Z");
        let cp2 = owner
            .purge_audit(t2, &sys, s.audit_purge_limit(t2).await.unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(cp2.first_seq, head.seq + 1);
        assert_eq!(cp2.prev_hash, head.hash);
        assert_eq!(cp2.entries_purged, head.seq - kept[0] + 1);
        let v = s.verify_audit().await.unwrap();
        assert_eq!((v.broken, v.entries), (None, 1));
        assert_eq!(s.audit_checkpoints().await.unwrap(), vec![cp, cp2]);
        db
    })
    .await;
}

#[tokio::test]
async fn a_checkpoint_without_its_purge_entry_is_reported() {
    on_both(|db| async move {
        let s = &db.store;
        entries(s, now(), 4).await;
        // A checkpoint forged to hide the first entries (and an attacker who removes them):
        // the database wants it signed once the chain is keyed, and a made-up signature is
        // a forgery.
        let third = s.audit_page(2, 1).await.unwrap().remove(0);
        let insert = |mac: &str| {
            format!(
                "INSERT INTO audit_checkpoint (at, purged_before, first_seq, prev_hash, entries_purged, key_id, mac) VALUES ('2026-11-24T10:00:00+00:00', '2026-11-24T10:00:00+00:00', {}, '{}', 2, 1, {mac})",
                third.seq, third.prev_hash
            )
        };
        assert!(db.raw(&insert("NULL")).await.is_err());
        db.raw(&insert(&format!("'{}'", "ab".repeat(32))))
            .await
            .unwrap();
        let v = s.verify_audit().await.unwrap();
        let (seq, why) = v.broken.unwrap();
        assert_eq!(seq, third.seq);
        assert!(why.contains("falsifié"), "{why}");
        db
    })
    .await;
}

#[tokio::test]
async fn a_purge_over_a_broken_chain_is_refused_and_deletes_nothing() {
    on_both(|db| async move {
        let s = &db.store;
        let old = entries(s, now(), 5).await;
        entries(s, at("2027-09-01T08:00:00Z"), 2).await;
        tamper(
            &db,
            &format!("UPDATE audit_entry SET user_id = 2 WHERE seq = {}", old[2]),
        )
        .await;
        let head = s.audit_head().await.unwrap();
        let e = s
            .purge_audit(
                at("2028-06-01T10:00:00Z"),
                &Actor::system(),
                at("2027-06-01T00:00:00Z"),
            )
            .await
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("purge refusée")
                && msg.contains(&format!("entrée {}", old[2]))
                && msg.contains("rien n'a été supprimé"),
            "{msg}"
        );
        assert_eq!(s.audit_head().await.unwrap(), head);
        assert_eq!(s.audit_page(0, 1).await.unwrap()[0].seq, 1);
        assert!(s.audit_checkpoints().await.unwrap().is_empty());
        // A missing entry in the part to purge: refused too.
        tamper(
            &db,
            &format!("DELETE FROM audit_entry WHERE seq = {}", old[0]),
        )
        .await;
        let msg = s
            .purge_audit(
                at("2028-06-01T10:00:00Z"),
                &Actor::system(),
                at("2027-06-01T00:00:00Z"),
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains(&format!("entrée {} manquante", old[0])),
            "{msg}"
        );
        db
    })
    .await;
}

#[tokio::test]
async fn the_retention_is_six_to_thirty_six_months_twelve_by_default() {
    on_both(|db| async move {
        let s = &db.store;
        let sys = Actor::system();
        assert_eq!(s.audit_retention_months().await.unwrap(), 12);
        for bad in [0, 5, 37, 120] {
            let e = s
                .set_audit_retention_months(now(), &sys, bad)
                .await
                .unwrap_err();
            assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
            assert!(e.to_string().contains("entre 6 et 36 mois"), "{e}");
        }
        assert_eq!(s.audit_retention_months().await.unwrap(), 12);
        for good in [6, 36, 18] {
            s.set_audit_retention_months(now(), &sys, good)
                .await
                .unwrap();
            assert_eq!(s.audit_retention_months().await.unwrap(), good);
        }
        assert_eq!(
            s.audit_purge_limit(at("2028-06-01T10:00:00Z"))
                .await
                .unwrap(),
            at("2026-12-01T10:00:00Z")
        );
        let last = s.audit_tail(1).await.unwrap().remove(0);
        assert_eq!(last.action, "parametre.modification");
        assert_eq!(last.detail.as_deref(), Some("audit_conservation_mois=18"));
        db
    })
    .await;
}

#[tokio::test]
async fn the_consultation_filters_by_user_dossier_child_action_and_period() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = agent(s, "agent.a").await;
        let b = agent(s, "agent.b").await;
        let (aa, ab) = (Actor::user(a, None), Actor::user(b, None));
        let mk = |name: &str, first: &str| {
            simple(
                &f,
                f.t1,
                "2026-11-20T09:30:00Z",
                vec![child(name, first, BirthDate::Exact(day("2019-05-01")))],
            )
        };
        let d1 = s
            .save_dossier(
                now(),
                &aa,
                &Scope::All,
                &DossierEdit::create(mk("Lefèvre", "Éloïse")),
            )
            .await
            .unwrap()
            .id;
        let d2 = s
            .save_dossier(
                now(),
                &aa,
                &Scope::All,
                &DossierEdit::create(mk("Dubois", "Lucas")),
            )
            .await
            .unwrap()
            .id;
        let px = s
            .read_dossier(now(), &aa, &Scope::All, d1)
            .await
            .unwrap()
            .children[0]
            .person_id;
        // A third dossier where the same child is linked to the known person.
        let mut third = mk("Lefèvre", "Éloïse");
        third.children[0].person_id = Some(px);
        let d3 = s
            .save_dossier(now(), &ab, &Scope::All, &DossierEdit::create(third))
            .await
            .unwrap()
            .id;
        // Consultations on three days.
        let day1 = at("2026-12-01T09:00:00Z");
        let day2 = at("2026-12-02T09:00:00Z");
        let day3 = at("2026-12-03T09:00:00Z");
        s.read_dossier(day1, &aa, &Scope::All, d1).await.unwrap();
        s.read_dossier(day2, &ab, &Scope::All, d2).await.unwrap();
        s.read_dossier(day3, &ab, &Scope::All, d3).await.unwrap();
        s.audit(day3, &ab, Event::new("connexion")).await.unwrap();

        let search =
            |f: AuditFilter| async move { s.audit_search(&f, None, 500).await.unwrap().rows };
        let pairs = |rows: &[vigie_store::audit::AuditRow]| {
            rows.iter()
                .map(|r| (r.action.clone(), r.object_id, r.user_id))
                .collect::<Vec<_>>()
        };

        // By user: every entry of agent B, newest first, with the login joined.
        let rows = search(AuditFilter {
            user_id: Some(b),
            ..Default::default()
        })
        .await;
        assert_eq!(
            pairs(&rows),
            vec![
                ("connexion".into(), None, Some(b)),
                ("dossier.consultation".into(), Some(d3), Some(b)),
                ("dossier.consultation".into(), Some(d2), Some(b)),
                ("personne.liaison".into(), Some(d3), Some(b)),
                ("dossier.creation".into(), Some(d3), Some(b)),
            ]
        );
        assert!(
            rows.iter()
                .all(|r| r.user_login.as_deref() == Some("agent.b"))
        );
        assert!(rows.windows(2).all(|w| w[0].seq > w[1].seq));
        assert_eq!(rows[1].dossier_number.as_deref(), Some("2026-000003"));

        // By dossier.
        let rows = search(AuditFilter {
            dossier_id: Some(d1),
            ..Default::default()
        })
        .await;
        assert_eq!(
            pairs(&rows),
            vec![
                ("dossier.consultation".into(), Some(d1), Some(a)),
                ("dossier.consultation".into(), Some(d1), Some(a)),
                ("dossier.creation".into(), Some(d1), Some(a)),
            ]
        );

        // By child: the dossiers where the child is (d1 and d3), not d2.
        let rows = search(AuditFilter {
            person_id: Some(px),
            ..Default::default()
        })
        .await;
        let dossiers: std::collections::BTreeSet<i64> =
            rows.iter().filter_map(|r| r.object_id).collect();
        assert_eq!(dossiers, [d1, d3].into_iter().collect());
        assert_eq!(rows.len(), 6, "{:?}", pairs(&rows));
        // Unlinked later, the child still finds the dossier it was linked in.
        let other = s.read_dossier(now(), &ab, &Scope::All, d3).await.unwrap();
        let mut edit = DossierEdit::from_record(&other);
        edit.input.children[0].person_id = None;
        s.save_dossier(now(), &ab, &Scope::All, &edit)
            .await
            .unwrap();
        assert_ne!(
            s.read_dossier(now(), &ab, &Scope::All, d3)
                .await
                .unwrap()
                .children[0]
                .person_id,
            other.children[0].person_id
        );
        let rows = search(AuditFilter {
            person_id: Some(px),
            ..Default::default()
        })
        .await;
        assert!(
            rows.iter()
                .any(|r| r.object_id == Some(d3) && r.action == "personne.deliaison")
        );

        // By action: exact, or a family.
        let rows = search(AuditFilter {
            action: ActionFilter::parse("dossier.consultation"),
            user_id: Some(a),
            ..Default::default()
        })
        .await;
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.action == "dossier.consultation"));
        let rows = search(AuditFilter {
            action: ActionFilter::parse("dossier.*"),
            user_id: Some(b),
            ..Default::default()
        })
        .await;
        assert!(rows.iter().all(|r| r.action.starts_with("dossier.")));
        assert!(rows.iter().any(|r| r.action == "dossier.creation"));
        assert!(!rows.iter().any(|r| r.action == "connexion"));
        // `_` is not a wildcard.
        let rows = search(AuditFilter {
            action: ActionFilter::parse("dossier_*"),
            ..Default::default()
        })
        .await;
        assert!(rows.is_empty());

        // By period: from day 2 (inclusive) to day 3 (exclusive).
        let rows = search(AuditFilter {
            from: Some(at("2026-12-02T00:00:00Z")),
            to: Some(at("2026-12-03T00:00:00Z")),
            ..Default::default()
        })
        .await;
        assert_eq!(
            pairs(&rows),
            vec![("dossier.consultation".into(), Some(d2), Some(b))]
        );

        // Paging: newest first, no overlap, no gap.
        let all = search(AuditFilter::default()).await;
        let mut paged = Vec::new();
        let mut cursor = None;
        loop {
            let p = s
                .audit_search(&AuditFilter::default(), cursor, 7)
                .await
                .unwrap();
            assert!(p.rows.len() <= 7);
            paged.extend(p.rows);
            match p.next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        assert_eq!(paged, all);

        // The child filter's search: by name, with the child's dossiers, audited.
        let found = s
            .audit_find_children(now(), &aa, &Scope::All, "lefevre eloise")
            .await
            .unwrap();
        let hit = found.iter().find(|c| c.person_id == px).unwrap();
        assert_eq!(hit.dossiers.len(), 1, "d3 was unlinked");
        assert_eq!(hit.dossiers[0].to_string(), "2026-000001");
        let last = s.audit_tail(1).await.unwrap().remove(0);
        assert_eq!(last.action, "audit.recherche_enfant");
        assert!(!last.detail.unwrap().to_lowercase().contains("lef"));
        assert_eq!(
            s.audit_child(&Scope::All, px)
                .await
                .unwrap()
                .person
                .birth_name,
            "Lefèvre"
        );
        db
    })
    .await;
}

/// Over several pages (the verification reads the next page while it hashes one).
#[tokio::test]
async fn a_long_trail_is_verified_across_pages() {
    on_both(|db| async move {
        let s = &db.store;
        let start = s.audit_head().await.unwrap().seq;
        vigie_store::audit::bulk_append_synthetic(
            s,
            25_000,
            now() + Duration::seconds(1),
            Duration::seconds(1),
            |_| {},
        )
        .await
        .unwrap();
        let v = s.verify_audit().await.unwrap();
        assert_eq!(v.broken, None);
        assert_eq!((v.entries, v.head_seq), (v.head_seq, start + 25_000));
        tamper(
            &db,
            "UPDATE audit_entry SET ip = '10.0.0.99' WHERE seq = 23456",
        )
        .await;
        let v = s.verify_audit().await.unwrap();
        let (seq, why) = v.broken.unwrap();
        assert_eq!(seq, 23_456);
        assert!(
            why.starts_with("le contenu de l'entrée a été modifié"),
            "{why}"
        );
        assert_eq!(v.entries, 23_455);
        // The first entry of a page.
        tamper(&db, "DELETE FROM audit_entry WHERE seq = 20001").await;
        let v = s.verify_audit().await.unwrap();
        assert_eq!(v.broken, Some((20_001, "entrée 20001 manquante".into())));
        assert_eq!(v.entries, 20_000);
        db
    })
    .await;
}

/// A list that showed a dossier (page, API, échéances, search) answers « who saw it? » too,
/// through the dossier and the child filters; an id is never confused with a longer one.
#[tokio::test]
async fn lists_that_showed_a_dossier_are_found_by_its_dossier_and_child_filters() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = agent(s, "agent.a").await;
        let aa = Actor::user(a, None);
        let d1 = s
            .save_dossier(
                now(),
                &aa,
                &Scope::All,
                &DossierEdit::create(simple(
                    &f,
                    f.t1,
                    "2026-11-20T09:30:00Z",
                    vec![child(
                        "Lefèvre",
                        "Éloïse",
                        BirthDate::Exact(day("2019-05-01")),
                    )],
                )),
            )
            .await
            .unwrap()
            .id;
        let px = s
            .read_dossier(now(), &aa, &Scope::All, d1)
            .await
            .unwrap()
            .children[0]
            .person_id;
        let t = at("2026-12-01T09:00:00Z");
        let (longer, other) = (d1 * 10 + 1, d1 * 100);
        s.record_listing(t, &aa, "dossier.liste", &[other, d1, longer])
            .await
            .unwrap();
        s.record_listing(t, &aa, "dossier.echeances", &[d1])
            .await
            .unwrap();
        s.record_listing(t, &aa, "dossier.liste", &[longer, other])
            .await
            .unwrap();
        for filter in [
            AuditFilter {
                dossier_id: Some(d1),
                ..Default::default()
            },
            AuditFilter {
                person_id: Some(px),
                ..Default::default()
            },
        ] {
            let rows = s.audit_search(&filter, None, 500).await.unwrap().rows;
            let lists: Vec<&str> = rows
                .iter()
                .filter(|r| r.action == "dossier.liste" || r.action == "dossier.echeances")
                .map(|r| r.action.as_str())
                .collect();
            assert_eq!(
                lists,
                vec!["dossier.echeances", "dossier.liste"],
                "{filter:?}"
            );
        }
        db
    })
    .await;
}
