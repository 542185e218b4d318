"""One function per operation of the oracle interface (versions 1 and 2)."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._convert import INTEGER_FIELDS, Num, as_array, dumps, format_number, numbers, scalar_of, to_array
from ._errors import error_from_result

# ---------------------------------------------------------------------------------------------
# Policies and solvers
# ---------------------------------------------------------------------------------------------


class Policy:
    """A policy family of the interface (``"policy": {"family": ...}``)."""
    family: str = ""

    def to_json(self) -> Dict[str, Any]:
        return {"family": self.family}

    def __repr__(self) -> str:
        return "%s()" % type(self).__name__

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.to_json() == self.to_json()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_json()))


class Gaussian(Policy):
    """θ = [μ, σ], π = N(μ, σ²), s ignored."""
    family = "gaussian"


class LinearGaussian(Policy):
    """θ = [λ, σ], π = N(λ·s, σ²)."""
    family = "linear_gaussian"


class GaussianLogStd(Policy):
    """θ = [μ, log σ] (interface version 2; SB3's diagonal Gaussian)."""
    family = "gaussian_log_std"


class Softmax(Policy):
    """n_states·n_actions logits, row-major by state; s and a are 0-based integers."""
    family = "softmax"

    def __init__(self, n_states: int, n_actions: int) -> None:
        self.n_states = int(n_states)
        self.n_actions = int(n_actions)

    def to_json(self) -> Dict[str, Any]:
        return {"family": "softmax", "n_states": self.n_states, "n_actions": self.n_actions}

    def __repr__(self) -> str:
        return "Softmax(n_states=%d, n_actions=%d)" % (self.n_states, self.n_actions)


class Solver:
    """A natural-gradient solver (``"solver": {"kind": ...}``)."""
    kind: str = ""

    def to_json(self) -> Dict[str, Any]:
        return {"kind": self.kind}

    def __repr__(self) -> str:
        args = ", ".join("%s=%r" % (k, v) for k, v in self.to_json().items() if k != "kind")
        return "%s(%s)" % (type(self).__name__, args)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and repr(other) == repr(self)

    def __hash__(self) -> int:
        return hash(repr(self))


class Exact(Solver):
    """A direct factorisation, as the book's ``\\``; SingularFisher when F is singular."""
    kind = "exact"


class Damped(Solver):
    """(F + λI) u = g, λ > 0."""
    kind = "damped"

    def __init__(self, damping: float) -> None:
        self.damping = damping

    def to_json(self) -> Dict[str, Any]:
        return {"kind": "damped", "damping": self.damping}


class PseudoInverse(Solver):
    """u = F⁺g, dropping singular values below rcond·σ_max."""
    kind = "pseudo_inverse"

    def __init__(self, rcond: float) -> None:
        self.rcond = rcond

    def to_json(self) -> Dict[str, Any]:
        return {"kind": "pseudo_inverse", "rcond": self.rcond}


class ConjugateGradient(Solver):
    """Matrix-free CG on (F + λI) u = g. ``start`` and ``stop`` are version 2's ``cg_start``
    (a vector) and ``cg_stop`` (``"relative"`` or ``"absolute_squared"``)."""
    kind = "conjugate_gradient"

    def __init__(self, max_iters: int, tol: float, damping: float = 0.0, strict: bool = False,
                 start: Any = None, stop: Optional[str] = None) -> None:
        self.max_iters = max_iters
        self.tol = tol
        self.damping = damping
        self.strict = strict
        self.start = start
        self.stop = stop

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"kind": "conjugate_gradient", "max_iters": self.max_iters,
                               "tol": self.tol, "damping": self.damping}
        if self.strict:
            out["strict"] = True
        if self.start is not None:
            out["cg_start"] = self.start
        if self.stop is not None:
            out["cg_stop"] = self.stop
        return out


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CGInfo:
    """What conjugate gradient did: iterations and the final residual ‖r‖."""
    iterations: int
    residual: Any


