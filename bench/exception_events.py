#!/usr/bin/env python3
"""What recording costs on bench/workloads/exceptions.py with two builds of
ctgen-tracer side by side (e.g. the exception events global vs local, CPython
3.15), in two settings: the workload recorded (its exceptions are recorded
code's), and the workload excluded (--exclude: its exceptions are raised in
code that is not recorded, which is what local exception events spare).

    python bench/exception_events.py --build NAME=DIR [--build NAME=DIR ...]
                                     [--runs 7] [--size 10000]

DIR is a directory holding a built ctgen_tracer package (put on PYTHONPATH).
Runs are interleaved (one of each build and an untraced run per round); the
figure is the median wall time of the process, and traced / untraced.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "workloads", "exceptions.py")


def wall(cmd, env):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr))
    return dt, r.stdout.strip().splitlines()[-1]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", action="append", required=True, metavar="NAME=DIR")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--size", type=int, default=10000)
    opts = p.parse_args()
    builds = [b.split("=", 1) for b in opts.build]
    settings = [("recorded", []), ("excluded", ["--exclude", "*exceptions.py"])]
    base_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONUNBUFFERED")}
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(opts.runs):
            dt, want = wall([sys.executable, WORKLOAD, str(opts.size)], base_env)
            times.setdefault(("untraced", ""), []).append(dt)
            for setting, extra in settings:
                for name, d in builds:
                    env = dict(base_env, PYTHONPATH=os.path.abspath(d))
                    out = os.path.join(tmp, "T")
                    dt, got = wall([sys.executable, "-m", "ctgen_tracer", "-q", "--force", "-o", out,
                                    *extra, WORKLOAD, str(opts.size)], env)
                    if got != want:
                        sys.exit("%s %s printed %r, untraced %r" % (name, setting, got, want))
                    times.setdefault((setting, name), []).append(dt)
    base = statistics.median(times[("untraced", "")])
    print("CPython %s, exceptions.py %d, median of %d runs (wall time of the process)"
          % (sys.version.split()[0], opts.size, opts.runs))
    print("| setting | build | seconds | ÷ untraced |")
    print("|---|---|---:|---:|")
    print("| untraced | | %.3f | 1.00 |" % base)
    for setting, _ in settings:
        for name, _ in builds:
            m = statistics.median(times[(setting, name)])
            print("| %s | %s | %.3f | %.2f |" % (setting, name, m, m / base))


if __name__ == "__main__":
    main()
