#!/usr/bin/env python3
"""Independent high-precision reference for pgoracle (Chapter 12, policy gradient optimization).

Written from the oracle interface spec, the book-code notes and the chapter text only; it shares no
code with the Rust implementation. Every input float is taken as its exact binary value, every
quantity is computed with mpmath at 50 significant digits, and every expected real is written as a
decimal string with 40 significant digits.

Usage (from the repository root):

    python3 tools/reference/mp_reference.py --out tools/reference/cases.json [--stats]
    python3 tools/reference/mp_reference.py --regen N     # rebuild the random case of seed N

The output is deterministic: fixed seeds (one random.Random(N) per random case), no timestamps,
insertion-ordered dictionaries. Standard library + mpmath 1.3.0 only.
"""

import argparse
import json
import random
import struct
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
# f32 cases: every branch decision at least 1e-3 (relative) from its threshold, and the computation
# redone with 24-bit (float-like) arithmetic agrees with the 50-digit result to 1e-5 relative.
F32_MARGIN = mpf("1e-3")
F32_AGREEMENT = mpf("1e-5")

# Switches for the margin bookkeeping of the case being computed (set by compute_checked):
#  ls_scale  - the line-search improvement margin is (f(c) - f(theta)) / (|f(theta)| + 1) * ls_scale
#              (1000 for f64, so a 1e-6 margin means a 1e-9 gap; 1 for f32, a 1e-3 gap);
#  zero_rtg  - a reward-to-go that is EXACTLY zero is not a branch decision (both branches of the
#              clamped gradient give a zero contribution); used by the AtClipBoundary edge cases.
#  adv      - adversarial cases (build_adversarial, --adversarial): also record the margins of the
#              decisions that ordinary random cases keep far from their thresholds by construction
#              (scale and clip limits, the clamp of the clamped objective, g'u > 0, the sum-to-one
#              test, the exact solver's rank test), and take the sign of a reward-to-go relative to
#              the sum of the magnitudes of its terms.
MODE = {"ls_scale": mpf(1000), "zero_rtg": False, "adv": False}


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


def note_adv_margin(value):
    """A margin recorded only for adversarial cases (see MODE)."""
    if MODE["adv"]:
        _MARGINS.append(abs(value))


def rel_gap(x, b):
    """|x - b| relative to the larger magnitude (1 when one side is 0 and the other not)."""
    big = max(abs(x), abs(b))
    return abs(x - b) / big if big != 0 else mpf(0)


# Every discrete decision of an evaluation, in order: (tag, outcome). The 50- and 100-digit
# evaluations of a case must make the same decisions (see certify).
_DECISIONS = []
# The relative line-search improvement gaps |f(c) - f(theta)| / (|f(theta)| + 1) of an evaluation.
_LS_MARGINS = []


def decide(tag, outcome):
    _DECISIONS.append((tag, bool(outcome)))
    return outcome


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


def show(x):
    """A parameter value for an error message."""
    return mpmath.nstr(x, 15)


def get_positive(inp, name):
    x = num(inp[name])
    if not x > 0:
        raise RefError("InvalidParameter", "%s must be > 0, got %s" % (name, show(x)))
    return x


def get_gamma(inp):
    g = num(inp["gamma"])
    if g < 0 or g > 1:
        raise RefError("InvalidParameter", "gamma must lie in [0, 1], got %s" % show(g))
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
        raise RefError("DimensionMismatch", "%s has length %d, the policy has %d parameters"
                       % (name, len(theta), policy_nparams(pol)))
    th = vec(theta)
    if pol["family"] in ("gaussian", "linear_gaussian") and not th[1] > 0:
        raise RefError("InvalidParameter", "%s: sigma must be > 0, got %s" % (name, show(th[1])))
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


def high_precision():
    """True in the 50- and 100-digit evaluations, false in the 53- and 24-bit guard evaluations
    (compute_checked), which keep the textbook forms 1 - p_a and sum p log(p/q) of naive code."""
    return mp.prec > 100


def softmax_logs(pol, th, s):
    """log pi(b | s) for every b, with no cancellation for near-certain actions:
    (theta_b - m) - log1p(sum_{c != r} e^(theta_c - m)), r = the (first) largest logit."""
    na = pol["n_actions"]
    row = th[s * na:(s + 1) * na]
    mx = max(row)
    r = row.index(mx)
    L = mp.log1p(mp.fsum([mp.exp(x - mx) for c, x in enumerate(row) if c != r]))
    return [(x - mx) - L for x in row]


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
            # 1 - p_a as the sum of the other probabilities: no cancellation when p_a ~ 1
            if b != a:
                g[s * na + b] = -p[b]
            elif high_precision():
                g[s * na + b] = mp.fsum([p[c] for c in range(na) if c != a])
            else:
                g[s * na + b] = 1 - p[b]
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


def cancelled_digits(x):
    """Digits a KL formula loses when its distributions differ by a relative amount x (> 0)."""
    return min(2000, max(0, int(-mp.log10(x))))


def kl_gauss(mp_, sp, mq, sq):
    if not high_precision():
        return mp.log(sq / sp) + (sp * sp + (mp_ - mq) ** 2) / (2 * sq * sq) - mpf(1) / 2
    # log(sq/sp) + sp^2/(2 sq^2) - 1/2 cancels about 2*log10(1/|delta|) digits, delta = sp/sq - 1:
    # evaluate with that many extra digits (the mean term is a square, it does not cancel)
    delta = abs(sp - sq) / sq
    extra = 2 * cancelled_digits(delta) + 10 if delta != 0 else 10
    with mp.extradps(extra):
        v = mp.log(sq / sp) + (sp * sp + (mp_ - mq) ** 2) / (2 * sq * sq) - mpf(1) / 2
    return +v


def kl_cat(p, q):
    extra = 0
    if high_precision():
        # sum p log(p/q) has terms ~ |p - q| and a sum ~ (p - q)^2/q: extra digits for that
        gaps = [abs(a - b) / b for a, b in zip(p, q) if a != 0 and b != 0 and a != b]
        extra = cancelled_digits(max(gaps)) + 10 if gaps else 0
    tot = []
    for pi, qi in zip(p, q):
        if decide("p_zero", pi == 0):
            continue
        if decide("q_zero", qi == 0):
            raise RefError("ZeroProbability", "q is zero where p is positive")
        with mp.extradps(extra):
            tot.append(pi * mp.log(pi / qi))
    with mp.extradps(extra):
        v = mp.fsum(tot)
    return +v


def policy_kl_value(pol, th, thp, s):
    if pol["family"] == "softmax":
        if not high_precision():
            return kl_cat(softmax_row(pol, th, s), softmax_row(pol, thp, s))
        # sum_b p_b (log p_b - log q_b) from log-probabilities (softmax_logs): p_b/q_b formed from
        # rounded probabilities would lose the terms of a near-certain action
        # the terms are ~ |d|, their sum ~ d^2 (d = theta' - theta in this row): extra digits
        na = pol["n_actions"]
        d = [y - x for x, y in zip(th[s * na:(s + 1) * na], thp[s * na:(s + 1) * na])]
        spread = max(d) - min(d)
        if spread == 0:
            return mpf(0)
        with mp.extradps(cancelled_digits(spread) + 10):
            p = softmax_row(pol, th, s)
            lp, lq = softmax_logs(pol, th, s), softmax_logs(pol, thp, s)
            v = mp.fsum([pb * (a - b) for pb, a, b in zip(p, lp, lq)])
        return +v
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


def rewards_to_go_scale(traj, gamma):
    """S(tau, j) = sum_{k >= j} |r_k| gamma^(k-1): the scale against which the sign of R(tau, j) is
    decided in adversarial cases."""
    terms = []
    pw = mpf(1)
    for (_, _, r) in traj:
        terms.append(abs(r) * pw)
        pw *= gamma
    return [mp.fsum(terms[j:]) for j in range(len(terms))]


def note_rtg_margin(R, S):
    """The sign of a reward-to-go R: absolute for ordinary cases, relative to S in adversarial ones."""
    if MODE["zero_rtg"] and R == 0:
        return
    if MODE["adv"]:
        note_margin(R / S if S != 0 else mpf(0))
    else:
        note_margin(R)


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
            raise RefError("InvalidParameter", "solver.damping must be > 0, got %s" % show(lam))
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


def rank_margin(E, big):
    """Adversarial cases: the exact solver's rank test min|e| <= t*max|e| (t = 2^-0.6*prec) must not
    be close (a factor 1 + 1e-12) to its threshold."""
    if big != 0:
        t = singular_threshold()
        note_adv_margin((min(abs(e) for e in E) / big - t) / t)


def solve_fisher(F, g, solver):
    kind = solver[0]
    if kind == "exact":
        E, _ = sym_eig(F)
        big = max(abs(e) for e in E)
        rank_margin(E, big)
        if decide("singular", big == 0 or min(abs(e) for e in E) <= singular_threshold() * big):
            raise RefError("SingularFisher", "the Fisher matrix is singular and the solver is exact")
        return solve(F, g)
    if kind == "damped":
        return solve(add_damping(F, solver[1]), g)
    if kind == "conjugate_gradient":
        # CG in exact arithmetic converges to the exact solution of (F + lambda I) u = g.
        A = add_damping(F, solver[1])
        E, _ = sym_eig(A)
        big = max(abs(e) for e in E)
        rank_margin(E, big)
        if decide("singular", big == 0 or min(abs(e) for e in E) <= singular_threshold() * big):
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
            if decide("pinv_drop", sv == 0 or sv < thr):
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
    if decide("zero_grad", all(x == 0 for x in g)):
        raise RefError("ZeroGradient", "mean gradient is zero")
    F = fisher_matrix(scores)
    u = solve_fisher(F, g, solver)
    gu = dot(g, u)
    gu_scale = mp.fsum([abs(a * b) for a, b in zip(g, u)])
    note_adv_margin(gu / gu_scale if gu_scale != 0 else mpf(0))
    if decide("nonpositive_curvature", not gu > 0):
        raise RefError("NonPositiveCurvature", "g'u <= 0 for the natural direction")
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
        rsc = rewards_to_go_scale(t, gamma) if MODE["adv"] else None
        terms = []
        for k, (s, a, _) in enumerate(t):
            w = pdf(pol, thp, a, s) / pdf(pol, th, a, s)
            note_adv_margin(rel_gap(w, lo))
            note_adv_margin(rel_gap(w, hi))
            if MODE["adv"]:
                note_rtg_margin(rtg[k], rsc[k])
            decide("clamp_lo", w < lo)
            decide("clamp_hi", w > hi)
            decide("rtg_pos", rtg[k] > 0)
            cw = min(max(w, lo), hi)
            terms.append(min(w * rtg[k], cw * rtg[k]))
        per.append(mp.fsum(terms) / len(t))
    return mp.fsum(per) / len(trajs)


def clamped_gradient_value(pol, th, thp, trajs, gamma, eps):
    n = len(th)
    per = []
    for t in trajs:
        rtg = rewards_to_go(t, gamma)
        rsc = rewards_to_go_scale(t, gamma)
        acc = [[] for _ in range(n)]
        for k, (s, a, _) in enumerate(t):
            P = pdf(pol, th, a, s)
            w = pdf(pol, thp, a, s) / P
            R = rtg[k]
            note_margin(w - (1 + eps))
            note_margin(w - (1 - eps))
            note_rtg_margin(R, rsc[k])
            if decide("clamp_skip", (R > 0 and w > 1 + eps) or (R < 0 and w < 1 - eps)):
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
        raise RefError("DimensionMismatch", "theta and grad differ in length")
    alpha = get_positive(inp, "alpha")
    return {"theta": [t + alpha * g for t, g in zip(vec(inp["theta"]), vec(inp["grad"]))]}


def op_scale_gradient(inp):
    require_vector("grad", inp["grad"])
    l2 = num(inp["l2_max"])
    if l2 < 0:
        raise RefError("InvalidParameter", "l2_max must be >= 0, got %s" % show(l2))
    g = vec(inp["grad"])
    nrm = mp.sqrt(mp.fsum([x * x for x in g]))
    if decide("zero_norm", nrm == 0):
        return {"grad": [mpf(0)] * len(g)}
    note_adv_margin(rel_gap(nrm, l2))
    decide("scaled", l2 < nrm)
    f = min(l2 / nrm, mpf(1))
    return {"grad": [f * x for x in g]}


def op_clip_gradient(inp):
    require_vector("grad", inp["grad"])
    lo, hi = num(inp["lo"]), num(inp["hi"])
    if lo > hi:
        raise RefError("InvalidParameter", "lo > hi (%s > %s)" % (show(lo), show(hi)))
    g = vec(inp["grad"])
    for x in g:
        note_adv_margin(rel_gap(x, lo))
        note_adv_margin(rel_gap(x, hi))
        decide("clip_lo", x < lo)
        decide("clip_hi", x > hi)
    return {"grad": [min(max(x, lo), hi) for x in g]}


def op_restricted_step(inp):
    require_vector("theta", inp["theta"])
    require_vector("grad", inp["grad"])
    if len(inp["theta"]) != len(inp["grad"]):
        raise RefError("DimensionMismatch", "theta and grad differ in length")
    eps = get_positive(inp, "epsilon")
    g = vec(inp["grad"])
    gg = dot(g, g)
    if decide("zero_grad", gg == 0):
        raise RefError("ZeroGradient", "grad is zero")
    sc = mp.sqrt(2 * eps / gg)
    return {"theta": [t + x * sc for t, x in zip(vec(inp["theta"]), g)]}


def check_vector_list(name, vs, n=None):
    if not isinstance(vs, list) or len(vs) == 0:
        raise RefError("EmptyInput", "%s is empty" % name)
    given = n is not None
    if n is None:
        n = len(vs[0])
    for i, v in enumerate(vs):
        if len(v) != n:
            if given:
                raise RefError("DimensionMismatch", "%s[%d] has length %d, theta has length %d"
                               % (name, i, len(v), n))
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
        raise RefError("EmptyInput", "grads and scores are empty")
    if len(inp["grads"]) != len(inp["scores"]):
        raise RefError("DimensionMismatch", "grads and scores have different counts")
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
    if decide("zero_grad", uu == 0):
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
        raise RefError("InvalidParameter", "beta must be >= 0, got %s" % show(beta))
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
        if decide("outside_domain", not in_domain(pol, thp)):
            raise RefError("InvalidParameter", "theta_prime left the policy domain")
        g = clamped_gradient_value(pol, th, thp, trajs, gamma, eps)
        thp = [t + alpha * x for t, x in zip(thp, g)]
    return {"theta": thp}


def op_trust_region_update(inp):
    alpha = num(inp["alpha"])
    if not (0 < alpha < 1):
        raise RefError("InvalidParameter", "alpha must lie in (0, 1), got %s" % show(alpha))
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
        if decide("in_domain", in_domain(pol, c)):
            fc = f(c)
            gc = g(c)
            note_margin((gc - eps) / eps)
            # f(c) - f(theta) shrinks with the step; a 1e-9 relative gap is ample for f64
            note_margin((fc - f_theta) / fscale * MODE["ls_scale"])
            _LS_MARGINS.append(abs(fc - f_theta) / fscale)
            ok = gc <= eps and fc > f_theta
            decide("constraint_ok", gc <= eps)
            decide("improves", fc > f_theta)
        if ok:
            accepted, theta_out = True, c
            break
        if decide("exhausted", steps == max_steps):
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
    note_adv_margin((PROB_SUM_TOL - abs(mp.fsum(p) - 1)) / PROB_SUM_TOL)
    if decide("sum_off", abs(mp.fsum(p) - 1) > PROB_SUM_TOL):
        raise RefError("InvalidParameter", "%s does not sum to 1 (sum %s)" % (name, show(mp.fsum(p))))


def op_kl_categorical(inp):
    if len(inp["p"]) == 0 or len(inp["q"]) == 0:
        raise RefError("EmptyInput", "p and q are empty")
    if len(inp["p"]) != len(inp["q"]):
        raise RefError("DimensionMismatch", "p and q differ in length")
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


def snap_field(v, snap_scalars=True):
    """Values below 1e-35 of the largest entry of their field are rounding residue of exact zeros.

    Scalars below 1e-40 are snapped too, except for the hard edge cases (snap_scalars=False), whose
    tiny scalar results are genuine."""
    ls = list(leaves(v))
    if not ls:
        return v
    if isinstance(v, list):
        thr = max(abs(x) for x in ls) * mpf("1e-35")
    elif snap_scalars:
        thr = mpf("1e-40")
    else:
        return v

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


