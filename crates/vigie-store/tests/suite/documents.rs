//! Documents, the letterhead, the directory and contacts, on SQLite and on PostgreSQL: documents
//! stored in chunks and read back whole (a 20 MB one too), within the scope, a confidential one
//! hidden from roles that may not see the source (not found), generation and download audited
//! without content; the letterhead and directory entries versioned, checked and audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use vigie_domain::letters::RecipientKind;
use vigie_domain::letters::merge::Contact;
use vigie_domain::*;
use vigie_store::documents::{CHUNK_SIZE, NewDocument};
use vigie_store::letterhead::LogoChange;
use vigie_store::testing::now;
use vigie_store::{Actor, StoreError};

fn letter<'a>(dossier_id: i64, bytes: &'a [u8], confidential: bool) -> NewDocument<'a> {
    NewDocument {
        dossier_id,
        kind: "courrier",
        title: "Accusé de réception".into(),
        template_code: Some("01-accuse-reception".into()),
        template_version: Some("défaut".into()),
        recipient_kind: Some("signalant".into()),
        recipient_label: Some("École".into()),
        file_name: "courrier.odt".into(),
        media_type: "application/vnd.oasis.opendocument.text".into(),
        bytes,
        confidential,
        names_source: confidential,
        category_id: None,
        version_of: None,
    }
}

#[tokio::test]
async fn documents_are_stored_in_chunks_within_the_scope_and_audited() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let user = agent(s, "agent.doc").await;
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

        // Two letters, one spanning three chunks and confidential; generating twice keeps both.
        let big: Vec<u8> = (0..(2 * CHUNK_SIZE + 1000))
            .map(|i| (i % 251) as u8)
            .collect();
        let small = b"PK small letter".to_vec();
        let ids = s
            .add_documents(
                now(),
                &actor,
                &Scope::All,
                &[letter(d1, &small, false), letter(d1, &big, true)],
            )
            .await
            .unwrap();
        let again = s
            .add_documents(now(), &actor, &Scope::All, &[letter(d1, &small, false)])
            .await
            .unwrap();
        let listed = s.documents(&Scope::All, true, d1).await.unwrap();
        assert_eq!(
            listed.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![again[0], ids[1], ids[0]]
        );
        assert_eq!(listed[1].size, big.len() as i64);
        assert_eq!(listed[1].created_by_name.as_deref(), Some("agent.doc"));
        assert!(listed[1].confidential);
        assert_eq!(s.document_bytes(&listed[1]).await.unwrap(), big);
        assert_eq!(s.document_chunk(ids[1], 3).await.unwrap(), None);

        // An évaluateur of T1 who may not see the source: the confidential letter is not found.
        let t1 = Scope::Restricted {
            territories: vec![f.t1],
            services: vec![],
            dossiers: vec![],
        };
        let seen: Vec<i64> = s
            .documents(&t1, false, d1)
            .await
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(seen, vec![again[0], ids[0]]);
        assert!(matches!(
            s.document(&t1, false, ids[1]).await,
            Err(StoreError::NotFound)
        ));
        assert!(s.document(&t1, true, ids[1]).await.is_ok());
        // A letter that prints the source's name, on a dossier whose source is not « identité
        // connue » (here anonymous): hidden like a confidential one, even if not flagged.
        let named = NewDocument {
            names_source: true,
            ..letter(d1, &small, false)
        };
        let named = s
            .add_documents(now(), &actor, &Scope::All, &[named])
            .await
            .unwrap()[0];
        assert!(matches!(
            s.document(&t1, false, named).await,
            Err(StoreError::NotFound)
        ));
        assert!(s.document(&t1, true, named).await.is_ok());
        // Out of scope: the dossier, its documents and adding to it are not found.
        let t2 = Scope::Restricted {
            territories: vec![f.t2],
            services: vec![],
            dossiers: vec![],
        };
        assert!(matches!(
            s.documents(&t2, true, d1).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            s.document(&t2, true, ids[0]).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            s.add_documents(now(), &actor, &t2, &[letter(d1, &small, false)])
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(s.documents(&t2, true, d2).await.unwrap().is_empty());

        // Generation and download are audited: who, which document, no content.
        let doc = s.document(&Scope::All, true, ids[0]).await.unwrap();
        s.record_download(now(), &actor, &doc).await.unwrap();
        let tail = s.audit_tail(4).await.unwrap();
        let last = tail.iter().max_by_key(|e| e.seq).unwrap();
        assert_eq!(
            (last.action.as_str(), last.object_id, last.user_id),
            ("document.telechargement", Some(ids[0]), Some(user))
        );
        let created: Vec<_> = tail
            .iter()
            .filter(|e| e.action == "document.creation")
            .collect();
        assert!(!created.is_empty());
        for e in &tail {
            let detail = e.detail.clone().unwrap_or_default();
            assert!(
                !detail.contains("École") && !detail.contains("Accusé"),
                "{detail}"
            );
        }
        db
    })
    .await;
}

