#!/usr/bin/env python3
"""Independent high-precision reference for pgoracle (Chapter 12, policy gradient optimization).

Written from the oracle interface spec, the book-code notes and the chapter text only; it shares no
code with the Rust implementation. Every input float is taken as its exact binary value, every
quantity is computed with mpmath at 50 significant digits, and every expected real is written as a
decimal string with 40 significant digits.

Usage (from the repository root):

    python3 tools/reference/mp_reference.py --out tests/data/reference/cases.json

The output is deterministic: fixed seeds, no timestamps, insertion-ordered dictionaries.
Standard library + mpmath 1.3.0 only.
"""

import argparse
import json
import random
import sys

import mpmath
from mpmath import mp, mpf

DPS = 50
SIG_DIGITS = 40
GENERATOR = "tools/reference/mp_reference.py"

NONFINITE = ("NaN", "Infinity", "-Infinity")

# Random cases are kept only when every branch decision has at least this relative margin ...
DECISION_MARGIN = mpf("1e-6")
# ... and when the whole computation redone with 53-bit (double-like) arithmetic agrees with the
# 50-digit result to this relative error in every output component.
F64_AGREEMENT = mpf("1e-11")


# ----------------------------------------------------------------------------------------------
# Errors and bookkeeping
# ----------------------------------------------------------------------------------------------


class RefError(Exception):
    def __init__(self, kind, message):
        super().__init__("%s: %s" % (kind, message))
        self.kind = kind
        self.message = message


_MARGINS = []


def note_margin(value):
    """Record the (relative) distance of a branch decision from its threshold."""
    _MARGINS.append(abs(value))


def scan_nonfinite(x, path="input"):
    if isinstance(x, str):
        if x in NONFINITE:
            raise RefError("NonFiniteInput", "non-finite number in %s" % path)
    elif isinstance(x, dict):
        for k in x:
            scan_nonfinite(x[k], path + "." + k)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            scan_nonfinite(v, "%s[%d]" % (path, i))


def num(x):
    return mpf(x)


def vec(xs):
    return [mpf(x) for x in xs]


def dot(u, v):
    return mp.fsum([a * b for a, b in zip(u, v)])


def mean_vecs(vs):
    n = len(vs[0])
    m = len(vs)
    return [mp.fsum([v[j] for v in vs]) / m for j in range(n)]


def require_vector(name, v, nonempty=True):
    if not isinstance(v, list):
        raise RefError("DimensionMismatch", "%s is not a vector" % name)
    if nonempty and len(v) == 0:
        raise RefError("EmptyInput", "%s is empty" % name)


def get_positive(inp, name):
    x = num(inp[name])
    if not x > 0:
        raise RefError("InvalidParameter", "%s must be > 0" % name)
    return x


def get_gamma(inp):
    g = num(inp["gamma"])
    if g < 0 or g > 1:
        raise RefError("InvalidParameter", "gamma must lie in [0, 1]")
    return g


# ----------------------------------------------------------------------------------------------
# Policies
# ----------------------------------------------------------------------------------------------


def policy_nparams(pol):
    fam = pol["family"]
    if fam in ("gaussian", "linear_gaussian"):
        return 2
    if fam == "softmax":
        return pol["n_states"] * pol["n_actions"]
    raise RefError("InvalidParameter", "unknown family")


def check_theta(pol, theta, name):
    if len(theta) != policy_nparams(pol):
        raise RefError("DimensionMismatch", "%s has the wrong length for the policy" % name)
    th = vec(theta)
    if pol["family"] in ("gaussian", "linear_gaussian") and not th[1] > 0:
        raise RefError("InvalidParameter", "%s: sigma must be > 0" % name)
    return th


def in_domain(pol, th):
    if pol["family"] in ("gaussian", "linear_gaussian"):
        return th[1] > 0
    return True


def softmax_row(pol, th, s):
    na = pol["n_actions"]
    row = th[s * na:(s + 1) * na]
    mx = max(row)
    e = [mp.exp(x - mx) for x in row]
    z = mp.fsum(e)
    return [x / z for x in e]


def gauss_mean(pol, th, s):
    if pol["family"] == "gaussian":
        return th[0]
    return th[0] * s


def pdf(pol, th, a, s):
    if pol["family"] == "softmax":
        return softmax_row(pol, th, s)[a]
    m = gauss_mean(pol, th, s)
    sd = th[1]
    return mp.exp(-((a - m) ** 2) / (2 * sd * sd)) / (sd * mp.sqrt(2 * mp.pi))


def grad_log(pol, th, a, s):
    fam = pol["family"]
    if fam == "softmax":
        na = pol["n_actions"]
        p = softmax_row(pol, th, s)
        g = [mpf(0)] * len(th)
        for b in range(na):
            g[s * na + b] = (1 if b == a else 0) - p[b]
        return g
    sd = th[1]
    m = gauss_mean(pol, th, s)
    d = a - m
    dsig = (d * d - sd * sd) / sd ** 3
    if fam == "gaussian":
        return [d / sd ** 2, dsig]
    return [d * s / sd ** 2, dsig]


def grad_pdf(pol, th, a, s):
    p = pdf(pol, th, a, s)
    return [p * x for x in grad_log(pol, th, a, s)]


def kl_gauss(mp_, sp, mq, sq):
    return mp.log(sq / sp) + (sp * sp + (mp_ - mq) ** 2) / (2 * sq * sq) - mpf(1) / 2


def kl_cat(p, q):
    tot = []
    for pi, qi in zip(p, q):
        if pi == 0:
            continue
        if qi == 0:
            raise RefError("ZeroProbability", "q is zero where p is positive")
        tot.append(pi * mp.log(pi / qi))
    return mp.fsum(tot)


def policy_kl_value(pol, th, thp, s):
    if pol["family"] == "softmax":
        return kl_cat(softmax_row(pol, th, s), softmax_row(pol, thp, s))
    return kl_gauss(gauss_mean(pol, th, s), th[1], gauss_mean(pol, thp, s), thp[1])


def check_policy_s(pol, s, name="s"):
    if pol["family"] == "softmax":
        if not (0 <= s < pol["n_states"]):
            raise RefError("DimensionMismatch", "%s outside the softmax table" % name)
        return s
    return num(s)


def parse_trajectories(pol, trajs):
    if not isinstance(trajs, list) or len(trajs) == 0:
        raise RefError("EmptyInput", "no trajectories")
    out = []
    for i, t in enumerate(trajs):
        if len(t) == 0:
            raise RefError("EmptyInput", "trajectory %d is empty" % i)
        steps = []
        for st in t:
            if pol["family"] == "softmax":
                s, a = st["s"], st["a"]
                if not (0 <= s < pol["n_states"]):
                    raise RefError("DimensionMismatch", "state outside the softmax table")
                if not (0 <= a < pol["n_actions"]):
                    raise RefError("DimensionMismatch", "action outside the softmax table")
            else:
                s, a = num(st["s"]), num(st["a"])
            steps.append((s, a, num(st["r"])))
        out.append(steps)
    return out


def discounted_return(traj, gamma):
    tot = []
    pw = mpf(1)
    for (_, _, r) in traj:
        tot.append(r * pw)
        pw *= gamma
    return mp.fsum(tot)


def rewards_to_go(traj, gamma):
    """R(tau, j) = sum_{k >= j} r_k gamma^(k-1), discounted from the FIRST step."""
    terms = []
    pw = mpf(1)
    for (_, _, r) in traj:
        terms.append(r * pw)
        pw *= gamma
    return [mp.fsum(terms[j:]) for j in range(len(terms))]


def traj_score(pol, th, traj):
    n = len(th)
    acc = [[] for _ in range(n)]
    for (s, a, _) in traj:
        g = grad_log(pol, th, a, s)
        for j in range(n):
            acc[j].append(g[j])
    return [mp.fsum(x) for x in acc]


# ----------------------------------------------------------------------------------------------
# Linear algebra for the natural step
# ----------------------------------------------------------------------------------------------


def to_matrix(rows):
    n = len(rows)
    A = mp.matrix(n, n)
    for i in range(n):
        for j in range(n):
            A[i, j] = rows[i][j]
    return A


def singular_threshold():
    # relative size below which an eigenvalue counts as zero at the working precision
    return mpf(2) ** (-int(mp.prec * 0.6))


def sym_eig(rows):
    E, Q = mp.eigsy(to_matrix(rows))
    n = len(rows)
    return [E[i] for i in range(n)], Q


def solve(rows, b):
    x = mp.lu_solve(to_matrix(rows), mp.matrix(b))
    return [x[i] for i in range(len(b))]


def add_damping(F, lam):
    n = len(F)
    return [[F[i][j] + (lam if i == j else 0) for j in range(n)] for i in range(n)]


