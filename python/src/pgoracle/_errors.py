"""pgoracle's error kinds as Python exceptions."""
from __future__ import annotations

import re
from typing import Dict, Optional, Type

from ._core import DocumentError, OracleError

__all__ = [
    "PgError", "NonFiniteInput", "InvalidParameter", "DimensionMismatch", "EmptyInput",
    "ZeroGradient", "SingularFisher", "NonPositiveCurvature", "ZeroProbability", "NoConvergence",
    "NonFiniteResult", "DocumentError", "OracleError", "ERROR_KINDS", "error_from_result",
]


class PgError(ValueError):
    """The mathematics is undefined for this input: one of the interface's error kinds.

    ``kind`` is the interface's kind string (``"SingularFisher"``, ...), ``message`` pgoracle's
    message, ``field`` the input field the message names (``None`` when it names none) and
    ``result`` the whole result object of ``pgoracle eval``.
    """

    kind: str = "PgError"

    def __init__(self, message: str, *, field: Optional[str] = None,
                 result: Optional[dict] = None, case_id: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.result = result
        self.case_id = case_id

    def __str__(self) -> str:
        return "%s: %s" % (self.kind, self.message)


class NonFiniteInput(PgError):
    """A NaN or infinite number in an input."""
    kind = "NonFiniteInput"


class InvalidParameter(PgError):
    """A parameter outside its domain; ``field`` names it."""
    kind = "InvalidParameter"


class DimensionMismatch(PgError):
    """Lengths that do not fit together."""
    kind = "DimensionMismatch"


class EmptyInput(PgError):
    """No trajectories, an empty trajectory or an empty vector."""
    kind = "EmptyInput"


class ZeroGradient(PgError):
    """A step whose direction is the zero vector."""
    kind = "ZeroGradient"


class SingularFisher(PgError):
    """The Fisher matrix cannot be solved with the requested solver."""
    kind = "SingularFisher"


class NonPositiveCurvature(PgError):
    """gᵀu ≤ 0 in the natural step scale."""
    kind = "NonPositiveCurvature"


class ZeroProbability(PgError):
    """p(θ, a, s) = 0: the likelihood ratio is undefined."""
    kind = "ZeroProbability"


class NoConvergence(PgError):
    """An iterative solver missed its tolerance when asked to be strict."""
    kind = "NoConvergence"


class NonFiniteResult(PgError):
    """A finite input whose result overflows."""
    kind = "NonFiniteResult"


ERROR_KINDS: Dict[str, Type[PgError]] = {
    cls.kind: cls
    for cls in (NonFiniteInput, InvalidParameter, DimensionMismatch, EmptyInput, ZeroGradient,
                SingularFisher, NonPositiveCurvature, ZeroProbability, NoConvergence,
                NonFiniteResult)
}

# Messages name their field in backquotes: "invalid parameter `epsilon`: must be > 0".
_FIELD = re.compile(r"`([^`]+)`")


def field_of(kind: str, message: str) -> Optional[str]:
    """The input field an error message names, for the kinds whose message names one."""
    m = _FIELD.search(message)
    if not m:
        return None
    return m.group(1)


def error_from_result(result: dict) -> PgError:
    """The exception for a result object holding ``error``."""
    err = result["error"]
    kind, message = err["kind"], err.get("message", "")
    cls = ERROR_KINDS.get(kind)
    if cls is None:  # a kind of a later interface version
        cls = type(kind, (PgError,), {"kind": kind})
    return cls(message, field=field_of(kind, message), result=result, case_id=result.get("id"))
