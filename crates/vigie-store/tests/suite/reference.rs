//! The reference data each server keeps in memory (`vigie_store::reference`): read once,
//! then followed through every change, whoever makes it — this server, another server on
//! the same database, SQL typed by hand — and not moved by what it does not show.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use crate::common::*;
use vigie_domain::Role;
use vigie_store::testing::{add_territory, keyed, now};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};

async fn territory_label(s: &Store, id: i64) -> Option<String> {
    let cat = s.catalog().await.unwrap();
    cat.territories
        .iter()
        .find(|t| t.id == id)
        .map(|t| t.label.clone())
}

#[tokio::test]
async fn the_reference_data_is_read_once_and_follows_every_change_whoever_makes_it() {
    on_both(|db| async move {
        let s = &db.store;
        let first = s.reference().await.unwrap();
        let again = s.reference().await.unwrap();
        assert!(
            Arc::ptr_eq(&first.catalog, &again.catalog) && Arc::ptr_eq(&first.users, &again.users),
            "nothing changed: the copy in memory is served"
        );
        // Another server on the same database, with its own copy.
        let other = keyed(
            Store::connect(&db.app_url(), chrono_tz::Europe::Paris)
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            other.catalog().await.unwrap().territories,
            first.catalog.territories
        );

        // A change through this server: both see it at their next request.
        let t = add_territory(s, now(), &Actor::system(), "T9", "MDS Saint-Amand").await;
        assert_eq!(
            territory_label(s, t).await.as_deref(),
            Some("MDS Saint-Amand")
        );
        assert_eq!(
            territory_label(&other, t).await.as_deref(),
            Some("MDS Saint-Amand")
        );

        // SQL typed by hand, by the owner.
        db.raw(&format!(
            "UPDATE territory SET label = 'MDS Saint-Amand-Montrond' WHERE id = {t}"
        ))
        .await
        .unwrap();
        for server in [s, &other] {
            assert_eq!(
                territory_label(server, t).await.as_deref(),
                Some("MDS Saint-Amand-Montrond")
            );
        }

        // An account and a setting, through the other server.
        other
            .add_user(
                now(),
                &Actor::system(),
                &NewUser {
                    login: "c.nouvelle".into(),
                    display_name: "Claire Nouvelle".into(),
                    password_hash: "x".into(),
                    role: Role::AgentCrip,
                    territories: vec![t],
                    service_id: None,
                    demo: false,
                },
            )
            .await
            .unwrap();
        other
            .set_under_two_months(now(), &Actor::system(), Some(2))
            .await
            .unwrap();
        let r = s.reference().await.unwrap();
        let user = r.users.iter().find(|u| u.login == "c.nouvelle").unwrap();
        assert_eq!(
            (user.display_name.as_str(), user.territories.as_slice()),
            ("Claire Nouvelle", &[t][..])
        );
        assert_eq!(r.under_two_months, Some(2));

        // What the copy does not show leaves it in place: a password, a refused change.
        s.set_password(now(), &Actor::system(), "c.nouvelle", "y")
            .await
            .unwrap();
        let refused = add_territory_result(s, "T9").await;
        assert!(refused.is_err(), "a second territory T9 is refused");
        let after = s.reference().await.unwrap();
        assert!(Arc::ptr_eq(&r.catalog, &after.catalog) && Arc::ptr_eq(&r.users, &after.users));
        other.close().await;
        db
    })
    .await;
}

/// A territory added as the administration screen does, its result kept.
async fn add_territory_result(s: &Store, code: &str) -> vigie_store::Result<i64> {
    s.admin_add(
        now(),
        &Actor::system(),
        vigie_store::params_admin::Table::Territories,
        &vigie_store::params_admin::NewValue {
            code,
            label: "Doublon",
            ..Default::default()
        },
    )
    .await
}
