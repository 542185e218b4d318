"""Hypothesis strategies for oracle inputs (needs ``hypothesis``; imported only on use).

``inputs(operation, scalar="f64")`` draws keyword arguments for the operation function of that
name (``pgoracle.natural_update(**kwargs)``, ...): NumPy arrays in the scalar's dtype and policy
and solver objects, valid for the interface's document rules, so that every draw is either an
output or a typed :class:`pgoracle.PgError` (never a ``DocumentError``). Values span many
magnitudes (``magnitudes``), the fuzzing the oracle is for: zero gradients, singular Fisher
matrices, cancelling sums. Use them to fuzz your own implementation against pgoracle::

    from hypothesis import given
    from pgoracle import strategies
    from pgoracle.testing import assert_matches

    @given(strategies.inputs("natural_update"))
    def test_mine(kwargs):
        ...
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np
from hypothesis import strategies as st

from ._ops import ConjugateGradient, Damped, Exact, Gaussian, LinearGaussian, PseudoInverse, Softmax

__all__ = ["OPERATIONS", "magnitudes", "vectors", "inputs"]

#: The operations ``inputs`` draws for.
OPERATIONS = (
    "gradient_ascent", "scale_gradient", "clip_gradient", "restricted_step", "fisher",
    "natural_update", "score", "likelihood_ratio_gradient", "restricted_update",
    "natural_policy_update", "policy_kl", "surrogate_objective", "surrogate_constraint",
    "trust_region_update", "clamped_objective", "clamped_gradient", "kl_penalty_objective",
    "clamped_update", "kl_categorical", "kl_gaussian",
)


def _small(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Numbers in [lo, hi] rounded to float32 (exact in both precisions)."""
    return st.floats(min_value=lo, max_value=hi).map(lambda x: float(np.float32(x)))


def _dtype(scalar: str) -> Any:
    return np.float32 if scalar == "f32" else np.float64


def magnitudes(scalar: str = "f64", *, positive: bool = False) -> st.SearchStrategy[float]:
    """Finite numbers of the scalar's width, half of them of moderate size and half anywhere in
    the range (subnormals and values near the largest included), with exact zeros."""
    wide = st.floats(allow_nan=False, allow_infinity=False, width=32 if scalar == "f32" else 64)
    moderate = _small(-1e3, 1e3)
    x = st.one_of(moderate, wide, st.just(0.0))
    if positive:
        x = x.map(abs).filter(lambda v: v > 0.0)
    return x


def vectors(n: int, scalar: str = "f64", *, positive: bool = False) -> st.SearchStrategy[np.ndarray]:
    """Vectors of length n in the scalar's dtype."""
    return st.lists(magnitudes(scalar, positive=positive), min_size=n, max_size=n).map(
        lambda xs: np.array(xs, dtype=_dtype(scalar)))


def _matrices(rows: int, n: int, scalar: str) -> st.SearchStrategy[np.ndarray]:
    return st.lists(vectors(n, scalar), min_size=rows, max_size=rows).map(np.stack)


def _probabilities(n: int, scalar: str) -> st.SearchStrategy[np.ndarray]:
    def normalise(xs: Any) -> np.ndarray:
        p = np.array(xs, dtype=np.float64)
        p = p / p.sum()
        return p.astype(_dtype(scalar))
    weights = st.lists(st.floats(min_value=1e-6, max_value=1.0), min_size=n, max_size=n)
    return weights.map(normalise)


@st.composite
def _trajectories(draw: Any, policy: Any, scalar: str) -> Any:
    m = draw(st.integers(1, 4))
    out = []
    for _ in range(m):
        d = draw(st.integers(1, 4))
        steps = []
        for _ in range(d):
            r = float(draw(_small(-10.0, 10.0)))
            if isinstance(policy, Softmax):
                s = draw(st.integers(0, policy.n_states - 1))
                a = draw(st.integers(0, policy.n_actions - 1))
            else:
                s = float(draw(_small(-3, 3)))
                a = float(draw(_small(-3, 3)))
            steps.append((s, a, r))
        out.append(steps)
    return out


