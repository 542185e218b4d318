#!/usr/bin/env bash
# The scope of mutation run 3 (issue #5, docs/verification.md § Mutation score), as a unified
# diff for `cargo mutants --in-diff`:
#   - every line of the files that runs 1 and 2 did not cover (a diff from the empty tree);
#   - the lines of the run-1/run-2 files that changed after run 2 (commit 81203cd).
# Usage: bash tools/mutants/scope.sh > target/mutants-scope.diff
set -euo pipefail
cd "$(dirname "$0")/../.."
empty_tree=$(git hash-object -t tree /dev/null)
git diff "$empty_tree" HEAD -- \
  src/book.rs src/cholesky.rs src/error.rs src/lib.rs src/limits.rs src/main.rs src/scalar.rs \
  src/tolerance.rs src/verify.rs src/policy/gaussian.rs src/policy/linear_gaussian.rs \
  src/figures src/oracle src/problem src/simulate src/update_loop
git diff 81203cd HEAD -- \
  src/fisher.rs src/gradient_ascent.rs src/linesearch.rs src/natural.rs src/solver.rs
