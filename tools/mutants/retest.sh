#!/usr/bin/env bash
# Re-tests named mutants against the whole test suite (issue #5, docs/verification.md):
# the survivors of a group run (tools/mutants/run3.sh), after the tests written to kill them.
# Usage: bash tools/mutants/retest.sh OUTDIR NAMES... [-- CARGO_TEST_ARGS...]
# (NAMES: files of mutant names, one per line, as in cargo-mutants' missed.txt; without
# CARGO_TEST_ARGS the whole suite runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?output directory}
shift
names=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do names+=("$1"); shift; done
args=()
while IFS= read -r name; do
  [ -n "$name" ] || continue
  # Escape the regex metacharacters of the name, let its line and column float (the tests
  # written since may have moved the code), and anchor it.
  escaped=$(printf '%s' "$name" | sed -e 's/[][\\.+*?(){}|^$#&~-]/\\&/g' \
    -e 's/^\([^:]*\):[0-9]*:[0-9]*:/\1:[0-9]+:[0-9]+:/')
  args+=(--re "^${escaped}\$")
done < <(cat "${names[@]}")
cargo mutants -j 2 --timeout 60 --build-timeout 600 --baseline skip -o "$out" "${args[@]}" ${LIST:+--list} "$@"
