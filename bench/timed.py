#!/usr/bin/env python3
"""Run a script as __main__ and report how long it ran, measured inside the
process (no interpreter start-up or shutdown in it).

    python bench/timed.py script.py [args...]

Prints `bench-timed: exec=SECONDS compile=SECONDS` as the last line on
stderr: the time to compile the script and the time its code ran. run.py
runs the untraced side of every pair this way: for a tiny size, where
start-up noise is larger than the work, the in-process time is the only
precise denominator.
"""

import sys
import time

from mainmod import install_main


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[1]
    namespace = install_main(path, sys.argv[2:])
    status = 0
    with open(path, "rb") as f:
        source = f.read()
    t0 = time.perf_counter()
    code = compile(source, path, "exec", dont_inherit=True)
    t1 = time.perf_counter()
    try:
        exec(code, namespace)
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        t2 = time.perf_counter()
        sys.stdout.flush()
        print("bench-timed: exec=%.9f compile=%.9f" % (t2 - t1, t1 - t0), file=sys.stderr, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
