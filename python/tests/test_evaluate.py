"""pgoracle.evaluate is exactly `pgoracle eval` (acceptance 2), and the golden cases are the files."""
import json

import pytest

import pgoracle
from pgoracle import _core

from conftest import ROOT, run_cli


def golden_documents():
    return [c.to_json() for c in pgoracle.golden()]


def test_golden_has_every_operation():
    ops = {c.operation for c in pgoracle.golden()}
    assert ops == set(pgoracle.OPERATIONS)
    assert len(pgoracle.golden()) > 800


def test_golden_files_equal_committed_files():
    files = pgoracle.golden_files()
    committed = sorted(p.name for p in (ROOT / "golden").glob("*.json"))
    if not committed:
        pytest.skip("no golden/ folder next to python/")
    assert sorted(files) == committed
    for name in committed:
        assert files[name] == json.loads((ROOT / "golden" / name).read_text()), name


def test_evaluate_equals_cli_on_every_golden_input(cli):
    docs = golden_documents()
    text = "\n".join(json.dumps(d) for d in docs) + "\n"
    proc = run_cli(cli, ["eval", "--jsonl"], text)
    assert proc.returncode == 0, proc.stderr
    expected = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    got = [pgoracle.evaluate(d) for d in docs]
    assert len(got) == len(expected) == len(docs)
    bad = [d["id"] for d, g, e in zip(docs, got, expected) if g != e]
    assert not bad, "evaluate differs from the CLI on %d cases: %s" % (len(bad), bad[:10])


def test_evaluate_list_and_text_forms(cli):
    docs = golden_documents()[:25]
    proc = run_cli(cli, ["eval"], json.dumps(docs))
    assert proc.returncode == 0, proc.stderr
    assert pgoracle.evaluate(docs) == json.loads(proc.stdout)
    assert pgoracle.evaluate(json.dumps(docs)) == json.loads(proc.stdout)
    proc = run_cli(cli, ["eval", "--conditioning"], json.dumps(docs))
    if proc.returncode == 0:
        assert pgoracle.evaluate(docs, conditioning=True) == json.loads(proc.stdout)


def test_evaluate_accepts_case_objects():
    case = pgoracle.golden("natural_update")[0]
    assert pgoracle.evaluate(case) == pgoracle.evaluate(case.to_json())


def test_document_error():
    with pytest.raises(pgoracle.DocumentError) as info:
        pgoracle.evaluate({"id": "x", "operation": "fisher", "input": {"scores": [[1.0]], "bogus": 1}})
    assert isinstance(info.value, ValueError)
    assert info.value.field == "input.bogus"
    assert "x" in info.value.case_id
    with pytest.raises(pgoracle.DocumentError) as info:
        pgoracle.evaluate("{not json")
    assert info.value.field == "(document)"
    with pytest.raises(pgoracle.DocumentError):
        pgoracle.evaluate({"id": "x", "operation": "no_such_operation", "input": {}})


def test_panic_becomes_an_exception():
    with pytest.raises(pgoracle.OracleError, match="deliberate panic"):
        _core._panic()


def test_filters_and_params():
    f32 = pgoracle.golden("natural_update", scalar="f32")
    assert f32 and all(c.scalar == "f32" and c.operation == "natural_update" for c in f32)
    params = pgoracle.cases("fisher")
    assert [p.id for p in params] == [c.id for c in pgoracle.golden("fisher")]
    with pytest.raises(ValueError):
        pgoracle.golden("no_such_operation")
    flagged = [c for c in pgoracle.golden() if c.flags]
    if flagged:
        flag = flagged[0].flags[0]
        assert all(flag in c.flags for c in pgoracle.golden(flags=flag))
