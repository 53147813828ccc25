//! Version 16: the letter templates belong to the CRIP. Each template (`letter_template`: the
//! ten shipped with Vigie, seeded here, and those the CRIP adds) has a recipient kind, can be
//! deactivated, and keeps every version uploaded (`letter_template_version`: the DOCX or ODT
//! itself, who uploaded it, when, and when it was published). The version in service is the
//! last one published; a shipped template without any uses the one built into Vigie. A
//! generated letter records the version it was made from (`document.template_version`).

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
        published_by {BIGINT} REFERENCES app_user (id),
        published_at {TS},
        UNIQUE (template_id, number)
    )",
];

pub const GRANTS: &[(&str, Privileges)] = &[
    ("letter_template", Privileges::ReadWrite),
    ("letter_template_version", Privileges::ReadWrite),
];