def parse_solver(inp):
    s = inp.get("solver", {"kind": "exact"})
    kind = s["kind"]
    if kind == "exact":
        return ("exact",)
    if kind == "damped":
        lam = num(s["damping"])
        if not lam > 0:
            raise RefError("InvalidParameter", "solver.damping must be > 0")
        return ("damped", lam)
    if kind == "pseudo_inverse":
        rc = num(s["rcond"])
        if rc < 0:
            raise RefError("InvalidParameter", "solver.rcond must be >= 0")
        return ("pseudo_inverse", rc)
    if kind == "conjugate_gradient":
        lam = num(s["damping"])
        if lam < 0:
            raise RefError("InvalidParameter", "solver.damping must be >= 0")
        if s["max_iters"] < 1:
            raise RefError("InvalidParameter", "solver.max_iters must be >= 1")
        if num(s["tol"]) < 0:
            raise RefError("InvalidParameter", "solver.tol must be >= 0")
        return ("conjugate_gradient", lam)
    raise RefError("InvalidParameter", "unknown solver")


def solve_fisher(F, g, solver):
    kind = solver[0]
    if kind == "exact":
        E, _ = sym_eig(F)
        big = max(abs(e) for e in E)
        if big == 0 or min(abs(e) for e in E) <= singular_threshold() * big:
            raise RefError("SingularFisher", "Fisher matrix is singular")
        return solve(F, g)
    if kind == "damped":
        return solve(add_damping(F, solver[1]), g)
    if kind == "conjugate_gradient":
        # CG in exact arithmetic converges to the exact solution of (F + lambda I) u = g.
        A = add_damping(F, solver[1])
        E, _ = sym_eig(A)
        big = max(abs(e) for e in E)
        if big == 0 or min(abs(e) for e in E) <= singular_threshold() * big:
            raise RefError("SingularFisher", "(F + damping I) is singular")
        return solve(A, g)
    if kind == "pseudo_inverse":
        rc = solver[1]
        E, Q = sym_eig(F)
        n = len(F)
        smax = max(abs(e) for e in E)
        thr = rc * smax
        u = [mpf(0)] * n
        for i in range(n):
            sv = abs(E[i])
            if thr > 0:
                note_margin((sv - thr) / thr)
            if sv == 0 or sv < thr:
                continue
            coef = mp.fsum([Q[j, i] * g[j] for j in range(n)]) / E[i]
            for j in range(n):
                u[j] += coef * Q[j, i]
        return u
    raise RefError("InvalidParameter", "unknown solver")


def fisher_matrix(scores):
    m = len(scores)
    n = len(scores[0])
    return [[mp.fsum([sc[i] * sc[j] for sc in scores]) / m for j in range(n)] for i in range(n)]


def natural_core(theta, grads, scores, eps, solver):
    g = mean_vecs(grads)
    if all(x == 0 for x in g):
        raise RefError("ZeroGradient", "mean gradient is zero")
    F = fisher_matrix(scores)
    u = solve_fisher(F, g, solver)
    gu = dot(g, u)
    if not gu > 0:
        raise RefError("NonPositiveCurvature", "g'u <= 0")
    scale = mp.sqrt(2 * eps / gu)
    th2 = [t + x * scale for t, x in zip(theta, u)]
    return {"grad": g, "fisher": F, "direction": u, "theta": th2}


# ----------------------------------------------------------------------------------------------
# Surrogates
# ----------------------------------------------------------------------------------------------


def surrogate_objective_value(pol, th, thp, trajs, gamma):
    per = []
    for t in trajs:
        rtg = rewards_to_go(t, gamma)
        terms = [pdf(pol, thp, a, s) / pdf(pol, th, a, s) * rtg[k] for k, (s, a, _) in enumerate(t)]
        per.append(mp.fsum(terms) / len(t))
    return mp.fsum(per) / len(trajs)


def surrogate_constraint_value(pol, th, thp, trajs, gamma):
    per = []
    for t in trajs:
        terms = []
        pw = mpf(1)
        for (s, a, _) in t:
            terms.append(policy_kl_value(pol, th, thp, s) * pw)
            pw *= gamma
        per.append(mp.fsum(terms) / len(t))
    return mp.fsum(per) / len(trajs)


def clamped_objective_value(pol, th, thp, trajs, gamma, eps):
    per = []
    lo, hi = 1 - eps, 1 + eps
    for t in trajs:
        rtg = rewards_to_go(t, gamma)
        terms = []
        for k, (s, a, _) in enumerate(t):
            w = pdf(pol, thp, a, s) / pdf(pol, th, a, s)
            cw = min(max(w, lo), hi)
            terms.append(min(w * rtg[k], cw * rtg[k]))
        per.append(mp.fsum(terms) / len(t))
    return mp.fsum(per) / len(trajs)


def clamped_gradient_value(pol, th, thp, trajs, gamma, eps):
    n = len(th)
    per = []
    for t in trajs:
        rtg = rewards_to_go(t, gamma)
        acc = [[] for _ in range(n)]
        for k, (s, a, _) in enumerate(t):
            P = pdf(pol, th, a, s)
            w = pdf(pol, thp, a, s) / P
            R = rtg[k]
            note_margin(w - (1 + eps))
            note_margin(w - (1 - eps))
            note_margin(R)
            if (R > 0 and w > 1 + eps) or (R < 0 and w < 1 - eps):
                continue
            gp = grad_pdf(pol, thp, a, s)
            for j in range(n):
                acc[j].append(gp[j] * R / P)
        per.append([mp.fsum(x) / len(t) for x in acc])
    return mean_vecs(per)


# ----------------------------------------------------------------------------------------------
# Operations
# ----------------------------------------------------------------------------------------------


def op_gradient_ascent(inp):
    require_vector("theta", inp["theta"])
    require_vector("grad", inp["grad"])
    if len(inp["theta"]) != len(inp["grad"]):
        raise RefError("DimensionMismatch", "theta vs grad")
    alpha = get_positive(inp, "alpha")
    return {"theta": [t + alpha * g for t, g in zip(vec(inp["theta"]), vec(inp["grad"]))]}


def op_scale_gradient(inp):
    require_vector("grad", inp["grad"])
    l2 = num(inp["l2_max"])
    if l2 < 0:
        raise RefError("InvalidParameter", "l2_max must be >= 0")
    g = vec(inp["grad"])
    nrm = mp.sqrt(mp.fsum([x * x for x in g]))
    if nrm == 0:
        return {"grad": [mpf(0)] * len(g)}
    f = min(l2 / nrm, mpf(1))
    return {"grad": [f * x for x in g]}


def op_clip_gradient(inp):
    require_vector("grad", inp["grad"])
    lo, hi = num(inp["lo"]), num(inp["hi"])
    if lo > hi:
        raise RefError("InvalidParameter", "lo > hi")
    return {"grad": [min(max(x, lo), hi) for x in vec(inp["grad"])]}


def op_restricted_step(inp):
    require_vector("theta", inp["theta"])
    require_vector("grad", inp["grad"])
    if len(inp["theta"]) != len(inp["grad"]):
        raise RefError("DimensionMismatch", "theta vs grad")
    eps = get_positive(inp, "epsilon")
    g = vec(inp["grad"])
    gg = dot(g, g)
    if gg == 0:
        raise RefError("ZeroGradient", "grad is zero")
    sc = mp.sqrt(2 * eps / gg)
    return {"theta": [t + x * sc for t, x in zip(vec(inp["theta"]), g)]}


def check_vector_list(name, vs, n=None):
    if not isinstance(vs, list) or len(vs) == 0:
        raise RefError("EmptyInput", "%s is empty" % name)
    if n is None:
        n = len(vs[0])
    for v in vs:
        if len(v) != n:
            raise RefError("DimensionMismatch", "%s vectors differ in length" % name)
    if n == 0:
        raise RefError("EmptyInput", "%s vectors are empty" % name)
    return n


def op_fisher(inp):
    check_vector_list("scores", inp["scores"])
    return {"fisher": fisher_matrix([vec(s) for s in inp["scores"]])}


def op_natural_update(inp):
    require_vector("theta", inp["theta"])
    n = len(inp["theta"])
    if len(inp["grads"]) == 0 or len(inp["scores"]) == 0:
        raise RefError("EmptyInput", "grads/scores empty")
    if len(inp["grads"]) != len(inp["scores"]):
        raise RefError("DimensionMismatch", "grads vs scores count")
    check_vector_list("grads", inp["grads"], n)
    check_vector_list("scores", inp["scores"], n)
    eps = get_positive(inp, "epsilon")
    solver = parse_solver(inp)
    return natural_core(vec(inp["theta"]), [vec(g) for g in inp["grads"]],
                        [vec(s) for s in inp["scores"]], eps, solver)


def op_score(inp):
    pol = inp["policy"]
    th = check_theta(pol, inp["theta"], "theta")
    trajs = parse_trajectories(pol, inp["trajectories"])
    return {"scores": [traj_score(pol, th, t) for t in trajs]}


def lr_grads(pol, th, trajs, gamma):
    out = []
    for t in trajs:
        sc = traj_score(pol, th, t)
        R = discounted_return(t, gamma)
        out.append([x * R for x in sc])
    return out


