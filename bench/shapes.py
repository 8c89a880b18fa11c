#!/usr/bin/env python3
"""Shapes of program state the default workloads do not have, each recorded
by two builds side by side: a dict built in a loop past the item limit, a
weakref.WeakKeyDictionary filled and copied with the standard library
recorded, built-in objects without attributes and instances holding
callbacks, and real tools recorded whole with --include '*' (issue 13):
pygmentize on a source file, pyflakes on a source directory, rst2html
(docutils) on a README-like .rst and markdown on README.md, each when PY
can import it (a line says which were skipped and how to install them).

    bench/shapes.py --python PY --base-package DIR --ctgen-package DIR [--runs N] [--only NAME,...]

Each DIR holds a `ctgen_tracer` package built for PY. Every shape runs
untraced and under each build, the runs interleaved (untraced, base, new,
untraced, ...), and the table gives the best CPU time (user + system, of the
child) of each, each build's ratio to untraced, and new ÷ base. The traced
program's output and exit status are checked against the untraced run's
(pyflakes exits 1 when it reports something).
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
    top = os.path.dirname(HERE)
    tools = [   # (module, pip name, shape name, arguments)
        ("pygments", "pygments", "pygmentize tools/transparency.py",
         ["-m", "pygments", "-l", "python", "-f", "html", os.path.join(top, "tools", "transparency.py")]),
        ("pyflakes", "pyflakes", "pyflakes tools/",
         ["-m", "pyflakes", os.path.join(top, "tools")]),
        ("docutils", "docutils", "rst2html bench/shapes/readme.rst",
         ["-m", "docutils", "--writer=html", os.path.join(SHAPES, "readme.rst")]),
        ("markdown", "markdown", "markdown README.md",
         ["-m", "markdown", os.path.join(top, "README.md")]),
    ]
    missing = []
    for module, pip, name, args in tools:
        if subprocess.run([python, "-c", "import " + module], capture_output=True).returncode == 0:
            out.append((name + ", --include '*'", args, ["--include", "*"]))
        else:
            missing.append(pip)
    if missing:
        print("shapes: skipped the tools %s is missing: %s (install them into a venv of its own, "
              "made from it, and pass its python)" % (python, " ".join(missing)), file=sys.stderr)
    return out


def cpu_run(cmd, env, status=0):
    """(CPU seconds of the child, its stdout, its exit status): it must be
    `status` (None: any, the untraced run's, which the traced runs must
    then give)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if status is not None and p.returncode != status:
        sys.exit("shapes: %s exited with %d (untraced: %d): %s" % (
            " ".join(cmd), p.returncode, status, p.stderr.decode(errors="replace")[-800:]))
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), p.stdout, p.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--base-package", required=True, help="directory holding the base build's ctgen_tracer")
    ap.add_argument("--ctgen-package", required=True, help="directory holding the new build's ctgen_tracer")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", help="run only the shapes whose names start with one of these (comma-separated)")
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
            if a.only and not any(name.startswith(x) for x in a.only.split(",")):
                continue
            best = {}
            for _ in range(a.runs):
                t, want, status = cpu_run([a.python] + args, env0, None)
                best["untraced"] = min(best.get("untraced", t), t)
                for label, d in builds:
                    trace = os.path.join(work, label)
                    shutil.rmtree(trace, ignore_errors=True)
                    env = dict(env0, PYTHONPATH=d)
                    t, got, _ = cpu_run([a.python, "-m", "ctgen_tracer", "-q", "-o", trace] + opts + args, env,
                                        status)
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
