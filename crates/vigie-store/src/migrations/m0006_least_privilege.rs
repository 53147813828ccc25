//! Version 6: least privilege on PostgreSQL. The application's role gets only what
//! [`crate::grants`] declares (no UPDATE, DELETE or TRUNCATE on the audit trail); the
//! owner, who runs `vigie migrate`, keeps them, so the trail also refuses a `TRUNCATE`
//! by trigger (a row trigger does not fire on `TRUNCATE`). Nothing changes on SQLite,
//! which has no `TRUNCATE` and no roles.

use crate::migrate::Privileges;

pub const POSTGRES_ONLY: &[&str] = &[
    "CREATE FUNCTION audit_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit trail cannot be truncated'; END $$",
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate()",
    "CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate()",
    "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate()",
    "CREATE TRIGGER audit_key_no_truncate BEFORE TRUNCATE ON audit_key FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate()",
];

/// No new table.
pub const GRANTS: &[(&str, Privileges)] = &[];
