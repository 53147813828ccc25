//! Version 4: the instance key outside the database (see [`crate::keys`]).
//!
//! - `audit_key`: one row per key of the ring that signed entries: its number, its
//!   fingerprint (never the key) and the first entry it signed (`from_seq`). The entries
//!   before the first key's `from_seq` are the unkeyed chain written before the upgrade
//!   (plain SHA-256): kept, and still verified as such.
//! - `audit_head.key_id`: the key that signs the next entry.
//! - `audit_checkpoint.key_id`, `mac`: a purge's checkpoint is signed under the key.
//! - The trail's tables refuse what could rewrite them: `INSERT OR REPLACE` over an
//!   existing entry (SQLite runs no DELETE trigger for it), a change to `audit_key`, an
//!   unsigned checkpoint once the chain is keyed.

use crate::migrate::Privileges;

/// The application records keys (adoption, rotation) and never changes them.
pub const GRANTS: &[(&str, Privileges)] = &[("audit_key", Privileges::AppendOnly)];

pub const STATEMENTS: &[&str] = &[
    "CREATE TABLE audit_key (
        id {BIGINT} PRIMARY KEY,
        fingerprint TEXT NOT NULL UNIQUE,
        from_seq {BIGINT} NOT NULL UNIQUE,
        created_at {TS} NOT NULL
    )",
    "ALTER TABLE audit_head ADD COLUMN key_id {BIGINT}",
    "ALTER TABLE audit_checkpoint ADD COLUMN key_id {BIGINT}",
    "ALTER TABLE audit_checkpoint ADD COLUMN mac TEXT",
];

pub const SQLITE_ONLY: &[&str] = &[
    // A BEFORE INSERT trigger runs before the conflict is resolved: `INSERT OR REPLACE`
    // over an existing sequence number is refused (its implicit DELETE fires no trigger).
    "CREATE TRIGGER audit_entry_no_replace BEFORE INSERT ON audit_entry
     WHEN EXISTS (SELECT 1 FROM audit_entry WHERE seq = NEW.seq)
     BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END",
    "CREATE TRIGGER audit_checkpoint_no_replace BEFORE INSERT ON audit_checkpoint
     WHEN EXISTS (SELECT 1 FROM audit_checkpoint WHERE id = NEW.id)
       OR (NEW.mac IS NULL AND (SELECT key_id FROM audit_head WHERE id = 1) IS NOT NULL)
     BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only and signed'); END",
    "CREATE TRIGGER audit_key_no_replace BEFORE INSERT ON audit_key
     WHEN EXISTS (SELECT 1 FROM audit_key WHERE id = NEW.id OR fingerprint = NEW.fingerprint OR from_seq = NEW.from_seq)
     BEGIN SELECT RAISE(ABORT, 'audit keys are append-only'); END",
    "CREATE TRIGGER audit_key_no_update BEFORE UPDATE ON audit_key BEGIN SELECT RAISE(ABORT, 'audit keys are append-only'); END",
    "CREATE TRIGGER audit_key_no_delete BEFORE DELETE ON audit_key BEGIN SELECT RAISE(ABORT, 'audit keys are append-only'); END",
];

pub const POSTGRES_ONLY: &[&str] = &[
    "CREATE FUNCTION audit_key_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit keys are append-only'; END $$",
    "CREATE TRIGGER audit_key_no_change BEFORE UPDATE OR DELETE ON audit_key FOR EACH ROW EXECUTE FUNCTION audit_key_append_only()",
    "CREATE FUNCTION audit_checkpoint_signed() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF NEW.mac IS NULL AND (SELECT key_id FROM audit_head WHERE id = 1) IS NOT NULL THEN
         RAISE EXCEPTION 'audit checkpoints are signed once the chain is keyed';
       END IF;
       RETURN NEW;
     END $$",
    "CREATE TRIGGER audit_checkpoint_signed BEFORE INSERT ON audit_checkpoint FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_signed()",
];
