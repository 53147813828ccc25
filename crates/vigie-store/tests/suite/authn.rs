//! Throttling counters and the TOTP factor in the store, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, on_both};
use chrono::Duration;
use vigie_store::authn::{Throttle, totp_code};
use vigie_store::testing::now;

#[tokio::test]
async fn account_delays_double_and_the_address_limit_applies() {
    on_both(|db| async move {
        let s = &db.store;
        let key = s.login_key("Agent ").await.unwrap();
        assert_eq!(
            key,
            s.login_key("agent").await.unwrap(),
            "case and spaces ignored"
        );
        assert!(!key.contains("agent"));
        let t0 = now();
        // Four failures: no delay.
        for i in 0..4 {
            s.record_failed_attempt(
                t0 + Duration::seconds(i),
                "connexion.echec",
                &key,
                None,
                Some("192.0.2.1".into()),
            )
            .await
            .unwrap();
        }
        assert_eq!(
            s.throttle(t0 + Duration::seconds(4), &key, None)
                .await
                .unwrap(),
            Throttle::Allowed
        );
        // Fifth failure at t0+4: 1 s to wait, then allowed.
        s.record_failed_attempt(
            t0 + Duration::seconds(4),
            "connexion.echec",
            &key,
            None,
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            s.throttle(t0 + Duration::milliseconds(4500), &key, None)
                .await
                .unwrap(),
            Throttle::Wait(Duration::milliseconds(500))
        );
        assert_eq!(
            s.throttle(t0 + Duration::seconds(5), &key, None)
                .await
                .unwrap(),
            Throttle::Allowed
        );
        // Sixth at t0+5: 2 s; seventh at t0+7: 4 s.
        s.record_failed_attempt(
            t0 + Duration::seconds(5),
            "connexion.echec",
            &key,
            None,
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            s.throttle(t0 + Duration::seconds(6), &key, None)
                .await
                .unwrap(),
            Throttle::Wait(Duration::seconds(1))
        );
        s.record_failed_attempt(
            t0 + Duration::seconds(7),
            "connexion.echec",
            &key,
            None,
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            s.throttle(t0 + Duration::seconds(7), &key, None)
                .await
                .unwrap(),
            Throttle::Wait(Duration::seconds(4))
        );
        // Another login is not affected; the window is 15 minutes.
        let other = s.login_key("autre").await.unwrap();
        assert_eq!(
            s.throttle(t0 + Duration::seconds(7), &other, None)
                .await
                .unwrap(),
            Throttle::Allowed
        );
        assert_eq!(
            s.throttle(t0 + Duration::minutes(16), &key, None)
                .await
                .unwrap(),
            Throttle::Allowed
        );
        // The delay never exceeds 15 minutes.
        for i in 0..30 {
            s.record_failed_attempt(
                t0 + Duration::seconds(10 + i),
                "connexion.echec",
                &key,
                None,
                None,
            )
            .await
            .unwrap();
        }
        assert_eq!(
            s.throttle(t0 + Duration::seconds(39), &key, None)
                .await
                .unwrap(),
            Throttle::Wait(Duration::seconds(900))
        );
        // 100 failures from one address within the hour block it, whatever the login.
        for i in 0..96 {
            let k = format!("k{i}");
            s.record_failed_attempt(
                t0 + Duration::seconds(i),
                "connexion.echec",
                &k,
                None,
                Some("192.0.2.1".into()),
            )
            .await
            .unwrap();
        }
        let ip = Some("192.0.2.1");
        assert_eq!(
            s.throttle(t0 + Duration::minutes(30), &other, ip)
                .await
                .unwrap(),
            Throttle::AddressBlocked
        );
        assert_eq!(
            s.throttle(t0 + Duration::minutes(30), &other, Some("192.0.2.2"))
                .await
                .unwrap(),
            Throttle::Allowed
        );
        assert_eq!(
            s.throttle(t0 + Duration::minutes(61), &other, ip)
                .await
                .unwrap(),
            Throttle::Allowed
        );
        // Each failure is in the audit trail, an unknown login only as a keyed hash.
        let trail = s.audit_page(0, 10_000).await.unwrap();
        let fails = trail
            .iter()
            .filter(|e| e.action == "connexion.echec")
            .count();
        assert_eq!(fails, 4 + 1 + 2 + 30 + 96);
        assert!(
            trail
                .iter()
                .all(|e| !e.detail.clone().unwrap_or_default().contains("agent"))
        );
        db
    })
    .await;
}

