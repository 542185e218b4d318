"""Input forms (acceptance 3): dtypes, layouts, views, JAX, torch; and typed errors for bad inputs."""
import importlib.util
import json

import numpy as np
import pytest

import pgoracle
from pgoracle import _core
from pgoracle._convert import dumps, format_number

THETA = [0.2, 1.0]
GRADS = [[0.4, 0.1], [-0.2, 0.9], [0.31386442, -0.7]]
SCORES = [[1.0, 0.5], [-0.3, 1.2], [0.7, -0.8]]


def reference(dtype):
    scalar = "f32" if dtype == np.float32 else "f64"
    doc = {"id": 1, "operation": "natural_update", "scalar": scalar,
           "input": {"theta": THETA, "grads": GRADS, "scores": SCORES, "epsilon": 0.1}}
    return json.loads(_core.evaluate(json.dumps(doc)))["output"]


def check_step(step, dtype):
    ref = reference(dtype)
    for k in ("grad", "fisher", "direction", "theta"):
        got = getattr(step, k)
        assert got.dtype == dtype, k
        np.testing.assert_array_equal(got, np.array(ref[k], dtype=dtype), err_msg=k)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_dtypes_run_in_their_precision(dtype):
    step = pgoracle.natural_update(np.array(THETA, dtype), np.array(GRADS, dtype), np.array(SCORES, dtype),
                                   dtype(0.1))
    check_step(step, dtype)


def test_float32_is_not_widened():
    # 0.31386442 in f32 is not 0.31386443786639856 in f64: the f32 case reads the f32 digits.
    x = np.float32(0.31386442)
    text = format_number(x, "f32")
    assert np.float32(text) == x and len(text) <= 11
    assert format_number(float(x), "f64") == repr(float(x)) != text
    r32 = pgoracle.gradient_ascent(np.array([x]), np.array([x]), 1.0)
    assert r32.theta.dtype == np.float32 and r32.theta[0] == np.float32(x + x)


def test_f32_shortest_round_trip():
    rng = np.random.default_rng(7)
    xs = np.concatenate([rng.standard_normal(2000).astype(np.float32),
                         np.array([np.finfo(np.float32).max, np.finfo(np.float32).tiny, 1e-45, -0.0],
                                  dtype=np.float32)])
    for x in xs:
        text = format_number(x, "f32")
        assert np.float32(text) == x, text
        json.loads(text)
    for x in rng.standard_normal(2000) * 10.0 ** rng.integers(-300, 300, 2000):
        assert float(format_number(x, "f64")) == x


def test_nonfinite_written_as_strings():
    assert dumps([pgoracle._convert.Num(format_number(v, "f64")) for v in (np.nan, np.inf, -np.inf)]) == \
        '["NaN","Infinity","-Infinity"]'


def test_python_lists_default_to_f64():
    check_step(pgoracle.natural_update(THETA, GRADS, SCORES, 0.1), np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fortran_order_and_views(dtype):
    G = np.asfortranarray(np.array(GRADS, dtype))
    S = np.asfortranarray(np.array(SCORES, dtype))
    check_step(pgoracle.natural_update(np.array(THETA, dtype), G, S, 0.1), dtype)
    # reversed views
    Gr = np.array(GRADS[::-1], dtype)[::-1]
    Sr = np.array(SCORES[::-1], dtype)[::-1]
    th = np.array(THETA[::-1], dtype)[::-1]
    assert Gr.strides[0] < 0
    check_step(pgoracle.natural_update(th, Gr, Sr, 0.1), dtype)
    # strided views: every other row and column of a larger array
    big = np.zeros((6, 4), dtype)
    big[::2, ::2] = GRADS
    bigs = np.zeros((6, 4), dtype)
    bigs[::2, ::2] = SCORES
    thb = np.zeros(4, dtype)
    thb[::2] = THETA
    check_step(pgoracle.natural_update(thb[::2], big[::2, ::2], bigs[::2, ::2], 0.1), dtype)
    # transposed (a view in the other order)
    check_step(pgoracle.natural_update(np.array(THETA, dtype), np.array(GRADS, dtype).T.copy().T,
                                       np.array(SCORES, dtype).T.copy().T, 0.1), dtype)


def test_list_of_arrays():
    check_step(pgoracle.natural_update(np.array(THETA), [np.array(g) for g in GRADS],
                                       [np.array(s) for s in SCORES], 0.1), np.float64)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                    reason="jax is not installed (pip install 'jax[cpu]' to test JAX arrays)")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_jax_arrays(dtype):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    step = pgoracle.natural_update(jnp.array(THETA, dtype=dtype), jnp.array(GRADS, dtype=dtype),
                                   jnp.array(SCORES, dtype=dtype)[::-1][::-1], 0.1)
    check_step(step, np.float32 if dtype == "float32" else np.float64)


def test_torch_tensors():
    torch = pytest.importorskip("torch", reason="torch is not installed; install it to test torch tensors")
    for tdt, ndt in ((torch.float32, np.float32), (torch.float64, np.float64)):
        th = torch.tensor(THETA, dtype=tdt, requires_grad=True)
        G = torch.tensor(GRADS, dtype=tdt).t().contiguous().t()
        S = torch.tensor(SCORES, dtype=tdt)
        check_step(pgoracle.natural_update(th, G, S, 0.1), ndt)


class DLPackOnly:
    """An array-like known only through __dlpack__."""

    def __init__(self, a):
        self._a = a

    def __dlpack__(self, *args, **kwargs):
        return self._a.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._a.__dlpack_device__()