@st.composite
def _policy_and_theta(draw: Any, scalar: str) -> Any:
    kind = draw(st.sampled_from(["gaussian", "linear_gaussian", "softmax"]))
    dtype = _dtype(scalar)
    policy: Any
    if kind == "softmax":
        policy = Softmax(draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        theta = np.array(draw(st.lists(_small(-3, 3), min_size=policy.n_states * policy.n_actions,
                                       max_size=policy.n_states * policy.n_actions)), dtype=dtype)
    else:
        policy = Gaussian() if kind == "gaussian" else LinearGaussian()
        theta = np.array([draw(_small(-3, 3)), draw(_small(0.1, 3))], dtype=dtype)
    return policy, theta


def _solvers() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.just(Exact()),
        st.floats(min_value=1e-6, max_value=1.0).map(Damped),
        st.floats(min_value=0.0, max_value=1e-3).map(PseudoInverse),
        st.builds(ConjugateGradient, st.integers(1, 20), st.floats(min_value=1e-12, max_value=1e-3)),
    )


@st.composite
def inputs(draw: Any, operation: str, scalar: str = "f64") -> Dict[str, Any]:
    """Keyword arguments for ``pgoracle.<operation>`` (see the module's docs)."""
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r} (one of {', '.join(OPERATIONS)})")
    dtype = _dtype(scalar)
    n = draw(st.integers(1, 4))
    pos = _small(1e-3, 10.0).map(dtype)
    if operation == "gradient_ascent":
        return {"theta": draw(vectors(n, scalar)), "grad": draw(vectors(n, scalar)), "alpha": draw(pos)}
    if operation == "scale_gradient":
        return {"grad": draw(vectors(n, scalar)), "l2_max": draw(pos)}
    if operation == "clip_gradient":
        lo = draw(_small(-10, 0))
        return {"grad": draw(vectors(n, scalar)), "lo": dtype(lo), "hi": dtype(lo + draw(_small(0, 10)))}
    if operation == "restricted_step":
        return {"theta": draw(vectors(n, scalar)), "grad": draw(vectors(n, scalar)), "epsilon": draw(pos)}
    if operation in ("fisher", "natural_update"):
        m = draw(st.integers(1, 5))
        scores = draw(_matrices(m, n, scalar))
        if operation == "fisher":
            return {"scores": scores}
        return {"theta": draw(vectors(n, scalar)), "grads": draw(_matrices(m, n, scalar)), "scores": scores,
                "epsilon": draw(pos), "solver": draw(_solvers())}
    if operation == "kl_categorical":
        k = draw(st.integers(1, 5))
        return {"p": draw(_probabilities(k, scalar)), "q": draw(_probabilities(k, scalar))}
    if operation == "kl_gaussian":
        return {"mean_p": dtype(draw(_small(-5.0, 5.0))), "std_p": draw(pos),
                "mean_q": dtype(draw(_small(-5.0, 5.0))), "std_q": draw(pos)}
    policy, theta = draw(_policy_and_theta(scalar))
    theta_prime = theta + np.array(draw(st.lists(_small(-0.5, 0.5), min_size=theta.size,
                                                  max_size=theta.size)), dtype=dtype)
    if not isinstance(policy, Softmax):
        theta_prime[1] = abs(theta_prime[1]) + dtype(0.05)
    if operation == "policy_kl":
        s = draw(st.integers(0, policy.n_states - 1)) if isinstance(policy, Softmax) else dtype(draw(_small(-3.0, 3.0)))
        return {"policy": policy, "theta": theta, "theta_prime": theta_prime, "s": s}
    trajectories = draw(_trajectories(policy, scalar))
    gamma = dtype(draw(_small(0.5, 1.0)))
    base: Dict[str, Any] = {"policy": policy, "theta": theta, "trajectories": trajectories}
    if operation == "score":
        return base
    base["gamma"] = gamma
    if operation == "likelihood_ratio_gradient":
        return base
    if operation in ("restricted_update", "natural_policy_update"):
        base["epsilon"] = draw(pos)
        if operation == "natural_policy_update":
            base["solver"] = draw(_solvers())
        return base
    if operation == "trust_region_update":
        base.update(epsilon=draw(pos), alpha=dtype(0.5), max_steps=draw(st.integers(0, 20)),
                    solver=draw(_solvers()))
        return base
    base["theta_prime"] = theta_prime
    if operation in ("surrogate_objective", "surrogate_constraint"):
        return base
    if operation == "kl_penalty_objective":
        base["beta"] = draw(pos)
        return base
    base["epsilon"] = dtype(draw(_small(0.05, 0.5)))
    if operation == "clamped_update":
        del base["theta_prime"]
        base.update(alpha=draw(pos), k_max=draw(st.integers(0, 5)))
    return base
