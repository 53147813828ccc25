//! User administration and accès exceptionnels (break-glass), on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use chrono::Duration;
use vigie_domain::*;
use vigie_store::sessions::SessionPolicy;
use vigie_store::testing::now;
use vigie_store::users::{UserInput, temporary_password};
use vigie_store::{Actor, Store, StoreError};

fn input(role: &str, territories: Vec<i64>, service_id: Option<i64>) -> UserInput {
    UserInput {
        display_name: "Camille Évaluatrice".into(),
        role: role.into(),
        territories,
        service_id,
    }
}

fn fields(e: &StoreError) -> Vec<String> {
    match e {
        StoreError::Invalid(d) => d.fields().iter().map(|f| f.field.clone()).collect(),
        other => panic!("not a field error: {other:?}"),
    }
}

/// An administrator account (the actor of the administration).
async fn admin(s: &Store) -> Actor {
    let id = s
        .create_user(
            now(),
            &Actor::system(),
            "admin",
            &input("administrateur", vec![], None),
            "x",
        )
        .await
        .unwrap();
    Actor::user(id, Some("192.0.2.1".into()))
}

fn kids() -> Vec<ChildInput> {
    vec![child("Martin", "Léa", BirthDate::Unknown)]
}

async fn last_action(s: &Store) -> vigie_store::audit::Entry {
    s.audit_tail(1).await.unwrap().remove(0)
}

async fn user_count(s: &Store) -> usize {
    s.list_users().await.unwrap().len()
}

#[tokio::test]
async fn an_administrator_creates_a_user_with_a_temporary_password_and_forged_fields_are_refused() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = admin(s).await;
        let pw = temporary_password();
        let id = s
            .create_user(
                now(),
                &a,
                "c.eval",
                &input("evaluateur", vec![f.t1, f.t1], Some(f.s1)),
                &vigie_store::password::hash(&pw),
            )
            .await
            .unwrap();
        let d = s.user_detail(now(), id).await.unwrap();
        assert_eq!(d.user.login, "c.eval");
        assert_eq!(d.user.role, Role::EvaluateurTerritorial);
        assert_eq!(d.user.territories, vec![f.t1], "deduplicated");
        assert_eq!(d.user.service_id, Some(f.s1));
        assert!(d.user.active && d.user.must_change_password && !d.user.totp_enabled);
        assert_eq!((d.version, d.active_sessions, d.last_login), (1, 0, None));
        // An account that reads dossiers waits for a responsable (see tests/suite/pending_accounts.rs).
        assert_eq!(d.user.pending_since, Some(now()));
        let mut tail = s.audit_tail(2).await.unwrap();
        assert_eq!(tail[0].action, "utilisateur.confirmation_demandee");
        let e = tail.remove(1);
        assert_eq!(e.action, "utilisateur.creation");
        assert_eq!(e.user_id, a.user_id);
        assert_eq!(e.object_id, Some(id));
        assert_eq!(e.detail.as_deref(), Some("role=evaluateur"));
        let (hid, hash) = s.login_hash("c.eval").await.unwrap().unwrap();
        assert_eq!(hid, id);
        assert!(vigie_store::password::verify(&pw, &hash));

        // Forged fields: nothing written, a French message naming the field, an audit entry.
        db.raw("UPDATE territory SET active = FALSE WHERE code = 'T2'")
            .await
            .unwrap();
        let before = user_count(s).await;
        for (login, inp, field, words) in [
            (
                "x.role",
                input("root", vec![], None),
                "role",
                "rôle n'existe pas",
            ),
            (
                "x.terr",
                input("evaluateur", vec![f.t1, 999_999], None),
                "territories",
                "territoire n° 999999 n'existe pas",
            ),
            (
                "x.inactive",
                input("evaluateur", vec![f.t2], None),
                "territories",
                "« MDS Vierzon » est désactivé",
            ),
            (
                "x.serv",
                input("evaluateur", vec![f.t1], Some(888_888)),
                "service",
                "service n° 888888 n'existe pas",
            ),
            (
                "x.none",
                input("evaluateur", vec![], None),
                "territories",
                "au moins un territoire ou un service",
            ),
            (
                "X Majuscule",
                input("agent", vec![], None),
                "login",
                "minuscules",
            ),
        ] {
            let err = s
                .create_user(now(), &a, login, &inp, "x")
                .await
                .unwrap_err();
            assert_eq!(fields(&err), vec![field.to_owned()], "{login}");
            assert!(err.to_string().contains(words), "{login}: {err}");
            let e = last_action(s).await;
            assert_eq!(e.action, "utilisateur.creation_refusee", "{login}");
            assert_eq!(e.detail, Some(format!("champs={field}")), "{login}");
            assert_eq!(e.user_id, a.user_id);
            assert!(
                !e.detail.unwrap().contains("999"),
                "no typed value in the trail"
            );
        }
        assert_eq!(user_count(s).await, before, "nothing written");
        let err = s
            .create_user(now(), &a, "c.eval", &input("agent", vec![], None), "x")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Duplicate("login", _)), "{err:?}");
        assert_eq!(last_action(s).await.detail.as_deref(), Some("champs=login"));
        assert_eq!(user_count(s).await, before);
        assert!(s.verify_audit().await.unwrap().broken.is_none());
        db
    })
    .await;
}

