"""./configure.py for a CPython that spec/numbering.spec does not cover, for
one whose numbers changed, for a header the spec cannot describe, and for
interpreters the recorder cannot serve.

Each case runs the real configure.py in a copy of the tree, against the
interpreter running the tests and its real headers (a copy, so the checked-in
spec/ and generated/ are never touched): its numbering block is removed or
falsified first, as it would be for a new CPython release.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from ctgen_tracer import reader

MINOR = "%d.%d" % sys.version_info[:2]
TIMEOUT = 600
SKIP = ("build", "build.ninja", ".ninja_log", ".ninja_deps", ".venv", ".git", "__pycache__",
        ".pytest_cache", "dist")
GENERATED = ["generated/" + n for n in ("events.h", "events.c", "numbering.h", "records.h",
                                        "records.c", "value_kinds.h", "trace.fbs", "trace_tables.py",
                                        "ctgen_front.c")]


def tools_or_skip():
    for tool in ("re2c", "lua5.4", "ninja", "cc"):
        if not shutil.which(tool):
            pytest.skip("%s is not installed: configure cannot regenerate" % tool)


@pytest.fixture
def tree(tmp_path):
    """A copy of the source tree (no build outputs, no venvs, no git)."""
    tools_or_skip()
    dst = tmp_path / "tree"
    shutil.copytree(ROOT, dst, ignore=shutil.ignore_patterns(*SKIP))
    return dst


def block_re(minor):
    return re.compile(r'^numbering %s "[^"]*" \{\n.*?^\}\n\n?' % re.escape(minor), re.M | re.S)


def configure(tree, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CTGEN_BUILD")}
    return subprocess.run([sys.executable, "configure.py", "--python", sys.executable, *args],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=TIMEOUT)


def files(tree):
    """{relative path: bytes} of the tree, build outputs aside."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(tree):
        rel = os.path.relpath(dirpath, tree)
        if rel == ".":
            dirnames[:] = [d for d in dirnames if d not in ("build",)]
        for name in filenames:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, tree)] = Path(path).read_bytes()
    return out


def test_new_version_is_scanned_regenerated_built_and_recorded(tree, tmp_path):
    """The running CPython's block is missing from spec/numbering.spec and
    generated/numbering.h knows nothing of it: configure scans the header,
    writes the block, regenerates generated/ (back to the checked-in files),
    and the package it builds delivers the events."""
    spec = tree / "spec" / "numbering.spec"
    original = spec.read_text()
    assert block_re(MINOR).search(original), "spec/numbering.spec has no block for " + MINOR
    spec.write_text(block_re(MINOR).sub("", original))
    checked_in = {name: (ROOT / name).read_bytes() for name in GENERATED}
    (tree / "generated" / "numbering.h").write_text("/* stale: no numbering for %s */\n" % MINOR)

    r = configure(tree)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "spec/numbering.spec did not match CPython %s: wrote its numbering block" % MINOR in r.stdout
    assert "regenerating generated/ for CPython %s" % MINOR in r.stdout
    assert spec.read_text() == original        # the block, as checked in
    for name in GENERATED:
        assert (tree / name).read_bytes() == checked_in[name], name

    r = subprocess.run(["ninja"], cwd=tree, capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "warning" not in r.stdout.lower()
    prog = tmp_path / "app.py"
    prog.write_text("def f(x):\n"
                    "    try:\n"
                    "        raise ValueError(x)\n"
                    "    except ValueError:\n"
                    "        return x + 1\n"
                    "print(f(41))\n")
    env = dict(os.environ, PYTHONPATH=str(tree / "build"))
    r = subprocess.run([sys.executable, "-m", "ctgen_tracer", "-q", "-o", str(tmp_path / "T"),
                        str(prog)], env=env, capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stdout, r.stderr) == (0, "42\n", "")
    t = reader.Trace(str(tmp_path / "T"))
    recs = list(t.records())
    calls = [t.functions[r["fn"]].name for r in recs if r.kind == "Call"]
    assert "f" in calls
    kinds = [r.kind for r in recs]
    for kind in ("Step", "Raise", "Handled", "Return", "Exit"):
        assert kind in kinds, kind
    steps = [r["line"] for r in recs if r.kind == "Step" and t.functions[r["fn"]].name == "f"]
    assert steps == [2, 3, 4, 5]


def test_changed_numbers_are_rescanned(tree):
    """A block whose numbers disagree with the header (two events swapped) is
    rewritten from the header, and generated/ comes back as checked in."""
    spec = tree / "spec" / "numbering.spec"
    original = spec.read_text()
    block = block_re(MINOR).search(original).group(0)
    nums = dict(re.findall(r"^    (\w+) = (\d+);$", block, re.M))
    swapped = (block.replace("RAISE = %s;" % nums["RAISE"], "RAISE = %s;" % nums["RERAISE"])
                    .replace("RERAISE = %s;" % nums["RERAISE"], "RERAISE = %s;" % nums["RAISE"]))
    assert swapped != block
    spec.write_text(original.replace(block, swapped))
    r = configure(tree)
    assert r.returncode == 0, r.stdout + r.stderr
    assert spec.read_text() == original
    for name in GENERATED:
        assert (tree / name).read_bytes() == (ROOT / name).read_bytes(), name


def test_event_the_spec_does_not_describe_fails_and_changes_nothing(tree):
    """The spec calls RAISE something else (as a header that renamed it would
    look to the spec): configure names the event, fails, and leaves every file
    of the tree as it was, though the version's block is missing too."""
    spec = tree / "spec" / "numbering.spec"
    spec.write_text(block_re(MINOR).sub("", spec.read_text()))
    events = tree / "spec" / "events.spec"
    text = events.read_text()
    assert "\nevent RAISE " in text
    events.write_text(text.replace("\nevent RAISE ", "\nevent RAISED "))
    before = files(tree)
    r = configure(tree)
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"error: event 'RAISE' of CPython %s \(.*\) is not described in the spec"
                     % re.escape(MINOR), r.stderr), r.stderr
    assert files(tree) == before


