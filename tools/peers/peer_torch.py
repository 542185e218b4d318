"""torch 2.15: clip_grad_norm_, clip_grad_value_, kl_divergence of Categorical(probs=...) and Normal.

Each case calls the public torch function once, with torch's defaults (norm_type=2,
error_if_nonfinite=False, foreach=None, distribution argument validation on). A ValueError /
RuntimeError raised by torch is recorded as peer_output {"error": {...}}.
"""
from __future__ import annotations

import math

import numpy as np
import torch as th
from torch.distributions import Categorical, Normal, kl_divergence

from peerlib import sca, vec, torch_dtype

INF, NAN = math.inf, math.nan


def _in(x, scalar):
    """Input number in the case's precision (np.float32 for f32 so the writer prints f32)."""
    if isinstance(x, (list, tuple)):
        return [_in(v, scalar) for v in x]
    return np.float32(x) if scalar == "f32" else float(x)


def _t(v, scalar):
    return th.tensor(np.asarray(v, dtype=np.float64), dtype=torch_dtype(scalar)) if scalar == "f64" else \
        th.tensor(np.asarray(v, dtype=np.float32))


def run(op, scalar, inp):
    try:
        if op == "scale_gradient":
            x = th.zeros(len(inp["grad"]), dtype=torch_dtype(scalar), requires_grad=True)
            x.grad = _t(inp["grad"], scalar)
            tn = th.nn.utils.clip_grad_norm_([x], max_norm=inp["l2_max"], norm_type=2)
            return {"grad": vec(x.grad, scalar), "total_norm": sca(tn, scalar)}
        if op == "clip_gradient":
            x = th.zeros(len(inp["grad"]), dtype=torch_dtype(scalar), requires_grad=True)
            x.grad = _t(inp["grad"], scalar)
            r = th.nn.utils.clip_grad_value_([x], clip_value=inp["clip_value"])
            assert r is None
            return {"grad": vec(x.grad, scalar)}
        if op == "kl_categorical":
            p = Categorical(probs=_t(inp["p"], scalar))
            q = Categorical(probs=_t(inp["q"], scalar))
            return {"kl": sca(kl_divergence(p, q), scalar)}
        if op == "kl_gaussian":
            p = Normal(_t(inp["mean_p"], scalar), _t(inp["std_p"], scalar))
            q = Normal(_t(inp["mean_q"], scalar), _t(inp["std_q"], scalar))
            return {"kl": sca(kl_divergence(p, q), scalar)}
    except (ValueError, RuntimeError) as e:
        return {"error": {"type": type(e).__name__, "message": str(e).splitlines()[0][:300]}}
    raise KeyError(op)


