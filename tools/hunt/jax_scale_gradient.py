"""`pgoracle hunt` candidate: a `scale_gradient` written with jax.numpy (NOT RUN: jax is not
installed in target/peers-venv). Replace scale_gradient() by the function under test.

    pgoracle hunt --operation scale_gradient --timeout 60 --candidate 'python3 tools/hunt/jax_scale_gradient.py'
"""
import json, math, sys
import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)  # f64 cases need it; JAX computes in f32 otherwise


def scale_gradient(g, l2_max):
    norm = jnp.linalg.norm(g)
    return g * jnp.minimum(l2_max / norm, 1.0) if norm > 0 else g


num = lambda x: x if math.isfinite(x) else ("NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity"))  # noqa: E731
parse = lambda x: float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(x, x))  # noqa: E731
for line in sys.stdin:
    case = json.loads(line)
    dtype = jnp.float32 if case.get("scalar") == "f32" else jnp.float64
    g = jnp.array([parse(v) for v in case["input"]["grad"]], dtype=dtype)
    out = scale_gradient(g, parse(case["input"]["l2_max"]))
    print(json.dumps({"id": case["id"], "operation": case["operation"],
                      "output": {"grad": [num(float(v)) for v in out]}}), flush=True)
