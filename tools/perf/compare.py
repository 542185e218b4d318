#!/usr/bin/env python3
"""Side-by-side table of pgoracle (criterion) and NumPy (numpy_bench.py) timings, issue #9.

Usage: python3 tools/perf/compare.py target/perf/numpy.json target/criterion

Reads every target/criterion/**/new/benchmark.json (its full_id) and the median of the
estimates.json next to it, and prints markdown: per computation and size, pgoracle's median,
NumPy's median and NumPy/pgoracle (above 1: pgoracle is faster). Then the Fisher build's
flop rates against the GEMM peak, and the throughput benches.
"""
import json
import pathlib
import sys

FISHER_BLOCK = 512  # crates/pgoracle/src/fisher.rs (generic path, n <= 64)
NATIVE_MIN = 65  # crates/pgoracle/src/dense.rs: faer's lower-triangular syrk from here on


def criterion_medians(root):
    out = {}
    for bench in pathlib.Path(root).glob("**/new/benchmark.json"):
        full_id = json.loads(bench.read_text())["full_id"]
        est = json.loads((bench.parent / "estimates.json").read_text())
        out[full_id] = est["median"]["point_estimate"] * 1e-9
    return out


def fmt(seconds):
    if seconds is None:
        return "—"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.3g} s"


def performed_flops(n, m):
    """Flops of the Fisher build: for n >= 65 faer's syrk forms the lower triangle, m n (n + 1);
    below, crates/pgoracle/src/fisher.rs does one GEMM per block column, over the rows at and
    below it."""
    if n >= NATIVE_MIN:
        return m * n * (n + 1)
    total, j0 = 0, 0
    while j0 < n:
        w = min(FISHER_BLOCK, n - j0)
        total += 2 * m * w * (n - j0)
        j0 += w
    return total


def main():
    numpy = json.loads(pathlib.Path(sys.argv[1]).read_text())
    ours = criterion_medians(sys.argv[2])
    print("| computation | n | m | pgoracle | NumPy | NumPy / pgoracle |")
    print("|---|---|---|---|---|---|")
    keys = sorted(
        (k for k in ours if k.startswith(("fisher/", "natural_update/"))),
        key=lambda k: (k.rsplit("/", 1)[0], int(k.rsplit("/n", 1)[1].split("_m")[0]),
                       int(k.rsplit("_m", 1)[1])),
    )
    for key in keys:
        what, size = key.rsplit("/", 1)
        n, m = (int(x) for x in size[1:].split("_m"))
        theirs = numpy["seconds"].get(key)
        ratio = f"{theirs / ours[key]:.2f}" if theirs else "— (singular F)"
        print(f"| `{what}` | {n} | {m} | {fmt(ours[key])} | {fmt(theirs)} | {ratio} |")
    peak_np = numpy["gemm_2048_gflops"]
    rates = {}
    for key, name in (("gemm_peak/n2048", "nalgebra/matrixmultiply"), ("gemm_peak/faer_n2048", "faer")):
        if key in ours:
            rates[name] = 2 * 2048**3 / ours[key] / 1e9
    peak = max([peak_np, *rates.values()])
    print()
    mine = ", ".join(f"{name} {rate:.1f} GFLOP/s" for name, rate in rates.items())
    print(f"GEMM peak (C = AB, 2048 × 2048): NumPy ({numpy['blas']}) {peak_np:.1f} GFLOP/s, "
          f"{mine}; peak = {peak:.1f} GFLOP/s.")
    print()
    print("| Fisher build | pgoracle | performed flops | performed GFLOP/s | % of peak "
          "| 2mn² / t (GEMM-equivalent) | NumPy 2mn² / t |")
    print("|---|---|---|---|---|---|---|")
    for m in (10, 1000):
        n = 2048
        key = f"fisher/n{n}_m{m}"
        if key not in ours:
            continue
        t = ours[key]
        flops = performed_flops(n, m)
        rate = flops / t / 1e9
        equiv = 2 * m * n * n / t / 1e9
        np_equiv = 2 * m * n * n / numpy["seconds"][key] / 1e9
        print(f"| n = {n}, m = {m} | {fmt(t)} | {flops / 1e9:.2f} G | {rate:.1f} | "
              f"{100 * rate / peak:.0f}% | {equiv:.1f} | {np_equiv:.1f} |")
    print()
    for key, unit, per in (("simulate/regulator_m100_d10", "steps/s", 1000),
                           ("eval_jsonl/golden_suite", "cases/s", None)):
        if key in ours:
            count = per if per else numpy_cases()
            print(f"- `{key}`: {fmt(ours[key])} per iteration, {count / ours[key]:,.0f} {unit}")


def numpy_cases():
    root = pathlib.Path(__file__).resolve().parents[2] / "golden"
    return sum(len(g["tests"]) for p in root.glob("*.json")
               for g in json.loads(p.read_text())["test_groups"])


if __name__ == "__main__":
    main()
