"""`pgoracle.strategies`: every draw is a valid document for its operation (an output or a typed
PgError, never a DocumentError or another exception), in the drawn precision."""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed")
from hypothesis import HealthCheck, given, settings  # noqa: E402

import pgoracle  # noqa: E402
from pgoracle import strategies  # noqa: E402


@pytest.mark.parametrize("operation", strategies.OPERATIONS)
@pytest.mark.parametrize("scalar", ["f64", "f32"])
def test_every_draw_is_an_output_or_a_typed_error(operation, scalar):
    fn = getattr(pgoracle, operation)

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(strategies.inputs(operation, scalar))
    def run(kwargs):
        try:
            result = fn(**kwargs)
        except pgoracle.PgError as e:
            assert e.kind in pgoracle.ERROR_KINDS
            return
        dtype = np.float32 if scalar == "f32" else np.float64
        for value in vars(result).values():
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                assert value.dtype == dtype

    run()
