"""Time from starting `show` on a trace to its first line of output, with
stdout a terminal (a pseudo-terminal: line-buffered, as a user sees it), and
the CPU time of the run until then (user + system: what the machine's load
does not change much). Issue 14's target: `show --steps N` and `show --var x` on a
1 GB trace print their first line within 0.5 s, whatever N is.

    PYTHONPATH=build python bench/show_first.py TRACE_DIR [--runs 3] [ARGS ...]

Each ARGS is one show command line's options, quoted ("--steps 1000:1001").
Without ARGS: --steps at 0, 25 %, 50 %, 75 % and the last step of the trace,
and --var for the first variable the trace names in its last function.
"""

import argparse
import os
import pty
import resource
import select
import subprocess
import sys
import time


def first_line(argv, limit=600.0):
    """(seconds to the first line on a pty, CPU seconds until then, the line): the
    command is killed at its first line."""
    master, slave = pty.openpty()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=slave, stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(slave)
    buf, wall = b"", None
    try:
        while wall is None:
            left = limit - (time.perf_counter() - t0)
            ready, _, _ = select.select([master], [], [], max(0.0, left))
            if not ready:
                break
            try:
                data = os.read(master, 4096)
            except OSError:   # the child closed the pty
                break
            if not data:
                break
            buf += data
            if b"\n" in buf:
                wall = time.perf_counter() - t0
    finally:   # stopped at its first line: a --var listing would go on through the whole trace
        os.killpg(p.pid, 9)
        p.wait()
        os.close(master)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, buf.split(b"\n")[0].decode(errors="replace").rstrip("\r")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("cases", nargs="*", help="show options, one quoted string per case")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    cases = [c.split() for c in a.cases]
    if not cases:
        from ctgen_tracer import index
        ix = index.Trace(a.trace).index
        n = ix.steps
        cases = [["--steps", "%d:%d" % (k, k + 1)] for k in (0, n // 4, n // 2, 3 * n // 4, n - 1)]
    cmd = [sys.executable, "-m", "ctgen_tracer", "show", a.trace]
    print("%-34s %-26s %-22s %s" % ("show options", "first line, s (each run)", "CPU until then, s", "first line"))
    for c in cases:
        runs = [first_line(cmd + c) for _ in range(a.runs)]
        print("%-34s %-26s %-22s %s" % (" ".join(c), " ".join("-" if w is None else "%.3f" % w for w, _, _ in runs),
                                        " ".join("%.2f" % cpu for _, cpu, _ in runs), runs[0][2][:70]))


if __name__ == "__main__":
    main()
