"""CPU time (user + sys) of a workload untraced and recorded by each PKG.

    python bench/cputime.py [--python PY] [--runs N] WORKLOAD SIZE PKG [PKG ...]

Each run is a whole process (`PY bench/workloads/W.py SIZE`, then `PY -m
ctgen_tracer -q --force -o TMP bench/workloads/W.py SIZE` with PYTHONPATH=PKG
for each PKG), N rounds interleaved, timed by getrusage of the children: the
CPU time a process used, which a loaded machine disturbs less than wall
clock does (bench/run.py measures wall clock, in-process). Prints, per
contender, the minimum and the median, the minimum's ratio to the untraced
run's, and what the recording adds (its minimum less the untraced one's).
PYTHONUNBUFFERED is removed from the children's environment.
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def cpu(cmd, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("workload")
    ap.add_argument("size")
    ap.add_argument("pkgs", nargs="+", metavar="PKG")
    a = ap.parse_args()
    script = os.path.join(HERE, "workloads", a.workload + ".py")
    if not os.path.exists(script):
        raise SystemExit("bench/cputime.py: no workload %s" % script)
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    times = {"untraced": []}
    for p in a.pkgs:
        times[p] = []
    tmp = tempfile.mkdtemp(prefix="ctgen-cputime-")
    try:
        for _ in range(a.runs):
            times["untraced"].append(cpu([a.python, script, a.size], env))
            for p in a.pkgs:
                out = os.path.join(tmp, "trace")
                times[p].append(cpu([a.python, "-m", "ctgen_tracer", "-q", "--force", "-o", out, script, a.size],
                                    dict(env, PYTHONPATH=p)))
                shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    u = min(times["untraced"])
    print("%s %s (%s, %d runs): CPU s" % (a.workload, a.size, a.python, a.runs))
    for k, v in times.items():
        print("  %-40s min %.3f  median %.3f  x%.2f  adds %.3f" % (k, min(v), statistics.median(v), min(v) / u,
                                                                  min(v) - u))


if __name__ == "__main__":
    main()
