"""pytest plugin (entry point ``pytest11: pgoracle``).

    @pytest.mark.pgoracle("natural_update", scalar="f64")
    def test_natural_update(pgoracle_case):
        pgoracle.testing.check(pgoracle_case, my_natural_update)

The marker parametrises the test over the golden cases (``pgoracle.golden``'s arguments), with
test ids equal to the case ids. ``--pgoracle-xfails FILE``: case ids (one per line, ``#``
comments) expected to fail, as array-api-tests does.
"""
from __future__ import annotations

from typing import Any, Set

import pytest

_XFAILS_KEY = pytest.StashKey[Set[str]]()


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("pgoracle")
    group.addoption("--pgoracle-xfails", metavar="FILE", default=None,
                    help="file of golden case ids (one per line) marked xfail")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers",
        "pgoracle(operation=None, *, scalar=None, flags=None): parametrise the test over pgoracle's "
        "golden cases (fixture pgoracle_case), ids equal to the case ids")
    ids: Set[str] = set()
    path = config.getoption("--pgoracle-xfails")
    if path:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.split("#", 1)[0].strip()
                if line:
                    ids.add(line)
    config.stash[_XFAILS_KEY] = ids


def pytest_generate_tests(metafunc: Any) -> None:
    marker = metafunc.definition.get_closest_marker("pgoracle")
    if marker is None:
        return
    if "pgoracle_case" not in metafunc.fixturenames:
        raise pytest.UsageError("%s: @pytest.mark.pgoracle needs the pgoracle_case fixture argument"
                                % metafunc.definition.nodeid)
    from . import golden
    found = golden(*marker.args, **marker.kwargs)
    xfails = metafunc.config.stash.get(_XFAILS_KEY, set())
    params = []
    for case in found:
        marks = [pytest.mark.xfail(reason="listed in --pgoracle-xfails", strict=False)] if case.id in xfails else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    metafunc.parametrize("pgoracle_case", params, indirect=True)


@pytest.fixture
def pgoracle_case(request: Any) -> Any:
    """The golden case (``pgoracle.Case``) of a test parametrised by ``@pytest.mark.pgoracle``."""
    if not hasattr(request, "param"):
        raise pytest.UsageError("pgoracle_case: mark the test with @pytest.mark.pgoracle(...)")
    return request.param
