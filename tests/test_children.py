"""Child processes: a program that forks or starts python processes while it
is recorded keeps a valid trace, each child records into its own trace under
TRACE_DIR/children/<pid>/ (forks by default, python subprocesses with
--follow-subprocess), and the program's output and exit status are those of
an untraced run. Real multiprocessing, concurrent.futures, os.fork and
subprocess; every trace is checked with `python -m ctgen_tracer verify`."""

import json
import os
import sys
import time

import pytest

from conftest import BUILD, record, run

from ctgen_tracer import reader
from ctgen_tracer.tracedir import METADATA_FILE

WAIT = 30   # seconds for children that outlive the parent (forkserver, resource tracker)


def child_dirs(trace):
    d = trace / "children"
    return sorted(d.iterdir()) if d.is_dir() else []


def metadata(trace_dir):
    return json.loads((trace_dir / METADATA_FILE).read_text())


def alive(pid):
    """pid runs (a zombie does not)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_children(trace):
    """The child traces, once every child has ended (children such as the
    forkserver end a moment after the parent). A Pool worker killed by
    Pool.terminate() before it could install its SIGTERM handler has a
    trace that never ended: valid, up to its last complete chunk."""
    deadline = time.monotonic() + WAIT
    while True:
        dirs = child_dirs(trace)
        if all(metadata(d)["end_time"] is not None or not alive(metadata(d)["pid"]) for d in dirs):
            return dirs
        assert time.monotonic() < deadline, [(d.name, metadata(d)["ended_by"]) for d in dirs]
        time.sleep(0.1)


def verify(trace_dir, cut=False):
    """verify exits 0 (OK); with cut, a trace that never ended (its process
    was killed) may instead be truncated but readable (3)."""
    r = run(["-m", "ctgen_tracer", "verify", trace_dir])
    if cut and r.returncode == 3:
        assert r.stdout.strip().endswith("TRUNCATED, readable up to the cut"), r.stdout
        return
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().endswith("OK"), r.stdout


def steps_of(trace_dir, function):
    """[(line, {name: rendered value})] of the Steps in `function`."""
    t = reader.Trace(str(trace_dir))
    return [(rec["line"], {k: v.render() for k, v in snap.items()})
            for rec, snap in t.steps() if t.functions[rec["fn"]].name == function]


def same_as_untraced(program, trace, *args, options=(), cwd=None):
    """Run program untraced and traced; assert identical output and status."""
    plain = run([program, *args], cwd=cwd)
    traced = record(program, trace, *args, options=options, cwd=cwd)
    assert traced.stdout == plain.stdout
    assert traced.stderr == plain.stderr
    assert traced.returncode == plain.returncode
    return plain


def check_all(trace):
    """Verify the parent's trace and every child's; returns the child dirs."""
    verify(trace)
    parent = metadata(trace)
    assert parent["parent"] is None and parent["pid"] > 0
    dirs = wait_children(trace)
    pids = {parent["pid"]} | {metadata(d)["pid"] for d in dirs}
    for d in dirs:
        m = metadata(d)
        verify(d, cut=m["end_time"] is None)
        assert d.name == str(m["pid"])
        assert m["parent"]["pid"] in pids   # the recorded parent (or the forkserver)
    return dirs


POOL = """
import multiprocessing as mp
import sys

def square(x):
    y = x * x
    return y

def ready(barrier):
    # both workers run Python code before any task is taken: neither is
    # terminate()d before it started (under load, one worker could take all
    # eight tasks while the other was not yet scheduled, and leave no trace)
    try:
        barrier.wait(60)
    except Exception:
        pass

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    with ctx.Pool(2, initializer=ready, initargs=(ctx.Barrier(2),)) as pool:
        print(pool.map(square, range(8)))
    print("done", sys.argv[1])
"""


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_pool_map(method, write_program, tmp_path):
    program = write_program(POOL)
    trace = tmp_path / "T"
    plain = same_as_untraced(program, trace, method, options=["--follow-subprocess"])
    assert plain.stdout == "[0, 1, 4, 9, 16, 25, 36, 49]\ndone %s\n" % method
    dirs = check_all(trace)
    assert all(metadata(d)["complete"] for d in dirs)   # terminate()d workers finish their traces
    # Only the workers run square(); together they did all eight tasks.
    workers = [d for d in dirs if steps_of(d, "square")]
    assert 1 <= len(workers) <= 2 + (method != "fork")   # Pool(2), + 1 if a worker died early
    done = set()
    for d in workers:
        for line, snap in steps_of(d, "square"):
            if "y" in snap:
                done.add((snap["x"], snap["y"]))
    assert done == {(str(x), str(x * x)) for x in range(8)}
    assert not steps_of(trace, "square")
    if method == "fork":   # the workers are forks of the recorded process
        assert all(metadata(d)["parent"]["how"] == "fork" for d in dirs)
        assert len(dirs) == 2
    else:                  # new interpreters (and the resource tracker, forkserver)
        assert any(metadata(d)["parent"]["how"] == "subprocess" for d in dirs)


EXECUTOR = """
from concurrent.futures import ProcessPoolExecutor

