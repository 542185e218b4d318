#!/usr/bin/env python3
"""Accuracy of pgoracle on the adversarial sample (issue #16), against the 50-digit reference.

    python3 tools/reference/mp_reference.py --adversarial 200 --out /tmp/adv200.json --jobs 2
    python3 tools/accuracy/adversarial_report.py --pgoracle target/release/pgoracle --cases /tmp/adv200.json

Runs `PGORACLE eval` once on all cases (a copy of the file holding only id, operation, scalar and
input, since the interface rejects unknown fields), with `--conditioning` when `PGORACLE eval --help`
mentions it. For every case with an expected output and every real output field it computes the
normwise relative error

    err = max_j |pg_j - ref_j| / max(max_j |ref_j|, smallest normal of the precision)

in units of eps (2^-52 for f64, 2^-23 for f32); the smallest-normal floor makes a correctly
rounded subnormal result count at most 0.5 eps. Fields pgoracle does not report (`fisher` of the
matrix-free conjugate-gradient solver) are skipped. When pgoracle's result carries a
`conditioning` object ({field: kappa}), the error as `pgoracle check` measures it (relative to
pgoracle's value, scale 1 for an all-zero field) over kappa*eps is reported too (max/kappa): the
tolerance is eps^(5/8) + 16*kappa*eps, so a value over 16 is a field only the eps^(5/8) floor
saves.

Prints, per precision, a table per operation (fields compared, median, p90, p99 and max of err/eps,
number over 16), then every field over 16 with the case's class, margins_ok (mok), the error,
kappa (pgoracle's, when given), cond (the reference's condition number of the solved
natural-gradient system, the case's `conditioning`) and two diagnostics computed with the
reference (tools/reference/mp_reference.py, needs mpmath):
  - noise: the largest change of the field (in eps) when every real input is multiplied by
    (1 +- u) with random signs (4 draws, u = eps/2): the error an exact algorithm would make on
    inputs known to half an ulp. err >> noise is an accuracy defect, err ~ noise is the
    conditioning of the problem.
  - for trust_region_update, err@pg: the error of f_theta_prime / g_theta_prime against the
    reference evaluated at pgoracle's own (f64/f32) theta' (its theta when accepted; when the
    search is exhausted, the last candidate replayed in the case's precision from pgoracle's
    theta_natural), which separates the rounding of the candidate theta' from the evaluation of
    f and g.
Cases where pgoracle and the reference disagree on error vs output, on the error kind, on steps
or accepted, or on a null are listed separately (they have no error figure). Exit status 0.
"""

import argparse
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
from decimal import Decimal, getcontext

getcontext().prec = 80
getcontext().Emax = 999999999
getcontext().Emin = -999999999

EPS = {"f64": Decimal(2) ** -52, "f32": Decimal(2) ** -23}
TINY = {"f64": Decimal(2) ** -1022, "f32": Decimal(2) ** -126}
THRESHOLD = 16
NONFINITE = ("NaN", "Infinity", "-Infinity")
DISCRETE = ("steps", "accepted")


def leaves(v):
    if isinstance(v, list):
        for x in v:
            yield from leaves(x)
    else:
        yield v


def is_real_field(v):
    """A field of the reference output that holds reals (decimal strings), not steps/accepted/null."""
    ls = list(leaves(v))
    return bool(ls) and all(isinstance(x, str) for x in ls)


def exact_value(x, scalar):
    """The exact binary value of a number printed by pgoracle, as a Decimal (None if non-finite)."""
    if isinstance(x, str):
        return None
    f = float(x)
    if scalar == "f32":
        f = struct.unpack("<f", struct.pack("<f", f))[0]
    return Decimal(f)


def ref_decimal(s):
    """A reference value; magnitudes beyond Decimal's exponent range (e.g. a ratio of e^(-1e19))
    are far below any floating-point number: 0."""
    try:
        return Decimal(s)
    except ArithmeticError:
        return Decimal(0)


def field_error(ref, got, scalar):
    """Normwise relative error in eps units; inf for a non-finite or malformed value."""
    r = [ref_decimal(s) for s in leaves(ref)]
    g = list(leaves(got))
    if len(r) != len(g):
        return float("inf")
    gv = [exact_value(x, scalar) for x in g]
    if any(x is None for x in gv):
        return float("inf")
    num = max(abs(a - b) for a, b in zip(r, gv))
    den = max(max(abs(a) for a in r), TINY[scalar])
    return float(num / den / EPS[scalar])