#[test]
fn totp_codes_change_every_thirty_seconds() {
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let t = now();
    let a = totp_code(secret, t).unwrap();
    assert_eq!(a.len(), 6);
    assert_eq!(a, totp_code(secret, t + Duration::seconds(0)).unwrap());
    assert_ne!(a, totp_code(secret, t + Duration::seconds(30)).unwrap());
}

/// Parallel wrong codes on one session are counted one after the other: the throttle is
/// read again inside each attempt's transaction, under the user's row lock.
#[tokio::test]
async fn parallel_second_factor_guesses_are_throttled_one_after_the_other() {
    use vigie_store::authn::{Attempt, SecondFactor};
    use vigie_store::sessions::SessionPolicy;
    on_both(|db| async move {
        let s = &db.store;
        let uid = common::agent(s, "cible").await;
        let t = now();
        s.testing_enrol_totp(uid, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", t)
            .await
            .unwrap();
        let policy = SessionPolicy::default();
        let token = s
            .open_session_stage(t, uid, None, policy, false)
            .await
            .unwrap();
        let sid = s
            .session_user(t, &token, policy)
            .await
            .unwrap()
            .unwrap()
            .session_id;
        let key = s.login_key("cible").await.unwrap();
        let good = totp_code("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", t).unwrap();
        let wrong = if good == "000000" { "111111" } else { "000000" };
        let attempts = (0..12).map(|_| {
            let (s, sid, key) = (s.clone(), sid.clone(), key.clone());
            tokio::spawn(async move {
                s.complete_second_factor(
                    t,
                    &sid,
                    uid,
                    &key,
                    &SecondFactor::Totp(wrong.to_owned()),
                    None,
                    policy,
                )
                .await
                .unwrap()
            })
        });
        let mut invalid = 0;
        let mut throttled = 0;
        for a in attempts.collect::<Vec<_>>() {
            match a.await.unwrap() {
                Attempt::Invalid => invalid += 1,
                Attempt::Throttled(_) => throttled += 1,
                Attempt::Passed(_) => panic!("a wrong code passed"),
            }
        }
        assert_eq!(
            (invalid, throttled),
            (5, 7),
            "five evaluated, then the delay"
        );
        // Even the right code waits now.
        let r = s
            .complete_second_factor(t, &sid, uid, &key, &SecondFactor::Totp(good), None, policy)
            .await
            .unwrap();
        assert!(matches!(r, Attempt::Throttled(_)), "{r:?}");
        db
    })
    .await;
}

/// Password attempts are counted (reserved) in the transaction that reads the throttle,
/// before the password is checked: parallel reservations on one login, or from one address,
/// take the free slots one after the other; a right password gives its slot back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_reservations_take_the_free_slots_one_after_the_other() {
    on_both(|db| async move {
        let s = &db.store;
        let t = now();
        let key = s.login_key("cible").await.unwrap();
        let reserve_all = |keys: Vec<String>, ip: &'static str| {
            let tasks: Vec<_> = keys
                .into_iter()
                .map(|k| {
                    let s = s.clone();
                    tokio::spawn(async move { s.reserve_attempt(t, &k, Some(ip)).await.unwrap() })
                })
                .collect();
            async move {
                let mut out = Vec::new();
                for task in tasks {
                    out.push(task.await.unwrap());
                }
                out
            }
        };
        let one_login = reserve_all(vec![key.clone(); 30], "192.0.2.5").await;
        let (mut slots, refusals): (Vec<_>, Vec<_>) =
            one_login.into_iter().partition(Result::is_ok);
        assert_eq!((slots.len(), refusals.len()), (5, 25), "{}", db.backend);
        assert!(refusals.iter().all(|r| matches!(r, Err(Throttle::Wait(_)))));
        // A right password gives its slot back; a wrong one keeps it and is audited.
        s.release_attempt(slots.pop().unwrap().unwrap())
            .await
            .unwrap();
        assert_eq!(s.throttle(t, &key, None).await.unwrap(), Throttle::Allowed);
        let again = s.reserve_attempt(t, &key, None).await.unwrap().unwrap();
        s.reserved_attempt_failed(t, again, "connexion.echec", &key, None, None)
            .await
            .unwrap();
        assert!(matches!(
            s.reserve_attempt(t, &key, None).await.unwrap(),
            Err(Throttle::Wait(_))
        ));
        let trail = s.audit_page(0, 1000).await.unwrap();
        assert_eq!(
            trail
                .iter()
                .filter(|e| e.action == "connexion.echec")
                .count(),
            1
        );

        // 110 different logins at once from one address: 100 attempts, then the address waits.
        let keys = (0..110).map(|i| format!("cle-{i}")).collect();
        let one_address = reserve_all(keys, "192.0.2.6").await;
        let slots = one_address.iter().filter(|r| r.is_ok()).count();
        let blocked = one_address
            .iter()
            .filter(|r| matches!(r, Err(Throttle::AddressBlocked)))
            .count();
        assert_eq!((slots, blocked), (100, 10), "{}", db.backend);
        db
    })
    .await;
}

