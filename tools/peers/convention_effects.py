#!/usr/bin/env python3
"""How far each sb3 convention alone moves sb3-contrib's TRPO update, measured with pgoracle.

For every float64 recording `sb3-trpo-(softmax|gls)-NN-f64` of `tests/peers/sb3_trpo.json`
whose peer did not raise, the case is evaluated under `"profile": "sb3"` (the full SB3 update,
with SB3's recorded CG start) and again with ONE convention set back to the book's value through
`"conventions"` (or, for the CG start, with `cg_start` removed: x0 = 0). For each variant the
table gives, over the cases where both evaluations succeed, the median and maximum of the
normwise relative difference of `theta`,

    max_i |theta_variant_i - theta_sb3_i| / max_i |theta_sb3_i|,

the number of cases whose `accepted` or `candidates` changed, and the number of evaluations that
are errors. The last rows set all six conventions back at once (and, in the very last, also the
CG start), i.e. the book's conventions on SB3's samples.

Usage (stdlib Python 3.11, no numpy; prints a markdown table, deterministic):

    cargo build --release
    python3 tools/peers/convention_effects.py [--pgoracle target/release/pgoracle] [--recordings tests/peers/sb3_trpo.json]

The binary may also be given by the PGORACLE environment variable.

`--replay` instead prints, per family and precision, how pgoracle's `sb3` answer compares with
the recorded `TRPO.train()` output (same relative difference of `theta`, decisions equal).

`--explain-demo DIR` instead writes the `check --explain` example of docs/peers.md: from
`tests/peers/explain.json`'s `explain-trpo-00-*` recordings (all share one input), a golden file
`DIR/golden.json` whose expected values are pgoracle's book answer (`eval --conditioning`, per
field tolerance eps^(5/8) + 16*kappa*eps) and `DIR/candidates.json` with the real peer outputs
of the control, of the `linesearch_kl` and `fisher` one-offs, and of the control with an injected
bug (grad[0] sign flipped):

    python3 tools/peers/convention_effects.py --explain-demo /tmp/explain
    target/release/pgoracle check --explain --json /tmp/explain/golden.json /tmp/explain/candidates.json

It also writes the same for all 94 candidates of explain.json (`DIR/all/`, one golden file per
operation and precision, `DIR/all-candidates.json`, and `DIR/all-differs.json`: each id's
recorded `differs`).
"""

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ID_RE = re.compile(r"^sb3-trpo-(softmax|gls)-\d\d-f64$")
CASE_KEYS = ("id", "operation", "profile", "scalar", "input")

BOOK = {
    "fisher": "empirical",
    "damping": 0,
    "step_scale": "g_dot_u",
    "linesearch_kl": "old_new",
    "acceptance": "book",
    "normalize_advantage": "none",
}

# (row label, conventions to override, drop cg_start?)
VARIANTS = [
    ("`fisher`: `empirical` (instead of `kl_hessian`)", {"fisher": "empirical"}, False),
    ("`damping`: 0 (instead of 0.1)", {"damping": 0}, False),
    ("`step_scale`: `g_dot_u` (instead of `u_dot_au`)", {"step_scale": "g_dot_u"}, False),
    ("`linesearch_kl`: `old_new` (instead of `new_old`)", {"linesearch_kl": "old_new"}, False),
    ("`acceptance`: `book` (instead of `strict`)", {"acceptance": "book"}, False),
    ("`normalize_advantage`: `none` (instead of `sample_std`)", {"normalize_advantage": "none"}, False),
    ("CG start 0 (`cg_start` removed, instead of SB3's 10⁻⁴·N(0, 1))", {}, True),
    ("all six conventions above at once", dict(BOOK), False),
    ("all six at once and CG start 0", dict(BOOK), True),
]


def load_cases(path):
    with open(path, encoding="utf-8") as f:
        recordings = json.load(f)
    cases = []
    for rec in recordings:
        if not ID_RE.match(rec["id"]):
            continue
        if isinstance(rec.get("peer_output"), dict) and "error" in rec["peer_output"]:
            continue
        cases.append({k: rec[k] for k in CASE_KEYS if k in rec})
    cases.sort(key=lambda c: c["id"])
    return cases