@dataclass(frozen=True)
class Result:
    """Base of the typed results. ``extra`` holds every other output field (a profile's own
    outputs, ``indeterminate``, ``conditioning``); they are also readable as attributes.
    ``fields`` lists the output's field names in the oracle's order (a field may be null)."""
    extra: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    fields: Tuple[str, ...] = field(default=(), repr=False, compare=False)

    def __getattr__(self, name: str) -> Any:
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError("%s has no field %r" % (type(self).__name__, name))

    def as_dict(self) -> Dict[str, Any]:
        """Every output field by its interface name (cg as cg_iterations and cg_residual)."""
        out: Dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name in ("extra", "fields"):
                continue
            if f.name == "cg":
                if v is not None:
                    out["cg_iterations"], out["cg_residual"] = v.iterations, v.residual
                continue
            if v is not None or f.name in self.fields:
                out[f.name] = v
        out.update(self.extra)
        if self.fields:
            out = {k: out[k] for k in self.fields if k in out}
        return out


@dataclass(frozen=True)
class Theta(Result):
    theta: Any = None


@dataclass(frozen=True)
class Grad(Result):
    grad: Any = None


@dataclass(frozen=True)
class Fisher(Result):
    fisher: Any = None


@dataclass(frozen=True)
class NaturalStep(Result):
    grad: Any = None
    fisher: Any = None
    direction: Any = None
    theta: Any = None
    cg: Optional[CGInfo] = None


@dataclass(frozen=True)
class Scores(Result):
    scores: Any = None


@dataclass(frozen=True)
class LikelihoodRatioGradient(Result):
    grads: Any = None
    grad: Any = None


@dataclass(frozen=True)
class RestrictedUpdate(Result):
    grad: Any = None
    theta: Any = None


@dataclass(frozen=True)
class KL(Result):
    kl: Any = None


@dataclass(frozen=True)
class Value(Result):
    value: Any = None


@dataclass(frozen=True)
class TrustRegionStep(Result):
    grad: Any = None
    fisher: Any = None
    direction: Any = None
    theta_natural: Any = None
    theta: Any = None
    steps: Optional[int] = None
    accepted: Optional[bool] = None
    f_theta: Any = None
    f_theta_prime: Any = None
    g_theta_prime: Any = None
    cg: Optional[CGInfo] = None


def _build(cls: type, output: Mapping[str, Any], scalar: str) -> Any:
    names = {f.name for f in dataclasses.fields(cls)} - {"extra", "fields"}
    kwargs: Dict[str, Any] = {}
    extra: Dict[str, Any] = {}
    for k, v in output.items():
        if k in names:
            kwargs[k] = to_array(v, scalar)
        elif k in ("cg_iterations", "cg_residual") and "cg" in names:
            continue
        elif k in ("indeterminate", "conditioning"):
            extra[k] = v
        else:
            extra[k] = to_array(v, scalar)
    if "cg" in names and "cg_iterations" in output:
        kwargs["cg"] = CGInfo(int(output["cg_iterations"]), to_array(output.get("cg_residual"), scalar))
    return cls(extra=extra, fields=tuple(output), **kwargs)


# ---------------------------------------------------------------------------------------------
# Building cases
# ---------------------------------------------------------------------------------------------

VECTOR_FIELDS = frozenset({"theta", "grad", "theta_prime", "p", "q", "cg_start"})
MATRIX_FIELDS = frozenset({"grads", "scores"})
SCALAR_FIELDS = frozenset({"epsilon", "alpha", "gamma", "beta", "l2_max", "lo", "hi", "mean_p", "std_p",
                           "mean_q", "std_q", "damping", "tol", "rcond", "target_kl", "cg_damping",
                           "line_search_shrinking_factor", "clip_range", "clip_value"})