def op_likelihood_ratio_gradient(inp):
    pol = inp["policy"]
    th = check_theta(pol, inp["theta"], "theta")
    trajs = parse_trajectories(pol, inp["trajectories"])
    gamma = get_gamma(inp)
    grads = lr_grads(pol, th, trajs, gamma)
    return {"grads": grads, "grad": mean_vecs(grads)}


def op_restricted_update(inp):
    pol = inp["policy"]
    th = check_theta(pol, inp["theta"], "theta")
    trajs = parse_trajectories(pol, inp["trajectories"])
    gamma = get_gamma(inp)
    eps = get_positive(inp, "epsilon")
    u = mean_vecs(lr_grads(pol, th, trajs, gamma))
    uu = dot(u, u)
    if uu == 0:
        raise RefError("ZeroGradient", "mean gradient is zero")
    sc = mp.sqrt(2 * eps / uu)
    return {"grad": u, "theta": [t + x * sc for t, x in zip(th, u)]}


def natural_policy_core(inp):
    pol = inp["policy"]
    th = check_theta(pol, inp["theta"], "theta")
    trajs = parse_trajectories(pol, inp["trajectories"])
    gamma = get_gamma(inp)
    eps = get_positive(inp, "epsilon")
    solver = parse_solver(inp)
    scores = [traj_score(pol, th, t) for t in trajs]
    grads = []
    for sc, t in zip(scores, trajs):
        R = discounted_return(t, gamma)
        grads.append([x * R for x in sc])
    return pol, th, trajs, gamma, eps, natural_core(th, grads, scores, eps, solver)


def op_natural_policy_update(inp):
    return natural_policy_core(inp)[-1]


def op_policy_kl(inp):
    pol = inp["policy"]
    th = check_theta(pol, inp["theta"], "theta")
    thp = check_theta(pol, inp["theta_prime"], "theta_prime")
    s = check_policy_s(pol, inp["s"])
    return {"kl": policy_kl_value(pol, th, thp, s)}


def surrogate_inputs(inp):
    pol = inp["policy"]
    th = check_theta(pol, inp["theta"], "theta")
    thp = check_theta(pol, inp["theta_prime"], "theta_prime")
    trajs = parse_trajectories(pol, inp["trajectories"])
    gamma = get_gamma(inp)
    return pol, th, thp, trajs, gamma


def op_surrogate_objective(inp):
    pol, th, thp, trajs, gamma = surrogate_inputs(inp)
    return {"value": surrogate_objective_value(pol, th, thp, trajs, gamma)}


def op_surrogate_constraint(inp):
    pol, th, thp, trajs, gamma = surrogate_inputs(inp)
    return {"value": surrogate_constraint_value(pol, th, thp, trajs, gamma)}


def op_kl_penalty_objective(inp):
    pol, th, thp, trajs, gamma = surrogate_inputs(inp)
    beta = num(inp["beta"])
    if beta < 0:
        raise RefError("InvalidParameter", "beta must be >= 0")
    f = surrogate_objective_value(pol, th, thp, trajs, gamma)
    g = surrogate_constraint_value(pol, th, thp, trajs, gamma)
    return {"value": f - beta * g}


def op_clamped_objective(inp):
    pol, th, thp, trajs, gamma = surrogate_inputs(inp)
    eps = get_positive(inp, "epsilon")
    return {"value": clamped_objective_value(pol, th, thp, trajs, gamma, eps)}


def op_clamped_gradient(inp):
    pol, th, thp, trajs, gamma = surrogate_inputs(inp)
    eps = get_positive(inp, "epsilon")
    return {"grad": clamped_gradient_value(pol, th, thp, trajs, gamma, eps)}


def op_clamped_update(inp):
    pol = inp["policy"]
    th = check_theta(pol, inp["theta"], "theta")
    trajs = parse_trajectories(pol, inp["trajectories"])
    gamma = get_gamma(inp)
    eps = get_positive(inp, "epsilon")
    alpha = get_positive(inp, "alpha")
    kmax = inp["k_max"]
    if kmax < 0:
        raise RefError("InvalidParameter", "k_max must be >= 0")
    thp = list(th)
    for _ in range(kmax):
        if pol["family"] != "softmax":
            note_margin(thp[1] / th[1])
        if not in_domain(pol, thp):
            raise RefError("InvalidParameter", "theta_prime left the policy domain")
        g = clamped_gradient_value(pol, th, thp, trajs, gamma, eps)
        thp = [t + alpha * x for t, x in zip(thp, g)]
    return {"theta": thp}


def op_trust_region_update(inp):
    alpha = num(inp["alpha"])
    if not (0 < alpha < 1):
        raise RefError("InvalidParameter", "alpha must lie in (0, 1)")
    max_steps = inp.get("max_steps", 100)
    if max_steps < 0:
        raise RefError("InvalidParameter", "max_steps must be >= 0")
    pol, th, trajs, gamma, eps, nat = natural_policy_core(inp)

    def f(x):
        return surrogate_objective_value(pol, th, x, trajs, gamma)

    def g(x):
        return surrogate_constraint_value(pol, th, x, trajs, gamma)

    f_theta = f(th)
    fscale = abs(f_theta) + 1
    c = list(nat["theta"])
    steps = 0
    while True:
        fc = gc = None
        ok = False
        if pol["family"] != "softmax":
            note_margin(c[1] / th[1])
        if in_domain(pol, c):
            fc = f(c)
            gc = g(c)
            note_margin((gc - eps) / eps)
            # f(c) - f(theta) shrinks with the step; a 1e-9 relative gap is ample for f64
            note_margin((fc - f_theta) / fscale * mpf(1000))
            ok = gc <= eps and fc > f_theta
        if ok:
            accepted, theta_out = True, c
            break
        if steps == max_steps:
            accepted, theta_out = False, list(th)
            break
        c = [t + alpha * (x - t) for t, x in zip(th, c)]
        steps += 1
    return {
        "grad": nat["grad"],
        "fisher": nat["fisher"],
        "direction": nat["direction"],
        "theta_natural": nat["theta"],
        "theta": theta_out,
        "steps": steps,
        "accepted": accepted,
        "f_theta": f_theta,
        "f_theta_prime": fc,
        "g_theta_prime": gc,
    }


PROB_SUM_TOL = mpf("1e-9")


def check_prob(name, p):
    for x in p:
        if x < 0:
            raise RefError("InvalidParameter", "%s has a negative entry" % name)
    if abs(mp.fsum(p) - 1) > PROB_SUM_TOL:
        raise RefError("InvalidParameter", "%s does not sum to 1" % name)


def op_kl_categorical(inp):
    if len(inp["p"]) == 0 or len(inp["q"]) == 0:
        raise RefError("EmptyInput", "p or q is empty")
    if len(inp["p"]) != len(inp["q"]):
        raise RefError("DimensionMismatch", "p vs q")
    p, q = vec(inp["p"]), vec(inp["q"])
    check_prob("p", p)
    check_prob("q", q)
    return {"kl": kl_cat(p, q)}


def op_kl_gaussian(inp):
    sp = get_positive(inp, "std_p")
    sq = get_positive(inp, "std_q")
    return {"kl": kl_gauss(num(inp["mean_p"]), sp, num(inp["mean_q"]), sq)}


OPS = {
    "gradient_ascent": op_gradient_ascent,
    "scale_gradient": op_scale_gradient,
    "clip_gradient": op_clip_gradient,
    "restricted_step": op_restricted_step,
    "fisher": op_fisher,
    "natural_update": op_natural_update,
    "score": op_score,
    "likelihood_ratio_gradient": op_likelihood_ratio_gradient,
    "restricted_update": op_restricted_update,
    "natural_policy_update": op_natural_policy_update,
    "policy_kl": op_policy_kl,
    "surrogate_objective": op_surrogate_objective,
    "surrogate_constraint": op_surrogate_constraint,
    "trust_region_update": op_trust_region_update,
    "clamped_objective": op_clamped_objective,
    "clamped_gradient": op_clamped_gradient,
    "kl_penalty_objective": op_kl_penalty_objective,
    "clamped_update": op_clamped_update,
    "kl_categorical": op_kl_categorical,
    "kl_gaussian": op_kl_gaussian,
}


def evaluate(op, inp):
    """Run an operation at the current mpmath precision. Returns the output dict or raises."""
    scan_nonfinite(inp)
    return OPS[op](inp)


# ----------------------------------------------------------------------------------------------
# Serialisation and precision checks
# ----------------------------------------------------------------------------------------------


def leaves(v):
    if isinstance(v, list):
        for x in v:
            for y in leaves(x):
                yield y
    elif isinstance(v, mpmath.mpf):
        yield v


def snap_field(v):
    """Values below 1e-35 of the largest entry of their field are rounding residue of exact zeros."""
    ls = list(leaves(v))
    if not ls:
        return v
    if isinstance(v, list):
        thr = max(abs(x) for x in ls) * mpf("1e-35")
    else:
        thr = mpf("1e-40")

    def rec(x):
        if isinstance(x, list):
            return [rec(y) for y in x]
        if isinstance(x, mpmath.mpf) and abs(x) < thr:
            return mpf(0)
        return x

    return rec(v)


