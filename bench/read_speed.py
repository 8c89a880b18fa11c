#!/usr/bin/env python3
"""Reading speed: records a trace once, then times, side by side, the C
decoder (src/decode.c through Trace.check(), what verify and stats run on)
and its pure-Python twin, the commands verify and stats, convert, and
Trace.records() iteration; or, with --convert-only, `convert` alone in its
own process (wall time and peak RSS) on a loop whose variables stay small.

    PYTHONPATH=build python bench/read_speed.py [--iterations N] [--trace DIR] [--json OUT]
                                                [--fast-only | --convert-only]

The workload is bench/workloads-style: a loop with a few locals, recorded
with the default options. Figures are records per second of wall time, best
of --repeat runs (this machine is shared: the best run is the least
disturbed one)."""

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time

PROGRAM = """
def work(n):
    total = 0
    items = []
    for i in range(n):
        total += i * 2
        if i %% 100 == 0:
            items.append(total)
    return total, len(items)

work(%d)
"""

# --convert-only: a loop whose variables stay small, so that trace.json grows
# with the trace and not faster (PROGRAM's list is written whole at every step).
SCALARS = """
def work(n):
    total = 0
    count = 0
    for i in range(n):
        total += i * 2
        if i %% 100 == 0:
            count += 1
    return total, count

work(%d)
"""


def convert_process(d, out):
    """Run `convert` in its own process: (wall seconds, peak RSS in bytes,
    CPU seconds: user and system, which a loaded machine disturbs less)."""
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "ctgen_tracer", "convert", d, "--to", "codetracer",
                          "-o", out, "--force", "-q"])
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise SystemExit("convert failed: %d" % p.returncode)
    return time.perf_counter() - t0, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iterations", type=int, default=400000)
    p.add_argument("--trace", help="an existing trace to read instead of recording one")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json")
    p.add_argument("--fast-only", action="store_true", help="only the C decoder and the commands on it")
    p.add_argument("--out", help="with --convert-only: the output directory (e.g. on a tmpfs)")
    p.add_argument("--convert-only", action="store_true",
                   help="only `convert`, in its own process (wall time, peak RSS), on a loop of small "
                        "variables (SCALARS)")
    a = p.parse_args()
    from ctgen_tracer import cli, reader
    from ctgen_tracer import convert as conv
    work = tempfile.mkdtemp(prefix="ctgen-read-")
    d = a.trace
    if d is None:
        prog = os.path.join(work, "loop.py")
        with open(prog, "w") as f:
            f.write((SCALARS if a.convert_only else PROGRAM) % a.iterations)
        d = os.path.join(work, "t")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ctgen_tracer", "-q", "-o", d, prog], check=True)
        print("recorded %s in %.2f s" % (d, time.perf_counter() - t0))
    t = reader.Trace(d)
    n = t.check(values=False)["records"]
    size = t.file.size
    print("trace: %d records, %d bytes, %d chunks" % (n, size, t.chunk_count))
    results = {"records": n, "bytes": size}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ctgen_tracer", "-q", "--no-values", "-o", os.path.join(work, "nv"),
                    prog], check=True) if a.trace is None else None
    if a.trace is None:
        results["recording --no-values, seconds"] = rec = time.perf_counter() - t0
        print("recording the same program with --no-values: %.2f s (whole process)" % rec)

    def quiet(f):
        def run():
            with contextlib.redirect_stdout(io.StringIO()):
                f()
        return run

    cases = [
        ("check, C, values (verify's pass)", lambda: reader.Trace(d).check(values=True, native=True), 1),
        ("check, C, no values (stats' pass)", lambda: reader.Trace(d).check(values=False, strict=True, native=True), 1),
        ("verify command", quiet(lambda: cli.verify([d])), 1),
        ("stats command", quiet(lambda: cli.stats([d])), 1),
        ("check, Python, values", lambda: reader.Trace(d).check(values=True, native=False), 1),
        ("Trace.records() iteration", lambda: sum(1 for _ in reader.Trace(d).records()), 1),
        ("convert --to codetracer", lambda: conv.convert(d, os.path.join(work, "out%d" % time.monotonic_ns())), 1),
    ]
    if a.fast_only:
        cases = cases[:4]
    if a.convert_only:
        out = a.out or os.path.join(work, "ct")
        runs = [convert_process(d, out) for _ in range(a.repeat)]
        s, rss, cpu = min(r[0] for r in runs), max(r[1] for r in runs), min(r[2] for r in runs)
        size = os.path.getsize(os.path.join(out, "trace.json"))
        results["convert command"] = {"seconds": s, "records_per_second": n / s, "peak_rss": rss,
                                      "cpu_seconds": cpu, "records_per_cpu_second": n / cpu,
                                      "trace_json_bytes": size}
        print("%-36s %8.3f s  %12.0f records/s  CPU %.3f s (%.0f records/s)  peak RSS %.1f MB  "
              "trace.json %.1f MB" % ("convert command (own process)", s, n / s, cpu, n / cpu,
                                      rss / 2 ** 20, size / 2 ** 20))
        cases = []
    for name, fn, _ in cases:
        repeat = a.repeat if "Python" not in name and "records()" not in name and "convert" not in name else 1
        s = best(fn, repeat)
        results[name] = {"seconds": s, "records_per_second": n / s}
        ratio = ""
        if "recording --no-values, seconds" in results:
            ratio = "  %.2fx the recording time" % (s / results["recording --no-values, seconds"])
        print("%-36s %8.3f s  %12.0f records/s%s" % (name, s, n / s, ratio))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
