"""Independent float64 NumPy re-computation of the sb3 recordings (no torch needed).

Checks that the recordings are self-consistent and in pgoracle's θ order, by recomputing from
the case input alone what profiles.md says the sb3 profile computes:
TRPO: Â = (A − mean)/(std₁ + 1e-8); g = mean Â∇log π; F = Hessian of mean KL(π_θ′‖π_θ)
(analytic: Gaussian diag(1/σ², 2) in (μ, log σ); softmax diag(π) − ππᵀ per state, weighted by
the state's share of the samples); CG on (F + λI) from cg_start with SB3's loop; β = √(2δ/uᵀAu);
line search θ + β·shrinkᵏ·u, accept KL(new‖old) < δ and f′ > f.
PPO: value, grad, approx_kl, clip_fraction of the clipped surrogate.
torch: clip_grad_norm_, clip_grad_value_, KL formulas.
f64 recordings must agree to 1e-9 relative (normwise), f32 ones to 1e-3 (a loose order check:
float32 rounding is amplified by CG). Cases whose outcome is rounding noise (zero gradient) are
reported as skipped. Exit 1 on any disagreement.

    python3 tools/peers/selfcheck.py [tests/peers]
"""
from __future__ import annotations

import json
import math
import os
import sys

import numpy as np


def num(x):
    if isinstance(x, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[x]
    return float(x)


def arr(v):
    return np.array([num(x) for x in v], dtype=np.float64)


def rel(a, b):
    """Normwise relative difference over the finite entries; inf unless the non-finite entries
    (NaN, +inf, -inf) sit at the same places with the same values."""
    a, b = np.atleast_1d(np.asarray(a, float)), np.atleast_1d(np.asarray(b, float))
    if a.shape != b.shape:
        return math.inf
    fa, fb = np.isfinite(a), np.isfinite(b)
    if not np.array_equal(fa, fb):
        return math.inf
    for x, y in zip(a[~fa], b[~fb]):
        if not ((math.isnan(x) and math.isnan(y)) or x == y):
            return math.inf
    d = np.linalg.norm(a[fa] - b[fa])
    s = np.linalg.norm(b[fa])
    return d / s if s > 0 else d


# ---------------------------------------------------------------------------------------------
class Policy:
    def __init__(self, pol, theta):
        self.fam = pol["family"]
        self.t = np.asarray(theta, float)
        if self.fam == "softmax":
            self.ns, self.na = pol["n_states"], pol["n_actions"]

    def probs(self, t, s):
        z = t.reshape(self.ns, self.na)[s]
        e = np.exp(z - z.max())
        return e / e.sum()

    def logp(self, t, s, a):
        if self.fam == "softmax":
            z = t.reshape(self.ns, self.na)[s]
            return z[a] - (z.max() + math.log(np.exp(z - z.max()).sum()))
        mu, ls = t
        return -((a - mu) ** 2) / (2 * math.exp(2 * ls)) - ls - math.log(math.sqrt(2 * math.pi))

    def score(self, t, s, a):
        if self.fam == "softmax":
            g = np.zeros_like(t)
            p = self.probs(t, s)
            g[s * self.na:(s + 1) * self.na] = -p
            g[s * self.na + a] += 1
            return g
        mu, ls = t
        v = math.exp(2 * ls)
        return np.array([(a - mu) / v, (a - mu) ** 2 / v - 1])

    def kl_new_old(self, tn, to, s):
        if self.fam == "softmax":
            pn, po = self.probs(tn, s), self.probs(to, s)
            return float(np.sum(pn * (np.log(pn) - np.log(po))))
        (mn, ln), (mo, lo) = tn, to
        return lo - ln + (math.exp(2 * ln) + (mn - mo) ** 2) / (2 * math.exp(2 * lo)) - 0.5

    def fisher_kl(self, t, states):
        n = len(t)
        F = np.zeros((n, n))
        for s in states:
            if self.fam == "softmax":
                p = self.probs(t, s)
                b = slice(s * self.na, (s + 1) * self.na)
                F[b, b] += np.diag(p) - np.outer(p, p)
            else:
                F += np.diag([math.exp(-2 * t[1]), 2.0])
        return F / len(states)


def sb3_cg(A, b, x0, max_iter, tol=1e-10):
    x = x0.copy()
    r = b - A @ x
    rs = r @ r
    if rs < tol:
        return x, 0
    p = r.copy()
    for i in range(max_iter):
        Ap = A @ p
        alpha = rs / (p @ Ap)
        x = x + alpha * p
        if i == max_iter - 1:
            return x, i + 1
        r = r - alpha * Ap
        nrs = r @ r
        if nrs < tol:
            return x, i + 1
        p = r + (nrs / rs) * p
        rs = nrs
    return x, max_iter


def trpo(inp):
    P = Policy(inp["policy"], arr(inp["theta"]))
    t = P.t
    S = inp["samples"]
    st = [x["s"] for x in S]
    ac = [x["a"] if P.fam == "softmax" else num(x["a"]) for x in S]
    A = np.array([num(x["advantage"]) for x in S])
    if inp.get("normalize_advantage", True):
        A = (A - A.mean()) / (A.std(ddof=1) + 1e-8)
    delta = inp.get("target_kl", 0.01)
    lam = inp.get("cg_damping", 0.1)
    g = np.mean([a_ * P.score(t, s, a) for s, a, a_ in zip(st, ac, A)], axis=0)
    M = P.fisher_kl(t, st) + lam * np.eye(len(t))
    x0 = arr(inp["cg_start"]) if "cg_start" in inp else np.zeros(len(t))
    u, it = sb3_cg(M, g, x0, inp.get("cg_max_steps", 15))
    beta = math.sqrt(2 * delta / (u @ M @ u))
    lp0 = np.array([P.logp(t, s, a) for s, a in zip(st, ac)])
    f0 = float(np.mean(A))
    c = 1.0
    shrink = inp.get("line_search_shrinking_factor", 0.8)
    mx = inp.get("line_search_max_iter", 10)
    for k in range(mx):
        tn = t + c * beta * u
        lp = np.array([P.logp(tn, s, a) for s, a in zip(st, ac)])
        f = float(np.mean(A * np.exp(lp - lp0)))
        kl = float(np.mean([P.kl_new_old(tn, t, s) for s in st]))
        if kl < delta and f > f0:
            return dict(theta=tn, accepted=True, candidates=k + 1, grad=g, search_direction=u,
                        line_search_max_step_size=beta, new_policy_objective=f, kl_div=kl), g
        c *= shrink
    return dict(theta=t, accepted=False, candidates=mx, grad=g, search_direction=u, line_search_max_step_size=beta,
                new_policy_objective=f, kl_div=kl), g


def ppo(inp, op):
    P = Policy(inp["policy"], arr(inp["theta"]))
    tp = arr(inp["theta_prime"])
    S = inp["samples"]
    A = np.array([num(x["advantage"]) for x in S])
    if inp.get("normalize_advantage", True) and len(A) > 1:
        A = (A - A.mean()) / (A.std(ddof=1) + 1e-8)
    eps = inp.get("clip_range", 0.2)
    lr = np.array([P.logp(tp, x["s"], x["a"]) - P.logp(P.t, x["s"], x["a"]) for x in S])
    w = np.exp(lr)
    v = float(np.mean(np.minimum(w * A, np.clip(w, 1 - eps, 1 + eps) * A)))
    if op == "clamped_objective":
        return dict(value=v, policy_loss=-v, approx_kl=float(np.mean((w - 1) - lr)),
                    clip_fraction=float(np.mean(np.abs(w - 1) > eps)))
    g = np.zeros(len(tp))
    for x, wi, ai in zip(S, w, A):
        active = not ((ai > 0 and wi > 1 + eps) or (ai < 0 and wi < 1 - eps))
        if active:
            g += ai * wi * P.score(tp, x["s"], x["a"])
    return dict(grad=g / len(S))


def book_trpo(inp):
    """Book Algorithm 12.5 (version-1 trust_region_update) in float64 for one-step trajectories."""
    P = Policy(inp["policy"], arr(inp["theta"]))
    t = P.t
    steps = [tr[0] for tr in inp["trajectories"]]
    m = len(steps)
    sc = np.array([P.score(t, x["s"], num(x["a"]) if P.fam != "softmax" else x["a"]) for x in steps])
    R = np.array([num(x["r"]) for x in steps])
    g = (sc * R[:, None]).mean(axis=0)
    F = sc.T @ sc / m
    u = np.linalg.solve(F, g)
    th1 = t + u * math.sqrt(2 * inp["epsilon"] / (g @ u))
    lp0 = np.array([P.logp(t, x["s"], num(x["a"])) for x in steps])

    def fg(tp):
        lp = np.array([P.logp(tp, x["s"], num(x["a"])) for x in steps])
        f = float(np.mean(np.exp(lp - lp0) * R))
        kl = float(np.mean([P.kl_new_old(t, tp, x["s"]) for x in steps]))  # KL(old || new)
        return f, kl

    f0 = float(np.mean(R))
    tp = th1
    for k in range(inp.get("max_steps", 100) + 1):
        f, kl = fg(tp)
        if kl <= inp["epsilon"] and f > f0:
            return dict(grad=g, fisher=F, direction=u, theta_natural=th1, theta=tp, steps=k, accepted=True,
                        f_theta=f0, f_theta_prime=f, g_theta_prime=kl)
        if k == inp.get("max_steps", 100):
            break
        tp = t + inp["alpha"] * (tp - t)
    return dict(grad=g, fisher=F, direction=u, theta_natural=th1, theta=t, steps=inp.get("max_steps", 100),
                accepted=False, f_theta=f0, f_theta_prime=f, g_theta_prime=kl)


def book_ppo(op, inp):
    """Book Eq. 12.22 / Alg. 12.6 in float64: mean over steps, then over trajectories."""
    pol = Policy(inp["policy"], arr(inp["theta"]))
    tp = arr(inp["theta_prime"])
    eps = inp["epsilon"]
    vs_t, gs_t = [], []
    for tr in inp["trajectories"]:
        d = len(tr)
        R = [sum(num(tr[j]["r"]) * inp["gamma"] ** j for j in range(k, d)) for k in range(d)]
        vs, gs = [], []
        for st, r in zip(tr, R):
            a = st["a"] if pol.fam == "softmax" else num(st["a"])
            w = math.exp(pol.logp(tp, st["s"], a) - pol.logp(pol.t, st["s"], a))
            vs.append(min(w * r, min(max(w, 1 - eps), 1 + eps) * r))
            clamped = (r > 0 and w > 1 + eps) or (r < 0 and w < 1 - eps)
            gs.append(np.zeros(len(tp)) if clamped else w * r * pol.score(tp, st["s"], a))
        vs_t.append(np.mean(vs))
        gs_t.append(np.mean(gs, axis=0))
    if op == "clamped_objective":
        return {"value": float(np.mean(vs_t))}
    return {"grad": np.mean(gs_t, axis=0)}


def torch_op(op, inp, scalar):
    """torch's formulas (peer-sources.md §3), evaluated in NumPy in the case's precision."""
    dt = np.float32 if scalar == "f32" else np.float64
    A = lambda v: np.array([num(x) for x in v], dtype=dt)  # noqa: E731
    S = lambda x: dt(num(x))  # noqa: E731
    with np.errstate(all="ignore"):
        if op == "scale_gradient":
            gr = A(inp["grad"])
            n = np.sqrt(np.sum(gr * gr, dtype=dt))
            coef = np.minimum((dt(1) / (n + dt(1e-6))) * S(inp["l2_max"]), dt(1)) if not np.isnan(n) else dt(np.nan)
            return dict(grad=gr * coef, total_norm=n)
        if op == "clip_gradient":
            c = S(inp["clip_value"])
            return dict(grad=np.minimum(np.maximum(A(inp["grad"]), -c), c))
        if op == "kl_categorical":
            p, q = A(inp["p"]), A(inp["q"])
            p, q = p / p.sum(dtype=dt), q / q.sum(dtype=dt)
            eps = np.finfo(dt).eps
            t = p * (np.log(np.clip(p, eps, 1 - eps)) - np.log(np.clip(q, eps, 1 - eps)))
            t[q == 0] = np.inf
            t[p == 0] = 0
            return dict(kl=t.sum(dtype=dt))
        if op == "kl_gaussian":
            r = (S(inp["std_p"]) / S(inp["std_q"])) ** 2
            t1 = ((S(inp["mean_p"]) - S(inp["mean_q"])) / S(inp["std_q"])) ** 2
            return dict(kl=dt(0.5) * (r + t1 - dt(1) - np.log(r)))
    raise KeyError(op)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "tests", "peers")
    bad = ok = skipped = 0
    for fname in ("sb3_trpo.json", "sb3_ppo.json", "torch.json"):
        path = os.path.join(d, fname)
        if not os.path.exists(path):
            continue
        for r in json.load(open(path)):
            out = r["peer_output"]
            if "error" in out:
                skipped += 1
                continue
            tol = 1e-9 if r["scalar"] == "f64" else 1e-3
            inp = r["input"]
            if r["operation"] == "trust_region_update":
                if np.linalg.norm(arr(out["grad"])) < 1e-6:
                    skipped += 1  # outcome is CG/rounding noise
                    continue
                want, _ = trpo(inp)
                keys = ["theta", "grad", "search_direction", "line_search_max_step_size", "new_policy_objective",
                        "kl_div"]
                errs = {k: rel(arr(out[k]) if isinstance(out[k], list) else num(out[k]), want[k]) for k in keys}
                disc = (out["accepted"] != want["accepted"]) or (out["candidates"] != want["candidates"])
            elif r["profile"] == "sb3":
                want = ppo(inp, r["operation"])
                errs = {k: rel(arr(out[k]) if isinstance(out[k], list) else num(out[k]), want[k]) for k in want
                        if k != "approx_kl"}
                if "approx_kl" in want:  # f32: exp(l)-1 cancels; absolute check against 1e-6·max(1, |.|)
                    errs["approx_kl"] = abs(num(out["approx_kl"]) - want["approx_kl"]) / max(1e-3 if r["scalar"] == "f32" else 1e-6, abs(want["approx_kl"]))
                if "clip_fraction" in errs and errs["clip_fraction"] < 1e-7:  # float32 in every run
                    errs["clip_fraction"] = 0.0
                disc = False
            else:
                want = torch_op(r["operation"], inp, r["scalar"])
                errs = {}
                for k in want:
                    o = arr(out[k]) if isinstance(out[k], list) else np.array([num(out[k])])
                    w = np.atleast_1d(np.asarray(want[k], dtype=np.float64))
                    errs[k] = rel(o, w)
                disc = False
            worst = max(errs.values()) if errs else 0
            if worst > tol or disc:
                if disc and worst <= tol * 1e3:
                    # a decision flipped on a rounding-level difference: report, do not fail
                    print(f"decision differs (rounding?): {r['id']} errs={errs}")
                    skipped += 1
                    continue
                bad += 1
                print(f"MISMATCH {r['id']}: {errs} decision_differs={disc}")
            else:
                ok += 1
    # explain.json: every control ("differs": []) must agree with the book to 1e-9; every visible
    # one-convention-off candidate must not.
    path = os.path.join(d, "explain.json")
    if os.path.exists(path):
        for r in json.load(open(path)):
            if r["profile"] != "book" or r["operation"] not in ("trust_region_update", "clamped_objective",
                                                                  "clamped_gradient"):
                continue
            out = r["peer_output"]
            want = book_trpo(r["input"]) if r["operation"] == "trust_region_update" else book_ppo(r["operation"],
                                                                                                r["input"])
            errs = {k: rel(np.array(out[k], dtype=float).reshape(-1), np.asarray(want[k], float).reshape(-1))
                    for k in want if k in out}
            worst = max(errs.values())
            agrees = worst <= 1e-9
            if r["differs"] == [] and not agrees:
                bad += 1
                print(f"MISMATCH control {r['id']} differs from the book: {errs}")
            elif r["differs"] and r.get("visible") and agrees:
                bad += 1
                print(f"MISMATCH {r['id']}: marked visible but agrees with the book")
            else:
                ok += 1
    print(f"selfcheck: {ok} passed, {bad} failed, {skipped} skipped")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