#[tokio::test]
async fn editing_a_user_checks_every_field_the_version_and_takes_effect_on_the_next_request() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = admin(s).await;
        let id = s
            .create_user(
                now(),
                &a,
                "agent.b",
                &input("agent", vec![], None),
                &vigie_store::password::hash("mot de passe de test"),
            )
            .await
            .unwrap();
        // Confirmed (the two-person rule: see tests/suite/pending_accounts.rs).
        assert!(
            s.confirm_account(now(), &Actor::system(), id)
                .await
                .unwrap()
        );
        let policy = SessionPolicy::default();
        let token = s.open_session(now(), id, None, policy).await.unwrap();
        let su = s
            .session_user(now(), &token, policy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(su.scope(), Scope::All);

        // Demoted to evaluator of T1: the same session sees the new role at once.
        let changed = s
            .update_user(now(), &a, id, 1, &input("evaluateur", vec![f.t1], None))
            .await
            .unwrap();
        assert_eq!(changed, vec!["role", "territories"]);
        let e = last_action(s).await;
        assert_eq!(e.action, "utilisateur.modification");
        assert_eq!(e.detail.as_deref(), Some("champs=role,territories"));
        let su = s
            .session_user(now(), &token, policy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(su.role, Role::EvaluateurTerritorial);
        assert_eq!(su.scope(), Scope::for_user(su.role, &[f.t1], None));
        let d = s.user_detail(now(), id).await.unwrap();
        assert_eq!(d.version, 2);
        assert_eq!(d.active_sessions, 1);

        // A stale form: refused, nothing written.
        let err = s
            .update_user(now(), &a, id, 1, &input("agent", vec![], None))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Stale(m) if m.contains("modifié entre-temps")),
            "{err:?}"
        );
        assert_eq!(
            s.user_detail(now(), id).await.unwrap().user.role,
            Role::EvaluateurTerritorial
        );

        // The same values: nothing to write, no version change.
        assert!(
            s.update_user(now(), &a, id, 2, &input("evaluateur", vec![f.t1], None))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(s.user_detail(now(), id).await.unwrap().version, 2);

        // Forged values: every refused field at once, nothing written, the attempt audited.
        let err = s
            .update_user(
                now(),
                &a,
                id,
                2,
                &UserInput {
                    display_name: " ".into(),
                    role: "superadmin".into(),
                    territories: vec![f.t1, 424_242],
                    service_id: Some(434_343),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            fields(&err),
            vec!["display_name", "role", "territories", "service"]
        );
        let e = last_action(s).await;
        assert_eq!(e.action, "utilisateur.modification_refusee");
        assert_eq!(e.object_id, Some(id));
        assert_eq!(
            e.detail.as_deref(),
            Some("champs=display_name,role,territories,service")
        );
        let d = s.user_detail(now(), id).await.unwrap();
        assert_eq!(
            (d.version, d.user.territories.clone(), d.user.service_id),
            (2, vec![f.t1], None)
        );

        // A territory deactivated since it was given stays acceptable; a new one does not.
        db.raw("UPDATE territory SET active = FALSE WHERE code = 'T1'")
            .await
            .unwrap();
        let changed = s
            .update_user(
                now(),
                &a,
                id,
                2,
                &input("evaluateur", vec![f.t1], Some(f.s2)),
            )
            .await
            .unwrap();
        assert_eq!(changed, vec!["service"]);
        // A new service for an evaluator: the account waits for a responsable again.
        assert!(s.is_pending(id).await.unwrap());
        db.raw("UPDATE territory SET active = FALSE WHERE code = 'T2'")
            .await
            .unwrap();
        let err = s
            .update_user(
                now(),
                &a,
                id,
                3,
                &input("evaluateur", vec![f.t1, f.t2], Some(f.s2)),
            )
            .await
            .unwrap_err();
        assert_eq!(fields(&err), vec!["territories"]);

        // An administrator cannot demote themselves.
        let me = a.user_id.unwrap();
        let err = s
            .update_user(now(), &a, me, 1, &input("responsable", vec![], None))
            .await
            .unwrap_err();
        assert_eq!(fields(&err), vec!["role"]);
        assert!(err.to_string().contains("propre rôle"), "{err}");
        assert_eq!(
            s.user_detail(now(), me).await.unwrap().user.role,
            Role::Administrateur
        );
        // Unknown user.
        assert!(matches!(
            s.update_user(now(), &a, 987_654, 1, &input("agent", vec![], None))
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(s.verify_audit().await.unwrap().broken.is_none());
        db
    })
    .await;
}

#[tokio::test]
async fn disabling_resetting_and_ending_sessions_take_effect_at_once() {
    on_both(|db| async move {
        let s = &db.store;
        let _f = fixture(s).await;
        let a = admin(s).await;
        let id = s
            .create_user(now(), &a, "agent.c", &input("agent", vec![], None), "x")
            .await
            .unwrap();
        let policy = SessionPolicy::default();
        let t1 = s.open_session(now(), id, None, policy).await.unwrap();
        let t2 = s.open_session(now(), id, None, policy).await.unwrap();

        // Disabling ends every session in the same transaction.
        assert!(s.set_user_active(now(), &a, id, false).await.unwrap());
        assert_eq!(last_action(s).await.action, "utilisateur.desactivation");
        for t in [&t1, &t2] {
            assert!(s.session_user(now(), t, policy).await.unwrap().is_none());
        }
        let d = s.user_detail(now(), id).await.unwrap();
        assert!(!d.user.active);
        assert_eq!(d.active_sessions, 0);
        assert!(s.login_hash("agent.c").await.unwrap().is_none());
        // Twice: nothing more happens.
        assert!(!s.set_user_active(now(), &a, id, false).await.unwrap());
        assert!(s.set_user_active(now(), &a, id, true).await.unwrap());
        assert_eq!(last_action(s).await.action, "utilisateur.reactivation");
        assert!(s.login_hash("agent.c").await.unwrap().is_some());
        // An administrator cannot disable their own account.
        let err = s
            .set_user_active(now(), &a, a.user_id.unwrap(), false)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("propre compte"), "{err}");
        assert!(s.user_detail(now(), a.user_id.unwrap()).await.unwrap().user.active);

        // Password reset: a new hash, to change at next login, every session ended.
        db.raw(&format!(
            "UPDATE app_user SET must_change_password = FALSE WHERE id = {id}"
        ))
        .await
        .unwrap();
        let t3 = s.open_session(now(), id, None, policy).await.unwrap();
        let pw = temporary_password();
        s.reset_password(now(), &a, id, &vigie_store::password::hash(&pw))
            .await
            .unwrap();
        assert_eq!(
            last_action(s).await.action,
            "utilisateur.mot_de_passe_reinitialise"
        );
        assert!(s.session_user(now(), &t3, policy).await.unwrap().is_none());
        let (_, hash) = s.login_hash("agent.c").await.unwrap().unwrap();
        assert!(vigie_store::password::verify(&pw, &hash));
        assert!(s.user_detail(now(), id).await.unwrap().user.must_change_password);

        // Second factor reset: secret and recovery codes gone, sessions ended.
        db.raw(&format!(
            "UPDATE app_user SET totp_secret = 'JBSWY3DPEHPK3PXP', totp_enabled_at = created_at, totp_last_step = 5 WHERE id = {id}"
        ))
        .await
        .unwrap();
        db.raw(&format!(
            "INSERT INTO recovery_code (user_id, code_hash, created_at) SELECT id, 'h', created_at FROM app_user WHERE id = {id}"
        ))
        .await
        .unwrap();
        assert!(s.user_detail(now(), id).await.unwrap().user.totp_enabled);
        assert_eq!(s.recovery_codes_left(id).await.unwrap(), 1);
        let t4 = s.open_session(now(), id, None, policy).await.unwrap();
        s.reset_second_factor(now(), &a, id).await.unwrap();
        assert_eq!(
            last_action(s).await.action,
            "utilisateur.second_facteur_reinitialise"
        );
        assert!(!s.user_detail(now(), id).await.unwrap().user.totp_enabled);
        assert_eq!(s.recovery_codes_left(id).await.unwrap(), 0);
        assert!(s.session_user(now(), &t4, policy).await.unwrap().is_none());

        // Ending sessions.
        let _ = s.open_session(now(), id, None, policy).await.unwrap();
        let t6 = s.open_session(now(), id, None, policy).await.unwrap();
        assert_eq!(s.user_detail(now(), id).await.unwrap().active_sessions, 2);
        let d = s.user_detail(now(), id).await.unwrap();
        assert_eq!(d.last_login, Some(now()), "the login is in the trail");
        assert_eq!(s.end_user_sessions(now(), &a, id).await.unwrap(), 2);
        let e = last_action(s).await;
        assert_eq!(
            (e.action.as_str(), e.detail.as_deref()),
            ("utilisateur.sessions_fermees", Some("sessions=2"))
        );
        assert!(s.session_user(now(), &t6, policy).await.unwrap().is_none());
        for r in [
            s.reset_password(now(), &a, 987_654, "x").await,
            s.reset_second_factor(now(), &a, 987_654).await,
            s.end_user_sessions(now(), &a, 987_654).await.map(|_| ()),
        ] {
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
        // The command line's disable, by login, is the same operation.
        let t7 = s.open_session(now(), id, None, policy).await.unwrap();
        s.disable_user(now(), &Actor::system(), "agent.c")
            .await
            .unwrap();
        assert!(s.session_user(now(), &t7, policy).await.unwrap().is_none());
        assert!(s.verify_audit().await.unwrap().broken.is_none());
        db
    })
    .await;
}

#[tokio::test]
async fn break_glass_opens_one_dossier_for_a_limited_time_and_is_listed() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = admin(s).await;
        let sys = Actor::system();
        let (in_t1, _) = s
            .create_dossier(
                now(),
                &sys,
                &simple(&f, f.t1, "2026-11-20T09:00:00Z", kids()),
            )
            .await
            .unwrap();
        let (in_t2, number_t2) = s
            .create_dossier(
                now(),
                &sys,
                &simple(&f, f.t2, "2026-11-21T09:00:00Z", kids()),
            )
            .await
            .unwrap();
        let (other_t2, _) = s
            .create_dossier(
                now(),
                &sys,
                &simple(&f, f.t2, "2026-11-22T09:00:00Z", kids()),
            )
            .await
            .unwrap();
        let role = Role::EvaluateurTerritorial;
        let eval_id = s
            .create_user(
                now(),
                &a,
                "eval",
                &input("evaluateur", vec![f.t1], None),
                "x",
            )
            .await
            .unwrap();
        let eval = Actor::user(eval_id, None);
        let scope_at = |t| async move {
            Scope::for_user(role, &[f.t1], None)
                .with_grants(role, &s.active_break_glass(eval_id, t).await.unwrap())
        };
        assert!(
            s.read_dossier(now(), &eval, &scope_at(now()).await, in_t1)
                .await
                .is_ok()
        );
        assert!(matches!(
            s.read_dossier(now(), &eval, &scope_at(now()).await, in_t2)
                .await,
            Err(StoreError::NotFound)
        ));

        // The reason comes first: a missing one reveals nothing, even for a dossier that does not exist.
        let audit_before = s.audit_tail(1).await.unwrap()[0].seq;
        for (d, r) in [(in_t2, ""), (in_t2, "   court  "), (999_999, " ")] {
            let err = s.grant_break_glass(now(), &eval, d, r).await.unwrap_err();
            assert_eq!(fields(&err), vec!["reason"], "{d} {r:?}");
            assert!(err.to_string().contains("Motif de l'accès exceptionnel"));
        }
        assert_eq!(
            s.audit_tail(1).await.unwrap()[0].seq,
            audit_before,
            "nothing written"
        );
        let reason = "Appel du juge des enfants : audience en urgence.";
        assert!(matches!(
            s.grant_break_glass(now(), &eval, 999_999, reason).await,
            Err(StoreError::NotFound)
        ));
        assert!(
            s.active_break_glass(eval_id, now())
                .await
                .unwrap()
                .is_empty()
        );

        let g = s
            .grant_break_glass(now(), &eval, in_t2, reason)
            .await
            .unwrap();
        assert_eq!(g.dossier_id, in_t2);
        assert_eq!(g.expires_at, now() + Duration::hours(24));
        let e = last_action(s).await;
        assert_eq!(e.action, "dossier.acces_exceptionnel");
        assert_eq!((e.user_id, e.object_id), (Some(eval_id), Some(in_t2)));
        assert_eq!(e.detail, Some(format!("acces={} heures=24", g.id)));
        assert!(
            !e.detail.unwrap().contains("juge"),
            "the reason stays out of the trail"
        );

        // Granted: the dossier reads (and appears in the list); the other one still does not.
        let later = now() + Duration::hours(23);
        let scope = scope_at(later).await;
        assert!(s.read_dossier(later, &eval, &scope, in_t2).await.is_ok());
        assert!(matches!(
            s.read_dossier(later, &eval, &scope, other_t2).await,
            Err(StoreError::NotFound)
        ));
        let listed: Vec<i64> = s
            .list_dossiers(&scope, &Default::default(), None, 50)
            .await
            .unwrap()
            .rows
            .iter()
            .map(|r| r.id)
            .collect();
        assert!(listed.contains(&in_t2) && listed.contains(&in_t1) && !listed.contains(&other_t2));

        // Expired: not found again.
        let after = now() + Duration::hours(24);
        assert!(
            s.active_break_glass(eval_id, after)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            s.read_dossier(after, &eval, &scope_at(after).await, in_t2)
                .await,
            Err(StoreError::NotFound)
        ));

        // The duration is a setting.
        db.raw("INSERT INTO setting (key, value) VALUES ('acces_exceptionnel_heures', '4')")
            .await
            .unwrap();
        assert_eq!(s.break_glass_hours().await.unwrap(), 4);
        let g2 = s
            .grant_break_glass(
                after,
                &eval,
                other_t2,
                "Suivi d'une fratrie connue du service.",
            )
            .await
            .unwrap();
        assert_eq!(g2.expires_at, after + Duration::hours(4));

        // Roles without dossier access can never get one (audited); roles reaching all need none.
        let stats_id = s
            .create_user(
                now(),
                &a,
                "stats",
                &input("statistiques", vec![f.t2], None),
                "x",
            )
            .await
            .unwrap();
        for actor in [a.clone(), Actor::user(stats_id, None)] {
            let err = s
                .grant_break_glass(now(), &actor, in_t2, reason)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("aucun dossier"), "{err}");
            let e = last_action(s).await;
            assert_eq!(e.action, "dossier.acces_exceptionnel_refuse");
            assert_eq!(e.user_id, actor.user_id);
            assert!(
                s.active_break_glass(actor.user_id.unwrap(), now())
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
        let agent_id = s
            .create_user(now(), &a, "agent", &input("agent", vec![], None), "x")
            .await
            .unwrap();
        let err = s
            .grant_break_glass(now(), &Actor::user(agent_id, None), in_t2, reason)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("déjà accès"), "{err}");
        // An administrator's scope stays empty whatever grants exist.
        assert_eq!(
            Scope::for_user(Role::Administrateur, &[], None)
                .with_grants(Role::Administrateur, &[in_t2]),
            Scope::Nothing
        );

        // The list for the responsable CRIP: newest first, within the period.
        let list = s
            .list_break_glass(now() - Duration::days(1), after + Duration::days(1))
            .await
            .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].dossier_id, other_t2);
        assert_eq!(list[1].id, g.id);
        assert_eq!(list[1].user_login, "eval");
        assert_eq!(list[1].user_name, "Camille Évaluatrice");
        assert_eq!(list[1].dossier_number, number_t2.to_string());
        assert_eq!(list[1].reason, reason);
        assert_eq!(
            (list[1].granted_at, list[1].expires_at),
            (now(), now() + Duration::hours(24))
        );
        assert_eq!(
            s.list_break_glass(now() + Duration::hours(1), after)
                .await
                .unwrap()
                .len(),
            0
        );
        assert!(s.verify_audit().await.unwrap().broken.is_none());
        db
    })
    .await;
}