def fmt(x):
    if x == 0:
        return "0.0"
    return mpmath.nstr(x, SIG_DIGITS, strip_zeros=False)


def serialise(v):
    if isinstance(v, list):
        return [serialise(x) for x in v]
    if isinstance(v, mpmath.mpf):
        return fmt(v)
    return v  # int, bool, None


def agree(a, b):
    """a: 50-digit (snapped) value, b: 53-bit value."""
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(agree(x, y) for x, y in zip(a, b))
    if isinstance(a, mpmath.mpf):
        if not isinstance(b, mpmath.mpf):
            return False
        if a == 0:
            return b == 0
        return abs(b - a) <= F64_AGREEMENT * abs(a)
    return a == b


def compute_checked(op, inp):
    """50-digit result, checked for decision margins and agreement with 53-bit arithmetic.

    Returns (output, None) or (None, reason)."""
    del _MARGINS[:]
    with mp.workdps(DPS):
        try:
            out50 = evaluate(op, inp)
        except RefError as e:
            return None, "error " + e.kind
        out50 = {k: snap_field(v) for k, v in out50.items()}
        margins = list(_MARGINS)
        if margins and min(margins) < DECISION_MARGIN:
            return None, "margin"
    with mp.workprec(53):
        try:
            out53 = evaluate(op, inp)
        except RefError as e:
            return None, "53-bit error " + e.kind
    for k in out50:
        if not agree(out50[k], out53[k]):
            return None, "f64 disagreement in " + k
    return out50, None


def compute_plain(op, inp):
    with mp.workdps(DPS):
        out = evaluate(op, inp)
        return {k: snap_field(v) for k, v in out.items()}


def expected_error(op, inp):
    with mp.workdps(DPS):
        try:
            evaluate(op, inp)
        except RefError as e:
            return e.kind
    return None


# ----------------------------------------------------------------------------------------------
# Random inputs
# ----------------------------------------------------------------------------------------------


def r6(x):
    return round(x, 6)


FAMILIES = ("gaussian", "linear_gaussian", "softmax")


def make_policy(rng, fam, ns=None, na=None):
    if fam == "softmax":
        return {"family": "softmax",
                "n_states": ns if ns is not None else rng.randint(1, 3),
                "n_actions": na if na is not None else rng.randint(2, 4)}
    return {"family": fam}


def make_theta(rng, pol):
    if pol["family"] == "softmax":
        return [r6(rng.uniform(-1, 1)) for _ in range(pol["n_states"] * pol["n_actions"])]
    return [r6(rng.uniform(-1.5, 1.5)), r6(rng.uniform(0.5, 2.0))]


def float_softmax(pol, theta, s):
    import math
    na = pol["n_actions"]
    row = theta[s * na:(s + 1) * na]
    mx = max(row)
    e = [math.exp(x - mx) for x in row]
    z = sum(e)
    return [x / z for x in e]


def make_step(rng, pol, theta, s=None):
    fam = pol["family"]
    r = r6(rng.uniform(-2, 2))
    z = max(-2.0, min(2.0, rng.gauss(0, 1)))
    if fam == "gaussian":
        s = r6(rng.uniform(-1.5, 1.5))
        return {"s": s, "a": r6(theta[0] + theta[1] * z), "r": r}
    if fam == "linear_gaussian":
        s = r6(rng.uniform(-1.5, 1.5))
        return {"s": s, "a": r6(theta[0] * s + theta[1] * z), "r": r}
    if s is None:
        s = rng.randrange(pol["n_states"])
    probs = float_softmax(pol, theta, s)
    u = rng.random()
    a = 0
    acc = probs[0]
    while u > acc and a < len(probs) - 1:
        a += 1
        acc += probs[a]
    return {"s": s, "a": a, "r": r}


def make_trajs(rng, pol, theta, m_lo=2, m_hi=5, d_lo=1, d_hi=5, visit_all=False):
    while True:
        m = rng.randint(m_lo, m_hi)
        trajs = [[make_step(rng, pol, theta) for _ in range(rng.randint(d_lo, d_hi))]
                 for _ in range(m)]
        if not visit_all or pol["family"] != "softmax":
            return trajs
        seen = set(st["s"] for t in trajs for st in t)
        if len(seen) == pol["n_states"]:
            return trajs


def make_gamma(rng):
    return 1.0 if rng.random() < 0.3 else r6(rng.uniform(0.5, 1.0))


def perturb(rng, pol, theta, scale):
    if pol["family"] == "softmax":
        return [r6(x + rng.uniform(-scale, scale)) for x in theta]
    return [r6(theta[0] + rng.uniform(-scale, scale)),
            r6(theta[1] * (1 + rng.uniform(-0.6 * scale, 0.6 * scale)))]


SOLVER_KINDS = ("exact", "damped", "pseudo_inverse", "conjugate_gradient")


def make_solver(rng, kind, n, softmax=False, rcond=None):
    if kind == "exact":
        return {"kind": "exact"}
    if kind == "damped":
        return {"kind": "damped", "damping": r6(rng.uniform(0.01, 0.5))}
    if kind == "pseudo_inverse":
        return {"kind": "pseudo_inverse", "rcond": rcond if rcond is not None else (1e-10 if softmax else 1e-12)}
    damping = r6(rng.uniform(0.01, 0.5)) if (softmax or rng.random() < 0.5) else 0.0
    return {"kind": "conjugate_gradient", "max_iters": max(4 * n, 10), "tol": 1e-13, "damping": damping}


def condition_ok(inp, out, limit):
    """Condition of the system actually solved (pseudo-inverse: on the kept range)."""
    F = out["fisher"]
    solver = inp.get("solver", {"kind": "exact"})
    with mp.workdps(DPS):
        if solver["kind"] in ("damped", "conjugate_gradient"):
            F = add_damping(F, mpf(solver["damping"]))
        E, _ = sym_eig(F)
        E = [abs(e) for e in E]
        big = max(E)
        if big == 0:
            return False
        if solver["kind"] == "pseudo_inverse":
            E = [e for e in E if e >= mpf(solver["rcond"]) * big]
        return big / min(E) <= limit


# ----------------------------------------------------------------------------------------------
# Case builders
# ----------------------------------------------------------------------------------------------


STATS = {}  # rejected random draws by reason (reported with --stats)


class Builder:
    def __init__(self):
        self.cases = []
        self.counter = {}

    def _id(self, prefix, op):
        key = (prefix, op)
        self.counter[key] = self.counter.get(key, 0) + 1
        return "%s-%s-%d" % (prefix, op, self.counter[key])

    def add_ok(self, op, inp, out, cid=None):
        cid = cid or self._id("ref", op)
        self.cases.append({"id": cid, "operation": op, "scalar": "f64", "input": inp,
                           "expected": {k: serialise(v) for k, v in out.items()}})

    def add_err(self, op, inp, kind, cid=None):
        got = expected_error(op, inp)
        if got != kind:
            raise SystemExit("error case for %s: intended %s, reference says %s\n%s"
                             % (op, kind, got, json.dumps(inp)))
        cid = cid or self._id("err", op)
        self.cases.append({"id": cid, "operation": op, "scalar": "f64", "input": inp,
                           "expected_error": kind})

    def random(self, op, n, seed, maker, accept=None, max_attempts=20000):
        """maker(rng, i) -> input; accept(inp, out, i) -> bool (extra filter)."""
        rng = random.Random(seed)
        for i in range(n):
            for _ in range(max_attempts):
                inp = maker(rng, i)
                out, why = compute_checked(op, inp)
                if out is None:
                    STATS[(op, why)] = STATS.get((op, why), 0) + 1
                    continue
                if accept is not None and not accept(inp, out, i):
                    STATS[(op, "filter")] = STATS.get((op, "filter"), 0) + 1
                    continue
                self.add_ok(op, inp, out)
                break
            else:
                raise SystemExit("could not generate case %d of %s" % (i, op))


# ---- simple vector ops -----------------------------------------------------------------------


