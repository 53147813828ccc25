//! The integration tests of vigie-web, in one test binary (`tests/suite`): each module was its
//! own binary, each linking the whole crate graph. cargo-nextest (CI, `./scripts/test.sh`) runs
//! every test in its own process, as before; one module: `cargo nextest run -p vigie-web -E
//! 'test(/^account::/)'` or `cargo test -p vigie-web --test suite account::`.
//!
//! Under `cargo test`, the modules' tests share one process: process-wide state (the storage
//! failures `/healthz` counts, see `edit::a_database_that_cannot_write_…`) is then shared by
//! tests that used to run in separate binaries.

mod common;

mod account;
mod admin_params;
mod admin_users;
mod api;
mod attachments;
mod audit_page;
mod authz_matrix;
mod backup_restore;
mod dashboard;
mod edit;
mod input_bounds;
mod letters;
mod list_filters;
mod login_throttle;
mod openapi_snapshot;
mod pending_accounts;
mod reminders;
mod templates;
mod web;
