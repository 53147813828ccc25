//! Saving a whole dossier from the dossier screen: per-part versions, revisions, rules,
//! person links — on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use vigie_domain::dossier::{DirectConclusionCode, DossierEdit, Part, PartRef};
use vigie_domain::*;
use vigie_store::StoreError;
use vigie_store::params_admin::Table;
use vigie_store::testing::now;
use vigie_store::{Actor, Store};

fn fields(e: &StoreError) -> Vec<(String, String)> {
    match e {
        StoreError::Invalid(d) => d
            .fields()
            .iter()
            .map(|f| (f.field.clone(), f.message.clone()))
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn dossier_count(s: &Store) -> usize {
    s.list_dossiers(&Scope::All, &Default::default(), None, 1000)
        .await
        .unwrap()
        .rows
        .len()
}

async fn created(s: &Store, f: &Fixture, a: &Actor) -> i64 {
    let saved = s
        .save_dossier(now(), a, &Scope::All, &DossierEdit::create(full_dossier(f)))
        .await
        .unwrap();
    saved.id
}

#[tokio::test]
async fn creating_a_whole_dossier_writes_one_revision_per_part_and_an_audit_without_content() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let u = agent(s, "agent.a").await;
        let a = Actor::user(u, None);
        let input = full_dossier(&f);
        let saved = s
            .save_dossier(now(), &a, &Scope::All, &DossierEdit::create(input.clone()))
            .await
            .unwrap();
        // Header + two children + one assignment.
        assert_eq!(saved.revisions.len(), 4);
        let rec = s
            .read_dossier(now(), &a, &Scope::All, saved.id)
            .await
            .unwrap();
        assert_eq!(rec.header, input.header);
        assert_eq!(rec.children.len(), 2);
        assert_eq!(rec.children[0].data.motif_ids.len(), 2);
        let history = s
            .dossier_history(now(), &a, &Scope::All, saved.id)
            .await
            .unwrap();
        assert_eq!(history.len(), 4);
        assert_eq!(history.last().unwrap().part, Part::Header);
        assert_eq!(history[0].user_name.as_deref(), Some("agent.a"));
        let creation = s
            .audit_page(0, 1000)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.action == "dossier.creation")
            .unwrap();
        let detail = creation.detail.unwrap();
        assert!(detail.starts_with("revisions="), "{detail}");
        assert!(
            !detail.contains("Éloïse") && !detail.contains("Diaye"),
            "{detail}"
        );
        db
    })
    .await;
}

#[tokio::test]
async fn two_agents_on_different_children_both_save_and_a_stale_same_child_is_refused() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let ua = agent(s, "agent.a").await;
        let ub = agent(s, "agent.b").await;
        let (a, b) = (Actor::user(ua, None), Actor::user(ub, None));
        let id = created(s, &f, &a).await;
        let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        // Both open the same dossier.
        let base = DossierEdit::from_record(&rec);
        let untouched = |mut e: DossierEdit| {
            e.dossier.as_mut().unwrap().touched = false;
            for r in e
                .children
                .iter_mut()
                .chain(e.assignments.iter_mut())
                .flatten()
            {
                r.touched = false;
            }
            e
        };
        // A changes the first child's first names.
        let mut ea = untouched(base.clone());
        ea.input.children[0].person.first_names = "Éloïse Marie".into();
        ea.children[0].as_mut().unwrap().touched = true;
        let saved = s.save_dossier(now(), &a, &Scope::All, &ea).await.unwrap();
        assert_eq!(saved.revisions.len(), 1);
        // B, from the same old form, changes the second child: no collision.
        let mut eb = untouched(base.clone());
        eb.input.children[1].comment = Some("Suivi PMI".into());
        eb.children[1].as_mut().unwrap().touched = true;
        s.save_dossier(now(), &b, &Scope::All, &eb).await.unwrap();
        let after = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        assert_eq!(after.children[0].data.person.first_names, "Éloïse Marie");
        assert_eq!(after.children[1].data.comment.as_deref(), Some("Suivi PMI"));
        assert_eq!(after.children[0].version, 2);
        assert_eq!(after.children[1].version, 2);
        assert_eq!(after.version, 1, "the header was not touched");

        // B, still from the old form, now changes the first child too: refused, with A's value.
        let mut stale = untouched(base.clone());
        stale.input.children[0].person.first_names = "Héloïse".into();
        stale.children[0].as_mut().unwrap().touched = true;
        let err = s
            .save_dossier(now(), &b, &Scope::All, &stale)
            .await
            .unwrap_err();
        let StoreError::Conflicts(c) = err else {
            panic!("expected a conflict, got {err:?}")
        };
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].part, Part::Child);
        assert_eq!(c[0].index, Some(0));
        assert_eq!(c[0].by.as_deref(), Some("agent.a"));
        assert_eq!(c[0].current_version, 2);
        let first = c[0]
            .changes
            .iter()
            .find(|x| x.field == "first_names")
            .unwrap();
        assert_eq!(first.old, "Éloïse Marie");
        assert_eq!(first.new, "Héloïse");
        // Nothing written.
        let again = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        assert_eq!(again.children[0].data.person.first_names, "Éloïse Marie");
        assert_eq!(again.children[0].version, 2);

        // Saving again with the version now known applies B's value deliberately.
        stale.children[0].as_mut().unwrap().version = 2;
        s.save_dossier(now(), &b, &Scope::All, &stale)
            .await
            .unwrap();
        let last = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        assert_eq!(last.children[0].data.person.first_names, "Héloïse");

        // A touched part equal to what is stored is a no-op whatever its version (API case).
        let mut same = DossierEdit::from_record(&last);
        same.dossier.as_mut().unwrap().version = 99;
        let r = s.save_dossier(now(), &a, &Scope::All, &same).await.unwrap();
        assert!(r.revisions.is_empty());
        db
    })
    .await;
}