def cube(x):
    z = x * x * x
    return z

if __name__ == "__main__":
    with ProcessPoolExecutor(2) as ex:
        print(list(ex.map(cube, range(6))))
"""


def test_process_pool_executor(write_program, tmp_path):
    program = write_program(EXECUTOR)
    trace = tmp_path / "T"
    plain = same_as_untraced(program, trace, options=["--follow-subprocess"])
    assert plain.stdout == "[0, 1, 8, 27, 64, 125]\n"
    dirs = check_all(trace)
    done = {(s["x"], s["z"]) for d in dirs for _, s in steps_of(d, "cube") if "z" in s}
    assert done == {(str(x), str(x ** 3)) for x in range(6)}


FORK = """
import os
import sys

def work(n):
    total = 0
    for i in range(n):
        total += i
    return total

def main(how):
    print("parent", os.getpid() > 0, flush=True)
    pid = os.fork()
    if pid == 0:
        r = work(30)
        print("child", r, flush=True)
        if how == "exit":
            sys.exit(3)
        os._exit(7)
    _, status = os.waitpid(pid, 0)
    print("parent sees", os.waitstatus_to_exitcode(status), work(3))

main(sys.argv[1])
"""


@pytest.mark.parametrize("how,status", [("_exit", 7), ("exit", 3)])
def test_bare_fork(how, status, write_program, tmp_path):
    program = write_program(FORK)
    trace = tmp_path / "T"
    plain = same_as_untraced(program, trace, how)
    assert plain.stdout == "parent True\nchild 435\nparent sees %d 3\n" % status
    [child] = check_all(trace)
    m = metadata(child)
    assert m["exit_status"] == status
    assert m["ended_by"] == ("os._exit" if how == "_exit" else "stop")
    # The fork point: the parent's thread, and how much it had recorded.
    parent = metadata(trace)
    assert m["parent"]["pid"] == parent["pid"] and m["parent"]["how"] == "fork"
    assert m["parent"]["trace"] == str(trace)
    assert m["parent"]["thread"] == 0
    parent_records = list(reader.Trace(str(trace)).records())
    assert 0 < m["parent"]["record"] < len(parent_records)
    before = parent_records[:m["parent"]["record"]]
    assert sum(r.kind == "Step" for r in before) == m["parent"]["step"]
    # The child's trace starts at the fork (main's frame adopted) and holds
    # all of work(30); the parent's holds work(3) only.
    child_steps = steps_of(child, "work")
    assert child_steps[-1][1]["total"] == "435"
    assert max(int(s["i"]) for _, s in child_steps if "i" in s) == 29
    assert max(int(s.get("i", 0)) for _, s in steps_of(trace, "work")) == 2
    main_steps = steps_of(child, "main")
    assert main_steps[0][1]["pid"] == "0"   # the first step after os.fork() returned 0
    t = reader.Trace(str(child))
    assert [t.functions[r["fn"]].name for r in t.records() if r.kind == "Call"][:2] == ["<module>", "main"]
    # Program output (--capture-io, the default) goes to the trace of the
    # process that wrote it: the child's hooks are its own.
    assert "".join(o.text for o in t.outputs()) == "child 435\n"
    assert "".join(o.text for o in reader.Trace(str(trace)).outputs()) == \
        "parent True\nparent sees %d 3\n" % status


THREADS_FORK = """
import os
import sys
import threading
import warnings
import ctgen_tracer

warnings.simplefilter("ignore", DeprecationWarning)   # fork with threads (3.12+)
stop = threading.Event()

def spin(k):
    n = 0
    while not stop.is_set():
        n += k
        s = str(n) * 3
    return n

def child_work(i):
    acc = []
    for j in range(200):
        acc.append(j * i)
    return sum(acc)

ctgen_tracer.start(sys.argv[1], chunk_bytes=4096)   # many small chunks: flushes race the forks
threads = [threading.Thread(target=spin, args=(k,)) for k in range(3)]
for t in threads:
    t.start()
codes = []
for i in range(8):
    pid = os.fork()
    if pid == 0:
        r = child_work(i)
        os._exit(r % 100)
    codes.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
stop.set()
for t in threads:
    t.join()
ctgen_tracer.stop()
print(codes)
"""


def test_fork_while_threads_record(write_program, tmp_path):
    program = write_program(THREADS_FORK)
    trace = tmp_path / "T"
    r = run([program, trace])
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout == "%s\n" % [sum(j * i for j in range(200)) % 100 for i in range(8)]
    dirs = check_all(trace)
    assert len(dirs) == 8
    assert metadata(trace)["stats"]["chunks"] > 8
    parent = reader.Trace(str(trace))
    assert len({rec.thread for rec in parent.records()} - {None}) == 4
    for d in dirs:
        m = metadata(d)
        t = reader.Trace(str(d))
        assert {rec.thread for rec in t.records()} - {None} == {0}   # the other threads are not in the child
        i = [s for _, s in steps_of(d, "child_work")][0]["i"]
        assert m["exit_status"] == sum(j * int(i) for j in range(200)) % 100
        assert not steps_of(d, "spin")


SUBPROCESS = """
import subprocess
import sys

