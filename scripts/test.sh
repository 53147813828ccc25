#!/usr/bin/env bash
# Vigie's whole test suite, locally and in CI (.ci/run): ./scripts/test.sh
#
#   1. tools & services  install what is missing (cargo-deny, cargo-audit, cargo-nextest),
#                        download every crate of Cargo.lock for every platform (cargo fetch),
#                        start PostgreSQL 127.0.0.1:5432 if it is down, Debian chromium +
#                        chromium-driver (apt) and tests/e2e's node modules (npm ci),
#                        libreoffice-writer-nogui + poppler-utils (apt) for the letters
#                        clamav-daemon (apt) for the antivirus test of uploads
#   2. cargo fmt         formatting; then scripts/check-sizes.sh: no src file over 800 lines
#   3. cargo clippy      lints, warnings are errors
#   4. cargo deny        advisories (offline RustSec snapshot), licences, layering bans, sources
#   5. cargo audit       advisories again, from Cargo.lock
#   6. letters           scripts/courriers-docx.sh --check: the default templates' DOCX are what
#                        LibreOffice makes of their ODT sources
#      cargo nextest     all tests, on SQLite and PostgreSQL (never skipped here)
#   7. doctests          cargo test --doc (nextest does not run them)
#   8. e2e               cargo build -p vigie (debug), then the browser tests in tests/e2e/
#                        (node --test, headless Debian chromium driven by playwright-core, axe)
#   then (always)        drop leftover vigie_t_* / vigie_tpl_* PostgreSQL databases, total time
#
# Non-interactive and idempotent: safe with CI=true and no stdin. Downloads what it needs (tools,
# crates, chromium, node modules) on a fresh machine or an empty CARGO_HOME; needs no network once
# the tools are installed, the crates are in the cargo cache and chromium and the e2e node modules are in
# the apt and npm caches.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_HOST=127.0.0.1
PG_PORT=5432
# cargo-deny 0.20 looks for the default database (https://github.com/RustSec/advisory-db) in this
# subfolder of deny.toml's db-path ("target/advisory-dbs"); cargo audit reads the same copy.
ADVISORY_DB="$ROOT/target/advisory-dbs/advisory-db-3157b0e258782691"
# Versions installed when missing (deny.toml is written for cargo-deny 0.20).
CARGO_DENY_VERSION=0.20.2
CARGO_AUDIT_VERSION=0.22.2

export DEBIAN_FRONTEND=noninteractive
if [ -t 1 ]; then export CARGO_TERM_COLOR=always; fi
# PostgreSQL tests are part of the suite: never skipped here.
if [ -n "${VIGIE_TEST_SKIP_PG:-}" ]; then
  echo "note: ignoring VIGIE_TEST_SKIP_PG=${VIGIE_TEST_SKIP_PG} (the test suite always runs the PostgreSQL tests)"
  unset VIGIE_TEST_SKIP_PG
fi

# ---------------------------------------------------------------------------------------------
# Steps: a header, a duration, a summary; the EXIT trap reports a failure and always cleans up.

now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

T_START=$(now)
CURRENT_STEP=""
CURRENT_T0=""
SUMMARY=()

step() {
  local name=$1; shift
  CURRENT_STEP=$name
  CURRENT_T0=$(now)
  printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$name"
  "$@"
  local d; d=$(elapsed "$CURRENT_T0")
  SUMMARY+=("$(printf '  ok      %8s  %s' "$d" "$name")")
  printf '<== %s: ok (%s)\n' "$name" "$d"
  CURRENT_STEP=""
}

die() { echo "error: $*" >&2; exit 1; }

on_exit() {
  local rc=$?
  set +e
  if [ -n "$CURRENT_STEP" ]; then
    SUMMARY+=("$(printf '  FAILED  %8s  %s' "$(elapsed "$CURRENT_T0")" "$CURRENT_STEP")")
  fi
  printf '\n==> [%s] cleanup: leftover PostgreSQL test databases\n' "$(date +%H:%M:%S)"
  local t0; t0=$(now)
  drop_test_databases
  SUMMARY+=("$(printf '  done    %8s  %s' "$(elapsed "$t0")" "cleanup")")
  printf '\n==> summary\n'
  printf '%s\n' "${SUMMARY[@]}"
  if [ "$rc" -eq 0 ]; then
    printf '\nAll checks passed in %s.\n' "$(elapsed "$T_START")"
  else
    printf '\nFAILED (exit %s) at step "%s" after %s.\n' "$rc" "${CURRENT_STEP:-?}" "$(elapsed "$T_START")" >&2
  fi
  exit "$rc"
}
trap on_exit EXIT

# ---------------------------------------------------------------------------------------------
# 1. Tools and services

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "needs root (or sudo) to run: $*"
  fi
}

