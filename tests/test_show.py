"""`show DIR`: a trace listed as a debugger's history. Real programs are
recorded with the real interpreter, and the listing is checked line by line:
calls with their arguments, returns and yields with their values,
exceptions, thread switches, program output, the variables that changed at
each step, and the filters."""

import os

from conftest import record, run

PROGRAM = '''\
def add(a, b=2):
    c = a + b
    return c

def gen(n):
    for i in range(n):
        yield i * 2

def risky(x):
    try:
        raise ValueError("bad %d" % x)
    except ValueError as e:
        y = str(e)
    return y

def boom():
    raise KeyError("k")

one = ("x",)
s, fs, full = set(), frozenset(), frozenset({3})
r = add(1)
g = list(gen(2))
print("hello", r)
z = risky(3)
try:
    boom()
except KeyError:
    pass
b = add(one, (None,))
'''

# The whole listing of PROGRAM: every step with the variables that changed,
# the events between them at their activation's depth, the output under its step.
EXPECTED = '''\
       [0] -- thread 0 starts
       [0] call <module>()
     0 [0] app.py:1 <module> | def add(a, b=2):
     1 [0] app.py:5 <module> | def gen(n):
         add = <function __main__.add>
     2 [0] app.py:9 <module> | def risky(x):
         gen = <function __main__.gen>
     3 [0] app.py:16 <module> | def boom():
         risky = <function __main__.risky>
     4 [0] app.py:19 <module> | one = ("x",)
         boom = <function __main__.boom>
     5 [0] app.py:20 <module> | s, fs, full = set(), frozenset(), frozenset({3})
         one = ('x',)
     6 [0] app.py:21 <module> | r = add(1)
         s = set()
         fs = frozenset()
         full = frozenset({3})
       [0]   call add(a=1, b=2)
     7 [0]   app.py:2 add | c = a + b
           a = 1
           b = 2
     8 [0]   app.py:3 add | return c
           c = 3
       [0]   add returns 3
     9 [0] app.py:22 <module> | g = list(gen(2))
         r = 3
       [0]   call gen(n=2)
    10 [0]   app.py:6 gen | for i in range(n):
           n = 2
    11 [0]   app.py:7 gen | yield i * 2
           i = 0
       [0]   gen yields 0
       [0]   resume gen
    12 [0]   app.py:6 gen | for i in range(n):
    13 [0]   app.py:7 gen | yield i * 2
           i = 1
       [0]   gen yields 2
       [0]   resume gen
    14 [0]   app.py:6 gen | for i in range(n):
       [0]   gen returns None
    15 [0] app.py:23 <module> | print("hello", r)
         g = [0, 2]
       [0] stdout (step 15, app.py:23): 'hello 3\\n'
    16 [0] app.py:24 <module> | z = risky(3)
       [0]   call risky(x=3)
    17 [0]   app.py:10 risky | try:
           x = 3
    18 [0]   app.py:11 risky | raise ValueError("bad %d" % x)
       [0]   raise ValueError('bad 3') at line 11
       [0]   handled ValueError('bad 3') at line 12
    19 [0]   app.py:12 risky | except ValueError as e:
    20 [0]   app.py:13 risky | y = str(e)
           e = ValueError('bad 3')
    21 [0]   app.py:14 risky | return y
           y = 'bad 3'
           e unbound
       [0]   risky returns 'bad 3'
    22 [0] app.py:25 <module> | try:
         z = 'bad 3'
    23 [0] app.py:26 <module> | boom()
       [0]   call boom()
    24 [0]   app.py:17 boom | raise KeyError("k")
       [0]   raise KeyError('k') at line 17
       [0]   boom exits by KeyError('k')
       [0] raise KeyError('k') at line 26
       [0] handled KeyError('k') at line 27
    25 [0] app.py:27 <module> | except KeyError:
    26 [0] app.py:28 <module> | pass
    27 [0] app.py:29 <module> | b = add(one, (None,))
       [0]   call add(a=('x',), b=(None,))
    28 [0]   app.py:2 add | c = a + b
           a = ('x',)
           b = (None,)
    29 [0]   app.py:3 add | return c
           c = ('x', None)
       [0]   add returns ('x', None)
       [0] <module> returns None
       [0] -- exit status 0
'''