#[tokio::test]
async fn a_twenty_megabyte_document_round_trips() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let actor = Actor::system();
        let (d, _) = s
            .create_dossier(
                now(),
                &actor,
                &simple(
                    &f,
                    f.t1,
                    "2026-10-01T10:00:00Z",
                    vec![child("A", "B", BirthDate::Unknown)],
                ),
            )
            .await
            .unwrap();
        let bytes: Vec<u8> = (0..20 * 1024 * 1024)
            .map(|i: usize| (i.wrapping_mul(31) % 256) as u8)
            .collect();
        let id = s
            .add_documents(now(), &actor, &Scope::All, &[letter(d, &bytes, false)])
            .await
            .unwrap()[0];
        let doc = s.document(&Scope::All, true, id).await.unwrap();
        assert_eq!(doc.size, bytes.len() as i64);
        assert!(s.document_bytes(&doc).await.unwrap() == bytes);
        db
    })
    .await;
}

#[tokio::test]
async fn the_letterhead_directory_and_contacts_are_versioned_checked_and_audited() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let actor = Actor::system();
        let stored = s.letterhead().await.unwrap();
        assert_eq!(stored.letterhead.departement, "Conseil départemental");
        assert_eq!(stored.logo, None);
        let mut l = stored.letterhead.clone();
        l.departement = "Conseil départemental du Cher".into();
        l.city = "Bourges".into();
        l.email = "crip@example.fr".into();
        let png = b"\x89PNG\r\n\x1a\nrest".to_vec();
        let v = s
            .set_letterhead(
                now(),
                &actor,
                stored.version,
                &l,
                &LogoChange::Replace(png.clone()),
            )
            .await
            .unwrap();
        let read = s.letterhead().await.unwrap();
        assert_eq!(
            (read.letterhead.city.as_str(), read.version),
            ("Bourges", v)
        );
        assert_eq!(read.logo.as_ref().map(|(b, _)| b.clone()), Some(png));
        // A second administrator saving from the old version is refused; nothing changes.
        let err = s
            .set_letterhead(now(), &actor, stored.version, &l, &LogoChange::Remove)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Stale(_)), "{err:?}");
        assert!(s.letterhead().await.unwrap().logo.is_some());
        // Bad input: named fields, nothing written.
        l.email = "non".into();
        let err = s
            .set_letterhead(now(), &actor, v, &l, &LogoChange::Keep)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("Courriel"), "{err}");
        assert_eq!(
            s.audit_tail(1).await.unwrap()[0].action,
            "entete.modification"
        );

        let parquet = Contact {
            name: "Monsieur le Procureur de la République".into(),
            organisation: Some("Tribunal judiciaire de Bourges".into()),
            address: "8 rue des Arènes\n18000 Bourges".into(),
            email: None,
            phone: None,
        };
        let id = s
            .save_directory_entry(
                now(),
                &actor,
                None,
                RecipientKind::Procureur,
                &parquet,
                true,
            )
            .await
            .unwrap();
        let entries = s.directory(true).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(
            (entries[0].kind, entries[0].contact.clone()),
            (RecipientKind::Procureur, parquet.clone())
        );
        s.save_directory_entry(
            now(),
            &actor,
            Some((id, 1)),
            RecipientKind::Procureur,
            &parquet,
            false,
        )
        .await
        .unwrap();
        assert!(s.directory(true).await.unwrap().is_empty());
        let stale = s
            .save_directory_entry(
                now(),
                &actor,
                Some((id, 1)),
                RecipientKind::Procureur,
                &parquet,
                true,
            )
            .await;
        assert!(matches!(stale, Err(StoreError::Stale(_))));
        let parent = s
            .save_directory_entry(now(), &actor, None, RecipientKind::Parent, &parquet, true)
            .await;
        assert!(matches!(parent, Err(StoreError::Invalid(_))));

        s.set_service_contact(
            now(),
            &actor,
            f.s1,
            "8 rue Jean Jaurès\n18000 Bourges",
            Some("stas@example.fr"),
        )
        .await
        .unwrap();
        let c = s.service_contact(f.s1).await.unwrap();
        assert_eq!(
            (c.address.as_str(), c.email.as_deref()),
            ("8 rue Jean Jaurès\n18000 Bourges", Some("stas@example.fr"))
        );
        let user = agent(s, "agent.contact").await;
        s.set_user_contact(
            now(),
            &actor,
            user,
            "Agent CRIP",
            "02 48 00 00 01",
            "agent@example.fr",
        )
        .await
        .unwrap();
        let a = s.user_contact(user).await.unwrap();
        assert_eq!(
            (a.name.as_str(), a.title.as_str(), a.phone.as_str()),
            ("agent.contact", "Agent CRIP", "02 48 00 00 01")
        );
        let err = s
            .set_user_contact(now(), &actor, user, "Agent", "", "pas-un-courriel")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("Courriel"), "{err}");
        db
    })
    .await;
}
