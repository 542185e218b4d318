"""Record what the real peers compute (issue #17) into tests/peers/*.json.

    target/peers-venv/bin/python tools/peers/record.py [--out tests/peers] [trpo ppo torch explain]

Every recording is a profiles.md case ({id, operation, profile, scalar, conventions?, input}) plus
"peer_output" (the peer's outputs under the spec's names, θ order), "peer_extra" (what else the
harness saw: SB3-order layout, old log-probs, batch order, CG counts, ...), "versions".
Numbers the peer held in float32 are written as the shortest float32 decimal, numbers it held in
float64 (SB3's line_search_max_step_size, Python hyper-parameters) as the shortest float64 one.
Deterministic: the same venv gives byte-identical files.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch as th

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peerlib import in_precision, versions, write_recording  # noqa: E402

N_TRPO = 48  # generated cases per family (per scalar)


def trpo_records(ver):
    import peer_trpo as T

    recs = []
    for family, seed in (("softmax", 1701), ("gaussian_log_std", 1702)):
        rng = np.random.default_rng(seed)
        fam_short = "softmax" if family == "softmax" else "gls"
        for k in range(N_TRPO):
            inp, z = T.gen_input(rng, family, k)
            for scalar in ("f32", "f64"):
                i2 = in_precision(inp, scalar)
                if z is not None:
                    i2["cg_start"] = list(T.cg_start_from_z(z, scalar).numpy())
                    if scalar == "f64":
                        i2["cg_start"] = [float(v) for v in i2["cg_start"]]
                out, extra = T.run(family, scalar, i2, z, seed=k)
                if z is not None:
                    extra["cg_start_z"] = z
                recs.append({"id": f"sb3-trpo-{fam_short}-{k:02d}-{scalar}", "operation": "trust_region_update",
                             "profile": "sb3", "scalar": scalar, "input": i2, "peer_output": out,
                             "peer_extra": extra, "versions": ver})
    # Finding: exact gradient zero, N(0, 1) (issue 17). cg_start = SB3's own draw after
    # th.manual_seed(seed) (x0 = 1e-4 * randn_like(b), b in SB3 order [log_std, mu]).
    base = T.finding_zero_gradient_inputs()
    for seed in range(10):
        for scalar in ("f32", "f64"):
            th.manual_seed(seed)
            z_sb3 = th.randn(2, dtype=th.float32 if scalar == "f32" else th.float64)
            z = [float(z_sb3[1]), float(z_sb3[0])]  # θ order [mu, log_std]
            i2 = in_precision(base, scalar)
            cg0 = T.cg_start_from_z(z, scalar).numpy()
            i2["cg_start"] = list(cg0) if scalar == "f32" else [float(v) for v in cg0]
            out, extra = T.run("gaussian_log_std", scalar, i2, z, seed=seed)
            extra["cg_start_z"] = z
            extra["finding"] = ("exact gradient zero: SB3 draws x0 = 1e-4*randn after th.manual_seed(%d); "
                                "sigma after = %r" % (seed, float(np.exp(float(out["theta"][1])))))
            recs.append({"id": f"sb3-trpo-finding-zero-gradient-seed{seed}-{scalar}",
                         "operation": "trust_region_update", "profile": "sb3", "scalar": scalar, "input": i2,
                         "peer_output": out, "peer_extra": extra, "versions": ver})
    # Finding: a batch of one with normalize_advantage (sample std of one element = NaN).
    # Reached through SB3's own sub_sampling_factor: n_steps=2 identical samples,
    # sub_sampling_factor=2 -> train() sees one sample (trpo.py:245-253); TRPO's constructor
    # assert (n_steps*n_envs > 1) is satisfied.
    for family in ("softmax", "gaussian_log_std"):
        for scalar in ("f32", "f64"):
            if family == "softmax":
                pol = {"family": "softmax", "n_states": 1, "n_actions": 3}
                samp = {"s": 0, "a": 1, "advantage": 0.5}
                theta = [0.125, -0.25, 0.375]
            else:
                pol = {"family": "gaussian_log_std"}
                samp = {"s": 0, "a": 0.25, "advantage": 0.5}
                theta = [0.0, 0.0]
            i2 = in_precision({"policy": pol, "theta": theta, "samples": [samp], "normalize_advantage": True},
                              scalar)
            run_inp = dict(i2, samples=[samp, samp])
            th.manual_seed(0)
            z = [0.5] * len(theta)
            out, extra = T.run(family, scalar, run_inp, z, seed=0, sub_sampling_factor=2, n_steps=2)
            extra["how"] = ("n_steps=2 with the sample twice, sub_sampling_factor=2: train() sees a batch of one; "
                            "cg_start not fixed by the case (z=0.5 each, irrelevant: everything is NaN)")
            recs.append({"id": f"sb3-trpo-finding-batch-of-one-{family}-{scalar}",
                         "operation": "trust_region_update", "profile": "sb3", "scalar": scalar, "input": i2,
                         "peer_output": out, "peer_extra": extra, "versions": ver})
    return recs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                  "tests", "peers"))
    ap.add_argument("what", nargs="*", default=["trpo", "ppo", "torch", "explain"])
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    ver = versions()
    jobs = {"trpo": ("sb3_trpo.json", trpo_records)}
    try:
        import peer_ppo
        jobs["ppo"] = ("sb3_ppo.json", peer_ppo.records)
    except ImportError:
        pass
    try:
        import peer_torch
        jobs["torch"] = ("torch.json", peer_torch.records)
    except ImportError:
        pass
    try:
        import peer_explain
        jobs["explain"] = ("explain.json", peer_explain.records)
    except ImportError:
        pass
    for w in a.what:
        fname, fn = jobs[w]
        t = time.time()
        recs = fn(ver)
        path = os.path.join(a.out, fname)
        write_recording(path, recs)
        print(f"{fname}: {len(recs)} recordings, {os.path.getsize(path)} bytes, {time.time() - t:.1f} s",
              file=sys.stderr)


if __name__ == "__main__":
    main()
