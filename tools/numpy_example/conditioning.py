"""Is a candidate's error explained by the conditioning of the problem? (issue #16, item 4)

    python3 tools/numpy_example/conditioning.py golden/ results.json [--ids ID ...] [--all] [--jobs N]

For each golden case with an expected output (by default those whose error exceeds the golden
tolerance; --all: every case; --ids: the given ones) and each real output field y, it prints

  err    the candidate's normwise relative error max_j |got_j - y_j| / max_j |y_j|, against the
         golden file's 40-digit `reference` values (the exact result of the exact binary inputs);
  kappa  the componentwise condition number of the field,
         max_j sum_i |dy_j/dx_i| |x_i| / max_j |y_j|,
         over every real input x_i (thetas, rewards, actions, states of the Gaussian families,
         scores, grads, gamma, epsilon, alpha, beta, lo/hi, l2_max, damping, ...; not the integer
         indices, max_steps, k_max, max_iters, nor the thresholds tol and rcond). The derivatives
         are finite differences of tools/reference/mp_reference.py (imported, not modified) at
         60 digits with relative steps of +-1e-25 (the larger one-sided value, so a kink such as
         an entry exactly on a clip bound counts its steeper side);
  ratio  err / (kappa * eps), eps = 2^-52 (f64) or 2^-23 (f32). A backward-stable evaluation of a
         formula with a few operations per input stays below ~16 (the golden tolerance's 16 kappa eps).
  kappa(F) the golden file's conditioning of the natural-gradient system, where there is one. The
         solve is backward stable in F, not in the scores F is made from (F = S^T S / m rounds its
         entries independently, like the normal equations of least squares), so a direction's error
         is bounded by ~kappa(F) eps rather than by the componentwise kappa of the scores.
"""
import argparse
import json
import os
import sys
from multiprocessing import Pool

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import mp_reference as R  # noqa: E402
from mpmath import mp, mpf  # noqa: E402

FD_DPS = 60
H = mpf("1e-25")
SKIP_KEYS = {"n_states", "n_actions", "max_steps", "k_max", "max_iters", "family", "kind", "strict",
             "tol", "rcond"}
EPS = {"f64": 2.0 ** -52, "f32": 2.0 ** -23}


def real_paths(inp, softmax, path=()):
    """Paths of the real-valued inputs that a perturbation may move."""
    out = []
    if isinstance(inp, dict):
        for k, v in inp.items():
            if k in SKIP_KEYS or (softmax and k in ("s", "a")):
                continue
            out += real_paths(v, softmax, path + (k,))
    elif isinstance(inp, list):
        for i, v in enumerate(inp):
            out += real_paths(v, softmax, path + (i,))
    elif isinstance(inp, (int, float)) and not isinstance(inp, bool):
        out.append(path)
    return out


def get(d, path):
    for p in path:
        d = d[p]
    return d


def with_value(inp, path, value):
    cp = json.loads(json.dumps(inp))
    d = cp
    for p in path[:-1]:
        d = d[p]
    d[path[-1]] = value
    return cp


def flat(v):
    if isinstance(v, list):
        return [y for x in v for y in flat(x)]
    return [v]


def evaluate(op, inp):
    del R._MARGINS[:]
    return R.evaluate(op, inp)


def kappa_of_case(case):
    op, inp = case["operation"], case["input"]
    softmax = isinstance(inp.get("policy"), dict) and inp["policy"].get("family") == "softmax"
    with mp.workdps(FD_DPS):
        base = evaluate(op, inp)
        fields = {k: flat(v) for k, v in base.items() if flat(v) and all(isinstance(x, mp.mpf) for x in flat(v))}
        sens = {k: [mpf(0)] * len(v) for k, v in fields.items()}
        for path in real_paths(inp, softmax):
            x = mpf(get(inp, path))
            if x == 0:
                continue
            sides = []
            for sgn in (1, -1):
                try:
                    sides.append(evaluate(op, with_value(inp, path, x * (1 + sgn * H))))
                except R.RefError:
                    pass
            for k in fields:
                for j, y in enumerate(fields[k]):
                    d = mpf(0)
                    for out in sides:
                        v = flat(out[k])
                        if len(v) == len(fields[k]) and isinstance(v[j], mp.mpf):
                            d = max(d, abs(v[j] - y) / H)
                    sens[k][j] += d
        res = {}
        for k, ys in fields.items():
            big = max(abs(y) for y in ys)
            res[k] = float(max(sens[k]) / big) if big != 0 else float("inf")
        return res


def field_error(got, ref):
    g = [float(x) for x in flat(got)]
    r = [mpf(x) for x in flat(ref)]
    big = max(abs(x) for x in r)
    err = max(abs(mpf(a) - b) for a, b in zip(g, r))
    return float(err / big) if big != 0 else float(err)


def job(args):
    case, result = args
    kap = kappa_of_case(case)
    rows = []
    out = result.get("output", {})
    for k, ref in case["reference"].items():
        if k not in kap or k not in out or out[k] is None:
            continue
        err = field_error(out[k], ref)
        eps = EPS[case["scalar"]]
        ratio = err / (kap[k] * eps) if kap[k] > 0 else (0.0 if err == 0 else float("inf"))
        rows.append((case["id"], k, err, kap[k], ratio, err > case["tolerance"]["rel"],
                     case["tolerance"].get("conditioning", "")))
    return rows


def golden_tests(path):
    files = [path] if os.path.isfile(path) else sorted(
        os.path.join(path, f) for f in os.listdir(path) if f.endswith(".json"))
    for name in files:
        doc = json.load(open(name))
        for g in doc["test_groups"]:
            for t in g["tests"]:
                yield t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("golden")
    ap.add_argument("results")
    ap.add_argument("--ids", nargs="*")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--top", type=int, default=15, help="with --all: print the N largest ratios")
    args = ap.parse_args()
    results = {r["id"]: r for r in json.load(open(args.results))}
    todo = []
    for t in golden_tests(args.golden):
        if "expected" not in t or "reference" not in t:
            continue
        r = results.get(t["id"], {})
        if "output" not in r:
            continue
        if args.ids is not None and t["id"] not in args.ids:
            continue
        if args.ids is None and not args.all:
            if not any(k in r["output"] and r["output"][k] is not None and not isinstance(r["output"][k], bool)
                       and not isinstance(r["output"][k], int)
                       and field_error(r["output"][k], v) > t["tolerance"]["rel"]
                       for k, v in t["reference"].items() if v is not None and not isinstance(v, (bool, int))):
                continue
        todo.append((t, r))
    with Pool(args.jobs) as pool:
        rows = [row for rs in pool.map(job, todo, chunksize=1) for row in rs]
    print("%d cases, %d fields" % (len(todo), len(rows)))
    show = rows
    if args.all:
        show = sorted(rows, key=lambda r: -r[4])[:args.top]
        print("largest err/(kappa eps):")
    print("%-40s %-14s %10s %10s %10s %10s  %s" % ("id", "field", "err", "kappa", "err/k.eps", "kappa(F)",
                                                  "outside golden tol"))
    for cid, k, err, kap, ratio, out, kf in show:
        print("%-40s %-14s %10.3e %10.3e %10.2f %10s  %s" % (cid, k, err, kap, ratio, kf, "yes" if out else ""))
    if args.all:
        over = [r for r in rows if r[4] > 16]
        print("fields with err > 16 kappa eps: %d" % len(over))


if __name__ == "__main__":
    main()