class ArrayOnly:
    def __init__(self, a):
        self._a = a

    def __array__(self, dtype=None, copy=None):
        return self._a


def test_dlpack_and_array_protocols():
    th = np.array(THETA, np.float32)
    step = pgoracle.natural_update(DLPackOnly(th), ArrayOnly(np.array(GRADS, np.float32)),
                                   np.array(SCORES, np.float32), 0.1)
    check_step(step, np.float32)


# ---- bad inputs -------------------------------------------------------------------------------

def test_mixed_dtypes_name_the_arguments():
    with pytest.raises(TypeError, match="theta.*float32.*grads.*float64|mixed dtypes"):
        pgoracle.natural_update(np.array(THETA, np.float32), np.array(GRADS), np.array(SCORES), 0.1)
    with pytest.raises(TypeError, match="scores is float32"):
        pgoracle.natural_update(THETA, GRADS, np.array(SCORES, np.float32), 0.1, scalar="f64")


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float16, np.complex128, np.bool_])
def test_wrong_dtype(dtype):
    with pytest.raises(TypeError, match="theta"):
        pgoracle.natural_update(np.array([1, 0], dtype), GRADS, SCORES, 0.1)


def test_nan_is_nonfinite_input():
    with pytest.raises(pgoracle.NonFiniteInput) as info:
        pgoracle.natural_update(np.array([np.nan, 1.0]), GRADS, SCORES, 0.1)
    assert info.value.kind == "NonFiniteInput" and isinstance(info.value, ValueError)
    with pytest.raises(pgoracle.NonFiniteInput):
        pgoracle.kl_gaussian(0.0, 1.0, np.float32(np.inf), 1.0)


def test_wrong_shape():
    with pytest.raises(pgoracle.DimensionMismatch) as info:
        pgoracle.natural_update([0.2, 1.0, 3.0], GRADS, SCORES, 0.1)
    assert info.value.field is not None
    with pytest.raises(TypeError, match="theta must be a vector"):
        pgoracle.natural_update(np.ones((2, 2)), GRADS, SCORES, 0.1)
    with pytest.raises(TypeError, match="grads must be a matrix"):
        pgoracle.natural_update(THETA, np.ones(2), SCORES, 0.1)
    with pytest.raises(TypeError, match="epsilon must be a number"):
        pgoracle.natural_update(THETA, GRADS, SCORES, [0.1])


def test_unknown_field_is_a_document_error():
    with pytest.raises(pgoracle.DocumentError) as info:
        pgoracle.natural_update(THETA, GRADS, SCORES, 0.1, bogus=1.0)
    assert info.value.field == "input.bogus"


def test_error_fields_and_kinds():
    with pytest.raises(pgoracle.InvalidParameter) as info:
        pgoracle.natural_update(THETA, GRADS, SCORES, -0.1)
    assert info.value.field == "epsilon"
    with pytest.raises(pgoracle.SingularFisher):
        pgoracle.natural_update([0.0, 0.0], [[1.0, 1.0]], [[1.0, 1.0]], 0.1)
    with pytest.raises(pgoracle.ZeroGradient):
        pgoracle.restricted_step([0.0], [0.0], 0.1)
    for kind, cls in pgoracle.ERROR_KINDS.items():
        assert issubclass(cls, pgoracle.PgError) and cls.kind == kind


def test_policies_solvers_and_trajectories():
    trajs = [[(0, 1, 1.0), (1, 0, 0.5)], np.array([[1, 1, -1.0]])]
    r = pgoracle.score(pgoracle.Softmax(2, 2), np.zeros(4), trajs)
    assert r.scores.shape == (2, 4)
    g = pgoracle.likelihood_ratio_gradient(pgoracle.Gaussian(), np.array([0.0, 1.0], np.float32),
                                           [np.array([[0.0, 0.3, 1.0], [0.0, -0.2, 2.0]], np.float32)], 0.9)
    assert g.grad.dtype == np.float32 and g.grads.shape == (1, 2)
    st = pgoracle.natural_update(THETA, GRADS, SCORES, 0.1, solver=pgoracle.ConjugateGradient(10, 1e-12))
    assert st.fisher is None and st.cg is not None and st.cg.iterations >= 1
    st = pgoracle.natural_update(THETA, GRADS, SCORES, 0.1, solver=pgoracle.Damped(0.5))
    assert st.fisher.shape == (2, 2)
    with pytest.raises(pgoracle.InvalidParameter):
        pgoracle.natural_update(THETA, GRADS, SCORES, 0.1, solver=pgoracle.PseudoInverse(-1.0))
    tr = pgoracle.trust_region_update(pgoracle.Gaussian(), [0.0, 1.0], [[(0.0, 0.3, 1.0), (0.0, -0.2, 2.0)],
                                                                       [(0.0, 0.5, -1.0)]], 0.9, 0.01, 0.5)
    assert isinstance(tr.accepted, bool) and isinstance(tr.steps, int)


def test_profiles_and_conventions():
    r = pgoracle.scale_gradient(np.array([3.0, 4.0], np.float32), 1.0, profile="torch")
    assert r.grad.dtype == np.float32 and "total_norm" in r.extra and r.total_norm == np.float32(5.0)
    r = pgoracle.clip_gradient(np.array([3.0, -4.0]), profile="torch", clip_value=1.0)
    np.testing.assert_array_equal(r.grad, [1.0, -1.0])
    with pytest.raises(pgoracle.DocumentError):
        pgoracle.scale_gradient([3.0, 4.0], 1.0, conventions={"norm": "no_such_norm"})
