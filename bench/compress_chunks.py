#!/usr/bin/env python3
"""Would compressing each chunk pay? Measure it on real recordings.

    python bench/compress_chunks.py [--python PY] [--runs N] [--workloads a,b]
                                [--dir /dev/shm/ctgen-compression] [--disk DIR]
                                [--no-e2e] [--json FILE]

1. Records bench workloads (with values and --no-values) into --dir (tmpfs)
   with `python -m ctgen_tracer`, --runs times each, and takes the recording's
   own duration from its metadata (start() to the end of stop()):
   the rate at which the recording produced bytes (MB/s) is what a writer
   thread that compresses must sustain, on its own core, to keep up.
2. For each trace, compresses every chunk separately (each chunk is one
   zlib stream, as the writer would write it) with zlib levels 1, 2, 3 and 6
   and lzma preset 0 (for comparison: lzma is not what the reader can rely
   on), in this process, single-threaded, best of --runs: ratio (bytes
   before / after), compression and decompression speed in MB/s of
   uncompressed bytes. At most --sample-mb of chunks per trace, spread
   evenly over the file.
3. Reading: times reader.Trace(DIR).records() over the whole trace, once (the
   cheapest complete read: records with ids resolved, values decoded only
   on demand) and says how much decompressing every chunk would add.
4. End to end, when the build has `--compress` (unless --no-e2e): records
   each workload with and without --compress, interleaved run by run, into
   --dir: wall time of the traced process (the traced thread waits when the
   writer falls behind), recording duration, CPU time (all threads: what
   compressing costs), trace size; and reads both traces with
   Trace.records(). With --disk DIR (e.g. a directory on ext4 under /tmp):
   nbody --disk-size (default 5000: ~1.6 GB uncompressed, more than the
   page cache takes without write-back) into DIR, with and without
   --compress, and the same into --dir for comparison.

All traces are removed at the end (--keep keeps them). ctgen-tracer must be
built for --python (./configure.py --python PY && ninja); this script runs
under that Python with build/ on PYTHONPATH.
"""

import argparse
import json
import lzma
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import tracestats  # noqa: E402  (the build's reader, without the native module)
BUILD = os.path.join(ROOT, "build")

# workload: (size with values, size with --no-values); chosen so that each
# recording runs ~0.3-1.5 s here and writes 10-300 MB
WORKLOADS = {
    "nbody": (500, 20000),
    "richards": (3, 200),
    "raytrace": (20, 60),
    "json_dumps": (150, 800),
    "generators": (60, 500),
}

CODECS = [
    ("zlib-1", lambda b: zlib.compress(b, 1), zlib.decompress),
    ("zlib-2", lambda b: zlib.compress(b, 2), zlib.decompress),
    ("zlib-3", lambda b: zlib.compress(b, 3), zlib.decompress),
    ("zlib-6", lambda b: zlib.compress(b, 6), zlib.decompress),
    ("lzma-0", lambda b: lzma.compress(b, preset=0), lzma.decompress),
]

MB = 1e6


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = BUILD + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    return e


def record(py, workload, size, out, values=True, compress=False):
    """Record one run; {'wall', 'duration', 'cpu', 'bytes', 'chunks'}: wall
    time of the process, the recording's duration (metadata), CPU time
    (user + system, all threads), file bytes."""
    cmd = [py, "-m", "ctgen_tracer", "-q", "--force", "-o", out]
    if not values:
        cmd.append("--no-values")
    if compress:
        cmd.append("--compress")
    cmd += [os.path.join(HERE, "workloads", workload + ".py"), str(size)]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if p.returncode != 0:
        sys.exit("recording failed: %s\n%s" % (" ".join(cmd), p.stderr.decode(errors="replace")))
    meta = tracestats.metadata(out)
    stats = meta.get("stats") or {}
    return {"wall": wall, "duration": meta["end_time"] - meta["start_time"], "cpu": cpu,
            "bytes": os.path.getsize(os.path.join(out, "trace.ctgt")),
            "chunks": stats.get("chunks"), "zchunks": stats.get("compressed_chunks")}


def chunks_of(path):
    """The size-prefixed chunks of an event file (prefix included, decompressed)."""
    return [bytes(b) for _, b in tracestats.load_reader().EventFile(path).raw_chunks()]


def sample(chunks, limit):
    total = sum(map(len, chunks))
    if total <= limit:
        return chunks
    keep = max(1, int(len(chunks) * limit / total))
    step = len(chunks) / keep
    return [chunks[int(i * step)] for i in range(keep)]


def best_time(fn, runs):
    best = None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best, out


def measure_codecs(chunks, runs):
    raw = sum(map(len, chunks))
    res = {}
    for name, comp, decomp in CODECS:
        r = 1 if name.startswith("lzma") else runs   # lzma is slow: once
        ct, packed = best_time(lambda: [comp(c) for c in chunks], r)
        dt, _ = best_time(lambda: [decomp(c) for c in packed], r)
        res[name] = {"ratio": raw / sum(map(len, packed)),
                     "comp_mbs": raw / ct / MB, "decomp_mbs": raw / dt / MB}
    return res


