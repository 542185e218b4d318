"""`pgoracle hunt` candidate: tools/numpy_example/natural_update.py's natural_update with its
damping validation removed (the function is imported, not copied).

    pgoracle hunt --operation natural_update --time 60 \
        --candidate 'python3 tools/hunt/numpy_natural_update.py'

The example validates inside natural_update():

    if eps <= 0 or (solver["kind"] == "damped" and solver["damping"] <= 0):
        raise Failure("InvalidParameter")

There is no inner function to call past it, so the wrapper hands the function a damping that
fails that test only: a float subclass whose `<=` is always False. Everything else about the
value is the float's (NumPy computes F + λI with it), so a damping ≤ 0 now reaches the solve.
"""
import json, math, os, sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "numpy_example"))
from natural_update import Failure, natural_update  # noqa: E402


class Unchecked(float):
    def __le__(self, other):  # only the validation compares damping with <=
        return False


def jsonable(v):
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    v = float(v)
    return v if math.isfinite(v) else ("NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))


for line in sys.stdin:
    case = json.loads(line)
    inp = dict(case["input"])
    solver = inp.get("solver", {"kind": "exact"})
    if solver.get("kind") == "damped" and isinstance(solver.get("damping"), (int, float)):
        inp["solver"] = dict(solver, damping=Unchecked(solver["damping"]))
    result = {"id": case["id"], "operation": case["operation"]}
    try:
        with np.errstate(all="ignore"):
            out = natural_update(inp, np.float32 if case.get("scalar") == "f32" else np.float64, "book")
        result["output"] = {k: jsonable(v) for k, v in out.items()}
    except Failure as f:
        result["error"] = {"kind": f.kind}
    except np.linalg.LinAlgError:
        result["error"] = {"kind": "SingularFisher"}
    print(json.dumps(result), flush=True)
