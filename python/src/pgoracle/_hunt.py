"""``pgoracle.hunt``: fuzz a Python function against the oracle in-process (issue #19).

The hunt of ``pgoracle hunt`` (crate ``pgoracle-hunt``) with a Python callable as the
candidate instead of a subprocess: the same generators, the same comparison (``pgoracle
check``'s rules), the same shrinking to minimal cases, and the same report and golden files.
The same seed, operation, profile, number of examples and function give the same report.
"""
from __future__ import annotations

import json
import math
import os
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

import numpy as np

from . import _core
from ._convert import Num, dumps, format_number

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


@dataclass
class HuntReport:
    """The outcome of :func:`hunt`.

    - ``findings``: one dict per kind of disagreement, in the order found, with ``operation``,
      ``kind`` (``"field:fisher"``, ``"error:ZeroGradient"``, ``"nonfinite:theta"``, ``"crash"``,
      ...), ``count`` (cases that showed it), ``case`` (index of the first one under the seed),
      ``minimal`` (whether no single simplification keeps it), ``input`` (the minimal case's
      input), ``disagreement`` (in words) and ``candidate`` (the function's answer to the
      minimal case, or ``{"misbehaviour", "said"}``);
    - ``text``: the summary ``pgoracle hunt`` prints (also ``str(report)``);
    - ``golden``: the minimal cases as golden files (``pgoracle-golden-v2`` text that ``pgoracle
      check`` reads), by operation name;
    - ``exit_code``: ``pgoracle hunt``'s exit status, 0 when nothing was found, 1 otherwise;
    - ``seed``, ``cases`` (cases run), ``skipped`` (generated cases pgoracle itself rejects).
    """

    findings: List[Dict[str, Any]]
    text: str
    golden: Dict[str, str]
    exit_code: int
    seed: int = 0
    cases: int = 0
    skipped: int = 0
    summary: Dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """Whether nothing was found."""
        return self.exit_code == 0

    @property
    def kinds(self) -> List[str]:
        """The kinds of the findings, in order."""
        return [f["kind"] for f in self.findings]

    def __str__(self) -> str:
        return self.text


def _plain_input(value: Any) -> Any:
    """The case as the function sees it: "NaN", "Infinity" and "-Infinity" as floats."""
    if isinstance(value, dict):
        return {k: _plain_input(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_input(v) for v in value]
    if isinstance(value, str) and value in _NONFINITE:
        return _NONFINITE[value]
    return value


def _jsonable(value: Any) -> Any:
    """A result tree with NumPy (or torch) arrays and scalars as lists and numbers, floats as
    exact ``Num`` text (non-finite ones as the interface's strings)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return Num(format_number(float(value), "f64"))
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "detach") and hasattr(value, "tolist"):  # a torch tensor
        return _jsonable(value.detach().cpu().tolist())
    if hasattr(value, "__array__"):  # JAX and other array-likes
        return _jsonable(np.asarray(value).tolist())
    raise TypeError("cannot write %r as JSON" % (value,))


def _adapter(fn: Callable[[Dict[str, Any]], Any]) -> Callable[[str], str]:
    """The candidate the extension calls: case JSON text in, result JSON text out."""

    def answer(text: str) -> str:
        case = json.loads(text)
        plain = dict(case)
        plain["input"] = _plain_input(case.get("input"))
        try:
            result = fn(plain)
        except ValueError as e:
            kind = getattr(e, "kind", None)
            if not isinstance(kind, str):
                raise
            # A pgoracle.PgError (or any exception with a ``kind``): the function's error result.
            result = {"error": {"kind": kind, "message": str(getattr(e, "message", e))}}
        if not isinstance(result, Mapping):
            # Not a JSON object: the extension reports it as garbled.
            return "%s: %s" % (type(result).__name__, _repr(result))
        if "output" in result or "error" in result:
            full = dict(result)
        else:
            full = {"output": dict(result)}
        full.setdefault("id", case.get("id"))
        full.setdefault("operation", case.get("operation"))
        ordered = {"id": full.pop("id"), "operation": full.pop("operation")}
        ordered.update(full)
        try:
            return dumps(_jsonable(ordered))
        except (TypeError, ValueError) as e:
            return "unserialisable result (%s): %s" % (e, _repr(result))

    return answer


def _repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a repr that fails is still a garbled answer
        text = "(%s without repr: %s)" % (type(value).__name__, traceback.format_exc(limit=1))
    return text if len(text) <= 2000 else text[:2000] + "..."


def hunt(fn: Callable[[Dict[str, Any]], Any], operation: str, *, profile: Optional[str] = None,
         max_examples: int = 1000, seed: int = 0, time: float = 60.0,
         out: Union[str, "os.PathLike[str]", None] = None) -> HuntReport:
    """``pgoracle hunt`` with the Python function ``fn`` as the implementation under test, called
    directly (no subprocess): the same generators, comparison, shrinking and report.

    ``fn(case)`` gets a case dict ``{"id", "operation", "scalar", "input", "profile"?}`` (the
    protocol of ``pgoracle eval --jsonl``; numbers as Python ints and floats, non-finite ones
    as ``nan``/``inf``) and returns either the full result, ``{"output": {...}}`` or ``{"error":
    {"kind": ..., "message": ...}}`` (``id`` and ``operation`` are filled in when absent), or just
    the output dict. NumPy (torch, JAX) arrays and scalars in it are converted; NaN and ±∞ are
    written as the interface's strings. Raising a ``pgoracle.PgError`` (anything with a string
    ``kind``) is the error result of that kind; any other exception is a ``crash`` finding with
    its traceback; returning something that is not a dict is ``garbled``, another ``id`` is
    ``wrong_id``.

    ``operation`` is an interface name or ``"all"`` (every operation in turn); ``profile`` is
    ``"book"`` (default), ``"sb3"`` or ``"torch"``. The hunt stops after ``max_examples`` cases
    or ``time`` seconds, whichever comes first (shrinking the last finding may run past it).
    ``out``: write the minimal cases as a golden file there (with ``"all"``, a folder of
    ``<operation>.json``); nothing is written when nothing was found. Ctrl-C stops the hunt
    and raises ``KeyboardInterrupt``.
    """
    if not callable(fn):
        raise TypeError("hunt: fn must be callable, got %r" % (fn,))
    if isinstance(max_examples, bool) or not isinstance(max_examples, (int, np.integer)) \
            or max_examples < 0:
        raise ValueError("hunt: max_examples must be a non-negative integer, got %r" % (max_examples,))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2 ** 64:
        raise ValueError("hunt: seed must be an integer in [0, 2**64), got %r" % (seed,))
    raw = json.loads(_core.hunt(_adapter(fn), operation, profile, int(max_examples), int(seed),
                                float(time)))
    summary = raw["summary"]
    report = HuntReport(findings=summary["findings"], text=raw["text"], golden=raw["golden"],
                        exit_code=int(raw["exit_code"]), seed=int(summary["seed"]),
                        cases=int(summary["cases"]), skipped=int(summary["skipped"]),
                        summary=summary)
    if out is not None:
        _write(os.fspath(out), report.golden, folder=operation == "all")
    return report


def _write(out: str, golden: Dict[str, str], folder: bool) -> None:
    """The CLI's ``--out``: one golden file at ``out``, or one ``<operation>.json`` per operation
    in the folder ``out``."""
    if folder and golden:
        os.makedirs(out, exist_ok=True)
    for operation, text in golden.items():
        path = os.path.join(out, operation + ".json") if folder else out
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
