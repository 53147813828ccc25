//! Vigie's persistence, on SQLite (embedded default) and PostgreSQL (production),
//! through one code path: `sea-orm` chooses the backend from the URL at run time and
//! every query is written once, in the SQL both backends understand (`$1` parameters).
//!
//! Rules built in here, that every caller inherits:
//! - every query that returns dossiers takes a [`Scope`](vigie_domain::Scope) and filters in SQL;
//! - every change, and every consultation of a dossier, writes its audit entry in the
//!   same transaction ([`audit`]); the trail is append-only and hash-chained;
//! - write transactions begin `IMMEDIATE` on SQLite, and serialise on the audit head row;
//! - migrations run in a transaction on both backends ([`migrate`]).
//!
//! Errors: [`StoreError`]; never SQL text, never personal data.
//!
//! # Map of the crate
//! The store maps rows to `vigie_domain` types (the dossier read model, the edit types,
//! the catalog); it keeps SQL, transactions and the audit chain. By concern:
//! - `backend/`: the only place SQLite and PostgreSQL differ (connection, row locks, id
//!   reservation, integrity and foreign-key checks, storage errors); [`db`] and [`sql`]
//!   build on it (the [`Store`] handle, statements, rows);
//! - dossiers: [`dossiers`] (read, list), [`edit`] (`save_dossier`: creation, update, one
//!   writer per part, revisions), `bulk` (many dossiers at once), `columns` (the column
//!   lists both write), [`suggest`], [`persons`], [`due`];
//! - parameter tables: [`params`], [`params_admin`], and [`reference`](mod@reference) (the reference data
//!   each process keeps in memory until a trigger says it changed); accounts: [`users`], [`authn`],
//!   [`sessions`], [`pending`], [`break_glass`], [`grants`];
//! - traceability: [`audit`] (chain, verification, retention, search), `anchor_log`, [`keys`];
//! - operations: [`migrate`] and its migrations, [`check`], [`health`], [`demo`] and
//!   [`demo_documents`].

// Functions stay short (clippy.toml: `too-many-lines-threshold`); the few allowed
// longer ones say why. Tests read as one scenario each and are not held to it.
#![cfg_attr(not(test), warn(clippy::too_many_lines))]

mod anchor_log;
pub mod audit;
pub mod authn;
mod backend;
pub mod backup;
pub mod break_glass;
mod bulk;
pub mod check;
mod columns;
pub mod communes;
pub mod db;
pub mod demo;
pub mod demo_documents;
pub mod documents;
pub mod dossiers;
pub mod due;
pub mod edit;
pub mod error;
pub mod grants;
pub mod health;
pub mod keys;
pub mod letter_templates;
pub mod letterhead;
pub mod migrate;
pub mod milestones;
mod name_keys;
pub mod navigation;
pub mod params;
pub mod params_admin;
pub mod password;
pub mod pending;
pub mod persons;
pub mod reference;
pub mod reminders;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod sql;
pub mod stats;
pub mod suggest;
#[cfg(feature = "testing")]
pub mod testing;
pub mod users;

pub use audit::Actor;
pub use db::{DbUrl, Store};
pub use error::StoreError;

/// Result type of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Refuses, before any SQL sees it, a text the domain's rule refuses (a control character,
/// a line break in a one-line field, too long): identical on both backends, never a
/// database error. Every store entry point that takes free text calls it (or the domain's
/// own validation, for whole dossiers).
pub(crate) fn text_in(
    field: &str,
    label: &str,
    kind: vigie_domain::text::TextKind,
    value: &str,
) -> Result<()> {
    vigie_domain::text::validate(field, label, kind, value).map_err(Into::into)
}
