"""pgoracle's comparison rule for tests: ``assert_matches`` and ``check``.

A field agrees when max_i |got_i − expected_i| ≤ rel·max_i |expected_i| + abs (normwise over a
vector or matrix; scale 1 for an all-zero field), with rel the case's ``tolerance.rel`` of that
field; ``steps``, ``accepted``, ``candidates``, booleans, integers and null compare exactly; an
``expected_error`` case matches only an error of the same kind. Failures read like
``torch.testing.assert_close``'s.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Type, Union

import numpy as np

from ._convert import INTEGER_FIELDS
from ._errors import PgError
from ._golden import Case
from ._ops import ConjugateGradient, Damped, Exact, Gaussian, GaussianLogStd, LinearGaussian, PseudoInverse, Result, Softmax

__all__ = ["assert_matches", "check", "case_inputs", "EXACT_FIELDS", "DIAGNOSTIC_FIELDS"]

EXACT_FIELDS = frozenset({"steps", "accepted", "candidates"})
# How pgoracle computed a result, not the result: never compared (golden.rs DIAGNOSTIC_FIELDS).
DIAGNOSTIC_FIELDS = frozenset({"cg_iterations", "cg_residual"})
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

ErrorKinds = Mapping[Type[BaseException], Union[str, Callable[[BaseException], str]]]


def _case(case: Any) -> Case:
    if isinstance(case, Case):
        return case
    if isinstance(case, Mapping):
        return Case(id=case.get("id", "?"), operation=case.get("operation", "?"),
                    scalar=case.get("scalar", "f64"), input=case.get("input", {}),
                    expected=case.get("expected"), expected_error=case.get("expected_error"),
                    tolerance=case.get("tolerance", {}), flags=list(case.get("flags", [])),
                    indeterminate=list(case.get("indeterminate", [])), raw=dict(case))
    raise TypeError("case: expected a pgoracle.Case or a golden test object, got %s" % type(case).__name__)


def _kind_of(exc: BaseException, error_kinds: Optional[ErrorKinds] = None) -> Optional[str]:
    for cls, kind in (error_kinds or {}).items():
        if isinstance(exc, cls):
            return kind(exc) if callable(kind) else kind
    k = getattr(exc, "kind", None)
    return k if isinstance(k, str) else None


def _field(actual: Any, name: str, single: bool) -> Tuple[bool, Any]:
    if isinstance(actual, Result):
        d = actual.as_dict()
        return (name in d), d.get(name)
    if isinstance(actual, Mapping):
        out = actual.get("output", actual) if "output" in actual and isinstance(actual.get("output"), Mapping) else actual
        return (name in out), out.get(name)
    if hasattr(actual, name) and not isinstance(actual, (np.ndarray, np.generic)):
        return True, getattr(actual, name)
    if single:
        return True, actual
    return False, None


def _nums(v: Any) -> Any:
    if isinstance(v, str):
        return _NONFINITE.get(v, v)
    if isinstance(v, (list, tuple)):
        return [_nums(x) for x in v]
    return v


def _to_float_array(v: Any) -> np.ndarray:
    if type(v).__module__.startswith("torch"):
        v = v.detach().cpu().numpy()
    return np.asarray(_nums(v) if isinstance(v, (list, tuple, str)) else v, dtype=np.float64)


def _fmt(x: float) -> str:
    return "%.6g" % x


def _index(i: Tuple[Any, ...]) -> str:
    return "(%s)" % ", ".join(str(int(j)) for j in i) if len(i) != 1 else "(%d,)" % int(i[0])


def _compare(case: Case, name: str, got: Any, exp: Any) -> Optional[str]:
    """None when field ``name`` agrees, else the report."""
    head = "field `%s`" % name
    if exp is None or isinstance(exp, bool) or name in EXACT_FIELDS or isinstance(exp, int):
        g = got.item() if isinstance(got, (np.generic, np.ndarray)) and np.size(got) == 1 else got
        if exp is None:
            ok = g is None
        elif isinstance(exp, bool):
            ok = isinstance(g, (bool, np.bool_)) and bool(g) == exp
        else:
            ok = g is not None and not isinstance(g, bool) and g == exp
        if ok:
            return None
        return "%s: expected exactly %r, got %r" % (head, exp, g)
    try:
        e = _to_float_array(exp)
        if case.scalar == "f32":  # the golden f32 digits are f32 values
            with np.errstate(over="ignore"):
                e = e.astype(np.float32).astype(np.float64)
        g = _to_float_array(got)
    except (TypeError, ValueError) as err:
        return "%s: cannot read the result as numbers (%s): %r" % (head, err, got)
    if e.shape != g.shape:
        return "%s: expected shape %s, got shape %s" % (head, e.shape, g.shape)
    rel, abs_ = case.rel(name), float(case.tolerance.get("abs", 0) or 0)
    fin = np.isfinite(e)
    bad_nonfinite = ~fin & ~((np.isnan(e) & np.isnan(g)) | (e == g))
    ef = np.where(fin, e, 0.0)
    scale = float(np.max(np.abs(ef))) if e.size else 0.0
    scale = scale if scale > 0 else 1.0
    allowed = rel * scale + abs_
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(fin, np.abs(g - ef), 0.0)
    diff = np.where(np.isnan(diff), np.inf, diff)
    over = (diff > allowed) | bad_nonfinite
    if not over.any():
        return None
    n, total = int(over.sum()), e.size
    shape = e.shape if e.ndim else ()
    lines = ["%s: not close under pgoracle's normwise rule!" % head, "",
             "Mismatched elements: %d / %d (%.1f%%)" % (n, total, 100.0 * n / total)]
    if e.ndim == 0:
        lines.append("Expected %s but got %s." % (repr(float(e)), repr(float(g))))
    i_abs = np.unravel_index(int(np.argmax(diff)), shape) if e.ndim else ()
    with np.errstate(divide="ignore", invalid="ignore"):
        reld = np.where(fin & (ef != 0), diff / np.abs(ef), np.where(diff > 0, np.inf, 0.0))
    i_rel = np.unravel_index(int(np.argmax(reld)), shape) if e.ndim else ()
    lines.append("Greatest absolute difference: %s at index %s (up to %s allowed)"
                 % (_fmt(float(diff[i_abs])), _index(i_abs), _fmt(allowed)))
    lines.append("Greatest relative difference: %s at index %s (up to %s allowed, normwise)"
                 % (_fmt(float(reld[i_rel])), _index(i_rel), _fmt(rel)))
    if bad_nonfinite.any():
        j = np.unravel_index(int(np.argmax(bad_nonfinite)), shape) if e.ndim else ()
        lines.append("Non-finite mismatch at index %s: expected %r, got %r" % (_index(j), float(e[j]), float(g[j])))
    kappa = case.kappa(name)
    lines.append("Normwise error: max|got - expected| / max|expected| = %s (rel = %s, abs = %s, kappa = %s)"
                 % (_fmt(float(np.max(diff)) / scale), _fmt(rel), _fmt(abs_),
                    "n/a" if kappa is None else _fmt(kappa)))
    return "\n".join(lines)


def assert_matches(case: Any, actual: Any, *, ignore: Iterable[str] = (),
                   error_kinds: Optional[ErrorKinds] = None) -> None:
    """Asserts that ``actual`` (a result object, a dict of output fields, a bare array for a
    one-field output, or an exception) matches golden ``case`` under pgoracle's rule. ``ignore``:
    output fields not compared (the diagnostic ``cg_iterations`` and ``cg_residual`` never are)."""
    c = _case(case)
    where = "pgoracle case %r (%s, %s)" % (c.id, c.operation, c.scalar)
    if isinstance(actual, BaseException):
        kind = _kind_of(actual, error_kinds)
        if c.expected_error is not None:
            if kind == c.expected_error:
                return
        if kind is not None and c.indeterminate and _other_branch_agrees(c, actual, kind):
            return
        if c.expected_error is not None:
            raise AssertionError("%s: expected error %s, got %s: %s"
                                 % (where, c.expected_error, kind or type(actual).__name__, actual)) from actual
        raise AssertionError("%s: expected a result, got error %s: %s"
                             % (where, kind or type(actual).__name__, actual)) from actual
    if c.expected_error is not None:
        raise AssertionError("%s: expected error %s, got a result: %r" % (where, c.expected_error, actual))
    expected = {k: v for k, v in (c.expected or {}).items()
                if k not in DIAGNOSTIC_FIELDS and k not in set(ignore)}
    single = len(expected) == 1
    problems: List[str] = []
    for name, exp in expected.items():
        present, got = _field(actual, name, single)
        if not present:
            problems.append("field `%s`: missing from the result" % name)
            continue
        p = _compare(c, name, got, exp)
        if p:
            problems.append(p)
    if problems:
        if c.indeterminate and _other_branch_agrees(c, actual):
            return
        raise AssertionError("%s:\n%s" % (where, "\n\n".join(problems)))


def _other_branch_agrees(c: Case, actual: Any, kind: Optional[str] = None) -> bool:
    """Where a decision is indeterminate either branch is correct: ``pgoracle check`` compares the
    candidate with pgoracle's result on the branch the candidate took."""
    import json

    from . import _core, _plain, dumps
    if not c.raw:
        return False
    result: Dict[str, Any] = {"id": c.id, "operation": c.operation}
    if kind is not None:
        result["error"] = {"kind": kind, "message": str(actual)}
    else:
        expected = c.expected or {}
        out: Dict[str, Any] = {}
        for name in expected:
            present, got = _field(actual, name, len(expected) == 1)
            if present:
                if isinstance(got, (np.ndarray, np.generic)) and got.dtype.kind == "f":
                    got = np.asarray(got, dtype=np.float32 if c.scalar == "f32" else np.float64)
                out[name] = got
        result["output"] = out
    try:
        report = json.loads(_core.check(json.dumps(c.raw), dumps(_plain([result], c.scalar))))
    except (ValueError, TypeError):
        return False
    return bool(report.get("agrees"))


