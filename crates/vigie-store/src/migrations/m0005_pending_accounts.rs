//! Version 5: the two-person rule for accounts that read dossiers.
//!
//! An account created or widened in the web administration with a role that reads dossiers
//! waits for a responsable CRIP's confirmation (see `vigie_domain::two_person`): since when
//! (`pending_since`, NULL once confirmed), asked by whom (`pending_by`, the last person who
//! asked; NULL for the system) and which fields (`pending_change`, comma-separated field
//! names, never values). Existing accounts are confirmed (NULL).

pub const STATEMENTS: &[&str] = &[
    "ALTER TABLE app_user ADD COLUMN pending_since {TS}",
    "ALTER TABLE app_user ADD COLUMN pending_by {BIGINT} REFERENCES app_user (id)",
    "ALTER TABLE app_user ADD COLUMN pending_change TEXT",
    "CREATE INDEX app_user_pending ON app_user (pending_since)",
];