def variant_case(case, conventions, drop_start, tag):
    c = json.loads(json.dumps(case))
    c["id"] = f"{case['id']}#{tag}"
    if conventions:
        c["conventions"] = dict(conventions)
    if drop_start:
        c["input"].pop("cg_start", None)
    return c


def evaluate(binary, cases):
    return evaluate_flags(binary, cases, [])


def evaluate_flags(binary, cases, flags):
    proc = subprocess.run(
        [binary, "eval", *flags, "-"],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"pgoracle eval exited {proc.returncode}: {proc.stderr.strip()}")
    results = json.loads(proc.stdout)
    if isinstance(results, dict):
        results = [results]
    return {r["id"]: r for r in results}


def flatten(v):
    if isinstance(v, list):
        return [y for x in v for y in flatten(x)]
    return [num(v)]


def num(x):
    if isinstance(x, str):
        return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[x]
    return float(x)


def rel_diff(theta, base):
    scale = max(abs(num(b)) for b in base)
    diff = max(abs(num(t) - num(b)) for t, b in zip(theta, base))
    return diff / scale if scale > 0 else diff


def sci(x):
    """Two significant digits, written as in docs/profiles.md (4.6·10⁻²)."""
    if x != x:
        return "NaN"
    if x == math.inf:
        return "∞"
    if x == 0:
        return "0"
    mant, exp = f"{x:.1e}".split("e")
    exp = int(exp)
    if -1 <= exp <= 0:
        return f"{x:.2g}"
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return f"{mant}·10{str(exp).translate(sup)}"


def golden_tests(binary, cases):
    """Golden tests whose expected values are pgoracle's answers to `cases` (book cases of
    explain.json, other keys dropped): eval --conditioning, per field eps^(5/8) + 16*kappa*eps."""
    evaluated = evaluate_flags(binary, [{k: c[k] for k in ("id", "operation", "scalar", "input")}
                                        for c in cases], ["--conditioning"])
    tests = []
    for n, c in enumerate(cases, 1):
        test = {"tc_id": n, "id": c["id"], "operation": c["operation"], "scalar": c["scalar"],
                "comment": "pgoracle's book answer", "source": c.get("source", c["id"]),
                "flags": [], "input": c["input"]}
        result = evaluated[c["id"]]
        if "error" in result:
            test.update(result="error", expected_error=result["error"]["kind"])
        else:
            output = dict(result["output"])
            kappa = output.pop("conditioning")
            eps = 2.0 ** -52 if c["scalar"] == "f64" else 2.0 ** -23
            rel = {k: eps ** 0.625 + 16 * v * eps for k, v in kappa.items()}
            test.update(result="valid", expected=output,
                        tolerance={"rel": rel, "abs": 0, "kappa": kappa})
        tests.append(test)
    return tests


