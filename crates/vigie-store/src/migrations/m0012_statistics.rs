//! Version 12: what the dashboards need.
//!
//! - `dossier_milestone`: when each dossier was qualified, sent to evaluation, concluded and
//!   closed (see `vigie_domain::dossier::milestones`), written by the save that changes the
//!   status; filled here for the stored dossiers from their revisions and their data
//!   ([`crate::milestones::backfill`]).
//! - `territory_population`: a territory's population aged 0–17 and its INSEE year, typed
//!   by the administrator, for the rate of IP per 1,000 minors.
//! - `saved_crosstab`: the cross-tabs a responsable saves under a name for the others.
//!
//! Every statement may run again over its own result (`IF NOT EXISTS`).

use crate::migrate::Privileges;

pub const STATEMENTS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS dossier_milestone (
        dossier_id {BIGINT} PRIMARY KEY REFERENCES dossier (id) ON DELETE CASCADE,
        qualified_at {TS},
        evaluation_at {TS},
        concluded_at {TS},
        closed_at {TS}
    )",
    "CREATE TABLE IF NOT EXISTS territory_population (
        territory_id {BIGINT} PRIMARY KEY REFERENCES territory (id) ON DELETE CASCADE,
        minors {BIGINT} NOT NULL,
        insee_year {BIGINT} NOT NULL,
        version {BIGINT} NOT NULL DEFAULT 1,
        updated_by {BIGINT} REFERENCES app_user (id),
        updated_at {TS} NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS saved_crosstab (
        id {ID},
        name TEXT NOT NULL UNIQUE,
        spec TEXT NOT NULL,
        created_by {BIGINT} REFERENCES app_user (id),
        created_at {TS} NOT NULL,
        updated_at {TS} NOT NULL,
        version {BIGINT} NOT NULL DEFAULT 1
    )",
];

/// What the application's role may do on the tables created here (see [`crate::grants`]).
pub const GRANTS: &[(&str, Privileges)] = &[
    ("dossier_milestone", Privileges::ReadWrite),
    ("territory_population", Privileges::ReadWrite),
    ("saved_crosstab", Privileges::ReadWrite),
];