def _array(v: Any, dtype: Any) -> Any:
    v = _nums(v)
    try:
        arr = np.array(v, dtype=dtype)
    except (ValueError, TypeError):
        return [_array(x, dtype) for x in v] if isinstance(v, list) else v
    return arr


def _policy(p: Any) -> Any:
    fam = p.get("family") if isinstance(p, Mapping) else None
    if fam == "gaussian":
        return Gaussian()
    if fam == "linear_gaussian":
        return LinearGaussian()
    if fam == "gaussian_log_std":
        return GaussianLogStd()
    if fam == "softmax" and set(p) == {"family", "n_states", "n_actions"}:
        return Softmax(p["n_states"], p["n_actions"])
    return p


def _solver(s: Any, dtype: Any) -> Any:
    if not isinstance(s, Mapping):
        return s
    k = s.get("kind")
    try:
        if k == "exact" and set(s) == {"kind"}:
            return Exact()
        if k == "damped" and set(s) == {"kind", "damping"}:
            return Damped(dtype(_nums(s["damping"])))
        if k == "pseudo_inverse" and set(s) == {"kind", "rcond"}:
            return PseudoInverse(dtype(_nums(s["rcond"])))
        if k == "conjugate_gradient":
            return ConjugateGradient(s["max_iters"], dtype(_nums(s["tol"])), dtype(_nums(s.get("damping", 0))),
                                     bool(s.get("strict", False)),
                                     None if "cg_start" not in s else _array(s["cg_start"], dtype), s.get("cg_stop"))
    except (KeyError, TypeError, ValueError):
        pass
    return s


