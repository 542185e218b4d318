#!/usr/bin/env bash
# Mutation run 4 (issue #15, docs/verification.md § Run 4): the lines that the workspace split
# changed, as a diff from the last single-crate commit (cf629a2) with renames followed, so a
# moved file contributes only its changed lines. Every mutant is tested against the whole
# workspace's tests (an oracle change is caught by the CLI's tests, a core change by the
# oracle's 50-digit reference test), without doctests.
# Usage: bash tools/mutants/run4.sh OUTDIR
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?output directory}
mkdir -p "$out"
# The diff needs both sides (src/ and crates/) for git to follow the renames; cargo-mutants
# then mutates only lines of crates/*/src files (.cargo/mutants.toml excludes the fuzz crate).
git diff -M cf629a2 HEAD -- src crates > "$out/scope.diff"
cargo test --workspace --profile mutants --no-run --quiet
cargo mutants -j 2 --timeout 120 --build-timeout 900 --baseline skip --copy-target=true \
  --test-workspace=true -o "$out" --in-diff "$out/scope.diff" \
  -- --lib --bins --tests || true