def write_golden(path, tests):
    first = tests[0]
    golden = {
        "schema": "pgoracle-golden-v2", "generator": "tools/peers/convention_effects.py",
        "interface_version": 1, "operation": first["operation"], "book": "",
        "number_of_tests": len(tests), "reference": "pgoracle eval --conditioning",
        "comparison": "tolerance.rel[f] = eps^(5/8) + 16*kappa[f]*eps", "notes": {},
        "test_groups": [{"scalar": first["scalar"], "tests": tests}],
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(golden, f, indent=1, sort_keys=True)
        f.write("\n")


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


def explain_demo(binary, explain_path, out_dir):
    with open(explain_path, encoding="utf-8") as f:
        records = json.load(f)
    recs = {r["id"]: r for r in records}
    os.makedirs(os.path.join(out_dir, "all"), exist_ok=True)

    # The small example: explain-trpo-00's control, two one-offs and an injected bug.
    ids = ["explain-trpo-00-control", "explain-trpo-00-linesearch_kl", "explain-trpo-00-fisher"]
    control = recs[ids[0]]
    candidates = [{"id": i, "operation": control["operation"], "output": recs[i]["peer_output"]}
                  for i in ids]
    bug = json.loads(json.dumps(control["peer_output"]))
    bug["grad"][0] = -bug["grad"][0]
    candidates.append({"id": "explain-trpo-00-bug-grad-sign", "operation": control["operation"],
                       "output": bug})
    cases = [dict(control, id=c["id"], source="tests/peers/explain.json explain-trpo-00-control")
             for c in candidates]
    write_golden(os.path.join(out_dir, "golden.json"), golden_tests(binary, cases))
    write_json(os.path.join(out_dir, "candidates.json"), candidates)

    # Every candidate of explain.json: one golden file per operation and precision in all/.
    groups = {}
    for r in records:
        groups.setdefault((r["operation"], r["scalar"]), []).append(r)
    for (op, sc), group in sorted(groups.items()):
        write_golden(os.path.join(out_dir, "all", f"{op}-{sc}.json"), golden_tests(binary, group))
    write_json(os.path.join(out_dir, "all-candidates.json"),
               [{"id": r["id"], "operation": r["operation"], "output": r["peer_output"]}
                for r in records])
    write_json(os.path.join(out_dir, "all-differs.json"), {r["id"]: r["differs"] for r in records})
    # How far each candidate is from pgoracle's book answer: the largest normwise relative
    # difference over its real fields (∞ for a non-finite one, "error" where the book errs).
    expected = {}
    for (op, sc), group in sorted(groups.items()):
        with open(os.path.join(out_dir, "all", f"{op}-{sc}.json"), encoding="utf-8") as f:
            for t in json.load(f)["test_groups"][0]["tests"]:
                expected[t["id"]] = t
    rows = {}
    for r in records:
        t = expected[r["id"]]
        key = (r["operation"], "control" if r["differs"] == [] else " + ".join(r["differs"] or ["null"]))
        if t["result"] != "valid":
            rows.setdefault(key, []).append(None)
            continue
        worst = 0.0
        for field, want in t["expected"].items():
            got = r["peer_output"].get(field)
            if field in ("steps", "accepted", "departures") or got is None:
                continue
            a, b = flatten(want), flatten(got)
            if not all(math.isfinite(x) for x in a + b):
                worst = math.inf
                continue
            scale = max(abs(x) for x in a) or 1.0
            worst = max(worst, max(abs(x - y) for x, y in zip(a, b)) / scale)
        rows.setdefault(key, []).append(worst)
    print("| operation | differs | cases | min | max |")
    print("|---|---|---|---|---|")
    for (op, name), values in sorted(rows.items()):
        finite = [v for v in values if v is not None]
        errs = len(values) - len(finite)
        lo = sci(min(finite)) if finite else "—"
        hi = sci(max(finite)) if finite else "—"
        note = f" ({errs} book error)" if errs else ""
        print(f"| `{op}` | {name} | {len(values)}{note} | {lo} | {hi} |")
    print()
    print(f"wrote {out_dir}/golden.json, {out_dir}/candidates.json ({len(candidates)} cases); "
          f"{out_dir}/all/ ({len(groups)} golden files), {out_dir}/all-candidates.json and "
          f"{out_dir}/all-differs.json ({len(records)} cases)")


def replay(binary, path):
    """pgoracle's `sb3` answer against the recorded peer output, per family and precision."""
    with open(path, encoding="utf-8") as f:
        recordings = json.load(f)
    recs = [r for r in recordings if re.match(r"^sb3-trpo-(softmax|gls)-\d\d-f(32|64)$", r["id"])]
    res = evaluate(binary, [{k: r[k] for k in CASE_KEYS} for r in recs])
    print("| family | scalar | recordings | peer raised, pgoracle error | pgoracle `ZeroGradient`, peer stepped | "
          "both computed | `accepted` and `candidates` equal | θ median | θ max |")
    print("|---|---|---|---|---|---|---|---|---|")
    for fam in ("softmax", "gls"):
        for sc in ("f32", "f64"):
            group = [r for r in recs if f"-{fam}-" in r["id"] and r["id"].endswith(sc)]
            both_err = zero = same = 0
            diffs = []
            for r in group:
                out, peer = res[r["id"]], r["peer_output"]
                if "error" in peer:
                    both_err += "error" in out
                    continue
                if "error" in out:
                    zero += out["error"]["kind"] == "ZeroGradient"
                    continue
                o = out["output"]
                same += o["accepted"] == peer["accepted"] and o["candidates"] == peer["candidates"]
                diffs.append(rel_diff(o["theta"], peer["theta"]))
            name = "gaussian_log_std" if fam == "gls" else fam
            print(f"| {name} | {sc} | {len(group)} | {both_err} | {zero} | {len(diffs)} | {same} | "
                  f"{sci(statistics.median(diffs))} | {sci(max(diffs))} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pgoracle", default=os.environ.get(
        "PGORACLE", os.path.join(ROOT, "target", "release", "pgoracle")))
    ap.add_argument("--recordings", default=os.path.join(ROOT, "tests", "peers", "sb3_trpo.json"))
    ap.add_argument("--explain-demo", metavar="DIR",
                    help="write the check --explain example (golden.json, candidates.json) to DIR")
    ap.add_argument("--replay", action="store_true",
                    help="instead: pgoracle's sb3 theta against the recorded TRPO.train() theta")
    args = ap.parse_args()
    if args.replay:
        replay(args.pgoracle, args.recordings)
        return
    if args.explain_demo:
        explain_demo(args.pgoracle, os.path.join(ROOT, "tests", "peers", "explain.json"),
                     args.explain_demo)
        return

    cases = load_cases(args.recordings)
    batch = [dict(c) for c in cases]
    for i, (_, conv, drop) in enumerate(VARIANTS):
        batch += [variant_case(c, conv, drop, f"v{i}") for c in cases]
    res = evaluate(args.pgoracle, batch)

    base = {c["id"]: res[c["id"]] for c in cases}
    base_ok = {k: r["output"] for k, r in base.items() if "output" in r}
    base_err = sorted(k for k, r in base.items() if "output" not in r)
    kinds = sorted({base[k]["error"]["kind"] for k in base_err})

    softmax = sum(1 for c in cases if "-softmax-" in c["id"])
    print(f"{len(cases)} f64 recordings without a peer error ({softmax} softmax, "
          f"{len(cases) - softmax} gaussian_log_std); `profile: \"sb3\"` is an error on "
          f"{len(base_err)} of them ({', '.join(kinds) or '—'}: "
          f"{', '.join(k.removeprefix('sb3-trpo-') for k in base_err) or '—'}), "
          f"leaving {len(base_ok)} cases.")
    print()
    print("| set back to the book's, all others SB3's | median | max | `accepted` changed "
          "| `candidates` changed | errors |")
    print("|---|---|---|---|---|---|")
    for i, (label, _, _) in enumerate(VARIANTS):
        diffs, acc, cand, errs = [], 0, 0, 0
        err_kinds = set()
        for c in cases:
            r = res[f"{c['id']}#v{i}"]
            if "output" not in r:
                errs += 1
                err_kinds.add(r["error"]["kind"])
                continue
            b = base_ok.get(c["id"])
            if b is None:
                continue
            o = r["output"]
            diffs.append(rel_diff(o["theta"], b["theta"]))
            acc += o["accepted"] != b["accepted"]
            cand += o["candidates"] != b["candidates"]
        med = sci(statistics.median(diffs)) if diffs else "—"
        mx = sci(max(diffs)) if diffs else "—"
        e = f"{errs} ({', '.join(sorted(err_kinds))})" if errs else "0"
        print(f"| {label} | {med} | {mx} | {acc} | {cand} | {e} |")


if __name__ == "__main__":
    main()