def build_vector_ops(b):
    def ga(rng, i):
        n = rng.randint(1, 6)
        return {"theta": [r6(rng.uniform(-3, 3)) for _ in range(n)],
                "grad": [r6(rng.uniform(-5, 5)) for _ in range(n)],
                "alpha": r6(rng.uniform(0.001, 2.0))}
    b.random("gradient_ascent", 20, 1001, ga)

    def sg(rng, i):
        n = rng.randint(1, 6)
        g = [r6(rng.uniform(-4, 4)) for _ in range(n)]
        if i == 0:
            g = [0.0] * n
        l2 = r6(rng.uniform(0.1, 6.0))
        if i == 1:
            l2 = 0.0
        if i == 2:
            l2 = 1.0
        return {"grad": g, "l2_max": l2}

    def sg_acc(inp, out, i):
        # mix of scaled and unscaled cases
        with mp.workdps(DPS):
            nrm = mp.sqrt(mp.fsum([mpf(x) ** 2 for x in inp["grad"]]))
            if nrm == 0:
                return True
            return abs(nrm - mpf(inp["l2_max"])) > mpf("1e-6") * (nrm + 1) and \
                ((nrm > inp["l2_max"]) == (i % 2 == 0) or i < 3)
    b.random("scale_gradient", 20, 1002, sg, sg_acc)

    def cg(rng, i):
        n = rng.randint(1, 7)
        lo = r6(rng.uniform(-3, 0.5))
        hi = r6(lo + rng.uniform(0.0, 4))
        if i == 0:
            hi = lo
        if i == 1:
            lo, hi = -1.0, 1.0
        return {"grad": [r6(rng.uniform(-4, 4)) for _ in range(n)], "lo": lo, "hi": hi}
    b.random("clip_gradient", 20, 1003, cg)

    def rs(rng, i):
        n = rng.randint(1, 6)
        return {"theta": [r6(rng.uniform(-3, 3)) for _ in range(n)],
                "grad": [r6(rng.uniform(-5, 5)) for _ in range(n)],
                "epsilon": r6(rng.uniform(0.001, 2.0))}
    b.random("restricted_step", 20, 1004, rs)

    def fi(rng, i):
        n = rng.randint(1, 5)
        m = rng.randint(1, 6)
        return {"scores": [[r6(rng.uniform(-3, 3)) for _ in range(n)] for _ in range(m)]}
    b.random("fisher", 20, 1005, fi)

    def klc(rng, i):
        n = rng.randint(2, 6)

        def pv(zero_ok):
            w = [rng.uniform(0.05, 1.0) for _ in range(n)]
            if zero_ok and rng.random() < 0.5:
                w[rng.randrange(n)] = 0.0
            z = sum(w)
            return [r6(x / z) for x in w[:-1]] + [None]

        p = pv(True)
        q = pv(False)
        # make each vector sum to 1 up to rounding: last entry = 1 - sum(others)
        p[-1] = r6(1.0 - sum(p[:-1]))
        q[-1] = r6(1.0 - sum(q[:-1]))
        if p[-1] < 0 or q[-1] <= 0:
            return {"p": [1.5], "q": [1.0]}  # rejected by the reference
        if i == 0:
            q = list(p)
            q[-1] = p[-1]
        return {"p": p, "q": q}
    b.random("kl_categorical", 20, 1006, klc)

    def klg(rng, i):
        return {"mean_p": r6(rng.uniform(-2, 2)), "std_p": r6(rng.uniform(0.3, 3)),
                "mean_q": r6(rng.uniform(-2, 2)), "std_q": r6(rng.uniform(0.3, 3))}
    b.random("kl_gaussian", 20, 1007, klg)


def build_natural_update(b):
    def nu(rng, i):
        kind = SOLVER_KINDS[i % 4]
        n = rng.randint(2, 5)
        m = rng.randint(n + 2, n + 4)
        rank_def = (i >= 20)  # pseudo-inverse on an exactly rank-deficient Fisher
        if rank_def:
            kind = "pseudo_inverse"
            n = 3 + (i % 2)
            m = n - 1
        scores = [[r6(rng.uniform(-2, 2)) for _ in range(n)] for _ in range(m)]
        if rng.random() < 0.5 or rank_def:
            rs = [r6(rng.uniform(-2, 2)) for _ in range(m)]
            grads = [[r6(x * r) for x in sc] for sc, r in zip(scores, rs)]
        else:
            grads = [[r6(rng.uniform(-2, 2)) for _ in range(n)] for _ in range(m)]
        inp = {"theta": [r6(rng.uniform(-1.5, 1.5)) for _ in range(n)], "grads": grads,
               "scores": scores, "epsilon": r6(rng.uniform(0.005, 0.5))}
        if kind == "exact" and i % 8 == 0:
            pass  # solver omitted: default exact
        else:
            inp["solver"] = make_solver(rng, kind, n, rcond=(1e-10 if rank_def else None))
        return inp

    def acc(inp, out, i):
        if not condition_ok(inp, out, 1e3 if inp.get("solver", {}).get("kind") == "conjugate_gradient" else 1e4):
            return False
        if i >= 20:
            # exact rank deficiency must be visible: one eigenvalue is (numerically) zero
            with mp.workdps(DPS):
                E, _ = sym_eig(out["fisher"])
                return min(abs(e) for e in E) < mpf("1e-40")
        return True
    b.random("natural_update", 24, 2001, nu, acc)


# ---- policy ops --------------------------------------------------------------------------------


def pick_family(i):
    return FAMILIES[i % 3]


def build_policy_ops(b):
    def sc(rng, i):
        pol = make_policy(rng, pick_family(i))
        th = make_theta(rng, pol)
        return {"policy": pol, "theta": th, "trajectories": make_trajs(rng, pol, th)}
    b.random("score", 21, 3001, sc)

    def lr(rng, i):
        pol = make_policy(rng, pick_family(i))
        th = make_theta(rng, pol)
        g = make_gamma(rng)
        if i == 20:
            g = 0.0
        return {"policy": pol, "theta": th, "trajectories": make_trajs(rng, pol, th), "gamma": g}
    b.random("likelihood_ratio_gradient", 21, 3002, lr)

    def ru(rng, i):
        pol = make_policy(rng, pick_family(i))
        th = make_theta(rng, pol)
        return {"policy": pol, "theta": th, "trajectories": make_trajs(rng, pol, th),
                "gamma": make_gamma(rng), "epsilon": r6(rng.uniform(0.005, 0.5))}
    b.random("restricted_update", 21, 3003, ru)

    def pk(rng, i):
        pol = make_policy(rng, pick_family(i))
        th = make_theta(rng, pol)
        thp = perturb(rng, pol, th, 0.8)
        if pol["family"] == "softmax":
            s = rng.randrange(pol["n_states"])
        else:
            s = r6(rng.uniform(-1.5, 1.5))
        if i == 0:
            thp = list(th)
        return {"policy": pol, "theta": th, "theta_prime": thp, "s": s}
    b.random("policy_kl", 21, 3004, pk)

    def sur(op, extra):
        def mk(rng, i):
            pol = make_policy(rng, pick_family(i))
            th = make_theta(rng, pol)
            thp = perturb(rng, pol, th, 0.5)
            if i == 0:
                thp = list(th)
            inp = {"policy": pol, "theta": th, "theta_prime": thp,
                   "trajectories": make_trajs(rng, pol, th), "gamma": make_gamma(rng)}
            extra(rng, i, inp)
            return inp
        return mk

    b.random("surrogate_objective", 21, 3005, sur("surrogate_objective", lambda rng, i, inp: None))
    b.random("surrogate_constraint", 21, 3006, sur("surrogate_constraint", lambda rng, i, inp: None))

    def beta(rng, i, inp):
        inp["beta"] = 0.0 if i == 1 else r6(rng.uniform(0.0, 5.0))
    b.random("kl_penalty_objective", 21, 3007, sur("kl_penalty_objective", beta))

    # clamped ops: theta' near theta, some ratios inside and some outside [1-eps, 1+eps]
    def ratios(inp):
        with mp.workdps(DPS):
            pol = inp["policy"]
            th, thp = vec(inp["theta"]), vec(inp["theta_prime"])
            eps = mpf(inp["epsilon"])
            inside = outside = 0
            for t in parse_trajectories(pol, inp["trajectories"]):
                for (s, a, _) in t:
                    w = pdf(pol, thp, a, s) / pdf(pol, th, a, s)
                    if 1 - eps <= w <= 1 + eps:
                        inside += 1
                    else:
                        outside += 1
            return inside, outside

    def clamp_mk(rng, i):
        pol = make_policy(rng, pick_family(i))
        th = make_theta(rng, pol)
        thp = perturb(rng, pol, th, 0.4)
        return {"policy": pol, "theta": th, "theta_prime": thp,
                "trajectories": make_trajs(rng, pol, th, m_lo=2, m_hi=5, d_lo=2, d_hi=5),
                "gamma": make_gamma(rng), "epsilon": r6(rng.uniform(0.05, 0.3))}

    def mixed(inp, out, i):
        a, o = ratios(inp)
        return a > 0 and o > 0

    b.random("clamped_objective", 21, 3008, clamp_mk, mixed)

    def clamped_grad_acc(inp, out, i):
        if not mixed(inp, out, i):
            return False
        # at least one step must actually be clamped (zero contribution)
        with mp.workdps(DPS):
            pol = inp["policy"]
            th, thp = vec(inp["theta"]), vec(inp["theta_prime"])
            eps = mpf(inp["epsilon"])
            g = mpf(inp["gamma"])
            for t in parse_trajectories(pol, inp["trajectories"]):
                rtg = rewards_to_go(t, g)
                for k, (s, a, _) in enumerate(t):
                    w = pdf(pol, thp, a, s) / pdf(pol, th, a, s)
                    if (rtg[k] > 0 and w > 1 + eps) or (rtg[k] < 0 and w < 1 - eps):
                        return True
        return False

    b.random("clamped_gradient", 21, 3009, clamp_mk, clamped_grad_acc)

    def cu(rng, i):
        pol = make_policy(rng, pick_family(i))
        th = make_theta(rng, pol)
        return {"policy": pol, "theta": th,
                "trajectories": make_trajs(rng, pol, th, d_lo=1, d_hi=4),
                "gamma": make_gamma(rng), "epsilon": r6(rng.uniform(0.05, 0.3)),
                "alpha": r6(rng.uniform(0.02, 0.3)), "k_max": rng.randint(1, 6)}

    def cu_acc(inp, out, i):
        if inp["policy"]["family"] != "softmax":
            return out["theta"][1] > 0.3 * inp["theta"][1]
        return True
    b.random("clamped_update", 21, 3010, cu, cu_acc)


