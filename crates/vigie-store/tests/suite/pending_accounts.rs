//! The two-person rule for accounts that read dossiers, on SQLite and PostgreSQL: an
//! account created or widened by an administrator waits for another person, a responsable
//! CRIP, to confirm it; meanwhile it has no session.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use vigie_domain::*;
use vigie_store::sessions::SessionPolicy;
use vigie_store::testing::now;
use vigie_store::users::{NewUser, UserInput};
use vigie_store::{Actor, Store, StoreError};

fn input(role: &str, territories: Vec<i64>, service_id: Option<i64>) -> UserInput {
    UserInput {
        display_name: "Camille Martin".into(),
        role: role.into(),
        territories,
        service_id,
    }
}

/// An account created on the command line (the operator): confirmed.
async fn cli_user(s: &Store, login: &str, role: Role, territories: Vec<i64>) -> i64 {
    s.add_user(
        now(),
        &Actor::system(),
        &NewUser {
            login: login.into(),
            display_name: format!("Nom {login}"),
            password_hash: "x".into(),
            role,
            territories,
            service_id: None,
            demo: false,
        },
    )
    .await
    .unwrap()
}

async fn actions_on(s: &Store, id: i64) -> Vec<(String, Option<i64>, Option<String>)> {
    s.audit_page(0, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.object_type.as_deref() == Some("app_user") && e.object_id == Some(id))
        .map(|e| (e.action, e.user_id, e.detail))
        .collect()
}

async fn session(s: &Store, id: i64) -> String {
    s.open_session(now(), id, None, SessionPolicy::default())
        .await
        .unwrap()
}

async fn has_session(s: &Store, token: &str) -> bool {
    s.session_user(now(), token, SessionPolicy::default())
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn an_account_that_reads_dossiers_created_by_an_administrator_waits_for_a_responsable() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let admin_id = cli_user(s, "admin", Role::Administrateur, vec![]).await;
        let resp_id = cli_user(s, "resp", Role::ResponsableCrip, vec![]).await;
        // The command line's accounts are confirmed.
        assert!(!s.is_pending(admin_id).await.unwrap());
        assert!(!s.is_pending(resp_id).await.unwrap());
        let admin = Actor::user(admin_id, Some("192.0.2.1".into()));

        let agent = s
            .create_user(now(), &admin, "c.agent", &input("agent", vec![], None), "x")
            .await
            .unwrap();
        let eval = s
            .create_user(
                now(),
                &admin,
                "c.eval",
                &input("evaluateur", vec![f.t1], Some(f.s1)),
                "x",
            )
            .await
            .unwrap();
        // A role that reads no dossier needs no confirmation.
        let stats = s
            .create_user(
                now(),
                &admin,
                "c.stats",
                &input("statistiques", vec![], None),
                "x",
            )
            .await
            .unwrap();
        assert!(s.is_pending(agent).await.unwrap());
        assert!(s.is_pending(eval).await.unwrap());
        assert!(!s.is_pending(stats).await.unwrap());

        let pending = s.pending_accounts().await.unwrap();
        assert_eq!(
            pending.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![agent, eval]
        );
        let p = &pending[1];
        assert_eq!(
            (p.login.as_str(), p.role),
            ("c.eval", Role::EvaluateurTerritorial)
        );
        assert_eq!((p.since, p.by), (now(), Some(admin_id)));
        assert_eq!(p.by_name, Some(("Nom admin".into(), "admin".into())));
        assert_eq!(p.change, vec!["creation".to_owned()]);
        assert_eq!(
            (p.territories.clone(), p.service_id),
            (vec![f.t1], Some(f.s1))
        );
        let listed = s.list_users().await.unwrap();
        let row = listed.iter().find(|u| u.id == agent).unwrap();
        assert_eq!(row.pending_since, Some(now()));
        assert_eq!(
            s.user_detail(now(), agent)
                .await
                .unwrap()
                .user
                .pending_since,
            Some(now())
        );

        // Audited: the creation and the request, ids and field names only.
        assert_eq!(
            actions_on(s, agent).await,
            vec![
                (
                    "utilisateur.creation".into(),
                    Some(admin_id),
                    Some("role=agent".into())
                ),
                (
                    "utilisateur.confirmation_demandee".into(),
                    Some(admin_id),
                    Some("champs=creation sessions=0".into())
                ),
            ]
        );

        // A session, however it was opened, is not accepted while the account waits.
        let token = session(s, agent).await;
        assert!(!has_session(s, &token).await);

        // The responsable confirms: the account may log in; audited under their name.
        let later = now() + chrono::Duration::minutes(5);
        assert!(
            s.confirm_account(later, &Actor::user(resp_id, None), agent)
                .await
                .unwrap()
        );
        assert!(!s.is_pending(agent).await.unwrap());
        let last = actions_on(s, agent).await.pop().unwrap();
        assert_eq!(
            last,
            (
                "utilisateur.confirmation".into(),
                Some(resp_id),
                Some("champs=creation".into())
            )
        );
        let token = session(s, agent).await;
        assert!(has_session(s, &token).await);
        assert_eq!(
            s.pending_accounts()
                .await
                .unwrap()
                .iter()
                .map(|p| p.id)
                .collect::<Vec<_>>(),
            vec![eval]
        );
        // Twice: nothing more written.
        let n = actions_on(s, agent).await.len();
        assert!(
            !s.confirm_account(later, &Actor::user(resp_id, None), agent)
                .await
                .unwrap()
        );
        assert_eq!(actions_on(s, agent).await.len(), n);
        // An unknown account.
        assert!(matches!(
            s.confirm_account(later, &Actor::user(resp_id, None), 999_999)
                .await,
            Err(StoreError::NotFound)
        ));
        db
    })
    .await;
}