def cases():
    """(name, op, input, scalars) — inputs as Python floats; f32 cases get them rounded to f32."""
    rng = np.random.default_rng(3701)
    out = []
    both = ("f32", "f64")
    # scale_gradient = clip_grad_norm_
    for k in range(12):
        n = int(rng.integers(1, 9))
        g = list(rng.normal(0, 1, n) * 10.0 ** rng.uniform(-3, 3))
        nrm = float(np.linalg.norm(g))
        l2 = float(nrm * [0.1, 0.5, 0.9, 1.5, 3.0][k % 5])
        out.append((f"random-{k:02d}", "scale_gradient", {"grad": g, "l2_max": l2}, both))
    out += [
        ("book-3-4", "scale_gradient", {"grad": [3.0, 4.0], "l2_max": 1.0}, both),
        ("norm-equals-l2max", "scale_gradient", {"grad": [0.6, 0.8], "l2_max": 1.0}, both),
        ("zero-grad", "scale_gradient", {"grad": [0.0, 0.0, 0.0], "l2_max": 1.0}, both),
        ("zero-grad-zero-l2max", "scale_gradient", {"grad": [0.0, 0.0], "l2_max": 0.0}, both),
        ("zero-l2max", "scale_gradient", {"grad": [1.0, -2.0], "l2_max": 0.0}, both),
        ("negative-l2max", "scale_gradient", {"grad": [3.0, 4.0], "l2_max": -1.0}, both),
        ("overflow-1e200", "scale_gradient", {"grad": [1e200, 1e200, 0.0], "l2_max": 1.0}, ("f64",)),
        ("overflow-1e20", "scale_gradient", {"grad": [1e20, 1e20, 0.0], "l2_max": 1.0}, ("f32",)),
        ("underflow-1e-200", "scale_gradient", {"grad": [1e-200, -1e-200], "l2_max": 1e-210}, ("f64",)),
        ("underflow-1e-30", "scale_gradient", {"grad": [1e-30, -1e-30], "l2_max": 1e-35}, ("f32",)),
        ("inf-entry", "scale_gradient", {"grad": [INF, 1.0, -2.0], "l2_max": 1.0}, both),
        ("nan-entry", "scale_gradient", {"grad": [NAN, 1.0], "l2_max": 1.0}, both),
    ]
    # clip_gradient = clip_grad_value_
    for k in range(6):
        n = int(rng.integers(1, 9))
        out.append((f"random-{k:02d}", "clip_gradient",
                    {"grad": list(rng.normal(0, 2, n)), "clip_value": float(rng.uniform(0.1, 3))}, both))
    out += [
        ("negative-clip-value", "clip_gradient", {"grad": [-3.0, 0.5, 2.0], "clip_value": -1.0}, both),
        ("zero-clip-value", "clip_gradient", {"grad": [-3.0, 0.5, 2.0], "clip_value": 0.0}, both),
        ("nan-entry", "clip_gradient", {"grad": [NAN, 5.0, -5.0], "clip_value": 1.0}, both),
        ("inf-entries", "clip_gradient", {"grad": [INF, -INF, 0.25], "clip_value": 1.0}, both),
    ]
    # kl_categorical
    for k in range(8):
        n = int(rng.integers(2, 6))
        out.append((f"random-{k:02d}", "kl_categorical",
                    {"p": list(rng.dirichlet(np.ones(n))), "q": list(rng.dirichlet(np.ones(n)))}, both))
    out += [
        ("issue17-q-1e-20", "kl_categorical", {"p": [0.5, 0.5], "q": [1.0, 1e-20]}, both),
        ("q-1e-10", "kl_categorical", {"p": [0.5, 0.5], "q": [1.0, 1e-10]}, both),
        ("q-1e-5", "kl_categorical", {"p": [0.5, 0.5], "q": [1.0, 1e-5]}, both),
        ("q-zero", "kl_categorical", {"p": [0.5, 0.5], "q": [1.0, 0.0]}, both),
        ("p-zero", "kl_categorical", {"p": [1.0, 0.0], "q": [0.5, 0.5]}, both),
        ("p-and-q-zero", "kl_categorical", {"p": [1.0, 0.0], "q": [1.0, 0.0]}, both),
        ("unnormalized", "kl_categorical", {"p": [1.0, 1.0], "q": [3.0, 1.0]}, both),
        ("negative-prob", "kl_categorical", {"p": [1.5, -0.5], "q": [0.5, 0.5]}, both),
        ("p-near-one", "kl_categorical", {"p": [1 - 1e-12, 1e-12], "q": [0.5, 0.5]}, both),
    ]
    # kl_gaussian
    for k in range(8):
        out.append((f"random-{k:02d}", "kl_gaussian",
                    {"mean_p": float(rng.normal()), "std_p": float(np.exp(rng.uniform(-2, 2))),
                     "mean_q": float(rng.normal()), "std_q": float(np.exp(rng.uniform(-2, 2)))}, both))
    out += [
        ("issue17-1e-150-vs-1e150", "kl_gaussian", {"mean_p": 0.0, "std_p": 1e-150, "mean_q": 0.0, "std_q": 1e150},
         ("f64",)),
        ("1e150-vs-1e-150", "kl_gaussian", {"mean_p": 0.0, "std_p": 1e150, "mean_q": 0.0, "std_q": 1e-150},
         ("f64",)),
        ("1e-20-vs-1e20", "kl_gaussian", {"mean_p": 0.0, "std_p": 1e-20, "mean_q": 0.0, "std_q": 1e20}, ("f32",)),
        ("1e-160-vs-1", "kl_gaussian", {"mean_p": 0.0, "std_p": 1e-160, "mean_q": 0.0, "std_q": 1.0}, ("f64",)),
        ("same", "kl_gaussian", {"mean_p": 0.3, "std_p": 0.7, "mean_q": 0.3, "std_q": 0.7}, both),
        ("close-sigmas", "kl_gaussian", {"mean_p": 0.0, "std_p": 1.0, "mean_q": 0.0, "std_q": 1.0 + 1e-7}, both),
        ("mean-diff-1e200", "kl_gaussian", {"mean_p": 1e200, "std_p": 1.0, "mean_q": -1e200, "std_q": 1.0},
         ("f64",)),
        ("zero-std", "kl_gaussian", {"mean_p": 0.0, "std_p": 0.0, "mean_q": 0.0, "std_q": 1.0}, both),
    ]
    return out


def records(ver):
    recs = []
    for name, op, inp, scalars in cases():
        for scalar in scalars:
            i2 = {k: _in(v, scalar) for k, v in inp.items()}
            out = run(op, scalar, i2)
            recs.append({"id": f"torch-{op}-{name}-{scalar}", "operation": op, "profile": "torch", "scalar": scalar,
                         "input": i2, "peer_output": out, "versions": ver})
    return recs