def natural_combo(i):
    combos = [(f, s) for f in FAMILIES for s in SOLVER_KINDS if not (f == "softmax" and s == "exact")]
    return combos[i % len(combos)]


def make_natural_policy_input(rng, fam, kind, eps_lo, eps_hi, rank_def=False):
    if fam == "softmax":
        pol = make_policy(rng, fam, ns=rng.randint(1, 2), na=rng.randint(2, 3))
        th = make_theta(rng, pol)
        npar = pol["n_states"] * pol["n_actions"]
        trajs = make_trajs(rng, pol, th, m_lo=npar + 1, m_hi=npar + 3, d_lo=1, d_hi=4, visit_all=True)
    else:
        pol = make_policy(rng, fam)
        th = make_theta(rng, pol)
        npar = 2
        if rank_def:
            trajs = make_trajs(rng, pol, th, m_lo=1, m_hi=1, d_lo=1, d_hi=4)
        else:
            trajs = make_trajs(rng, pol, th, m_lo=4, m_hi=6, d_lo=1, d_hi=5)
    inp = {"policy": pol, "theta": th, "trajectories": trajs, "gamma": make_gamma(rng),
           "epsilon": r6(rng.uniform(eps_lo, eps_hi))}
    if not (kind == "exact" and rng.random() < 0.3):
        inp["solver"] = make_solver(rng, kind, npar, softmax=(fam == "softmax"),
                                    rcond=(1e-10 if rank_def else None))
    return inp


def natural_acc(inp, out, limit=1e4):
    kind = inp.get("solver", {"kind": "exact"})["kind"]
    return condition_ok(inp, out, 1e3 if kind == "conjugate_gradient" else limit)


def build_natural_policy_update(b):
    def mk(rng, i):
        if i >= 22:
            fam = ("gaussian", "linear_gaussian")[i % 2]
            return make_natural_policy_input(rng, fam, "pseudo_inverse", 0.005, 0.5, rank_def=True)
        fam, kind = natural_combo(i)
        return make_natural_policy_input(rng, fam, kind, 0.005, 0.5)
    b.random("natural_policy_update", 24, 4001, mk, lambda inp, out, i: natural_acc(inp, out))


def build_trust_region(b):
    plan = (["accept0"] * 7 + ["shrink"] * 7 + ["exhaust"] * 5 + ["domain_accept"] * 2
            + ["domain_exhaust"] * 2)

    def mk(rng, i):
        cat = plan[i]
        if cat.startswith("domain"):
            fam = ("gaussian", "linear_gaussian")[i % 2]
            kind = SOLVER_KINDS[i % 4]
            inp = make_natural_policy_input(rng, fam, kind, 2.0, 12.0)
        else:
            fam, kind = natural_combo(4 * i)
            if cat == "accept0":
                inp = make_natural_policy_input(rng, fam, kind, 0.005, 0.2)
            elif cat == "shrink":
                inp = make_natural_policy_input(rng, fam, kind, 0.05, 1.5)
            else:
                inp = make_natural_policy_input(rng, fam, kind, 0.001, 1.0)
        inp["alpha"] = 0.5 if rng.random() < 0.4 else r6(rng.uniform(0.3, 0.8))
        if cat in ("exhaust", "domain_exhaust"):
            inp["max_steps"] = 0 if cat == "domain_exhaust" else rng.randint(0, 3)
        elif rng.random() < 0.5:
            inp["max_steps"] = 100 if rng.random() < 0.5 else 30
        return inp

    def acc(inp, out, i):
        cat = plan[i]
        if not natural_acc(inp, out):
            return False
        if cat == "accept0":
            return out["accepted"] and out["steps"] == 0
        if cat == "shrink":
            return out["accepted"] and 1 <= out["steps"] <= 12
        if cat == "exhaust":
            return (not out["accepted"]) and out["f_theta_prime"] is not None
        nat_sigma = out["theta_natural"][1]
        if cat == "domain_accept":
            return nat_sigma <= 0 and out["accepted"] and out["steps"] <= 12
        return nat_sigma <= 0 and not out["accepted"] and out["f_theta_prime"] is None

    b.random("trust_region_update", len(plan), 5001, mk, acc)


# ----------------------------------------------------------------------------------------------
# Book cases
# ----------------------------------------------------------------------------------------------


EX121_ACTIONS = [[-0.532, 0.597, 1.947], [-0.263, -2.212, 2.364]]


def ex121_trajs():
    return [[{"s": 0.0, "a": a, "r": a} for a in t] for t in EX121_ACTIONS]


def build_book(b):
    gauss = {"family": "gaussian"}
    base = {"policy": gauss, "theta": [0.0, 1.0], "trajectories": ex121_trajs(), "gamma": 1.0}

    inp = dict(base, epsilon=0.1)
    nat = compute_plain("natural_policy_update", inp)
    b.add_ok("natural_policy_update", inp, nat, "book-ex12.1-natural_policy_update")
    theta_nat = [float(x) for x in nat["theta"]]  # f64 rounding of theta', used as an input

    inp = dict(base, epsilon=0.1, alpha=0.5)
    b.add_ok("trust_region_update", inp, compute_plain("trust_region_update", inp),
             "book-ex12.1-trust_region_update")

    inp = dict(base, theta_prime=[0.0, 1.0])
    b.add_ok("surrogate_objective", inp, compute_plain("surrogate_objective", inp),
             "book-ex12.1-surrogate_objective-theta")
    inp = dict(base, theta_prime=theta_nat)
    b.add_ok("surrogate_objective", inp, compute_plain("surrogate_objective", inp),
             "book-ex12.1-surrogate_objective-theta_prime")
    inp = dict(base, theta_prime=theta_nat)
    b.add_ok("surrogate_constraint", inp, compute_plain("surrogate_constraint", inp),
             "book-ex12.1-surrogate_constraint-theta_prime")

    # the per-trajectory scores of Example 12.1, written as the decimals they equal
    inp = {"scores": [[2.012, 1.430242], [-0.111, 7.550609]]}
    b.add_ok("fisher", inp, compute_plain("fisher", inp), "book-ex12.1-fisher")

    inp = {"p": [0.1, 0.2, 0.3, 0.4], "q": [0.4, 0.3, 0.2, 0.1]}
    b.add_ok("kl_categorical", inp, compute_plain("kl_categorical", inp), "book-ex12.3-kl-s1")
    inp = {"p": [0.1, 0.1, 0.6, 0.2], "q": [0.1, 0.1, 0.5, 0.3]}
    b.add_ok("kl_categorical", inp, compute_plain("kl_categorical", inp), "book-ex12.3-kl-s2")


# ----------------------------------------------------------------------------------------------
# Error cases (one defect each)
# ----------------------------------------------------------------------------------------------


G = {"family": "gaussian"}
LG = {"family": "linear_gaussian"}
SM = {"family": "softmax", "n_states": 2, "n_actions": 3}
SM_TH = [0.1, -0.2, 0.3, 0.5, 0.0, -0.4]


def g_trajs():
    return [[{"s": 0.0, "a": 0.3, "r": 1.0}, {"s": 0.0, "a": -0.7, "r": 0.5}],
            [{"s": 0.0, "a": 1.2, "r": -0.4}],
            [{"s": 0.0, "a": -0.1, "r": 0.8}, {"s": 0.0, "a": 0.9, "r": 1.5}, {"s": 0.0, "a": 0.2, "r": -1.0}]]


def lg_trajs():
    return [[{"s": 0.5, "a": 0.3, "r": 1.0}, {"s": -1.0, "a": -0.7, "r": 0.5}],
            [{"s": 1.2, "a": 1.2, "r": -0.4}, {"s": 0.3, "a": 0.1, "r": 0.7}]]


def sm_trajs():
    return [[{"s": 0, "a": 1, "r": 1.0}, {"s": 1, "a": 2, "r": -0.5}],
            [{"s": 1, "a": 0, "r": 0.3}, {"s": 0, "a": 2, "r": 1.1}, {"s": 1, "a": 1, "r": 0.4}]]


