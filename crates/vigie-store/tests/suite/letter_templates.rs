//! The CRIP's letter templates, on SQLite and PostgreSQL: the ten shipped ones seeded (each
//! code once, even when the migration runs again), versions numbered per template and kept,
//! the last published in service, a new template coded after the list, deactivation against
//! a stale version refused, every change audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use vigie_domain::letters::{LetterKind, RecipientKind};
use vigie_store::letter_templates::{NewTemplate, NewVersion, code_for};
use vigie_store::testing::now;
use vigie_store::{Actor, StoreError};

#[tokio::test]
async fn templates_are_seeded_versioned_published_added_and_deactivated() {
    on_both(|db| async move {
        let s = &db.store;
        let user = agent(s, "modeles").await;
        let actor = Actor::user(user, None);
        let list = s.letter_templates().await.unwrap();
        assert_eq!(list.len(), 10);
        for (t, k) in list.iter().zip(LetterKind::ALL) {
            assert_eq!(
                (t.code.as_str(), t.recipient, t.builtin),
                (k.code(), k.recipient(), true)
            );
            assert_eq!(t.in_service, None);
            assert_eq!(t.def().builtin, Some(k));
        }
        let t = s.letter_template("08-signalement-parquet").await.unwrap();
        let v1 = s
            .add_template_version(
                now(),
                &actor,
                &NewVersion {
                    template_id: t.id,
                    format: "odt",
                    file_name: "v1.odt",
                    content: b"un",
                    comment: Some("premier"),
                },
            )
            .await
            .unwrap();
        let v2 = s
            .add_template_version(
                now(),
                &actor,
                &NewVersion {
                    template_id: t.id,
                    format: "docx",
                    file_name: "v2.docx",
                    content: b"deux",
                    comment: None,
                },
            )
            .await
            .unwrap();
        assert_eq!((v1.number, v2.number), (1, 2));
        assert_eq!(v1.uploaded_by_name.as_deref(), Some("modeles"));
        // A draft is not in service; the last published is.
        assert_eq!(s.letter_template(&t.code).await.unwrap().in_service, None);
        let row = |code: &str| {
            let code = code.to_owned();
            async move { s.letter_template(&code).await.unwrap().version }
        };
        let read = row(&t.code).await;
        s.publish_template_version(now(), &actor, v2.id, read)
            .await
            .unwrap();
        // Another administrator's page, read before: refused, nothing published.
        assert!(matches!(
            s.publish_template_version(now(), &actor, v1.id, read).await,
            Err(StoreError::Stale(_))
        ));
        assert_eq!(
            s.letter_template(&t.code)
                .await
                .unwrap()
                .in_service
                .unwrap()
                .id,
            v2.id
        );
        let first_publication = s.template_version(v2.id).await.unwrap().0.published_at;
        s.publish_template_version(
            now() + chrono::Duration::minutes(1),
            &actor,
            v1.id,
            row(&t.code).await,
        )
        .await
        .unwrap();
        // The application may neither change nor delete a version or a publication.
        if db.store.backend() == sea_orm::DatabaseBackend::Postgres {
            for sql in [
                "UPDATE letter_template_version SET comment = 'x'",
                "DELETE FROM letter_template_version",
                "DELETE FROM letter_template_publication",
            ] {
                assert!(
                    vigie_store::testing::raw_sql(s, sql).await.is_err(),
                    "{sql}"
                );
            }
        }
        assert_eq!(
            s.letter_template(&t.code)
                .await
                .unwrap()
                .in_service
                .unwrap()
                .id,
            v1.id,
            "an older version brought back"
        );
        let versions = s.template_versions(t.id).await.unwrap();
        assert_eq!(
            versions.iter().map(|v| v.number).collect::<Vec<_>>(),
            vec![2, 1]
        );
        assert_eq!(s.template_version(v2.id).await.unwrap().1, b"deux");
        assert_eq!(
            s.template_version(v2.id).await.unwrap().0.published_at,
            first_publication,
            "a publication is kept when another version is published"
        );
        assert!(matches!(
            s.publish_template_version(now(), &actor, 999_999, 1).await,
            Err(StoreError::NotFound)
        ));

        // A template of the CRIP, coded after the list.
        let added = s
            .add_letter_template(
                now(),
                &actor,
                &NewTemplate {
                    title: "Convocation à l'audition".into(),
                    recipient: RecipientKind::Parent,
                    legal_basis: String::new(),
                },
                Some(&NewVersion {
                    template_id: 0,
                    format: "odt",
                    file_name: "convocation.odt",
                    content: b"trois",
                    comment: None,
                }),
            )
            .await
            .unwrap();
        assert_eq!(added.code, "11-convocation-a-l-audition");
        assert!(!added.builtin && added.active && added.def().builtin.is_none());
        let first = s.template_versions(added.id).await.unwrap();
        assert_eq!(
            (first.len(), first[0].number),
            (1, 1),
            "its first version, a draft"
        );
        assert_eq!(added.in_service, None);
        let again = s
            .add_letter_template(
                now(),
                &actor,
                &NewTemplate {
                    title: "Autre".into(),
                    recipient: RecipientKind::Source,
                    legal_basis: String::new(),
                },
                None,
            )
            .await
            .unwrap();
        assert_eq!(again.code, "12-autre");

        // Deactivation: with the version read; a stale one is refused.
        s.set_template_active(now(), &actor, added.id, added.version, false)
            .await
            .unwrap();
        assert!(matches!(
            s.set_template_active(now(), &actor, added.id, added.version, true)
                .await,
            Err(StoreError::Stale(_))
        ));
        assert!(!s.letter_template(&added.code).await.unwrap().active);
        let actions: Vec<String> = s
            .audit_tail(8)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        for a in [
            "modele.version",
            "modele.publication",
            "modele.creation",
            "modele.desactivation",
        ] {
            assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
        }
        db
    })
    .await;
}

#[test]
fn codes_follow_the_list_in_plain_ascii() {
    assert_eq!(
        code_for(11, "Convocation à l'audition"),
        "11-convocation-a-l-audition"
    );
    assert_eq!(code_for(3, "  Œuvre — spéciale !  "), "03-oeuvre-speciale");
}