class _Pending:
    """A numeric input waiting for the case's scalar."""
    __slots__ = ("array", "typed", "name", "integer")

    def __init__(self, array: np.ndarray, typed: bool, name: str, integer: bool = False) -> None:
        self.array, self.typed, self.name, self.integer = array, typed, name, integer


def _numeric(x: Any, name: str, ndim: Optional[int], integer: bool = False) -> _Pending:
    arr, typed = as_array(x, name)
    if ndim is not None and arr.ndim != ndim and not (arr.size == 0 and 1 <= arr.ndim <= ndim):
        what = {0: "a number", 1: "a vector (1-D)", 2: "a matrix (2-D: one row per trajectory)"}[ndim]
        raise TypeError("%s must be %s, got an array of shape %s" % (name, what, arr.shape))
    if arr.dtype.kind in "OUSV":
        raise TypeError("%s: expected numbers, got dtype %s" % (name, arr.dtype))
    return _Pending(arr, typed, name, integer)


def _steps(traj: Any, name: str, keys: Tuple[str, str, str], integer_sa: bool) -> List[Dict[str, Any]]:
    """One trajectory (or a batch of samples) as a list of {s, a, r}-like objects."""
    if isinstance(traj, Mapping):
        raise TypeError("%s: expected a sequence of (%s) steps, got a mapping" % (name, ", ".join(keys)))
    steps: List[Dict[str, Any]] = []
    if isinstance(traj, (list, tuple)) and all(isinstance(st, Mapping) for st in traj):
        rows: Any = traj
        for k, st in enumerate(rows):
            step: Dict[str, Any] = {}
            for key, v in st.items():
                integer = integer_sa and key in ("s", "a")
                step[key] = _numeric(v, "%s[%d].%s" % (name, k, key), None, integer)
            steps.append(step)
        return steps
    arr_or_rows: Any
    if isinstance(traj, (list, tuple)):
        arr_or_rows = traj
        for k, st in enumerate(arr_or_rows):
            if len(st) != 3:
                raise TypeError("%s[%d]: a step is (%s), got %d values" % (name, k, ", ".join(keys), len(st)))
            steps.append({key: _numeric(v, "%s[%d].%s" % (name, k, key), None, integer_sa and j < 2)
                          for j, (key, v) in enumerate(zip(keys, st))})
        return steps
    arr, typed = as_array(traj, name)
    if arr.size == 0:
        return []
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise TypeError("%s must have shape (steps, 3) for (%s), got %s" % (name, ", ".join(keys), arr.shape))
    for k in range(arr.shape[0]):
        steps.append({key: _Pending(arr[k, j], typed, "%s[%d].%s" % (name, k, key), integer_sa and j < 2)
                      for j, key in enumerate(keys)})
    return steps


def _policy_json(policy: Any) -> Dict[str, Any]:
    if isinstance(policy, Policy):
        return policy.to_json()
    if isinstance(policy, str):
        return {"family": policy}
    if isinstance(policy, Mapping):
        return dict(policy)
    raise TypeError("policy: expected Gaussian(), LinearGaussian(), Softmax(n_states, n_actions) "
                    "or GaussianLogStd(), got %r" % (policy,))


