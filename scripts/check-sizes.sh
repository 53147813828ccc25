#!/usr/bin/env bash
# Room sizes: no source file under a crate's src/ may pass 800 lines (issue 14). Test files are
# not counted: the crates' tests/ and benches/ folders, and a module's `tests.rs` (the body of a
# `#[cfg(test)] mod tests;`). Functions are held to ~120 lines by clippy::too_many_lines
# (clippy.toml). Split a file that grows past the limit by concern (see README, « Organisation
# du code »); do not raise the limit.
#
#   scripts/check-sizes.sh [max-lines]     (default 800)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MAX=${1:-800}
cd "$ROOT"
over=0
while IFS= read -r -d '' f; do
  n=$(wc -l <"$f")
  if [ "$n" -gt "$MAX" ]; then
    echo "too long: $f has $n lines (at most $MAX outside tests): split it by concern" >&2
    over=$((over + 1))
  fi
done < <(find crates -path '*/src/*' -name '*.rs' ! -name tests.rs ! -path '*/src/*/tests/*' -print0)
if [ "$over" -gt 0 ]; then
  echo "$over source file(s) over $MAX lines" >&2
  exit 1
fi
largest=$(find crates -path '*/src/*' -name '*.rs' ! -name tests.rs ! -path '*/src/*/tests/*' -exec wc -l {} + |
  grep -v ' total$' | sort -n | tail -n1 | awk '{print $2 " (" $1 " lines)"}')
echo "every source file under crates/*/src has at most $MAX lines; largest: $largest"
