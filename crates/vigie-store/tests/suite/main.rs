//! The integration tests of vigie-store, in one test binary (`tests/suite`): each module was its
//! own binary, each linking the whole crate graph. cargo-nextest (CI, `./scripts/test.sh`) runs
//! every test in its own process, as before; one module: `cargo nextest run -p vigie-store -E
//! 'test(/^store::/)'` or `cargo test -p vigie-store --test suite store::`.
//!
//! Under `cargo test`, the modules' tests share one process: process-wide state (the storage
//! failures counted for `/healthz`, see `write_faults`) is then shared by tests that used to run
//! in separate binaries.

mod common;

mod attachments;
mod audit_forgery;
mod audit_trail;
mod authn;
mod bulk;
mod demo_documents;
mod documents;
mod due;
mod edit;
mod least_privilege;
mod letter_templates;
mod list_filters;
mod params_admin;
mod pending_accounts;
mod reference;
mod reminders;
mod search;
mod stat_counters;
mod stats;
mod store;
mod text_input;
mod tls;
mod users_admin;
mod write_faults;