def _prepare(inputs: Mapping[str, Any]) -> Dict[str, Any]:
    policy = inputs.get("policy")
    softmax = policy is not None and _policy_json(policy).get("family") == "softmax"
    out: Dict[str, Any] = {}
    for name, value in inputs.items():
        if value is None:
            continue
        if name == "policy":
            out[name] = _policy_json(value)
        elif name == "solver":
            spec = value.to_json() if isinstance(value, Solver) else dict(value)
            solver: Dict[str, Any] = {}
            for k, v in spec.items():
                if isinstance(v, (str, bool)):
                    solver[k] = v
                elif k in INTEGER_FIELDS:
                    solver[k] = _numeric(v, "solver." + k, 0, True)
                else:
                    solver[k] = _numeric(v, "solver." + k, 1 if k == "cg_start" else 0)
            out[name] = solver
        elif name == "trajectories":
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
                raise TypeError("trajectories: expected a sequence of trajectories")
            out[name] = [_steps(t, "trajectories[%d]" % i, ("s", "a", "r"), softmax)
                         for i, t in enumerate(value)]
        elif name == "samples":
            out[name] = _steps(value, "samples", ("s", "a", "advantage"), softmax)
        elif isinstance(value, (bool, str)):
            out[name] = value
        elif name in INTEGER_FIELDS:
            out[name] = _numeric(value, name, 0, True)
        elif name == "s":
            out[name] = _numeric(value, name, 0, softmax)
        elif isinstance(value, Mapping):
            out[name] = value
        else:
            ndim = (1 if name in VECTOR_FIELDS else 2 if name in MATRIX_FIELDS
                    else 0 if name in SCALAR_FIELDS else None)
            if ndim == 2 and isinstance(value, (list, tuple)):
                # Row by row: rows of different lengths reach the oracle (DimensionMismatch).
                out[name] = [_numeric(row, "%s[%d]" % (name, i), 1) for i, row in enumerate(value)]
            else:
                out[name] = _numeric(value, name, ndim)
    return out


def _pendings(tree: Any) -> List[_Pending]:
    if isinstance(tree, _Pending):
        return [tree]
    if isinstance(tree, Mapping):
        return [p for v in tree.values() for p in _pendings(v)]
    if isinstance(tree, list):
        return [p for v in tree for p in _pendings(v)]
    return []


def _decide_scalar(tree: Any, scalar: Optional[str]) -> str:
    seen: Dict[str, str] = {}
    for p in _pendings(tree):
        if p.integer or not p.typed:
            continue
        kind = p.array.dtype.kind
        if kind in "iub":
            raise TypeError("%s has dtype %s; a real input must be float32 or float64" % (p.name, p.array.dtype))
        s = scalar_of(p.array.dtype, p.name)
        if s is None:
            raise TypeError("%s has dtype %s; pass float32 or float64" % (p.name, p.array.dtype))
        seen.setdefault(s, p.name.split("[")[0])
    if scalar is not None:
        if scalar not in ("f32", "f64"):
            raise ValueError("scalar must be 'f32' or 'f64', got %r" % (scalar,))
        for s, name in seen.items():
            if s != scalar:
                raise TypeError("%s is %s but scalar=%r was asked for" %
                                (name, "float32" if s == "f32" else "float64", scalar))
        return scalar
    if len(seen) > 1:
        raise TypeError("mixed dtypes: %s is float32 but %s is float64; pass all real inputs in one "
                        "dtype" % (seen["f32"], seen["f64"]))
    return next(iter(seen), "f64")


def _render(tree: Any, scalar: str) -> Any:
    if isinstance(tree, _Pending):
        arr = tree.array
        if tree.integer:
            if arr.dtype.kind == "f":
                if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
                    raise TypeError("%s must be an integer" % tree.name)
                arr = arr.astype(np.int64)
            elif arr.dtype.kind not in "iu":
                raise TypeError("%s must be an integer, got dtype %s" % (tree.name, arr.dtype))
            return arr.tolist()
        if arr.dtype.kind == "b":
            raise TypeError("%s: a boolean is not a real number" % tree.name)
        if arr.dtype.kind in "iu":  # untyped Python ints: exact numbers in the case's precision
            arr = arr.astype(np.float64)
        return numbers(arr, scalar, tree.name)
    if isinstance(tree, Mapping):
        return {k: _render(v, scalar) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_render(v, scalar) for v in tree]
    return tree


def make_case(operation: str, inputs: Mapping[str, Any], *, scalar: Optional[str] = None,
              profile: Optional[str] = None, conventions: Optional[Mapping[str, Any]] = None,
              id: Union[str, int] = "python") -> Tuple[Dict[str, Any], str]:
    """The JSON case (numbers as exact text) for an operation, and its scalar."""
    tree = _prepare(inputs)
    s = _decide_scalar(tree, scalar)
    case: Dict[str, Any] = {"id": id, "operation": operation, "scalar": s}
    if profile is not None:
        case["profile"] = profile
    if conventions is not None:
        conv = dict(conventions)
        case["conventions"] = _render(_prepare(conv), s) if conv else conv
    case["input"] = _render(tree, s)
    return case, s