def check_error(ref, got, scalar):
    """The error as `pgoracle check` measures it, in eps units: max |ref - got| over max |got|
    (pgoracle's value is the golden side; scale 1 for an all-zero field)."""
    r = [ref_decimal(s) for s in leaves(ref)]
    g = list(leaves(got))
    if len(r) != len(g):
        return float("inf")
    gv = [exact_value(x, scalar) for x in g]
    if any(x is None for x in gv):
        return float("inf")
    num = max(abs(a - b) for a, b in zip(r, gv))
    spacing = Decimal(2) ** (-149 if scalar == "f32" else -1074)
    if num <= 2 * spacing:
        return 0.0        # check never fails two subnormal spacings
    scale = max(abs(b) for b in gv)
    den = scale if scale > 0 else Decimal(1)
    return float(num / den / EPS[scalar])


def case_class(case):
    src = case.get("source", "")
    if src.startswith("adversarial: "):
        return src[len("adversarial: "):].split(";")[0]
    return src or "?"


def run_pgoracle(path, cases):
    """One `eval` over all cases. Returns (results by id, whether --conditioning was used)."""
    helptext = subprocess.run([path, "eval", "--help"], capture_output=True, text=True)
    conditioning = "--conditioning" in (helptext.stdout + helptext.stderr)
    stripped = [{k: c[k] for k in ("id", "operation", "scalar", "input") if k in c} for c in cases]
    fd, tmp = tempfile.mkstemp(suffix=".json", prefix="adv-cases-")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(stripped, f)
        cmd = [path, "eval"] + (["--conditioning"] if conditioning else []) + [tmp]
        proc = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        os.unlink(tmp)
    if proc.returncode != 0:
        sys.stdout.write("pgoracle eval failed (status %d): %s\n" % (proc.returncode, proc.stderr.strip()))
        return None, conditioning
    results = json.loads(proc.stdout)
    if isinstance(results, dict):
        results = [results]
    return {r["id"]: r for r in results}, conditioning


