"""The pytest plugin runs tools/numpy_example/naive.py's natural_update over the golden cases
(acceptance 4), and a planted bug gives a torch.testing-style report naming the failing cases."""
import pytest

from conftest import NUMPY_EXAMPLE

pytestmark = pytest.mark.skipif(not (NUMPY_EXAMPLE / "naive.py").is_file(),
                                reason="tools/numpy_example/naive.py is not next to python/")

TEST_FILE = r'''
import sys

import numpy as np
import pytest

import pgoracle
from pgoracle.testing import check

sys.path.insert(0, {example!r})
import naive  # noqa: E402

BUG = {bug!r}


def plain(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, list):
        return [plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def natural_update(theta, grads, scores, epsilon, solver=None):
    """A NumPy natural_update: naive.py's, on the arrays pgoracle hands over."""
    ctx = naive.Ctx(theta.dtype.type)
    inp = {{"theta": plain(theta), "grads": plain(grads), "scores": plain(scores), "epsilon": plain(epsilon)}}
    if solver is not None:
        inp["solver"] = {{k: plain(v) for k, v in solver.to_json().items()}}
    if BUG == "damping":  # the damping check removed
        spec = inp.get("solver", {{}})
        if spec.get("kind") == "damped":
            spec = dict(spec, damping=abs(spec["damping"]) or 1e-300)
            inp["solver"] = spec
    out = naive.op_natural_update(ctx, inp)
    if BUG == "sign" and inp.get("solver", {{}}).get("kind", "exact") == "exact":
        out = dict(out, theta=2 * theta - out["theta"])  # the step taken backwards
    return out


@pytest.mark.pgoracle("natural_update")
def test_natural_update(pgoracle_case):
    check(pgoracle_case, natural_update,
          error_kinds={{naive.Failure: lambda e: e.kind, np.linalg.LinAlgError: "SingularFisher"}})
'''


def write(pytester, bug=None):
    pytester.makepyfile(test_naive=TEST_FILE.format(example=str(NUMPY_EXAMPLE), bug=bug))


def test_naive_natural_update_passes_every_golden_case(pytester):
    import pgoracle
    write(pytester)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    n = len(pgoracle.golden("natural_update"))
    result.assert_outcomes(passed=n)


def test_ids_are_case_ids(pytester):
    import pgoracle
    write(pytester)
    result = pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    ids = [c.id for c in pgoracle.golden("natural_update")]
    out = result.stdout.str()
    for i in ids:
        assert "test_natural_update[%s]" % i in out


def test_planted_sign_flip_gives_torch_style_report(pytester):
    write(pytester, bug="sign")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    out = result.stdout.str()
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "*pgoracle case 'ref-natural_update-1' (natural_update, f64):*",
        "*field `theta`: not close under pgoracle's normwise rule!*",
        "*Mismatched elements: */ 3 (*%)*",
        "*Greatest absolute difference: * at index (*,) (up to * allowed)*",
        "*Greatest relative difference: * at index (*,) (up to * allowed, normwise)*",
        "*Normwise error: max|got - expected| / max|expected| = * (rel = *, abs = 0, kappa = *)*",
    ])
    assert "FAILED test_naive.py::test_natural_update[ref-natural_update-1]" in out


def test_planted_damping_bug_names_the_cases_and_xfails_file(pytester):
    write(pytester, bug="damping")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    failed = [line.split("[", 1)[1].split("]", 1)[0] for line in result.stdout.lines
              if line.startswith("FAILED test_naive.py::test_natural_update[")]
    assert failed, result.stdout.str()
    assert "expected error InvalidParameter, got a result" in result.stdout.str()
    xf = pytester.makefile(".txt", xfails="# known deviations\n" + "\n".join(failed) + "\n")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--pgoracle-xfails", str(xf))
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(xfailed=len(failed), passed=len(__import__("pgoracle").golden("natural_update")) - len(failed))