def _run(operation: str, cls: type, inputs: Dict[str, Any], profile: Optional[str],
         conventions: Optional[Mapping[str, Any]], scalar: Optional[str]) -> Any:
    case, s = make_case(operation, inputs, scalar=scalar, profile=profile, conventions=conventions)
    result = json.loads(_core.evaluate(dumps(case)))
    if "error" in result:
        raise error_from_result(result)
    return _build(cls, result["output"], s)


Conventions = Optional[Mapping[str, Any]]

# ---------------------------------------------------------------------------------------------
# The operations (names and input fields as oracle-interface.md; None = field omitted)
# ---------------------------------------------------------------------------------------------


def gradient_ascent(theta: Any, grad: Any, alpha: Any, *, profile: Optional[str] = None,
                    conventions: Conventions = None, scalar: Optional[str] = None, **inputs: Any) -> Theta:
    """θ + αg (Eq. 12.1, Algorithm 12.1)."""
    return _run("gradient_ascent", Theta, dict(theta=theta, grad=grad, alpha=alpha, **inputs), profile, conventions, scalar)


def scale_gradient(grad: Any, l2_max: Any, *, profile: Optional[str] = None,
                   conventions: Conventions = None, scalar: Optional[str] = None, **inputs: Any) -> Grad:
    """min(l2_max/‖g‖, 1)·g (Algorithm 12.2); profile "torch" adds ``total_norm``."""
    return _run("scale_gradient", Grad, dict(grad=grad, l2_max=l2_max, **inputs), profile, conventions, scalar)


def clip_gradient(grad: Any, lo: Any = None, hi: Any = None, *, profile: Optional[str] = None,
                  conventions: Conventions = None, scalar: Optional[str] = None, **inputs: Any) -> Grad:
    """Each entry clamped to [lo, hi] (Algorithm 12.2); profile "torch" takes ``clip_value``."""
    return _run("clip_gradient", Grad, dict(grad=grad, lo=lo, hi=hi, **inputs), profile, conventions, scalar)


def restricted_step(theta: Any, grad: Any, epsilon: Any, *, profile: Optional[str] = None,
                    conventions: Conventions = None, scalar: Optional[str] = None, **inputs: Any) -> Theta:
    """θ + √(2ε)·g/‖g‖ (Eq. 12.6)."""
    return _run("restricted_step", Theta, dict(theta=theta, grad=grad, epsilon=epsilon, **inputs), profile, conventions, scalar)


def fisher(scores: Any, *, profile: Optional[str] = None, conventions: Conventions = None,
           scalar: Optional[str] = None, **inputs: Any) -> Fisher:
    """Sample mean of the outer products of the scores (Eq. 12.10)."""
    return _run("fisher", Fisher, dict(scores=scores, **inputs), profile, conventions, scalar)


def natural_update(theta: Any, grads: Any, scores: Any, epsilon: Any, *, solver: Any = None,
                   profile: Optional[str] = None, conventions: Conventions = None,
                   scalar: Optional[str] = None, **inputs: Any) -> NaturalStep:
    """The natural gradient step (Eqs. 12.12-12.13, ``natural_update`` of Algorithm 12.4)."""
    return _run("natural_update", NaturalStep, dict(theta=theta, grads=grads, scores=scores, epsilon=epsilon,
                                                    solver=solver, **inputs), profile, conventions, scalar)


def score(policy: Any, theta: Any, trajectories: Any, *, profile: Optional[str] = None,
          conventions: Conventions = None, scalar: Optional[str] = None, **inputs: Any) -> Scores:
    """∇log p(τ) per trajectory."""
    return _run("score", Scores, dict(policy=policy, theta=theta, trajectories=trajectories, **inputs),
                profile, conventions, scalar)