def build_errors(b):
    E = b.add_err
    # gradient_ascent
    E("gradient_ascent", {"theta": [1.0, 2.0], "grad": ["NaN", 0.5], "alpha": 0.1}, "NonFiniteInput")
    E("gradient_ascent", {"theta": [1.0, 2.0], "grad": [0.3, 0.5], "alpha": 0.0}, "InvalidParameter")
    E("gradient_ascent", {"theta": [1.0, 2.0], "grad": [0.3, 0.5], "alpha": -0.1}, "InvalidParameter")
    E("gradient_ascent", {"theta": [1.0, 2.0, 3.0], "grad": [0.3, 0.5], "alpha": 0.1}, "DimensionMismatch")
    E("gradient_ascent", {"theta": [], "grad": [], "alpha": 0.1}, "EmptyInput")
    # scale_gradient
    E("scale_gradient", {"grad": [1.0, 2.0], "l2_max": -1.0}, "InvalidParameter")
    E("scale_gradient", {"grad": [1.0, "Infinity"], "l2_max": 1.0}, "NonFiniteInput")
    E("scale_gradient", {"grad": [], "l2_max": 1.0}, "EmptyInput")
    # clip_gradient
    E("clip_gradient", {"grad": [1.0, 2.0], "lo": 1.0, "hi": -1.0}, "InvalidParameter")
    E("clip_gradient", {"grad": ["NaN", 2.0], "lo": -1.0, "hi": 1.0}, "NonFiniteInput")
    E("clip_gradient", {"grad": [], "lo": -1.0, "hi": 1.0}, "EmptyInput")
    # restricted_step
    E("restricted_step", {"theta": [1.0, 2.0], "grad": [0.0, 0.0], "epsilon": 0.1}, "ZeroGradient")
    E("restricted_step", {"theta": [1.0, 2.0], "grad": [0.3, 0.4], "epsilon": 0.0}, "InvalidParameter")
    E("restricted_step", {"theta": [1.0, 2.0], "grad": [0.3, 0.4], "epsilon": -0.5}, "InvalidParameter")
    E("restricted_step", {"theta": [1.0], "grad": [0.3, 0.4], "epsilon": 0.1}, "DimensionMismatch")
    E("restricted_step", {"theta": [1.0, 2.0], "grad": [0.3, "-Infinity"], "epsilon": 0.1}, "NonFiniteInput")
    E("restricted_step", {"theta": [], "grad": [], "epsilon": 0.1}, "EmptyInput")
    # fisher
    E("fisher", {"scores": []}, "EmptyInput")
    E("fisher", {"scores": [[], []]}, "EmptyInput")
    E("fisher", {"scores": [[1.0, 2.0], [0.5]]}, "DimensionMismatch")
    E("fisher", {"scores": [[1.0, "NaN"], [0.5, 0.2]]}, "NonFiniteInput")
    # natural_update
    nu_sc = [[1.0, 0.5], [-0.3, 1.2], [0.7, -0.8]]
    nu_gr = [[0.4, 0.1], [-0.2, 0.9], [0.6, -0.3]]
    base = {"theta": [0.2, 1.0], "grads": nu_gr, "scores": nu_sc, "epsilon": 0.1}
    E("natural_update", dict(base, grads=nu_gr[:2]), "DimensionMismatch")
    E("natural_update", dict(base, theta=[0.2, 1.0, 3.0]), "DimensionMismatch")
    E("natural_update", dict(base, scores=[[1.0, 0.5, 0.1], [-0.3, 1.2, 0.1], [0.7, -0.8, 0.1]]), "DimensionMismatch")
    E("natural_update", dict(base, epsilon=0.0), "InvalidParameter")
    E("natural_update", dict(base, solver={"kind": "damped", "damping": 0.0}), "InvalidParameter")
    E("natural_update", dict(base, solver={"kind": "damped", "damping": -0.1}), "InvalidParameter")
    E("natural_update", dict(base, grads=[[1.0, 2.0], [-1.0, -2.0], [0.0, 0.0]]), "ZeroGradient")
    E("natural_update", dict(base, scores=[[1.0, 2.0], [2.0, 4.0], [-0.5, -1.0]]), "SingularFisher")
    E("natural_update", dict(base, scores=[[1.0, 2.0], [2.0, 4.0], [-0.5, -1.0]],
                             solver={"kind": "exact"}), "SingularFisher")
    E("natural_update", dict(base, scores=[[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]],
                             grads=[[0.0, 1.0], [0.0, 2.0], [0.0, 0.5]],
                             solver={"kind": "pseudo_inverse", "rcond": 1e-10}), "NonPositiveCurvature")
    E("natural_update", dict(base, scores=[[1.0, 0.5], ["NaN", 1.2], [0.7, -0.8]]), "NonFiniteInput")
    E("natural_update", dict(base, grads=[], scores=[]), "EmptyInput")
    # score
    E("score", {"policy": G, "theta": [0.0, 1.0], "trajectories": []}, "EmptyInput")
    E("score", {"policy": G, "theta": [0.0, 1.0], "trajectories": [g_trajs()[0], []]}, "EmptyInput")
    E("score", {"policy": G, "theta": [0.0, 1.0, 0.5], "trajectories": g_trajs()}, "DimensionMismatch")
    E("score", {"policy": SM, "theta": SM_TH[:5], "trajectories": sm_trajs()}, "DimensionMismatch")
    E("score", {"policy": LG, "theta": [0.5, 0.0], "trajectories": lg_trajs()}, "InvalidParameter")
    E("score", {"policy": G, "theta": [0.5, -1.0], "trajectories": g_trajs()}, "InvalidParameter")
    bad = sm_trajs()
    bad[1][1] = {"s": 2, "a": 0, "r": 1.0}
    E("score", {"policy": SM, "theta": SM_TH, "trajectories": bad}, "DimensionMismatch")
    bad = sm_trajs()
    bad[0][0] = {"s": 0, "a": 3, "r": 1.0}
    E("score", {"policy": SM, "theta": SM_TH, "trajectories": bad}, "DimensionMismatch")
    bad = g_trajs()
    bad[2][1] = {"s": 0.0, "a": "NaN", "r": 1.5}
    E("score", {"policy": G, "theta": [0.0, 1.0], "trajectories": bad}, "NonFiniteInput")
    # likelihood_ratio_gradient
    base = {"policy": LG, "theta": [0.4, 0.9], "trajectories": lg_trajs(), "gamma": 0.9}
    E("likelihood_ratio_gradient", dict(base, gamma=1.5), "InvalidParameter")
    E("likelihood_ratio_gradient", dict(base, gamma=-0.1), "InvalidParameter")
    E("likelihood_ratio_gradient", dict(base, theta=[0.4, 0.0]), "InvalidParameter")
    E("likelihood_ratio_gradient", dict(base, trajectories=[]), "EmptyInput")
    bad = lg_trajs()
    bad[0][1] = {"s": -1.0, "a": -0.7, "r": "Infinity"}
    E("likelihood_ratio_gradient", dict(base, trajectories=bad), "NonFiniteInput")
    E("likelihood_ratio_gradient", {"policy": SM, "theta": SM_TH + [0.0], "trajectories": sm_trajs(),
                                    "gamma": 0.9}, "DimensionMismatch")
    # restricted_update
    zero_r = [[dict(st, r=0.0) for st in t] for t in g_trajs()]
    base = {"policy": G, "theta": [0.1, 1.1], "trajectories": g_trajs(), "gamma": 0.95, "epsilon": 0.1}
    E("restricted_update", dict(base, trajectories=zero_r), "ZeroGradient")
    E("restricted_update", dict(base, epsilon=0.0), "InvalidParameter")
    E("restricted_update", dict(base, gamma=1.01), "InvalidParameter")
    E("restricted_update", dict(base, theta=[0.1]), "DimensionMismatch")
    E("restricted_update", dict(base, trajectories=[[], g_trajs()[1]]), "EmptyInput")
    E("restricted_update", dict(base, theta=["NaN", 1.1]), "NonFiniteInput")
    # natural_policy_update
    sing_g = [[{"s": 0.0, "a": 0.5, "r": 1.0}]]  # one trajectory, two parameters (dyadic: exact)
    sing_g2 = [[{"s": 0.0, "a": 0.5, "r": 1.0}],
               [{"s": 0.0, "a": 0.5, "r": 0.5}, {"s": 0.0, "a": 0.5, "r": 0.5}]]  # parallel scores
    sing_lg = [[{"s": 2.0, "a": 1.5, "r": 1.0}]]
    sing_sm = [[{"s": 0, "a": 0, "r": 1.0}, {"s": 0, "a": 0, "r": 0.5}], [{"s": 0, "a": 1, "r": -0.25}]]
    sm12 = {"family": "softmax", "n_states": 1, "n_actions": 2}
    base = {"policy": G, "theta": [0.1, 1.1], "trajectories": g_trajs(), "gamma": 1.0, "epsilon": 0.1}
    E("natural_policy_update", dict(base, theta=[0.0, 1.0], trajectories=sing_g), "SingularFisher")
    E("natural_policy_update", dict(base, theta=[0.0, 1.0], trajectories=sing_g2), "SingularFisher")
    E("natural_policy_update", dict(base, policy=LG, theta=[0.5, 1.0], trajectories=sing_lg),
      "SingularFisher")
    E("natural_policy_update", {"policy": sm12, "theta": [0.0, 0.0], "trajectories": sing_sm,
                                "gamma": 1.0, "epsilon": 0.1, "solver": {"kind": "exact"}}, "SingularFisher")
    E("natural_policy_update", dict(base, trajectories=zero_r), "ZeroGradient")
    E("natural_policy_update", dict(base, epsilon=-0.1), "InvalidParameter")
    E("natural_policy_update", dict(base, solver={"kind": "damped", "damping": 0.0}), "InvalidParameter")
    E("natural_policy_update", dict(base, theta=[0.1, 1.1, 0.0]), "DimensionMismatch")
    E("natural_policy_update", dict(base, trajectories=[]), "EmptyInput")
    bad = g_trajs()
    bad[0][0] = {"s": 0.0, "a": 0.3, "r": "NaN"}
    E("natural_policy_update", dict(base, trajectories=bad), "NonFiniteInput")
    # policy_kl
    E("policy_kl", {"policy": G, "theta": [0.0, 1.0], "theta_prime": [0.1, 0.0], "s": 0.0}, "InvalidParameter")
    E("policy_kl", {"policy": LG, "theta": [0.0, -1.0], "theta_prime": [0.1, 1.0], "s": 0.5}, "InvalidParameter")
    E("policy_kl", {"policy": G, "theta": [0.0, 1.0], "theta_prime": [0.1], "s": 0.0}, "DimensionMismatch")
    E("policy_kl", {"policy": SM, "theta": SM_TH, "theta_prime": SM_TH, "s": 2}, "DimensionMismatch")
    E("policy_kl", {"policy": LG, "theta": [0.0, 1.0], "theta_prime": ["NaN", 1.0], "s": 0.5}, "NonFiniteInput")
    # surrogate_objective / surrogate_constraint / kl_penalty_objective
    for op in ("surrogate_objective", "surrogate_constraint", "kl_penalty_objective"):
        base = {"policy": G, "theta": [0.1, 1.1], "theta_prime": [0.2, 1.0], "trajectories": g_trajs(),
                "gamma": 0.9}
        if op == "kl_penalty_objective":
            base["beta"] = 1.0
            E(op, dict(base, beta=-0.5), "InvalidParameter")
        E(op, dict(base, theta_prime=[0.2, 1.0, 0.0]), "DimensionMismatch")
        E(op, dict(base, theta_prime=[0.2, -0.1]), "InvalidParameter")
        E(op, dict(base, gamma=1.2), "InvalidParameter")
        E(op, dict(base, trajectories=[]), "EmptyInput")
        E(op, dict(base, theta_prime=[0.2, "Infinity"]), "NonFiniteInput")
        E(op, {"policy": SM, "theta": SM_TH, "theta_prime": SM_TH[:4], "trajectories": sm_trajs(),
               "gamma": 0.9, **({"beta": 1.0} if op == "kl_penalty_objective" else {})}, "DimensionMismatch")
    # trust_region_update
    base = {"policy": G, "theta": [0.1, 1.1], "trajectories": g_trajs(), "gamma": 1.0, "epsilon": 0.1,
            "alpha": 0.5}
    E("trust_region_update", dict(base, alpha=1.0), "InvalidParameter")
    E("trust_region_update", dict(base, alpha=0.0), "InvalidParameter")
    E("trust_region_update", dict(base, alpha=1.5), "InvalidParameter")
    E("trust_region_update", dict(base, epsilon=0.0), "InvalidParameter")
    E("trust_region_update", dict(base, gamma=-0.5), "InvalidParameter")
    E("trust_region_update", dict(base, theta=[0.0, 1.0], trajectories=sing_g), "SingularFisher")
    E("trust_region_update", dict(base, trajectories=zero_r), "ZeroGradient")
    E("trust_region_update", dict(base, trajectories=[g_trajs()[0], []]), "EmptyInput")
    E("trust_region_update", dict(base, theta=[0.1, 1.1, 2.0]), "DimensionMismatch")
    E("trust_region_update", dict(base, epsilon="NaN"), "NonFiniteInput")
    # clamped ops
    for op in ("clamped_objective", "clamped_gradient"):
        base = {"policy": LG, "theta": [0.4, 0.9], "theta_prime": [0.5, 0.8], "trajectories": lg_trajs(),
                "gamma": 0.9, "epsilon": 0.2}
        E(op, dict(base, epsilon=0.0), "InvalidParameter")
        E(op, dict(base, epsilon=-0.2), "InvalidParameter")
        E(op, dict(base, theta_prime=[0.5, 0.0]), "InvalidParameter")
        E(op, dict(base, theta_prime=[0.5]), "DimensionMismatch")
        E(op, dict(base, trajectories=[lg_trajs()[0], []]), "EmptyInput")
        E(op, dict(base, theta=[0.4, "NaN"]), "NonFiniteInput")
    base = {"policy": SM, "theta": SM_TH, "trajectories": sm_trajs(), "gamma": 0.9, "epsilon": 0.2,
            "alpha": 0.1, "k_max": 3}
    E("clamped_update", dict(base, alpha=0.0), "InvalidParameter")
    E("clamped_update", dict(base, alpha=-0.1), "InvalidParameter")
    E("clamped_update", dict(base, epsilon=0.0), "InvalidParameter")
    E("clamped_update", dict(base, gamma=2.0), "InvalidParameter")
    E("clamped_update", dict(base, theta=SM_TH + [0.1]), "DimensionMismatch")
    E("clamped_update", dict(base, trajectories=[]), "EmptyInput")
    bad = sm_trajs()
    bad[1][0] = {"s": 1, "a": 0, "r": "-Infinity"}
    E("clamped_update", dict(base, trajectories=bad), "NonFiniteInput")
    E("clamped_update", dict(base, policy=G, theta=[0.1, -1.0], trajectories=g_trajs()), "InvalidParameter")
    # kl_categorical
    E("kl_categorical", {"p": [0.5, -0.1, 0.6], "q": [0.3, 0.3, 0.4]}, "InvalidParameter")
    E("kl_categorical", {"p": [0.5, 0.5, 0.5], "q": [0.3, 0.3, 0.4]}, "InvalidParameter")
    E("kl_categorical", {"p": [0.2, 0.3, 0.5], "q": [0.5, 0.5, 0.5]}, "InvalidParameter")
    E("kl_categorical", {"p": [0.2, 0.3, 0.5], "q": [0.5, 0.5]}, "DimensionMismatch")
    E("kl_categorical", {"p": [], "q": []}, "EmptyInput")
    E("kl_categorical", {"p": [0.2, 0.3, 0.5], "q": [0.0, 0.5, 0.5]}, "ZeroProbability")
    # kl_gaussian
    E("kl_gaussian", {"mean_p": 0.0, "std_p": 0.0, "mean_q": 0.1, "std_q": 1.0}, "InvalidParameter")
    E("kl_gaussian", {"mean_p": 0.0, "std_p": 1.0, "mean_q": 0.1, "std_q": -1.0}, "InvalidParameter")
    E("kl_gaussian", {"mean_p": "NaN", "std_p": 1.0, "mean_q": 0.1, "std_q": 1.0}, "NonFiniteInput")