#[tokio::test]
async fn a_stale_header_is_refused_and_history_keeps_old_and_new_values() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let ua = agent(s, "agent.a").await;
        let a = Actor::user(ua, None);
        let id = created(s, &f, &a).await;
        let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        let mut e1 = DossierEdit::from_record(&rec);
        e1.input.header.observation = Some("Nouvelle observation".into());
        e1.input.header.sip = true;
        s.save_dossier(now(), &a, &Scope::All, &e1).await.unwrap();
        let mut e2 = DossierEdit::from_record(&rec);
        e2.input.header.snated_number = Some("SNATED-2026-009999".into());
        let err = s
            .save_dossier(now(), &a, &Scope::All, &e2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflicts(ref c) if c[0].part == Part::Header));
        let h = s.dossier_history(now(), &a, &Scope::All, id).await.unwrap();
        let last = &h[0];
        assert_eq!(last.part, Part::Header);
        assert_eq!(last.version, 2);
        let obs = last
            .changes
            .iter()
            .find(|c| c.field == "observation")
            .unwrap();
        assert_eq!(obs.old, "Observation de la CRIP");
        assert_eq!(obs.new, "Nouvelle observation");
        let sip = last.changes.iter().find(|c| c.field == "sip").unwrap();
        assert_eq!((sip.old.as_str(), sip.new.as_str()), ("non", "oui"));
        assert_eq!(last.changes.len(), 2, "{:?}", last.changes);
        // The audit entry names the revision and the fields, never the values.
        let tail = s.audit_tail(2).await.unwrap();
        let m = tail
            .iter()
            .find(|e| e.action == "dossier.modification")
            .unwrap();
        let d = m.detail.clone().unwrap();
        assert!(d.contains(&format!("revisions={}", last.id)), "{d}");
        assert!(d.contains("observation") && !d.contains("Nouvelle"), "{d}");
        db
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_whole_with_french_messages_naming_each_field() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::user(agent(s, "agent.a").await, None);
        let mut d = full_dossier(&f);
        d.header.received_at = now() + chrono::Duration::days(2);
        d.children[0].motif_ids.push(999_999);
        d.children[0].person.first_names = "x".repeat(201);
        d.children[1].person.birth = BirthDate::Exact(day("2008-01-01"));
        let before = dossier_count(s).await;
        let err = s
            .save_dossier(now(), &a, &Scope::All, &DossierEdit::create(d))
            .await
            .unwrap_err();
        let fs = fields(&err);
        let has = |k: &str| fs.iter().any(|(f, _)| f == k);
        assert!(has("received_at"), "{fs:?}");
        assert!(has("children[0].motifs"), "{fs:?}");
        assert!(has("children[0].first_names"), "{fs:?}");
        assert!(has("children[1].birth_date"), "{fs:?}");
        assert_eq!(dossier_count(s).await, before);

        // A jeune majeur needs the confirmation.
        let mut d = full_dossier(&f);
        d.children[1].person.birth = BirthDate::Exact(day("2007-06-01"));
        d.children[1].person.first_names = "Awa".into();
        let err = s
            .save_dossier(now(), &a, &Scope::All, &DossierEdit::create(d.clone()))
            .await
            .unwrap_err();
        assert!(fields(&err)[0].1.contains("jeune majeur"));
        let mut e = DossierEdit::create(d);
        e.confirmed_adult_children = vec![1];
        s.save_dossier(now(), &a, &Scope::All, &e).await.unwrap();

        // An unknown commune (well-formed code, no such commune).
        let mut d = full_dossier(&f);
        d.children[0].address.commune_insee = Some("18999".into());
        let err = s
            .save_dossier(now(), &a, &Scope::All, &DossierEdit::create(d))
            .await
            .unwrap_err();
        let fs = fields(&err);
        assert!(
            fs.iter()
                .any(|(f, m)| f == "children[0].address.commune_insee" && m.contains("18999")),
            "{fs:?}"
        );

        // No child.
        let mut d = full_dossier(&f);
        d.children.clear();
        let err = s
            .save_dossier(now(), &a, &Scope::All, &DossierEdit::create(d))
            .await
            .unwrap_err();
        assert!(fields(&err).iter().any(|(f, _)| f == "children"));

        // A territory outside the agent's scope.
        let scope = Scope::Restricted {
            territories: vec![f.t2],
            services: vec![],
            dossiers: vec![],
        };
        let err = s
            .save_dossier(now(), &a, &scope, &DossierEdit::create(full_dossier(&f)))
            .await
            .unwrap_err();
        assert!(fields(&err).iter().any(|(f, _)| f == "territory_id"));
        db
    })
    .await;
}