def case_inputs(case: Any) -> Dict[str, Any]:
    """A case's input as keyword arguments: numbers in the case's dtype (NumPy arrays and
    scalars), ``policy`` and ``solver`` as pgoracle's objects where they are well-formed,
    trajectories as a list of (steps, 3) arrays of (s, a, r), counts as ints."""
    c = _case(case)
    dtype = np.float32 if c.scalar == "f32" else np.float64
    out: Dict[str, Any] = {}
    for k, v in c.input.items():
        if k == "policy":
            out[k] = _policy(v)
        elif k == "solver":
            out[k] = _solver(v, dtype)
        elif k in ("trajectories", "samples"):
            keys = ("s", "a", "r") if k == "trajectories" else ("s", "a", "advantage")

            def rows(t: Any) -> Any:
                if isinstance(t, list) and t and all(isinstance(st, Mapping) and set(st) == set(keys) for st in t):
                    return _array([[st[x] for x in keys] for st in t], dtype)
                return t
            out[k] = [rows(t) for t in v] if k == "trajectories" and isinstance(v, list) else rows(v)
        elif k in INTEGER_FIELDS or isinstance(v, (bool, str)) and v not in _NONFINITE:
            out[k] = v
        elif isinstance(v, (int, float, str)):
            out[k] = dtype(_nums(v))
        elif isinstance(v, list):
            out[k] = _array(v, dtype)
        else:
            out[k] = v
    return out


def check(case: Any, impl: Callable[..., Any], *, error_kinds: Optional[ErrorKinds] = None,
          ignore: Iterable[str] = ()) -> None:
    """Calls ``impl(**case_inputs(case))`` and asserts its result (or the exception it raises,
    mapped to an error kind by ``error_kinds`` {exception class: kind or callable}, or by the
    exception's ``kind`` attribute) matches the case."""
    c = _case(case)
    kwargs = case_inputs(c)
    try:
        with np.errstate(all="ignore"):
            actual = impl(**kwargs)
    except AssertionError:
        raise
    except Exception as exc:  # noqa: BLE001 - the implementation's error is the result
        if _kind_of(exc, error_kinds) is None:
            raise
        actual = exc
    assert_matches(c, actual, ignore=ignore, error_kinds=error_kinds)