def read_time(py, trace_dir, runs):
    """Best time of Trace(dir).records() over the whole trace, in a fresh process."""
    code = ("import sys, time\nfrom ctgen_tracer.reader import Trace\n"
            "t = time.perf_counter(); n = 0\n"
            "for r in Trace(sys.argv[1]).records(): n += 1\n"
            "print(time.perf_counter() - t, n)\n")
    best = None
    for _ in range(runs):
        p = subprocess.run([py, "-c", code, trace_dir], env=env(), capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("reading %s failed:\n%s" % (trace_dir, p.stderr))
        t, n = p.stdout.split()
        best = float(t) if best is None else min(best, float(t))
    return best, int(n)


def has_compress(py):
    p = subprocess.run([py, "-m", "ctgen_tracer", "--help"], env=env(), capture_output=True, text=True)
    return "--compress" in p.stdout


def fmt(x, digits=1):
    return "%.*f" % (digits, x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--dir", default="/dev/shm/ctgen-compression")
    ap.add_argument("--disk", help="also record a big nbody into this directory (e.g. on ext4)")
    ap.add_argument("--disk-size", type=int, default=5000, help="nbody's size for --disk")
    ap.add_argument("--sample-mb", type=float, default=48, help="chunks per trace to compress")
    ap.add_argument("--no-e2e", action="store_true", help="skip the end-to-end part")
    ap.add_argument("--keep", action="store_true", help="keep the traces")
    ap.add_argument("--json", help="write the results here too")
    args = ap.parse_args()
    py = args.python
    names = [w for w in args.workloads.split(",") if w]
    for w in names:
        if w not in WORKLOADS:
            sys.exit("unknown workload %s (known: %s)" % (w, ", ".join(WORKLOADS)))
    os.makedirs(args.dir, exist_ok=True)
    ver = subprocess.run([py, "-c", "import sys, zlib; print(sys.version.split()[0], zlib.ZLIB_RUNTIME_VERSION)"],
                         capture_output=True, text=True).stdout.split()
    print("# Per-chunk compression: CPython %s, zlib %s, %d runs, traces in %s\n"
          % (ver[0], ver[1], args.runs, args.dir))
    results = {"python": ver[0], "zlib": ver[1], "runs": args.runs, "traces": []}
    cases = [(w, values) for w in names for values in (True, False)]

    # 1-3: record, compress the chunks, read
    rows = []
    for w, values in cases:
        size = WORKLOADS[w][0 if values else 1]
        label = "%s %s%s" % (w, size, "" if values else " nv")
        out = os.path.join(args.dir, "%s-%s" % (w, "v" if values else "nv"))
        recs = [record(py, w, size, out, values) for _ in range(args.runs)]
        rec = min(recs, key=lambda r: r["duration"])
        chunks = chunks_of(os.path.join(out, "trace.ctgt"))
        codecs = measure_codecs(sample(chunks, args.sample_mb * MB), args.runs)
        read, nrec = read_time(py, out, 1)
        row = {"workload": w, "size": size, "values": values, "label": label,
               "bytes": rec["bytes"], "records": nrec, "chunks": len(chunks),
               "duration": rec["duration"], "produce_mbs": rec["bytes"] / rec["duration"] / MB,
               "read_s": read, "read_mbs": rec["bytes"] / read / MB, "codecs": codecs}
        rows.append(row)
        print("recorded %-20s %8.1f MB in %.3f s: %6.1f MB/s; read in %.2f s"
              % (label, rec["bytes"] / MB, rec["duration"], row["produce_mbs"], read), flush=True)
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    results["traces"] = rows
    names_c = [c[0] for c in CODECS]
    print("\n## Ratio (uncompressed / compressed bytes, each chunk on its own)\n")
    print("| trace | MB | B/record | " + " | ".join(names_c) + " |")
    print("|---|---:|---:|" + "---:|" * len(names_c))
    for r in rows:
        print("| %s | %s | %s | %s |" % (r["label"], fmt(r["bytes"] / MB), fmt(r["bytes"] / max(1, r["records"])),
                                         " | ".join(fmt(r["codecs"][c]["ratio"]) for c in names_c)))
    print("\n## Speed (MB/s of uncompressed bytes, one core): compress / decompress, "
          "and the rate the recording produced bytes\n")
    print("| trace | recording MB/s | " + " | ".join(names_c) + " |")
    print("|---|---:|" + "---|" * len(names_c))
    for r in rows:
        cells = []
        for c in names_c:
            x = r["codecs"][c]
            mark = "" if x["comp_mbs"] >= r["produce_mbs"] else " **slower**"
            cells.append("%.0f / %.0f%s" % (x["comp_mbs"], x["decomp_mbs"], mark))
        print("| %s | %.0f | %s |" % (r["label"], r["produce_mbs"], " | ".join(cells)))
    print("\n(**slower**: compressing at that level is slower than the recording produced bytes:"
          " a writer thread compressing at that level would make the traced thread wait.)")
    print("\n## Reading: Trace.records() over the whole trace, and what decompressing adds\n")
    print("| trace | read s | read MB/s | + zlib-1 decompress s | slowdown |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        d = r["bytes"] / (r["codecs"]["zlib-1"]["decomp_mbs"] * MB)
        print("| %s | %.2f | %.0f | %.3f | +%.0f %% |" % (r["label"], r["read_s"], r["read_mbs"], d,
                                                         100 * d / r["read_s"]))

    # 4: end to end
    if not args.no_e2e and has_compress(py):
        targets = [("tmpfs", args.dir, c, WORKLOADS[c[0]][0 if c[1] else 1]) for c in cases]
        if args.disk:
            targets += [(where, base, ("nbody", True), args.disk_size)
                        for where, base in (("tmpfs", args.dir), ("disk", args.disk))]
        e2e = []
        print("\n## End to end: recording with and without --compress (median of %d, interleaved)\n" % args.runs)
        print("| where | trace | wall s | wall s --compress | recording s | recording s --compress "
              "| CPU s | CPU s --compress | MB | MB --compress | chunks compressed | read s | read s --compress |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for where, base, (w, values), size in targets:
            os.makedirs(base, exist_ok=True)
            label = "%s %s%s" % (w, size, "" if values else " nv")
            outs = {c: os.path.join(base, "e2e-%s-%s-%s" % (w, "v" if values else "nv", "z" if c else "p"))
                    for c in (False, True)}
            runs = {False: [], True: []}
            for i in range(args.runs):
                for c in ((False, True) if i % 2 == 0 else (True, False)):
                    if where == "disk":   # start from a clean page cache: no write-back of the last run
                        shutil.rmtree(outs[c], ignore_errors=True)
                        os.sync()
                    runs[c].append(record(py, w, size, outs[c], values, compress=c))
            big = size == args.disk_size and w == "nbody" and args.disk
            reads = {c: (read_time(py, outs[c], 1)[0] if not big else float("nan")) for c in (False, True)}
            med = {c: {k: statistics.median(r[k] for r in runs[c]) for k in ("wall", "duration", "cpu")}
                   for c in (False, True)}
            row = {"where": where, "label": label,
                   "wall": med[False]["wall"], "wall_z": med[True]["wall"],
                   "duration": med[False]["duration"], "duration_z": med[True]["duration"],
                   "cpu": med[False]["cpu"], "cpu_z": med[True]["cpu"],
                   "bytes": statistics.median(r["bytes"] for r in runs[False]),
                   "bytes_z": statistics.median(r["bytes"] for r in runs[True]),
                   "read_s": reads[False], "read_s_z": reads[True],
                   "zfrac": statistics.median(r["zchunks"] / max(1, r["chunks"]) for r in runs[True]),
                   "all": {str(c): runs[c] for c in runs}}
            e2e.append(row)
            print("| %s | %s | %.3f | %.3f | %.3f | %.3f | %.2f | %.2f | %.1f | %.1f | %.0f %% | %.2f | %.2f |" % (
                where, label, row["wall"], row["wall_z"], row["duration"], row["duration_z"],
                row["cpu"], row["cpu_z"], row["bytes"] / MB, row["bytes_z"] / MB, 100 * row["zfrac"],
                row["read_s"], row["read_s_z"]), flush=True)
            if not args.keep:
                for o in outs.values():
                    shutil.rmtree(o, ignore_errors=True)
        results["e2e"] = e2e
        # convert (the heaviest reader) and stats, on one trace with values
        w, size = "richards", 1
        outs = {c: os.path.join(args.dir, "conv-%s" % ("z" if c else "p")) for c in (False, True)}
        for c in (False, True):
            record(py, w, size, outs[c], True, compress=c)
        times = {}
        for c in (False, True):
            for cmd in (["convert", outs[c], "--to", "codetracer", "-o", outs[c] + "-ct", "--force"],
                        ["stats", outs[c]]):
                best = None
                for _ in range(args.runs):
                    t = time.perf_counter()
                    p = subprocess.run([py, "-m", "ctgen_tracer"] + cmd, env=env(), capture_output=True)
                    dt = time.perf_counter() - t
                    if p.returncode != 0:
                        sys.exit("%s failed:\n%s" % (" ".join(cmd), p.stderr.decode(errors="replace")))
                    best = dt if best is None else min(best, dt)
                times[(cmd[0], c)] = best
        sizes = {c: os.path.getsize(os.path.join(outs[c], "trace.ctgt")) for c in (False, True)}
        print("\n## Commands on %s %d (%.1f MB, --compress %.1f MB), best of %d\n"
              % (w, size, sizes[False] / MB, sizes[True] / MB, args.runs))
        print("| command | s | s --compress |")
        print("|---|---:|---:|")
        for cmd in ("convert", "stats"):
            print("| %s | %.2f | %.2f |" % (cmd, times[(cmd, False)], times[(cmd, True)]))
        results["commands"] = {"%s%s" % (k[0], "-z" if k[1] else ""): v for k, v in times.items()}
        if not args.keep:
            for o in outs.values():
                shutil.rmtree(o, ignore_errors=True)
                shutil.rmtree(o + "-ct", ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
