//! Demo documents (`vigie demo --documents N`), on SQLite and on PostgreSQL: only in a demo
//! base; PDFs of 200 to 800 kB (header, cross-reference table that points at their objects,
//! `%%EOF`) stored whole with their SHA-256; the same seed gives the same bytes on both
//! backends, and a second run continues with other documents; each one audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sha2::{Digest, Sha256};
use vigie_domain::Scope;
use vigie_store::StoreError;
use vigie_store::demo_documents::{MAX_BYTES, MIN_BYTES, demo_document};
use vigie_store::testing::{TestDb, now, raw_texts};

/// Checks a generated PDF: its frame, and that `startxref` and every offset of the
/// cross-reference table point where they should.
fn assert_pdf(bytes: &[u8]) {
    assert!(bytes.starts_with(b"%PDF-1.4\n"));
    assert!(bytes.ends_with(b"%%EOF\n"));
    assert!(
        (MIN_BYTES..=MAX_BYTES).contains(&bytes.len()),
        "{}",
        bytes.len()
    );
    let tail = String::from_utf8_lossy(&bytes[bytes.len() - 400..]).into_owned();
    let xref: usize = tail
        .split("startxref\n")
        .nth(1)
        .and_then(|t| t.lines().next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(bytes[xref..].starts_with(b"xref\n0 7\n"));
    let table = String::from_utf8_lossy(&bytes[xref..]).into_owned();
    for (n, line) in table.lines().skip(3).take(6).enumerate() {
        let offset: usize = line[..10].parse().unwrap();
        let header = format!("{} 0 obj\n", n + 1);
        assert!(bytes[offset..].starts_with(header.as_bytes()), "{line}");
    }
    // The scan: a JPEG from SOI to EOI, the first stream.
    let image = bytes.windows(7).position(|w| w == b"stream\n").unwrap() + 7;
    let end = bytes
        .windows(11)
        .position(|w| w == b"\nendstream\n")
        .unwrap();
    assert_eq!(&bytes[image..image + 4], b"\xFF\xD8\xFF\xE0");
    assert_eq!(&bytes[end - 2..end], b"\xFF\xD9");
}

#[test]
fn a_document_is_drawn_from_its_seed_and_index_alone() {
    let dossiers = [10, 20, 30];
    let sizes: Vec<usize> = (0..24)
        .map(|i| {
            let d = demo_document(9, i, &dossiers);
            assert_pdf(&d.bytes);
            assert!(dossiers.contains(&d.dossier_id));
            assert!(d.file_name.ends_with(".pdf"));
            assert_eq!(d, demo_document(9, i, &dossiers));
            d.bytes.len()
        })
        .collect();
    // Sizes spread over the range; another seed, other bytes.
    assert!(sizes.iter().min().unwrap() < &400_000 && sizes.iter().max().unwrap() > &600_000);
    assert_ne!(
        demo_document(9, 0, &dossiers).bytes,
        demo_document(10, 0, &dossiers).bytes
    );
}

#[tokio::test]
async fn demo_documents_are_stored_whole_identical_on_both_backends_and_only_in_a_demo_base() {
    let mut firsts: Vec<Vec<(i64, String, String)>> = Vec::new();
    for db in TestDb::both().await {
        let s = &db.store;
        s.seed_demo_reference().await.unwrap();
        s.generate_demo(now(), 3, 40, |_| {}).await.unwrap();

        // Not a demo base: refused, nothing written.
        let refused = s.generate_demo_documents(now(), 5, 3, |_| {}).await;
        assert!(
            matches!(&refused, Err(StoreError::Config(m)) if m.contains("démonstration")),
            "{refused:?}"
        );
        db.raw("UPDATE instance SET demo = TRUE").await.unwrap();

        let mut progress = Vec::new();
        let g = s
            .generate_demo_documents(now(), 5, 3, |n| progress.push(n))
            .await
            .unwrap();
        assert_eq!((g.documents, progress.last()), (3, Some(&3)));
        // Ids in order (sorted here: PostgreSQL would order the texts).
        let ids = |texts: Vec<Option<String>>| -> Vec<i64> {
            let mut v: Vec<i64> = texts
                .into_iter()
                .map(|v| v.unwrap().parse().unwrap())
                .collect();
            v.sort_unstable();
            v
        };
        let dossiers = ids(raw_texts(s, "SELECT CAST(id AS TEXT) FROM dossier").await);
        let docs = ids(raw_texts(s, "SELECT CAST(id AS TEXT) FROM document").await);
        assert_eq!(docs.len(), 3);
        let mut seen = Vec::new();
        let mut total = 0u64;
        for (i, id) in docs.iter().enumerate() {
            let info = s.document(&Scope::All, true, *id).await.unwrap();
            let bytes = s.document_bytes(&info).await.unwrap();
            assert_pdf(&bytes);
            assert_eq!(info.sha256, hex::encode(Sha256::digest(&bytes)));
            assert_eq!(info.media_type, "application/pdf");
            assert_eq!(info.kind, "piece");
            let expected = demo_document(5, i as u64, &dossiers);
            assert_eq!(
                (
                    info.dossier_id,
                    &info.title,
                    &info.file_name,
                    info.confidential
                ),
                (
                    expected.dossier_id,
                    &expected.title,
                    &expected.file_name,
                    expected.confidential
                )
            );
            assert!(bytes == expected.bytes, "document {i}: other bytes");
            total += bytes.len() as u64;
            seen.push((info.dossier_id, info.title, info.sha256));
        }
        assert_eq!(g.bytes, total);

        // A second run continues: other documents, never the same bytes again.
        let g = s
            .generate_demo_documents(now(), 5, 2, |_| {})
            .await
            .unwrap();
        assert_eq!(g.documents, 2);
        let shas: Vec<String> = raw_texts(s, "SELECT sha256 FROM document ORDER BY id")
            .await
            .into_iter()
            .map(Option::unwrap)
            .collect();
        let mut distinct = shas.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 5);
        let fourth = demo_document(5, 3, &dossiers).bytes;
        assert_eq!(shas[3], hex::encode(Sha256::digest(&fourth)));

        // Audited: one entry per document, one per batch.
        let tail = s.audit_tail(6).await.unwrap();
        let created = tail
            .iter()
            .filter(|e| e.action == "document.creation")
            .count();
        assert!(created >= 4, "{tail:?}");
        assert!(
            tail.iter().any(
                |e| e.action == "demo.generation" && e.detail.as_deref() == Some("documents=2")
            )
        );
        assert_eq!(s.verify_audit().await.unwrap().broken, None);
        firsts.push(seen);
        db.finish().await;
    }
    // The same seed, the same documents on both backends.
    if let [a, b] = firsts.as_slice() {
        assert_eq!(a, b);
    }
}
