//! Version 7: the name search finds names typed joined or split, with a typo, and the
//! parents too (`vigie_domain::search`).
//!
//! - `person_key` is rebuilt with the new keys (every run of consecutive words of a name
//!   joined: « de La Tour » → tour, latour, delatour…).
//! - `adult_key`: the same keys for the adults of a dossier's « Parents » part.
//! - `name_variant`: the vocabulary of the names stored (pieces of five letters or more)
//!   with their one-deletion variants, which find the names within one typo of a word
//!   typed. Words no longer used by any key stay until the dossiers' retention prunes them.

use crate::migrate::Privileges;

pub const STATEMENTS: &[&str] = &[
    "CREATE TABLE adult_key (
        key TEXT NOT NULL,
        adult_id {BIGINT} NOT NULL REFERENCES adult (id) ON DELETE CASCADE,
        PRIMARY KEY (key, adult_id)
    )",
    "CREATE INDEX adult_key_adult ON adult_key (adult_id)",
    "CREATE TABLE name_variant (
        variant TEXT NOT NULL,
        word TEXT NOT NULL,
        PRIMARY KEY (variant, word)
    )",
    "CREATE INDEX name_variant_word ON name_variant (word)",
];

pub const GRANTS: &[(&str, Privileges)] = &[
    ("adult_key", Privileges::ReadWrite),
    ("name_variant", Privileges::ReadWrite),
];
