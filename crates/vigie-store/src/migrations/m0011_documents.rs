//! Version 11: the dossier's documents (generated letters first), the letterhead, the directory
//! of external recipients, and the contact details letters print (a service's address and
//! e-mail, a user's title, phone and e-mail for « Affaire suivie par »).
//!
//! Documents live in the database, in fixed-size chunks (`document_chunk`, see
//! [`crate::documents::CHUNK_SIZE`]) with the whole document's SHA-256 and size: every web node
//! shares them, a document is saved in the same transaction as its audit entry, the backup
//! carries them, and a download is read chunk by chunk (neither driver streams one large value).
//! The application's role may add documents, never change or delete them; from version 15 it
//! deletes the content (chunks) of a document a responsable removes, whose row stays.

use crate::migrate::Privileges;

pub const STATEMENTS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS document (
        id {ID},
        dossier_id {BIGINT} NOT NULL REFERENCES dossier (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        template_code TEXT,
        template_version TEXT,
        recipient_kind TEXT,
        recipient_label TEXT,
        file_name TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size {BIGINT} NOT NULL,
        sha256 TEXT NOT NULL,
        confidential {BOOL} NOT NULL DEFAULT FALSE,
        names_source {BOOL} NOT NULL DEFAULT FALSE,
        created_by {BIGINT} REFERENCES app_user (id),
        created_at {TS} NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS document_dossier ON document (dossier_id, id)",
    "CREATE TABLE IF NOT EXISTS document_chunk (
        document_id {BIGINT} NOT NULL REFERENCES document (id) ON DELETE CASCADE,
        seq {BIGINT} NOT NULL,
        data {BYTES} NOT NULL,
        PRIMARY KEY (document_id, seq)
    )",
    "CREATE TABLE IF NOT EXISTS letterhead (
        id {BIGINT} PRIMARY KEY CHECK (id = 1),
        departement TEXT NOT NULL,
        service TEXT NOT NULL,
        address TEXT NOT NULL,
        city TEXT NOT NULL,
        phone TEXT NOT NULL,
        email TEXT NOT NULL,
        signatory TEXT NOT NULL,
        signatory_title TEXT NOT NULL,
        delegation TEXT NOT NULL,
        logo {BYTES},
        logo_type TEXT,
        version {BIGINT} NOT NULL DEFAULT 1,
        updated_at {TS}
    )",
    "INSERT INTO letterhead (id, departement, service, address, city, phone, email, signatory,
        signatory_title, delegation)
     SELECT 1, 'Conseil départemental', 'Cellule de recueil des informations préoccupantes (CRIP)',
        '', '', '', '', '', '', 'Pour le Président du Conseil départemental et par délégation'
     WHERE NOT EXISTS (SELECT 1 FROM letterhead)",
    "CREATE TABLE IF NOT EXISTS directory_entry (
        id {ID},
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        organisation TEXT,
        address TEXT NOT NULL,
        email TEXT,
        phone TEXT,
        active {BOOL} NOT NULL DEFAULT TRUE,
        sort_order {BIGINT} NOT NULL DEFAULT 0,
        version {BIGINT} NOT NULL DEFAULT 1
    )",
    // Contact details in tables of their own (a column added to `service` or `app_user` could
    // not be added again by a re-run of this migration on SQLite).
    "CREATE TABLE IF NOT EXISTS service_contact (
        service_id {BIGINT} PRIMARY KEY REFERENCES service (id) ON DELETE CASCADE,
        address TEXT,
        email TEXT
    )",
    "CREATE TABLE IF NOT EXISTS user_contact (
        user_id {BIGINT} PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
        title TEXT,
        phone TEXT,
        email TEXT
    )",
];

pub const GRANTS: &[(&str, Privileges)] = &[
    ("document", Privileges::AppendOnly),
    // Read-write from version 15: a removed document's content is deleted. Its size and
    // SHA-256, in `document` (append-only), still tell whether a chunk was altered.
    ("document_chunk", Privileges::ReadWrite),
    ("letterhead", Privileges::Head),
    ("directory_entry", Privileges::ReadWrite),
    ("service_contact", Privileges::ReadWrite),
    ("user_contact", Privileges::ReadWrite),
];
