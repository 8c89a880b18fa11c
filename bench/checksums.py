#!/usr/bin/env python3
"""What the frames' CRC-32 (event file format 3) costs a recording.

    python bench/checksums.py --base OLD_BUILD [--new NEW_BUILD] [--runs N]
                              [--python PY] [--workload NAME:SIZE ...]

OLD_BUILD and NEW_BUILD are directories holding a built `ctgen_tracer`
package for the same interpreter (e.g. a copy of build/ made at the commit
before format 3, and build/). Each workload is recorded with `--no-values`
(the most bytes per second of program time, so the largest share of
checksum work) and with `--no-values --compress`, by each build in turn,
interleaved (old, new, new, old, ...), into /dev/shm when it exists. Per
cell: the median over --runs of the recording's own duration (its
metadata: start() to the end of stop(), which waits for the last frame to
be written), of the process's CPU time (user + system, every thread), and
the trace's bytes; then new / old. Also: zlib's crc32 speed in this process
on 1 MiB buffers, against the rate the recordings produce bytes.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import tracestats  # noqa: E402

WORKLOADS = ("nbody:20000", "richards:200", "generators:500", "raytrace:60")
MB = 1 << 20


def record(py, build, workload, size, out, extra):
    """{'duration', 'cpu', 'bytes'} of one recording."""
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=build)
    env.pop("PYTHONUNBUFFERED", None)
    cmd = [py, "-m", "ctgen_tracer", "-q", "--no-values", *extra, "-o", out,
           os.path.join(HERE, "workloads", workload + ".py"), str(size)]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit("recording failed: %s\n%s" % (" ".join(cmd), p.stderr.decode(errors="replace")))
    meta = tracestats.metadata(out, tracestats.load_reader(os.path.join(build, "ctgen_tracer", "reader.py")))
    return {"duration": meta["end_time"] - meta["start_time"],
            "cpu": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
            "bytes": os.path.getsize(os.path.join(out, "trace.ctgt"))}


def crc_speed():
    """MB/s of zlib.crc32 on a 1 MiB buffer of trace-like bytes (best of 5)."""
    buf = (bytes(range(256)) * 4096)[:MB]
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(64):
            zlib.crc32(buf)
        best = min(best, time.perf_counter() - t)
    return 64 / best


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="directory holding the old build's ctgen_tracer")
    p.add_argument("--new", default=os.path.join(ROOT, "build"), help="the new build (default build/)")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--workload", action="append", default=None, help="NAME:SIZE (default: %s)"
                   % " ".join(WORKLOADS))
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="ctgen-crc-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    builds = {"old": os.path.abspath(a.base), "new": os.path.abspath(a.new)}
    rows = []
    try:
        for spec in a.workload or WORKLOADS:
            name, size = spec.split(":")
            for extra in ([], ["--compress"]):
                runs = {"old": [], "new": []}
                for i in range(a.runs):
                    order = ("old", "new") if i % 2 == 0 else ("new", "old")
                    for b in order:
                        runs[b].append(record(a.python, builds[b], name, size, os.path.join(work, b), extra))
                med = {b: {k: statistics.median(r[k] for r in runs[b]) for k in ("duration", "cpu", "bytes")}
                       for b in runs}
                rows.append((name, size, " ".join(["--no-values"] + extra), med))
                print("%s %s %s: done" % (name, size, extra), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| workload | options | MB old / new | recording s old / new | ratio | CPU s old / new | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, size, opts, m in rows:
        o, n = m["old"], m["new"]
        print("| %s %s | %s | %.1f / %.1f | %.3f / %.3f | %.3f | %.3f / %.3f | %.3f |"
              % (name, size, opts, o["bytes"] / MB, n["bytes"] / MB, o["duration"], n["duration"],
                 n["duration"] / o["duration"], o["cpu"], n["cpu"], n["cpu"] / o["cpu"]))
    speed = crc_speed()
    print("\nzlib.crc32 (zlib %s): %.0f MB/s on 1 MiB buffers (one core)" % (zlib.ZLIB_RUNTIME_VERSION, speed))
    for name, size, opts, m in rows:
        if "--compress" not in opts:
            rate = m["new"]["bytes"] / MB / m["new"]["duration"]
            print("%s %s %s: %.0f MB/s produced; the CRC-32 of that takes %.1f%% of a core"
                  % (name, size, opts, rate, 100 * rate / speed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
