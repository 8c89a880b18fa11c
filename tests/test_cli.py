"""The readers' command line as a user meets it: `show`, `stats`, `verify`
and `convert` open the recorder's default directory when given none, and a
reader whose output pipe is closed early (`stats | head -1`) stops quietly,
without Python's "Exception ignored" noise."""

import os
import subprocess
import sys

import pytest

from conftest import env, record, run

PROGRAM = "total = 0\nfor i in range(200):\n    total += i\nprint(total)\n"


@pytest.fixture
def traced(tmp_path):
    (tmp_path / "app.py").write_text(PROGRAM)
    p = run(["-m", "ctgen_tracer", "-q", "app.py"], cwd=tmp_path)   # no -o: ctgen-trace
    assert p.returncode == 0 and p.stdout == "19900\n", p.stderr
    assert (tmp_path / "ctgen-trace" / "trace.ctgt").exists()
    return tmp_path


def test_readers_open_the_default_directory(traced):
    v = run(["-m", "ctgen_tracer", "verify"], cwd=traced)
    assert v.returncode == 0 and v.stdout.rstrip().endswith("OK") and v.stdout.startswith("ctgen-trace: "), v
    s = run(["-m", "ctgen_tracer", "stats"], cwd=traced)
    assert s.returncode == 0 and s.stdout.startswith("trace:    ctgen-trace\n"), s
    sh = run(["-m", "ctgen_tracer", "show", "--var", "total"], cwd=traced)
    assert sh.returncode == 0 and "total: unbound -> 0" in sh.stdout, sh
    c = run(["-m", "ctgen_tracer", "convert", "--to", "codetracer", "-o", "ct"], cwd=traced)
    assert c.returncode == 0 and (traced / "ct" / "trace.json").exists(), c.stderr
    # without a trace there, the error names the directory it looked for
    os.rename(traced / "ctgen-trace", traced / "elsewhere")
    v = run(["-m", "ctgen_tracer", "verify"], cwd=traced)
    assert v.returncode == 2 and "ctgen-trace" in v.stderr and "Traceback" not in v.stderr, v


@pytest.mark.parametrize("command", [["stats"], ["show"], ["show", "--all-vars"], ["verify"]])
def test_closed_pipe_stops_quietly(traced, command):
    # The pipe's reader is gone before the command writes a byte: its first
    # flush meets EPIPE, as `stats | head -1` does once head has exited.
    r, w = os.pipe()
    os.close(r)
    try:
        p = subprocess.run([sys.executable, "-m", "ctgen_tracer", *command, "ctgen-trace"], cwd=traced,
                           env=env(), stdout=w, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(w)
    assert p.stderr == "" and p.returncode == 0, (p.returncode, p.stderr)