#[tokio::test]
async fn status_rules_are_enforced_on_the_saved_dossier_and_nothing_is_written_on_refusal() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::user(agent(s, "agent.a").await, None);
        let id = created(s, &f, &a).await;
        let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        // reçue → qualifiée → en évaluation.
        let mut e = DossierEdit::from_record(&rec);
        e.input.header.status = DossierStatus::Qualifiee;
        s.save_dossier(now(), &a, &Scope::All, &e).await.unwrap();
        let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        let mut e = DossierEdit::from_record(&rec);
        e.input.header.status = DossierStatus::EnEvaluation;
        s.save_dossier(now(), &a, &Scope::All, &e).await.unwrap();
        // → conclue while the unborn child has no conclusion: refused, nothing written.
        let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        let mut e = DossierEdit::from_record(&rec);
        e.input.header.status = DossierStatus::Conclue;
        e.input.header.observation = Some("changée".into());
        let err = s
            .save_dossier(now(), &a, &Scope::All, &e)
            .await
            .unwrap_err();
        let fs = fields(&err);
        assert_eq!(fs[0].0, "status");
        assert!(fs[0].1.contains("conclusion manquante"), "{fs:?}");
        let same = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        assert_eq!(same.header.status, DossierStatus::EnEvaluation);
        assert_eq!(
            same.header.observation.as_deref(),
            Some("Observation de la CRIP")
        );
        // With the conclusion in the same save: accepted.
        e.input.children[1].conclusion = Some(Conclusion {
            conclusion_id: p(&f.cat, ParamKind::Conclusion, "CSS"),
            on: day("2026-11-23"),
            comment: None,
        });
        s.save_dossier(now(), &a, &Scope::All, &e).await.unwrap();
        // → clôturée while the assignment is open: refused.
        let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        let mut e = DossierEdit::from_record(&rec);
        e.input.header.status = DossierStatus::Cloturee;
        let err = s
            .save_dossier(now(), &a, &Scope::All, &e)
            .await
            .unwrap_err();
        assert!(
            fields(&err)[0].1.contains("ni retournée"),
            "{:?}",
            fields(&err)
        );
        // Reopening needs a reason, kept in the history.
        let mut e = DossierEdit::from_record(&rec);
        e.input.header.status = DossierStatus::EnEvaluation;
        let err = s
            .save_dossier(now(), &a, &Scope::All, &e)
            .await
            .unwrap_err();
        assert!(fields(&err)[0].1.contains("motif"));
        e.status_reason = Some("Élément nouveau".into());
        s.save_dossier(now(), &a, &Scope::All, &e).await.unwrap();
        let h = s.dossier_history(now(), &a, &Scope::All, id).await.unwrap();
        assert_eq!(h[0].reason.as_deref(), Some("Élément nouveau"));

        // A new dossier concluded directly needs the qualification's reason.
        let mut d = full_dossier(&f);
        d.header.status = DossierStatus::Conclue;
        d.children[1].conclusion = d.children[0].conclusion.clone();
        let err = s
            .save_dossier(now(), &a, &Scope::All, &DossierEdit::create(d.clone()))
            .await
            .unwrap_err();
        assert!(fields(&err)[0].1.contains("raison de la qualification"));
        let mut e = DossierEdit::create(d);
        e.direct = Some(DirectConclusionCode::AlreadyFollowed);
        s.save_dossier(now(), &a, &Scope::All, &e).await.unwrap();
        db
    })
    .await;
}

