//! Version 3: strong authentication, throttling, break-glass access and audit retention.

use crate::migrate::Privileges;

pub const STATEMENTS: &[&str] = &[
    // Second factor (TOTP, RFC 6238): the shared secret (base32) once enrolment is
    // confirmed, and the last time step accepted (a code is accepted once: no replay).
    "ALTER TABLE app_user ADD COLUMN totp_secret TEXT",
    "ALTER TABLE app_user ADD COLUMN totp_enabled_at {TS}",
    "ALTER TABLE app_user ADD COLUMN totp_last_step {BIGINT}",
    // Single-use recovery codes: only a keyed hash is stored.
    "CREATE TABLE recovery_code (
        id {ID},
        user_id {BIGINT} NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
        code_hash TEXT NOT NULL,
        created_at {TS} NOT NULL,
        used_at {TS}
    )",
    "CREATE INDEX recovery_code_user ON recovery_code (user_id)",
    // A session is fully open once the second factor is checked (`mfa_at`); `reauth_at` is
    // the last re-authentication (password + second factor) before a sensitive operation;
    // `totp_pending` holds the secret being enrolled, until the first code confirms it.
    "ALTER TABLE web_session ADD COLUMN mfa_at {TS}",
    "ALTER TABLE web_session ADD COLUMN reauth_at {TS}",
    "ALTER TABLE web_session ADD COLUMN totp_pending TEXT",
    // Login throttling, shared by every web node: one row per failed attempt, keyed by a
    // keyed hash of the typed login (never the login itself) and by the client address.
    "CREATE TABLE login_failure (
        id {ID},
        at {TS} NOT NULL,
        login_key TEXT NOT NULL,
        ip TEXT
    )",
    "CREATE INDEX login_failure_key ON login_failure (login_key, at)",
    "CREATE INDEX login_failure_ip ON login_failure (ip, at)",
    // Accès exceptionnel (break-glass): one dossier outside the user's scope, for a limited
    // time, with the reason typed by the user.
    "CREATE TABLE break_glass (
        id {ID},
        user_id {BIGINT} NOT NULL REFERENCES app_user (id),
        dossier_id {BIGINT} NOT NULL REFERENCES dossier (id) ON DELETE CASCADE,
        reason TEXT NOT NULL,
        granted_at {TS} NOT NULL,
        expires_at {TS} NOT NULL
    )",
    "CREATE INDEX break_glass_user ON break_glass (user_id, dossier_id, expires_at)",
    "CREATE INDEX break_glass_granted ON break_glass (granted_at)",
    // Audit retention: before entries are purged, a checkpoint records the first entry kept
    // and the hash it links to, so the remainder stays verifiable. Append-only.
    // The consultation page filters by period and by action.
    "CREATE INDEX audit_entry_at ON audit_entry (at)",
    "CREATE INDEX audit_entry_action ON audit_entry (action, seq)",
    "CREATE TABLE audit_checkpoint (
        id {ID},
        at {TS} NOT NULL,
        purged_before {TS} NOT NULL,
        first_seq {BIGINT} NOT NULL,
        prev_hash TEXT NOT NULL,
        entries_purged {BIGINT} NOT NULL
    )",
];

/// Entries may be deleted only below the latest checkpoint; checkpoints are append-only.
pub const SQLITE_ONLY: &[&str] = &[
    "DROP TRIGGER audit_entry_no_delete",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
     WHEN OLD.seq >= (SELECT COALESCE(MAX(first_seq), 0) FROM audit_checkpoint)
     BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END",
    "CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
    "CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
];

pub const POSTGRES_ONLY: &[&str] = &[
    "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'DELETE' AND OLD.seq < (SELECT COALESCE(MAX(first_seq), 0) FROM audit_checkpoint) THEN
         RETURN OLD;
       END IF;
       RAISE EXCEPTION 'audit trail is append-only';
     END $$",
    "CREATE FUNCTION audit_checkpoint_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit checkpoints are append-only'; END $$",
    "CREATE TRIGGER audit_checkpoint_no_change BEFORE UPDATE OR DELETE ON audit_checkpoint FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_append_only()",
];

/// What the application's role may do on the tables created here (see [`crate::grants`]).
pub const GRANTS: &[(&str, Privileges)] = &[
    ("recovery_code", Privileges::ReadWrite),
    ("login_failure", Privileges::ReadWrite),
    ("break_glass", Privileges::ReadWrite),
    ("audit_checkpoint", Privileges::AppendOnly),
];