def show(*args, cwd=None):
    return run(["-m", "ctgen_tracer", "show", *args], cwd=cwd)


def recorded(tmp_path, source, name="app.py", status=0):
    """Record source as tmp_path/name, run from tmp_path (the workdir) by
    its relative name; returns the trace directory."""
    (tmp_path / name).write_text(source)
    p = record(name, tmp_path / "t", cwd=tmp_path)
    assert p.returncode == status, p.stderr
    return tmp_path / "t"


def test_listing_reads_like_a_debuggers_history(tmp_path):
    """Calls with arguments, returns, yields, raised/handled/propagated
    exceptions, output and the changed variables, indented by depth; the
    same listing from another directory (sources and paths from the
    recorded workdir)."""
    t = recorded(tmp_path, PROGRAM)
    p = show(t, cwd=tmp_path)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert p.stdout == EXPECTED, p.stdout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    p = show(t, cwd=elsewhere)
    assert p.returncode == 0 and p.stdout == EXPECTED, p.stdout
    p = show(os.path.relpath(t, "/"), cwd="/")
    assert p.returncode == 0 and p.stdout == EXPECTED, p.stdout


def test_all_vars_and_full(tmp_path):
    """--all-vars prints every visible variable at each step; --full drops
    the display cut of values and output."""
    t = recorded(tmp_path, "x = 1\nlong = 'a' * 300\ny = 2\nprint(long)\n")
    changed = show(t, cwd=tmp_path).stdout.splitlines()
    assert changed[:7] == [
        "       [0] -- thread 0 starts",
        "       [0] call <module>()",
        "     0 [0] app.py:1 <module> | x = 1",
        "     1 [0] app.py:2 <module> | long = 'a' * 300",
        "         x = 1",
        "     2 [0] app.py:3 <module> | y = 2",
        "         long = '%s..." % ("a" * 76)]
    every = show(t, "--all-vars", cwd=tmp_path).stdout.splitlines()
    assert every[5:10] == [
        "     2 [0] app.py:3 <module> | y = 2",
        "         x = 1",
        "         long = '%s..." % ("a" * 76),
        "     3 [0] app.py:4 <module> | print(long)",
        "         x = 1"]
    assert every[10:12] == ["         long = '%s..." % ("a" * 76), "         y = 2"]
    full = show(t, "--full", cwd=tmp_path).stdout.splitlines()
    assert "         long = '%s'" % ("a" * 300) in full
    assert "       [0] stdout (step 3, app.py:4): '%s\\n'" % ("a" * 300) in full
    cut = [x for x in changed if "stdout" in x]
    assert cut == ["       [0] stdout (step 3, app.py:4): '%s..." % ("a" * 196)]


def test_values_are_rendered_exactly(tmp_path):
    """One-item tuples keep their comma; empty set and frozenset print as
    themselves (not as a dict's {}); a cycle is a <ref>, a value beyond the
    depth limit names its type and length, a secret is <redacted>."""
    t = recorded(tmp_path, "t1 = (1,)\nt0 = ()\nt2 = ((2,),)\ne = set()\nf = frozenset()\n"
                 "g = frozenset({1})\nd = {}\nl = [1]\nl.append(l)\ndeep = [[[[[[1]]]]]]\n"
                 "password = 'hunter2'\nnan = float('nan')\nzero = 0.0\nzero = -0.0\nend = 0\n")
    out = show(t, "--steps", "1:", cwd=tmp_path).stdout
    for line in ("t1 = (1,)", "t0 = ()", "t2 = ((2,),)", "e = set()", "f = frozenset()",
                 "g = frozenset({1})", "d = {}", "l = [1, <ref>]", "deep = [[[[<list of 1>]]]]",
                 "password = <redacted>"):
        assert "\n         %s\n" % line in out, (line, out)
    # a nan is the same nan at the next step (listed once); -0.0 is not 0.0
    assert out.count("nan = nan") == 1 and "zero = 0.0\n" in out and "zero = -0.0\n" in out, out