def likelihood_ratio_gradient(policy: Any, theta: Any, trajectories: Any, gamma: Any, *,
                              profile: Optional[str] = None, conventions: Conventions = None,
                              scalar: Optional[str] = None, **inputs: Any) -> LikelihoodRatioGradient:
    """∇U(τ) = ∇log p(τ)·R(τ) per trajectory and their mean."""
    return _run("likelihood_ratio_gradient", LikelihoodRatioGradient,
                dict(policy=policy, theta=theta, trajectories=trajectories, gamma=gamma, **inputs),
                profile, conventions, scalar)


def restricted_update(policy: Any, theta: Any, trajectories: Any, gamma: Any, epsilon: Any, *,
                      profile: Optional[str] = None, conventions: Conventions = None,
                      scalar: Optional[str] = None, **inputs: Any) -> RestrictedUpdate:
    """Algorithm 12.3."""
    return _run("restricted_update", RestrictedUpdate,
                dict(policy=policy, theta=theta, trajectories=trajectories, gamma=gamma, epsilon=epsilon,
                     **inputs), profile, conventions, scalar)


def natural_policy_update(policy: Any, theta: Any, trajectories: Any, gamma: Any, epsilon: Any, *,
                          solver: Any = None, profile: Optional[str] = None,
                          conventions: Conventions = None, scalar: Optional[str] = None,
                          **inputs: Any) -> NaturalStep:
    """Algorithm 12.4."""
    return _run("natural_policy_update", NaturalStep,
                dict(policy=policy, theta=theta, trajectories=trajectories, gamma=gamma, epsilon=epsilon,
                     solver=solver, **inputs), profile, conventions, scalar)


def policy_kl(policy: Any, theta: Any, theta_prime: Any, s: Any, *, profile: Optional[str] = None,
              conventions: Conventions = None, scalar: Optional[str] = None, **inputs: Any) -> KL:
    """D_KL(π_θ(·|s) ‖ π_θ′(·|s))."""
    return _run("policy_kl", KL, dict(policy=policy, theta=theta, theta_prime=theta_prime, s=s, **inputs),
                profile, conventions, scalar)


def surrogate_objective(policy: Any, theta: Any, theta_prime: Any, trajectories: Any = None,
                        gamma: Any = None, *, profile: Optional[str] = None,
                        conventions: Conventions = None, scalar: Optional[str] = None,
                        **inputs: Any) -> Value:
    """Eq. 12.18 (Algorithm 12.5)."""
    return _run("surrogate_objective", Value,
                dict(policy=policy, theta=theta, theta_prime=theta_prime, trajectories=trajectories,
                     gamma=gamma, **inputs), profile, conventions, scalar)


def surrogate_constraint(policy: Any, theta: Any, theta_prime: Any, trajectories: Any = None,
                         gamma: Any = None, *, profile: Optional[str] = None,
                         conventions: Conventions = None, scalar: Optional[str] = None,
                         **inputs: Any) -> Value:
    """Eq. 12.19 (Algorithm 12.5)."""
    return _run("surrogate_constraint", Value,
                dict(policy=policy, theta=theta, theta_prime=theta_prime, trajectories=trajectories,
                     gamma=gamma, **inputs), profile, conventions, scalar)


def trust_region_update(policy: Any, theta: Any, trajectories: Any = None, gamma: Any = None,
                        epsilon: Any = None, alpha: Any = None, max_steps: Any = None, *,
                        solver: Any = None, profile: Optional[str] = None,
                        conventions: Conventions = None, scalar: Optional[str] = None,
                        **inputs: Any) -> TrustRegionStep:
    """Algorithm 12.5; profile "sb3": sb3-contrib's TRPO.train() (``samples``, ``target_kl``, ...)."""
    return _run("trust_region_update", TrustRegionStep,
                dict(policy=policy, theta=theta, trajectories=trajectories, gamma=gamma, epsilon=epsilon,
                     alpha=alpha, max_steps=max_steps, solver=solver, **inputs), profile, conventions, scalar)


