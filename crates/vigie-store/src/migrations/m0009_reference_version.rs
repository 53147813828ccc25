//! Version 9: a counter of changes to the reference data nearly every page reads (the
//! parameter values, territories, services, communes, accounts and their territories, the
//! instance, the settings), so that each server keeps that data in memory and re-reads it
//! only when it changed ([`crate::reference`]).
//!
//! Triggers bump `reference_version` in the same statement's transaction as the change,
//! whoever writes (the application, a migration, an import, a hand-written `UPDATE`): every
//! server sharing the database sees the change at its next request. On `app_user` only the
//! columns the cached list shows count (a password or a second factor's last step does not).
//!
//! Every statement may run again over its own result (`IF NOT EXISTS`, `OR REPLACE`): a
//! base whose `schema_migrations` lost the row is brought back by `vigie migrate`.

use crate::migrate::Privileges;

/// The tables whose changes bump the counter, with the columns whose update counts
/// (`None`: every column).
pub const WATCHED: &[(&str, Option<&str>)] = &[
    ("param_value", None),
    ("territory", None),
    ("service", None),
    ("commune", None),
    (
        "app_user",
        Some(
            "login, display_name, role, service_id, active, demo, must_change_password, totp_enabled_at, pending_since",
        ),
    ),
    ("user_territory", None),
    ("instance", None),
    ("setting", None),
];

pub const STATEMENTS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS reference_version (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version BIGINT NOT NULL
    )",
    "INSERT INTO reference_version (id, version)
     SELECT 1, 1 WHERE NOT EXISTS (SELECT 1 FROM reference_version)",
];

pub const POSTGRES_FUNCTION: &str = "CREATE OR REPLACE FUNCTION reference_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$";

/// The statements creating the triggers of one backend.
pub fn triggers(postgres: bool) -> Vec<String> {
    let mut out = Vec::new();
    if postgres {
        out.push(POSTGRES_FUNCTION.to_owned());
    }
    for (table, columns) in WATCHED {
        let update = columns.map_or_else(|| "UPDATE".to_owned(), |c| format!("UPDATE OF {c}"));
        if postgres {
            out.push(format!(
                "DROP TRIGGER IF EXISTS {table}_reference ON {table}"
            ));
            out.push(format!(
                "CREATE TRIGGER {table}_reference AFTER INSERT OR DELETE OR {update} OR TRUNCATE ON {table} \
                 FOR EACH STATEMENT EXECUTE FUNCTION reference_bump()"
            ));
        } else {
            // SQLite: one trigger per event, per row (no statement triggers).
            for (event, name) in [
                ("INSERT", "ins"),
                ("DELETE", "del"),
                (update.as_str(), "upd"),
            ] {
                out.push(format!(
                    "CREATE TRIGGER IF NOT EXISTS {table}_reference_{name} AFTER {event} ON {table} \
                     BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END"
                ));
            }
        }
    }
    out
}

/// The counter is read by every request and moved by the triggers, in the application's
/// transactions: never inserted nor deleted.
pub const GRANTS: &[(&str, Privileges)] = &[("reference_version", Privileges::Head)];
