//! Version 14: the statistics' counters (`crate::stats::counter`) hold each way's totals of
//! every type (type 0) and the département's totals (`via = -1`), and their key puts the
//! territory and the type before the month: a dashboard reads one range of counters per
//! way it sums (a year of one territory, of the département) instead of every territory's
//! months. The table is made again with that key and the stored dossiers counted
//! ([`crate::stats::counter::backfill`]); counters hold nothing that the dossiers do not.

use crate::migrate::Privileges;

/// The counters are their primary key (on SQLite, no separate row id).
pub const STATEMENTS: &[&str] = &[
    "DROP TABLE IF EXISTS stat_counter",
    "CREATE TABLE stat_counter (
        kind TEXT NOT NULL,
        via {BIGINT} NOT NULL,
        territory_id {BIGINT} NOT NULL,
        type_id {BIGINT} NOT NULL,
        month {BIGINT} NOT NULL,
        k1 TEXT NOT NULL,
        k2 TEXT NOT NULL,
        n {BIGINT} NOT NULL,
        PRIMARY KEY (kind, via, territory_id, type_id, month, k1, k2)
    ){WITHOUT_ROWID}",
];

/// None new: version 13 declares `stat_counter`, granted again after every migration (see
/// [`crate::grants`]).
pub const GRANTS: &[(&str, Privileges)] = &[];
