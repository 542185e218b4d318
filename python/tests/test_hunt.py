"""pgoracle.hunt: planted bugs in Python functions are found and shrunk in-process (issue #19)."""
import json

import numpy as np
import pytest

import pgoracle
from pgoracle import HuntReport, hunt


def zero_gradient_gives_nan(case):
    """restricted_step that divides by ‖g‖ = 0 instead of raising ZeroGradient."""
    result = pgoracle.evaluate(case)
    if result.get("error", {}).get("kind") == "ZeroGradient":
        theta = np.asarray(case["input"]["theta"], dtype=float)
        return {"theta": theta * np.nan}
    return result


def fisher_unbiased(case):
    """fisher as the sample covariance, 1/(m−1) instead of the book's 1/m."""
    result = pgoracle.evaluate(case)
    if "output" not in result:
        return result
    m = len(case["input"]["scores"])
    book = np.asarray(result["output"]["fisher"], dtype=float)
    return {"fisher": book * (m / max(m - 1, 1))}


def test_nan_on_a_zero_gradient_is_found_and_shrunk():
    report = hunt(zero_gradient_gives_nan, "restricted_step", max_examples=2000, seed=0, time=20)
    assert isinstance(report, HuntReport)
    assert report.kinds == ["error:ZeroGradient"], report.text
    f = report.findings[0]
    assert f["operation"] == "restricted_step"
    assert f["count"] >= 1 and f["minimal"] is True
    grad = [float(g) for g in f["input"]["grad"]]
    assert all(g == 0.0 for g in grad), f["input"]
    assert len(f["input"]["theta"]) == 1, f["input"]
    assert not report.ok and report.exit_code == 1
    assert str(report) == report.text
    assert "restricted_step error:ZeroGradient" in report.text
    assert "hunt: " in report.text and "seed 0" in report.text
    assert list(report.golden) == ["restricted_step"]
    golden = json.loads(report.golden["restricted_step"])
    assert golden["operation"] == "restricted_step"
    test = golden["test_groups"][0]["tests"][0]
    assert test["result"] == "error" and test["expected_error"] == "ZeroGradient"
    assert test["hunt"]["kind"] == "error:ZeroGradient"


def test_an_unbiased_fisher_is_found_and_shrunk_to_two_rows():
    report = hunt(fisher_unbiased, "fisher", max_examples=1000, seed=0, time=20)
    assert "field:fisher" in report.kinds, report.text
    f = next(f for f in report.findings if f["kind"] == "field:fisher")
    scores = f["input"]["scores"]
    assert len(scores) == 2 and all(len(row) == 1 for row in scores), f["input"]
    assert f["minimal"] is True
    assert "fisher" in f["candidate"]["output"]


def test_the_same_seed_gives_the_same_findings():
    a = hunt(fisher_unbiased, "fisher", max_examples=300, seed=7, time=20)
    b = hunt(fisher_unbiased, "fisher", max_examples=300, seed=7, time=20)
    assert a.findings == b.findings and a.findings
    assert a.golden == b.golden
    assert (a.seed, a.cases, a.skipped) == (b.seed, b.cases, b.skipped) == (7, 300 - a.skipped, a.skipped)


def test_the_oracle_itself_agrees_on_every_operation():
    report = hunt(pgoracle.evaluate, "all", max_examples=300, seed=1, time=20)
    assert report.ok, report.text
    assert report.findings == [] and report.golden == {} and report.exit_code == 0
    assert report.cases + report.skipped == 300
    assert "0 kinds of disagreement" in report.text


def test_a_profile_is_passed_on():
    seen = set()

    def candidate(case):
        seen.add(case.get("profile"))
        return pgoracle.evaluate(case)

    report = hunt(candidate, "clamped_objective", profile="sb3", max_examples=50, seed=2, time=20)
    assert report.ok, report.text
    assert seen == {"sb3"}
    assert "profile sb3" in report.text


def test_the_typed_api_raising_pg_errors_agrees():
    def candidate(case):
        x = case["input"]
        r = pgoracle.restricted_step(scalar=case["scalar"], profile=case.get("profile"), **x)
        return {"theta": r.theta}

    report = hunt(candidate, "restricted_step", max_examples=500, seed=3, time=20)
    assert report.ok, report.text


