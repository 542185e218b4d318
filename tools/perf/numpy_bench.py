#!/usr/bin/env python3
"""NumPy timings of what crates/pgoracle/benches/natural_gradient.rs times in pgoracle (issue #9).

The same inputs (crates/pgoracle/benches/common/inputs.rs: score i, parameter j is
((7919 i + 104729 j + i j) mod 1013)/1013 - 0.5, gradient i is score i times 1 + (i mod 3)),
computed the obvious vectorised way:

  fisher          F = G.T @ G / m
  exact           numpy.linalg.solve(F, g)                 (no rank test; pgoracle's has one)
  damped          numpy.linalg.solve(F + 1e-3 I, g)
  pseudo_inverse  numpy.linalg.pinv(F, rcond=1e-12, hermitian=True) @ g
  cg              conjugate gradient on (F + 1e-3 I) u = g with Fv = G.T @ (G @ v) / m,
                  at most 50 iterations, stop at |r| <= 1e-10 |g| (pgoracle's loop)

and each natural update ends with theta' = theta + u sqrt(2 eps / g.u), eps = 0.01, as
pgoracle's does; the conjugate gradient also at n = 8192 (issue #20). G and g arrive as NumPy
arrays (pgoracle's inputs are Vec<DVector>, and its
time includes building G from them). Also measured: the GEMM peak, a 2048^3 matrix product.

Each time is the median of repeated runs (at least 10 runs and 1 s per size, as criterion's
median). Usage: python3 tools/perf/numpy_bench.py > target/perf/numpy.json
"""
import json
import platform
import sys
import time

import numpy as np

SIZES = [(2, 10), (2, 1000), (16, 10), (16, 1000), (256, 10), (256, 1000), (2048, 10), (2048, 1000)]
CG_ONLY_SIZES = [(8192, 10), (8192, 1000)]  # matrix-free only: F would be 512 MiB (issue #20)
EPS = 0.01
DAMPING = 1e-3


def inputs(n, m):
    i = np.arange(m, dtype=np.int64)[:, None]
    j = np.arange(n, dtype=np.int64)[None, :]
    scores = ((7919 * i + 104729 * j + i * j) % 1013).astype(np.float64) / 1013.0 - 0.5
    grads = scores * (1.0 + (np.arange(m) % 3))[:, None]
    return scores, grads


def step(theta, g, u):
    return theta + u * np.sqrt(2 * EPS / (g @ u))


def fisher(G):
    return G.T @ G / G.shape[0]


def exact(G, grads, theta):
    g = grads.mean(axis=0)
    return step(theta, g, np.linalg.solve(fisher(G), g))


def damped(G, grads, theta):
    g = grads.mean(axis=0)
    F = fisher(G)
    F[np.diag_indices_from(F)] += DAMPING
    return step(theta, g, np.linalg.solve(F, g))


def pseudo_inverse(G, grads, theta):
    g = grads.mean(axis=0)
    return step(theta, g, np.linalg.pinv(fisher(G), rcond=1e-12, hermitian=True) @ g)


def conjugate_gradient(G, grads, theta):
    g = grads.mean(axis=0)
    m = G.shape[0]
    target = 1e-10 * np.linalg.norm(g)
    u = np.zeros_like(g)
    r = g.copy()
    p = r.copy()
    rr = r @ r
    for _ in range(50):
        if np.sqrt(rr) <= target:
            break
        ap = G.T @ (G @ p) / m + DAMPING * p
        curvature = p @ ap
        if curvature <= 0:
            break
        a = rr / curvature
        u += a * p
        r -= a * ap
        rr_next = r @ r
        p = r + (rr_next / rr) * p
        rr = rr_next
    return step(theta, g, u)


def median_seconds(fn, min_runs=10, min_seconds=1.0, max_seconds=60.0):
    fn()  # warm up
    times = []
    start = time.perf_counter()
    while True:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - start
        if (len(times) >= min_runs and elapsed >= min_seconds) or elapsed >= max_seconds:
            break
    return float(np.median(times))


def main():
    results = {}
    for n, m in SIZES:
        G, grads = inputs(n, m)
        theta = np.zeros(n)
        key = f"n{n}_m{m}"
        results[f"fisher/{key}"] = median_seconds(lambda: fisher(G))
        for name, fn in [("exact", exact), ("damped", damped), ("pseudo_inverse", pseudo_inverse),
                         ("conjugate_gradient", conjugate_gradient)]:
            if name == "exact" and m < n:
                continue  # singular F: NumPy returns garbage or raises; pgoracle: SingularFisher
            results[f"natural_update/{name}/{key}"] = median_seconds(lambda: fn(G, grads, theta))
        print(key, file=sys.stderr)
    for n, m in CG_ONLY_SIZES:
        G, grads = inputs(n, m)
        theta = np.zeros(n)
        key = f"n{n}_m{m}"
        results[f"natural_update/conjugate_gradient/{key}"] = median_seconds(
            lambda: conjugate_gradient(G, grads, theta))
        print(key, file=sys.stderr)
    n = 2048
    A = np.random.default_rng(0).standard_normal((n, n))
    B = np.random.default_rng(1).standard_normal((n, n))
    gemm = median_seconds(lambda: A @ B, min_runs=5)
    config = np.__config__.CONFIG if hasattr(np.__config__, "CONFIG") else {}
    blas = config.get("Build Dependencies", {}).get("blas", {})
    print(json.dumps({
        "numpy": np.__version__,
        "blas": f"{blas.get('name', '?')} {blas.get('version', '')}".strip(),
        "python": platform.python_version(),
        "gemm_2048_seconds": gemm,
        "gemm_2048_gflops": 2 * n**3 / gemm / 1e9,
        "seconds": results,
    }, indent=1))


if __name__ == "__main__":
    main()
