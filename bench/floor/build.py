#!/usr/bin/env python3
"""Build the floor extension (_floor) for one interpreter.

    python bench/floor/build.py [--python PY] [--cc CC]

Compiles bench/floor/floor.c with `cc -shared -fPIC -O2` against PY's headers
into build/bench/floor-X.Y/_floor<EXT_SUFFIX> and prints that directory (put
it on PYTHONPATH, or give it to run_floor.py with --module-dir). Rebuilds only
when floor.c is newer than the output. Standard library only.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SOURCE = os.path.join(HERE, "floor.c")

PROBE = ("import sys, sysconfig, json; print(json.dumps({"
         "'include': sysconfig.get_paths()['include'], "
         "'ext_suffix': sysconfig.get_config_var('EXT_SUFFIX'), "
         "'version': '%d.%d' % sys.version_info[:2]}))")


def probe(python):
    out = subprocess.run([python, "-c", PROBE], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def build(python=sys.executable, cc=None, quiet=True):
    """Build _floor for `python` if needed; return the directory holding it."""
    info = probe(python)
    outdir = os.path.join(ROOT, "build", "bench", "floor-" + info["version"])
    out = os.path.join(outdir, "_floor" + info["ext_suffix"])
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(SOURCE):
        return outdir
    os.makedirs(outdir, exist_ok=True)
    cmd = shlex.split(cc or os.environ.get("CC", "cc")) + [
        "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-I" + info["include"],
        "-o", out, SOURCE]
    if not quiet:
        print(" ".join(shlex.quote(c) for c in cmd), file=sys.stderr)
    subprocess.run(cmd, check=True)
    return outdir


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--python", default=sys.executable, help="interpreter to build for")
    p.add_argument("--cc", default=None, help="C compiler (default: $CC or cc)")
    a = p.parse_args()
    print(build(a.python, a.cc, quiet=False))


if __name__ == "__main__":
    main()
