//! Version 2: the dossier screen — revisions (history with old and new values), the
//! due date of each follow-up, the reason of a direct conclusion or of a reopening, and
//! instance settings (the shorter evaluation deadline for children under two).

use crate::migrate::Privileges;

pub const STATEMENTS: &[&str] = &[
    // One row per saved change of one part of a dossier (header, a child, an assignment):
    // who, when, the part's new version, and the changed fields with old and new values
    // (JSON `[{"field":…,"label":…,"old":…,"new":…}]`). Kept as long as the dossier,
    // read under the dossier's scope. The audit entry only names the revision id.
    "CREATE TABLE revision (
        id {ID},
        dossier_id {BIGINT} NOT NULL REFERENCES dossier (id) ON DELETE CASCADE,
        part TEXT NOT NULL,
        part_id {BIGINT},
        part_label TEXT NOT NULL,
        version {BIGINT} NOT NULL,
        at {TS} NOT NULL,
        user_id {BIGINT} REFERENCES app_user (id),
        reason TEXT,
        changes TEXT NOT NULL
    )",
    "CREATE INDEX revision_dossier ON revision (dossier_id, id)",
    "CREATE INDEX revision_part ON revision (dossier_id, part, part_id, id)",
    "ALTER TABLE follow_up ADD COLUMN due_on {DATE}",
    "CREATE INDEX follow_up_due ON follow_up (due_on)",
    "CREATE INDEX assignment_due ON assignment (due_on)",
    "ALTER TABLE dossier ADD COLUMN direct_conclusion TEXT",
    "CREATE TABLE setting (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )",
];

/// What the application's role may do on the tables created here (see [`crate::grants`]).
pub const GRANTS: &[(&str, Privileges)] = &[
    ("revision", Privileges::ReadWrite),
    ("setting", Privileges::ReadWrite),
];
