//! Version 8: the name search reads a few hundred keys where it intersected every person
//! of each common word typed (`vigie_domain::search::keys`).
//!
//! `person_key` and `adult_key` get a key per pair of a person's name pieces
//! (`fp:la|np:martin`), and `person_key` a key per piece and birth year (`np:martin|2019`,
//! `np:martin|?` when unknown): the keys are recomputed for every person and adult
//! ([`crate::name_keys::rebuild`]).
//!
//! On SQLite both tables become `WITHOUT ROWID`: their primary key is the table, not a
//! second copy of every key beside a rowid table (at 1,000,000 dossiers the keys take
//! 1,164 MiB so, 1,689 MiB with rowid tables). PostgreSQL keeps its tables.

pub const SQLITE_ONLY: &[&str] = &[
    "DROP TABLE person_key",
    "CREATE TABLE person_key (
        key TEXT NOT NULL,
        person_id INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE,
        PRIMARY KEY (key, person_id)
    ) WITHOUT ROWID",
    "CREATE INDEX person_key_person ON person_key (person_id)",
    "DROP TABLE adult_key",
    "CREATE TABLE adult_key (
        key TEXT NOT NULL,
        adult_id INTEGER NOT NULL REFERENCES adult (id) ON DELETE CASCADE,
        PRIMARY KEY (key, adult_id)
    ) WITHOUT ROWID",
    "CREATE INDEX adult_key_adult ON adult_key (adult_id)",
];
