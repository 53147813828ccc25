//! Version 16: the letter templates belong to the CRIP. Each template (`letter_template`: the
//! ten shipped with Vigie, seeded here, and those the CRIP adds) has a recipient kind, can be
//! deactivated, and keeps every version uploaded (`letter_template_version`: the DOCX or ODT
//! itself, who uploaded it, when; never changed nor deleted by the application) and every
//! publication (`letter_template_publication`, append-only: publishing an older version again
//! adds a row). The version in service is the last one published; a shipped template without
//! any uses the one built into Vigie. A generated letter records the version it was made from
//! (`document.template_version`).

use crate::migrate::Privileges;

pub const STATEMENTS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS letter_template (
        id {ID},
        code TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        recipient_kind TEXT NOT NULL,
        legal_basis TEXT NOT NULL DEFAULT '',
        builtin {BOOL} NOT NULL DEFAULT FALSE,
        active {BOOL} NOT NULL DEFAULT TRUE,
        sort_order {BIGINT} NOT NULL DEFAULT 0,
        version {BIGINT} NOT NULL DEFAULT 1
    )",
    "CREATE TABLE IF NOT EXISTS letter_template_version (
        id {ID},
        template_id {BIGINT} NOT NULL REFERENCES letter_template (id),
        number {BIGINT} NOT NULL,
        format TEXT NOT NULL,
        file_name TEXT NOT NULL,
        content {BYTES} NOT NULL,
        size {BIGINT} NOT NULL,
        sha256 TEXT NOT NULL,
        comment TEXT,
        uploaded_by {BIGINT} REFERENCES app_user (id),
        uploaded_at {TS} NOT NULL,
        UNIQUE (template_id, number)
    )",
    "CREATE TABLE IF NOT EXISTS letter_template_publication (
        id {ID},
        version_id {BIGINT} NOT NULL REFERENCES letter_template_version (id),
        published_by {BIGINT} REFERENCES app_user (id),
        published_at {TS} NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS letter_template_publication_version
        ON letter_template_publication (version_id, id)",
];

pub const GRANTS: &[(&str, Privileges)] = &[
    ("letter_template", Privileges::ReadWrite),
    ("letter_template_version", Privileges::AppendOnly),
    ("letter_template_publication", Privileges::AppendOnly),
];