def test_an_exception_is_a_crash_with_its_traceback():
    def candidate(case):
        raise RuntimeError("boom in the candidate")

    report = hunt(candidate, "fisher", max_examples=200, seed=0, time=20)
    assert report.kinds == ["crash"], report.text
    said = report.findings[0]["candidate"]["said"]
    assert report.findings[0]["candidate"]["misbehaviour"] == "crash"
    assert "Traceback" in said and "RuntimeError: boom in the candidate" in said
    # The hunt gives up on a candidate that misbehaves on every case.
    assert report.cases < 200
    assert "gave up" in report.text


def test_a_non_dict_is_garbled_and_another_id_is_a_wrong_id():
    garbled = hunt(lambda case: [1, 2], "kl_categorical", max_examples=50, time=20)
    assert garbled.kinds == ["garbled"], garbled.text
    assert "list" in garbled.findings[0]["candidate"]["said"]

    def wrong_id(case):
        result = pgoracle.evaluate(case)
        result["id"] = "not-" + str(case["id"])
        return result

    report = hunt(wrong_id, "kl_categorical", max_examples=50, time=20)
    assert report.kinds == ["wrong_id"], report.text


def test_numpy_results_and_non_finite_floats_are_written():
    def candidate(case):
        result = pgoracle.evaluate(case)
        if "output" not in result:
            return result
        # float32 and float64 arrays and NumPy scalars: converted, not a garbled answer.
        return {k: (np.float64(v) if isinstance(v, float) else
                    np.asarray(v, dtype=np.float64) if isinstance(v, list) and v
                    and all(isinstance(e, float) for e in v) else v)
                for k, v in result["output"].items()}

    report = hunt(candidate, "kl_gaussian", max_examples=200, seed=4, time=20)
    assert report.ok, report.text

    def always_inf(case):
        return {"kl": float("inf")}

    report = hunt(always_inf, "kl_gaussian", max_examples=200, seed=4, time=20)
    assert "nonfinite:kl" in report.kinds, report.text
    nonfinite = next(f for f in report.findings if f["kind"] == "nonfinite:kl")
    assert nonfinite["candidate"]["output"]["kl"] == "Infinity"


def test_out_writes_golden_files(tmp_path):
    path = tmp_path / "fisher.json"
    report = hunt(fisher_unbiased, "fisher", max_examples=300, seed=0, time=20, out=path)
    assert json.loads(path.read_text()) == json.loads(report.golden["fisher"])
    assert json.loads(path.read_text())["schema"] == "pgoracle-golden-v2"

    folder = tmp_path / "all"

    def only_fisher_wrong(case):
        return fisher_unbiased(case) if case["operation"] == "fisher" else pgoracle.evaluate(case)

    report = hunt(only_fisher_wrong, "all", max_examples=2000, seed=0, time=20, out=folder)
    assert list(report.golden) == ["fisher"], report.text
    assert sorted(p.name for p in folder.iterdir()) == ["fisher.json"]

    nothing = tmp_path / "none.json"
    hunt(pgoracle.evaluate, "fisher", max_examples=20, out=nothing)
    assert not nothing.exists()


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="nope"):
        hunt(pgoracle.evaluate, "nope", max_examples=1)
    with pytest.raises(ValueError, match="profile"):
        hunt(pgoracle.evaluate, "fisher", profile="jax", max_examples=1)
    with pytest.raises(ValueError, match="seconds"):
        hunt(pgoracle.evaluate, "fisher", max_examples=1, time=-1.0)
    with pytest.raises(TypeError):
        hunt(None, "fisher")  # type: ignore[arg-type]


def test_keyboard_interrupt_stops_the_hunt():
    calls = []

    def candidate(case):
        calls.append(case["id"])
        if len(calls) == 10:
            raise KeyboardInterrupt
        return pgoracle.evaluate(case)

    with pytest.raises(KeyboardInterrupt):
        hunt(candidate, "fisher", max_examples=10000, time=20)
    assert len(calls) == 10
