#!/usr/bin/env bash
# pgoracle and NumPy on the same inputs, in one sitting, and the ratio table (issue #20).
#
# Usage: bash tools/perf/run.sh [criterion filter]   (from anywhere; writes target/perf/)
#   NumPy first (tools/perf/numpy_bench.py), then `cargo bench --bench natural_gradient`
#   (criterion, target/criterion), then tools/perf/compare.py. About 15 minutes on 2 cores.
#   A filter (e.g. 'fisher/') runs only the matching criterion benches; the table then
#   mixes their new medians with whatever target/criterion held before.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$target/perf"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)" >&2
python3 tools/perf/numpy_bench.py > "$target/perf/numpy.json"
cargo bench -p pgoracle --features threading --bench natural_gradient -- ${1:+"$1"}
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 tools/perf/compare.py "$target/perf/numpy.json" "$target/criterion" | tee "$target/perf/table.md"