ensure_rust_tools() {
  command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust (https://rustup.rs)"
  cargo --version
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    command -v rustup >/dev/null 2>&1 || die "rustfmt/clippy missing and rustup not found"
    rustup component add rustfmt clippy
  fi
  local spec
  for spec in "cargo-deny@$CARGO_DENY_VERSION" "cargo-audit@$CARGO_AUDIT_VERSION" "cargo-nextest"; do
    local bin=${spec%@*}
    if ! command -v "$bin" >/dev/null 2>&1; then
      echo "installing $spec (cargo install --locked; takes a few minutes once)"
      cargo install --locked "$spec"
    fi
  done
  local v
  v=$(cargo deny --version)
  case "$v" in
    "cargo-deny 0.20."*) ;;
    *) echo "warning: deny.toml is written for cargo-deny 0.20, found: $v" >&2 ;;
  esac
  echo "$v; $(cargo audit --version); $(cargo nextest --version | sed -n 1p)"
}

pg_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
  else
    # No client tools: is anything listening?
    (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null
  fi
}

ensure_postgres() {
  if ! command -v pg_isready >/dev/null 2>&1; then
    echo "warning: pg_isready not found (PostgreSQL client tools); only probing the port" >&2
  fi
  if pg_up; then
    echo "PostgreSQL answers at $PG_HOST:$PG_PORT"
    return
  fi
  echo "PostgreSQL does not answer at $PG_HOST:$PG_PORT: trying to start it"
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    local version
    version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n1)
    if [ -n "$version" ]; then
      echo "pg_ctlcluster --skip-systemctl-redirect $version main start"
      as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
      local i
      for i in $(seq 1 30); do
        if pg_up; then echo "PostgreSQL $version started"; return; fi
        sleep 1
      done
    fi
  fi
  die "PostgreSQL is not running at $PG_HOST:$PG_PORT and could not be started.
  The tests need it (user postgres, trust authentication on 127.0.0.1), e.g. on Debian:
    apt-get install -y postgresql && pg_ctlcluster --skip-systemctl-redirect <version> main start"
}

# Browser end-to-end tests: Debian chromium + chromium-driver (apt, only when missing; playwright's
# own browser download is not used) and tests/e2e's node modules, exactly as locked (npm ci).
install_browser_deps() {
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "installing chromium and chromium-driver (apt)"
    as_root apt-get update
    as_root apt-get install -y --no-install-recommends chromium chromium-driver
  fi
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    die "node/npm not found: install Node.js (>= 20) to run tests/e2e"
  echo "$(chromium --version 2>/dev/null | head -n1); node $(node --version); npm $(npm --version)"
  # --prefer-offline: the npm cache is enough once filled.
  (cd tests/e2e && npm ci --no-audit --no-fund --prefer-offline)
}

# Letters: LibreOffice converts them to PDF (and the default templates' DOCX from their ODT
# sources); poppler-utils reads the PDFs back in tests (pdftotext, pdfinfo). Debian packages, only
# when missing.
install_letter_deps() {
  if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
    echo "installing libreoffice-writer-nogui and poppler-utils (apt)"
    as_root apt-get update
    as_root apt-get install -y --no-install-recommends libreoffice-writer-nogui poppler-utils
  fi
  echo "$(soffice --version 2>/dev/null | head -n1); $(pdftotext -v 2>&1 | head -n1)"
}

# Uploads: the antivirus test runs against a private clamd with a test signature (no service started).
install_antivirus_deps() {
  if [ ! -x /usr/sbin/clamd ]; then
    echo "installing clamav-daemon (apt)"
    as_root apt-get update
    as_root apt-get install -y --no-install-recommends clamav-daemon
  fi
  /usr/sbin/clamd --version
}

# Every crate of Cargo.lock, for every platform: cargo-deny's `cargo metadata` reads the
# sources of crates a Linux build never compiles (web-sys, android_system_properties…), so the
# offline supply-chain steps below pass only when they are all in the cargo cache.
fetch_crates() {
  cargo fetch --locked
}

install_step() {
  ensure_rust_tools
  fetch_crates
  ensure_postgres
  install_letter_deps
  install_antivirus_deps
  install_browser_deps
}

# ---------------------------------------------------------------------------------------------
# 4-5. Supply chain, from the offline RustSec snapshot

find_supply_chain() {
  local d
  for d in "$ROOT/../shared/supply-chain" /work/shared/supply-chain; do
    if [ -x "$d/advisory-db" ] && [ -f "$d/advisory-db.tar.gz" ]; then
      (cd "$d" && pwd)
      return
    fi
  done
  die "offline RustSec advisory snapshot not found: expected advisory-db and advisory-db.tar.gz in
  $ROOT/../shared/supply-chain or /work/shared/supply-chain"
}