THREADS = '''\
import threading

def worker(k):
    total = k * 2
    return total

th = threading.Thread(target=worker, args=(5,))
th.start(); th.join()   # one line: the main thread has no step while the worker runs
done = True
'''


def test_threads_switches_and_filter(tmp_path):
    """A thread's start and the switch back are listed; --thread keeps one
    thread's steps and events (where the new thread starts among the main
    thread's steps varies from run to run: step numbers are not compared)."""
    t = recorded(tmp_path, THREADS)
    lines = show(t, cwd=tmp_path).stdout.splitlines()
    at = lines.index("       [1] -- thread 1 starts")
    numbered = [" ".join(x.split()) for x in lines[at:at + 7]]
    assert numbered[:2] == ["[1] -- thread 1 starts", "[1] call worker(k=5)"], lines
    assert numbered[2:] == [
        "%s [1] app.py:4 worker | total = k * 2" % numbered[2].split()[0],
        "k = 5",
        "%d [1] app.py:5 worker | return total" % (int(numbered[2].split()[0]) + 1),
        "total = 10",
        "[1] worker returns 10"], lines
    # The thread's exit is recorded when the recorder next notices that the
    # OS thread ended: anywhere after its return, even after the program's
    # exit status (at stop), or not at all.
    exit_line = "       [1] -- thread 1 exits"
    assert lines.count(exit_line) <= 1 and lines[at:at + 7].count(exit_line) == 0, lines
    seq = [x for x in lines if x != exit_line]
    rest = seq[at + 7:]
    assert rest[0] == "       [0] -- thread 0 runs", lines
    assert seq[-4:] == ["     %d [0] app.py:9 <module> | done = True" % (len([x for x in lines if x[:6].strip()]) - 1),
                        seq[-3], "       [0] <module> returns None", "       [0] -- exit status 0"], lines
    only = show(t, "--thread", "1", cwd=tmp_path).stdout.splitlines()
    assert only == lines[at:at + 7] + [exit_line] * lines.count(exit_line), only
    main = show(t, "--thread", "0", cwd=tmp_path).stdout.splitlines()
    assert main == seq[:at] + rest, main


FILTERS = '''\
class C:
    def m(self, x):
        y = x + 1
        return y

def m(x):
    return x * 3

for i in range(3):
    C().m(i)
    m(i)
'''


def _paths(t):
    from ctgen_tracer import reader
    tr = reader.Trace(str(t))
    for _ in tr.records():
        pass
    return tr.paths.values()


