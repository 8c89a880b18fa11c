"""Running the program as python does: `python -m ctgen_tracer [options]
app.py | -m module | -c code [args]` gives the program the world `python
app.py | -m module | -c code [args]` gives it. The oracle is the interpreter
itself: each case runs untraced and traced, stdout and stderr apart and
combined (2>&1, which shows the order of buffered writes), and must print
and exit the same, byte for byte. The programs print what they see:
__main__'s namespace, sys.argv, sys.path[0], sys.flags, the warnings
filters; tracebacks and exit statuses come from the interpreter."""

import json
import os
import subprocess
import sys

import pytest

from conftest import env

from ctgen_tracer import reader
from ctgen_tracer.tracedir import METADATA_FILE

PROBE = r'''
import sys, os, warnings
g = dict(globals())
for k in sorted(g):
    if k in ("sys", "os", "warnings", "g"):
        continue
    v = g[k]
    if k == "__builtins__":
        v = type(v).__name__ + (" builtins" if v is __import__("builtins") else "")
    elif k == "__loader__":
        v = (v if isinstance(v, type) else type(v)).__name__, getattr(v, "name", None), getattr(v, "path", None)
    elif k == "__spec__" and v is not None:
        v = v.name, v.origin, v.parent, v.cached, type(v.loader).__name__
    print(k, v)
print("argv", sys.argv)
print("path0", sys.path[0])
print("flags", sys.flags)
print("warnoptions", sys.warnoptions, len(warnings.filters))
print("modules", sorted(m for m in sys.modules if m.split(".")[0] in ("ctgen_tracer", "pk")))
'''


