"""Print a golden file's tests (e.g. one written by `pgoracle hunt --out`) as oracle cases, one
JSON object per line, for a candidate's standard input (Python standard library only).

    python3 tools/hunt/cases.py found.json | CANDIDATE > results.jsonl
    pgoracle check found.json results.jsonl
"""
import json
import sys

for group in json.load(open(sys.argv[1]))["test_groups"]:
    for t in group["tests"]:
        case = {k: t[k] for k in ("id", "operation", "scalar", "profile", "conventions", "input") if k in t}
        print(json.dumps(case))