#[tokio::test]
async fn children_are_added_removed_and_linked_to_known_persons() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::user(agent(s, "agent.a").await, None);
        let first = created(s, &f, &a).await;
        let known = s.read_dossier(now(), &a, &Scope::All, first).await.unwrap();
        let person = known.children[0].person_id;

        // A second dossier whose child is the same person (the "ancien dossier").
        let mut d = simple(&f, f.t1, "2026-11-20T12:00:00Z", vec![]);
        let mut c = known.children[0].data.clone();
        c.adults.clear();
        c.authors.clear();
        c.person_id = Some(person);
        d.children = vec![c];
        let id = s
            .save_dossier(now(), &a, &Scope::All, &DossierEdit::create(d))
            .await
            .unwrap()
            .id;
        let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        assert_eq!(rec.children[0].person_id, person);
        assert_eq!(rec.children[0].other_dossiers[0].id, Some(first));
        assert!(
            s.audit_page(0, 1000)
                .await
                .unwrap()
                .iter()
                .any(|e| e.action == "personne.liaison" && e.object_id == Some(id))
        );

        // Add a child, then remove it (the removal carries the version seen).
        let mut e = DossierEdit::from_record(&rec);
        e.input
            .children
            .push(child("Petit", "Noé", BirthDate::Exact(day("2024-05-01"))));
        e.children.push(None);
        s.save_dossier(now(), &a, &Scope::All, &e).await.unwrap();
        let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        assert_eq!(rec.children.len(), 2);
        assert_eq!(rec.children[1].data.person.first_names, "Noé");
        let mut e = DossierEdit::from_record(&rec);
        let gone = e.children.pop().unwrap().unwrap();
        e.input.children.pop();
        e.removed_children.push(gone);
        s.save_dossier(now(), &a, &Scope::All, &e).await.unwrap();
        let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        assert_eq!(rec.children.len(), 1);

        // Unlinking gives the child its own person; the earlier dossier keeps its own.
        let mut e = DossierEdit::from_record(&rec);
        e.input.children[0].person_id = None;
        s.save_dossier(now(), &a, &Scope::All, &e).await.unwrap();
        let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        assert_ne!(rec.children[0].person_id, person);
        assert!(rec.children[0].other_dossiers.is_empty());
        assert!(
            s.audit_page(0, 1000)
                .await
                .unwrap()
                .iter()
                .any(|e| e.action == "personne.deliaison")
        );
        db
    })
    .await;
}

#[tokio::test]
async fn outside_the_scope_nothing_is_saved_nor_shown() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::user(agent(s, "agent.a").await, None);
        let id = created(s, &f, &a).await;
        let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        let other = Scope::Restricted {
            territories: vec![f.t2],
            services: vec![],
            dossiers: vec![],
        };
        let mut e = DossierEdit::from_record(&rec);
        e.input.header.observation = Some("intrusion".into());
        assert!(matches!(
            s.save_dossier(now(), &a, &other, &e).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            s.dossier_history(now(), &a, &other, id).await,
            Err(StoreError::NotFound)
        ));
        // A deactivated value already stored is kept on a later save.
        let motif = rec.children[0].data.motif_ids[0];
        s.admin_set_active(now(), &a, Table::Param(ParamKind::Motif), motif, false)
            .await
            .unwrap();
        let mut e = DossierEdit::from_record(&rec);
        e.input.header.observation = Some("ok".into());
        e.children[0] = Some(PartRef {
            touched: true,
            ..e.children[0].unwrap()
        });
        e.input.children[0].comment = Some("modifié".into());
        s.save_dossier(now(), &a, &Scope::All, &e).await.unwrap();
        db
    })
    .await;
}

#[tokio::test]
async fn the_under_two_deadline_is_a_setting() {
    on_both(|db| async move {
        let s = &db.store;
        let a = Actor::system();
        assert_eq!(s.under_two_months().await.unwrap(), None);
        s.set_under_two_months(now(), &a, Some(2)).await.unwrap();
        assert_eq!(s.under_two_months().await.unwrap(), Some(2));
        assert!(s.set_under_two_months(now(), &a, Some(4)).await.is_err());
        s.set_under_two_months(now(), &a, None).await.unwrap();
        assert_eq!(s.under_two_months().await.unwrap(), None);
        db
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_saves_of_the_same_part_never_lose_an_update() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = Actor::user(agent(s, "agent.a").await, None);
        let id = created(s, &f, &a).await;
        let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        let base = DossierEdit::from_record(&rec);
        // Eight agents save the same header from the same version at the same moment.
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = s.clone();
                let mut e = base.clone();
                let a = a.clone();
                e.input.header.observation = Some(format!("saisie {i}"));
                tokio::spawn(
                    async move { (i, store.save_dossier(now(), &a, &Scope::All, &e).await) },
                )
            })
            .collect();
        let mut won = Vec::new();
        for t in tasks {
            let (i, r) = t.await.unwrap();
            match r {
                Ok(_) => won.push(i),
                Err(StoreError::Conflicts(_)) => {}
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!(won.len(), 1, "exactly one save wins: {won:?}");
        let after = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
        assert_eq!(
            after.header.observation.as_deref(),
            Some(format!("saisie {}", won[0]).as_str())
        );
        assert_eq!(after.version, rec.version + 1);
        db
    })
    .await;
}
