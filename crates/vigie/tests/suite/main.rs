//! The integration tests of the `vigie` program (its commands, run as a child process), in one
//! test binary (`tests/suite`): each module was its own binary, each linking the whole crate
//! graph. cargo-nextest (CI, `./scripts/test.sh`) runs every test in its own process, as before;
//! one module: `cargo nextest run -p vigie -E 'test(/^audit_cli::/)'` or
//! `cargo test -p vigie --test suite audit_cli::`.

mod audit_cli;
mod backup_cli;
mod cli;
mod pg_roles;