#[tokio::test]
async fn a_change_that_grants_dossier_access_makes_the_account_wait_and_closes_its_sessions() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let admin_id = cli_user(s, "admin", Role::Administrateur, vec![]).await;
        let admin = Actor::user(admin_id, None);
        let eval = cli_user(s, "eval", Role::EvaluateurTerritorial, vec![f.t1]).await;
        let stats = cli_user(s, "stats", Role::LecteurStatistiques, vec![]).await;
        let token = session(s, eval).await;
        let version = |id| async move { s.user_detail(now(), id).await.unwrap().version };

        // A new name, a territory taken away: nothing granted, nothing to confirm.
        let mut i = input("evaluateur", vec![f.t1], None);
        s.update_user(now(), &admin, eval, version(eval).await, &i)
            .await
            .unwrap();
        assert!(!s.is_pending(eval).await.unwrap());
        assert!(has_session(s, &token).await);

        // A new territory: pending, its session closed in the same transaction.
        i.territories = vec![f.t1, f.t2];
        let changed = s
            .update_user(now(), &admin, eval, version(eval).await, &i)
            .await
            .unwrap();
        assert_eq!(changed, vec!["territories"]);
        assert!(s.is_pending(eval).await.unwrap());
        assert!(!has_session(s, &token).await);
        assert_eq!(
            actions_on(s, eval).await.pop().unwrap(),
            (
                "utilisateur.confirmation_demandee".into(),
                Some(admin_id),
                Some("champs=territories sessions=1".into())
            )
        );
        // A second change while pending: the fields add up, the first date stays.
        i.service_id = Some(f.s2);
        let t2 = now() + chrono::Duration::hours(1);
        s.update_user(t2, &admin, eval, version(eval).await, &i)
            .await
            .unwrap();
        let p = s.pending_accounts().await.unwrap().remove(0);
        assert_eq!(
            p.change,
            vec!["territories".to_owned(), "service".to_owned()]
        );
        assert_eq!(p.since, now());

        // A role that reads dossiers given to a statistics reader.
        s.update_user(
            now(),
            &admin,
            stats,
            version(stats).await,
            &input("agent", vec![], None),
        )
        .await
        .unwrap();
        let p = s.pending_accounts().await.unwrap();
        assert_eq!(
            p.iter().find(|p| p.id == stats).unwrap().change,
            vec!["role".to_owned()]
        );
        db
    })
    .await;
}

