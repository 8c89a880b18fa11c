"""What changes with the CPython version, as spec/events.spec declares it:
the exception events are global up to 3.14 and local from 3.15 on (`group
exception, local from 3.15`), and frozendict (3.15+) is a value kind with
its contents (`since 3.15`)."""

import sys

import pytest

from conftest import record, run
from ctgen_tracer import reader
import ctgen_tracer

EXCEPTION_EVENTS = ("RAISE", "EXCEPTION_HANDLED", "PY_UNWIND", "PY_THROW", "RERAISE")
LOCAL_FROM = (3, 15)


def test_exception_event_groups_follow_the_spec():
    groups = {e["name"]: e["group"] for e in ctgen_tracer.EVENTS}
    want = "local" if sys.version_info >= LOCAL_FROM else "exception"
    assert {name: groups[name] for name in EXCEPTION_EVENTS} == dict.fromkeys(EXCEPTION_EVENTS, want)


def test_exception_events_where_they_are_set(write_program, tmp_path):
    """The program asks sys.monitoring what the recorder set: up to 3.14 the
    exception events are global; from 3.15 on they are set on the recorded
    code objects only, and an unrecorded module's raise is DISABLEd. Both
    ways, the recorded function's exceptions are in the trace and the
    unrecorded one's are not."""
    (tmp_path / "quiet.py").write_text("def noisy():\n"
                                       "    for i in range(3):\n"
                                       "        try:\n"
                                       "            raise KeyError(i)\n"
                                       "        except KeyError:\n"
                                       "            pass\n")
    prog = write_program("import sys\n"
                         "import quiet\n"
                         "m = sys.monitoring\n"
                         "E = m.events.RAISE | m.events.EXCEPTION_HANDLED | m.events.PY_UNWIND"
                         " | m.events.PY_THROW | m.events.RERAISE\n"
                         "def f():\n"
                         "    try:\n"
                         "        raise ValueError('f')\n"
                         "    except ValueError:\n"
                         "        quiet.noisy()\n"
                         "    return m.get_events(4) & E, m.get_local_events(4, f.__code__) & E\n"
                         "g, l = f()\n"
                         "print(g == E, g == 0, l == E)\n")
    r = record(prog, tmp_path / "T", options=["--exclude", "quiet"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    if sys.version_info >= LOCAL_FROM:
        assert r.stdout == "False True True\n"
    else:
        assert r.stdout == "True False False\n"
    t = reader.Trace(str(tmp_path / "T"))
    kinds = [r.kind for r in t.records()]
    assert (kinds.count("Raise"), kinds.count("Handled")) == (1, 1)   # f's ValueError only
    assert "noisy" not in [f.name for f in t.functions.values()]


@pytest.mark.skipif(sys.version_info < (3, 15), reason="frozendict is new in CPython 3.15")
def test_frozendict_is_recorded_with_its_contents(write_program, tmp_path):
    prog = write_program("fd = frozendict(a=1, b=[2, 3])\n"
                         "class FD(frozendict):\n"
                         "    pass\n"
                         "sub = FD(c=4)\n"
                         "empty = frozendict()\n"
                         "print(len(fd) + len(sub))\n")
    r = record(prog, tmp_path / "T")
    assert (r.returncode, r.stdout) == (0, "3\n"), r.stderr
    t = reader.Trace(str(tmp_path / "T"))
    last = None
    for step, snap in t.steps():
        if "empty" in snap:
            last = snap
    assert last is not None
    fd, sub, empty = last["fd"], last["sub"], last["empty"]
    assert (fd.kind, fd.type, fd.length) == ("FrozenDict", "frozendict", 2)
    assert fd.to_python() == [("a", 1), ("b", [2, 3])]
    assert fd.render() == "frozendict({'a': 1, 'b': [2, 3]})"
    assert (sub.kind, sub.to_python()) == ("FrozenDict", [("c", 4)])
    assert reader.ValueFlag[4] == "Subclass" and sub.flags & 4 and not fd.flags & 4
    assert (empty.kind, empty.to_python(), empty.length) == ("FrozenDict", [], 0)
    # converted for CodeTracer: a sequence of (key, value) tuples, as a dict is
    out = tmp_path / "ct"
    r = run(["-m", "ctgen_tracer", "convert", "--to", "codetracer", "-q", "-o", out, tmp_path / "T"])
    assert r.returncode == 0, r.stdout + r.stderr
    text = "".join(p.read_text() for p in sorted(out.rglob("*.json")))
    assert ('{"kind":"Sequence","elements":[{"kind":"Tuple","elements":[{"kind":"String","text":"a"'
            in text.replace(" ", ""))
