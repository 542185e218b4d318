"""`pgoracle hunt` candidate: one real sb3-contrib TRPO.train() update as `trust_region_update`
under the `sb3` profile.

    pgoracle hunt --profile sb3 --operation trust_region_update --timeout 60 \
        --candidate 'target/peers-venv/bin/python tools/hunt/sb3_trpo.py'

It calls tools/peers/peer_trpo.run (the recording harness, docs/peers.md): a real TRPO model
configured through its public options, its RolloutBuffer filled with the case's samples,
train()'s locals read when it returns. CG starts at the case's `cg_start` when given (SB3's
1e-4·randn replaced by it), else at 0 (the hunt's cases have no `cg_start`). A batch of one is
reached as record.py reaches it: n_steps 2 with the sample twice, sub_sampling_factor 2. A
Python exception of the peer is printed as an error whose kind is the exception's type
(ZeroDivisionError, ValueError, ...): pgoracle's kinds are never claimed.
"""
import json, os, sys

out = os.fdopen(os.dup(1), "w")  # results go to the real stdout; anything SB3 prints, to stderr
os.dup2(2, 1)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
import peer_trpo  # noqa: E402
from peerlib import dumps  # noqa: E402

for line in sys.stdin:
    case = json.loads(line)
    inp, scalar = case["input"], case.get("scalar", "f64")
    family = inp["policy"]["family"]
    z = [v / 1e-4 for v in inp["cg_start"]] if "cg_start" in inp else None
    try:
        if len(inp["samples"]) == 1:
            two = dict(inp, samples=inp["samples"] * 2)
            res, _ = peer_trpo.run(family, scalar, two, z, sub_sampling_factor=2, n_steps=2)
        else:
            res, _ = peer_trpo.run(family, scalar, inp, z)
    except Exception as e:  # noqa: BLE001 - the peer's own error is its answer
        res = {"error": {"type": type(e).__name__, "message": str(e)[:200]}}
    if "error" in res:
        res = {"error": {"kind": res["error"]["type"], "message": res["error"]["message"]}}
    else:
        res = {"output": res}
    print(dumps(dict({"id": case["id"], "operation": case["operation"]}, **res)), file=out, flush=True)