def test_filters(tmp_path):
    """--function by qualified or bare name, --file, --line, --steps, and
    an unknown function or variable: an error on stderr, exit status 2."""
    os.mkdir(tmp_path / "lib")
    (tmp_path / "lib" / "helper.py").write_text("def h(v):\n    w = v\n    return w\n")
    t = recorded(tmp_path, "import types\nhelper = types.ModuleType('helper')\n"
                 "exec(compile(open('lib/helper.py').read(), 'lib/helper.py', 'exec'), vars(helper))\n" + FILTERS
                 + "helper.h(7)\n")
    everything = show(t, cwd=tmp_path).stdout.splitlines()

    def steps(lines):
        return [x for x in lines if x[:6].strip().isdigit()]

    qual = show(t, "--function", "C.m", cwd=tmp_path).stdout.splitlines()
    assert len(steps(qual)) == 6 and all(" C.m | " in x for x in steps(qual)), qual
    assert qual[:5] == ["       [0]   call C.m(self=__main__.C(), x=0)",
                        steps(qual)[0], "           self = __main__.C()", "           x = 0",
                        steps(qual)[1]]
    assert "       [0]   C.m returns 1" in qual
    bare = show(t, "--function", "m", cwd=tmp_path).stdout.splitlines()
    assert len(steps(bare)) == 9 and {x.split(" | ")[0].split()[-1] for x in steps(bare)} == {"C.m", "m"}
    assert steps(bare) == [x for x in steps(everything) if x.split(" | ")[0].endswith((" C.m", " m"))]

    paths = set(_paths(t))
    assert "lib/helper.py" in paths   # compiled with a relative file name: the trace has it so
    elsewhere = tmp_path / "lib"      # from another directory: read from the recorded workdir
    for name, cwd in (("lib/helper.py", tmp_path), ("helper.py", tmp_path),
                      (str(tmp_path / "lib" / "helper.py"), tmp_path), ("lib/helper.py", elsewhere)):
        f = show(t, "--file", name, cwd=cwd).stdout.splitlines()
        assert [x.split(" | ")[1] for x in steps(f)] == ["def h(v):", "w = v", "return w"], (name, f)
        assert all("lib/helper.py:" in x for x in steps(f)) and "       [0]   h returns 7" in f
    line = show(t, "--line", "3", cwd=tmp_path).stdout.splitlines()
    assert {x.split(" | ")[0].split()[-2] for x in steps(line)} == {"app.py:3", "lib/helper.py:3"}
    assert "       [0]   h returns 7" in line
    both = show(t, "--file", "app.py", "--line", "10", cwd=tmp_path).stdout.splitlines()
    assert [x.split(" | ")[1] for x in steps(both)] == ["return x * 3"] * 3
    part = show(t, "--steps", "5:9", cwd=tmp_path).stdout.splitlines()
    assert [int(x[:6]) for x in steps(part)] == [5, 6, 7, 8]
    assert steps(part) == steps(everything)[5:9]
    combined = show(t, "--steps", "5:30", "--function", "m", cwd=tmp_path).stdout.splitlines()
    assert steps(combined) == [x for x in steps(everything)[5:30] if x.split(" | ")[0].endswith((" C.m", " m"))]

    for opts, message in ((["--function", "nosuch"], "--function nosuch: no function named 'nosuch' in the trace"),
                          (["--file", "nosuch.py"], "--file nosuch.py: no file named 'nosuch.py' in the trace"),
                          (["--var", "nosuch"], "--var nosuch: no variable named 'nosuch' in the trace")):
        p = show(t, *opts, cwd=tmp_path)
        assert p.returncode == 2 and p.stdout == "" and p.stderr == "ctgen-tracer: error: %s\n" % message, p


