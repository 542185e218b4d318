"""Arrays in, exact JSON text out; JSON results back to NumPy arrays."""
from __future__ import annotations

import json
import math
from typing import Any, List, Optional, Tuple

import numpy as np

# Input fields that hold integers (counts, indices): never a float dtype question.
INTEGER_FIELDS = frozenset({"n_states", "n_actions", "max_steps", "k_max", "max_iters",
                            "cg_max_steps", "line_search_max_iter"})


class Num:
    """A number already written as its exact JSON text."""
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Typed:
    """An array with a float dtype that decides the case's scalar."""
    __slots__ = ("array", "name")

    def __init__(self, array: np.ndarray, name: str) -> None:
        self.array = array
        self.name = name


def _is_torch(x: Any) -> bool:
    mod = type(x).__module__ or ""
    return mod == "torch" or mod.startswith("torch.")


def as_array(x: Any, name: str) -> Tuple[np.ndarray, bool]:
    """(array, typed): NumPy view or copy of any array-like; typed when it came with a dtype."""
    if isinstance(x, np.ndarray):
        return np.ascontiguousarray(x), True
    if isinstance(x, np.generic):
        return np.asarray(x), True
    if _is_torch(x):
        return np.ascontiguousarray(x.detach().cpu().numpy()), True
    if isinstance(x, (bool, int, float)):
        return np.asarray(x, dtype=np.float64 if isinstance(x, float) else None), False
    if isinstance(x, (list, tuple)):
        typed = any(isinstance(v, (np.ndarray, np.generic)) or _is_torch(v) or
                    hasattr(v, "__array__") or hasattr(v, "__dlpack__") for v in x)
        if typed:
            parts = [as_array(v, "%s[%d]" % (name, i)) for i, v in enumerate(x)]
            dts = {p[0].dtype for p in parts if p[1]}
            try:
                arr = np.stack([p[0] for p in parts]) if parts else np.asarray([])
            except ValueError:
                raise TypeError("%s: rows of different lengths or kinds cannot form an array" % name)
            if len(dts) > 1:
                raise TypeError("%s mixes dtypes %s" % (name, ", ".join(sorted(map(str, dts)))))
            return arr, True
        try:
            return np.asarray(x), False
        except ValueError:
            raise TypeError("%s: a ragged nested sequence is not an array" % name)
    if hasattr(x, "__array__"):
        return np.ascontiguousarray(np.asarray(x)), True
    if hasattr(x, "__dlpack__"):
        return np.ascontiguousarray(np.from_dlpack(x)), True
    raise TypeError("%s: expected an array, a number or a sequence, got %s" % (name, type(x).__name__))


def scalar_of(dtype: np.dtype, name: str) -> Optional[str]:
    if dtype == np.float32:
        return "f32"
    if dtype == np.float64:
        return "f64"
    return None


def format_number(x: Any, scalar: str) -> str:
    """The exact JSON text of a number in precision ``scalar`` ("NaN"/"Infinity" as strings)."""
    if scalar == "f32":
        v = np.float32(x)
        f = float(v)
    else:
        f = float(x)
        v = None
    if math.isnan(f):
        return '"NaN"'
    if math.isinf(f):
        return '"Infinity"' if f > 0 else '"-Infinity"'
    if v is not None:
        # numpy's str of a float32 is the shortest decimal that round-trips in f32 (Dragon4).
        return str(v)
    return repr(f)


def dumps(value: Any) -> str:
    """JSON text of a tree of dicts, lists, strings, bools, ints, None and ``Num``."""
    if isinstance(value, Num):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + dumps(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if value is None or isinstance(value, (bool, str)):
        return json.dumps(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, float):
        return format_number(value, "f64")
    raise TypeError("cannot write %r as JSON" % (value,))


def numbers(arr: np.ndarray, scalar: str, name: str, integer_ok: bool = False) -> Any:
    """Nested lists of ``Num`` from an array (of any dtype NumPy can read as numbers)."""
    kind = arr.dtype.kind
    if kind == "b":
        raise TypeError("%s: a boolean array is not a number array" % name)
    if kind in "iu":
        if not integer_ok:
            raise TypeError("%s has integer dtype %s; pass float32 or float64" % (name, arr.dtype))
        return arr.tolist()
    if kind == "f" and arr.dtype not in (np.float32, np.float64):
        raise TypeError("%s has dtype %s; pass float32 or float64" % (name, arr.dtype))
    if kind not in "f":
        raise TypeError("%s has dtype %s; pass float32 or float64" % (name, arr.dtype))
    if arr.ndim == 0:
        return Num(format_number(arr[()], scalar))
    if arr.size == 0:
        return arr.tolist()  # nested empty lists of the array's shape
    flat = [Num(format_number(v, scalar)) for v in arr.reshape(-1)]
    if arr.ndim == 1:
        return flat
    out: List[Any] = flat
    for n in reversed(arr.shape[1:]):
        out = [out[i:i + n] for i in range(0, len(out), n)]
    return out


def to_array(value: Any, scalar: str) -> Any:
    """A JSON output value as NumPy: numbers and arrays of numbers in the case's dtype."""
    dtype = np.float32 if scalar == "f32" else np.float64
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float) or value in ("NaN", "Infinity", "-Infinity"):
        return dtype(_num(value))
    if isinstance(value, list):
        try:
            return np.array(_nums(value), dtype=dtype)
        except (TypeError, ValueError):
            return [to_array(v, scalar) for v in value]
    return value


_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _num(v: Any) -> float:
    if isinstance(v, str):
        if v not in _NONFINITE:
            raise ValueError(v)
        return _NONFINITE[v]
    if isinstance(v, bool):
        raise TypeError("bool")
    return float(v)


def _nums(v: Any) -> Any:
    if isinstance(v, list):
        return [_nums(x) for x in v]
    return _num(v)
