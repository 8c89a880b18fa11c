#!/usr/bin/env python3
"""What recording a huge value costs per step: bounded by the value limits
(depth 4, 100 items, 1000 bytes), not by the object's size.

    python bench/value_limits.py [--runs N] [--iters K] [--case NAME ...] [--json FILE]

For each case, a small program binds one value (built by a helper module
that is not recorded: --exclude vl_build) and then runs a loop of K
iterations, `for i in range(K): MUTATE`, where MUTATE changes something
inside the value that the recorder keeps (lst[0] = i, ...): at every
iteration the value's fingerprint changes and it is written again. A
second program runs `for i in range(K): j = i` with the value bound and
untouched: it is checked (fingerprinted, or for a str/bytes/int the same
object: nothing) at every step and never written again. Each runs
untraced and under `python -m ctgen_tracer` into /dev/shm, interleaved
run by run; the time is the loop's, measured inside the program
(perf_counter), so start-up and building the value are not counted.
An iteration is two steps (the `for` line and its body).

Prints a Markdown table, per case: untraced and traced µs per iteration
when the value changes, traced when it does not, the changed cost against
the small-value baseline (a 10-item list), and trace bytes per iteration.
ctgen-tracer must be built for the interpreter running this script.
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
BUILD = os.path.join(ROOT, "build")

BUILDERS = '''
class Node:
    def __init__(self, i, next=None):
        self.i = i
        self.next = next


def chain(n):
    head = None
    for i in range(n):
        head = Node(n - i, head)
    return head


def nested(n):
    cur = []
    for _ in range(n - 1):
        cur = [cur]
    return cur


def grid(n):
    return [list(range(n)) for _ in range(n)]


def holes(n, keep):
    """A dict of n keys whose first n - keep were deleted: its storage
    still holds them as dummies before the live entries."""
    d = dict.fromkeys(range(n), 0)
    for k in range(n - keep):
        del d[k]
    return d


def set_holes(n, keep):
    s = set(range(n))
    for k in range(n - keep):
        s.discard(k)
    return s
'''

# name -> (expression building v, with vl_build's helpers; statement changing it)
CASES = [
    ("list of 10 (baseline)", "list(range(10))", "v[0] = i"),
    ("list of 1000", "list(range(1000))", "v[0] = i"),
    ("list of 10**6", "list(range(10**6))", "v[0] = i"),
    ("tuple of 10**6 (a list first)", "(list(range(3)),) + tuple(range(10**6))", "v[0][0] = i"),
    ("dict of 10**6", "dict.fromkeys(range(10**6), 0)", "v[0] = i"),
    ("set of 10**6", "set(range(10**6))", "v.remove(i)"),
    ("str 10 MB ASCII in [s, n]", "['a' * 10_000_000, 0]", "v[1] = i"),
    ("str 10 MB 'é' in [s, n]", "['\\u00e9' * 5_000_000, 0]", "v[1] = i"),
    ("str 10 MB emoji in [s, n]", "['\\U0001f600' * 2_500_000, 0]", "v[1] = i"),
    ("bytes 10 MB in [b, n]", "[bytes(10_000_000), 0]", "v[1] = i"),
    ("bytearray 10 MB", "bytearray(10_000_000)", "v[:4] = i.to_bytes(4, \"little\")"),
    ("int 2**7000 (876 bytes) in [x, n]", "[2 ** 7000, 0]", "v[1] = i"),
    ("int 2**100000 (12.5 kB) in [x, n]", "[2 ** 100000, 0]", "v[1] = i"),
    ("int 2**10**7 (1.25 MB) in [x, n]", "[2 ** 10 ** 7, 0]", "v[1] = i"),
    ("list nested 1000 deep", "[nested(1000), 0]", "v[1] = i"),
    ("instances chained 1000 deep", "chain(1000)", "v.i = i"),
    ("list of 10**6 holding itself", "list(range(10**6)); v[5] = v", "v[0] = i"),
    ("list of 1000 lists of 1000", "grid(1000)", "v[0][0] = i"),
    ("dict of 10**6, first 999900 deleted", "holes(10**6, 100)", "v[10**6 - 1] = i"),
    ("set of 10**6, first 999900 discarded", "set_holes(10**6, 100)", "v.add(-1 - i)"),
]

PROGRAM = '''import sys
import time
from vl_build import *

v = {build}


def change(v, K):
    t0 = time.perf_counter()
    for i in range(K):
        {mutate}
    return time.perf_counter() - t0


def same(v, K):
    t0 = time.perf_counter()
    for i in range(K):
        j = i
    return time.perf_counter() - t0


mode, K = sys.argv[1], int(sys.argv[2])
print((change if mode == "change" else same)(v, K))
'''


def run(workdir, prog, mode, iters, traced, tdir):
    env = dict(os.environ, PYTHONPATH=BUILD + os.pathsep + workdir)
    cmd = [sys.executable]
    if traced:
        cmd += ["-m", "ctgen_tracer", "-q", "--force", "--exclude", "vl_build", "-o", tdir]
    cmd += [prog, mode, str(iters)]
    p = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("%s failed (%s):\n%s" % (" ".join(cmd), p.returncode, p.stderr[-2000:]))
    seconds = float(p.stdout.split()[-1])
    size = os.path.getsize(os.path.join(tdir, "trace.ctgt")) if traced else 0
    if traced:
        shutil.rmtree(tdir)
    return seconds, size


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--iters", type=int, default=2000, help="K, iterations per loop (default 2000)")
    ap.add_argument("--case", action="append", help="only cases whose name contains this")
    ap.add_argument("--json", help="also write the raw results here")
    args = ap.parse_args()
    cases = [c for c in CASES if not args.case or any(s in c[0] for s in args.case)]
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    work = tempfile.mkdtemp(prefix="ctgen-vl-", dir=shm)
    try:
        with open(os.path.join(work, "vl_build.py"), "w") as f:
            f.write(BUILDERS)
        progs = []
        for n, (name, build, mutate) in enumerate(cases):
            p = os.path.join(work, "case%02d.py" % n)
            with open(p, "w") as f:
                f.write(PROGRAM.format(build=build, mutate=mutate))
            progs.append(p)
        configs = [("untraced", "change", False), ("change", "change", True), ("same", "same", True)]
        res = {name: {c[0]: [] for c in configs} for name, _, _ in cases}
        sizes = {name: {} for name, _, _ in cases}
        tdir = os.path.join(work, "trace")
        for r in range(args.runs):
            for (name, _, _), prog in zip(cases, progs):
                order = configs[r % 3:] + configs[:r % 3]   # rotate which runs first
                for label, mode, traced in order:
                    t, size = run(work, prog, mode, args.iters, traced, tdir)
                    res[name][label].append(t)
                    if traced:
                        sizes[name][label] = size
            print("run %d/%d done" % (r + 1, args.runs), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    us = {name: {k: statistics.median(v) / args.iters * 1e6 for k, v in d.items()} for name, d in res.items()}
    base = us[cases[0][0]]["change"]
    print("CPython %s, K = %d iterations per loop, median of %d runs; µs per iteration "
          "(two steps), loop time measured inside the program." % (sys.version.split()[0], args.iters, args.runs))
    print()
    print("| value | untraced µs/iter | traced µs/iter, value changes | × baseline | traced µs/iter, unchanged "
          "| trace bytes/iter, changes | trace bytes/iter, unchanged |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, _, _ in cases:
        u = us[name]
        print("| %s | %.2f | %.2f | %.1f | %.2f | %.0f | %.0f |" % (
            name, u["untraced"], u["change"], u["change"] / base, u["same"],
            sizes[name]["change"] / args.iters, sizes[name]["same"] / args.iters))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"python": sys.version, "iters": args.iters, "runs": args.runs, "seconds": res,
                       "bytes": sizes}, f, indent=1)


if __name__ == "__main__":
    main()