def agree(a, b, tol=F64_AGREEMENT):
    """a: 50-digit (snapped) value, b: low-precision value."""
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(agree(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, mpmath.mpf):
        if not isinstance(b, mpmath.mpf):
            return False
        if a == 0:
            return b == 0
        return abs(b - a) <= tol * abs(a)
    return a == b


SCALARS = {
    # scalar: (decision margin, line-search scale, re-evaluation precision in bits, agreement)
    "f64": (DECISION_MARGIN, mpf(1000), 53, F64_AGREEMENT),
    "f32": (F32_MARGIN, mpf(1), 24, F32_AGREEMENT),
}


def compute_checked(op, inp, scalar="f64", zero_rtg=False):
    """50-digit result, checked for decision margins and agreement with 53-bit (f64) or 24-bit
    (f32) arithmetic.

    Returns (output, raw_output, None) or (None, None, reason). `output` is snapped, `raw_output`
    is the unsnapped 50-digit result."""
    margin, ls_scale, bits, tol = SCALARS[scalar]
    MODE["ls_scale"], MODE["zero_rtg"] = ls_scale, zero_rtg
    try:
        del _MARGINS[:]
        with mp.workdps(DPS):
            try:
                raw = evaluate(op, inp)
            except RefError as e:
                return None, None, "error " + e.kind
            out50 = {k: snap_field(v) for k, v in raw.items()}
            margins = list(_MARGINS)
            if margins and min(margins) < margin:
                return None, None, "margin"
        with mp.workprec(bits):
            try:
                outlow = evaluate(op, inp)
            except RefError as e:
                return None, None, "%d-bit error %s" % (bits, e.kind)
        for k in out50:
            if not agree(out50[k], outlow[k], tol):
                return None, None, "%s disagreement in %s" % (scalar, k)
        return out50, raw, None
    finally:
        MODE["ls_scale"], MODE["zero_rtg"] = mpf(1000), False


HARD_SELF_CHECK_DPS = DPS + 30
HARD_SELF_CHECK = mpf("1e-30")


def compute_hard(op, inp):
    """For the IllConditioned and Underflow edge cases: no low-precision agreement test (they are
    meant to be hard), but the decision margins still hold and the 50-digit result must agree with
    an 80-digit one to 1e-30 (so that every written digit that matters is right). Tiny scalars are
    not snapped."""
    del _MARGINS[:]
    with mp.workdps(DPS):
        raw = evaluate(op, inp)
        margins = list(_MARGINS)
        if margins and min(margins) < DECISION_MARGIN:
            raise SystemExit("hard edge case of %s is too close to a branch point\n%s"
                             % (op, json.dumps(inp)))
        out = {k: snap_field(v, snap_scalars=False) for k, v in raw.items()}
    with mp.workdps(HARD_SELF_CHECK_DPS):
        hi = evaluate(op, inp)
        hi = {k: snap_field(v, snap_scalars=False) for k, v in hi.items()}
    for k in out:
        if not agree(out[k], hi[k], HARD_SELF_CHECK):
            raise SystemExit("hard edge case of %s: 50 and 80 digits disagree in %s" % (op, k))
    return out, raw


# ----------------------------------------------------------------------------------------------
# Certified digits: a second, independent evaluation at 100 digits
# ----------------------------------------------------------------------------------------------


CERT_DPS = 100
CERT_CAP = SIG_DIGITS   # values are written with 40 significant digits


def evaluate_logged(op, inp, dps):
    """(output or None, error kind or None, decisions) of one evaluation at `dps` digits."""
    del _DECISIONS[:]
    with mp.workdps(dps):
        try:
            out, kind = evaluate(op, inp), None
        except RefError as e:
            out, kind = None, e.kind
    return out, kind, list(_DECISIONS)


def is_real_field(v):
    """A real-valued output field: an mpf or a (nested) list of mpf; not steps, accepted or null."""
    return any(True for _ in leaves(v))


def agreeing_digits(a, b):
    """Significant decimal digits on which a (50-digit) and b (100-digit) agree, normwise:
    floor(-log10(max|a_j - b_j| / max|b_j|)), capped at CERT_CAP; CERT_CAP when identical or both
    all zero."""
    la, lb = list(leaves(a)), list(leaves(b))
    assert len(la) == len(lb)
    with mp.workdps(CERT_DPS):
        num = max(abs(x - y) for x, y in zip(la, lb))
        den = max(abs(y) for y in lb)
        if num == 0:
            return CERT_CAP
        if den == 0:
            return 0
        d = int(mp.floor(-mp.log10(num / den)))
    return max(0, min(CERT_CAP, d))


def snap_pair(v, other):
    """Adversarial cases: like snap_field (entries below 1e-35 of the largest entry of a vector or
    matrix field are rounding residue of exact zeros), except that an entry on which the other
    evaluation agrees to 1e-6 is genuine and kept; scalars are never snapped."""
    if not isinstance(v, list):
        return v
    ls = list(leaves(v))
    if not ls:
        return v
    thr = max(abs(x) for x in ls) * mpf("1e-35")

    def rec(x, y):
        if isinstance(x, list):
            return [rec(p, q) for p, q in zip(x, y)]
        if isinstance(x, mpmath.mpf) and abs(x) < thr and not abs(x - y) <= mpf("1e-6") * abs(x):
            return mpf(0)
        return x

    return rec(v, other)


class ReferenceDefect(Exception):
    """The 50- and 100-digit evaluations of a case differ in a discrete outcome."""


def certify_full(op, inp, cid, snap_scalars=True, pairwise=False):
    """Evaluate the case at 50 and at 100 digits. Returns (error kind or None, snapped 50-digit
    output, {field: certified digits}, raw 50-digit output). Any difference in a discrete outcome
    (error kind, steps, accepted, a null, any branch decision) between the two raises
    ReferenceDefect."""
    r50, k50, d50 = evaluate_logged(op, inp, DPS)
    r100, k100, d100 = evaluate_logged(op, inp, CERT_DPS)
    if k50 != k100:
        raise ReferenceDefect("reference defect in %s: 50 digits give %s, 100 digits give %s"
                              % (cid, k50 or "an output", k100 or "an output"))
    if d50 != d100:
        first = next(i for i, (x, y) in enumerate(zip(d50 + [None], d100 + [None])) if x != y)
        raise ReferenceDefect("reference defect in %s: decision %d differs between 50 and 100 "
                              "digits (%s vs %s)" % (cid, first, (d50 + [None])[first],
                                                     (d100 + [None])[first]))
    if k50 is not None:
        return k50, None, None, None
    digits = {}
    out = {}
    with mp.workdps(CERT_DPS):
        for k in r50:
            a, b = r50[k], r100[k]
            if not is_real_field(a):
                if a != b:
                    raise ReferenceDefect("reference defect in %s: %s is %r at 50 digits, %r at 100"
                                          % (cid, k, a, b))
                out[k] = a
                continue
            if pairwise:
                sa, sb = snap_pair(a, b), snap_pair(b, a)
            else:
                sa, sb = snap_field(a, snap_scalars), snap_field(b, snap_scalars)
            out[k] = sa
            digits[k] = agreeing_digits(sa, sb)
    return None, out, digits, r50


def certify(op, inp, cid, snap_scalars=True):
    """certify_full for a case that has an expected output; a defect stops the run."""
    try:
        kind, out, digits, _ = certify_full(op, inp, cid, snap_scalars)
    except ReferenceDefect as e:
        raise SystemExit(str(e))
    if kind is not None:
        raise SystemExit("reference defect in %s: %s at 50 and 100 digits, but an expected output"
                         % (cid, kind))
    return out, digits


# ----------------------------------------------------------------------------------------------
# Adversarial cases: evaluation
# ----------------------------------------------------------------------------------------------


# Every decision of an adversarial case at least this far (relative) from its threshold, except in
# the RoundingLevelDecision trust-region cases. The line-search improvement test counts
# (f(c) - f(theta)) / (|f(theta)| + 1). f32: 1e-5 (about 80 f32 ulps).
ADV_MARGIN = {"f64": mpf("1e-12"), "f32": mpf("1e-5")}
# The 50- and 100-digit evaluations of an adversarial case must agree to this many digits in every
# real output field (ordinary cases agree to all 40).
ADV_MIN_DIGITS = 20
# The smallest magnitude that rounds to infinity (round to nearest): a result at or above it in
# any output field is the NonFiniteResult error.
OVERFLOW = {"f64": mpf(2) ** 1024 * (1 - mpf(2) ** -54), "f32": mpf(2) ** 128 * (1 - mpf(2) ** -25)}


def overflows(out, scalar):
    lim = OVERFLOW[scalar]
    return [k for k, v in out.items() if any(abs(x) >= lim for x in leaves(v))]


def adversarial_eval(op, inp, scalar, cid):
    """Evaluate an adversarial case: 50 and 100 digits (certify_full, pairwise snapping), with the
    adversarial margins. Returns a dict with kind (error or None), out (snapped 50-digit output),
    raw, digits, margin (smallest decision margin, None when there is no decision) and
    ls_margin (smallest line-search improvement margin). Raises ReferenceDefect."""
    saved = dict(MODE)
    MODE.update(ls_scale=mpf(1), zero_rtg=False, adv=True)
    try:
        del _MARGINS[:]
        del _LS_MARGINS[:]
        kind, out, digits, raw = certify_full(op, inp, cid, pairwise=True)
        margins = list(_MARGINS)
        ls = list(_LS_MARGINS)
    finally:
        MODE.clear()
        MODE.update(saved)
    res = {"kind": kind, "out": out, "raw": raw, "digits": digits,
           "margin": min(margins) if margins else None, "ls_margin": min(ls) if ls else None}
    if kind is None and overflows(out, scalar):
        res["kind"] = "NonFiniteResult"
        res["overflow"] = overflows(out, scalar)
    return res


def compute_plain(op, inp):
    with mp.workdps(DPS):
        raw = evaluate(op, inp)
        return {k: snap_field(v) for k, v in raw.items()}, raw


def expected_error(op, inp):
    with mp.workdps(DPS):
        try:
            evaluate(op, inp)
        except RefError as e:
            return e.kind, e.message
    return None, None


# ----------------------------------------------------------------------------------------------
# Conditioning of the natural-gradient system
# ----------------------------------------------------------------------------------------------


NATURAL_OPS = ("natural_update", "natural_policy_update", "trust_region_update")


def solved_spectrum(inp, F):
    """|eigenvalues| (= singular values) of the matrix actually solved: F (exact), F + lambda I
    (damped, conjugate_gradient), or F restricted to the kept singular values (pseudo_inverse)."""
    solver = inp.get("solver", {"kind": "exact"})
    with mp.workdps(DPS):
        if solver["kind"] in ("damped", "conjugate_gradient"):
            F = add_damping(F, mpf(solver["damping"]))
        E, _ = sym_eig(F)
        E = [abs(e) for e in E]
        big = max(E)
        if big == 0:
            return []
        if solver["kind"] == "pseudo_inverse":
            thr = mpf(solver["rcond"]) * big
            E = [e for e in E if e != 0 and not e < thr]
        return E


def condition_number(inp, F):
    with mp.workdps(DPS):
        E = solved_spectrum(inp, F)
        if not E or min(E) == 0:
            return mp.inf
        return max(E) / min(E)


def condition_ok(inp, out, limit):
    """Condition of the system actually solved (pseudo-inverse: on the kept range)."""
    return condition_number(inp, out["fisher"]) <= limit


def fisher_exactly_singular(F):
    with mp.workdps(DPS):
        E, _ = sym_eig(F)
        E = [abs(e) for e in E]
        return max(E) == 0 or min(E) < mpf("1e-40") * max(E)


def exact_rank(rows):
    """Rank of a matrix of floats, in exact rational arithmetic."""
    from fractions import Fraction
    M = [[Fraction(x) for x in r] for r in rows]
    rank, ncol = 0, len(M[0]) if M else 0
    for c in range(ncol):
        piv = next((i for i in range(rank, len(M)) if M[i][c] != 0), None)
        if piv is None:
            continue
        M[rank], M[piv] = M[piv], M[rank]
        for i in range(len(M)):
            if i != rank and M[i][c] != 0:
                f = M[i][c] / M[rank][c]
                M[i] = [a - f * b for a, b in zip(M[i], M[rank])]
        rank += 1
    return rank


def fmt_conditioning(c):
    return "%.6g" % float(c)


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


# ---- f32 inputs --------------------------------------------------------------------------------


F32_CG_TOL = 1e-6      # tol of conjugate_gradient in f32 cases (1e-13 is out of reach in f32)
F32_RCOND = 1e-4       # rcond of pseudo_inverse in f32 cases (drops f32 rounding noise of zero modes)


def to_f32(x):
    """The f32 value nearest to x, as a Python float (exact; its repr round-trips in f32 and f64)."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def f32_input(v):
    if isinstance(v, bool) or isinstance(v, int) or v is None or isinstance(v, str):
        return v
    if isinstance(v, float):
        return to_f32(v)
    if isinstance(v, list):
        return [f32_input(x) for x in v]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            out[k] = f32_input(x)
        if out.get("kind") == "conjugate_gradient":
            out["tol"] = to_f32(F32_CG_TOL)
        if out.get("kind") == "pseudo_inverse":
            out["rcond"] = to_f32(F32_RCOND)
        return out
    raise TypeError(v)


def f32_maker(maker):
    return lambda rng, i: f32_input(maker(rng, i))


def is_f32_exact(v):
    if isinstance(v, float):
        return to_f32(v) == v
    if isinstance(v, list):
        return all(is_f32_exact(x) for x in v)
    if isinstance(v, dict):
        return all(is_f32_exact(x) for x in v.values())
    return True


# ----------------------------------------------------------------------------------------------
# Flags and comments
# ----------------------------------------------------------------------------------------------


FLAGS = ("TextbookWorkedExample", "SingularFisher", "RankDeficient", "IllConditioned", "ZeroGradient",
         "AtClipBoundary", "NonFiniteInput", "LineSearchExhausted", "Underflow", "Adversarial",
         "RoundingLevelDecision", "f32")

ILL_CONDITIONED = 1e6


def has_nonfinite(v):
    if isinstance(v, str):
        return v in NONFINITE
    if isinstance(v, dict):
        return any(has_nonfinite(x) for x in v.values())
    if isinstance(v, list):
        return any(has_nonfinite(x) for x in v)
    return False


def zero_rtg_present(inp):
    with mp.workdps(DPS):
        pol = inp["policy"]
        for t in parse_trajectories(pol, inp["trajectories"]):
            if any(R == 0 for R in rewards_to_go(t, num(inp["gamma"]))):
                return True
    return False


def auto_flags(op, inp, scalar, raw=None, kind=None, cond=None):
    """Flags that follow from the case itself (explicit ones are added by the builders)."""
    fl = set()
    if scalar == "f32":
        fl.add("f32")
    if has_nonfinite(inp):
        fl.add("NonFiniteInput")
    if kind == "SingularFisher":
        fl.add("SingularFisher")
    if kind == "ZeroGradient":
        fl.add("ZeroGradient")
    if kind is not None:
        return fl
    if op == "scale_gradient":
        with mp.workdps(DPS):
            g = vec(inp["grad"])
            nrm = mp.sqrt(mp.fsum([x * x for x in g]))
            if nrm == 0:
                fl.add("ZeroGradient")
            if num(inp["l2_max"]) == 0 or nrm == num(inp["l2_max"]):
                fl.add("AtClipBoundary")
    if op == "clip_gradient":
        lo, hi = inp["lo"], inp["hi"]
        if lo == hi or any(x == lo or x == hi for x in inp["grad"]):
            fl.add("AtClipBoundary")
    if op in ("clamped_objective", "clamped_gradient") and zero_rtg_present(inp):
        fl.add("AtClipBoundary")
    if raw is not None and "fisher" in raw:
        if "scores" in inp:
            # the scores are inputs: the rank of F = G'G/m is the exact rank of G
            singular = exact_rank(inp["scores"]) < len(inp["scores"][0])
        else:
            singular = fisher_exactly_singular(raw["fisher"])
        if singular:
            fl.add("RankDeficient")
    if cond is not None and cond >= ILL_CONDITIONED:
        fl.add("IllConditioned")
    if op == "trust_region_update" and raw is not None and raw["accepted"] is False:
        fl.add("LineSearchExhausted")
    return fl


def ordered_flags(fl):
    for f in fl:
        assert f in FLAGS, f
    return [f for f in FLAGS if f in fl]


def fam_text(pol):
    fam = pol["family"]
    if fam == "gaussian":
        return "Gaussian policy"
    if fam == "linear_gaussian":
        return "linear-Gaussian policy"
    return "softmax policy (%d states x %d actions)" % (pol["n_states"], pol["n_actions"])


def traj_text(trajs):
    return "%d trajectories (%d steps)" % (len(trajs), sum(len(t) for t in trajs))


def solver_text(inp):
    s = inp.get("solver")
    if s is None:
        return "default (exact) solver"
    k = s["kind"]
    if k == "exact":
        return "exact solver"
    if k == "damped":
        return "damped solver (damping %r)" % s["damping"]
    if k == "pseudo_inverse":
        return "pseudo-inverse solver (rcond %r)" % s["rcond"]
    return "conjugate-gradient solver (damping %r)" % s["damping"]


def describe_random(op, inp, raw, scalar):
    """One sentence saying what a random case exercises."""
    P = "Random %s" % scalar
    pol = inp.get("policy")
    trajs = inp.get("trajectories")
    if op == "gradient_ascent":
        return "%s gradient-ascent step theta + alpha*grad on %d parameters (alpha = %r)." % (
            P, len(inp["theta"]), inp["alpha"])
    if op == "scale_gradient":
        with mp.workdps(DPS):
            nrm = mp.sqrt(mp.fsum([mpf(x) ** 2 for x in inp["grad"]]))
        n = len(inp["grad"])
        if nrm == 0:
            what = "that is the zero vector (the result is the zero vector)"
        elif inp["l2_max"] == 0:
            what = "with l2_max = 0 (the result is the zero vector)"
        elif nrm > inp["l2_max"]:
            what = "whose norm exceeds l2_max = %r, so it is rescaled" % inp["l2_max"]
        else:
            what = "whose norm is below l2_max = %r, so it is unchanged" % inp["l2_max"]
        return "%s scaling of a %d-entry gradient %s." % (P, n, what)
    if op == "clip_gradient":
        k = sum(1 for x in inp["grad"] if x < inp["lo"] or x > inp["hi"])
        extra = " (lo = hi)" if inp["lo"] == inp["hi"] else ""
        return "%s clipping of a %d-entry gradient to [%r, %r]%s, %d entries clamped." % (
            P, len(inp["grad"]), inp["lo"], inp["hi"], extra, k)
    if op == "restricted_step":
        return "%s restricted step theta + sqrt(2 eps) grad/|grad| on %d parameters (eps = %r)." % (
            P, len(inp["theta"]), inp["epsilon"])
    if op == "fisher":
        return "%s Fisher matrix (mean outer product) of %d score vectors of length %d." % (
            P, len(inp["scores"]), len(inp["scores"][0]))
    if op == "natural_update":
        return "%s natural update on %d parameters from %d trajectories with the %s." % (
            P, len(inp["theta"]), len(inp["scores"]), solver_text(inp))
    if op == "score":
        return "%s trajectory scores (sums of grad log pi) for a %s over %s." % (
            P, fam_text(pol), traj_text(trajs))
    if op == "likelihood_ratio_gradient":
        return "%s likelihood-ratio gradient for a %s over %s with gamma = %r." % (
            P, fam_text(pol), traj_text(trajs), inp["gamma"])
    if op == "restricted_update":
        return "%s restricted policy update (Alg. 12.3) for a %s over %s, eps = %r." % (
            P, fam_text(pol), traj_text(trajs), inp["epsilon"])
    if op == "natural_policy_update":
        return "%s natural policy update (Alg. 12.4) for a %s over %s with the %s." % (
            P, fam_text(pol), traj_text(trajs), solver_text(inp))
    if op == "policy_kl":
        same = " with identical parameters (KL = 0)" if inp["theta"] == inp["theta_prime"] else ""
        return "%s KL divergence between two parameterisations of a %s at one state%s." % (
            P, fam_text(pol), same)
    if op in ("surrogate_objective", "surrogate_constraint", "kl_penalty_objective"):
        what = {"surrogate_objective": "surrogate objective (Eq. 12.18)",
                "surrogate_constraint": "surrogate constraint (Eq. 12.19)",
                "kl_penalty_objective": "KL-penalty objective (Eq. 12.24, beta = %r)" % inp.get("beta")}[op]
        same = ", theta' = theta" if inp["theta"] == inp["theta_prime"] else ""
        return "%s %s for a %s over %s, gamma = %r%s." % (
            P, what, fam_text(pol), traj_text(trajs), inp["gamma"], same)
    if op == "trust_region_update":
        nat_sigma_out = pol["family"] != "softmax" and raw["theta_natural"][1] <= 0
        if raw["accepted"] and raw["steps"] == 0:
            res = "the natural step is accepted with no shrink"
        elif raw["accepted"]:
            res = "accepted after %d shrinks (alpha = %r)" % (raw["steps"], inp["alpha"])
        else:
            res = "max_steps = %d is exhausted without acceptance" % inp.get("max_steps", 100)
        if nat_sigma_out:
            res = "the natural step leaves sigma > 0 and " + res
        return "%s trust-region update (Alg. 12.5) for a %s with the %s: %s." % (
            P, fam_text(pol), solver_text(inp), res)
    if op == "clamped_objective":
        return "%s clamped objective for a %s over %s, eps = %r, ratios inside and outside [1-eps, 1+eps]." % (
            P, fam_text(pol), traj_text(trajs), inp["epsilon"])
    if op == "clamped_gradient":
        return "%s clamped gradient for a %s over %s, eps = %r, with at least one clamped step." % (
            P, fam_text(pol), traj_text(trajs), inp["epsilon"])
    if op == "clamped_update":
        return "%s clamped surrogate update (Alg. 12.6): %d steps of alpha = %r for a %s over %s." % (
            P, inp["k_max"], inp["alpha"], fam_text(pol), traj_text(trajs))
    if op == "kl_categorical":
        z = " with a zero in p" if any(x == 0 for x in inp["p"]) else ""
        return "%s KL divergence between two categorical distributions over %d outcomes%s." % (
            P, len(inp["p"]), z)
    if op == "kl_gaussian":
        return "%s closed-form KL divergence between two univariate Gaussians." % P
    raise KeyError(op)


# ----------------------------------------------------------------------------------------------
# Case builders
# ----------------------------------------------------------------------------------------------


STATS = {}  # rejected random draws by reason (reported with --stats)

# Seed of a random case: N = base * 10**6 + i * 10**3 + attempt, where `base` names the operation
# and precision (f32 bases are the f64 base + 10000), i is the case index (its id is
# <prefix>-<operation>-<i+1>) and attempt counts the draws rejected before it. The case is
# maker(random.Random(N), i) for the maker registered under `base` (see --regen).
SEED_BASE = 10 ** 6
SEED_CASE = 10 ** 3
F32_BASE = 10000
N64 = 28   # random f64 cases per operation (more for natural_update)
N32 = 6    # random f32 cases per operation (7 for trust_region_update)


class Builder:
    def __init__(self, regen=None):
        self.cases = []
        self.counter = {}
        self.regen = regen
        self.found = None

    def _id(self, prefix, op):
        key = (prefix, op)
        self.counter[key] = self.counter.get(key, 0) + 1
        return "%s-%s-%d" % (prefix, op, self.counter[key])

    def _emit(self, cid, op, scalar, source, flags, comment, inp, raw=None, out=None, kind=None,
              snap_scalars=True, digits=None):
        cond = None
        if kind is None and op in NATURAL_OPS:
            cond = condition_number(inp, raw["fisher"])
        fl = auto_flags(op, inp, scalar, raw=raw, kind=kind, cond=cond) | set(flags)
        if scalar == "f32" and not is_f32_exact(inp):
            raise SystemExit("f32 case %s has an input that is not an f32 value" % cid)
        case = {"id": cid, "operation": op, "scalar": scalar, "source": source,
                "flags": ordered_flags(fl), "comment": comment, "input": inp}
        if kind is not None:
            case["expected_error"] = kind
        else:
            case["expected"] = {k: serialise(v) for k, v in out.items()}
            if cond is not None:
                case["conditioning"] = fmt_conditioning(cond)
            if digits is None:
                again, digits = certify(op, inp, cid, snap_scalars)
                if {k: serialise(v) for k, v in again.items()} != case["expected"]:
                    raise SystemExit("reference defect in %s: the 50-digit evaluation is not "
                                     "repeatable" % cid)
            case["certified_digits"] = digits
        self.cases.append(case)
        return case

    def add_book(self, op, inp, cid, source, comment):
        out, raw = compute_plain(op, inp)
        self._emit(cid, op, "f64", source, {"TextbookWorkedExample"}, comment, inp, raw, out)

    def add_err(self, op, inp, kind, desc=None, flags=()):
        got, msg = expected_error(op, inp)
        if got != kind:
            raise SystemExit("error case for %s: intended %s, reference says %s\n%s"
                             % (op, kind, got, json.dumps(inp)))
        desc = desc or msg
        comment = "Must be rejected with %s: %s." % (kind, desc)
        self._emit(self._id("err", op), op, "f64", "edge: " + desc, flags, comment, inp, kind=kind)

    def edge(self, op, inp, desc, comment, flags=(), hard=False, zero_rtg=False):
        """A hand-constructed case with an expected output. hard=True for IllConditioned and
        Underflow cases (no low-precision agreement test, see compute_hard)."""
        if hard:
            out, raw = compute_hard(op, inp)
        else:
            out, raw, why = compute_checked(op, inp, "f64", zero_rtg=zero_rtg)
            if out is None:
                raise SystemExit("edge case of %s (%s) rejected: %s\n%s" % (op, desc, why, json.dumps(inp)))
        return self._emit(self._id("edge", op), op, "f64", "edge: " + desc, flags, comment, inp, raw, out,
                          snap_scalars=not hard)

    def adv(self, op, inp, cls, comment, scalar="f64", error=None, rld=False, flags=()):
        """An adversarial case (id adv-<operation>-<n>, flag Adversarial, source "adversarial:
        <cls>"). error: the error kind the case must give (None: an expected output). rld: a
        RoundingLevelDecision trust-region case (some line-search test within 1e-12 of its
        threshold); otherwise every decision is at least ADV_MARGIN from its threshold. The 53-bit
        agreement test is skipped; the 50- and 100-digit results must agree to ADV_MIN_DIGITS."""
        cid = self._id("adv", op)
        if scalar == "f32":
            inp = f32_input(inp)
        try:
            res = adversarial_eval(op, inp, scalar, cid)
        except ReferenceDefect as e:
            raise SystemExit("adversarial case %s: %s\n%s" % (cid, e, json.dumps(inp)))
        fl = {"Adversarial"} | set(flags)
        if rld:
            fl.add("RoundingLevelDecision")
        src = "adversarial: " + cls
        if res["kind"] is not None or error is not None:
            if res["kind"] != error:
                raise SystemExit("adversarial case %s: intended %s, reference says %s\n%s"
                                 % (cid, error, res["kind"], json.dumps(inp)))
            return self._emit(cid, op, scalar, src, fl, comment, inp, kind=error)
        lim = ADV_MARGIN[scalar]
        if rld:
            if not (res["ls_margin"] is not None and res["ls_margin"] < lim):
                raise SystemExit("adversarial case %s: no line-search test within %s of its "
                                 "threshold" % (cid, mpmath.nstr(lim, 3)))
        elif res["margin"] is not None and res["margin"] < lim:
            raise SystemExit("adversarial case %s: a decision is %s from its threshold\n%s"
                             % (cid, mpmath.nstr(res["margin"], 3), json.dumps(inp)))
        low = {k: d for k, d in res["digits"].items() if d < ADV_MIN_DIGITS}
        if low:
            raise SystemExit("adversarial case %s: only %s certified digits\n%s"
                             % (cid, low, json.dumps(inp)))
        out = res["out"]
        return self._emit(cid, op, scalar, src, fl, comment, inp, raw=out, out=out,
                          digits=res["digits"])

    def random(self, op, n, base, maker, accept=None, scalar="f64", max_attempts=SEED_CASE):
        """maker(rng, i) -> input; accept(inp, out, i) -> bool (extra filter). One random.Random
        per draw, seeded as described at SEED_BASE."""
        prefix = "ref" if scalar == "f64" else "f32"
        if self.regen is not None:
            if self.regen // SEED_BASE != base:
                return
            i = (self.regen // SEED_CASE) % (SEED_BASE // SEED_CASE)
            inp = maker(random.Random(self.regen), i)
            out, raw, why = compute_checked(op, inp, scalar)
            if out is not None and accept is not None and not accept(inp, out, i):
                why = "filter"
            if out is None or why is not None:
                self.found = {"seed": self.regen, "operation": op, "input": inp, "rejected": why}
                return
            self.found = self._emit("%s-%s-%d" % (prefix, op, i + 1), op, scalar,
                                    "generated: seed %d" % self.regen, (),
                                    describe_random(op, inp, raw, scalar), inp, raw, out)
            return
        for i in range(n):
            for attempt in range(max_attempts):
                seed = base * SEED_BASE + i * SEED_CASE + attempt
                inp = maker(random.Random(seed), i)
                out, raw, why = compute_checked(op, inp, scalar)
                if out is None:
                    STATS[(op, scalar, why)] = STATS.get((op, scalar, why), 0) + 1
                    continue
                if accept is not None and not accept(inp, out, i):
                    STATS[(op, scalar, "filter")] = STATS.get((op, scalar, "filter"), 0) + 1
                    continue
                self._emit(self._id(prefix, op), op, scalar, "generated: seed %d" % seed, (),
                           describe_random(op, inp, raw, scalar), inp, raw, out)
                break
            else:
                raise SystemExit("could not generate %s case %d of %s" % (scalar, i, op))

    def both(self, op, base, maker, accept=None, n64=N64, n32=N32, maker32=None):
        """n64 random f64 cases and n32 random f32 cases (inputs rounded to f32)."""
        self.random(op, n64, base, maker, accept, "f64")
        self.random(op, n32, base + F32_BASE, maker32 or f32_maker(maker), accept, "f32")


# ---- simple vector ops -----------------------------------------------------------------------


def build_vector_ops(b):
    def ga(rng, i):
        n = rng.randint(1, 6)
        return {"theta": [r6(rng.uniform(-3, 3)) for _ in range(n)],
                "grad": [r6(rng.uniform(-5, 5)) for _ in range(n)],
                "alpha": r6(rng.uniform(0.001, 2.0))}
    b.both("gradient_ascent", 1001, ga)

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
            return abs(nrm - mpf(inp["l2_max"])) > mpf("1e-3") * (nrm + 1) and \
                ((nrm > inp["l2_max"]) == (i % 2 == 0) or i < 3)
    b.both("scale_gradient", 1002, sg, sg_acc)

    def cg(rng, i):
        n = rng.randint(1, 7)
        lo = r6(rng.uniform(-3, 0.5))
        hi = r6(lo + rng.uniform(0.0, 4))
        if i == 0:
            hi = lo
        if i == 1:
            lo, hi = -1.0, 1.0
        return {"grad": [r6(rng.uniform(-4, 4)) for _ in range(n)], "lo": lo, "hi": hi}
    b.both("clip_gradient", 1003, cg)

    def rs(rng, i):
        n = rng.randint(1, 6)
        return {"theta": [r6(rng.uniform(-3, 3)) for _ in range(n)],
                "grad": [r6(rng.uniform(-5, 5)) for _ in range(n)],
                "epsilon": r6(rng.uniform(0.001, 2.0))}
    b.both("restricted_step", 1004, rs)

    def fi(rng, i):
        n = rng.randint(1, 5)
        m = rng.randint(1, 6)
        return {"scores": [[r6(rng.uniform(-3, 3)) for _ in range(n)] for _ in range(m)]}
    b.both("fisher", 1005, fi)

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

    def klc32(rng, i):
        # f32: multiples of 2^-16 that sum to exactly 1 (an f32 sum of f32-rounded decimals would
        # miss 1 by ~1e-7, far more than the 1e-9 the reference allows)
        n = rng.randint(2, 6)
        D = 2 ** 16

        def pv(zero_ok):
            w = [rng.randint(5, 100) for _ in range(n)]
            if zero_ok and rng.random() < 0.5:
                w[rng.randrange(n)] = 0
            tot = sum(w)
            k = [x * D // tot for x in w]
            k[k.index(max(k))] += D - sum(k)
            return [x / D for x in k]

        p = pv(True)
        q = list(p) if i == 0 else pv(False)
        return {"p": p, "q": q}
    b.both("kl_categorical", 1006, klc, maker32=klc32)

    def klg(rng, i):
        return {"mean_p": r6(rng.uniform(-2, 2)), "std_p": r6(rng.uniform(0.3, 3)),
                "mean_q": r6(rng.uniform(-2, 2)), "std_q": r6(rng.uniform(0.3, 3))}
    b.both("kl_gaussian", 1007, klg)


def natural_limit(inp, scalar):
    """Largest condition number of the solved system allowed in random cases."""
    cg = inp.get("solver", {"kind": "exact"})["kind"] == "conjugate_gradient"
    if scalar == "f32":
        return 1e2 if cg else 1e3
    return 1e3 if cg else 1e4


NU_N64 = 30
NU_RANKDEF = 24   # natural_update cases i >= NU_RANKDEF: pseudo-inverse on an exactly rank-deficient F


def build_natural_update(b):
    def nu(rng, i):
        kind = SOLVER_KINDS[i % 4]
        n = rng.randint(2, 5)
        m = rng.randint(n + 2, n + 4)
        rank_def = (i >= NU_RANKDEF)
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

    def acc(scalar):
        def f(inp, out, i):
            if not condition_ok(inp, out, natural_limit(inp, scalar)):
                return False
            if scalar == "f64" and i >= NU_RANKDEF:
                # exact rank deficiency must be visible: one eigenvalue is (numerically) zero
                with mp.workdps(DPS):
                    E, _ = sym_eig(out["fisher"])
                    return min(abs(e) for e in E) < mpf("1e-40")
            return True
        return f
    b.random("natural_update", NU_N64, 2001, nu, acc("f64"))
    b.random("natural_update", N32, 2001 + F32_BASE, f32_maker(nu), acc("f32"), "f32")


# ---- policy ops --------------------------------------------------------------------------------


def pick_family(i):
    return FAMILIES[i % 3]


def build_policy_ops(b):
    def sc(rng, i):
        pol = make_policy(rng, pick_family(i))
        th = make_theta(rng, pol)
        return {"policy": pol, "theta": th, "trajectories": make_trajs(rng, pol, th)}
    b.both("score", 3001, sc)

    def lr(rng, i):
        pol = make_policy(rng, pick_family(i))
        th = make_theta(rng, pol)
        g = make_gamma(rng)
        if i == 20:
            g = 0.0
        return {"policy": pol, "theta": th, "trajectories": make_trajs(rng, pol, th), "gamma": g}
    b.both("likelihood_ratio_gradient", 3002, lr)

    def ru(rng, i):
        pol = make_policy(rng, pick_family(i))
        th = make_theta(rng, pol)
        return {"policy": pol, "theta": th, "trajectories": make_trajs(rng, pol, th),
                "gamma": make_gamma(rng), "epsilon": r6(rng.uniform(0.005, 0.5))}
    b.both("restricted_update", 3003, ru)

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
    b.both("policy_kl", 3004, pk)

    def sur(extra):
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

    b.both("surrogate_objective", 3005, sur(lambda rng, i, inp: None))
    b.both("surrogate_constraint", 3006, sur(lambda rng, i, inp: None))

    def beta(rng, i, inp):
        inp["beta"] = 0.0 if i == 1 else r6(rng.uniform(0.0, 5.0))
    b.both("kl_penalty_objective", 3007, sur(beta))

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

    b.both("clamped_objective", 3008, clamp_mk, mixed)

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

    b.both("clamped_gradient", 3009, clamp_mk, clamped_grad_acc)

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
    b.both("clamped_update", 3010, cu, cu_acc)


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


def natural_acc(scalar):
    return lambda inp, out, i: condition_ok(inp, out, natural_limit(inp, scalar))


NPU_RANKDEF = 24  # natural_policy_update cases i >= NPU_RANKDEF: one trajectory, pseudo-inverse


def build_natural_policy_update(b):
    def mk(rng, i):
        if i >= NPU_RANKDEF:
            fam = ("gaussian", "linear_gaussian")[i % 2]
            return make_natural_policy_input(rng, fam, "pseudo_inverse", 0.005, 0.5, rank_def=True)
        fam, kind = natural_combo(i)
        return make_natural_policy_input(rng, fam, kind, 0.005, 0.5)
    b.random("natural_policy_update", N64, 4001, mk, natural_acc("f64"))
    b.random("natural_policy_update", N32, 4001 + F32_BASE, f32_maker(mk), natural_acc("f32"), "f32")


TR_PLAN64 = (["accept0"] * 8 + ["shrink"] * 8 + ["exhaust"] * 6 + ["domain_accept"] * 3
             + ["domain_exhaust"] * 3)
TR_PLAN32 = ["accept0"] * 2 + ["shrink"] * 2 + ["exhaust"] * 2 + ["domain_exhaust"]


def build_trust_region(b):
    def maker(plan):
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
        return mk

    def acc(plan, scalar):
        def f(inp, out, i):
            cat = plan[i]
            if not condition_ok(inp, out, natural_limit(inp, scalar)):
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
        return f

    b.random("trust_region_update", len(TR_PLAN64), 5001, maker(TR_PLAN64), acc(TR_PLAN64, "f64"))
    b.random("trust_region_update", len(TR_PLAN32), 5001 + F32_BASE, f32_maker(maker(TR_PLAN32)),
             acc(TR_PLAN32, "f32"), "f32")


# ----------------------------------------------------------------------------------------------
# Book cases
# ----------------------------------------------------------------------------------------------


EX121_ACTIONS = [[-0.532, 0.597, 1.947], [-0.263, -2.212, 2.364]]


def ex121_trajs():
    return [[{"s": 0.0, "a": a, "r": a} for a in t] for t in EX121_ACTIONS]


def build_book(b):
    gauss = {"family": "gaussian"}
    base = {"policy": gauss, "theta": [0.0, 1.0], "trajectories": ex121_trajs(), "gamma": 1.0}
    ex = "Example 12.1"

    inp = dict(base, epsilon=0.1)
    b.add_book("natural_policy_update", inp, "book-ex12.1-natural_policy_update", ex,
               "Example 12.1 / Exercise 12.2: F = [[2.030, 1.020], [1.020, 29.529]], grad = [2.030, 1.020], "
               "u = [1, 0], theta' = [0.314, 1].")
    nat, _ = compute_plain("natural_policy_update", inp)
    theta_nat = [float(x) for x in nat["theta"]]  # f64 rounding of theta', used as an input

    inp = dict(base, epsilon=0.1, alpha=0.5)
    b.add_book("trust_region_update", inp, "book-ex12.1-trust_region_update", ex,
               "Example 12.1: the line search accepts theta' = [0.314, 1] with no shrink "
               "(f = 2.110 > 1.485, g = 0.049 <= 0.1).")

    inp = dict(base, theta_prime=[0.0, 1.0])
    b.add_book("surrogate_objective", inp, "book-ex12.1-surrogate_objective-theta", ex,
               "Example 12.1: the surrogate objective at theta is 1.485.")
    inp = dict(base, theta_prime=theta_nat)
    b.add_book("surrogate_objective", inp, "book-ex12.1-surrogate_objective-theta_prime", ex,
               "Example 12.1: the surrogate objective at theta' (rounded to f64) is 2.110.")
    inp = dict(base, theta_prime=theta_nat)
    b.add_book("surrogate_constraint", inp, "book-ex12.1-surrogate_constraint-theta_prime", ex,
               "Example 12.1: the surrogate constraint at theta' (rounded to f64) is 0.049.")

    # the per-trajectory scores of Example 12.1, written as the decimals they equal
    inp = {"scores": [[2.012, 1.430242], [-0.111, 7.550609]]}
    b.add_book("fisher", inp, "book-ex12.1-fisher", ex,
               "Example 12.1: the Fisher matrix [[2.030, 1.020], [1.020, 29.529]] from the two "
               "trajectory scores.")
    score_input = {k: v for k, v in base.items() if k != "gamma"}  # score takes no discount
    b.add_book("score", score_input, "book-ex12.1-score", ex,
               "Example 12.1: the trajectory scores [2.012, 1.430242] and [-0.111, 7.550609] behind "
               "the printed F(tau1) and F(tau2).")
    b.add_book("likelihood_ratio_gradient", dict(base), "book-ex12.1-likelihood_ratio_gradient", ex,
               "Example 12.1: per-trajectory grad U(tau) = score * R(tau) and their mean, the printed "
               "objective gradient [2.030, 1.020].")

    inp = {"p": [0.1, 0.2, 0.3, 0.4], "q": [0.4, 0.3, 0.2, 0.1]}
    b.add_book("kl_categorical", inp, "book-ex12.3-kl-s1", "Exercise 12.3",
               "Exercise 12.3: KL at s1 is 0.456 (natural log).")
    inp = {"p": [0.1, 0.1, 0.6, 0.2], "q": [0.1, 0.1, 0.5, 0.3]}
    b.add_book("kl_categorical", inp, "book-ex12.3-kl-s2", "Exercise 12.3",
               "Exercise 12.3: KL at s2 is 0.0283 (natural log).")


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


def build_more_errors(b):
    """Error cases added for the golden suite: more NonFiniteInput fields, a signed-zero gradient."""
    E = b.add_err
    E("restricted_step", {"theta": [1.0, 2.0], "grad": [-0.0, 0.0], "epsilon": 0.1}, "ZeroGradient",
      "grad is [-0.0, 0.0], a zero vector with a negative zero")
    E("gradient_ascent", {"theta": [1.0, 2.0], "grad": [0.3, 0.5], "alpha": "Infinity"}, "NonFiniteInput")
    E("scale_gradient", {"grad": [1.0, 2.0], "l2_max": "Infinity"}, "NonFiniteInput")
    E("clip_gradient", {"grad": [1.0, 2.0], "lo": "-Infinity", "hi": 1.0}, "NonFiniteInput")
    E("clip_gradient", {"grad": [1.0, 2.0], "lo": -1.0, "hi": "Infinity"}, "NonFiniteInput")
    E("fisher", {"scores": [[1.0, 0.5], [0.5, "-Infinity"]]}, "NonFiniteInput")
    nu_sc = [[1.0, 0.5], [-0.3, 1.2], [0.7, -0.8]]
    nu_gr = [[0.4, 0.1], [-0.2, 0.9], [0.6, -0.3]]
    base = {"theta": [0.2, 1.0], "grads": nu_gr, "scores": nu_sc, "epsilon": 0.1}
    E("natural_update", dict(base, solver={"kind": "damped", "damping": "NaN"}), "NonFiniteInput")
    E("natural_update", dict(base, grads=[[0.4, 0.1], [-0.2, "Infinity"], [0.6, -0.3]]), "NonFiniteInput")
    E("score", {"policy": G, "theta": [0.0, "Infinity"], "trajectories": g_trajs()}, "NonFiniteInput")
    bad = lg_trajs()
    bad[1][0] = {"s": "-Infinity", "a": 1.2, "r": -0.4}
    E("score", {"policy": LG, "theta": [0.4, 0.9], "trajectories": bad}, "NonFiniteInput")
    E("likelihood_ratio_gradient", {"policy": G, "theta": [0.1, 1.1], "trajectories": g_trajs(),
                                    "gamma": "NaN"}, "NonFiniteInput")
    E("policy_kl", {"policy": LG, "theta": [0.0, 1.0], "theta_prime": [0.1, 1.0], "s": "Infinity"},
      "NonFiniteInput")
    E("trust_region_update", {"policy": G, "theta": [0.1, 1.1], "trajectories": g_trajs(), "gamma": 1.0,
                              "epsilon": 0.1, "alpha": "NaN"}, "NonFiniteInput")
    E("clamped_update", {"policy": SM, "theta": SM_TH, "trajectories": sm_trajs(), "gamma": 0.9,
                         "epsilon": 0.2, "alpha": "Infinity", "k_max": 3}, "NonFiniteInput")
    E("kl_categorical", {"p": [0.5, "NaN", 0.5], "q": [0.3, 0.3, 0.4]}, "NonFiniteInput")
    E("kl_categorical", {"p": [0.2, 0.3, 0.5], "q": [0.5, "-Infinity", 0.5]}, "NonFiniteInput")
    E("kl_gaussian", {"mean_p": 0.0, "std_p": 1.0, "mean_q": 0.1, "std_q": "Infinity"}, "NonFiniteInput")


# ----------------------------------------------------------------------------------------------
# Edge cases with expected outputs
# ----------------------------------------------------------------------------------------------


def scaled_grads(scores, returns):
    """grad U(tau) = score(tau) * R(tau), exact for the dyadic data used below."""
    out = []
    for sc, R in zip(scores, returns):
        g = [x * R for x in sc]
        with mp.workdps(DPS):
            assert all(mpf(a) == mpf(x) * mpf(R) for a, x in zip(g, sc)), "inexact product"
        out.append(g)
    return out


def build_edges(b):
    X = b.edge

    # -- AtClipBoundary: results that sit exactly on a clamp / scale threshold ------------------
    X("clip_gradient", {"grad": [-1.0, 0.5, 1.0, 2.0, -3.0], "lo": -1.0, "hi": 1.0},
      "entries equal to lo and to hi",
      "Clipping where some entries equal lo and hi exactly: they pass through unchanged.")
    X("clip_gradient", {"grad": [0.25, -0.25, 0.25, -0.25], "lo": -0.25, "hi": 0.25},
      "every entry on a bound",
      "Clipping where every entry already lies on a bound: the output equals the input.")
    X("clip_gradient", {"grad": [1.5, 1.5, -2.0, 3.0], "lo": 1.5, "hi": 1.5},
      "lo == hi, some entries equal to it",
      "Clipping to a single point lo = hi: every entry becomes 1.5.")
    X("clip_gradient", {"grad": [0.0, -2.5, 4.0], "lo": 0.0, "hi": 0.0},
      "lo == hi == 0",
      "Clipping to [0, 0]: the output is the zero vector (lo > hi would be an error, lo = hi is not).")
    X("scale_gradient", {"grad": [3.0, 4.0], "l2_max": 5.0},
      "norm of [3, 4] exactly equals l2_max = 5",
      "Scaling where |g| = l2_max exactly: min(l2_max/|g|, 1) = 1 and g is unchanged.")
    X("scale_gradient", {"grad": [-5.0, 12.0], "l2_max": 13.0},
      "norm of [-5, 12] exactly equals l2_max = 13",
      "Scaling where |g| = l2_max exactly (13): g is returned unchanged.")
    X("scale_gradient", {"grad": [1.0, -2.0, 2.0], "l2_max": 3.0},
      "norm of [1, -2, 2] exactly equals l2_max = 3",
      "Scaling where |g| = l2_max exactly in three dimensions: g is returned unchanged.")
    X("scale_gradient", {"grad": [0.75, -1.0], "l2_max": 1.25},
      "norm of [0.75, -1] exactly equals l2_max = 1.25",
      "Scaling where |g| = l2_max exactly with non-integer entries: g is returned unchanged.")
    X("scale_gradient", {"grad": [3.0, -4.0], "l2_max": 0.0},
      "l2_max = 0 with a nonzero gradient",
      "Scaling with l2_max = 0: the result is the zero vector, not an error.")
    X("scale_gradient", {"grad": [0.0, 0.0, 0.0], "l2_max": 0.0},
      "zero gradient and l2_max = 0",
      "Scaling the zero vector with l2_max = 0: the zero vector, never 0/0 = NaN.")

    # reward-to-go exactly 0 while the ratio is far outside [1-eps, 1+eps]
    g_trajs_rtg0 = [
        [{"s": 0.0, "a": 1.5, "r": 0.5}, {"s": 0.0, "a": -0.25, "r": -0.5}],    # R1 = 0, w = 2.32
        [{"s": 0.0, "a": 0.5, "r": 1.0}, {"s": 0.0, "a": -1.0, "r": 0.25}],
        [{"s": 0.0, "a": -1.5, "r": -0.5}, {"s": 0.0, "a": 0.0, "r": 0.5}],      # R1 = 0, w = 0.25
    ]
    inp = {"policy": G, "theta": [0.0, 1.0], "theta_prime": [0.75, 1.0], "trajectories": g_trajs_rtg0,
           "gamma": 1.0, "epsilon": 0.2}
    X("clamped_gradient", inp, "reward-to-go exactly 0 (0.5 - 0.5) where the ratio is 2.32 and 0.25",
      "Clamped gradient with steps whose reward-to-go is exactly 0 and ratio far outside [0.8, 1.2]: "
      "their contribution is 0 whichever way the clamp is tested.", zero_rtg=True)
    X("clamped_objective", dict(inp), "reward-to-go exactly 0 (0.5 - 0.5) where the ratio is 2.32 and 0.25",
      "Clamped objective with steps whose reward-to-go is exactly 0 and ratio far outside [0.8, 1.2]: "
      "those terms are min(0, 0) = 0.", zero_rtg=True)
    lg_rtg0 = [
        [{"s": 1.0, "a": 1.5, "r": 0.5}, {"s": -1.0, "a": -0.25, "r": -1.0}],   # 0.5 - 1.0 * 0.5 = 0
        [{"s": 0.5, "a": 0.75, "r": 0.25}, {"s": 1.0, "a": 1.0, "r": 0.5}],
    ]
    inp = {"policy": LG, "theta": [0.5, 0.8], "theta_prime": [1.25, 0.8], "trajectories": lg_rtg0,
           "gamma": 0.5, "epsilon": 0.1}
    X("clamped_gradient", inp, "discounted reward-to-go exactly 0 (0.5 - 1.0 * 0.5), ratio 2.08",
      "Linear-Gaussian clamped gradient with gamma = 0.5 and a reward-to-go that is exactly 0 at a "
      "step whose ratio is far above 1 + eps.", zero_rtg=True)
    sm13 = {"family": "softmax", "n_states": 1, "n_actions": 3}
    sm_rtg0 = [
        [{"s": 0, "a": 0, "r": 0.5}, {"s": 0, "a": 2, "r": -1.0}],
        [{"s": 0, "a": 1, "r": 1.0}, {"s": 0, "a": 0, "r": -0.75}],
    ]
    inp = {"policy": sm13, "theta": [0.0, 0.0, 0.0], "theta_prime": [1.0, 0.0, -1.0],
           "trajectories": sm_rtg0, "gamma": 0.5, "epsilon": 0.2}
    X("clamped_objective", inp, "softmax, discounted reward-to-go exactly 0, ratio 2.0",
      "Softmax clamped objective with gamma = 0.5 and a reward-to-go of exactly 0 at a step whose "
      "ratio is about 2.", zero_rtg=True)

    # -- Underflow: naive f64 evaluation under- or overflows, the result is well defined ----------
    U = {"Underflow"}
    X("scale_gradient", {"grad": [3e-200, -4e-200, 1e-200], "l2_max": 2e-200},
      "entries ~1e-200 (the sum of squares underflows)",
      "Scaling a gradient of norm ~5e-200: a naive sum of squares underflows to 0.", U, hard=True)
    X("scale_gradient", {"grad": [3e200, 4e200], "l2_max": 1.0},
      "entries ~1e200 (the sum of squares overflows)",
      "Scaling a gradient of norm 5e200 to unit length: a naive sum of squares overflows.", U, hard=True)
    X("restricted_step", {"theta": [0.5, -1.0], "grad": [1e-200, -3e-200], "epsilon": 0.125},
      "grad ~1e-200 (g'g underflows)",
      "Restricted step along a gradient of norm ~3e-200: g'g underflows, the step sqrt(2 eps) g/|g| "
      "is ordinary.", U, hard=True)
    X("restricted_step", {"theta": [0.5, -1.0, 2.0], "grad": [2e200, 1e200, -2e200], "epsilon": 0.5},
      "grad ~1e200 (g'g overflows)",
      "Restricted step along a gradient of norm 3e200: g'g overflows, the step has length 1.", U,
      hard=True)
    far_g = [[{"s": 0.0, "a": 40.5, "r": -1.0}, {"s": 0.0, "a": 0.125, "r": 0.5}],
             [{"s": 0.0, "a": -39.75, "r": 0.5}, {"s": 0.0, "a": 1.0, "r": 0.75}]]
    inp = {"policy": G, "theta": [0.25, 1.0], "theta_prime": [0.3, 1.0], "trajectories": far_g,
           "gamma": 0.9}
    X("surrogate_objective", inp, "Gaussian actions 40 sigma from the mean (densities ~1e-350)",
      "Surrogate objective with actions 40 sigma from the mean: both densities underflow in f64 but "
      "the ratios (about 7.5 and 0.14) are ordinary.", U, hard=True)
    X("kl_penalty_objective", dict(inp, beta=0.5), "Gaussian actions 40 sigma from the mean, beta = 0.5",
      "KL-penalty objective whose surrogate part has densities below the f64 range.", U, hard=True)
    X("clamped_gradient", dict(inp, epsilon=0.2), "Gaussian actions 40 sigma from the mean, ratios 7.5 and 0.14",
      "Clamped gradient with densities below the f64 range: the ratio, its clamp test and "
      "grad pi(theta')/pi(theta) = w grad log pi(theta') are all ordinary.", U, hard=True)
    X("clamped_objective", dict(inp, epsilon=0.2), "Gaussian actions 40 sigma from the mean, ratios 7.5 and 0.14",
      "Clamped objective with densities below the f64 range and ratios far outside [0.8, 1.2].", U,
      hard=True)
    far_lg = [[{"s": 1.0, "a": 20.5, "r": 1.0}, {"s": -0.5, "a": -0.25, "r": -0.25}],
              [{"s": 2.0, "a": -19.0, "r": -0.5}]]
    inp = {"policy": LG, "theta": [0.5, 0.5], "theta_prime": [0.53125, 0.5], "trajectories": far_lg,
           "gamma": 1.0}
    X("surrogate_objective", inp, "linear-Gaussian actions 40 sigma from the mean",
      "Linear-Gaussian surrogate objective with actions 40 sigma from the mean (densities ~1e-350).",
      U, hard=True)
    X("clamped_gradient", dict(inp, epsilon=0.25), "linear-Gaussian actions 40 sigma from the mean",
      "Linear-Gaussian clamped gradient with densities below the f64 range.", U, hard=True)
    X("kl_categorical", {"p": [1e-300, 0.5, 0.5], "q": [0.5, 0.25, 0.25]},
      "p has an entry 1e-300",
      "KL with a probability of 1e-300 in p: its term is ~7e-298, not an error and not 0*log 0.", U,
      hard=True)
    X("kl_categorical", {"p": [0.5, 0.5], "q": [1e-300, 1.0]},
      "q has an entry 1e-300",
      "KL with q = 1e-300 where p = 0.5: p/q = 5e299 is near the top of the f64 range.", U, hard=True)
    X("kl_categorical", {"p": [0.5, 0.5], "q": [5e-320, 1.0]},
      "q has a subnormal entry 5e-320",
      "KL with a subnormal q: the naive ratio p/q overflows, the result (about 367) is finite.", U,
      hard=True)
    X("kl_categorical", {"p": [1e-300, 1.0], "q": [1e-310, 1.0]},
      "p = 1e-300 against a subnormal q = 1e-310; the divergence is ~2.3e-299",
      "KL whose exact value is a tiny 2.3e-299 (p = 1e-300, q = 1e-310): it must not flush to 0.",
      U, hard=True)

    # -- IllConditioned: natural_update with condition numbers from 1e6 to 1e10 ------------------
    ill = []
    d = 2.0 ** -10
    ill.append(("exact", [[1.0, 1.0], [1.0, 1.0 + d], [-1.0, -1.0 + d]], [1.5, -0.75, 0.5], None,
                "two nearly parallel scores (difference 2^-10)"))
    d = 2.0 ** -12
    ill.append(("exact", [[1.0, 2.0], [1.0, 2.0 + d], [2.0, 4.0 - d]], [1.0, 0.5, -0.25], None,
                "three nearly parallel scores (difference 2^-12)"))
    ill.append(("exact", [[1000.0, 0.015625], [-500.0, 0.03125], [250.0, -0.0234375]],
                [0.5, 1.0, -0.5], None, "badly scaled parameters (scores ~1e3 and ~1e-2)"))
    d = 2.0 ** -12
    ill.append(("exact", [[1.0, 0.5, 0.5 + d], [0.5, 1.0, 0.625], [1.5, -1.0, -0.125], [-1.0, 0.25, -0.125 + d]],
                [0.5, -1.0, 0.25, 0.75], None,
                "third score column = col1/4 + col2/2 up to 2^-12"))
    ill.append(("damped", [[1.0, 2.0, -1.0]], [0.75], 2.0 ** -24,
                "rank-1 Fisher with damping 2^-24"))
    d = 2.0 ** -12
    ill.append(("damped", [[1.0, 1.0], [1.0, 1.0 + d], [0.5, 0.5]], [1.0, -0.5, 2.0], 2.0 ** -30,
                "nearly singular Fisher with damping 2^-30"))
    ill.append(("exact", [[1.0, x, x * x, x ** 3] for x in (1.0, 0.875, 0.75, 0.625, 0.5)],
                [0.5, 1.0, -0.5, 0.25, 0.75], None, "Vandermonde scores [1, x, x^2, x^3], x = 0.5..1"))
    d = 2.0 ** -15
    ill.append(("exact", [[1.0, 1.0], [1.0, 1.0 + d], [-1.0, -1.0 + d]], [1.5, -0.75, 0.5], None,
                "two nearly parallel scores (difference 2^-15)"))
    for idx, (kind, scores, returns, lam, desc) in enumerate(ill):
        n = len(scores[0])
        inp = {"theta": [0.25 * (k + 1) for k in range(n)], "grads": scaled_grads(scores, returns),
               "scores": scores, "epsilon": 0.05}
        if kind == "damped":
            inp["solver"] = {"kind": "damped", "damping": lam}
        elif idx % 2:
            inp["solver"] = {"kind": "exact"}
        case = X("natural_update", inp, desc,
                 "Natural update with the %s solver on an ill-conditioned Fisher (%s); the tolerance "
                 "must scale with the condition number." % (kind, desc), {"IllConditioned"}, hard=True)
        c = float(case["conditioning"])
        if not (1e6 <= c <= 1e10):
            raise SystemExit("IllConditioned case out of range: %s has condition %g" % (desc, c))

    # -- RankDeficient: exactly singular F with a solver that handles it --------------------------
    R = {"RankDeficient"}
    par = [[1.0, 2.0], [2.0, 4.0], [-0.5, -1.0]]
    X("natural_update", {"theta": [0.5, -0.5, 1.0], "grads": scaled_grads([[1.0, -0.5, 0.25]], [1.5]),
                         "scores": [[1.0, -0.5, 0.25]], "epsilon": 0.1,
                         "solver": {"kind": "damped", "damping": 0.125}},
      "one trajectory, three parameters (rank-1 F), damped",
      "Damped natural update on a rank-1 Fisher from a single score vector.", R)
    X("natural_update", {"theta": [0.0, 1.0], "grads": scaled_grads(par, [0.5, 1.0, -2.0]), "scores": par,
                         "epsilon": 0.1,
                         "solver": {"kind": "conjugate_gradient", "max_iters": 10, "tol": 1e-13,
                                    "damping": 0.0625}},
      "parallel scores, conjugate gradient with damping 0.0625",
      "Conjugate gradient with damping on an exactly singular Fisher (parallel scores).", R)
    X("natural_update", {"theta": [0.0, 1.0], "grads": scaled_grads(par, [0.5, 1.0, -2.0]), "scores": par,
                         "epsilon": 0.1, "solver": {"kind": "pseudo_inverse", "rcond": 1e-10}},
      "parallel scores, pseudo-inverse",
      "Pseudo-inverse natural update on an exactly singular Fisher (parallel scores).", R)
    zc = [[1.0, 0.0, 2.0], [0.5, 0.0, -1.0], [-1.0, 0.0, 0.5]]
    X("natural_update", {"theta": [0.1, 0.2, 0.3], "grads": [[0.5, 0.25, 1.0], [0.25, -0.5, -0.5],
                                                             [0.5, 0.75, -0.25]],
                         "scores": zc, "epsilon": 0.2, "solver": {"kind": "pseudo_inverse", "rcond": 1e-10}},
      "a parameter whose score is always 0 (zero row and column of F), pseudo-inverse",
      "Pseudo-inverse natural update where F has an exactly zero row and column; the gradient's "
      "component along it is dropped.", R)
    X("natural_update", {"theta": [1.0, -1.0], "grads": [[0.5, -1.0], [1.5, 0.25]],
                         "scores": [[0.0, 0.0], [0.0, 0.0]], "epsilon": 0.1,
                         "solver": {"kind": "damped", "damping": 0.5}},
      "all scores zero (F = 0), damped",
      "Damped natural update with F = 0: u = g / damping.", R)
    sing_g = [[{"s": 0.0, "a": 0.5, "r": 1.0}]]
    sing_lg = [[{"s": 2.0, "a": 1.5, "r": 1.0}]]
    sing_sm = [[{"s": 0, "a": 0, "r": 1.0}, {"s": 0, "a": 0, "r": 0.5}], [{"s": 0, "a": 1, "r": -0.25}]]
    X("natural_policy_update", {"policy": G, "theta": [0.0, 1.0], "trajectories": sing_g, "gamma": 1.0,
                                "epsilon": 0.1, "solver": {"kind": "damped", "damping": 0.1}},
      "one Gaussian trajectory of one step (rank-1 F), damped",
      "Damped natural policy update from a single one-step trajectory (rank-1 Fisher).", R)
    X("natural_policy_update", {"policy": LG, "theta": [0.5, 1.0], "trajectories": sing_lg, "gamma": 1.0,
                                "epsilon": 0.1,
                                "solver": {"kind": "conjugate_gradient", "max_iters": 10, "tol": 1e-13,
                                           "damping": 0.25}},
      "one linear-Gaussian trajectory (rank-1 F), conjugate gradient with damping",
      "Conjugate-gradient natural policy update with damping on a rank-1 Fisher.", R)
    X("natural_policy_update", {"policy": {"family": "softmax", "n_states": 1, "n_actions": 2},
                                "theta": [0.0, 0.0], "trajectories": sing_sm, "gamma": 1.0, "epsilon": 0.1,
                                "solver": {"kind": "pseudo_inverse", "rcond": 1e-10}},
      "softmax with one state and two actions (F has rank 1), pseudo-inverse",
      "Pseudo-inverse natural policy update for a softmax policy, whose Fisher is always singular.", R)
    X("trust_region_update", {"policy": G, "theta": [0.0, 1.0], "trajectories": sing_g, "gamma": 1.0,
                              "epsilon": 0.1, "alpha": 0.5, "solver": {"kind": "damped", "damping": 0.1}},
      "one Gaussian trajectory of one step (rank-1 F), damped, alpha = 0.5",
      "Trust-region update started from a damped natural step on a rank-1 Fisher.", R)


# ----------------------------------------------------------------------------------------------
# Adversarial cases (issue #16): hard for naive floating-point code, well defined, decisions clear
# ----------------------------------------------------------------------------------------------


NEAR = "near-equal distributions"
CERTAIN = "near-certain actions"
TAIL = "far-tail actions"
CANCEL = "cancelling sums"
EXTREME = "extreme magnitudes"
RLD = "rounding-level decision"
ADV_CLASSES = (NEAR, CERTAIN, TAIL, CANCEL, EXTREME, RLD)


def gtr(*steps):
    """A Gaussian trajectory from (a, r) pairs (s = 0)."""
    return [{"s": 0.0, "a": a, "r": r} for a, r in steps]


def lgtr(*steps):
    """A linear-Gaussian trajectory from (s, a, r) triples."""
    return [{"s": s, "a": a, "r": r} for s, a, r in steps]


def smtr(*steps):
    """A softmax trajectory from (s, a, r) triples."""
    return [{"s": s, "a": a, "r": r} for s, a, r in steps]


def sm(ns, na):
    return {"family": "softmax", "n_states": ns, "n_actions": na}


def f64_of(x):
    """The f64 nearest to an mpf."""
    return float(x)


def build_adv_vector_ops(b):
    A = b.adv
    op = "gradient_ascent"
    A(op, {"theta": [1.0], "grad": [-10.000000001], "alpha": 0.1}, CANCEL,
      "Issue #16 item 5: theta + alpha*g = 1 + 0.1*(-10.000000001) = -1.00000064e-10 cancels 10 "
      "digits; only a fused multiply-add rounds it correctly.")
    A(op, {"theta": [-1e308], "grad": [1e308], "alpha": 2.0}, EXTREME,
      "Issue #16 item 5: -1e308 + 2*1e308 = 1e308, whose intermediate alpha*g = 2e308 overflows.")
    A(op, {"theta": [1e308, -1e308], "grad": [-1e308, 1e308], "alpha": 1.75}, EXTREME,
      "theta + alpha*g = -/+7.5e307 where alpha*g = 1.75e308 is above the f64 range.")
    A(op, {"theta": [0.1, 0.7], "grad": [-0.3, -2.1], "alpha": 1.0 / 3.0}, CANCEL,
      "theta + alpha*g with alpha = 1/3 rounded: both entries cancel to ~1e-17, so the rounding of "
      "alpha*g is the whole result.")
    A(op, {"theta": [-9.99e-301], "grad": [1e-310], "alpha": 1e10}, CANCEL,
      "A subnormal gradient 1e-310 times alpha = 1e10 nearly cancels theta = -9.99e-301: the result "
      "~1e-303 is normal, the rounding of alpha*g (1e-316) is 1e-13 of it.")
    A(op, {"theta": [2.2250738585072014e-308, -4.9e-324], "grad": [-1e-320, 1e-320], "alpha": 0.5},
      EXTREME, "The smallest normal number plus half a subnormal gradient: every result is an exactly "
      "representable subnormal.")
    A(op, {"theta": [1.0, -1.0, 0.5], "grad": [1e300, -1e300, 3e299], "alpha": 1e-300}, EXTREME,
      "alpha = 1e-300 times gradients of 1e300: the product is of order 1, neither factor is.")
    A(op, {"theta": [1.0], "grad": [-10.000001], "alpha": 0.1}, CANCEL,
      "f32: theta + alpha*g = 1 + 0.1*(-10.000001) cancels to ~-1e-7 (f32-rounded inputs).", "f32")
    A(op, {"theta": [-3e38], "grad": [3e38], "alpha": 2.0}, EXTREME,
      "f32: -3e38 + 2*3e38 = 3e38, whose intermediate alpha*g = 6e38 overflows f32.", "f32")
    A(op, {"theta": [0.1, 0.7], "grad": [-0.3, -2.1], "alpha": 1.0 / 3.0}, CANCEL,
      "f32: theta + alpha*g with alpha = 1/3 rounded to f32; both entries cancel to the f32 "
      "rounding level.", "f32")

    op = "scale_gradient"
    A(op, {"grad": [1e-300, -2e-300, 2e-300], "l2_max": 1e-301}, EXTREME,
      "Entries ~1e-300 (the sum of squares underflows to 0) scaled to norm 1e-301.")
    A(op, {"grad": [1e300, 1e300], "l2_max": 1.0}, EXTREME,
      "Entries 1e300 (the sum of squares overflows) scaled to unit norm.")
    A(op, {"grad": [1e154 * (1 + k / 64.0) * (-1) ** k for k in range(64)], "l2_max": 1e150},
      EXTREME, "64 entries ~1e154: every square is near 1e308 and their sum overflows.")
    A(op, {"grad": [3.0, 4.0], "l2_max": 5.00000000001}, EXTREME,
      "|g| = 5 is 2e-12 (relative) below l2_max: g is returned unchanged.")
    A(op, {"grad": [3.0, 4.0], "l2_max": 4.99999999999}, EXTREME,
      "|g| = 5 is 2e-12 (relative) above l2_max: g is scaled by 0.999999999998.")
    A(op, {"grad": [4.0, 1e-320, 3.0], "l2_max": 2.5}, EXTREME,
      "A subnormal entry among ordinary ones, halved exactly by the scaling.")
    A(op, {"grad": [3e-320, -4e-320], "l2_max": 1.0}, EXTREME,
      "A subnormal gradient below l2_max: unchanged, although its squares underflow to 0.")
    A(op, {"grad": [1e300, -1e300, 1e300], "l2_max": 1e-300}, EXTREME,
      "Entries 1e300 scaled to norm 1e-300 (factor 5.8e-601, below the f64 range).")
    A(op, {"grad": [3e-30, 4e-30], "l2_max": 1e-30}, EXTREME,
      "f32: entries ~3e-30, whose squares underflow f32, scaled to norm 1e-30.", "f32")
    A(op, {"grad": [3e30, 4e30], "l2_max": 1.0}, EXTREME,
      "f32: entries ~3e30, whose squares overflow f32, scaled to unit norm.", "f32")
    A(op, {"grad": [3.0, 4.0], "l2_max": 5.0001}, EXTREME,
      "f32: |g| = 5 is 2e-5 (relative) below l2_max = 5.0001: unchanged.", "f32")

    op = "clip_gradient"
    A(op, {"grad": [1.000000000002, -1.000000000002, 0.999999999998, -0.999999999998], "lo": -1.0,
           "hi": 1.0}, EXTREME,
      "Entries 2e-12 (relative) outside and inside [-1, 1]: the outer ones are clamped.")
    A(op, {"grad": [2e-300, -5e-301, 1e-310, -3e-300], "lo": -1e-300, "hi": 1e-300}, EXTREME,
      "Bounds +-1e-300 with a subnormal entry inside them.")
    A(op, {"grad": [-4.9e-324, 4.9e-324, 2e-320, 1.0], "lo": 0.0, "hi": 1e-320}, EXTREME,
      "Subnormal bounds [0, 1e-320]: the smallest subnormals on either side of 0.")
    A(op, {"grad": [1.7976931348623157e308, -1.7976931348623157e308, 1e307], "lo": -1e308,
           "hi": 1.5e308}, EXTREME, "The largest finite entries clamped to +-1e308-sized bounds.")
    A(op, {"grad": [-1e300, 1e300, 4.9e-324, -4.9e-324], "lo": -3e-5, "hi": 7e10}, EXTREME,
      "Entries from 1e300 down to the smallest subnormal, against ordinary bounds.")
    A(op, {"grad": [-0.0, 0.0, 1e-300, -1e-300], "lo": -1e-305, "hi": 1e-305}, EXTREME,
      "Signed zeros pass through bounds +-1e-305; +-1e-300 are clamped.")
    A(op, {"grad": [1.00002, -1.00002, 0.99998, -0.99998], "lo": -1.0, "hi": 1.0}, EXTREME,
      "f32: entries 2e-5 (relative, ~170 f32 ulps) outside and inside [-1, 1].", "f32")
    A(op, {"grad": [-1e-45, 1.4e-45, 3e-44], "lo": 0.0, "hi": 1e-44}, EXTREME,
      "f32: subnormal f32 entries against the bounds [0, 1e-44].", "f32")

    op = "restricted_step"
    A(op, {"theta": [0.5, -1.0], "grad": [3.0, 4.0], "epsilon": 1e308}, EXTREME,
      "Issue #16 item 5: eps = 1e308, so 2*eps overflows; the step length sqrt(2e308) = 1.41e154.")
    A(op, {"theta": [0.5, -1.0], "grad": [-1.0, 2.0], "epsilon": 1.7976931348623157e308}, EXTREME,
      "eps = the largest f64: the step length sqrt(2*eps) = 1.9e154.")
    A(op, {"theta": [1.0, 2.0, 3.0], "grad": [1e-300, -3e-300, 2e-300], "epsilon": 0.125}, EXTREME,
      "A gradient of norm ~4e-300 (g'g underflows): the unit step is ordinary.")
    A(op, {"theta": [0.0, 0.0], "grad": [1e300, 2e300], "epsilon": 1e-300}, EXTREME,
      "A gradient of norm ~2e300 (g'g overflows) and eps = 1e-300: the step has length 1.4e-150.")
    A(op, {"theta": [-1.0, 2.0], "grad": [1e-320, -3e-320], "epsilon": 0.3}, EXTREME,
      "A subnormal gradient: its direction is exact, its length sqrt(0.6).")
    A(op, {"theta": [-1.0], "grad": [2.0], "epsilon": 0.5005}, CANCEL,
      "theta + sqrt(2 eps) = -1 + sqrt(1.001) = 5.0e-4: the result cancels 3 digits.")
    A(op, {"theta": [0.5, -1.0], "grad": [3.0, 4.0], "epsilon": 3e38}, EXTREME,
      "f32: eps = 3e38, so 2*eps overflows f32; the step length is 2.4e19.", "f32")
    A(op, {"theta": [1.0, 2.0], "grad": [1e-30, -3e-30], "epsilon": 0.125}, EXTREME,
      "f32: a gradient whose squares underflow f32.", "f32")
    A(op, {"theta": [1.0, 2.0], "grad": [1e30, -3e30], "epsilon": 1e-30}, EXTREME,
      "f32: a gradient whose squares overflow f32, with eps = 1e-30.", "f32")

    op = "fisher"
    A(op, {"scores": [[1.3e154], [1.3e154]]}, EXTREME,
      "Issue #16 item 5: F = 1.69e308, just below the f64 maximum; the sum of squares overflows.")
    A(op, {"scores": [[1.3e155], [1.3e155]]}, EXTREME,
      "F = 1.69e310 is above the f64 range: the NonFiniteResult error.", error="NonFiniteResult")
    A(op, {"scores": [[3e-154, 1e-154], [1e-154, 2e-154]]}, EXTREME,
      "Scores ~1e-154: every product is below the normal range (~1e-308), F is normal.")
    A(op, {"scores": [[1e150, 1e-150], [-1e150, 3e-150], [2e150, -1e-150]]}, EXTREME,
      "Columns of magnitude 1e150 and 1e-150: F spans 1e300 to 1e-300.")
    A(op, {"scores": [[4.9e-324, 1.0], [1e-320, -1.0]]}, EXTREME,
      "Subnormal scores next to unit ones: F[0][0] ~ 5e-641 is far below the f64 range.")
    A(op, {"scores": [[1e150 * (1 + 0.001 * k), -1e150 * (1 - 0.002 * k)] for k in range(40)]},
      EXTREME, "40 score vectors of magnitude 1e150: the products are ~1e300 and their sum ~4e301.")
    A(op, {"scores": [[1e8, 100000001.0], [1e8, -1e8], [-0.5, 2.0]]}, CANCEL,
      "F[0][1] = (1e16 + 1e8 - 1e16 - 1)/3: the off-diagonal sum cancels 8 digits.")
    A(op, {"scores": [[1.3e19], [1.3e19]]}, EXTREME,
      "f32: F = 1.69e38, just below the f32 maximum; the sum of squares overflows f32.", "f32")
    A(op, {"scores": [[2e19], [2e19]]}, EXTREME,
      "f32: F = 4e38 is above the f32 range: the NonFiniteResult error.", "f32",
      error="NonFiniteResult")
    A(op, {"scores": [[3e-19, 1e-19], [1e-19, 2e-19]]}, EXTREME,
      "f32: scores ~1e-19, whose products are f32 subnormals, F is a normal f32.", "f32")


def build_adv_kl(b):
    A = b.adv
    op = "kl_categorical"
    A(op, {"p": [0.5, 0.3, 0.2], "q": [0.5000000001, 0.3, 0.1999999999]}, NEAR,
      "Issue #16 item 7: p and q differ by 1e-10, KL = 3.5e-20; p log(p/q) cancels 10 digits.")
    A(op, {"p": [0.25, 0.25, 0.5], "q": [0.2500000000001, 0.2499999999999, 0.5]}, NEAR,
      "p and q differ by 1e-13: KL = 8e-26.")
    A(op, {"p": [0.1, 0.2, 0.3, 0.4], "q": [0.1000001, 0.1999999, 0.3, 0.4]}, NEAR,
      "p and q differ by 1e-7 in two entries: KL = 7.5e-14.")
    A(op, {"p": [1e-300, 0.25, 0.75], "q": [1e-100, 0.25, 0.75]}, EXTREME,
      "p = 1e-300 against q = 1e-100: the only nonzero term is 1e-300*log(1e-200) = -4.6e-298 (q "
      "is used as given, so the value is negative).")
    A(op, {"p": [0.5, 0.5], "q": [4.9e-324, 1.0]}, EXTREME,
      "q = the smallest subnormal where p = 0.5: p/q = 1e323 overflows, KL = 371.8.")
    A(op, {"p": [0.001] * 1000,
           "q": [0.001 + (1e-12 if k % 2 else -1e-12) for k in range(1000)]}, NEAR,
      "1000 outcomes, q = p +- 1e-12: KL ~ 1e-18, a sum of 1000 cancelling terms.")
    A(op, {"p": [0.0, 0.5, 0.5], "q": [1e-10, 0.49999999995, 0.49999999995]}, NEAR,
      "p has a zero where q = 1e-10: KL = log(1/(1 - 1e-10)) = 1.0e-10.")
    A(op, {"p": [0.999999999999999, 1e-15], "q": [0.999999999999998, 2e-15]}, CERTAIN,
      "Near-certain outcomes: KL = 1e-15 - 6.9e-16 from terms of size 1e-15.")
    A(op, {"p": [0.5, 0.25, 0.25], "q": [0.5 + 2.0 ** -24, 0.25 - 2.0 ** -24, 0.25]}, NEAR,
      "f32: p and q differ by 2^-24 (one f32 ulp of 0.5 halved): KL ~ 1e-14.", "f32")
    A(op, {"p": [0.5, 0.5], "q": [2.0 ** -130, 1.0]}, EXTREME,
      "f32: q = 2^-130, an f32 subnormal, where p = 0.5: KL = 44.9.", "f32")
    A(op, {"p": [2.0 ** -100, 0.5, 0.5], "q": [0.25, 0.375, 0.375]}, EXTREME,
      "f32: p = 2^-100 against q = 0.25.", "f32")

    op = "kl_gaussian"
    for args, what in [((0.0, 1.0, 0.0, 1.000000001), "sigma' = 1 + 1e-9: KL = 1.0e-18, the closed "
                        "form cancels 18 digits"),
                       ((0.0, 1.0, 0.0, 1e10), "sigma'/sigma = 1e10: KL = 22.53"),
                       ((0.0, 1.0, 0.0, 1e17), "sigma' = 1e17: sigma'^2 = 1e34, 1/sigma'^2 = 1e-34"),
                       ((0.0, 1e-150, 0.0, 1e150), "sigma = 1e-150, sigma' = 1e150: sigma/sigma' "
                        "= 1e-300 and its square underflows"),
                       ((1e308, 1e200, -1e308, 1e200), "means +-1e308 (their difference overflows) "
                        "with sigma = 1e200: KL = 2e216")]:
        A(op, dict(zip(("mean_p", "std_p", "mean_q", "std_q"), args)),
          NEAR if args[3] == 1.000000001 else EXTREME, "Issue #16 item 4: %s." % what)
    A(op, {"mean_p": 0.0, "std_p": 1.0, "mean_q": 0.0, "std_q": 1.0001}, NEAR,
      "Issue #16 item 4: sigma' = 1.0001 (f64): KL = 1.0e-8.")
    A(op, {"mean_p": 1e308, "std_p": 1e-100, "mean_q": -1e308, "std_q": 1e-100}, EXTREME,
      "KL = 2e816 is above the f64 range: the NonFiniteResult error.", error="NonFiniteResult")
    A(op, {"mean_p": 0.3, "std_p": 1.5, "mean_q": 0.30000000000015, "std_q": 1.5}, NEAR,
      "Means 1.5e-13 apart with equal sigma: KL = 5e-27.")
    A(op, {"mean_p": -2.0, "std_p": 2.0, "mean_q": -2.0, "std_q": 2.0 * (1 + 2.0 ** -40)}, NEAR,
      "sigma' = sigma(1 + 2^-40): KL = 1.0e-24.")
    A(op, {"mean_p": 0.0, "std_p": 1.0, "mean_q": 0.0, "std_q": 1.0001}, NEAR,
      "Issue #16 item 4 (f32): sigma' = 1.0001 rounded to f32 = 1.00010001659: KL = 1.0e-8.", "f32")
    A(op, {"mean_p": 0.0, "std_p": 1e-20, "mean_q": 0.0, "std_q": 1e20}, EXTREME,
      "f32: sigma/sigma' = 1e-40, an f32 subnormal: KL = 91.6.", "f32")
    A(op, {"mean_p": 1e38, "std_p": 1.0, "mean_q": -1e38, "std_q": 1.0}, EXTREME,
      "f32: KL = 2e76 is above the f32 range: the NonFiniteResult error.", "f32",
      error="NonFiniteResult")


def build_adv_natural_update(b):
    A = b.adv
    op = "natural_update"
    A(op, {"theta": [0.25, -0.5], "grads": [[2e-160, 1e-160], [0.0, 3e-160]],
           "scores": [[3e-160, 1e-160], [1e-160, 2e-160]], "epsilon": 0.5}, EXTREME,
      "Issue #16 item 5: exact solver on scores ~1e-160, so F ~ 5e-320 is subnormal; u ~ 1e160 and "
      "the step are ordinary floats.")
    A(op, {"theta": [0.0, 0.0], "grads": [[1e37, 1e37], [1e37, 1e37]],
           "scores": [[1e135, 0.0], [0.0, 2e135]], "epsilon": 0.5,
           "solver": {"kind": "conjugate_gradient", "max_iters": 10, "tol": 1e-13, "damping": 0.0}},
      EXTREME, "Issue #16 item 5: conjugate gradient on scores ~1e135 (F ~ 1e270, p'Fp overflows "
      "unscaled) with gradients ~1e37.")
    A(op, {"theta": [0.5, -0.25], "grads": [[1e16, 5e15], [1.0, -0.5], [-1e16, -5e15]],
           "scores": [[1.0, 0.5], [1.0, -0.5], [1.0, 1.0]], "epsilon": 0.1}, CANCEL,
      "Issue #16 item 6: the mean gradient (1e16 + 1 - 1e16)/3 = 1/3 cancels 16 digits.")
    A(op, {"theta": [0.0, 0.0], "grads": [[1e150, 0.0], [0.0, 1e150]],
           "scores": [[1e-150, 0.0], [0.0, 1e-150]], "epsilon": 0.1}, EXTREME,
      "Scores 1e-150 and gradients 1e150: the direction u = F^-1 g ~ 1e450 is above the f64 range, "
      "the NonFiniteResult error.", error="NonFiniteResult")
    A(op, {"theta": [1.0, -1.0], "grads": [[1e-150, 2e-150], [-2e-150, -4e-150], [3e-150, 6e-150]],
           "scores": [[1e-150, 2e-150], [2e-150, 4e-150], [-1e-150, -2e-150]], "epsilon": 0.05,
           "solver": {"kind": "pseudo_inverse", "rcond": 1e-10}}, EXTREME,
      "Pseudo-inverse on an exactly rank-1 F ~ 1e-300 (parallel scores ~1e-150).", flags=())
    A(op, {"theta": [0.125, 0.75], "grads": [[3e-100, -1e-100], [1e-100, 2e-100], [-2e-100, 1e-100]],
           "scores": [[1e-100, 2e-100], [-3e-100, 1e-100], [2e-100, 2e-100]], "epsilon": 0.02,
           "solver": {"kind": "damped", "damping": 3e-200}}, EXTREME,
      "Damped solver with F ~ 1e-200 and damping 3e-200 of the same size: F + damping I must be "
      "formed without underflow.")
    A(op, {"theta": [2.0, -1.0, 0.5], "grads": [[1e200, -2e200, 1e200], [3e200, 1e200, -1e200],
                                               [-1e200, 1e200, 2e200], [2e200, 2e200, 1e200]],
           "scores": [[1e100, -1e100, 2e100], [2e100, 1e100, -1e100], [-1e100, 3e100, 1e100],
                      [1e100, 1e100, 1e100]], "epsilon": 1e-10}, EXTREME,
      "Scores ~1e100 (F ~ 1e200) and gradients ~1e200: g'u ~ 1e200 and a step of length ~1e-5.")
    A(op, {"theta": [0.25, -0.5], "grads": [[2e-20, 1e-20], [0.0, 3e-20]],
           "scores": [[3e-20, 1e-20], [1e-20, 2e-20]], "epsilon": 0.5}, EXTREME,
      "f32: the issue #16 item 5 case scaled to f32: scores ~1e-20, so F ~ 5e-40 is an f32 "
      "subnormal.", "f32")
    A(op, {"theta": [0.0, 0.0], "grads": [[1e4, 1e4], [1e4, 1e4]],
           "scores": [[1e17, 0.0], [0.0, 2e17]], "epsilon": 0.5,
           "solver": {"kind": "conjugate_gradient", "max_iters": 10, "tol": 1e-6, "damping": 0.0}},
      EXTREME, "f32: conjugate gradient on scores ~1e17 (F ~ 1e34; p'Fp overflows f32 unscaled).",
      "f32")
    A(op, {"theta": [0.5, -0.25], "grads": [[1e8, 5e7], [1.0, -0.5], [-1e8, -5e7]],
           "scores": [[1.0, 0.5], [1.0, -0.5], [1.0, 1.0]], "epsilon": 0.1}, CANCEL,
      "f32: the mean gradient (1e8 + 1 - 1e8)/3 cancels 8 digits.", "f32")


def build_adv_score_ops(b):
    A = b.adv
    G_, LG_ = {"family": "gaussian"}, {"family": "linear_gaussian"}
    op = "score"
    A(op, {"policy": sm(1, 2), "theta": [30.0, 0.0], "trajectories": [smtr((0, 0, 1.0))]}, CERTAIN,
      "Issue #16 item 2: softmax theta = [30, 0], action 0: the score 1 - p_0 = 9.36e-14 cancels.")
    A(op, {"policy": sm(1, 2), "theta": [40.0, 0.0], "trajectories": [smtr((0, 0, 1.0))]}, CERTAIN,
      "Issue #16 item 2: softmax theta = [40, 0]: 1 - p_0 = 4.25e-18 is below the rounding of 1.")
    A(op, {"policy": sm(1, 3), "theta": [700.0, 0.0, -5.0],
           "trajectories": [smtr((0, 0, 1.0), (0, 0, -1.0))]}, CERTAIN,
      "Softmax logit gap 700: 1 - p_0 = e^-700(1 + e^-5) ~ 1e-304, p_2 ~ 7e-307.")
    A(op, {"policy": sm(2, 2), "theta": [30.0, 0.0, 0.0, -60.0],
           "trajectories": [smtr((0, 0, 1.0), (1, 0, 0.5), (1, 0, -0.5)), smtr((0, 1, 2.0))]},
      CERTAIN, "Two states with logit gaps 30 and 60: scores of a near-certain action (1e-13, "
      "1e-26) and of a rare one (~1).")
    A(op, {"policy": G_, "theta": [0.0, 100.0], "trajectories": [gtr((2e156, 1.0))]}, EXTREME,
      "Issue #16 item 5: Gaussian score at a = 2e156, sigma = 100: d/dsigma = 4e306 while "
      "(a - mu)^2 = 4e312 overflows.")
    A(op, {"policy": G_, "theta": [0.5, 1e-3],
           "trajectories": [gtr((1e4 + 0.5, 1.0), (0.5 - 1.0, 1.0)), gtr((0.5 + 2.5, -1.0))]},
      TAIL, "Gaussian actions 1e7 and 1e3 sigma from the mean: d/dsigma ~ 1e17.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((1.0000000001, 1.0)), gtr((-0.9999999, 1.0))]}, CANCEL,
      "Gaussian actions 1e-10 and 1e-7 from mu +- sigma: ((a - mu)^2 - sigma^2)/sigma^3 cancels "
      "10 and 7 digits.")
    A(op, {"policy": G_, "theta": [0.1, 1.0],
           "trajectories": [gtr((0.1 + 1e8, 1.0), (0.1 - 1e8 + 3.0, -1.0))]}, CANCEL,
      "Mirrored actions 1e8 sigma on either side of the mean: their mu-scores cancel to ~3.")
    A(op, {"policy": LG_, "theta": [2.0, 0.5], "trajectories": [lgtr((1e160, 3e160, 1.0))]}, EXTREME,
      "Linear-Gaussian state 1e160: d/dlambda = (a - lambda s) s / sigma^2 = 4e320 is above the "
      "f64 range, the NonFiniteResult error.", error="NonFiniteResult")
    A(op, {"policy": LG_, "theta": [-0.5, 2.0],
           "trajectories": [lgtr((1e-200, 3.0, 1.0), (-1e150, 5e149 + 1e140, 0.5))]}, EXTREME,
      "Linear-Gaussian states 1e-200 and 1e150: lambda*s ranges over 350 orders of magnitude.")
    A(op, {"policy": sm(1, 2), "theta": [20.0, 0.0], "trajectories": [smtr((0, 0, 1.0))]}, CERTAIN,
      "f32: softmax logit gap 20: 1 - p_0 = 2.1e-9 is below the f32 rounding of 1.", "f32")
    A(op, {"policy": sm(1, 3), "theta": [80.0, 0.0, 0.0], "trajectories": [smtr((0, 0, 1.0))]},
      CERTAIN, "f32: softmax logit gap 80: 1 - p_0 = 3.6e-35, near the bottom of the f32 range.",
      "f32")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "trajectories": [gtr((1.0001, 1.0))]}, CANCEL,
      "f32: a Gaussian action 1e-4 beyond mu + sigma: (a^2 - sigma^2) cancels 4 of f32's 7 "
      "digits.", "f32")
    A(op, {"policy": G_, "theta": [0.0, 100.0], "trajectories": [gtr((3e21, 1.0))]}, EXTREME,
      "f32: a = 3e21, sigma = 100: z^2 = 9e38 overflows f32, d/dsigma = 9e36 does not.", "f32")

    op = "likelihood_ratio_gradient"
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((0.5, 1e16), (-1.25, 1.0), (2.0, -1e16))], "gamma": 1.0}, CANCEL,
      "Issue #16 item 6: rewards [1e16, 1, -1e16]: R(tau) = 1, not 0.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((0.5, -1.0), (-1.25, 1e16), (2.0, 1.0), (0.75, -1e16)),
                            gtr((0.25, 0.5))], "gamma": 1.0}, CANCEL,
      "Issue #16 item 6: rewards [-1, 1e16, 1, -1e16]: R(tau) = 0 exactly, so that trajectory's "
      "gradient is the zero vector.")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "trajectories": [gtr(*[(0.5, 0.0)] * 12 + [(1.5, 1e300)])],
           "gamma": 1e-29}, EXTREME,
      "Issue #16 items 5-6: gamma = 1e-29 and r_13 = 1e300: R = 1e300*1e-348 = 1e-48 while "
      "gamma^12 = 1e-348 underflows.")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "trajectories": [gtr(*[(0.5, 0.0)] * 19 + [(1.5, 1e300)])],
           "gamma": 1e-29}, EXTREME,
      "gamma = 1e-29 and r_20 = 1e300: R = 1e-251, gamma^19 = 1e-551.")
    A(op, {"policy": sm(1, 2), "theta": [40.0, 0.0],
           "trajectories": [smtr((0, 0, 1.0), (0, 0, 1.0)), smtr((0, 0, 2.0))], "gamma": 0.9}, CERTAIN,
      "Softmax theta = [40, 0], only the near-certain action: the gradient ~4e-18.")
    A(op, {"policy": G_, "theta": [0.5, 2.0],
           "trajectories": [gtr((0.5 + 2e3, 1.0), (0.5 - 2e7, -0.5)), gtr((1.0, 2.0))], "gamma": 0.95},
      TAIL, "Gaussian actions 1e3 and 1e7 sigma from the mean.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((1.0, 1e16)), gtr((1.0, 1.0)), gtr((1.0, -1e16))], "gamma": 1.0},
      CANCEL, "Issue #16 item 6: scores [1, 0] with returns 1e16, 1, -1e16: the mean gradient "
      "(1e16 + 1 - 1e16)/3 = [1/3, 0].")
    A(op, {"policy": G_, "theta": [0.25, 0.5],
           "trajectories": [gtr((0.0, 1e16), (1.0, 1.0), (0.5, -4e16))], "gamma": 0.5}, CANCEL,
      "Discounted rewards [1e16, 1, -4e16] with gamma = 0.5: R = 0.5.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((0.5, 1e8), (-1.25, 1.0), (2.0, -1e8))], "gamma": 1.0}, CANCEL,
      "f32: rewards [1e8, 1, -1e8]: R(tau) = 1, not 0.", "f32")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "trajectories": [gtr(*[(0.5, 0.0)] * 11 + [(1.5, 1e30)])],
           "gamma": 1e-5}, EXTREME,
      "f32: gamma = 1e-5 and r_12 = 1e30: R ~ 1e-25 while gamma^11 ~ 1e-55 underflows f32.", "f32")
    A(op, {"policy": sm(1, 2), "theta": [20.0, 0.0],
           "trajectories": [smtr((0, 0, 1.0), (0, 0, 1.0))], "gamma": 1.0}, CERTAIN,
      "f32: softmax logit gap 20, only the near-certain action.", "f32")

    op = "restricted_update"
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((0.5, -1.0), (-1.25, 1e16), (2.0, 1.0), (0.75, -1e16))],
           "gamma": 1.0, "epsilon": 0.1}, CANCEL,
      "Issue #16 item 6: rewards [-1, 1e16, 1, -1e16] have R(tau) = 0 exactly: the gradient is "
      "zero, the ZeroGradient error.", error="ZeroGradient")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((0.5, 1e16), (-1.25, 1.0), (2.0, -1e16))], "gamma": 1.0,
           "epsilon": 0.1}, CANCEL,
      "Issue #16 item 6: rewards [1e16, 1, -1e16]: R(tau) = 1, a unit-length step along the score.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr(*[(0.5, 0.0)] * 19 + [(1.5, 1e300)]), gtr((-0.5, 0.0), (1.0, 0.0))],
           "gamma": 1e-29, "epsilon": 0.05}, EXTREME,
      "gamma = 1e-29, r_20 = 1e300: the gradient ~1e-251, so u'u ~ 1e-502 underflows; the step "
      "is ordinary.")
    A(op, {"policy": sm(1, 3), "theta": [40.0, 0.0, 0.0],
           "trajectories": [smtr((0, 0, 1.0), (0, 0, 0.5))], "gamma": 1.0, "epsilon": 0.01}, CERTAIN,
      "Softmax logit gap 40, only the near-certain action: the gradient ~1e-17, the step has "
      "length sqrt(0.02).")
    A(op, {"policy": G_, "theta": [0.5, 1e-3],
           "trajectories": [gtr((0.5 + 1e4, 1.0)), gtr((0.5 - 1.0, -0.5), (0.5 + 0.25, 1.0))],
           "gamma": 0.9, "epsilon": 0.1}, TAIL,
      "Gaussian actions 1e7 and 1e3 sigma from the mean: the gradient ~1e17.")
    A(op, {"policy": G_, "theta": [0.0, 1e-5],
           "trajectories": [gtr((1e-5 * 3e5, 1e300))], "gamma": 1.0, "epsilon": 0.1}, EXTREME,
      "Reward 1e300 times a score ~1e15: the gradient is above the f64 range, the "
      "NonFiniteResult error.", error="NonFiniteResult")
    A(op, {"policy": G_, "theta": [0.5, 1.0],
           "trajectories": [gtr((3.5, 1.0)), gtr((-2.5, 1.000000001))], "gamma": 1.0,
           "epsilon": 0.2}, CANCEL,
      "Mirrored actions mu +- 3 with returns 1 and 1 + 1e-9: the mu-component of the gradient "
      "cancels to -1.5e-9.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((0.5, 1e8), (-1.25, 1.0), (2.0, -1e8))], "gamma": 1.0,
           "epsilon": 0.1}, CANCEL, "f32: rewards [1e8, 1, -1e8]: R(tau) = 1.", "f32")
    A(op, {"policy": sm(1, 2), "theta": [20.0, 0.0],
           "trajectories": [smtr((0, 0, 1.0))], "gamma": 1.0, "epsilon": 0.01}, CERTAIN,
      "f32: softmax logit gap 20: a gradient of 2e-9 normalised to a step of length 0.14.", "f32")


def build_adv_natural_policy(b):
    A = b.adv
    G_, LG_ = {"family": "gaussian"}, {"family": "linear_gaussian"}
    op = "natural_policy_update"
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((0.5, 1e16), (-1.25, 1.0), (2.0, -1e16)), gtr((1.5, 0.5)),
                            gtr((-0.75, 1.0), (0.25, -0.25)), gtr((1.0, 2.0))],
           "gamma": 1.0, "epsilon": 0.05}, CANCEL,
      "Issue #16 item 6: a trajectory with rewards [1e16, 1, -1e16] (R = 1) among ordinary ones.")
    A(op, {"policy": sm(1, 2), "theta": [30.0, 0.0],
           "trajectories": [smtr((0, 0, 1.0)), smtr((0, 0, 0.5), (0, 1, -1.0)), smtr((0, 1, 2.0))],
           "gamma": 1.0, "epsilon": 0.01, "solver": {"kind": "damped", "damping": 0.001}}, CERTAIN,
      "Softmax logit gap 30: scores of the near-certain action are ~1e-13, of the rare one ~1; "
      "damped solver.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((1e3, 1.0)), gtr((-2e3, 0.5)), gtr((0.5, -1.0)), gtr((1.5e3, 2.0))],
           "gamma": 1.0, "epsilon": 0.01}, TAIL,
      "Gaussian actions 1e3 sigma from the mean: sigma-scores ~1e6, F ~ 1e12.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr(*[(0.5, 0.0)] * 19 + [(1.5, 1e300)]), gtr((-1.5, 1.0)),
                            gtr((0.25, -2.0)), gtr((2.0, 0.5))],
           "gamma": 1e-29, "epsilon": 0.05}, EXTREME,
      "gamma = 1e-29: returns from 1e-251 to 2: the gradient is ordinary, one trajectory's "
      "contribution is 1e-251.")
    A(op, {"policy": G_, "theta": [0.0, 1e-100],
           "trajectories": [gtr((1e-100, 1.0)), gtr((-2.5e-100, 0.5)), gtr((0.5e-100, -1.0)),
                            gtr((3e-100, 2.0))],
           "gamma": 1.0, "epsilon": 0.01}, EXTREME,
      "sigma = 1e-100: scores ~1e100, F ~ 1e200, and a step of size ~1e-100.")
    A(op, {"policy": G_, "theta": [0.0, 1e100],
           "trajectories": [gtr((1e100, 1.0)), gtr((-2.5e100, 0.5)), gtr((0.5e100, -1.0)),
                            gtr((3e100, 2.0))],
           "gamma": 1.0, "epsilon": 0.01,
           "solver": {"kind": "conjugate_gradient", "max_iters": 10, "tol": 1e-13, "damping": 0.0}},
      EXTREME, "sigma = 1e100: scores ~1e-100, F ~ 1e-200; conjugate gradient, step ~1e100.")
    A(op, {"policy": LG_, "theta": [0.5, 1.0],
           "trajectories": [lgtr((1e-150, 1.0, 1.0), (2.0, 0.5, 0.5)), lgtr((-1.0, -1.0, 2.0)),
                            lgtr((0.5, 1.25, -1.0))],
           "gamma": 0.9, "epsilon": 0.05, "solver": {"kind": "pseudo_inverse", "rcond": 1e-10}},
      EXTREME, "Linear-Gaussian with a state of 1e-150 (its lambda-score is ~1e-150).")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((0.5, 1e8), (-1.25, 1.0), (2.0, -1e8)), gtr((1.5, 0.5)),
                            gtr((-0.75, 1.0), (0.25, -0.25)), gtr((1.0, 2.0))],
           "gamma": 1.0, "epsilon": 0.05}, CANCEL,
      "f32: a trajectory with rewards [1e8, 1, -1e8] (R = 1) among ordinary ones.", "f32")
    A(op, {"policy": G_, "theta": [0.0, 1e-15],
           "trajectories": [gtr((1e-15, 1.0)), gtr((-2.5e-15, 0.5)), gtr((0.5e-15, -1.0)),
                            gtr((3e-15, 2.0))],
           "gamma": 1.0, "epsilon": 0.01}, EXTREME,
      "f32: sigma = 1e-15: scores ~1e15, F ~ 1e30 (near the top of f32).", "f32")


def kl_penalty_beta(inp, rel):
    """The f64 beta for which f - beta*g = rel*f (f, g the surrogate objective and constraint):
    the KL-penalty objective then cancels about log10(1/rel) digits."""
    with mp.workdps(DPS):
        pol, th, thp, trajs, gamma = surrogate_inputs(inp)
        f = surrogate_objective_value(pol, th, thp, trajs, gamma)
        g = surrogate_constraint_value(pol, th, thp, trajs, gamma)
        return f64_of(abs(f * (1 - mpf(rel)) / g))


def build_adv_surrogates(b):
    A = b.adv
    G_, LG_ = {"family": "gaussian"}, {"family": "linear_gaussian"}
    op = "policy_kl"
    A(op, {"policy": sm(1, 3), "theta": [0.5, -0.25, 1.0], "theta_prime": [0.501, -0.25, 1.0],
           "s": 0}, NEAR, "Issue #16 item 1: softmax KL from [0.5, -0.25, 1] to [0.501, -0.25, 1] "
      "= 1.09e-7.")
    A(op, {"policy": sm(1, 2), "theta": [0.027686821201239973, -0.18373348192489972],
           "theta_prime": [0.027686821201241302, -0.18373348192490158], "s": 0}, NEAR,
      "Issue #16 item 1: logits a few ulps apart: KL = 1.26e-30 (the textbook form gives ~1e-18 "
      "of either sign).")
    A(op, {"policy": sm(1, 3), "theta": [40.0, 0.0, 0.0], "theta_prime": [40.0, 1.0, -1.0], "s": 0},
      CERTAIN, "Issue #16 item 1: a near-certain action whose rare alternatives move: KL = 4.6e-18.")
    A(op, {"policy": sm(2, 3), "theta": [0.0, 0.0, 0.0, 700.0, 0.0, 0.0],
           "theta_prime": [0.0, 0.0, 0.0, 700.0, 1.0, -1.0], "s": 1}, CERTAIN,
      "Softmax logit gap 700 at state 1: KL ~ 1e-304 from the rare actions alone.")
    for th, thp, what in [([0.0, 1.0], [0.0, 1.000000001], "sigma' = 1 + 1e-9: KL = 1e-18"),
                          ([0.0, 1.0], [0.0, 1e10], "sigma' = 1e10"),
                          ([0.0, 1.0], [0.0, 1e17], "sigma' = 1e17"),
                          ([0.0, 1e-150], [0.0, 1e150], "sigma = 1e-150, sigma' = 1e150"),
                          ([1e308, 1e200], [-1e308, 1e200], "means +-1e308, sigma = 1e200")]:
        A(op, {"policy": G_, "theta": th, "theta_prime": thp, "s": 0.0},
          NEAR if thp[1] == 1.000000001 else EXTREME,
          "Issue #16 item 4 as a Gaussian policy KL: %s." % what)
    A(op, {"policy": LG_, "theta": [1.0, 1.0], "theta_prime": [1.0000001, 1.0], "s": 1000.0}, NEAR,
      "Issue #16 item 4: linear-Gaussian lambda 1 -> 1.0000001 at s = 1000: KL = 5.0e-9.")
    A(op, {"policy": G_, "theta": [0.3, 1.5], "theta_prime": [0.30000000000015, 1.50000000000015],
           "s": 0.0}, NEAR, "theta' = theta(1 + 1e-13) up to rounding: KL ~ 1e-26.")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [0.0, 1.0001], "s": 0.0}, NEAR,
      "f32: issue #16 item 4, sigma' = 1.0001 rounded to f32: KL = 1.0e-8.", "f32")
    A(op, {"policy": sm(1, 3), "theta": [0.5, -0.25, 1.0], "theta_prime": [0.501, -0.25, 1.0],
           "s": 0}, NEAR, "f32: issue #16 item 1, f32-rounded logits: KL ~ 1e-7.", "f32")
    A(op, {"policy": LG_, "theta": [1.0, 1.0], "theta_prime": [1.0000001, 1.0], "s": 1000.0}, NEAR,
      "f32: linear-Gaussian lambda 1 -> 1.0000001 (f32: 1 + 2^-23) at s = 1000: KL = 7.1e-9.",
      "f32")

    traj_c = [gtr((0.5, 1e16), (-1.25, 1.0), (2.0, -1e16)), gtr((0.25, 0.5), (1.0, -0.5))]
    op = "surrogate_objective"
    A(op, {"policy": sm(1, 2), "theta": [40.0, 0.0], "theta_prime": [40.0, 1e-10],
           "trajectories": [smtr((0, 1, 1.0))], "gamma": 1.0}, CERTAIN,
      "Issue #16 item 2: softmax [40, 0] -> [40, 1e-10], rare action: the ratio is 1 + 1.0e-10.")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [1e-7, 1.0],
           "trajectories": [gtr((1234567.891, 1.0))], "gamma": 1.0}, TAIL,
      "Issue #16 item 3: a Gaussian action 1.2e6 sigma out, mu moved by 1e-7: the ratio is "
      "1.1314 while both densities underflow.")
    A(op, {"policy": G_, "theta": [0.25, 0.5], "theta_prime": [0.25 + 1e-12, 0.5],
           "trajectories": [gtr((0.25 + 5e5, 1.0), (0.25 - 5e5, 0.5)), gtr((0.75, -1.0))],
           "gamma": 0.9}, TAIL,
      "Gaussian actions 1e6 sigma on either side of the mean, mu moved by 1e-12: ratios e^(+-2e-6).")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [0.0625, 1.0], "trajectories": traj_c,
           "gamma": 1.0}, CANCEL,
      "Issue #16 item 6: rewards [1e16, 1, -1e16]: the first reward-to-go is 1, the others "
      "-1e16 + 1 and -1e16.")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [1e-4, 1.0],
           "trajectories": [gtr((1.0, 1.0)), gtr((-1.0, -1.0))], "gamma": 1.0}, CANCEL,
      "Mirrored actions +-1 with rewards +-1: the objective (w1 - w2)/2 = 1e-4 cancels 4 digits.")
    A(op, {"policy": sm(1, 2), "theta": [720.0, 0.0], "theta_prime": [720.0, 0.05],
           "trajectories": [smtr((0, 1, 1.0), (0, 0, 0.5))], "gamma": 0.9}, CERTAIN,
      "Softmax logit gap 720: the rare action's probability e^-720 is an f64 subnormal, its ratio "
      "e^0.05 is ordinary.")
    A(op, {"policy": G_, "theta": [0.5, 2.0], "theta_prime": [0.5, 2.0000000002],
           "trajectories": [gtr((0.5 + 2e3, 1e-300), (0.5, 1e300))], "gamma": 1e-29}, EXTREME,
      "Rewards 1e-300 and 1e300 with gamma = 1e-29 and an action 1e3 sigma out.")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [1e-4, 1.0],
           "trajectories": [gtr((1234.5, 1.0))], "gamma": 1.0}, TAIL,
      "f32: a Gaussian action 1234 sigma out, mu moved by 1e-4: ratio e^0.123.", "f32")
    A(op, {"policy": sm(1, 2), "theta": [90.0, 0.0], "theta_prime": [90.0, 0.05],
           "trajectories": [smtr((0, 1, 1.0), (0, 0, 0.5))], "gamma": 0.9}, CERTAIN,
      "f32: softmax logit gap 90: the rare action's probability e^-90 is an f32 subnormal.", "f32")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [0.0625, 1.0],
           "trajectories": [gtr((0.5, 1e8), (-1.25, 1.0), (2.0, -1e8)), gtr((0.25, 0.5))],
           "gamma": 1.0}, CANCEL, "f32: rewards [1e8, 1, -1e8] (first reward-to-go 1).", "f32")

    op = "surrogate_constraint"
    A(op, {"policy": G_, "theta": [0.2, 1.3], "theta_prime": [0.20000013, 1.30000013],
           "trajectories": [gtr((0.5, 1.0), (0.1, 0.5)), gtr((-1.0, 2.0))], "gamma": 0.9}, NEAR,
      "theta' = theta + 1.3e-7: KL ~ 1e-14 at every step.")
    A(op, {"policy": sm(2, 3), "theta": [0.5, -0.25, 1.0, 0.1, 0.2, 0.3],
           "theta_prime": [0.5 + 1e-13, -0.25, 1.0 - 2e-13, 0.1, 0.2 + 1e-13, 0.3],
           "trajectories": [smtr((0, 0, 1.0), (1, 2, 0.5)), smtr((1, 1, -1.0))], "gamma": 0.95},
      NEAR, "Softmax logits moved by 1e-13: KL ~ 1e-27.")
    A(op, {"policy": sm(1, 3), "theta": [700.0, 0.0, 0.0], "theta_prime": [700.0, 1.0, -1.0],
           "trajectories": [smtr((0, 0, 1.0), (0, 0, 1.0))], "gamma": 1.0}, CERTAIN,
      "Softmax logit gap 700: KL ~ 1e-304 from the rare actions alone.")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [0.5, 1.25],
           "trajectories": [gtr(*[(0.5, 0.0)] * 13)], "gamma": 1e-29}, EXTREME,
      "gamma = 1e-29 over 13 steps: the KL weights run from 1 down to 1e-348.")
    A(op, {"policy": sm(1, 2), "theta": [0.027686821201239973, -0.18373348192489972],
           "theta_prime": [0.027686821201241302, -0.18373348192490158],
           "trajectories": [smtr((0, 0, 1.0), (0, 1, 1.0), (0, 0, 1.0))], "gamma": 1.0}, NEAR,
      "Issue #16 item 1: logits a few ulps apart, KL = 1.26e-30 at each of three steps.")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [0.0, 1e10],
           "trajectories": [gtr((0.5, 1.0), (-0.5, 1.0))], "gamma": 0.5}, EXTREME,
      "Issue #16 item 4: sigma' = 1e10: KL = 22.5 at each step.")
    A(op, {"policy": G_, "theta": [1e308, 1e-100], "theta_prime": [-1e308, 1e-100],
           "trajectories": [gtr((0.5, 1.0))], "gamma": 1.0}, EXTREME,
      "Means +-1e308 with sigma = 1e-100: KL = 2e816, the NonFiniteResult error.",
      error="NonFiniteResult")
    A(op, {"policy": LG_, "theta": [1.0, 1.0], "theta_prime": [1.0000001, 1.0],
           "trajectories": [lgtr((1000.0, 1000.0, 1.0), (-2000.0, -1999.0, 0.5))], "gamma": 0.9},
      NEAR, "Issue #16 item 4: linear-Gaussian lambda 1 -> 1.0000001 at states 1000 and -2000.")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [0.0, 1.0001],
           "trajectories": [gtr((0.5, 1.0), (-0.5, 1.0))], "gamma": 1.0}, NEAR,
      "f32: issue #16 item 4, sigma' = 1.0001 rounded to f32: KL = 1.0e-8.", "f32")
    A(op, {"policy": sm(1, 3), "theta": [0.5, -0.25, 1.0], "theta_prime": [0.501, -0.25, 1.0],
           "trajectories": [smtr((0, 0, 1.0), (0, 2, 1.0))], "gamma": 1.0}, NEAR,
      "f32: issue #16 item 1, f32-rounded logits: KL ~ 1e-7.", "f32")
    A(op, {"policy": LG_, "theta": [1.0, 1.0], "theta_prime": [1.0000001, 1.0],
           "trajectories": [lgtr((1000.0, 1000.0, 1.0))], "gamma": 1.0}, NEAR,
      "f32: linear-Gaussian lambda 1 -> 1 + 2^-23 at s = 1000: KL = 7.1e-9.", "f32")

    op = "kl_penalty_objective"
    base = {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [0.125, 1.0625],
            "trajectories": [gtr((0.5, 1.0), (-0.25, 0.5)), gtr((1.5, 2.0))], "gamma": 0.9}
    for rel in ("1e-3", "1e-8"):
        inp = dict(base, beta=kl_penalty_beta(base, rel))
        A(op, inp, CANCEL, "beta chosen so that f - beta*g = %s*f: the objective cancels %d digits."
          % (rel, int(rel[-1])))
    A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [1e-7, 1.0],
           "trajectories": [gtr((1234567.891, 1.0))], "gamma": 1.0, "beta": 0.0}, TAIL,
      "Issue #16 item 3 with beta = 0: the surrogate objective of an action 1.2e6 sigma out.")
    A(op, {"policy": G_, "theta": [0.3, 1.5], "theta_prime": [0.30000000000015, 1.5],
           "trajectories": [gtr((0.5, 1.0)), gtr((-0.5, 2.0))], "gamma": 1.0, "beta": 1e26}, NEAR,
      "theta' = theta + 1.5e-13 with beta = 1e26: beta*KL ~ 0.5 against f ~ 1.5.")
    A(op, {"policy": sm(1, 3), "theta": [700.0, 0.0, 0.0], "theta_prime": [700.0, 1.0, -1.0],
           "trajectories": [smtr((0, 0, 1.0))], "gamma": 1.0, "beta": 1e300}, CERTAIN,
      "Softmax logit gap 700 (KL ~ 1e-304) with beta = 1e300.")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [1.0, 1.0],
           "trajectories": [gtr((0.5, 1.0))], "gamma": 1.0, "beta": 1e308}, EXTREME,
      "beta = 1e308 times KL = 0.5: the objective -5e307 is finite, beta*g*2 is not.")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [4.0, 1.0],
           "trajectories": [gtr((0.5, 1.0))], "gamma": 1.0, "beta": 1e308}, EXTREME,
      "beta = 1e308 times KL = 8: the objective -8e308 is above the f64 range, the "
      "NonFiniteResult error.", error="NonFiniteResult")
    A(op, {"policy": sm(1, 2), "theta": [40.0, 0.0], "theta_prime": [40.0, 1e-10],
           "trajectories": [smtr((0, 1, 1.0))], "gamma": 1.0, "beta": 1.0}, CERTAIN,
      "Issue #16 item 2 with beta = 1: ratio 1 + 1e-10 and KL ~ 1e-38.")
    b32 = f32_input(base)
    A(op, dict(b32, beta=to_f32(kl_penalty_beta(b32, "1e-3"))), CANCEL,
      "f32: beta (f32) chosen so that f - beta*g ~ 1e-3*f.", "f32")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [0.0, 1.0001],
           "trajectories": [gtr((0.5, 1.0), (-0.5, 1.0))], "gamma": 1.0, "beta": 1e4}, NEAR,
      "f32: sigma' = 1.0001 (KL = 1e-8) with beta = 1e4.", "f32")


def build_adv_clamped(b):
    A = b.adv
    G_, LG_ = {"family": "gaussian"}, {"family": "linear_gaussian"}
    far = [gtr((1234567.891, 1.0)), gtr((0.5, 0.5), (-0.25, 1.0))]
    cancel10 = [gtr((0.5, 1e10), (-1.25, 1.0), (2.0, -1e10)), gtr((0.25, 0.5))]
    for op in ("clamped_objective", "clamped_gradient"):
        A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [1e-7, 1.0], "trajectories": far,
               "gamma": 1.0, "epsilon": 0.1313}, TAIL,
          "Issue #16 item 3: an action 1.2e6 sigma out with ratio 1.131401, just above 1 + eps = "
          "1.1313 (9e-5 relative): clamped.")
        A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [1e-7, 1.0], "trajectories": far,
               "gamma": 1.0, "epsilon": 0.1315}, TAIL,
          "Issue #16 item 3: ratio 1.131401, just below 1 + eps = 1.1315 (9e-5 relative): not "
          "clamped.")
        A(op, {"policy": sm(1, 2), "theta": [40.0, 0.0], "theta_prime": [40.0, 1e-10],
               "trajectories": [smtr((0, 1, 1.0), (0, 0, 1.0))], "gamma": 1.0, "epsilon": 5e-11},
          CERTAIN, "Issue #16 item 2 with eps = 5e-11: the rare action's ratio 1 + 1e-10 is above "
          "1 + eps by 5e-11.")
        A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [0.0625, 1.0],
               "trajectories": cancel10, "gamma": 1.0, "epsilon": 0.02}, CANCEL,
          "Rewards [1e10, 1, -1e10]: the first reward-to-go is 1 (positive by 5e-11 of its terms), "
          "the later ones -1e10.")
        A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [0.5, 1.25],
               "trajectories": far, "gamma": 1.0, "epsilon": 1e308}, EXTREME,
          "eps = 1e308: [1 - eps, 1 + eps] contains every ratio, nothing is clamped.")
        A(op, {"policy": sm(1, 2), "theta": [720.0, 0.0], "theta_prime": [720.0, 0.05],
               "trajectories": [smtr((0, 1, -1.0), (0, 0, 0.5))], "gamma": 0.9, "epsilon": 0.02},
          CERTAIN, "Softmax logit gap 720 (the rare action's probability is an f64 subnormal), "
          "ratio e^0.05 above 1 + eps with a negative reward-to-go.")
        A(op, {"policy": G_, "theta": [0.5, 1.0], "theta_prime": [0.5, 1.0000001],
               "trajectories": [gtr((1000.5, 1.0), (0.0, -0.5)), gtr((-999.5, -1.0))],
               "gamma": 1.0, "epsilon": 0.1}, TAIL,
          "Actions 1e3 sigma out with sigma' = sigma(1 + 1e-7): ratio e^0.1 ~ 1.105 against "
          "1 + eps = 1.1.")
        A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [1e-4, 1.0],
               "trajectories": [gtr((1234.5, 1.0)), gtr((0.5, 0.5))], "gamma": 1.0,
               "epsilon": 0.125}, TAIL,
          "f32: an action 1234 sigma out, ratio e^0.123 = 1.131 just above 1 + eps = 1.125.", "f32")
        A(op, {"policy": sm(1, 2), "theta": [90.0, 0.0], "theta_prime": [90.0, 0.05],
               "trajectories": [smtr((0, 1, -1.0), (0, 0, 0.5))], "gamma": 0.9, "epsilon": 0.02},
          CERTAIN, "f32: softmax logit gap 90 (an f32-subnormal probability), ratio e^0.05.", "f32")
        A(op, {"policy": G_, "theta": [0.0, 1.0], "theta_prime": [0.0625, 1.0],
               "trajectories": [gtr((0.5, 1e4), (-1.25, 1.0), (2.0, -1e4)), gtr((0.25, 0.5))],
               "gamma": 1.0, "epsilon": 0.02}, CANCEL,
          "f32: rewards [1e4, 1, -1e4]: the first reward-to-go 1 is positive.", "f32")

    op = "clamped_update"
    A(op, {"policy": G_, "theta": [0.0, 1.0], "trajectories": far, "gamma": 1.0, "epsilon": 0.2,
           "alpha": 1e-13, "k_max": 3}, TAIL,
      "An action 1.2e6 sigma out (score ~1.5e12) with alpha = 1e-13: after the first step its "
      "ratio leaves [0.8, 1.2] and it stops contributing.")
    A(op, {"policy": sm(1, 3), "theta": [30.0, 0.0, 0.0],
           "trajectories": [smtr((0, 0, 1.0), (0, 1, -0.5)), smtr((0, 0, 2.0))], "gamma": 1.0,
           "epsilon": 0.2, "alpha": 1.0, "k_max": 4}, CERTAIN,
      "Softmax logit gap 30: gradients of the near-certain action are ~1e-13.")
    A(op, {"policy": G_, "theta": [0.0, 1.0], "trajectories": cancel10, "gamma": 1.0,
           "epsilon": 0.2, "alpha": 1e-12, "k_max": 3}, CANCEL,
      "Rewards [1e10, 1, -1e10]: reward-to-go 1 next to -1e10, alpha = 1e-12.")
    A(op, {"policy": G_, "theta": [0.25, 1.5],
           "trajectories": [gtr((0.5, 1.0), (-0.5, 0.25)), gtr((1.75, -0.5))], "gamma": 0.9,
           "epsilon": 1e308, "alpha": 0.05, "k_max": 5}, EXTREME,
      "eps = 1e308: nothing is ever clamped, five plain surrogate-gradient steps.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr(*[(0.5, 0.0)] * 12 + [(1.5, 1e300)]), gtr((0.25, 1.0))],
           "gamma": 1e-29, "epsilon": 0.2, "alpha": 0.1, "k_max": 3}, EXTREME,
      "gamma = 1e-29 with r_13 = 1e300: a reward-to-go of 1e-48 next to ordinary ones.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((0.5, 1e300), (-0.25, 2e300)), gtr((1.0, -1e300))], "gamma": 1.0,
           "epsilon": 0.2, "alpha": 1e-301, "k_max": 3}, EXTREME,
      "Rewards ~1e300 and alpha = 1e-301: alpha times the gradient is of order 0.1.")
    A(op, {"policy": sm(1, 2), "theta": [20.0, 0.0],
           "trajectories": [smtr((0, 0, 1.0), (0, 1, -0.5)), smtr((0, 0, 2.0))], "gamma": 1.0,
           "epsilon": 0.2, "alpha": 1.0, "k_max": 3}, CERTAIN,
      "f32: softmax logit gap 20: gradients of the near-certain action are ~2e-9.", "f32")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((0.5, 1e4), (-1.25, 1.0), (2.0, -1e4)), gtr((0.25, 0.5))],
           "gamma": 1.0, "epsilon": 0.2, "alpha": 1e-6, "k_max": 3}, CANCEL,
      "f32: rewards [1e4, 1, -1e4], alpha = 1e-6.", "f32")


def rld_search_input(seed):
    """A random Gaussian (even seed) or linear-Gaussian (odd seed) trust-region input with alpha =
    0.5, drawn like the random natural-update cases with eps in [0.005, 1.5]. About 14% of such
    draws have a negative directional derivative of the surrogate objective along the natural
    direction: their line search never accepts, and every improvement test after ~44 halvings is
    within a few ulps of f(theta)."""
    rng = random.Random(seed)
    fam = ("gaussian", "linear_gaussian")[seed % 2]
    kind = SOLVER_KINDS[rng.randrange(4)]
    inp = make_natural_policy_input(rng, fam, kind, 0.005, 1.5)
    inp["alpha"] = 0.5
    return inp


def build_adv_trust_region(b):
    A = b.adv
    G_, LG_ = {"family": "gaussian"}, {"family": "linear_gaussian"}
    op = "trust_region_update"
    A(op, {"policy": sm(1, 2), "theta": [2.0, 0.0], "trajectories": [smtr((0, 0, 1.0))],
           "gamma": 1.0, "epsilon": 1e-18, "alpha": 0.5, "solver": {"kind": "damped", "damping": 1e-6}},
      NEAR, "Issue #16 item 1: eps = 1e-18, so every candidate is 1e-9 from theta; the KL "
      "constraint rejects shrinks 0 and 1 (g = 7.4e-18, 1.8e-18) and accepts shrink 2 (4.6e-19).")
    A(op, {"policy": sm(1, 3), "theta": [30.0, 0.0, -1.0],
           "trajectories": [smtr((0, 0, 1.0), (0, 1, -0.5)), smtr((0, 0, 2.0)), smtr((0, 2, -1.0))],
           "gamma": 1.0, "epsilon": 1e-3, "alpha": 0.5, "solver": {"kind": "damped", "damping": 1e-6}},
      CERTAIN, "Softmax logit gap 30: the near-certain action's scores are ~1e-13, the constraint "
      "g = 1.4e-16 is the KL of the rare actions.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((1e3, 1.0)), gtr((-2e3, 0.5)), gtr((0.5, -1.0)), gtr((1.5e3, 2.0))],
           "gamma": 1.0, "epsilon": 0.01, "alpha": 0.5}, TAIL,
      "Gaussian actions 1e3 sigma out: sigma-scores ~1e6, F ~ 1e12 (condition 3.3e6).")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((0.5, 1e16), (-1.25, 1.0), (2.0, -1e16)), gtr((1.5, 0.5)),
                            gtr((-0.75, 1.0), (0.25, -0.25)), gtr((1.0, 2.0))],
           "gamma": 1.0, "epsilon": 0.05, "alpha": 0.5}, CANCEL,
      "Issue #16 item 6: rewards [1e16, 1, -1e16] (R = 1, rewards-to-go 1, 1 - 1e16, -1e16); "
      "accepted after one shrink.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr(*[(0.5, 0.0)] * 19 + [(1.5, 1e300)]), gtr((-1.5, 1.0)),
                            gtr((0.25, -2.0)), gtr((2.0, 0.5))],
           "gamma": 1e-29, "epsilon": 0.05, "alpha": 0.5}, EXTREME,
      "gamma = 1e-29 with r_20 = 1e300: a return of 1e-251 among ordinary ones.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((1.5, 0.5)), gtr((-0.75, 1.0), (0.25, -0.25)), gtr((1.0, 2.0))],
           "gamma": 1.0, "epsilon": 1e-20, "alpha": 0.5}, EXTREME,
      "eps = 1e-20: candidates 1e-10 from theta; the improvement at acceptance is 1.7e-11 "
      "(relative), g = 2.7e-21.")
    A(op, {"policy": G_, "theta": [0.0, 1e-100],
           "trajectories": [gtr((1e-100, 1.0)), gtr((-2.5e-100, 0.5)), gtr((0.5e-100, -1.0)),
                            gtr((3e-100, 2.0))], "gamma": 1.0, "epsilon": 0.01, "alpha": 0.5},
      EXTREME, "sigma = 1e-100: scores ~1e100, F ~ 1e200, a step of ~1e-101.")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((1.5, 0.5)), gtr((-0.75, 1.0), (0.25, -0.25)), gtr((1.0, 2.0))],
           "gamma": 1.0, "epsilon": 1e300, "alpha": 0.5, "max_steps": 3}, EXTREME,
      "eps = 1e300: the natural step is ~1e150 long and every candidate up to max_steps = 3 has "
      "sigma < 0 (f and g are not evaluated).")

    # RoundingLevelDecision: line-search tests within a few ulps (seeds of rld_search_input)
    inp = rld_search_input(10)
    inp["trajectories"][2][0]["r"] = -1.8586828431333846
    A(op, inp, RLD, "Random Gaussian draw (search seed 10) with one reward tuned so that the "
      "directional derivative of f is +4e-9: rejected 23 times, accepted after 24 halvings with "
      "f(theta') - f(theta) = 7.8e-17 (~6 ulps of f).", rld=True)
    A(op, rld_search_input(14), RLD, "Random Gaussian draw (search seed 14), exact solver: f "
      "decreases along the natural direction, so all 101 tests fail; from shrink 44 on f(c) is "
      "within 1e-14 (relative) of f(theta), down to 1e-31.", rld=True)
    A(op, rld_search_input(17), RLD, "Random linear-Gaussian draw (search seed 17), conjugate "
      "gradient: all 101 tests fail, those after shrink 43 by less than 1e-14 (relative).",
      rld=True)
    inp = rld_search_input(63)
    inp["max_steps"] = 47
    A(op, inp, RLD, "Random linear-Gaussian draw (search seed 63), conjugate gradient, "
      "max_steps = 47: the last test, which decides LineSearchExhausted, fails by "
      "1.6e-16 (relative).", rld=True)

    A(op, {"policy": sm(1, 2), "theta": [2.0, 0.0], "trajectories": [smtr((0, 0, 1.0))],
           "gamma": 1.0, "epsilon": 1e-6, "alpha": 0.5, "solver": {"kind": "damped", "damping": 1e-3}},
      NEAR, "f32: the issue #16 item 1 search with eps = 1e-6: candidates ~1e-3 from theta.", "f32")
    A(op, {"policy": G_, "theta": [0.0, 1.0],
           "trajectories": [gtr((0.5, 1e8), (-1.25, 1.0), (2.0, -1e8)), gtr((1.5, 0.5)),
                            gtr((-0.75, 1.0), (0.25, -0.25)), gtr((1.0, 2.0))],
           "gamma": 1.0, "epsilon": 0.05, "alpha": 0.5}, CANCEL,
      "f32: rewards [1e8, 1, -1e8] (R = 1) among ordinary trajectories.", "f32")
    A(op, {"policy": G_, "theta": [0.0, 1e-15],
           "trajectories": [gtr((1e-15, 1.0)), gtr((-2.5e-15, 0.5)), gtr((0.5e-15, -1.0)),
                            gtr((3e-15, 2.0))], "gamma": 1.0, "epsilon": 0.01, "alpha": 0.5},
      EXTREME, "f32: sigma = 1e-15: scores ~1e15, F ~ 1e30.", "f32")


def build_adversarial(b):
    build_adv_vector_ops(b)
    build_adv_natural_update(b)
    build_adv_score_ops(b)
    build_adv_natural_policy(b)
    build_adv_surrogates(b)
    build_adv_trust_region(b)
    build_adv_clamped(b)
    build_adv_kl(b)


# ----------------------------------------------------------------------------------------------
# Adversarial sample (--adversarial N): seeded random adversarial cases for the accuracy report
# ----------------------------------------------------------------------------------------------

# Seed of sample case i of an operation: (SAMPLE_BASE + k) * 10**6 + i * 10**3 + attempt, k = the
# operation's index in OPS (+ 100 for f32); attempt counts draws rejected because the 50- and
# 100-digit evaluations disagree (a decision within ~1e-45 of its threshold, or fewer than
# ADV_MIN_DIGITS certified digits).
SAMPLE_BASE = 9000


class Span:
    """Magnitude ranges of one precision: E = decimal exponent range of ordinary extremes, CUT =
    the exponent of the smallest/largest cancellation or nearness that stays meaningful."""

    def __init__(self, scalar):
        f64 = scalar == "f64"
        self.scalar = scalar
        self.E = 300 if f64 else 36          # |exponent| of extreme magnitudes
        self.NEAR = 13 if f64 else 6         # theta' = theta (1 + d), |d| down to 10^-NEAR
        self.GAP = 700 if f64 else 85        # softmax logit gaps up to
        self.TAIL = 7 if f64 else 3          # Gaussian |z| up to 10^TAIL
        self.CANCEL = 16 if f64 else 7       # cancelling rewards up to 10^CANCEL
        self.SUB = 4.9e-324 if f64 else 1.401298464324817e-45   # smallest subnormal


def lu(rng, lo, hi):
    """10^U(lo, hi)."""
    return 10.0 ** rng.uniform(lo, hi)


def sgn(rng):
    return -1.0 if rng.random() < 0.5 else 1.0


def finite_clip(x, S):
    lim = 1.7976931348623157e308 if S.scalar == "f64" else 3.4028234663852886e38
    return max(-lim, min(lim, x))


def rand_policy(rng, S, cls, m_hi=3, d_hi=4, natural=False):
    """(policy, theta, trajectories, gamma) of the given class. natural: for the natural-gradient
    operations, linear-Gaussian states of one magnitude (10^U(-4, 4)) per case, since states of
    different magnitudes make the Fisher matrix singular to any precision."""
    fam = rng.choice(("gaussian", "linear_gaussian", "softmax")) if cls != CERTAIN else "softmax"
    if cls == TAIL and fam == "softmax":
        fam = "gaussian"
    if fam == "softmax":
        ns, na = rng.randint(1, 2), rng.randint(2, 4)
        pol = sm(ns, na)
        th = [rng.uniform(-2, 2) for _ in range(ns * na)]
        if cls == CERTAIN:
            for s_ in range(ns):
                th[s_ * na + rng.randrange(na)] += rng.uniform(20 if S.scalar == "f64" else 10, S.GAP)
        trajs = [[{"s": rng.randrange(ns), "a": rng.randrange(na), "r": rng.uniform(-2, 2)}
                  for _ in range(rng.randint(1, d_hi))] for _ in range(rng.randint(1, m_hi))]
    else:
        pol = {"family": fam}
        scale = lu(rng, -S.E / 3, S.E / 3) if cls == EXTREME else lu(rng, -1, 1)
        th = [rng.uniform(-2, 2) * scale, scale * rng.uniform(0.5, 2)]
        trajs = []
        sscale = lu(rng, -4, 4) if natural and cls == EXTREME else 1.0
        for _ in range(rng.randint(1, m_hi)):
            t = []
            for _ in range(rng.randint(1, d_hi)):
                s_ = rng.uniform(-2, 2) * (lu(rng, -S.E / 3, S.E / 3) if cls == EXTREME and fam ==
                                           "linear_gaussian" and not natural else sscale)
                z = rng.gauss(0, 1)
                if cls == TAIL and rng.random() < 0.6:
                    z = sgn(rng) * lu(rng, 2, S.TAIL)
                mean = th[0] * s_ if fam == "linear_gaussian" else th[0]
                t.append({"s": s_ if fam == "linear_gaussian" else 0.0, "a": mean + z * th[1],
                          "r": rng.uniform(-2, 2)})
            trajs.append(t)
    gamma = rng.choice([1.0, rng.uniform(0.5, 1.0)])
    if cls == CANCEL:
        B = lu(rng, 3, S.CANCEL)
        t = trajs[rng.randrange(len(trajs))]
        proto = dict(t[0])
        pattern = rng.choice([[B, rng.uniform(-2, 2), -B], [-1.0, B, 1.0, -B], [B, -B * (1 - lu(rng, -S.CANCEL + 2, -3))]])
        t[:] = [dict(proto, r=r) for r in pattern]
        gamma = 1.0
    if cls == EXTREME:
        pick = rng.random()
        if pick < 0.4:
            gamma = lu(rng, -30, -3) if S.scalar == "f64" else lu(rng, -6, -2)
            t = trajs[0]
            k = rng.randint(5, 20)
            t[:] = [dict(t[0], r=0.0) for _ in range(k)] + [dict(t[0], r=lu(rng, S.E / 2, S.E))]
        elif pick < 0.7:
            rs = lu(rng, -S.E, S.E)
            for t in trajs:
                for st in t:
                    st["r"] *= rs
    return pol, th, trajs, gamma


def nudge_theta(rng, S, pol, th, cls, trajs=None):
    """theta' near theta: relative moves 10^-NEAR .. 10^-1 (near), or a move that keeps the ratios
    of far-tail and rare actions moderate."""
    fam = pol["family"]
    if fam == "softmax":
        if cls == NEAR:
            d = lu(rng, -S.NEAR, -3)
            return [x + rng.gauss(0, 1) * d * max(1.0, abs(x)) for x in th]
        return [x + rng.gauss(0, 0.3) for x in th]
    zmax = 1.0
    for t in trajs or []:
        for st in t:
            mean = th[0] * st["s"] if fam == "linear_gaussian" else th[0]
            zmax = max(zmax, abs(st["a"] - mean) / th[1])
    if cls == NEAR:
        d = lu(rng, -S.NEAR, -3)
        return [th[0] + rng.gauss(0, 1) * d * th[1], th[1] * (1 + rng.gauss(0, 1) * d)]
    c = rng.uniform(0.01, 1.0)
    return [th[0] + rng.gauss(0, 1) * c * th[1] / zmax, th[1] * (1 + rng.gauss(0, 1) * c / zmax ** 2)]


def sample_input(op, rng, S):
    """(class, input) of a random adversarial case of `op` in the ranges of S."""
    E = S.E
    if op == "gradient_ascent":
        cls = rng.choice((CANCEL, EXTREME))
        n = rng.randint(1, 4)
        if cls == CANCEL:
            alpha = lu(rng, -3, 3)
            g = [sgn(rng) * lu(rng, -3, 3) for _ in range(n)]
            th = [-alpha * x * (1 + sgn(rng) * lu(rng, -S.CANCEL + 1, -1)) for x in g]
        else:
            alpha = lu(rng, -E, E)
            g = [sgn(rng) * lu(rng, -E, E) for _ in range(n)]
            th = [finite_clip(-alpha * x * rng.uniform(-2, 2), S) if rng.random() < 0.7 else
                  sgn(rng) * lu(rng, -E, E) for x in g]
            g = [finite_clip(x, S) for x in g]
        return cls, {"theta": th, "grad": g, "alpha": alpha}
    if op == "scale_gradient":
        n = rng.randint(1, 8)
        e = rng.uniform(-E, E)
        g = [sgn(rng) * 10.0 ** (e + rng.uniform(-2, 0)) for _ in range(n)]
        if rng.random() < 0.2:
            g[0] = S.SUB * rng.randint(1, 1000)
        with mp.workdps(30):
            nrm = float(mp.sqrt(mp.fsum([mpf(x) ** 2 for x in g])))
        l2 = nrm * (1 + sgn(rng) * lu(rng, -15, -1)) if rng.random() < 0.4 else nrm * lu(rng, -5, 5)
        return EXTREME, {"grad": g, "l2_max": finite_clip(l2, S)}
    if op == "clip_gradient":
        n = rng.randint(1, 6)
        b = lu(rng, -E, E)
        lo, hi = -b * rng.uniform(0, 2), b * rng.uniform(0.5, 2)
        g = []
        for _ in range(n):
            k = rng.random()
            if k < 0.4:
                g.append(rng.choice((lo, hi)) * (1 + sgn(rng) * lu(rng, -15, -1)))
            elif k < 0.6:
                g.append(sgn(rng) * S.SUB * rng.randint(1, 10 ** 6))
            else:
                g.append(sgn(rng) * lu(rng, -E, E))
        return EXTREME, {"grad": [finite_clip(x, S) for x in g], "lo": lo, "hi": hi}
    if op == "restricted_step":
        n = rng.randint(1, 4)
        e = rng.uniform(-E, E)
        g = [sgn(rng) * 10.0 ** (e + rng.uniform(-2, 0)) for _ in range(n)]
        eps = lu(rng, -E, E) if rng.random() < 0.7 else rng.uniform(0.01, 1)
        if rng.random() < 0.3:
            cls = CANCEL
            with mp.workdps(30):
                nrm = mp.sqrt(mp.fsum([mpf(x) ** 2 for x in g]))
                th = [float(-mp.sqrt(2 * mpf(eps)) * x / nrm * (1 + sgn(rng) * lu(rng, -S.CANCEL + 2, -1)))
                      for x in g]
        else:
            cls = EXTREME
            th = [rng.uniform(-2, 2) * lu(rng, -3, 3) for _ in range(n)]
        return cls, {"theta": th, "grad": g, "epsilon": eps}
    if op == "fisher":
        n, m = rng.randint(1, 4), rng.randint(1, 5)
        col = [lu(rng, -E / 2 - 2, E / 2 + 0.1) for _ in range(n)]
        sc = [[rng.gauss(0, 1) * c for c in col] for _ in range(m)]
        return EXTREME, {"scores": sc}
    if op == "natural_update":
        cls = rng.choice((CANCEL, EXTREME))
        n = rng.randint(2, 3)
        m = rng.randint(n + 1, n + 3)
        cs = lu(rng, -E / 3, E / 3) if cls == EXTREME else 1.0
        gs = lu(rng, -E / 3, E / 3) if cls == EXTREME else 1.0
        sc = [[rng.uniform(-2, 2) * cs for _ in range(n)] for _ in range(m)]
        gr = [[rng.uniform(-2, 2) * gs for _ in range(n)] for _ in range(m)]
        if cls == CANCEL:
            B = lu(rng, 3, S.CANCEL)
            j = rng.randrange(n)
            gr[0][j], gr[1][j] = B, -B * (1 + sgn(rng) * lu(rng, -S.CANCEL, -S.CANCEL / 2))
        inp = {"theta": [rng.uniform(-2, 2) for _ in range(n)], "grads": gr, "scores": sc,
               "epsilon": lu(rng, -3, 0)}
        kind = rng.choice(SOLVER_KINDS)
        if kind == "damped":
            inp["solver"] = {"kind": "damped", "damping": lu(rng, -3, 0) * cs * cs}
        elif kind == "pseudo_inverse":
            inp["solver"] = {"kind": "pseudo_inverse", "rcond": 1e-10}
        elif kind == "conjugate_gradient":
            inp["solver"] = {"kind": "conjugate_gradient", "max_iters": 4 * n, "tol": 1e-13,
                             "damping": rng.choice((0.0, lu(rng, -3, 0) * cs * cs))}
        return cls, inp
    if op in ("score", "likelihood_ratio_gradient", "restricted_update", "natural_policy_update"):
        cls = rng.choice((CERTAIN, TAIL, CANCEL, EXTREME))
        pol, th, trajs, gamma = rand_policy(rng, S, cls, natural=(op == "natural_policy_update"))
        inp = {"policy": pol, "theta": th, "trajectories": trajs}
        if op != "score":
            inp["gamma"] = gamma
        if op in ("restricted_update", "natural_policy_update"):
            inp["epsilon"] = lu(rng, -4, 0)
        if op == "natural_policy_update":
            fs = fisher_scale(pol, th, trajs)
            if pol["family"] == "softmax":
                inp["solver"] = rng.choice(({"kind": "damped", "damping": lu(rng, -4, -1) * fs},
                                            {"kind": "pseudo_inverse", "rcond": 1e-10}))
            elif rng.random() < 0.5:
                inp["solver"] = {"kind": "damped", "damping": lu(rng, -4, -1) * fs}
        return cls, inp
    if op in ("policy_kl", "surrogate_objective", "surrogate_constraint", "kl_penalty_objective",
              "clamped_objective", "clamped_gradient"):
        cls = rng.choice((NEAR, CERTAIN, TAIL, CANCEL, EXTREME))
        if op in ("policy_kl", "surrogate_constraint") and cls in (TAIL, CANCEL):
            cls = NEAR
        pol, th, trajs, gamma = rand_policy(rng, S, cls)
        thp = nudge_theta(rng, S, pol, th, cls, trajs)
        if pol["family"] != "softmax" and not thp[1] > 0:
            thp[1] = th[1]
        if cls == EXTREME and pol["family"] != "softmax" and rng.random() < 0.5:
            thp = [th[0] * rng.uniform(-3, 3), th[1] * lu(rng, -E / 3, E / 3)]
        if op == "policy_kl":
            s_ = rng.randrange(pol["n_states"]) if pol["family"] == "softmax" else \
                rng.uniform(-2, 2) * (lu(rng, -E / 3, E / 3) if cls == EXTREME else 1.0)
            return cls, {"policy": pol, "theta": th, "theta_prime": thp, "s": s_}
        inp = {"policy": pol, "theta": th, "theta_prime": thp, "trajectories": trajs, "gamma": gamma}
        if op == "kl_penalty_objective":
            inp["beta"] = lu(rng, -3, 3)
            if cls == CANCEL or rng.random() < 0.3:
                try:
                    inp["beta"] = kl_penalty_beta(f32_input(inp) if S.scalar == "f32" else inp,
                                                  "%.3g" % lu(rng, -S.CANCEL / 2, -1))
                except (RefError, ZeroDivisionError, ValueError, OverflowError):
                    pass
        if op in ("clamped_objective", "clamped_gradient"):
            inp["epsilon"] = lu(rng, -3, -0.3) if rng.random() < 0.8 else lu(rng, 0, E)
        return cls, inp
    if op == "clamped_update":
        cls = rng.choice((CERTAIN, TAIL, CANCEL, EXTREME))
        pol, th, trajs, gamma = rand_policy(rng, S, cls, m_hi=2, d_hi=3)
        inp = {"policy": pol, "theta": th, "trajectories": trajs, "gamma": gamma,
               "epsilon": lu(rng, -2, -0.5), "alpha": 1.0, "k_max": rng.randint(1, 4)}
        # alpha so that the first step moves theta by ~1e-3..1e-1 of its scale
        try:
            with mp.workprec(53):
                g = evaluate("clamped_gradient", dict(inp, theta_prime=th))["grad"]
            gn = float(max(abs(x) for x in g))
            scale = max(abs(x) for x in th) or 1.0
            if gn > 0:
                inp["alpha"] = finite_clip(scale * lu(rng, -3, -1) / gn, S)
        except (RefError, ZeroDivisionError, ValueError, OverflowError):
            pass
        return cls, inp
    if op == "trust_region_update":
        cls = rng.choice((NEAR, CERTAIN, TAIL, CANCEL, EXTREME))
        pol, th, trajs, gamma = rand_policy(rng, S, cls, m_hi=4, d_hi=3, natural=True)
        n = len(th)
        while len(trajs) < n + 1:
            trajs.append(copy_traj(trajs[rng.randrange(len(trajs))], rng))
        inp = {"policy": pol, "theta": th, "trajectories": trajs, "gamma": gamma,
               "epsilon": lu(rng, -S.NEAR - 5, -3) if cls == NEAR else lu(rng, -3, 0),
               "alpha": rng.uniform(0.3, 0.8), "max_steps": rng.choice((3, 10, 30, 60))}
        fs = fisher_scale(pol, th, trajs)
        if pol["family"] == "softmax":
            inp["solver"] = {"kind": "damped", "damping": lu(rng, -6, -2) * fs}
        elif rng.random() < 0.4:
            inp["solver"] = {"kind": "damped", "damping": lu(rng, -4, -1) * fs}
        return cls, inp
    if op == "kl_categorical":
        cls = rng.choice((NEAR, CERTAIN, EXTREME))
        n = rng.randint(2, 6)
        if S.scalar == "f32":
            D = 2 ** 24
            k = [rng.randint(1, 1000) for _ in range(n)]
            tot = sum(k)
            p = [x * D // tot for x in k]
            p[0] += D - sum(p)
            q = list(p)
            if cls == NEAR:
                for _ in range(rng.randint(1, 3)):
                    i, j = rng.randrange(n), rng.randrange(n)
                    dlt = min(rng.randint(1, 64), q[j] - 1)
                    q[i] += dlt
                    q[j] -= dlt
            else:
                k2 = [rng.randint(1, 1000) for _ in range(n)]
                q = [x * D // sum(k2) for x in k2]
                q[0] += D - sum(q)
            p = [x / D for x in p]
            q = [x / D for x in q]
            if cls != NEAR:
                i = rng.randrange(n)
                j = (i + 1) % n
                v = p if rng.random() < 0.5 else q
                v[j] += v[i]    # exact: multiples of 2^-24
                v[i] = 2.0 ** -rng.randint(30, 149)
                v[j] -= v[i]    # rounded to f32 below: the sum stays within 2^-30 of 1
            return cls, {"p": p, "q": q}
        w = [rng.uniform(0.05, 1) for _ in range(n)]
        p = [x / sum(w) for x in w]
        if cls == NEAR:
            d = lu(rng, -S.NEAR, -3)
            q = list(p)
            for i in range(0, n - 1, 2):
                dd = d * rng.uniform(0.1, 1) * min(p[i], p[i + 1])
                q[i] += dd
                q[i + 1] -= dd
        elif cls == CERTAIN:
            q = list(p)
            for v in (p, q):
                i = rng.randrange(n)
                small = lu(rng, -15, -3)
                for j in range(n):
                    v[j] = (1 - small) if j == i else small / (n - 1)
        else:
            w2 = [rng.uniform(0.05, 1) for _ in range(n)]
            q = [x / sum(w2) for x in w2]
            i = rng.randrange(n)
            j = (i + 1) % n
            v = p if rng.random() < 0.5 else q
            v[j] += v[i]
            v[i] = lu(rng, -E, -10) if rng.random() < 0.8 else S.SUB * rng.randint(1, 10 ** 6)
        return cls, {"p": p, "q": q}
    if op == "kl_gaussian":
        cls = rng.choice((NEAR, EXTREME))
        if cls == NEAR:
            sp = lu(rng, -E / 2, E / 2)
            mu = rng.uniform(-2, 2) * sp * lu(rng, 0, 3)
            d = lu(rng, -S.NEAR, -2)
            sq = sp * (1 + rng.gauss(0, 1) * d) if rng.random() < 0.7 else sp
            mq = mu + rng.gauss(0, 1) * d * sp if rng.random() < 0.7 else mu
        else:
            sp, sq = lu(rng, -E, E), lu(rng, -E, E)
            mu, mq = sgn(rng) * lu(rng, -E, E), sgn(rng) * lu(rng, -E, E)
        return cls, {"mean_p": mu, "std_p": sp, "mean_q": mq, "std_q": sq}
    raise KeyError(op)


def fisher_scale(pol, th, trajs):
    """The mean diagonal entry of the Fisher matrix (53-bit evaluation), for a damping of that
    scale; 1 when it cannot be formed."""
    try:
        with mp.workprec(53):
            sc = evaluate("score", {"policy": pol, "theta": th, "trajectories": trajs})["scores"]
            v = float(mp.fsum([x * x for s_ in sc for x in s_]) / (len(sc) * len(sc[0])))
        return v if 0 < v < 1e300 else 1.0
    except (RefError, ZeroDivisionError, ValueError, OverflowError):
        return 1.0


def copy_traj(t, rng):
    return [dict(st, r=st["r"] * rng.uniform(0.5, 1.5)) for st in t]


def sample_case(job):
    """One case of the adversarial sample: job = (operation, scalar, i). Returns (case, rejected
    draws)."""
    op, scalar, i = job
    k = list(OPS).index(op) + (100 if scalar == "f32" else 0)
    S = Span(scalar)
    b = Builder()
    rejected = 0
    for attempt in range(SEED_CASE):
        seed = (SAMPLE_BASE + k) * SEED_BASE + i * SEED_CASE + attempt
        rng = random.Random(seed)
        cls, inp = sample_input(op, rng, S)
        if scalar == "f32":
            inp = f32_input(inp)
        if has_nonfinite(inp):
            rejected += 1
            continue
        cid = "%s-%s-%d" % ("advs" if scalar == "f64" else "advs32", op, i + 1)
        try:
            res = adversarial_eval(op, inp, scalar, cid)
        except (ReferenceDefect, ZeroDivisionError):
            # ZeroDivisionError: mpmath's LU finds F + damping*I singular at 50 digits (a damping
            # below 1e-50 of F): the reference cannot resolve the case
            rejected += 1
            continue
        if res["kind"] is None and min(res["digits"].values() or [CERT_CAP]) < ADV_MIN_DIGITS:
            rejected += 1
            continue
        lim = ADV_MARGIN[scalar]
        ok = res["margin"] is None or res["margin"] >= lim
        fl = {"Adversarial"}
        if op == "trust_region_update" and res["ls_margin"] is not None and res["ls_margin"] < lim:
            fl.add("RoundingLevelDecision")
        src = "adversarial: %s; seed %d" % (cls, seed)
        comment = "Random %s adversarial sample (%s)." % (scalar, cls)
        if res["kind"] is not None:
            case = b._emit(cid, op, scalar, src, fl, comment, inp, kind=res["kind"])
        else:
            case = b._emit(cid, op, scalar, src, fl, comment, inp, raw=res["out"], out=res["out"],
                           digits=res["digits"])
        case["margins_ok"] = bool(ok)
        case["min_margin"] = mpmath.nstr(res["margin"], 3) if res["margin"] is not None else None
        return case, rejected
    raise SystemExit("adversarial sample: no acceptable draw for %s %s %d" % (op, scalar, i))


def build_adversarial_sample(n, jobs=1):
    work = [(op, scalar, i) for op in OPS for scalar in ("f64", "f32") for i in range(n)]
    if jobs > 1:
        import multiprocessing
        with multiprocessing.Pool(jobs) as pool:
            results = pool.map(sample_case, work, chunksize=4)
    else:
        results = [sample_case(w) for w in work]
    return [c for c, _ in results], sum(r for _, r in results)


# ----------------------------------------------------------------------------------------------


def build_all(regen=None):
    b = Builder(regen)
    if regen is None:
        build_book(b)
    build_vector_ops(b)
    build_natural_update(b)
    build_policy_ops(b)
    build_natural_policy_update(b)
    build_trust_region(b)
    if regen is None:
        build_edges(b)
        build_errors(b)
        build_more_errors(b)
        build_adversarial(b)
    return b


CATEGORIES = ("ref", "f32", "edge", "err", "book", "adv")
CATEGORY_NAMES = ("f64 random", "f32", "edge", "error", "book", "adversarial")


def report(cases, out):
    counts = {}
    for c in cases:
        cat = c["id"].split("-")[0]
        cat = "adv" if cat.startswith("adv") else cat
        counts.setdefault(c["operation"], dict.fromkeys(CATEGORIES, 0))[cat] += 1
    out.write("%-26s" % "operation" + "".join("%11s" % n for n in CATEGORY_NAMES) + "%7s\n" % "total")
    tot = dict.fromkeys(CATEGORIES, 0)
    for op in OPS:
        row = counts.get(op, dict.fromkeys(CATEGORIES, 0))
        out.write("%-26s" % op + "".join("%11d" % row[k] for k in CATEGORIES)
                  + "%7d\n" % sum(row.values()))
        for k in CATEGORIES:
            tot[k] += row[k]
    out.write("%-26s" % "all" + "".join("%11d" % tot[k] for k in CATEGORIES) + "%7d\n" % len(cases))
    fl = dict.fromkeys(FLAGS, 0)
    for c in cases:
        for f in c["flags"]:
            fl[f] += 1
    out.write("flags: " + ", ".join("%s %d" % (f, fl[f]) for f in FLAGS) + "\n")
    cls = {}
    for c in cases:
        if c["source"].startswith("adversarial: "):
            k = (c["source"][len("adversarial: "):].split(";")[0], c["scalar"])
            cls[k] = cls.get(k, 0) + 1
    if cls:
        out.write("adversarial classes (f64/f32): " + ", ".join(
            "%s %d/%d" % (k, cls.get((k, "f64"), 0), cls.get((k, "f32"), 0)) for k in ADV_CLASSES)
            + "\n")
    out.write("cases with conditioning: %d\n" % sum(1 for c in cases if "conditioning" in c))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="output JSON file")
    ap.add_argument("--stats", action="store_true", help="report rejected random draws")
    ap.add_argument("--regen", type=int, metavar="N",
                    help="rebuild the random case of seed N (its \"source\" is \"generated: seed N\") "
                         "and print it")
    ap.add_argument("--adversarial", type=int, metavar="N",
                    help="write N random adversarial f64 cases and N f32 cases per operation to "
                         "--out (the accuracy sample of tools/accuracy/adversarial_report.py) "
                         "instead of the golden cases")
    ap.add_argument("--jobs", type=int, default=1, metavar="J",
                    help="worker processes for --adversarial (the output does not depend on it)")
    args = ap.parse_args(argv)
    if mpmath.__version__ != "1.3.0":
        sys.stderr.write("warning: expected mpmath 1.3.0, found %s\n" % mpmath.__version__)
    if args.regen is not None:
        b = build_all(regen=args.regen)
        if b.found is None:
            raise SystemExit("no random case family has seed base %d" % (args.regen // SEED_BASE))
        json.dump(b.found, sys.stdout, indent=1, ensure_ascii=True)
        sys.stdout.write("\n")
        return
    if not args.out:
        ap.error("--out is required (or --regen N)")
    if args.adversarial is not None:
        cases, rejected = build_adversarial_sample(args.adversarial, args.jobs)
        doc = {"generator": GENERATOR, "mpmath": "1.3.0", "dps": DPS,
               "sample": "adversarial, %d f64 and %d f32 cases per operation" % (
                   args.adversarial, args.adversarial), "cases": cases}
        with open(args.out, "w", encoding="utf-8", newline="\n") as f:
            json.dump(doc, f, indent=1, ensure_ascii=True)
            f.write("\n")
        report(cases, sys.stderr)
        sys.stderr.write("margins_ok: %d of %d; draws rejected (50/100-digit disagreement): %d\n"
                         % (sum(1 for c in cases if c["margins_ok"]), len(cases), rejected))
        return
    cases = build_all().cases
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    doc = {"generator": GENERATOR, "mpmath": "1.3.0", "dps": DPS, "cases": cases}
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        json.dump(doc, f, indent=1, ensure_ascii=True)
        f.write("\n")
    report(cases, sys.stderr)
    if args.stats:
        for key in sorted(STATS):
            sys.stderr.write("rejected %-28s %s %-40s %d\n" % (key[0], key[1], key[2], STATS[key]))


if __name__ == "__main__":
    main()