def percentile(xs, q):
    """Nearest-rank percentile of a sorted list."""
    if not xs:
        return float("nan")
    k = max(0, min(len(xs) - 1, int(-(-q * len(xs) // 100)) - 1))
    return xs[k]


def fmt(x):
    if x != x:
        return "-"
    if x == float("inf"):
        return "inf"
    if x == 0:
        return "0"
    if x < 0.01:
        return "%.1e" % x
    if x < 1000:
        return "%.3g" % x
    return "%.2e" % x


# ---- reference diagnostics (need mpmath and tools/reference/mp_reference.py) -------------------


def load_reference():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "reference"))
    try:
        import mp_reference  # noqa: F401
        return mp_reference
    except ImportError as e:
        sys.stdout.write("(reference diagnostics unavailable: %s)\n" % e)
        return None


def perturbed(v, rng, u):
    if isinstance(v, bool) or isinstance(v, int) or v is None or isinstance(v, str):
        return v
    if isinstance(v, float):
        return v * (1 + (u if rng.random() < 0.5 else -u))
    if isinstance(v, list):
        return [perturbed(x, rng, u) for x in v]
    if isinstance(v, dict):
        # integers (softmax s, a; max_steps, k_max, max_iters) and the solver kind stay exact
        return {k: perturbed(x, rng, u) for k, x in v.items()}
    return v


def ref_eval(R, op, inp):
    """The reference's 50-digit output of op on inp (floats taken exactly), or None on an error."""
    from mpmath import mp
    saved = dict(R.MODE)
    R.MODE.update(adv=True)
    try:
        with mp.workdps(R.DPS):
            return R.evaluate(op, inp)
    except (R.RefError, ZeroDivisionError):
        return None
    finally:
        R.MODE.clear()
        R.MODE.update(saved)


def mp_field_change(R, a, b):
    """Normwise relative change from a to b (mpf fields)."""
    from mpmath import mp
    la, lb = list(R.leaves(a)), list(R.leaves(b))
    if len(la) != len(lb) or not la:
        return float("inf")
    with mp.workdps(R.DPS):
        den = max(abs(x) for x in la)
        num = max(abs(x - y) for x, y in zip(la, lb))
        if den == 0:
            return 0.0 if num == 0 else float("inf")
        return float(num / den)


def input_noise(R, case, field, trials=4):
    """Largest change of `field` (in eps) when every real input moves by a relative +-eps/2."""
    from mpmath import mpf
    op, scalar = case["operation"], case["scalar"]
    u = float(EPS[scalar]) / 2
    base = ref_eval(R, op, case["input"])
    if base is None or field not in base:
        return float("nan")
    rng = random.Random(str(case["id"]))
    worst = 0.0
    for _ in range(trials):
        out = ref_eval(R, op, perturbed(case["input"], rng, u))
        if out is None or out.get(field) is None or base.get(field) is None:
            return float("inf")
        if any(out.get(k) != base.get(k) for k in DISCRETE if k in base):
            return float("inf")
        worst = max(worst, mp_field_change(R, base[field], out[field]))
    return worst / float(EPS[scalar])


def round_to(x, scalar):
    return struct.unpack("<f", struct.pack("<f", x))[0] if scalar == "f32" else x


def replayed_candidate(case, out):
    """The last candidate of an exhausted search, replayed in the case's precision from pgoracle's
    theta_natural: c <- theta + alpha*(c - theta), each operation rounded (an estimate: pgoracle
    may order the operations differently)."""
    scalar = case["scalar"]
    th = [round_to(float(x), scalar) for x in case["input"]["theta"]]
    alpha = round_to(float(case["input"]["alpha"]), scalar)
    c = [float(exact_value(x, scalar)) for x in out["theta_natural"]]
    for _ in range(out["steps"]):
        c = [round_to(t + round_to(alpha * round_to(x - t, scalar), scalar), scalar)
             for t, x in zip(th, c)]
    return c


def error_at_pg_theta_value(R, case, result, field):
    """trust_region_update: error of pgoracle's f/g_theta_prime against the reference at
    pgoracle's theta' (its reported theta when accepted, the replayed last candidate when the
    search is exhausted)."""
    out = result.get("output") or {}
    if case["operation"] != "trust_region_update" or field not in ("f_theta_prime", "g_theta_prime") \
            or out.get(field) is None:
        return float("nan")
    scalar = case["scalar"]
    if out.get("accepted"):
        thp = [float(exact_value(x, scalar)) for x in out["theta"]]
    else:
        thp = replayed_candidate(case, out)
    inp = case["input"]
    sub = {k: inp[k] for k in ("policy", "theta", "trajectories", "gamma")}
    sub["theta_prime"] = thp
    op = "surrogate_objective" if field == "f_theta_prime" else "surrogate_constraint"
    ref = ref_eval(R, op, sub)
    if ref is None:
        return float("nan")
    refs = R.fmt(ref["value"])
    return field_error(refs, out[field], scalar)


# ----------------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pgoracle", required=True, help="path of the pgoracle binary")
    ap.add_argument("--cases", required=True, help="the adversarial sample (mp_reference.py --adversarial)")
    ap.add_argument("--no-diagnostics", action="store_true",
                    help="skip the reference diagnostics (noise, err@pg) of the cases over 16")
    args = ap.parse_args(argv)
    with open(args.cases) as f:
        doc = json.load(f)
    cases = doc["cases"] if isinstance(doc, dict) else doc
    results, conditioning = run_pgoracle(args.pgoracle, cases)
    if results is None:
        return 0
    print("pgoracle: %s eval%s, %d cases from %s" % (
        args.pgoracle, " --conditioning" if conditioning else " (no --conditioning: kappa not reported)",
        len(cases), args.cases))

    stats = {}          # (scalar, op) -> [err/eps]
    kstats = {}         # (scalar, op) -> [err/(kappa eps)]
    over = []           # (case, field, err, kappa)
    discrete = []       # (case, what)
    skipped = 0
    for c in cases:
        r = results.get(c["id"])
        key = (c["scalar"], c["operation"])
        stats.setdefault(key, [])
        if r is None:
            discrete.append((c, "no result from pgoracle"))
            continue
        if "expected_error" in c:
            if "error" not in r:
                discrete.append((c, "reference %s, pgoracle an output" % c["expected_error"]))
            elif r["error"].get("kind") != c["expected_error"]:
                discrete.append((c, "reference %s, pgoracle %s" % (c["expected_error"], r["error"].get("kind"))))
            continue
        if "error" in r:
            discrete.append((c, "reference an output, pgoracle %s (%s)" % (
                r["error"].get("kind"), r["error"].get("message", ""))))
            continue
        out = r.get("output", {})
        exp = c["expected"]
        bad = ["%s: reference %s, pgoracle %s" % (k, json.dumps(exp[k]), json.dumps(out.get(k)))
               for k in DISCRETE if k in exp and out.get(k) != exp[k]]
        if bad:
            discrete.append((c, "; ".join(bad)))
            continue
        kappas = out.get("conditioning") if isinstance(out.get("conditioning"), dict) else \
            (r.get("conditioning") if isinstance(r.get("conditioning"), dict) else {})
        for field, ref in exp.items():
            if not is_real_field(ref):
                if ref is None and out.get(field) is not None:
                    discrete.append((c, "%s: reference null, pgoracle %s" % (field, json.dumps(out.get(field)))))
                continue
            got = out.get(field)
            if got is None:
                skipped += 1      # not reported (fisher of conjugate gradient) or null
                continue
            e = field_error(ref, got, c["scalar"])
            stats[key].append(e)
            kappa = kappas.get(field)
            if kappa is not None:
                try:
                    ce = check_error(ref, got, c["scalar"])
                    kstats.setdefault(key, []).append(ce / max(float(kappa), 1.0))
                except (TypeError, ValueError):
                    kappa = None
            if e > THRESHOLD:
                over.append((c, field, e, kappa))

    for scalar in ("f64", "f32"):
        print()
        print("%s: normwise relative error / eps (eps = %s)" % (scalar, "2^-52" if scalar == "f64" else "2^-23"))
        hdr = "%-26s %6s %8s %8s %8s %10s %5s" % ("operation", "fields", "median", "p90", "p99", "max", ">16")
        if kstats:
            hdr += "  %10s %5s" % ("max/kappa", ">16")
        print(hdr)
        tot = []
        for (sc, op), errs in stats.items():
            if sc != scalar:
                continue
            xs = sorted(errs)
            tot += xs
            row = "%-26s %6d %8s %8s %8s %10s %5d" % (
                op, len(xs), fmt(percentile(xs, 50)), fmt(percentile(xs, 90)), fmt(percentile(xs, 99)),
                fmt(xs[-1] if xs else float("nan")), sum(1 for x in xs if x > THRESHOLD))
            if kstats:
                ks = sorted(kstats.get((sc, op), []))
                row += "  %10s %5d" % (fmt(ks[-1] if ks else float("nan")), sum(1 for x in ks if x > THRESHOLD))
            print(row)
        tot.sort()
        print("%-26s %6d %8s %8s %8s %10s %5d" % (
            "all", len(tot), fmt(percentile(tot, 50)), fmt(percentile(tot, 90)), fmt(percentile(tot, 99)),
            fmt(tot[-1] if tot else float("nan")), sum(1 for x in tot if x > THRESHOLD)))
    if skipped:
        print("(%d fields not reported by pgoracle, e.g. fisher of conjugate gradient, skipped)" % skipped)

    R = None if args.no_diagnostics or not over else load_reference()
    print()
    print("Fields over %d eps: %d" % (THRESHOLD, len(over)))
    if over:
        print("%-34s %-24s %-16s %-5s %10s %9s %9s %9s %9s" % (
            "case", "class", "field", "mok", "err/eps", "kappa", "cond", "noise", "err@pg"))
    for c, field, e, kappa in sorted(over, key=lambda t: (t[0]["operation"], -t[2])):
        noise = input_noise(R, c, field) if R else float("nan")
        atpg = error_at_pg_theta_value(R, c, results[c["id"]], field) if R else float("nan")
        cond = c.get("conditioning")
        print("%-34s %-24s %-16s %-5s %10s %9s %9s %9s %9s" % (
            c["id"], case_class(c), field, "yes" if c.get("margins_ok", True) else "no", fmt(e),
            "-" if kappa is None else fmt(float(kappa)), "-" if cond is None else fmt(float(cond)),
            fmt(noise), fmt(atpg)))
    print()
    print("Discrete disagreements (error vs output, error kind, steps/accepted, null): %d" % len(discrete))
    for c, what in discrete:
        cond = c.get("conditioning")
        print("  %-34s %-24s mok=%-3s%s %s" % (
            c["id"], case_class(c), "yes" if c.get("margins_ok", True) else "no",
            "" if cond is None else " cond=%s" % cond, what))
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:   # a report: never fail the caller
        sys.stdout.write("adversarial_report: %s: %s\n" % (type(exc).__name__, exc))
    sys.exit(0)
