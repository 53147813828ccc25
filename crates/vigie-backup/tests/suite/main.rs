//! The integration tests of vigie-backup, in one test binary (`tests/suite`): each module was its
//! own binary, each linking the whole crate graph. cargo-nextest (CI, `./scripts/test.sh`) runs
//! every test in its own process, as before; one module: `cargo nextest run -p vigie-backup -E
//! 'test(/^restore::/)'` or `cargo test -p vigie-backup --test suite restore::`.

mod concurrent;
mod fixture;
mod restore;
