"""pgoracle for Python: the policy-gradient oracle (Algorithms for Decision Making, Chapter 12)
in-process.

- one function per operation of the oracle interface (``natural_update``, ``score``, ...) on
  NumPy, PyTorch and JAX arrays; float32 runs in f32, float64 in f64;
- ``evaluate``: exactly what ``pgoracle eval`` returns;
- ``golden`` / ``cases``: the golden cases, for ``pytest.mark.parametrize`` or the
  ``@pytest.mark.pgoracle`` marker;
- ``pgoracle.testing.assert_matches``: pgoracle's normwise comparison rule;
- ``hunt``: ``pgoracle hunt`` with a Python function as the candidate, in-process (fuzzing,
  shrinking to minimal cases, golden files of the findings) -> ``HuntReport``.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Sequence, Union

import numpy as np

from . import _core
from ._convert import Num, dumps, format_number, numbers
from ._errors import (ERROR_KINDS, DimensionMismatch, DocumentError, EmptyInput, InvalidParameter,
                      NoConvergence, NonFiniteInput, NonFiniteResult, NonPositiveCurvature,
                      OracleError, PgError, SingularFisher, ZeroGradient, ZeroProbability)
from ._golden import Case, cases, golden, golden_files
from ._hunt import HuntReport, hunt
from ._ops import (KL, OPERATIONS, CGInfo, ConjugateGradient, Damped, Exact, Fisher, Gaussian,
                   GaussianLogStd, Grad, LikelihoodRatioGradient, LinearGaussian, NaturalStep, Policy,
                   PseudoInverse, RestrictedUpdate, Result, Scores, Softmax, Solver, Theta,
                   TrustRegionStep, Value, clamped_gradient, clamped_objective, clamped_update,
                   clip_gradient, fisher, gradient_ascent, kl_categorical, kl_gaussian,
                   kl_penalty_objective, likelihood_ratio_gradient, make_case, natural_policy_update,
                   natural_update, policy_kl, restricted_step, restricted_update, scale_gradient, score,
                   surrogate_constraint, surrogate_objective, trust_region_update)

__version__ = "0.1.0"


def _plain(value: Any, scalar: str) -> Any:
    """A case document with NumPy values as exact numbers."""
    if isinstance(value, Case):
        value = value.to_json()
    if isinstance(value, Mapping):
        s = value.get("scalar", scalar) if isinstance(value.get("scalar", scalar), str) else scalar
        return {k: _plain(v, s) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, scalar) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        if arr.dtype.kind in "iub":
            return arr.tolist()
        return numbers(arr, scalar, "case")
    if isinstance(value, float):
        return Num(format_number(value, "f64"))
    return value


def evaluate(case_or_cases: Union[Mapping[str, Any], Case, Sequence[Any], str], *,
             conditioning: bool = False) -> Any:
    """Exactly what ``pgoracle eval`` returns for one case or a list of cases, as parsed JSON:
    a result dict ({id, operation, output | error}) or a list of them. A string is taken as JSON
    text. ``conditioning=True`` adds κ per output field. An invalid document raises
    ``DocumentError``."""
    if isinstance(case_or_cases, str):
        text = case_or_cases
    else:
        text = dumps(_plain(case_or_cases, "f64"))
    return json.loads(_core.evaluate(text, conditioning))


__all__ = [
    "evaluate", "golden", "golden_files", "cases", "Case", "make_case", "OPERATIONS",
    "hunt", "HuntReport",
    "PgError", "NonFiniteInput", "InvalidParameter", "DimensionMismatch", "EmptyInput", "ZeroGradient",
    "SingularFisher", "NonPositiveCurvature", "ZeroProbability", "NoConvergence", "NonFiniteResult",
    "DocumentError", "OracleError", "ERROR_KINDS",
    "Policy", "Gaussian", "LinearGaussian", "Softmax", "GaussianLogStd",
    "Solver", "Exact", "Damped", "PseudoInverse", "ConjugateGradient",
    "Result", "CGInfo", "Theta", "Grad", "Fisher", "NaturalStep", "Scores", "LikelihoodRatioGradient",
    "RestrictedUpdate", "KL", "Value", "TrustRegionStep",
    "gradient_ascent", "scale_gradient", "clip_gradient", "restricted_step", "fisher", "natural_update",
    "score", "likelihood_ratio_gradient", "restricted_update", "natural_policy_update", "policy_kl",
    "surrogate_objective", "surrogate_constraint", "trust_region_update", "clamped_objective",
    "clamped_gradient", "kl_penalty_objective", "clamped_update", "kl_categorical", "kl_gaussian",
]
