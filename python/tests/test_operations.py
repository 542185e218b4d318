"""Every typed operation function, called with a golden case's inputs as NumPy arrays, returns
exactly what evaluate returns for the case, and matches the golden expectations."""
import numpy as np
import pytest

import pgoracle
from pgoracle.testing import assert_matches, case_inputs

from pgoracle._convert import to_array


def call(case):
    fn = pgoracle.OPERATIONS[case.operation]
    kwargs = case_inputs(case)
    if case.profile is not None:
        kwargs["profile"] = case.profile
    if case.conventions is not None:
        kwargs["conventions"] = case.conventions
    return fn(scalar=case.scalar, **kwargs)


def same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, np.floating) or isinstance(b, np.floating):
        return type(a) is type(b) and (a == b or (np.isnan(a) and np.isnan(b)))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("case", pgoracle.cases())
def test_operation_function_equals_evaluate(case):
    reference = pgoracle.evaluate(case)
    try:
        result = call(case)
    except pgoracle.PgError as exc:
        assert "error" in reference, "raised %r, evaluate gave an output" % exc
        assert exc.kind == reference["error"]["kind"]
        assert str(exc.message) == reference["error"]["message"]
        assert_matches(case, exc)
        return
    assert "output" in reference, "returned a result, evaluate gave %r" % reference.get("error")
    got = result.as_dict()
    out = reference["output"]
    assert set(got) == set(out)
    for k, v in out.items():
        if k in ("indeterminate", "conditioning"):
            assert got[k] == v
        else:
            assert same(got[k], to_array(v, case.scalar)), k
    dtype = np.float32 if case.scalar == "f32" else np.float64
    for k, v in got.items():
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            assert v.dtype == dtype, k
    if case.expected is not None or case.expected_error is not None:
        assert_matches(case, result)
