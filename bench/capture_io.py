#!/usr/bin/env python3
"""What recording program output (--capture-io) costs.

    python bench/capture_io.py [--runs N] [--size N] [--workload W ...] [--out file|pipe]

Runs each workload (default: bench/workloads/printing.py, a print-heavy
report) untraced and under ctgen-tracer
with and without --capture-io, with values and with --no-values, interleaved
run by run in a rotating order. Program output goes to a file in /dev/shm
(--out file: stdout block-buffered, as when redirected) or through a pipe
the driver drains (--out pipe). Times are measured inside the process, as
bench/run.py does: the untraced run by bench/timed.py, the traced ones from
the trace's metadata (start() to the end of stop()). Prints per workload the
median of each configuration's traced / untraced ratio, the extra time of
capturing per Output record and per write() call, and checks that the output
was byte-identical to the untraced run's every time.

ctgen-tracer must be built for the interpreter running this script
(./configure.py --python PY && ninja).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TIMED = os.path.join(HERE, "timed.py")
SIZES = {"printing": 15000}   # a trace of about 30 MB with values
CONFIGS = [
    ("untraced", None),
    ("values, no capture", ["--no-capture-io"]),
    ("values, capture", ["--capture-io"]),
    ("no values, no capture", ["--no-values", "--no-capture-io"]),
    ("no values, capture", ["--no-values", "--capture-io"]),
]


def run_once(workload, size, extra, tdir, out_mode, build):
    env = dict(os.environ, PYTHONPATH=build)
    if extra is None:
        cmd = [sys.executable, TIMED, workload, str(size)]
    else:
        cmd = [sys.executable, "-m", "ctgen_tracer", "-q", "--force", "-o", tdir] + extra + [workload, str(size)]
    if out_mode == "file":
        path = os.path.join(tdir + "-out")
        with open(path, "wb") as f:
            p = subprocess.run(cmd, stdout=f, stderr=subprocess.PIPE, env=env)
        with open(path, "rb") as f:
            out = f.read()
        os.remove(path)
    else:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        out = p.stdout
    if p.returncode != 0:
        raise SystemExit("%s failed (status %s):\n%s" % (" ".join(cmd), p.returncode,
                                                       p.stderr.decode(errors="replace")[-2000:]))
    err = p.stderr.decode(errors="replace")
    if extra is None:
        last = err.strip().splitlines()[-1]
        seconds = float(last.split("exec=")[1].split()[0])
        err = err[:err.rindex("bench-timed:")]
        outputs = 0
    else:
        sys.path.insert(0, HERE)
        import tracestats
        meta = tracestats.metadata(tdir)
        seconds = meta["end_time"] - meta["start_time"]
        outputs = _count_outputs(tdir)
        shutil.rmtree(tdir)
    return seconds, out, err, outputs


def _count_outputs(tdir):
    sys.path.insert(0, HERE)
    from tracestats import scan   # chunk tables only
    return scan(tdir)["kinds"].get("Output", {}).get("count", 0)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--size", type=int, default=None,
                   help="size for every workload (default: printing 15000, others DEFAULT_SIZE / 10)")
    p.add_argument("--workload", action="append", default=None)
    p.add_argument("--out", choices=("file", "pipe"), default="file")
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = p.parse_args()
    workloads = a.workload or ["printing"]
    scratch = tempfile.mkdtemp(prefix="ctgen-capture-io-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    results = {}
    try:
        for w in workloads:
            path = os.path.join(HERE, "workloads", w + ".py")
            size = a.size or SIZES.get(w)
            if size is None:
                src = open(path).read()
                size = max(1, int(src.split("DEFAULT_SIZE = ")[1].split()[0]) // 10)
            writes = _count_writes(path, size)
            times = {name: [] for name, _ in CONFIGS}
            outputs = {}
            base = None
            for r in range(a.runs):
                order = CONFIGS[r % len(CONFIGS):] + CONFIGS[:r % len(CONFIGS)]
                for name, extra in order:
                    s, out, err, n = run_once(path, size, extra, os.path.join(scratch, "t"), a.out, a.build)
                    if base is None and extra is None:
                        base = (out, err)
                    times[name].append(s)
                    outputs[name] = n
                    if base is not None and (out, err) != base and extra is not None:
                        raise SystemExit("%s: output of %r differs from the untraced run" % (w, name))
            results[w] = (size, writes, times, outputs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("python %s, %d runs, output to a %s\n" % (sys.version.split()[0], a.runs, a.out))
    print("| workload | size | write() calls | untraced s | " + " | ".join(n for n, _ in CONFIGS[1:])
          + " | capture: extra ns per write (values / no values) |")
    print("|---|---:|---:|---:|" + "---:|" * (len(CONFIGS) - 1) + "---:|")
    for w, (size, writes, times, outputs) in results.items():
        u = min(times["untraced"])
        cells = ["%.2f" % (min(times[n]) / u) for n, _ in CONFIGS[1:]]
        extra = []
        for on, off in (("values, capture", "values, no capture"), ("no values, capture", "no values, no capture")):
            d = min(times[on]) - min(times[off])
            extra.append("%.0f" % (d / writes * 1e9) if writes else "-")
        print("| %s | %d | %d | %.3f | %s | %s |" % (w, size, writes, u, " | ".join(cells), " / ".join(extra)))
    print("\nCells: the fastest traced run / the fastest untraced run (min of %d runs: the machine"
          " is shared and noisy, the min is the least disturbed run)." % a.runs)
    print("Output records (capture on): " + ", ".join(
        "%s %s" % (w, r[3].get("no values, capture")) for w, r in results.items()))
    micro(a)
    return 0


# The hook alone: write() and print() called from code that is not recorded
# (compiled from a string, so its events are disabled after the first), in
# one process, recordings with and without capture alternating.
MICRO = r"""
import sys, time, ctgen_tracer
sys.stdout = open(%(dev)r, "w")            # block-buffered, like redirected output
ns = {}
src = "def loop(n, w):\n    for i in range(n):\n        w('line of output\\n')\n" \
      "def loop_print(n):\n    for i in range(n):\n        print('line', i)\n"
