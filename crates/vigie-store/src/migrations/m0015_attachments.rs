//! Version 15: documents uploaded to a dossier (« pièces jointes »), besides generated letters.
//!
//! - `document_filing`: how an uploaded document is filed — its category (parameter table
//!   `categorie_document`, seeded here for a database created before it) and, for an edited
//!   or signed version of a generated letter, that letter (both kept; the list shows the
//!   latest first). A table of its own rather than columns of `document`: tests run a
//!   migration again, and SQLite cannot add a column only if it is missing.
//! - `document_removal`: a document removed by a responsable CRIP — who, when, why. The row of
//!   `document` stays (the history shows the document existed); its content (`document_chunk`)
//!   is deleted in the same transaction, so the application's role may delete chunks (see
//!   version 11's grants).

use crate::migrate::Privileges;

pub const STATEMENTS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS document_filing (
        document_id {BIGINT} PRIMARY KEY REFERENCES document (id) ON DELETE CASCADE,
        category_id {BIGINT} REFERENCES param_value (id),
        version_of {BIGINT} REFERENCES document (id)
    )",
    "CREATE INDEX IF NOT EXISTS document_filing_version_of ON document_filing (version_of)",
    "CREATE TABLE IF NOT EXISTS document_removal (
        document_id {BIGINT} PRIMARY KEY REFERENCES document (id) ON DELETE CASCADE,
        removed_by {BIGINT} REFERENCES app_user (id),
        removed_at {TS} NOT NULL,
        reason TEXT NOT NULL
    )",
];

pub const GRANTS: &[(&str, Privileges)] = &[
    ("document_filing", Privileges::AppendOnly),
    ("document_removal", Privileges::AppendOnly),
];
