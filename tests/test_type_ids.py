"""Type ids (TypeDef records) and the lifetime of classes (issue 13, part 3,
"Identity is honest"; docs/trace-format.md, "What an id promises"): a class
the recording names is not kept alive by it, and a class born at a dead
one's address is named as itself. The program-level case, compared with the
reference recorder, is tests/programs/dying_classes.py."""

import sys
import sysconfig
from pathlib import Path

from conftest import PROGRAMS, record, run
from ctgen_tracer import reader


def test_classes_made_per_iteration_die_while_recording(tmp_path):
    """Each class of the program's loops dies when dropped (its weak
    reference's callback runs: the program asserts it and prints the
    counts), as it does untraced."""
    prog = PROGRAMS / "dying_classes.py"
    p = run([prog])
    assert p.returncode == 0, p.stderr
    r = record(prog, tmp_path / "t")
    assert r.returncode == 0, r.stderr
    assert r.stdout == p.stdout == "119 119\n"


def names_of_x(trace_dir):
    """(type of x, the name it was made with) at each step of show()."""
    out = []
    for step, snap in reader.Trace(str(trace_dir)).steps():
        if "x" in snap and "name" in snap:
            out.append((snap["x"].type, snap["name"].data))
    return out


def test_a_class_at_a_dead_ones_address_is_named_as_itself(tmp_path, write_program):
    """Across two recordings in one process: a class of the first dies
    between them and one made in the second dies during it (their weak
    references' callbacks run each time); in the second, classes made one
    after the other at the address of the one just collected each get their
    own name in the trace; after the last stop classes still die."""
    prog = write_program(f"""
import gc, weakref
import ctgen_tracer as ct

died = []


def gone(ref):
    died.append(1)


def show(x, name):
    return x


ct.start({str(tmp_path / 'a')!r})
x = type("First", (), {{}})(); r1 = weakref.ref(type(x), gone); show(x, "First")
ct.stop()
x = None; gc.collect()
print("between", len(died))
ct.start({str(tmp_path / 'b')!r})
reused = 0
last = None
for i in range(20):
    x = None; gc.collect(); x = type("Second%d" % i, (), {{}})(); show(x, "Second%d" % i); reused += id(type(x)) == last; last = id(type(x))
r2 = weakref.ref(type(x), gone)
x = None; gc.collect()
print("during", len(died))
ct.stop()
x = type("Third", (), {{}})(); r3 = weakref.ref(type(x), gone); x = None; gc.collect()
print("after", len(died), reused > 0)
""")
    p = run([prog], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    # the classes were made at the address of the one just collected (else
    # this test would not test what it says)
    assert p.stdout.splitlines() == ["between 1", "during 2", "after 3 True"]
    assert names_of_x(tmp_path / "a") == [("__main__.First", "First")]
    seen = names_of_x(tmp_path / "b")
    assert seen == [("__main__.Second%d" % i, "Second%d" % i) for i in range(20)]


def test_cpython_weakref_callback_on_a_class(tmp_path):
    """CPython's test_weakref case that failed recorded while types were
    kept alive (a weak reference's callback on a class never ran), run by
    unittest with its test module recorded."""
    test = "test.test_weakref.ReferencesTestCase.test_callback_in_cycle_resurrection"
    stdlib = sysconfig.get_paths()["stdlib"]
    if not Path(stdlib, "test", "test_weakref.py").exists():
        import pytest
        pytest.skip("this interpreter has no test package")
    r = run(["-m", "ctgen_tracer", "-q", "-o", tmp_path / "t", "--include", "test.test_weakref",
             "-m", "unittest", "-v", test])
    assert r.returncode == 0, r.stderr
    assert "test_callback_in_cycle_resurrection" in r.stderr and "\nOK" in r.stderr
    steps = sum(1 for _ in reader.Trace(str(tmp_path / "t")).steps())
    assert steps > 10   # the test's code was recorded
