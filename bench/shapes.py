#!/usr/bin/env python3
"""Shapes of program state the default workloads do not have, each recorded
by two builds side by side: a dict built in a loop past the item limit, a
weakref.WeakKeyDictionary filled and copied with the standard library
recorded, built-in objects without attributes and instances holding
callbacks, and a real tool recorded whole (pygmentize with --include '*',
when pygments is importable).

    bench/shapes.py --python PY --base-package DIR --ctgen-package DIR [--runs N]

Each DIR holds a `ctgen_tracer` package built for PY. Every shape runs
untraced and under each build, the runs interleaved (untraced, base, new,
untraced, ...), and the table gives the best CPU time (user + system, of the
child) of each, each build's ratio to untraced, and new ÷ base. The traced
program's output is checked against the untraced run's.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPES = os.path.join(HERE, "shapes")


def stdlib_of(python):
    return subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()


def cases(python):
    std = stdlib_of(python)
    out = [
        ("dict_built 100000", [os.path.join(SHAPES, "dict_built.py"), "100000"], []),
        ("weak_dict 5000, stdlib recorded", [os.path.join(SHAPES, "weak_dict.py"), "5000"],
         ["--include", os.path.join(std, "*")]),
        ("opaque_items 100000", [os.path.join(SHAPES, "opaque_items.py"), "100000"], []),
    ]
    has = subprocess.run([python, "-c", "import pygments"], capture_output=True).returncode == 0
    if has:
        out.append(("pygmentize tools/transparency.py, --include '*'",
                    ["-m", "pygments", "-l", "python", "-f", "html",
                     os.path.join(os.path.dirname(HERE), "tools", "transparency.py")],
                    ["--include", "*"]))
    return out


def cpu_run(cmd, env):
    """(CPU seconds of the child, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit("shapes: %s failed (%d): %s" % (" ".join(cmd), p.returncode,
                                                  p.stderr.decode(errors="replace")[-800:]))
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--base-package", required=True, help="directory holding the base build's ctgen_tracer")
    ap.add_argument("--ctgen-package", required=True, help="directory holding the new build's ctgen_tracer")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    env0 = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONUNBUFFERED")}
    builds = [("base", os.path.abspath(a.base_package)), ("new", os.path.abspath(a.ctgen_package))]
    for _, d in builds:
        if not os.path.isdir(os.path.join(d, "ctgen_tracer")):
            sys.exit("shapes: no ctgen_tracer package in %s" % d)
    work = tempfile.mkdtemp(prefix="ctgen-shapes-", dir="/tmp")
    print("| shape | untraced s | base s (÷ untraced) | new s (÷ untraced) | new ÷ base |")
    print("|---|---:|---:|---:|---:|")
    try:
        for name, args, opts in cases(a.python):
            best = {}
            for _ in range(a.runs):
                t, want = cpu_run([a.python] + args, env0)
                best["untraced"] = min(best.get("untraced", t), t)
                for label, d in builds:
                    trace = os.path.join(work, label)
                    shutil.rmtree(trace, ignore_errors=True)
                    env = dict(env0, PYTHONPATH=d)
                    t, got = cpu_run([a.python, "-m", "ctgen_tracer", "-q", "-o", trace] + opts + args, env)
                    if got != want:
                        sys.exit("shapes: %s under %s printed another output" % (name, label))
                    best[label] = min(best.get(label, t), t)
            u = best["untraced"]
            print("| %s | %.2f | %.2f (%.0fx) | %.2f (%.0fx) | %.2f |" % (
                name, u, best["base"], best["base"] / u, best["new"], best["new"] / u, best["new"] / best["base"]))
            sys.stdout.flush()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