def go(args, cwd, **extra):
    """(stdout, stderr, stdout+stderr combined, status) of python args."""
    e = env(**extra)
    e.pop("PYTHONUNBUFFERED", None)   # users' pipes are block-buffered
    a = subprocess.run([sys.executable] + [str(x) for x in args], cwd=cwd, env=e, capture_output=True,
                       timeout=120)
    b = subprocess.run([sys.executable] + [str(x) for x in args], cwd=cwd, env=e, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    return a.stdout, a.stderr, b.stdout, a.returncode


def same(how, trace, cwd, flags=(), options=(), **extra):
    """Run `python [flags] HOW...` untraced and traced; assert they print and
    exit alike; return the untraced result and the trace's metadata."""
    plain = go([*flags, *how], cwd, **extra)
    traced = go([*flags, "-m", "ctgen_tracer", "-q", "--force", "-o", trace, *options, *how], cwd, **extra)
    assert [without_recorder(x) for x in traced[:3]] == [without_recorder(x) for x in plain[:3]]
    assert traced[3] == plain[3]
    with open(os.path.join(trace, METADATA_FILE)) as f:
        return plain, json.load(f)


# the modules ctgen_tracer imports are the only difference in sys.modules
def without_recorder(text):
    return b"\n".join(line for line in text.split(b"\n") if not line.startswith(b"modules "))


@pytest.fixture
def tree(tmp_path):
    """tmp_path/work/app.py, and a package pk (with __main__ and mod)."""
    work = tmp_path / "work"
    (work / "pk").mkdir(parents=True)
    (work / "app.py").write_text(PROBE)
    (work / "pk" / "__init__.py").write_text("")
    (work / "pk" / "__main__.py").write_text(PROBE)
    (work / "pk" / "mod.py").write_text(PROBE)
    return work


HOWS = {
    "script": ["app.py", "a", "-x"],
    "script-abs": ["ABS/app.py", "a"],
    "module": ["-m", "pk.mod", "a", "--flag"],
    "package": ["-m", "pk", "b"],
    "code": ["-c", PROBE, "c", "-d"],
}


@pytest.mark.parametrize("flags", [(), ("-P",), ("-W", "error", "-X", "dev")], ids=["plain", "-P", "-Werror"])
@pytest.mark.parametrize("how", list(HOWS))
def test_main_namespace_argv_path_flags(tree, tmp_path, how, flags):
    args = [a.replace("ABS", str(tree)) for a in HOWS[how]]
    plain = go([*flags, *args], tree)
    traced = go([*flags, "-m", "ctgen_tracer", "-q", "-o", tmp_path / "t", *args], tree)
    assert traced[3] == plain[3] and traced[1] == plain[1]
    assert without_recorder(traced[0]) == without_recorder(plain[0])
    if flags == ("-P",) and how in ("module", "package"):   # -P: the working directory is not searched
        assert plain[3] == 1 and b"No module named" in plain[1]
        return
    assert plain[3] == 0 and plain[1] == b""
    assert b"__builtins__ module builtins" in plain[0]
    if how != "code":
        assert b"__file__ " + str(tree).encode() in plain[0]   # absolute, as python makes it


def test_pythonsafepath_environment(tree, tmp_path):
    plain, _ = same(["app.py"], tmp_path / "t", tree, PYTHONSAFEPATH="1")
    assert b"safe_path=True" in plain[0]


def test_file_is_absolute_after_chdir(tree, tmp_path):
    (tree / "data.txt").write_text("found\n")
    (tree / "app.py").write_text(
        "import os\nos.chdir('/')\nprint(open(os.path.join(os.path.dirname(__file__), 'data.txt')).read())\n")
    plain, _ = same(["app.py"], tmp_path / "t", tree)
    assert plain[0] == b"found\n\n"


FAILING = {
    "raise": "print('before')\ndef f():\n    raise ValueError('boom')\nf()\n",
    "chained": "try:\n    1/0\nexcept Exception as e:\n    raise KeyError('k') from e\n",
    "syntax": "print('x')\ndef (:\n",
    "exit-none": "print('out')\nraise SystemExit\n",
    "exit-0": "import sys\nprint('out')\nsys.exit(0)\n",
    "exit-3": "import sys\nsys.exit(3)\n",
    "exit-true": "import sys\nprint('out')\nsys.exit(True)\n",
    "exit-false": "import sys\nsys.exit(False)\n",
    "exit-256": "import sys\nsys.exit(256)\n",
    "exit-minus-1": "import sys\nsys.exit(-1)\n",
    "exit-huge": "import sys\nsys.exit(2 ** 80)\n",
    "exit-str": "import sys\nprint('out')\nsys.exit('bye now')\n",
    "exit-list": "import sys\nsys.exit([1, 2])\n",
    "exit-int-subclass": "import sys\nclass C(int):\n    def __str__(self):\n        return 'C'\nsys.exit(C(4))\n",
    "exit-bad-str": "import sys\nclass B:\n    def __str__(self):\n        raise RuntimeError\nsys.exit(B())\n",
    "exit-two-args": "raise SystemExit(2, 'x')\n",
    # the program closes its streams (json.tool closes sys.stdout): python skips them at exit
    "closed-stdout": "import sys\nwith sys.stdout:\n    print('out')\n",
    "closed-stdout-raise": "import sys\nprint('out')\nsys.stdout.close()\nraise ValueError('v')\n",
    "closed-stderr-exit-str": "import sys\nsys.stderr.close()\nprint('out')\nsys.exit('bye')\n",
    "closed-both": "import sys\nprint('out')\nsys.stdout.close()\nsys.stderr.close()\n",
}
# the status metadata stores: what python passes to exit()
STATUS = {"raise": 1, "chained": 1, "exit-none": 0, "exit-0": 0, "exit-3": 3, "exit-true": 1,
          "exit-false": 0, "exit-256": 256, "exit-minus-1": -1, "exit-huge": -1, "exit-str": 1,
          "exit-list": 1, "exit-int-subclass": 4, "exit-bad-str": 1, "exit-two-args": 1,
          "closed-stdout": 0, "closed-stdout-raise": 1, "closed-stderr-exit-str": 1, "closed-both": 0}


@pytest.mark.parametrize("kind", ["script", "module", "code"])
@pytest.mark.parametrize("case", list(FAILING))
def test_traceback_and_exit_status(tree, tmp_path, case, kind):
    source = FAILING[case]
    (tree / "app.py").write_text(source)
    (tree / "pk" / "mod.py").write_text(source)
    how = {"script": ["app.py"], "module": ["-m", "pk.mod"], "code": ["-c", source]}[kind]
    plain = go(how, tree)
    traced = go(["-m", "ctgen_tracer", "-q", "-o", tmp_path / "t", *how], tree)
    if case == "exit-huge":   # CPython leaks the OverflowError of its exit code (printed at shutdown, or not)
        assert traced[0] == plain[0] and traced[3] == plain[3] == 255
    elif case == "exit-bad-str" and sys.version_info >= (3, 13, 15):   # a blank line only (gh-152132)
        assert traced[0] == plain[0] and traced[3] == plain[3] == 1
        assert traced[1] == plain[1] == b"\n"
    elif case == "exit-bad-str":   # CPython leaks str()'s error: 3.12 prints it in C, 3.13 (< 3.13.15) at thread shutdown
        assert traced[0] == plain[0] and traced[3] == plain[3] == 1
        for out in (traced[1], plain[1]):
            assert out.startswith(b"\n") and b", in __str__\n" in out and out.rstrip(b": \n").endswith(b"RuntimeError")
    else:
        assert traced == plain
    if case == "syntax":
        assert plain[3] == 1 and b"SyntaxError" in plain[1]
        return
    meta = json.loads((tmp_path / "t" / METADATA_FILE).read_text())
    assert meta["exit_status"] == STATUS[case] and meta["complete"] is True
    exits = [r for r in reader.Trace(str(tmp_path / "t")).records() if r.kind == "Exit"]
    assert [r["status"] for r in exits] == [STATUS[case]]


@pytest.mark.parametrize("case", [c for c in FAILING if c.startswith("closed-")])
def test_closed_streams_with_the_summary(tree, tmp_path, case):
    """Without -q the recorder prints its summary on stderr: not on a
    stderr the program closed, and a closed stdout is no error."""
    (tree / "app.py").write_text(FAILING[case])
    plain = go(["app.py"], tree)
    traced = go(["-m", "ctgen_tracer", "-o", tmp_path / "t", "app.py"], tree)
    assert traced[0] == plain[0] and traced[3] == plain[3] == STATUS[case]
    if "stderr" in case or "both" in case:
        assert traced[1] == plain[1]
    else:
        assert traced[1][:len(plain[1])] == plain[1] and traced[1][len(plain[1]):].startswith(b"ctgen-tracer: ")


def test_module_errors_as_python(tree, tmp_path):
    for how in (["-m", "nosuchmodule"], ["-m", "pk.nosuch"], ["-m", "json.nosuch"]):
        plain, meta = same(how, tmp_path / "t", tree)
        assert plain[3] == 1 and b"No module named" in plain[1]
        assert meta["exit_status"] == 1
    (tree / "pk" / "__main__.py").unlink()
    plain, _ = same(["-m", "pk"], tmp_path / "t", tree)
    assert b"is a package and cannot be directly executed" in plain[1]


def test_directory_and_zip_with_main(tree, tmp_path):
    import zipfile
    d = tmp_path / "app_dir"
    d.mkdir()
    (d / "__main__.py").write_text(PROBE)
    same([d, "x"], tmp_path / "t", tree)
    z = tmp_path / "app.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("__main__.py", PROBE)
    same([z, "y"], tmp_path / "t", tree)
    # python looks at the content, not the name: an archive behind a #! line,
    # named .py, whose end record sits 60 KB from the end (a long comment)
    app = tmp_path / "app.py"
    with zipfile.ZipFile(app, "w") as f:
        f.writestr("__main__.py", PROBE)
        f.comment = b"c" * 60000
    app.write_bytes(b"#!/usr/bin/env python3\n" + app.read_bytes())
    same([app, "z"], tmp_path / "t", tree)


def test_module_trace_names_the_module_file(tree, tmp_path):
    (tree / "pk" / "mod.py").write_text("def f(x):\n    return x + 1\nprint(f(1))\n")
    plain, meta = same(["-m", "pk.mod", "arg"], tmp_path / "t", tree)
    assert plain[0] == b"2\n"
    assert meta["program"] == str(tree / "pk" / "mod.py") and meta["args"] == ["arg"]
    t = reader.Trace(str(tmp_path / "t"))
    fns = set()
    for rec in t.records():
        if rec.kind == "Call":
            fns.add((t.functions[rec["fn"]].name, t.functions[rec["fn"]].path))
    assert ("f", str(tree / "pk" / "mod.py")) in fns


def test_one_program_only(tree, tmp_path):
    for args in (["-m"], ["-c"], []):
        p = subprocess.run([sys.executable, "-m", "ctgen_tracer", "-o", tmp_path / "t", *args], cwd=tree,
                           env=env(), capture_output=True, text=True)
        assert p.returncode == 2 and p.stderr.startswith("ctgen-tracer: error:"), p.stderr


def test_plain_command_lines_read_as_argparse_reads_them(capsys):
    """The recorder reads a plain command line without argparse
    (runner._parse_plain); what it reads is what argparse reads, and
    whatever is not plain (abbreviations, -qo, "--", a value starting with
    "-", two exclusive options, --help, an error) goes to argparse, which
    reads it or says what is wrong with it as before."""
    import random
    from ctgen_tracer import runner
    parser = runner._record_parser()
    pool = ["-o", "d", "--output", "--output=d", "--output=", "-q", "--quiet", "--qu", "-qo", "-od",
            "--no-values", "--no-values=1", "--include", "*.py", "--include=a.*", "--exclude", "--redact", "pw",
            "--no-redact", "--capture-io", "--no-capture-io", "--max-depth", "3", "--max-trace-size=1M",
            "--chunk-bytes", "-5", "-m", "mod", "-c", "print(1)", "app.py", "x", "--", "-", "-h", "--force",
            "--events", "calls", "-x y", "", "--compress", "--follow-subprocess", "--no-follow-children"]
    rng = random.Random(13)
    lines = [["app.py"], ["-q", "--force", "--no-values", "-o", "d", "app.py", "1"], ["-m", "mod", "-q"],
             ["--output=d", "--include", "a", "--include", "b", "app.py", "-o", "x"],
             ["--no-capture-io", "-c", "x"], [], ["-c", "print(1)", "--", "-o"]]
    lines += [[rng.choice(pool) for _ in range(rng.randrange(1, 7))] for _ in range(3000)]
    read = 0
    for argv in lines:
        plain = runner._parse_plain(argv)
        try:
            want = parser.parse_args(argv)
        except SystemExit:
            want = None
        capsys.readouterr()
        if plain is not None:
            assert want is not None and vars(plain) == vars(want), argv
            read += 1
    assert read > 300   # the plain forms are read without argparse
    for argv in lines[:6]:
        assert runner._parse_plain(argv) is not None, argv


def test_recorder_never_records_itself(tree, tmp_path):
    (tree / "app.py").write_text("def f(x):\n    return x * 2\nprint(f(21))\n")
    plain, _ = same(["app.py"], tmp_path / "t", tree, options=["--include", "*"])
    assert plain[0] == b"42\n"
    t = reader.Trace(str(tmp_path / "t"))
    kinds = [r.kind for r in t.records()]
    package = os.path.dirname(os.path.realpath(reader.__file__))
    assert t.functions and not [f for f in t.functions.values()
                                if os.path.realpath(f.path).startswith(package + os.sep)]
    names = {f.name for f in t.functions.values()}
    assert {"f", "<module>"} <= names and not names & {"start", "record", "run", "stop", "_finish"}
    assert "Exit" in kinds


def test_pytest_under_the_recorder_sees_no_trace_of_it(tmp_path):
    """pytest loads ctgen_tracer's plugin (an installed distribution with a
    pytest11 entry point) and rewrites the asserts of plugin packages: run
    under the recorder, where ctgen_tracer is imported first, it must not
    warn (with -W error it would abort)."""
    pytest = __import__("pytest")
    site = tmp_path / "site"
    info = site / "ctgen_tracer-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ctgen-tracer\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\nctgen_tracer.pytest_plugin = ctgen_tracer.pytest_plugin\n")
    (info / "RECORD").write_text("ctgen_tracer/__init__.py,,\nctgen_tracer/pytest_plugin.py,,\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "test_x.py").write_text("def test_one():\n    x = 2\n    assert x + 1 == 3\n")
    path = os.pathsep.join([env()["PYTHONPATH"], str(site)])
    how = ["-W", "error", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_x.py"]
    plain = go(how, work, PYTHONPATH=path)
    assert plain[3] == 0, plain[0] + plain[1]
    traced = go(["-W", "error", "-m", "ctgen_tracer", "-q", "-o", tmp_path / "t", *how[2:]], work, PYTHONPATH=path)
    assert traced[3] == 0 and b"Warning" not in traced[0] + traced[1], traced[0] + traced[1]
    assert b"1 passed" in traced[0]
    assert pytest   # the oracle runs the same pytest


def test_output_order_after_the_program_ends(tree, tmp_path):
    """python flushes a script's output when the script ends, before
    waiting for its threads (-c and -m: at exit, after them)."""
    source = ("import sys, threading, time\nprint('main')\n"
              "def later():\n    time.sleep(0.3)\n    sys.stderr.write('thread\\n')\n"
              "threading.Thread(target=later).start()\n")
    (tree / "app.py").write_text(source)
    plain, _ = same(["app.py"], tmp_path / "t", tree)
    assert plain[2] == b"main\nthread\n"
    plain, _ = same(["-c", source], tmp_path / "t", tree)
    assert plain[2] == b"thread\nmain\n"


def test_thread_pool_and_exit_functions_as_python(tree, tmp_path):
    """A ThreadPoolExecutor never shut down ends at exit as untraced (its
    workers are let go before threads are waited for), and the program's
    atexit functions run in python's order, recorded."""
    (tree / "app.py").write_text(
        "import atexit, sys\nfrom concurrent.futures import ThreadPoolExecutor\n"
        "def bye(who):\n    print('bye', who)\n    sys.stderr.write('err ' + who + '\\n')\n"
        "atexit.register(bye, 'first')\natexit.register(bye, 'second')\n"
        "ex = ThreadPoolExecutor(2)\nprint(ex.submit(pow, 2, 10).result())\n")
    plain, _ = same(["app.py"], tmp_path / "t", tree)
    assert plain[0] == b"1024\nbye second\nbye first\n"
    outs = [o.text for o in reader.Trace(str(tmp_path / "t")).outputs()]
    assert "".join(outs) == "1024\nbye second\nerr second\nbye first\nerr first\n"
    steps = [t.functions[r["fn"]].name for t in [reader.Trace(str(tmp_path / "t"))] for r in t.records()
             if r.kind == "Call"]
    assert steps.count("bye") == 2
