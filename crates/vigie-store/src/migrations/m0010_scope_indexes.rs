//! Version 10: the scope of an évaluateur tested from small indexes alone.
//!
//! A search probes, for each candidate child or adult, whether one of its dossiers is in
//! the caller's scope (territory, or an assignment to their service): a person's dossiers,
//! an adult's dossier, a dossier's territory and its services are read here from indexes
//! that hold just those columns, instead of the wide rows of `dossier_child`, `adult` and
//! `dossier` (at 1,000,000 demo dossiers on SQLite, 30, 25, 13 and 14 MB of index instead of
//! 193, 161 and 532 MB of rows: the probes of a common name stay in memory). The indexes they
//! extend are dropped: each new one serves what the old one did.
//!
//! Every statement may run again over its own result (`IF NOT EXISTS`, `IF EXISTS`).

pub const STATEMENTS: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS dossier_child_person_dossier ON dossier_child (person_id, dossier_id)",
    "DROP INDEX IF EXISTS dossier_child_person",
    "CREATE INDEX IF NOT EXISTS adult_scope ON adult (id, dossier_id)",
    "CREATE INDEX IF NOT EXISTS dossier_scope ON dossier (id, territory_id)",
    "CREATE INDEX IF NOT EXISTS assignment_dossier_service ON assignment (dossier_id, service_id)",
    "DROP INDEX IF EXISTS assignment_dossier",
];