def test_failed_regeneration_puts_the_tree_back(tree):
    """The block is written, but regenerating fails (a generator errors):
    spec/numbering.spec, generated/ and build.ninja are as they were."""
    spec = tree / "spec" / "numbering.spec"
    spec.write_text(block_re(MINOR).sub("", spec.read_text()))
    gen = tree / "gen" / "gen_value_kinds_h.lua"
    gen.write_text('error("generator broken on purpose")\n' + gen.read_text())
    before = files(tree)
    r = configure(tree)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "'ninja regen' failed" in r.stderr
    assert "put spec/numbering.spec back as it was" in r.stderr
    assert files(tree) == before


# ---- interpreters the recorder cannot serve

def old_interpreters():
    """CPython 3.8 .. 3.11 interpreters found on PATH or in pyenv."""
    found = []
    for minor in ("3.11", "3.10", "3.9", "3.8"):
        cands = [shutil.which("python" + minor)]
        cands += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s.*/bin/python%s"
                                                     % (minor, minor))))
        for c in filter(None, cands):
            if subprocess.run([c, "-c", "pass"], capture_output=True).returncode == 0:
                found.append(c)
                break
    return found


def assert_refused(python, why):
    """configure.py refuses `python`, and `import ctgen_tracer` (the package
    built for the test interpreter) fails with an ImportError, both saying
    why (the regular expression `why`)."""
    r = subprocess.run([sys.executable, str(ROOT / "configure.py"), "--python", python],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 1
    assert re.search(r"configure.py: error: \S+ \(Python [\d.]+\) cannot be served: " + why, r.stderr), r.stderr
    env = dict(os.environ, PYTHONPATH=os.environ.get("CTGEN_BUILD", str(ROOT / "build")))
    r = subprocess.run([python, "-c", "import ctgen_tracer"], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 1
    assert re.match(r"ImportError: ctgen_tracer cannot record on \S+: " + why,
                    r.stderr.strip().splitlines()[-1]), r.stderr


def test_old_interpreter_gets_a_clear_error():
    olds = old_interpreters()
    if not olds:
        pytest.skip("no CPython older than 3.12 installed")
    r = subprocess.run([sys.executable, str(ROOT / "configure.py"), "--print-python", "3.11"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "ctgen-tracer needs CPython 3.12 or newer (asked for 3.11)" in r.stderr
    for old in olds:
        assert_refused(old, r"it is Python 3\.(8|9|10|11); ctgen-tracer needs CPython 3\.12 or newer")


def test_debug_interpreter_gets_a_clear_error():
    """A debug build (Debian's python3.X-dbg, ABI flags 'd': its extension
    modules are another ABI) is refused by configure and by the import."""
    dbgs = [p for p in (shutil.which("python3.%d-dbg" % m) for m in range(12, 20)) if p]
    if not dbgs:
        pytest.skip("no debug build of CPython installed (python3.X-dbg)")
    for dbg in dbgs:
        assert_refused(dbg, r"it is a debug build with its own ABI \(ABI flags 'd'\)")


def test_unservable_builds_are_named():
    """The rules configure.py and `import ctgen_tracer` share
    (src/ctgen_tracer/_supported.py), for the traits a free-threaded or
    debug build reports (sys.abiflags, sysconfig's Py_GIL_DISABLED and
    Py_TRACE_REFS)."""
    from ctgen_tracer import _supported as s
    assert s.unsupported((3, 13, 0), "cpython", "", False, False) is None
    why = s.unsupported((3, 13, 0), "cpython", "t", True, False)
    assert "free-threaded build (Py_GIL_DISABLED, ABI flags 't')" in why
    why = s.unsupported((3, 14, 0), "cpython", "d", False, False)
    assert "debug build with its own ABI (ABI flags 'd')" in why
    why = s.unsupported((3, 13, 0), "cpython", "", False, True)
    assert "Py_TRACE_REFS" in why
    assert "not CPython" in s.unsupported((3, 12, 0), "pypy", "", False, False)
    assert "needs CPython 3.12" in s.unsupported((3, 11, 9), "cpython", "", False, False)
