"""A small NumPy implementation of pgoracle's `natural_update` (Eqs. 12.12-12.13, Algorithm 12.4),
written the obvious vectorised way, to show how another implementation is checked against the
golden files (docs/oracle.md).

    python3 tools/numpy_example/natural_update.py golden/natural_update.json > numpy_results.json
    pgoracle check golden/natural_update.json numpy_results.json

`--variant peer-scale` uses the step scale of CG-based peers, sqrt(2 eps / u^T F u), with a
fixed 3 CG iterations, to show what a failing report looks like.
"""
import json
import sys

import numpy as np


class Failure(Exception):
    def __init__(self, kind):
        super().__init__(kind)
        self.kind = kind


def number(x):
    if isinstance(x, str):
        return {"NaN": np.nan, "Infinity": np.inf, "-Infinity": -np.inf}[x]
    return x


def cg(F, g, iters, tol=0.0):
    u = np.zeros_like(g)
    r = g.copy()
    p = r.copy()
    rr = r @ r
    for _ in range(iters):
        Ap = F @ p
        curvature = p @ Ap
        if curvature <= 0:
            break
        a = rr / curvature
        u, r = u + a * p, r - a * Ap
        rr_next = r @ r
        if np.sqrt(rr_next) <= tol * np.linalg.norm(g):
            break
        p = r + (rr_next / rr) * p
        rr = rr_next
    return u


def natural_update(inp, dtype, variant):
    theta = np.array([number(x) for x in inp["theta"]], dtype=dtype)
    G = np.array([[number(x) for x in row] for row in inp["grads"]], dtype=dtype)
    S = np.array([[number(x) for x in row] for row in inp["scores"]], dtype=dtype)
    eps = dtype(number(inp["epsilon"]))
    solver = inp.get("solver", {"kind": "exact"})
    if theta.size == 0 or G.size == 0 or S.size == 0:
        raise Failure("EmptyInput")
    if G.shape[1] != theta.size or S.shape[1] != theta.size or G.shape[0] != S.shape[0]:
        raise Failure("DimensionMismatch")
    values = [theta, G, S, [eps]] + [[number(v)] for k, v in solver.items() if k not in ("kind", "strict")]
    if not all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in values):
        raise Failure("NonFiniteInput")
    if eps <= 0 or (solver["kind"] == "damped" and solver["damping"] <= 0):
        raise Failure("InvalidParameter")
    g = G.mean(axis=0)
    if not np.any(g):
        raise Failure("ZeroGradient")
    F = S.T @ S / S.shape[0]
    kind = solver["kind"]
    if kind == "exact":
        if np.linalg.matrix_rank(F) < F.shape[0]:
            raise Failure("SingularFisher")
        u = np.linalg.solve(F, g)
    elif kind == "damped":
        u = np.linalg.solve(F + solver["damping"] * np.eye(F.shape[0], dtype=dtype), g)
    elif kind == "pseudo_inverse":
        u = np.linalg.pinv(F, rcond=solver["rcond"], hermitian=True) @ g
    else:
        A = F + solver["damping"] * np.eye(F.shape[0], dtype=dtype)
        u = cg(A, g, 3 if variant == "peer-scale" else solver["max_iters"], 0.0 if variant == "peer-scale" else solver["tol"])
    curvature = (u @ (F @ u)) if variant == "peer-scale" else (g @ u)
    if not curvature > 0:
        raise Failure("NonPositiveCurvature")
    theta_new = theta + u * np.sqrt(2 * eps / curvature)
    out = {"grad": g, "direction": u, "theta": theta_new}
    if kind != "conjugate_gradient":
        out["fisher"] = F
    return {k: v.tolist() for k, v in out.items()}


def main():
    variant = "peer-scale" if "--variant" in sys.argv and "peer-scale" in sys.argv else "book"
    golden = json.load(open(sys.argv[1]))
    results = []
    for group in golden["test_groups"]:
        dtype = np.float32 if group["scalar"] == "f32" else np.float64
        for t in group["tests"]:
            result = {"id": t["id"], "operation": t["operation"]}
            try:
                with np.errstate(all="ignore"):
                    result["output"] = natural_update(t["input"], dtype, variant)
            except Failure as f:
                result["error"] = {"kind": f.kind}
            except np.linalg.LinAlgError:
                result["error"] = {"kind": "SingularFisher"}
            results.append(result)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
