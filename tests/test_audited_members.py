"""Members flagged Py_AUDIT_READ: reading one as an attribute raises the
audit event "object.__getattr__" (the member descriptor's __get__ does), and
an audit hook is the program's code, which the recorder never runs to record
a value. tests/ext/audited.c (built here with the C compiler against this
interpreter's headers) makes a heap type with audited and plain members,
object and C int, which the recorder reads at every Step (src/values.c:
attrs, member_get); tests/ext/audited_app.py changes them line by line under
an audit hook that logs each event. A recorder that read a member through
its descriptor (getattr) fails this test: the hook's log would change."""

import shutil
import subprocess
import sys
import sysconfig

import pytest

from conftest import ROOT, record, run

from ctgen_tracer import reader

EXT = ROOT / "tests" / "ext"

# What audited_app.py prints: its own two reads of audited members, and no other.
OUTPUT = "stash [1, 2]\ncode -3\nseen ['Box.stash', 'Sub.code']\n"

# main()'s variables as they change, line after line (a Step records them
# at the start of its line): an unset object member is not an attribute.
BOX = "audited.Box"
SUB = "__main__.Sub"
STATES = [
    {},
    {"box": {"__type__": BOX, "code": 0, "count": 0}},
    {"box": {"__type__": BOX, "code": 0, "count": 1}},
    {"box": {"__type__": BOX, "code": 7, "count": 1}},
    {"box": {"__type__": BOX, "stash": "first", "code": 7, "count": 1}},
    {"box": {"__type__": BOX, "stash": "first", "code": 7, "label": "a", "count": 1}},
    {"box": {"__type__": BOX, "stash": "first", "code": 8, "label": "a", "count": 1}},
    {"box": {"__type__": BOX, "stash": [1, 2], "code": 8, "label": "a", "count": 1}},
    {"box": {"__type__": BOX, "stash": [1, 2], "code": 8, "label": "a", "count": 2}},
]
BOX_2 = STATES[-1]["box"]
STATES += [
    {"box": BOX_2, "sub": {"__type__": SUB, "code": 0, "count": 0}},
    {"box": BOX_2, "sub": {"__type__": SUB, "tag": "sub", "code": 0, "count": 0}},
    {"box": BOX_2, "sub": {"__type__": SUB, "tag": "sub", "stash": "a", "code": 0, "count": 0}},
]
SUB_3 = {"__type__": SUB, "tag": "sub", "stash": "a", "code": -3, "count": 0}
STATES += [
    {"box": BOX_2, "sub": SUB_3},
    {"box": {"__type__": BOX, "code": 8, "label": "a", "count": 2}, "sub": SUB_3},
    {"box": {"__type__": BOX, "code": 8, "label": "a", "count": 3}, "sub": SUB_3},
    {"box": {"__type__": BOX, "code": 8, "label": None, "count": 3}, "sub": SUB_3},
]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """audited_app.py beside the audited extension built for this
    interpreter, in a directory of their own."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    d = tmp_path_factory.mktemp("audited")
    so = d / ("audited" + sysconfig.get_config_var("EXT_SUFFIX"))
    p = subprocess.run([cc, "-shared", "-fPIC", "-std=c11", "-Wall",
                        "-I", sysconfig.get_paths()["include"], EXT / "audited.c", "-o", so],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    prog = d / "audited_app.py"
    prog.write_text((EXT / "audited_app.py").read_text())
    return prog


def test_audited_members_recorded_without_their_event(app, tmp_path):
    """The program prints the same traced and untraced (its hook sees its
    own reads of audited members, none of the recorder's, though every
    member is read at every Step and inside the traced hook), and the
    trace holds each member's value as it changes."""
    plain = run([app], cwd=app.parent)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == OUTPUT
    traced = record(app, tmp_path / "trace", cwd=app.parent)
    assert traced.returncode == 0, traced.stderr
    assert traced.stdout == plain.stdout

    t = reader.Trace(str(tmp_path / "trace"))
    states, told = [], []
    for step, snap in t.steps():
        name = t.functions[step["fn"]].name
        values = {k: v.to_python() for k, v in snap.items()}
        if name == "main" and (not states or values != states[-1]):
            states.append(values)
        elif name == "hook" and "obj" in values:   # its line after `obj, name = args`
            told.append((values["name"], values["obj"]))
    assert states == STATES
    # the hook's own locals: the instance whose audited member the program read
    assert told == [("stash", STATES[7]["box"]), ("code", SUB_3)]