def clamped_objective(policy: Any, theta: Any, theta_prime: Any, trajectories: Any = None,
                      gamma: Any = None, epsilon: Any = None, *, profile: Optional[str] = None,
                      conventions: Conventions = None, scalar: Optional[str] = None,
                      **inputs: Any) -> Value:
    """Eq. 12.22; profile "sb3": PPO's policy loss (``samples``, ``clip_range``, ...)."""
    return _run("clamped_objective", Value,
                dict(policy=policy, theta=theta, theta_prime=theta_prime, trajectories=trajectories,
                     gamma=gamma, epsilon=epsilon, **inputs), profile, conventions, scalar)


def clamped_gradient(policy: Any, theta: Any, theta_prime: Any, trajectories: Any = None,
                     gamma: Any = None, epsilon: Any = None, *, profile: Optional[str] = None,
                     conventions: Conventions = None, scalar: Optional[str] = None,
                     **inputs: Any) -> Grad:
    """Eq. 12.23 (Algorithm 12.6)."""
    return _run("clamped_gradient", Grad,
                dict(policy=policy, theta=theta, theta_prime=theta_prime, trajectories=trajectories,
                     gamma=gamma, epsilon=epsilon, **inputs), profile, conventions, scalar)


def kl_penalty_objective(policy: Any, theta: Any, theta_prime: Any, trajectories: Any, gamma: Any,
                         beta: Any, *, profile: Optional[str] = None, conventions: Conventions = None,
                         scalar: Optional[str] = None, **inputs: Any) -> Value:
    """Eq. 12.24: surrogate objective − β·surrogate constraint."""
    return _run("kl_penalty_objective", Value,
                dict(policy=policy, theta=theta, theta_prime=theta_prime, trajectories=trajectories,
                     gamma=gamma, beta=beta, **inputs), profile, conventions, scalar)


def clamped_update(policy: Any, theta: Any, trajectories: Any, gamma: Any, epsilon: Any, alpha: Any,
                   k_max: Any, *, profile: Optional[str] = None, conventions: Conventions = None,
                   scalar: Optional[str] = None, **inputs: Any) -> Theta:
    """Algorithm 12.6."""
    return _run("clamped_update", Theta,
                dict(policy=policy, theta=theta, trajectories=trajectories, gamma=gamma, epsilon=epsilon,
                     alpha=alpha, k_max=k_max, **inputs), profile, conventions, scalar)


def kl_categorical(p: Any, q: Any, *, profile: Optional[str] = None, conventions: Conventions = None,
                   scalar: Optional[str] = None, **inputs: Any) -> KL:
    """Σ p log(p/q) (Exercise 12.3)."""
    return _run("kl_categorical", KL, dict(p=p, q=q, **inputs), profile, conventions, scalar)


def kl_gaussian(mean_p: Any, std_p: Any, mean_q: Any, std_q: Any, *, profile: Optional[str] = None,
                conventions: Conventions = None, scalar: Optional[str] = None, **inputs: Any) -> KL:
    """KL between univariate Gaussians, closed form."""
    return _run("kl_gaussian", KL, dict(mean_p=mean_p, std_p=std_p, mean_q=mean_q, std_q=std_q, **inputs),
                profile, conventions, scalar)


OPERATIONS = {
    f.__name__: f for f in (
        gradient_ascent, scale_gradient, clip_gradient, restricted_step, fisher, natural_update, score,
        likelihood_ratio_gradient, restricted_update, natural_policy_update, policy_kl,
        surrogate_objective, surrogate_constraint, trust_region_update, clamped_objective,
        clamped_gradient, kl_penalty_objective, clamped_update, kl_categorical, kl_gaussian)
}
