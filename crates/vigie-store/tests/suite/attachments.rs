//! Uploaded documents, on SQLite and on PostgreSQL: a category and an edited version of a
//! generated letter (same dossier only); removal by a responsable keeps the row with who,
//! when and why, deletes the content, is audited, and cannot happen twice; a removed
//! document is listed but never served.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use vigie_domain::*;
use vigie_store::documents::NewDocument;
use vigie_store::testing::{now, raw_sql};
use vigie_store::{Actor, StoreError};

fn upload<'a>(dossier_id: i64, bytes: &'a [u8], category_id: i64) -> NewDocument<'a> {
    NewDocument {
        dossier_id,
        kind: "piece",
        title: "Rapport de l'école".into(),
        template_code: None,
        template_version: None,
        recipient_kind: None,
        recipient_label: None,
        file_name: "rapport.pdf".into(),
        media_type: "application/pdf".into(),
        bytes,
        confidential: false,
        names_source: false,
        category_id: Some(category_id),
        version_of: None,
    }
}

#[tokio::test]
async fn uploads_keep_their_category_and_versions_and_removals_erase_the_content() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let user = agent(s, "agent.pj").await;
        let actor = Actor::user(user, None);
        let kid = || vec![child("Martin", "Léa", BirthDate::Unknown)];
        let (d1, _) = s
            .create_dossier(
                now(),
                &actor,
                &simple(&f, f.t1, "2026-10-01T10:00:00Z", kid()),
            )
            .await
            .unwrap();
        let (d2, _) = s
            .create_dossier(
                now(),
                &actor,
                &simple(&f, f.t2, "2026-10-01T10:00:00Z", kid()),
            )
            .await
            .unwrap();
        // The categories are seeded (the IP's meaning included).
        let report = p(&f.cat, ParamKind::DocumentCategory, "EVAL");
        let ip = f
            .cat
            .of_kind(ParamKind::DocumentCategory)
            .find(|v| v.meaning == Some(Meaning::IpRecue))
            .unwrap();
        assert_eq!(ip.label, "IP reçue");

        let pdf = b"%PDF-1.4 rapport".to_vec();
        let ids = s
            .add_documents(now(), &actor, &Scope::All, &[upload(d1, &pdf, report)])
            .await
            .unwrap();
        let doc = s.document(&Scope::All, true, ids[0]).await.unwrap();
        assert_eq!(doc.category_id, Some(report));
        assert_eq!(doc.category_label.as_deref(), Some("Rapport d'évaluation"));
        assert_eq!(doc.removal, None);

        // A signed version of it, in the same dossier; never pointing into another dossier.
        let signed = b"%PDF-1.4 signe".to_vec();
        let version = NewDocument {
            version_of: Some(ids[0]),
            ..upload(d1, &signed, report)
        };
        let v = s
            .add_documents(now(), &actor, &Scope::All, std::slice::from_ref(&version))
            .await
            .unwrap()[0];
        assert_eq!(
            s.document(&Scope::All, true, v).await.unwrap().version_of,
            Some(ids[0])
        );
        let elsewhere = NewDocument {
            dossier_id: d2,
            ..version.clone()
        };
        assert!(matches!(
            s.add_documents(now(), &actor, &Scope::All, &[elsewhere])
                .await,
            Err(StoreError::NotFound)
        ));

        // Removal: out of scope → not found; then removed, content gone, row listed.
        let t2 = Scope::for_user(Role::EvaluateurTerritorial, &[f.t2], None);
        assert!(matches!(
            s.remove_document(now(), &actor, &t2, ids[0], "Erreur de dossier")
                .await,
            Err(StoreError::NotFound)
        ));
        let removed = s
            .remove_document(now(), &actor, &Scope::All, ids[0], "Erreur de dossier")
            .await
            .unwrap();
        assert_eq!(removed.id, ids[0]);
        assert!(matches!(
            s.document(&Scope::All, true, ids[0]).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(s.document_chunk(ids[0], 0).await.unwrap(), None);
        let listed = s.documents(&Scope::All, true, d1).await.unwrap();
        let row = listed.iter().find(|d| d.id == ids[0]).unwrap();
        let removal = row.removal.clone().unwrap();
        assert_eq!(removal.reason, "Erreur de dossier");
        assert_eq!(removal.by_name.as_deref(), Some("agent.pj"));
        assert_eq!(row.sha256, doc.sha256, "the row keeps what it was");
        // Its signed version stays; a new version of a removed document is refused.
        assert!(s.document(&Scope::All, true, v).await.is_ok());
        assert!(matches!(
            s.add_documents(now(), &actor, &Scope::All, &[version])
                .await,
            Err(StoreError::NotFound)
        ));
        // Twice: not found.
        assert!(matches!(
            s.remove_document(now(), &actor, &Scope::All, ids[0], "encore")
                .await,
            Err(StoreError::NotFound)
        ));
        let last = s.audit_tail(1).await.unwrap().remove(0);
        assert_eq!(
            (last.action.as_str(), last.object_id, last.user_id),
            ("document.suppression", Some(ids[0]), Some(user))
        );
        assert!(!last.detail.unwrap_or_default().contains("Erreur"));
        db
    })
    .await;
}

#[tokio::test]
async fn the_application_role_may_delete_chunks_but_not_removals() {
    on_both(|db| async move {
        // Removals are append-only: not even the application may take one back.
        if db.store.backend() == sea_orm::DatabaseBackend::Postgres {
            let e = raw_sql(&db.store, "DELETE FROM document_removal").await;
            assert!(
                e.is_err(),
                "the application's role may not delete a removal"
            );
            let e = raw_sql(&db.store, "UPDATE document_removal SET reason = 'x'").await;
            assert!(e.is_err());
            raw_sql(
                &db.store,
                "DELETE FROM document_chunk WHERE document_id = -1",
            )
            .await
            .unwrap();
        }
        db
    })
    .await;
}