#[tokio::test]
async fn the_confirmer_is_another_person_and_a_responsable() {
    on_both(|db| async move {
        let s = &db.store;
        let resp_a = cli_user(s, "resp.a", Role::ResponsableCrip, vec![]).await;
        let resp_b = cli_user(s, "resp.b", Role::ResponsableCrip, vec![]).await;
        let agent = cli_user(s, "agent", Role::AgentCrip, vec![]).await;
        // A request made by a responsable (the store does not check the asker's role: the web does).
        let id = s
            .create_user(
                now(),
                &Actor::user(resp_a, None),
                "c.resp",
                &input("responsable", vec![], None),
                "x",
            )
            .await
            .unwrap();
        let refused = |r: Result<bool, StoreError>, words: &str| match r {
            Err(StoreError::Invalid(DomainError::Rule(m))) => {
                assert!(m.contains(words), "{m}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        };
        refused(
            s.confirm_account(now(), &Actor::user(resp_a, None), id)
                .await,
            "Vous avez vous-même demandé ce changement",
        );
        let last = actions_on(s, id).await.pop().unwrap();
        assert_eq!(
            last,
            (
                "utilisateur.confirmation_refusee".into(),
                Some(resp_a),
                Some("motif=meme_personne".into())
            )
        );
        refused(
            s.confirm_account(now(), &Actor::user(agent, None), id)
                .await,
            "Seul un responsable CRIP",
        );
        refused(
            s.confirm_account(now(), &Actor::user(id, None), id).await,
            "votre propre compte",
        );
        assert!(s.is_pending(id).await.unwrap());
        // Another responsable may.
        assert!(
            s.confirm_account(now(), &Actor::user(resp_b, None), id)
                .await
                .unwrap()
        );
        assert!(!s.is_pending(id).await.unwrap());
        db
    })
    .await;
}

/// An administrator who resets the password or the second factor of a confirmed account
/// that reads dossiers, or re-enables it, could log in with it: it waits again; an account
/// without dossier access (statistics) does not.
#[tokio::test]
async fn a_reset_or_a_reactivation_by_an_administrator_waits_for_a_responsable_too() {
    on_both(|db| async move {
        let s = &db.store;
        let admin_id = cli_user(s, "admin", Role::Administrateur, vec![]).await;
        let resp_id = cli_user(s, "resp", Role::ResponsableCrip, vec![]).await;
        let agent = cli_user(s, "agent", Role::AgentCrip, vec![]).await;
        let stats = cli_user(s, "stats", Role::LecteurStatistiques, vec![]).await;
        let admin = Actor::user(admin_id, None);
        let resp = Actor::user(resp_id, None);
        for (what, step) in [
            ("mot de passe", 0),
            ("second facteur", 1),
            ("réactivation", 2),
        ] {
            let token = session(s, agent).await;
            match step {
                0 => s.reset_password(now(), &admin, agent, "x").await.unwrap(),
                1 => s.reset_second_factor(now(), &admin, agent).await.unwrap(),
                _ => {
                    s.set_user_active(now(), &admin, agent, false)
                        .await
                        .unwrap();
                    s.set_user_active(now(), &admin, agent, true).await.unwrap();
                }
            }
            assert!(s.is_pending(agent).await.unwrap(), "{what}");
            assert!(!has_session(s, &token).await, "{what}: sessions closed");
            s.confirm_account(now(), &resp, agent).await.unwrap();
            assert!(!s.is_pending(agent).await.unwrap(), "{what}");
        }
        s.reset_password(now(), &admin, stats, "x").await.unwrap();
        assert!(!s.is_pending(stats).await.unwrap());
        db
    })
    .await;
}