/// Two pending enrolments of one user (two sessions): the second cannot replace the factor
/// the first confirmed.
#[tokio::test]
async fn a_second_enrolment_cannot_replace_a_confirmed_factor() {
    use vigie_store::sessions::SessionPolicy;
    on_both(|db| async move {
        let s = &db.store;
        let uid = common::agent(s, "double").await;
        let t = now();
        let policy = SessionPolicy::default();
        let mut sessions = Vec::new();
        for _ in 0..2 {
            let token = s
                .open_session_stage(t, uid, None, policy, false)
                .await
                .unwrap();
            let sid = s
                .session_user(t, &token, policy)
                .await
                .unwrap()
                .unwrap()
                .session_id;
            let secret = s
                .totp_enrolment(&sid, "double")
                .await
                .unwrap()
                .secret_base32;
            sessions.push((sid, secret));
        }
        assert_ne!(
            sessions[0].1, sessions[1].1,
            "each session has its own pending secret"
        );
        let (sid, secret) = &sessions[0];
        let first = s
            .confirm_totp(t, sid, &totp_code(secret, t).unwrap(), None, policy)
            .await
            .unwrap();
        assert!(first.is_some());
        let (sid2, secret2) = &sessions[1];
        let second = s
            .confirm_totp(t, sid2, &totp_code(secret2, t).unwrap(), None, policy)
            .await
            .unwrap();
        assert!(
            second.is_none(),
            "refused: the user already has a second factor"
        );
        // The first secret is still the one in force.
        let token = s
            .open_session_stage(t, uid, None, policy, false)
            .await
            .unwrap();
        let sid3 = s
            .session_user(t, &token, policy)
            .await
            .unwrap()
            .unwrap()
            .session_id;
        let key = s.login_key("double").await.unwrap();
        let next = totp_code(secret, t + Duration::seconds(30)).unwrap();
        let r = s
            .complete_second_factor(
                t,
                &sid3,
                uid,
                &key,
                &vigie_store::authn::SecondFactor::Totp(next),
                None,
                policy,
            )
            .await
            .unwrap();
        assert!(matches!(r, vigie_store::authn::Attempt::Passed(_)), "{r:?}");
        db
    })
    .await;
}
