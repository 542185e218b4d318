#!/usr/bin/env python3
"""A candidate for `pgoracle hunt` with one planted bug (Python standard library only).

Usage: planted.py BUG PGORACLE

It speaks `pgoracle eval --jsonl`'s protocol: one case per line in, one result per line out.
Every case is answered by `PGORACLE eval --jsonl` (a correct implementation), except where BUG
changes the answer:

- nan-zero-gradient: restricted_step is θ + √(2ε)·g/‖g‖ computed here, so g = 0 gives NaN
  instead of the ZeroGradient error;
- naive-norm: scale_gradient computes ‖g‖ as √Σgᵢ² (overflows for |gᵢ| ≳ 1e154);
- strict-linesearch: trust_region_update accepts g < ε instead of g ≤ ε (pgoracle itself
  with the `acceptance: strict` convention, which the oracle takes for one-step
  trajectories; with `averaging: per_sample`, the same as the book's averaging there);
- fisher-m-minus-1: fisher divides by m − 1 instead of m.
"""
import json
import math
import subprocess
import sys

BUG, PGORACLE = sys.argv[1], sys.argv[2]
oracle = subprocess.Popen([PGORACLE, "eval", "--jsonl"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)


def number(x):
    """A float as the interface writes it (non-finite values as strings)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def ask(case):
    oracle.stdin.write(json.dumps(case) + "\n")
    oracle.stdin.flush()
    return json.loads(oracle.stdout.readline())


def floats(xs):
    return [float(x) for x in xs]


def planted(case):
    op, x = case["operation"], case["input"]
    out = None
    try:
        if BUG == "nan-zero-gradient" and op == "restricted_step":
            theta, g, eps = floats(x["theta"]), floats(x["grad"]), float(x["epsilon"])
            norm = math.hypot(*g)
            out = {"theta": [t + math.sqrt(2 * eps) * (gi / norm if norm else math.nan)
                             for t, gi in zip(theta, g)]}
        elif BUG == "naive-norm" and op == "scale_gradient" and case.get("scalar") != "f32":
            g, l2 = floats(x["grad"]), float(x["l2_max"])
            norm = math.sqrt(sum(gi * gi for gi in g))
            factor = min(l2 / norm, 1.0) if norm > 0 else 1.0
            out = {"grad": [gi * factor for gi in g]}
        elif BUG == "fisher-m-minus-1" and op == "fisher":
            s = [floats(r) for r in x["scores"]]
            m, n = len(s), len(s[0])
            scale = 1.0 / (m - 1) if m > 1 else math.inf
            out = {"fisher": [[sum(r[i] * r[j] for r in s) * scale for j in range(n)]
                              for i in range(n)]}
    except (TypeError, ValueError, KeyError, IndexError, OverflowError):
        out = None
    if out is not None:
        return {"id": case["id"], "operation": op,
                "output": {k: ([[number(v) for v in row] for row in val]
                               if val and isinstance(val[0], list) else [number(v) for v in val])
                           for k, val in out.items()}}
    if (BUG == "strict-linesearch" and op == "trust_region_update"
            and all(len(t) == 1 for t in x.get("trajectories", []))):
        case = dict(case, conventions={"acceptance": "strict", "averaging": "per_sample"})
    return ask(case)


for line in sys.stdin:
    if line.strip():
        print(json.dumps(planted(json.loads(line))), flush=True)
