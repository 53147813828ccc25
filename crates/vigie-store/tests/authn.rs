//! Throttling counters and the TOTP factor in the store, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::on_both;
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
