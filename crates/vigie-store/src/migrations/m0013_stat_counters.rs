//! Version 13: the statistics' counters (`crate::stats::counter`), kept by every save of a
//! dossier in its transaction; the stored dossiers are counted by version 14, which makes
//! the table again with its final key ([`crate::stats::counter::backfill`]). And an index of the evaluations still open. No foreign key: a counter names a territory, a
//! type and a service by id, and a key (a parameter's id, a code, a number of days) as text.
//!
//! Every statement may run again over its own result (`IF NOT EXISTS`).

use crate::migrate::Privileges;

pub const STATEMENTS: &[&str] = &[
    // The evaluations overdue now (the dashboard's « en retard » by service, the
    // Échéances page): only those still open, by due date.
    "CREATE INDEX IF NOT EXISTS assignment_open_due ON assignment (due_on, service_id, dossier_id)
        WHERE returned_on IS NULL AND cancelled = FALSE",
];

/// SQLite: the counters are their primary key (no separate row id).
pub const SQLITE: &[&str] = &["CREATE TABLE IF NOT EXISTS stat_counter (
        kind TEXT NOT NULL,
        via {BIGINT} NOT NULL,
        month {BIGINT} NOT NULL,
        territory_id {BIGINT} NOT NULL,
        type_id {BIGINT} NOT NULL,
        k1 TEXT NOT NULL,
        k2 TEXT NOT NULL,
        n {BIGINT} NOT NULL,
        PRIMARY KEY (kind, via, month, territory_id, type_id, k1, k2)
    ) WITHOUT ROWID"];

pub const POSTGRES: &[&str] = &["CREATE TABLE IF NOT EXISTS stat_counter (
        kind TEXT NOT NULL,
        via {BIGINT} NOT NULL,
        month {BIGINT} NOT NULL,
        territory_id {BIGINT} NOT NULL,
        type_id {BIGINT} NOT NULL,
        k1 TEXT NOT NULL,
        k2 TEXT NOT NULL,
        n {BIGINT} NOT NULL,
        PRIMARY KEY (kind, via, month, territory_id, type_id, k1, k2)
    )"];

/// What the application's role may do on the tables created here (see [`crate::grants`]).
pub const GRANTS: &[(&str, Privileges)] = &[("stat_counter", Privileges::ReadWrite)];