# Unpacks the snapshot afresh whenever it changes (the stamp is the tarball's checksum).
prepare_advisory_db() {
  local sc sum
  sc=$(find_supply_chain)
  sum=$(sha256sum "$sc/advisory-db.tar.gz" | cut -d' ' -f1)
  if [ "$(cat "$ADVISORY_DB.sha256" 2>/dev/null || true)" != "$sum" ]; then
    rm -rf "$ADVISORY_DB" "$ADVISORY_DB.sha256"
    "$sc/advisory-db" "$ADVISORY_DB" >/dev/null
    echo "$sum" >"$ADVISORY_DB.sha256"
  fi
  local count newest
  count=$(find "$ADVISORY_DB/crates" -name 'RUSTSEC-*.md' | wc -l)
  newest=$({ grep -rhoE '^date = "[0-9-]+"' "$ADVISORY_DB/crates" || true; } | sort | tail -n1 | tr -dc '0-9-')
  echo "advisory snapshot from $sc: $count advisories, newest dated $newest (advisories after it are not seen)"
}

deny_step() {
  prepare_advisory_db
  cargo deny --offline --locked check
}

audit_step() {
  prepare_advisory_db
  # --no-yanked: yanked status needs the crates.io index (cargo-deny skips it offline too).
  # Unsound and unmaintained crates fail, as with cargo-deny. Ignores: .cargo/audit.toml.
  cargo audit --db "$ADVISORY_DB" --no-fetch --no-yanked --deny unsound --deny unmaintained
}

# ---------------------------------------------------------------------------------------------
# 8. Browser end-to-end tests: each test file starts its own `vigie serve --demo` (debug build,
# free port, temporary directory) and drives headless chromium.

e2e_step() {
  cargo build -p vigie --locked
  [ -d tests/e2e/node_modules ] || die "tests/e2e/node_modules missing: run (cd tests/e2e && npm ci)"
  # Run from tests/e2e with no path: Node 20 and Node >= 22 (glob patterns) find the same
  # *.test.mjs files there, node_modules excluded.
  (cd tests/e2e &&
    VIGIE_BIN="$ROOT/target/debug/vigie" VIGIE_CHROMIUM="$(command -v chromium)" node --test)
}

# ---------------------------------------------------------------------------------------------
# Cleanup: databases left by failed or interrupted tests (TestDb::finish drops them otherwise).
# A vigie_t_<pid>_* database whose test process is still alive belongs to a concurrent run and is
# kept; templates are dropped under the lock the tests take to create or clone them (727274).

drop_test_databases() {
  if ! command -v psql >/dev/null 2>&1; then
    echo "psql not found: skipped"; return 0
  fi
  if ! pg_up; then
    echo "PostgreSQL not running: nothing to clean"; return 0
  fi
  local psql=(psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres)
  local names name pid dropped=0 kept=0
  names=$("${psql[@]}" -c "SELECT datname FROM pg_database WHERE datname LIKE 'vigie\_t\_%' OR datname LIKE 'vigie\_tpl\_%' ORDER BY datname") || {
    echo "warning: could not list databases" >&2; return 0; }
  local sql="SELECT pg_advisory_lock(727274);"$'\n'
  for name in $names; do
    [[ $name =~ ^vigie_(t|tpl)_[A-Za-z0-9_]+$ ]] || continue
    if [[ $name =~ ^vigie_t_([0-9]+)_ ]]; then
      pid=${BASH_REMATCH[1]}
      if [ -d "/proc/$pid" ]; then kept=$((kept + 1)); continue; fi
    fi
    sql+="DROP DATABASE IF EXISTS \"$name\" WITH (FORCE);"$'\n'
    dropped=$((dropped + 1))
  done
  sql+="SELECT pg_advisory_unlock(727274);"
  if [ "$dropped" -gt 0 ]; then
    "${psql[@]}" >/dev/null <<<"$sql" || echo "warning: could not drop every test database" >&2
  fi
  echo "dropped $dropped database(s)$([ "$kept" -gt 0 ] && echo ", kept $kept in use by running tests")"
}

# ---------------------------------------------------------------------------------------------

step "tools and services" install_step
step "cargo fmt --check" cargo fmt --all -- --check
step "room sizes (src files <= 800 lines)" scripts/check-sizes.sh
step "cargo clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo deny (offline)" deny_step
step "cargo audit (offline)" audit_step
step "default letters: each DOCX matches its ODT source" scripts/courriers-docx.sh --check
step "cargo nextest (SQLite + PostgreSQL)" cargo nextest run --workspace --locked
step "doctests" cargo test --workspace --locked --doc
step "end-to-end (headless chromium)" e2e_step
