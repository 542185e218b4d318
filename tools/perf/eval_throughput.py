#!/usr/bin/env python3
"""End-to-end throughput of `pgoracle eval --jsonl` (issue #9), in cases per second.

Two inputs, each piped through the release binary with stdout to /dev/null:
  golden  every test of golden/*.json as one line {"id", "operation", "scalar", "input"},
          the suite repeated 50 times (44 100 cases);
  small   the golden cases whose line is at most 300 bytes (scale_gradient, clip_gradient,
          kl_*, surrogate steps on one or two parameters, ...), repeated to 200 000 lines.

Usage: cargo build --release && python3 tools/perf/eval_throughput.py
The best of 3 runs is reported (the first also warms the page cache).
"""
import json
import pathlib
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "release" / "pgoracle"


def golden_lines():
    lines = []
    for path in sorted((ROOT / "golden").glob("*.json")):
        for group in json.loads(path.read_text())["test_groups"]:
            for t in group["tests"]:
                case = {k: t[k] for k in ("id", "operation", "scalar", "input")}
                lines.append(json.dumps(case, separators=(",", ":")))
    return lines


def best_rate(lines):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as f:
        f.write("\n".join(lines) + "\n")
        f.flush()
        best = float("inf")
        for _ in range(3):
            with open(f.name) as stdin:
                start = time.perf_counter()
                subprocess.run([BINARY, "eval", "--jsonl"], stdin=stdin,
                               stdout=subprocess.DEVNULL, check=True)
                best = min(best, time.perf_counter() - start)
    return len(lines) / best, best


def main():
    suite = golden_lines()
    small = [line for line in suite if len(line) <= 300]
    for name, lines in (("golden", suite * 50),
                        ("small", (small * (200_000 // len(small) + 1))[:200_000])):
        rate, seconds = best_rate(lines)
        print(f"{name}: {len(lines)} cases in {seconds:.3f} s = {rate:,.0f} cases/s")
    ops = sorted({json.loads(line)["operation"] for line in small})
    print(f"small cases: {len(small)} distinct, operations: {', '.join(ops)}")


if __name__ == "__main__":
    main()
