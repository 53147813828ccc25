//! The OpenAPI document served at `/api/v1/openapi.json` is a contract with the API's clients:
//! it must not change by accident (a refactoring that moves a type, renames a module or
//! reorders fields). This test compares it, byte for byte, with the committed snapshot
//! `tests/snapshots/openapi.json`.
//!
//! A deliberate change of the API: run the test once with `VIGIE_UPDATE_SNAPSHOTS=1` to
//! rewrite the snapshot, and commit it with the change (the diff shows what clients see).

use std::path::PathBuf;

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json")
}

#[test]
fn the_openapi_document_is_byte_identical_to_its_snapshot() {
    let document = vigie_web::api::openapi::document();
    let path = snapshot_path();
    if std::env::var_os("VIGIE_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, document).expect("write the snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run the test with VIGIE_UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    if document != expected {
        // Point at the first difference: the document is one long line.
        let at = document
            .bytes()
            .zip(expected.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| document.len().min(expected.len()));
        let around = |s: &str| {
            let start = s.floor_char_boundary(at.saturating_sub(120));
            let end = s.ceil_char_boundary((at + 120).min(s.len()));
            s[start..end].to_owned()
        };
        panic!(
            "the OpenAPI document differs from {} at byte {at} (lengths {} and {}):\n\
             served:   …{}…\nsnapshot: …{}…\n\
             if the API change is deliberate, run with VIGIE_UPDATE_SNAPSHOTS=1 and commit the snapshot",
            path.display(),
            document.len(),
            expected.len(),
            around(document),
            around(&expected),
        );
    }
    // The snapshot is a real document, not an empty placeholder.
    let doc: serde_json::Value = serde_json::from_str(&expected).expect("the snapshot is JSON");
    assert!(doc["paths"].as_object().is_some_and(|p| p.len() >= 7));
    assert!(
        doc["components"]["schemas"]
            .as_object()
            .is_some_and(|s| !s.is_empty())
    );
}
