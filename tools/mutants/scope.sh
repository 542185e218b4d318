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
  crates/pgoracle/src/book.rs crates/pgoracle/src/cholesky.rs crates/pgoracle/src/error.rs crates/pgoracle/src/lib.rs crates/pgoracle/src/limits.rs crates/pgoracle-cli/src/main.rs crates/pgoracle/src/scalar.rs \
  crates/pgoracle/src/tolerance.rs crates/pgoracle/src/verify.rs crates/pgoracle/src/policy/gaussian.rs crates/pgoracle/src/policy/linear_gaussian.rs \
  src/figures src/oracle src/problem src/simulate src/update_loop
git diff 81203cd HEAD -- \
  crates/pgoracle/src/fisher.rs crates/pgoracle/src/gradient_ascent.rs crates/pgoracle/src/linesearch.rs crates/pgoracle/src/natural.rs crates/pgoracle/src/solver.rs
