"""The pytest plugin (ctgen_tracer.pytest_plugin), run under the real pytest
in a subprocess on a small suite: one trace per test with --ctgen-record,
only the failing tests' with --ctgen-record-failed, nothing without them."""

import json

from conftest import run

from ctgen_tracer import reader
from ctgen_tracer.tracedir import METADATA_FILE

SUITE = '''
import sys
import pytest

@pytest.fixture
def numbers():
    data = [3, 4]
    yield data
    data.clear()

def test_sum(numbers):
    total = sum(numbers)
    assert total == 7

def test_product(numbers):
    a, b = numbers
    product = a * b
    assert product == 13

@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    assert n * 2 == n + n

def test_monitoring_is_free():
    print("TOOL", sys.monitoring.get_tool(4))
'''


def pytest_run(tmp_path, *options):
    (tmp_path / "test_suite.py").write_text(SUITE)
    return run(["-m", "pytest", "-p", "ctgen_tracer.pytest_plugin", "-q", "-s", "-p", "no:cacheprovider",
                "test_suite.py", *options], cwd=tmp_path)


def traces(d):
    return sorted(p.name for p in d.iterdir()) if d.is_dir() else []


def test_record_compressed(tmp_path):
    r = pytest_run(tmp_path, "--ctgen-record=out", "--ctgen-compress")
    assert r.returncode == 1 and "1 failed, 4 passed" in r.stdout, r.stdout + r.stderr
    out = tmp_path / "out"
    assert len(traces(out)) == 5
    for name in traces(out):
        assert any(reader.EventFile(str(out / name / "trace.ctgt")).compressed)
        assert json.loads((out / name / METADATA_FILE).read_text())["options"]["compress"] == 3
        v = run(["-m", "ctgen_tracer", "verify", out / name])
        assert v.returncode == 0, v.stdout
    t = reader.Trace(str(out / "test_suite.py__test_product"))
    assert any(r for r in t.file.compressed)
    assert any(rec.kind == "Step" for rec in t.records())


def test_record_failed_keeps_the_failing_test(tmp_path):
    r = pytest_run(tmp_path, "--ctgen-record-failed")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed, 4 passed" in r.stdout
    out = tmp_path / "ctgen-traces"
    assert traces(out) == ["test_suite.py__test_product"]
    t = out / "test_suite.py__test_product"
    v = run(["-m", "ctgen_tracer", "verify", t])
    assert v.returncode == 0, v.stdout
    meta = json.loads((t / METADATA_FILE).read_text())
    assert meta["program"] == "test_suite.py::test_product"
    assert meta["ended_by"] == "test failed"
    tr = reader.Trace(str(t))
    steps = [(tr.functions[rec["fn"]].name, rec["line"], {k: v.render() for k, v in snap.items()})
             for rec, snap in tr.steps()]
    lines = SUITE.splitlines()
    assert_line = lines.index("    assert product == 13") + 1
    # The failing assertion's step, with the values the test saw.
    [(name, line, snap)] = [s for s in steps if s[1] == assert_line]
    assert name == "test_product"
    assert (snap["a"], snap["b"], snap["product"]) == ("3", "4", "12")
    # Setup and teardown of the fixture are in the test's trace too.
    fixture = [s for s in steps if s[0] == "numbers"]
    assert [s[1] for s in fixture] == [lines.index("    data = [3, 4]") + 1, lines.index("    yield data") + 1,
                                       lines.index("    data.clear()") + 1]


def test_record_every_test(tmp_path):
    out = tmp_path / "all"
    r = pytest_run(tmp_path, "--ctgen-record=%s" % out)
    assert r.returncode == 1
    assert traces(out) == ["test_suite.py__test_monitoring_is_free", "test_suite.py__test_param_1_",
                           "test_suite.py__test_param_2_", "test_suite.py__test_product",
                           "test_suite.py__test_sum"]
    for name in traces(out):
        v = run(["-m", "ctgen_tracer", "verify", out / name])
        assert v.returncode == 0, v.stdout
    t = reader.Trace(str(out / "test_suite.py__test_sum"))
    assert {t.functions[rec["fn"]].name for rec in t.records() if rec.kind == "Step"} == {"test_sum", "numbers"}
    assert "TOOL ctgen-tracer" in r.stdout   # recording while the test runs


def test_without_options_the_plugin_does_nothing(tmp_path):
    r = pytest_run(tmp_path)
    assert r.returncode == 1
    assert "TOOL None" in r.stdout          # sys.monitoring untouched
    assert set(traces(tmp_path)) <= {"test_suite.py", "__pycache__"}   # no ctgen-traces/
    assert "ctgen" not in r.stdout.replace("ctgen_tracer.pytest_plugin", "") + r.stderr


def test_trace_names():
    from ctgen_tracer.pytest_plugin import trace_name
    assert trace_name("tests/test_a.py::TestX::test_y[a/b-1]") == "tests_test_a.py__TestX__test_y_a_b-1_"
    long = trace_name("t.py::test_" + "x" * 500)
    assert len(long) <= 200 and long.endswith("xxx")
    assert long != trace_name("u.py::test_" + "x" * 500)
