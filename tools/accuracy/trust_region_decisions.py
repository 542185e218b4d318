"""Are pgoracle's rounding-level line-search decisions flagged? (issue #16, acceptance item 3)

    python3 tools/accuracy/trust_region_decisions.py --pgoracle PATH [--cases N] [--seed S]
                                                     [--verify {all,sample,none}] [--save FILE]

Builds N (default 1000) seeded random f64 `trust_region_update` cases, computes the outcome of
Algorithm 12.5 in exact arithmetic (accepted, steps), runs `PATH eval` once on all of them, and
checks that every case whose accepted/steps differ from the exact ones carries an `indeterminate`
entry (pgoracle's output field: an array of {"decision", "at", "margin", "bound"}, decision
"linesearch_constraint" or "linesearch_improvement", "at" the shrink index 0, 1, 2, ...; absent
when empty) for the decision that went the other way. Exit status 1 when some difference is not
flagged, 2 when the script's own exact outcome fails its independent check.

The cases (case i, random.Random(S * 10**9 + i * 1000 + attempt)), by i % 20:

  0-9    ordinary: like the golden random cases (tools/reference/mp_reference.py's
         make_natural_policy_input: Gaussian, linear-Gaussian and softmax policies in turn, the
         solver drawn from those the golden cases use with the family, epsilon in [0.001, 1.5], one
         in ten in [2, 12] so the natural step may leave sigma > 0), alpha = 0.5 or U(0.3, 0.8),
         max_steps mostly the default 100. About 15% of them exhaust the search in exact
         arithmetic (the natural direction descends the surrogate); in f64 the candidate then
         reaches theta's last bits after ~50 shrinks, where f(theta') - f(theta) is rounding noise
         and about one in ten of them is "accepted" on a 1-ulp improvement.
  10-14  constraint tie: at shrink k = 0, 1 or 2 the constraint g(theta') <= epsilon is decided
         within a few ulps. For k >= 1, alpha is the root of g(theta + alpha^k (theta_nat - theta))
         = epsilon (mpmath, 50 digits), rounded to f64 and moved by -4..4 ulps; for k = 0 it is
         epsilon, the root of g(theta + t u) = t^2 g'u / 2 (theta_nat = theta + t u with
         t = sqrt(2 eps / g'u)), rounded and moved likewise. The improvement test at that shrink
         and every decision at earlier shrinks are kept at least 1e-6 (relative) from their
         thresholds.
  15-19  improvement tie: the same with f(theta') = f(theta) (the natural step overshoots and the
         surrogate comes back down to f(theta) along the ray), g(theta') < epsilon there.

The exact outcome is tools/reference/mp_reference.py's op_trust_region_update (imported, not
modified) at max(50, 30 + max_steps * log10(1/alpha)) digits, so that the candidate
theta + alpha^k (theta_nat - theta) stays resolved down to the last shrink. --verify checks it with
an independent mpmath implementation written here (own scores, Fisher, solvers, log-space ratios,
closed-form KLs and closed-form candidates theta + alpha^k (theta_nat - theta)) at 30 more digits:
`all` every case, `sample` (default) every difference, every constructed case and every tenth
ordinary one, `none` nothing.

A difference at shrink k* = min(steps_exact, steps_pgoracle) is *flagged* when pgoracle has an
entry at k* for each test that the exact search failed there (if pgoracle accepted at k*), or some
entry at k* (if pgoracle rejected at k*, which of its tests failed is not in its output). Entries
at other shrinks only are reported as "flagged elsewhere" and count as unflagged.

Where pgoracle accepted at k*, the two tests are also evaluated exactly at pgoracle's own (f64)
accepted theta: when they accept it too, the difference comes from the rounding of the candidate
point (theta_natural's error, which grows with the conditioning of the solve, and the rounding of
theta + alpha (theta' - theta) relative to the step), not from the evaluation of f and g, so a
margin bound that only covers the rounding of f and g at the f64 candidate cannot flag it.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import mp_reference as R  # noqa: E402
import mpmath  # noqa: E402
from mpmath import mp, mpf  # noqa: E402

OP = "trust_region_update"
DECISIONS = ("linesearch_constraint", "linesearch_improvement")
TIE_MARGIN = mpf("1e-6")     # other decisions of a constructed case stay this far from their thresholds


# ----------------------------------------------------------------------------------------------
# Exact outcome (mp_reference)
# ----------------------------------------------------------------------------------------------


def exact_dps(inp, base=50):
    m = inp.get("max_steps", 100)
    return max(base, 30 + int(math.ceil(m * math.log10(1 / inp["alpha"]))))


def exact_outcome(inp, extra_dps=0):
    """(accepted, steps) of mp_reference.op_trust_region_update, at enough digits."""
    with mp.workdps(exact_dps(inp) + extra_dps):
        del R._MARGINS[:]
        out = R.op_trust_region_update(inp)
        del R._MARGINS[:]
    return out["accepted"], out["steps"]


def exact_decisions_at(inp, k):
    """The exact search's two tests at shrink k (candidate iterated as op_trust_region_update does):
    (in_domain, (eps - g)/eps, (f - f_theta)/(|f_theta| + 1))."""
    with mp.workdps(exact_dps(inp)):
        del R._MARGINS[:]
        pol, th, trajs, gamma, eps, nat = R.natural_policy_core(inp)
        alpha = mpf(inp["alpha"])
        c = list(nat["theta"])
        for _ in range(k):
            c = [t + alpha * (x - t) for t, x in zip(th, c)]
        if not R.in_domain(pol, c):
            return False, None, None
        f_theta = R.surrogate_objective_value(pol, th, th, trajs, gamma)
        fc = R.surrogate_objective_value(pol, th, c, trajs, gamma)
        gc = R.surrogate_constraint_value(pol, th, c, trajs, gamma)
        del R._MARGINS[:]
        return True, (eps - gc) / eps, (fc - f_theta) / (abs(f_theta) + 1)


def exact_tests_at_point(inp, x):
    """The two tests evaluated exactly at a given point x (e.g. pgoracle's own f64 candidate):
    ((eps - g(x))/eps, (f(x) - f(theta))/(|f(theta)| + 1)), or None outside the domain."""
    with mp.workdps(50):
        pol = inp["policy"]
        th = R.vec(inp["theta"])
        x = R.vec(x)
        if not R.in_domain(pol, x):
            return None
        trajs = R.parse_trajectories(pol, inp["trajectories"])
        gamma, eps = mpf(inp["gamma"]), mpf(inp["epsilon"])
        f_theta = R.surrogate_objective_value(pol, th, th, trajs, gamma)
        fx = R.surrogate_objective_value(pol, th, x, trajs, gamma)
        gx = R.surrogate_constraint_value(pol, th, x, trajs, gamma)
        return (eps - gx) / eps, (fx - f_theta) / (abs(f_theta) + 1)


# ----------------------------------------------------------------------------------------------
# Independent exact outcome (written here; shares only mpmath with mp_reference)
# ----------------------------------------------------------------------------------------------


def independent_outcome(inp, dps):
    with mp.workdps(dps):
        pol = inp["policy"]
        fam = pol["family"]
        th = [mpf(x) for x in inp["theta"]]
        gamma, eps, alpha = mpf(inp["gamma"]), mpf(inp["epsilon"]), mpf(inp["alpha"])
        M = inp.get("max_steps", 100)
        trajs = [[(st["s"] if fam == "softmax" else mpf(st["s"]),
                   st["a"] if fam == "softmax" else mpf(st["a"]), mpf(st["r"])) for st in t]
                 for t in inp["trajectories"]]
        n = len(th)
        na = pol.get("n_actions", 0)

        def logp(x, s, a):
            if fam == "softmax":
                row = x[s * na:(s + 1) * na]
                return row[a] - mp.log(mp.fsum(mp.exp(v) for v in row))
            mu = x[0] if fam == "gaussian" else x[0] * s
            z = (a - mu) / x[1]
            return -z * z / 2 - mp.log(x[1])          # the common -log(2 pi)/2 cancels in ratios

        def dlogp(x, s, a):
            if fam == "softmax":
                row = x[s * na:(s + 1) * na]
                z = mp.fsum(mp.exp(v) for v in row)
                out = [mpf(0)] * n
                for b in range(na):
                    out[s * na + b] = (1 if b == a else 0) - mp.exp(row[b]) / z
                return out
            mu = x[0] if fam == "gaussian" else x[0] * s
            d = a - mu
            return [d / x[1] ** 2 * (1 if fam == "gaussian" else s), (d * d - x[1] ** 2) / x[1] ** 3]

        def kl(x, y, s):
            if fam == "softmax":
                lp = [logp(x, s, b) for b in range(na)]
                lq = [logp(y, s, b) for b in range(na)]
                return mp.fsum(mp.exp(p) * (p - q) for p, q in zip(lp, lq))
            mx = x[0] if fam == "gaussian" else x[0] * s
            my = y[0] if fam == "gaussian" else y[0] * s
            return mp.log(y[1] / x[1]) + (x[1] ** 2 + (mx - my) ** 2) / (2 * y[1] ** 2) - mpf(1) / 2

        scores, grads = [], []
        for t in trajs:
            sc = [mp.fsum(dlogp(th, s, a)[j] for s, a, _ in t) for j in range(n)]
            ret = mp.fsum(r * gamma ** k for k, (_, _, r) in enumerate(t))
            scores.append(sc)
            grads.append([v * ret for v in sc])
        m = len(trajs)
        g = [mp.fsum(v[j] for v in grads) / m for j in range(n)]
        F = mp.matrix(n, n)
        for i in range(n):
            for j in range(n):
                F[i, j] = mp.fsum(v[i] * v[j] for v in scores) / m
        solver = inp.get("solver", {"kind": "exact"})
        if solver["kind"] in ("damped", "conjugate_gradient"):
            for i in range(n):
                F[i, i] += mpf(solver["damping"])
        if solver["kind"] == "pseudo_inverse":
            E, Q = mp.eigsy(F)
            big = max(abs(E[i]) for i in range(n))
            u = [mpf(0)] * n
            for i in range(n):
                if E[i] == 0 or abs(E[i]) < mpf(solver["rcond"]) * big:
                    continue
                c = mp.fsum(Q[j, i] * g[j] for j in range(n)) / E[i]
                for j in range(n):
                    u[j] += c * Q[j, i]
        else:
            sol = mp.lu_solve(F, mp.matrix(g))
            u = [sol[i] for i in range(n)]
        scale = mp.sqrt(2 * eps / mp.fsum(a * b for a, b in zip(g, u)))
        nat = [t + v * scale for t, v in zip(th, u)]

        def f(x):
            per = []
            for t in trajs:
                terms = []
                for k, (s, a, _) in enumerate(t):
                    rtg = mp.fsum(r * gamma ** j for j, (_, _, r) in enumerate(t) if j >= k)
                    terms.append(mp.exp(logp(x, s, a) - logp(th, s, a)) * rtg)
                per.append(mp.fsum(terms) / len(t))
            return mp.fsum(per) / m

        def gk(x):
            return mp.fsum(mp.fsum(kl(th, x, s) * gamma ** k for k, (s, _, _) in enumerate(t)) / len(t)
                           for t in trajs) / m

        f_theta = f(th)
        for k in range(M + 1):
            c = [t + alpha ** k * (x - t) for t, x in zip(th, nat)]
            if (fam == "softmax" or c[1] > 0) and gk(c) <= eps and f(c) > f_theta:
                return True, k
        return False, M


# ----------------------------------------------------------------------------------------------
# Case construction
# ----------------------------------------------------------------------------------------------


def family_of(i):
    return R.FAMILIES[(i // 20) % 3]


def solver_kind(rng, fam):
    kinds = R.SOLVER_KINDS if fam != "softmax" else R.SOLVER_KINDS[1:]
    return kinds[rng.randrange(len(kinds))]


def natural_ok(inp):
    """The natural step exists and is well conditioned, as in the golden cases."""
    try:
        with mp.workdps(30):
            del R._MARGINS[:]
            out = R.natural_policy_core(inp)[-1]
            del R._MARGINS[:]
    except R.RefError:
        return False
    return R.condition_ok(inp, out, R.natural_limit(inp, "f64"))


def make_ordinary(rng, i):
    fam = family_of(i)
    wide = (i % 20) == 9
    inp = R.make_natural_policy_input(rng, fam, solver_kind(rng, fam), *((2.0, 12.0) if wide else (0.001, 1.5)))
    inp["alpha"] = 0.5 if rng.random() < 0.4 else R.r6(rng.uniform(0.3, 0.8))
    x = rng.random()
    if x < 0.15:
        inp["max_steps"] = 30
    elif x < 0.3:
        inp["max_steps"] = 100
    return inp if natural_ok(inp) else None


def nudge(x, j):
    for _ in range(abs(j)):
        x = math.nextafter(x, math.inf if j > 0 else -math.inf)
    return x


def bracket_root(phi, lo, hi, n=24, geometric=True):
    """The largest sub-interval [a, b] of [lo, hi] (scanning down from hi) where phi changes sign."""
    pts = [hi * (lo / hi) ** (mpf(i) / n) for i in range(n + 1)] if geometric else \
        [hi - (hi - lo) * mpf(i) / n for i in range(n + 1)]
    ends = [phi(hi), phi(lo)]
    if None in ends or (ends[0] > 0) == (ends[1] > 0):
        return None       # no sign change between the ends: skip (an even number of roots is not searched)
    prev = None
    for p in pts:
        v = phi(p)
        if v is None:
            return None
        if prev is not None and (v > 0) != (prev[1] > 0):
            return p, prev[0]
        prev = (p, v)
    return None


def solve_root(phi, a, b):
    try:
        return mp.findroot(phi, (a, b), solver="anderson")
    except (ValueError, ZeroDivisionError):
        fa = phi(a)
        for _ in range(200):
            mid = (a + b) / 2
            fm = phi(mid)
            if (fm > 0) == (fa > 0):
                a, fa = mid, fm
            else:
                b = mid
        return (a + b) / 2


def make_tie(rng, i, which):
    """which: 'constraint' or 'improvement'; the tie sits at shrink k = (i // 60) % 3."""
    fam = family_of(i)
    k = (i // 60) % 3
    inp = R.make_natural_policy_input(rng, fam, solver_kind(rng, fam), 0.02, 3.0)
    inp["alpha"] = R.r6(rng.uniform(0.3, 0.8))
    if rng.random() < 0.5:
        inp["max_steps"] = 30
    if not natural_ok(inp):
        return None
    jiggle = rng.randint(-4, 4)
    with mp.workdps(50):
        del R._MARGINS[:]
        pol, th, trajs, gamma, eps, nat = R.natural_policy_core(inp)
        del R._MARGINS[:]
        f_theta = R.surrogate_objective_value(pol, th, th, trajs, gamma)
        u = nat["direction"]
        gu = R.dot(nat["grad"], u)

        def point(t):
            return [a + t * b for a, b in zip(th, u)]

        def f_at(x):
            return R.surrogate_objective_value(pol, th, x, trajs, gamma)

        def g_at(x):
            return R.surrogate_constraint_value(pol, th, x, trajs, gamma)

        if k == 0:
            # theta_nat = theta + t u, t = sqrt(2 eps / g'u): choose eps through t
            t0 = mp.sqrt(2 * eps / gu)

            def ok_t(t):
                return R.in_domain(pol, point(t))
            if which == "constraint":
                def phi(t):
                    return (g_at(point(t)) - t * t * gu / 2) / (t * t) if ok_t(t) else None
            else:
                def phi(t):
                    return (f_at(point(t)) - f_theta) / (abs(f_theta) + 1) if ok_t(t) else None
            br = bracket_root(phi, t0 / 50, t0 * 5)
            if br is None:
                return None
            t = solve_root(phi, *br)
            e = float(t * t * gu / 2)
            if not e > 0:
                return None
            inp["epsilon"] = nudge(e, jiggle)
        else:
            if not R.in_domain(pol, nat["theta"]):
                return None
            d = [a - b for a, b in zip(nat["theta"], th)]

            def ray(beta):
                return [a + beta * b for a, b in zip(th, d)]
            if which == "constraint":
                def phi(beta):
                    return (g_at(ray(beta)) - eps) / eps
            else:
                def phi(beta):
                    return (f_at(ray(beta)) - f_theta) / (abs(f_theta) + 1)
            br = bracket_root(phi, mpf("0.0004"), mpf(1))
            if br is None:
                return None
            beta = solve_root(phi, *br)
            a = float(beta ** (mpf(1) / k))
            if not 0.02 < a < 0.98:
                return None
            inp["alpha"] = nudge(a, jiggle)
    # the tie must be the first decisive test: earlier shrinks rejected, the other test at k passed,
    # all with a clear margin; the tied test itself within ~1e-12
    for j in range(k + 1):
        dom, mg, mf = exact_decisions_at(inp, j)
        if not dom:
            return None
        if j < k:
            if which == "constraint" and not mg < -TIE_MARGIN:
                return None
            if which == "improvement" and not (mf < -TIE_MARGIN and abs(mg) > TIE_MARGIN):
                return None
        else:
            tied, other = (mg, mf) if which == "constraint" else (mf, mg)
            if not (abs(tied) < mpf("1e-12") and other > TIE_MARGIN):
                return None
    return inp


def make_case(seed, i):
    cat = "ordinary" if i % 20 < 10 else ("constraint tie" if i % 20 < 15 else "improvement tie")
    for attempt in range(1000):
        rng = random.Random(seed * 10 ** 9 + i * 1000 + attempt)
        if cat == "ordinary":
            inp = make_ordinary(rng, i)
        else:
            inp = make_tie(rng, i, cat.split()[0])
        if inp is not None:
            return cat, inp
    raise SystemExit("could not build case %d" % i)


# ----------------------------------------------------------------------------------------------
# Comparison
# ----------------------------------------------------------------------------------------------


def classify(exact, pg_out, inp):
    """'agree', 'flagged', 'flagged elsewhere' or 'unflagged' (+ a note)."""
    acc_e, steps_e = exact
    acc_p, steps_p = pg_out["accepted"], pg_out["steps"]
    entries = pg_out.get("indeterminate") or []
    if (acc_e, steps_e) == (acc_p, steps_p):
        return "agree", ""
    k = min(steps_e, steps_p)
    at_k = {e.get("decision") for e in entries if e.get("at") == k}
    dom, mg, mf = exact_decisions_at(inp, k)
    exact_fails = set()
    if dom:
        if mg < 0:
            exact_fails.add("linesearch_constraint")
        if not mf > 0:
            exact_fails.add("linesearch_improvement")
    note = "k*=%d exact: %s" % (k, "outside the domain" if not dom else
                                  "(eps-g)/eps=%s (f-f0)/(|f0|+1)=%s" % (mpmath.nstr(mg, 3), mpmath.nstr(mf, 3)))
    if acc_p and steps_p == k:
        need_ok = dom and exact_fails and exact_fails <= at_k
    else:
        need_ok = bool(at_k & set(DECISIONS))
    if acc_p and steps_p == k:
        at_pg = exact_tests_at_point(inp, pg_out["theta"])
        if at_pg is not None:
            own = at_pg[0] >= 0 and at_pg[1] > 0
            note += "; exact at pgoracle's theta: (eps-g)/eps=%s (f-f0)/(|f0|+1)=%s%s" % (
                mpmath.nstr(at_pg[0], 3), mpmath.nstr(at_pg[1], 3),
                " (accepted: the candidate's rounding decides)" if own else "")
    if need_ok:
        return "flagged", note
    return ("flagged elsewhere" if entries else "unflagged"), note


def run_pgoracle(path, cases):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(cases, fh)
        name = fh.name
    try:
        p = subprocess.run([path, "eval", name], capture_output=True, text=True)
    finally:
        os.unlink(name)
    if p.returncode != 0:
        raise SystemExit("%s eval failed (%d): %s" % (path, p.returncode, p.stderr[:2000]))
    return json.loads(p.stdout)


def histogram(ratios):
    edges = [0, 1e-3, 1e-2, 0.1, 0.25, 0.5, 0.75, 1.0, 1.0000001]
    names = ["[0, 1e-3)", "[1e-3, 0.01)", "[0.01, 0.1)", "[0.1, 0.25)", "[0.25, 0.5)", "[0.5, 0.75)",
             "[0.75, 1)", "= 1", "> 1"]
    counts = [0] * len(names)
    for r in ratios:
        for b in range(len(edges) - 1):
            if edges[b] <= r < edges[b + 1]:
                counts[b] += 1
                break
        else:
            counts[-1] += 1
    return list(zip(names, counts))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pgoracle", required=True, help="the pgoracle binary")
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--verify", choices=("all", "sample", "none"), default="sample")
    ap.add_argument("--save", help="write the cases, exact outcomes and pgoracle results to FILE")
    args = ap.parse_args()
    t_start = time.time()

    cats, cases = [], []
    for i in range(args.cases):
        cat, inp = make_case(args.seed, i)
        cats.append(cat)
        cases.append({"id": "tr-%d-%d" % (args.seed, i), "operation": OP, "scalar": "f64", "input": inp})
    t_built = time.time()
    exact = [exact_outcome(c["input"]) for c in cases]
    t_exact = time.time()
    results = run_pgoracle(args.pgoracle, cases)
    t_pg = time.time()
    if [r.get("id") for r in results] != [c["id"] for c in cases]:
        raise SystemExit("pgoracle's results do not match the cases one to one")

    status, notes = [], []
    for c, e, r in zip(cases, exact, results):
        if "output" not in r:
            status.append("unflagged")
            notes.append("pgoracle error %s" % json.dumps(r.get("error")))
            continue
        s, n = classify(e, r["output"], c["input"])
        status.append(s)
        notes.append(n)

    # independent check of the exact outcomes
    todo = []
    for i, (c, s) in enumerate(zip(cases, status)):
        if args.verify == "all" or (args.verify == "sample" and (s != "agree" or cats[i] != "ordinary" or i % 10 == 0)):
            todo.append(i)
    bad = []
    for i in todo:
        inp = cases[i]["input"]
        ind = independent_outcome(inp, exact_dps(inp) + 30)
        if ind != exact[i]:
            bad.append((i, ind))
    t_verify = time.time()

    # report
    per_cat = Counter(cats)
    diff = [i for i, s in enumerate(status) if s != "agree"]
    flagged_cases = [i for i, r in enumerate(results) if r.get("output", {}).get("indeterminate")]
    print("cases: %d (%s)" % (len(cases), ", ".join("%s %d" % (k, per_cat[k]) for k in
                                                     ("ordinary", "constraint tie", "improvement tie"))))
    print("exact outcomes: %d accepted (%d after >= 1 shrink), %d exhausted"
          % (sum(1 for e in exact if e[0]), sum(1 for e in exact if e[0] and e[1] > 0),
             sum(1 for e in exact if not e[0])))
    print("differences from exact: %d (%s)" % (len(diff), ", ".join(
        "%s %d" % (k, sum(1 for i in diff if cats[i] == k)) for k in ("ordinary", "constraint tie", "improvement tie"))))
    sc = Counter(status)
    print("  flagged: %d, flagged only at other shrinks: %d, unflagged: %d"
          % (sc["flagged"], sc["flagged elsewhere"], sc["unflagged"]))
    own = sum(1 for i in diff if "the candidate's rounding decides" in notes[i])
    print("  of which pgoracle accepted a candidate that the exact tests also accept at its f64 value"
          " (the difference comes from the candidate point, not from evaluating f and g): %d" % own)
    print("flagged cases (any indeterminate entry): %d, of which agree with exact: %d"
          % (len(flagged_cases), sum(1 for i in flagged_cases if status[i] == "agree")))
    ratios, names = [], Counter()
    for r in results:
        for e in r.get("output", {}).get("indeterminate") or []:
            names[e.get("decision")] += 1
            try:
                ratios.append(abs(float(e["margin"])) / float(e["bound"]) if float(e["bound"]) > 0 else float("inf"))
            except (KeyError, TypeError, ValueError):
                ratios.append(float("nan"))
    print("indeterminate entries: %d (%s)" % (len(ratios), ", ".join("%s %d" % kv for kv in sorted(names.items()))))
    if ratios:
        print("  |margin|/bound: " + ", ".join("%s %d" % kv for kv in histogram(ratios)))
    print("exact outcomes checked independently (%d more digits, own implementation): %d, disagreeing: %d"
          % (30, len(todo), len(bad)))
    for i, ind in bad:
        print("  %s: mp_reference %s, independent %s" % (cases[i]["id"], exact[i], ind))
    print("runtime: %.1f s (build %.1f, exact %.1f, pgoracle eval %.1f, independent check %.1f)"
          % (time.time() - t_start, t_built - t_start, t_exact - t_built, t_pg - t_exact, t_verify - t_pg))
    unflagged = [i for i in diff if status[i] != "flagged"]
    if unflagged:
        print("\nunflagged differences (%d):" % len(unflagged))
        for i in unflagged:
            out = results[i].get("output", {})
            print("%s [%s] exact accepted=%s steps=%d; pgoracle accepted=%s steps=%s; %s; %s" % (
                cases[i]["id"], cats[i], exact[i][0], exact[i][1], out.get("accepted"), out.get("steps"),
                status[i], notes[i]))
            if out:
                print("  pgoracle f_theta=%r f_theta_prime=%r g_theta_prime=%r indeterminate=%s" % (
                    out.get("f_theta"), out.get("f_theta_prime"), out.get("g_theta_prime"),
                    json.dumps(out.get("indeterminate"))))
            print("  input: " + json.dumps(cases[i]["input"], separators=(",", ":")))
    if args.save:
        with open(args.save, "w") as fh:
            json.dump([{"case": c, "category": k, "exact": {"accepted": e[0], "steps": e[1]}, "status": s,
                        "result": r} for c, k, e, s, r in zip(cases, cats, exact, status, results)], fh)
    if bad:
        return 2
    return 1 if unflagged else 0


if __name__ == "__main__":
    sys.exit(main())
