"""The golden cases, generated in-process from the reference embedded in the extension."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from . import _core


@dataclass(frozen=True)
class Case:
    """One golden test: what to compute (``operation``, ``scalar``, ``input``) and what is expected
    (``expected`` fields with ``tolerance``, or ``expected_error``, an error kind)."""
    id: str
    operation: str
    scalar: str
    input: Dict[str, Any]
    expected: Optional[Dict[str, Any]] = None
    expected_error: Optional[str] = None
    tolerance: Dict[str, Any] = field(default_factory=dict)
    flags: List[str] = field(default_factory=list)
    indeterminate: List[Any] = field(default_factory=list)
    comment: str = ""
    result: str = ""
    profile: Optional[str] = None
    conventions: Optional[Dict[str, Any]] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def to_json(self) -> Dict[str, Any]:
        """The case as an oracle document ({id, operation, scalar, [profile, conventions,] input})."""
        doc: Dict[str, Any] = {"id": self.id, "operation": self.operation, "scalar": self.scalar}
        if self.profile is not None:
            doc["profile"] = self.profile
        if self.conventions is not None:
            doc["conventions"] = self.conventions
        doc["input"] = self.input
        return doc

    def rel(self, name: str) -> float:
        """The relative tolerance of output field ``name``."""
        rel = self.tolerance.get("rel", 0.0)
        if isinstance(rel, dict):
            return float(rel.get(name, 0.0))
        return float(rel)

    def kappa(self, name: str) -> Optional[float]:
        k = self.tolerance.get("kappa")
        if isinstance(k, dict) and name in k:
            return float(k[name])
        return None


_CACHE: Dict[str, Any] = {}


def golden_files() -> Dict[str, Any]:
    """The golden files by name (``"natural_update.json"``: its JSON object), as ``pgoracle golden``
    writes them (generated once per process, about a second)."""
    if "files" not in _CACHE:
        _CACHE["files"] = json.loads(_core.golden())
    files: Dict[str, Any] = _CACHE["files"]
    return files


def _all_cases() -> tuple:
    if "cases" in _CACHE:
        cached: tuple = _CACHE["cases"]
        return cached
    out = []
    for name, doc in golden_files().items():
        for group in doc.get("test_groups", []):
            for t in group.get("tests", []):
                out.append(Case(
                    id=t["id"], operation=t.get("operation", doc.get("operation")),
                    scalar=t.get("scalar", group.get("scalar", "f64")), input=t["input"],
                    expected=t.get("expected"), expected_error=t.get("expected_error"),
                    tolerance=t.get("tolerance", {}), flags=list(t.get("flags", [])),
                    indeterminate=list(t.get("indeterminate", [])), comment=t.get("comment", ""),
                    result=t.get("result", ""), profile=t.get("profile"),
                    conventions=t.get("conventions"), raw=t))
    _CACHE["cases"] = tuple(out)
    return _CACHE["cases"]


def golden(operation: Union[str, Sequence[str], None] = None, *, scalar: Optional[str] = None,
           flags: Union[str, Iterable[str], None] = None) -> List[Case]:
    """The golden cases, optionally of one operation (or several), one scalar (``"f32"``/``"f64"``),
    and only those carrying every flag in ``flags``."""
    ops = None if operation is None else {operation} if isinstance(operation, str) else set(operation)
    want = set() if flags is None else {flags} if isinstance(flags, str) else set(flags)
    cases = [c for c in _all_cases()
             if (ops is None or c.operation in ops) and (scalar is None or c.scalar == scalar)
             and want <= set(c.flags)]
    if ops is not None:
        unknown = ops - {c.operation for c in _all_cases()}
        if unknown:
            raise ValueError("unknown operation(s): %s" % ", ".join(sorted(unknown)))
    return cases


def cases(operation: Union[str, Sequence[str], None] = None, *, scalar: Optional[str] = None,
          flags: Union[str, Iterable[str], None] = None) -> List[Any]:
    """``golden(...)`` as ``pytest.param(case, id=case.id)`` for ``@pytest.mark.parametrize``."""
    import pytest
    return [pytest.param(c, id=c.id) for c in golden(operation, scalar=scalar, flags=flags)]
