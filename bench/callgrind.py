"""Instructions of a recording, per workload, for builds side by side.

    bench/callgrind.py [--python PY] [--workloads W,...] [--no-values] [--keep DIR] PKG[::OPT,...] [PKG ...]

PKG is a directory holding a built `ctgen_tracer` package (a checkout's
`build/`, or a copy of it made at a session's start: the base). Each
workload of bench/workloads runs at its CALLGRIND_SIZE under
`valgrind --tool=callgrind`, recorded by each PKG in turn, and the table
gives the whole process's instructions (millions) and each PKG's change
against the first. A PKG written `DIR::OPT[,OPT...]` records with those
options of ctgen_tracer too (`build::--no-instance-dicts`): one build with
and without an option, side by side. Instruction counts repeat to a few in a million on a
loaded machine, where times do not (the recorded process gets
PYTHONHASHSEED=0 unless the caller sets one: with random str hashes,
modloop's count moved by up to 1.5 % from run to run, session 25): this is the measure for a change of
the hot path; bench/run.py gives the ratios to untraced and to the floor.

Each PKG is copied into a temporary directory and byte-compiled with PY
first: run from a tree without fresh .pyc files (PYTHONDONTWRITEBYTECODE is
set here), python compiles the package's modules at every start, some
130-170 M instructions that would swamp the difference being measured.
"""

import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = os.path.join(HERE, "workloads")


def callgrind_size(workload):
    with open(os.path.join(WORKLOADS, workload + ".py")) as f:
        for line in f:
            m = re.match(r"CALLGRIND_SIZE\s*=\s*([0-9_]+)", line)
            if m:
                return int(m.group(1).replace("_", ""))
    raise SystemExit("bench/callgrind.py: %s.py has no CALLGRIND_SIZE" % workload)


def all_workloads():
    return sorted(n[:-3] for n in os.listdir(WORKLOADS) if n.endswith(".py") and not n.startswith("_"))


def prepare(pkg, python, into):
    """A byte-compiled copy of pkg's ctgen_tracer under `into`; returns its parent."""
    src = os.path.join(pkg, "ctgen_tracer")
    if not os.path.isfile(os.path.join(src, "__init__.py")):
        raise SystemExit("bench/callgrind.py: %s holds no ctgen_tracer package" % pkg)
    dst = os.path.join(into, "ctgen_tracer")
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([python, "-m", "compileall", "-q", dst], check=True)
    return into


def instructions(python, path, workload, size, options, keep):
    """Total instructions of one recording under callgrind."""
    with tempfile.TemporaryDirectory(prefix="ctgen-cg-") as tmp:
        out = os.path.join(tmp, "cg.out")
        env = dict(os.environ, PYTHONPATH=path)
        env.setdefault("PYTHONHASHSEED", "0")   # str hashes, and so a namespace's dict, the same in every run
        env.pop("PYTHONUNBUFFERED", None)   # users' programs run buffered
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, python, "-m", "ctgen_tracer",
               "-q", "--force", "-o", os.path.join(tmp, "trace"), *options,
               os.path.join(WORKLOADS, workload + ".py"), str(size)]
        p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            raise SystemExit("bench/callgrind.py: %s failed (status %d):\n%s"
                             % (" ".join(cmd), p.returncode, p.stderr[-2000:]))
        with open(out) as f:
            for line in f:
                if line.startswith(("summary:", "totals:")):
                    total = int(line.split()[1])
                    break
            else:
                raise SystemExit("bench/callgrind.py: no totals in %s's callgrind output" % workload)
        if keep:
            shutil.copy(out, os.path.join(keep, "%s.%s.cg" % (workload, os.path.basename(path))))
        return total


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def main(argv=None):
    p = argparse.ArgumentParser(prog="bench/callgrind.py", description=__doc__.split("\n\n")[0])
    p.add_argument("packages", nargs="+", metavar="PKG", help="directories holding ctgen_tracer, each with ::OPT,... "
                   "for options of its own; the first is the base")
    p.add_argument("--python", default=sys.executable, help="the interpreter (default: this one)")
    p.add_argument("--workloads", default=None, help="comma-separated subset of bench/workloads (default: all)")
    p.add_argument("--no-values", action="store_true", help="record with --no-values")
    p.add_argument("--keep", metavar="DIR", default=None, help="keep each callgrind output in DIR")
    a = p.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("bench/callgrind.py: valgrind is not installed (apt-get install valgrind)")
    names = a.workloads.split(",") if a.workloads else all_workloads()
    for n in names:
        if not os.path.isfile(os.path.join(WORKLOADS, n + ".py")):
            raise SystemExit("bench/callgrind.py: no workload %r in bench/workloads" % n)
    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
    options = ["--no-values"] if a.no_values else []
    pkgs = [pkg.partition("::") for pkg in a.packages]   # (dir, "::", its options)
    with tempfile.TemporaryDirectory(prefix="ctgen-cg-pkgs-") as tmp:
        paths = [prepare(pkg, a.python, os.path.join(tmp, str(i))) for i, (pkg, _, _) in enumerate(pkgs)]
        extra = [[o for o in opts.split(",") if o] for _, _, opts in pkgs]
        heads = [(os.path.basename(os.path.normpath(pkg)) or pkg) + (" " + " ".join(x) if x else "")
                 for (pkg, _, _), x in zip(pkgs, extra)]
        print("| workload size | " + " | ".join(heads) + " | " + " | ".join("%s vs %s" % (h, heads[0]) for h in heads[1:]) + " |")
        print("|---|" + "---:|" * (2 * len(heads) - 1))
        changes = [[] for _ in heads[1:]]
        for n in names:
            size = callgrind_size(n)
            counts = [instructions(a.python, path, n, size, options + x, a.keep) for path, x in zip(paths, extra)]
            for i, c in enumerate(counts[1:]):
                changes[i].append(c / counts[0])
            print("| %s %d | %s | %s |" % (n, size, " | ".join("{:,.1f}".format(c / 1e6) for c in counts),
                                           " | ".join("%+.1f %%" % (100 * (c / counts[0] - 1)) for c in counts[1:])),
                  flush=True)
        if changes and changes[0]:
            print("| **geomean** | " + " | " * (len(heads) - 1) + " | " +
                  " | ".join("**%+.1f %%**" % (100 * (geomean(ch) - 1)) for ch in changes) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