exec(compile(src, "<unrecorded>", "exec"), ns)
best = {}
for capture in (False, True) * %(reps)d:
    ctgen_tracer.start(%(dir)r, force=True, capture_io=capture)
    w = sys.stdout.write
    t0 = time.perf_counter(); ns["loop"](%(n)d, w); t1 = time.perf_counter()
    ns["loop_print"](%(n)d); t2 = time.perf_counter()
    ctgen_tracer.stop()
    for k, v in (("write", t1 - t0), ("print", t2 - t1)):
        best[k, capture] = min(best.get((k, capture), 1e9), v)
sys.__stdout__.write("%%r\n" %% ({k[0] + ("-on" if k[1] else "-off"): v for k, v in best.items()},))
"""


def micro(a):
    """ns per call of sys.stdout.write and of print() while recording, with
    and without capture."""
    n = 200000
    reps = max(3, a.runs)
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as d:
        code = MICRO % {"dev": os.devnull, "reps": reps, "dir": os.path.join(d, "t"), "n": n}
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONPATH=a.build))
    if p.returncode != 0:
        print("micro benchmark failed: " + p.stderr[-1000:])
        return
    best = eval(p.stdout.strip().splitlines()[-1])
    print("\nThe hook alone (%d calls from unrecorded code while recording, output to %s, best of %d):"
          % (n, os.devnull, reps))
    for k in ("write", "print"):
        off, on = best[k + "-off"] / n * 1e9, best[k + "-on"] / n * 1e9
        print("  %-22s %6.0f ns without capture, %6.0f ns with: +%.0f ns per call"
              % ("sys.stdout.write(s)" if k == "write" else "print('line', i)", off, on, on - off))


def _count_writes(path, size):
    """write() calls the workload makes on sys.stdout and sys.stderr, counted
    by running it untraced with counting wrappers around both."""
    code = r"""
import sys, runpy
n = [0]
class Count:
    def __init__(self, s): self.s = s
    def write(self, t):
        n[0] += 1
        return self.s.write(t)
    def __getattr__(self, a): return getattr(self.s, a)
import io
sys.stdout, sys.stderr = Count(io.StringIO()), Count(io.StringIO())
sys.argv = [%r, %r]
runpy.run_path(%r, run_name="__main__")
sys.__stdout__.write("%%d\n" %% n[0])
""" % (path, str(size), path)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return int(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