def main():
    code = "import sys\\ndef f(a):\\n    b = a * 2\\n    return b\\nprint(f(21), sys.argv[1:])\\n"
    r = subprocess.run([sys.executable, "-c", code, "x"], capture_output=True, text=True)
    print("child said", r.stdout.strip(), r.returncode)
    r = subprocess.run([sys.executable, "-c", "import sys; print(sys.path); sys.exit(5)"],
                       capture_output=True, text=True)
    print(r.stdout.strip(), r.returncode)

main()
"""


def test_subprocess_python(write_program, tmp_path):
    program = write_program(SUBPROCESS)
    trace = tmp_path / "T"
    plain = same_as_untraced(program, trace, options=["--follow-subprocess"])
    assert plain.stdout.startswith("child said 42 ['x'] 0\n[")   # sys.path: the recorder's dir is gone
    dirs = check_all(trace)
    assert len(dirs) == 2
    metas = sorted((metadata(d) for d in dirs), key=lambda m: m["start_time"])
    assert all(m["parent"]["how"] == "subprocess" and m["program"] == "-c" for m in metas)
    first = next(d for d in dirs if metadata(d)["pid"] == metas[0]["pid"])
    assert [s["b"] for _, s in steps_of(first, "f") if "b" in s] == ["42"]
    assert metas[1]["exit_status"] is None    # sys.exit's code is not visible at exit
    # Without --follow-subprocess the python children are not recorded.
    trace2 = tmp_path / "T2"
    same_as_untraced(program, trace2)
    verify(trace2)
    assert child_dirs(trace2) == []
    assert "CTGEN_TRACER_CHILD" not in os.environ


def test_subprocess_keeps_the_programs_sitecustomize(write_program, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import sys\nsys.stderr.write('own sitecustomize\\n')\n")
    program = write_program("import subprocess, sys\n"
                            "r = subprocess.run([sys.executable, '-c', 'print(7)'])\n"
                            "print(r.returncode)\n")
    path = os.pathsep.join([str(BUILD), str(site)])
    plain = run([program], PYTHONPATH=path)
    traced = run(["-m", "ctgen_tracer", "-q", "--follow-subprocess", "-o", tmp_path / "T", program],
                 PYTHONPATH=path)
    assert plain.stderr.count("own sitecustomize") == 2   # parent and child
    assert (traced.stdout, traced.stderr, traced.returncode) == (plain.stdout, plain.stderr, plain.returncode)
    [child] = check_all(tmp_path / "T")
    assert metadata(child)["program"] == "-c"


NO_FOLLOW = """
import os
import sys

def work():
    return sum(range(10))

pid = os.fork()
if pid == 0:
    print("child", work(), sys.monitoring.get_tool(4), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
print("parent", work(), sys.monitoring.get_tool(4))
"""


def test_no_follow_children(write_program, tmp_path):
    program = write_program(NO_FOLLOW)
    trace = tmp_path / "T"
    plain = run([program])
    traced = record(program, trace, options=["--no-follow-children"])
    assert plain.stdout == "child 45 None\nparent 45 None\n"
    # The child runs untraced (the tool id is free there); the parent records.
    assert traced.stdout == "child 45 None\nparent 45 ctgen-tracer\n"
    assert (traced.stderr, traced.returncode) == (plain.stderr, plain.returncode)
    verify(trace)
    assert child_dirs(trace) == []
    # Followed (the default), the child records.
    traced = record(program, tmp_path / "F")
    assert traced.stdout == "child 45 ctgen-tracer\nparent 45 ctgen-tracer\n"
    assert len(check_all(tmp_path / "F")) == 1


def test_stats_and_show_list_children(write_program, tmp_path):
    program = write_program(FORK)
    trace = tmp_path / "T"
    record(program, trace, "_exit")
    [child] = check_all(trace)
    pid = metadata(child)["pid"]
    n = sum(1 for _ in reader.Trace(str(child)).records())
    for cmd in ("stats", "show"):
        r = run(["-m", "ctgen_tracer", cmd, trace])
        assert r.returncode == 0, r.stderr
        tail = r.stdout[r.stdout.index("child traces: 1"):]
        line = tail.splitlines()[1].split()
        assert line[:2] == ["children/%d" % pid, "pid"]
        assert str(pid) in line and "fork" in line and "os._exit" in " ".join(line)
        assert "%d records" % n in " ".join(line)


def test_rerecording_removes_old_children(write_program, tmp_path):
    trace = tmp_path / "T"
    record(write_program(FORK), trace, "_exit")
    assert len(check_all(trace)) == 1
    r = record(write_program("print(1)\n", name="one.py"), trace)
    assert r.returncode == 0, r.stderr
    assert child_dirs(trace) == []
