"""`pgoracle hunt` candidate: the real torch.nn.utils.clip_grad_norm_ as `scale_gradient`.

    pgoracle hunt --profile torch --operation scale_gradient --timeout 60 \
        --candidate 'target/peers-venv/bin/python tools/hunt/torch_clip_grad_norm.py'

One case per line in, one result per line out (docs/hunting.md). torch's defaults
(norm_type=2, error_if_nonfinite=False, foreach=None). `total_norm` (the return value) is
printed only for `profile: "torch"` cases, whose output has it; the book's has `grad` only.
"""
import json, math, os, sys
import torch

out = os.fdopen(os.dup(1), "w")  # results go to the real stdout; anything torch prints, to stderr
os.dup2(2, 1)


def num(x):  # the interface's non-finite strings
    return x if math.isfinite(x) else ("NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity"))


def parse(x):
    return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(x, x))


for line in sys.stdin:
    case = json.loads(line)
    x = case["input"]
    dtype = torch.float32 if case.get("scalar") == "f32" else torch.float64
    result = {"id": case["id"], "operation": case["operation"]}
    try:
        p = torch.zeros(len(x["grad"]), dtype=dtype, requires_grad=True)
        p.grad = torch.tensor([parse(v) for v in x["grad"]], dtype=dtype)
        total = torch.nn.utils.clip_grad_norm_([p], max_norm=parse(x["l2_max"]))
        result["output"] = {"grad": [num(v) for v in p.grad.tolist()]}
        if case.get("profile") == "torch":
            result["output"]["total_norm"] = num(total.item())
    except (RuntimeError, ValueError) as e:
        result["error"] = {"kind": type(e).__name__, "message": str(e).splitlines()[0][:200]}
    print(json.dumps(result), file=out, flush=True)