def test_var_lists_its_changes(tmp_path):
    """--var NAME: each step at which NAME changed, in any activation, with
    its old and new value (the values at the start of the step's line);
    with the other filters too."""
    t = recorded(tmp_path, "def f(n):\n    acc = []\n    for i in range(n):\n        acc.append(i)\n"
                 "    del acc\n    return n\n\nacc = 'top'\nf(2)\nacc = ('top',)\nend = 1\n")
    p = show(t, "--var", "acc", cwd=tmp_path)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    changes = [
        "     2 [0] app.py:9 <module> | f(2)",
        "         acc: unbound -> 'top'",
        "     4 [0]   app.py:3 f | for i in range(n):",
        "           acc: unbound -> []",
        "     6 [0]   app.py:3 f | for i in range(n):",
        "           acc: [] -> [0]",
        "     8 [0]   app.py:3 f | for i in range(n):",
        "           acc: [0] -> [0, 1]",
        "    10 [0]   app.py:6 f | return n",
        "           acc: [0, 1] -> unbound",
        "    12 [0] app.py:11 <module> | end = 1",
        "         acc: 'top' -> ('top',)"]
    assert p.stdout.splitlines() == changes, p.stdout
    p = show(t, "--var", "acc", "--function", "f", "--steps", "5:", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout.splitlines() == changes[4:10], p.stdout
    p = show(t, "--var", "n", cwd=tmp_path)
    assert p.stdout.splitlines() == ["     3 [0]   app.py:2 f | acc = []", "           n: unbound -> 2"], p.stdout


def test_generators_and_uncaught_exceptions(tmp_path):
    """A resumed generator lists only what changed since it yielded (all its
    variables when two of the same function are suspended: which one resumes
    is not in the trace); exceptions print as Python writes them; the exit
    names an uncaught exception."""
    t = recorded(tmp_path, "def gen(n):\n    total = 0\n    for i in range(n):\n        total += i\n"
                 "        yield total\n\ndef f(a):\n    raise ValueError(a, 2)\n\n"
                 "x = list(gen(3))\nboth = list(zip(gen(2), gen(2)))\nf(1)\n", status=1)
    p = show(t, cwd=tmp_path)
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    at = lines.index("       [0]   gen yields 0")
    assert lines[at:at + 9] == [
        "       [0]   gen yields 0",
        "       [0]   resume gen",
        "     7 [0]   app.py:3 gen | for i in range(n):",
        "     8 [0]   app.py:4 gen | total += i",
        "           i = 1",
        "     9 [0]   app.py:5 gen | yield total",
        "           total = 1",
        "       [0]   gen yields 1",
        "       [0]   resume gen"], lines
    two = lines.index("       [0]   gen yields 0", lines.index("    14 [0] app.py:11 <module> | both = list(zip(gen(2), gen(2)))"))
    two = lines.index("       [0]   resume gen", two)
    assert lines[two + 1:two + 5] == ["    23 [0]   app.py:3 gen | for i in range(n):", "           n = 2",
                                      "           total = 0", "           i = 0"], lines
    assert lines[-6:-2] == [
        "       [0]   raise ValueError(1, 2) at line 8",
        "       [0]   f exits by ValueError(1, 2)",
        "       [0] raise ValueError(1, 2) at line 12",
        "       [0] <module> exits by ValueError(1, 2)"], lines
    assert lines[-2].startswith("       [0] stderr (no step): 'Traceback (most recent call last):\\n  File ")
    assert lines[-1] == "       [0] -- exit status 1, uncaught ValueError(1, 2)"
    # the generator zip left suspended is closed (3.12 reports it as a throw of GeneratorExit)
    assert all(x == "       [0]   throw GeneratorExit() into gen" for x in lines if "throw" in x), lines


def test_throw_into_a_generator(tmp_path):
    t = recorded(tmp_path, "def gen():\n    try:\n        yield 1\n    except KeyError as e:\n"
                 "        yield 2\n\ng = gen()\nnext(g)\ng.throw(KeyError('t'))\n")
    lines = show(t, cwd=tmp_path).stdout.splitlines()
    at = lines.index("       [0]   throw KeyError('t') into gen")
    assert lines[at:at + 6] == [
        "       [0]   throw KeyError('t') into gen",
        "       [0]   raise KeyError('t') at line 3",
        "       [0]   handled KeyError('t') at line 4",
        "     6 [0]   app.py:4 gen | except KeyError as e:",
        "     7 [0]   app.py:5 gen | yield 2",
        "           e = KeyError('t')"], lines


def test_recording_started_inside_functions(tmp_path):
    """ctgen_tracer.start() inside a function: the activations running then
    are listed as calls (their variables with their first step), and the
    one still running when the recording stopped says so."""
    t = tmp_path / "t"
    (tmp_path / "app.py").write_text(
        "import ctgen_tracer\n\ndef f():\n    a = 1\n    ctgen_tracer.start(%r)\n    b = a + 1\n"
        "    return b\n\nf()\nx = 2\nctgen_tracer.stop()\n" % str(t))
    p = run(["app.py"], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert show(t, cwd=tmp_path).stdout.splitlines() == [
        "       [0] -- thread 0 starts",
        "       [0] call <module>()",
        "       [0]   call f()",
        "     0 [0]   app.py:6 f | b = a + 1",
        "           a = 1",
        "     1 [0]   app.py:7 f | return b",
        "           b = 2",
        "       [0]   f returns 2",
        "     2 [0] app.py:10 <module> | x = 2",
        "         f = <function __main__.f>",
        "     3 [0] app.py:11 <module> | ctgen_tracer.stop()",
        "         x = 2",
        "       [0] -- thread 0 runs",
        "       [0] <module> ends: the recording stopped while it ran"]


SEEKING = '''\
import threading

class Node:
    def __init__(self, v, nxt=None):
        self.v, self.nxt = v, nxt

def walk(n, depth):
    total = 0
    while n is not None:
        total += n.v
        if depth and n.v % 3 == 0:
            total += walk(n.nxt, depth - 1)
        n = n.nxt
    return total

def risky(i):
    try:
        if i % 4 == 0:
            raise ValueError(i)
        return i
    except ValueError as e:
        return -1

def work(k):
    items = []
    head = None
    for i in range(12):
        head = Node(i + k, head)
        items.append(risky(i))
        s = walk(head, 2)
        if i % 5 == 0:
            print("k", k, "i", i, "s", s)
    return items

t = threading.Thread(target=work, args=(100,))
t.start()
out = work(0)
t.join()
print(len(out))
'''


def _step_lines(lines):
    """{step number: its line's index} of a listing."""
    return {int(x[:6]): i for i, x in enumerate(lines) if x[:6].strip().isdigit()}


def test_steps_begin_at_their_chunk(tmp_path):
    """--steps A:B with A > 0 begins at the chunk holding step A, as the
    index says, rather than reading from the start (on a 1 GB trace: a
    fraction of a second instead of minutes): what it lists is what the
    whole listing shows from step A to B, the variables that changed at a
    step included (an activation open across the chunk's start is
    compared with its step before, in an earlier chunk), on two threads,
    objects, exceptions, output; at and around every chunk's start."""
    from ctgen_tracer import index
    (tmp_path / "app.py").write_text(SEEKING)
    t = tmp_path / "t"
    p = record("app.py", t, options=["--chunk-bytes", "4096"], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    ix = index.Trace(str(t)).index
    assert len(ix.chunks) >= 12, len(ix.chunks)   # the starts to seek to
    full = show(t, cwd=tmp_path).stdout.splitlines()
    at = _step_lines(full)
    n = len(at)
    starts = [e["step0"] for e in ix.chunks if e["steps"]][1:12]
    tried = 0
    for a in sorted({x + d for x in starts for d in (-1, 0, 1)} | {n - 1}):
        b = min(a + 9, n)
        p = show(t, "--steps", "%d:%d" % (a, b), cwd=tmp_path)
        assert p.returncode == 0 and p.stderr == "", p.stderr
        want = full[at[a]:at[b]] if b < n else full[at[a]:]
        assert p.stdout.splitlines() == want, (a, b, p.stdout)
        tried += 1
    assert tried >= 30
    assert any(" = " in x for x in full[at[starts[0]]:at[starts[0] + 9]])   # variables shown in a window


def test_steps_begin_at_their_chunk_with_generators(tmp_path):
    """After a seek, a generator that yielded before the chunk and resumes
    in the listing shows all its variables at its first step (which of the
    function's suspended generators resumes is not in the trace, and those
    suspended before the chunk are not known): the same lines as the whole
    listing otherwise, and at those steps its variables among them."""
    (tmp_path / "app.py").write_text(
        "def gen(n):\n    total = 0\n    for i in range(n):\n        total += i * i\n        yield total\n\n"
        "g = gen(400)\nacc = []\nfor v in g:\n    acc.append(v % 7)\n")
    t = tmp_path / "t"
    p = record("app.py", t, options=["--chunk-bytes", "4096"], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    full = show(t, cwd=tmp_path).stdout.splitlines()
    at = _step_lines(full)
    a = len(at) // 2
    part = show(t, "--steps", "%d:%d" % (a, a + 40), cwd=tmp_path).stdout.splitlines()
    want = full[at[a]:at[a + 40]]
    assert [x for x in part if not x.startswith("         ")] == [x for x in want if not x.startswith("         ")]
    assert set(want) <= set(part) and len(part) > len(want), (part, want)
    resumed = [i for i, x in enumerate(part) if x.endswith("resume gen")]
    assert resumed and all(part[i + 2] == "           n = 400" and part[i + 3].startswith("           total = ")
                           and part[i + 4].startswith("           i = ") for i in resumed), part