# ----------------------------------------------------------------------------------------------


def build_all():
    b = Builder()
    build_book(b)
    build_vector_ops(b)
    build_natural_update(b)
    build_policy_ops(b)
    build_natural_policy_update(b)
    build_trust_region(b)
    build_errors(b)
    return b.cases


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output JSON file")
    ap.add_argument("--stats", action="store_true", help="report rejected random draws")
    args = ap.parse_args(argv)
    if mpmath.__version__ != "1.3.0":
        sys.stderr.write("warning: expected mpmath 1.3.0, found %s\n" % mpmath.__version__)
    cases = build_all()
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    doc = {"generator": GENERATOR, "mpmath": "1.3.0", "dps": DPS, "cases": cases}
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        json.dump(doc, f, indent=1, ensure_ascii=True)
        f.write("\n")
    counts = {}
    for c in cases:
        key = c["operation"]
        counts.setdefault(key, [0, 0, 0])
        if c["id"].startswith("err-"):
            counts[key][1] += 1
        elif c["id"].startswith("book-"):
            counts[key][2] += 1
        else:
            counts[key][0] += 1
    sys.stderr.write("%-28s %6s %6s %6s\n" % ("operation", "random", "error", "book"))
    for op in OPS:
        r, e, bk = counts.get(op, [0, 0, 0])
        sys.stderr.write("%-28s %6d %6d %6d\n" % (op, r, e, bk))
    sys.stderr.write("total %d cases\n" % len(cases))
    if args.stats:
        for key in sorted(STATS):
            sys.stderr.write("rejected %-28s %-40s %d\n" % (key[0], key[1], STATS[key]))


if __name__ == "__main__":
    main()
