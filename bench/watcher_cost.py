"""What the recorder's dict watcher costs the traced program itself.

The recorder watches every dict it records as an object or as an
instance's __dict__ (docs/design.md, "The hot path"): each mutation of such
a dict then calls its callback. This measures attribute writes and dict
stores on recorded objects in code that is *not* recorded (excluded, so no
events: only the watcher's callback differs), in three runs:

    untraced      no recorder
    no-watcher    recording, the interpreter's watcher slots taken first
                  (by _testcapi's watchers), so the recorder has none
    watcher       recording with the recorder's dict watcher

Usage: PYTHONPATH=build python bench/watcher_cost.py [--callgrind] [STORES]
Prints ns per store for each run (best of 7), or with --callgrind the
instructions per store (deterministic: valgrind's count of a run with
STORES stores minus one with STORES/10, divided by the difference).
"""

import os
import subprocess
import sys
import tempfile

LOOP = '''
def attrs(objs, n):
    for i in range(n):
        for o in objs:
            o.x = i


def stores(dicts, n):
    for i in range(n):
        for d in dicts:
            d["k"] = i
'''

MAIN = '''
import sys, time
sys.path.insert(0, sys.argv[1])
import wc_loop

MODE, STORES, WHAT = sys.argv[2], int(sys.argv[3]), sys.argv[5]
if MODE == "no-watcher":
    import _testcapi
    try:
        while True:
            _testcapi.add_dict_watcher(0)
    except RuntimeError:
        pass


class P:
    def __init__(self):
        self.x = 0
        self.y = "y"


objs = [P() for _ in range(100)]
dicts = [{"k": 0, "j": 1} for _ in range(100)]


def touch(objs, dicts):
    return len(objs) + len(dicts)   # a Step: both lists' objects are recorded (and watched)


def best(f, arg):
    n = STORES // len(arg)
    times = []
    for _ in range(7 if WHAT == "both" else 1):
        t = time.perf_counter()
        f(arg, n)
        times.append(time.perf_counter() - t)
    return min(times) / (n * len(arg)) * 1e9


if MODE != "untraced":
    import ctgen_tracer
    ctgen_tracer.start(sys.argv[4], exclude=["wc_loop"], force=True)
touch(objs, dicts)
a = best(wc_loop.attrs, objs) if WHAT in ("both", "attrs") else 0
s = best(wc_loop.stores, dicts) if WHAT in ("both", "stores") else 0
if MODE != "untraced":
    stats = ctgen_tracer.stop()
    assert stats["dict_watcher"] == (MODE == "watcher"), stats
print("%-11s attribute write %6.2f ns   dict store %6.2f ns" % (MODE, a, s))
'''


def instructions(cmd):
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd,
                         capture_output=True, text=True)
    line = [x for x in out.stderr.splitlines() if "refs:" in x]
    if not line:
        sys.exit(out.stderr)
    return int(line[0].split("refs:")[1].replace(",", ""))


def main():
    args = sys.argv[1:]
    grind = "--callgrind" in args
    args = [a for a in args if a != "--callgrind"]
    stores = int(args[0]) if args else (200000 if grind else 2000000)
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "wc_loop.py"), "w") as f:
            f.write(LOOP)
        main_py = os.path.join(tmp, "wc_main.py")
        with open(main_py, "w") as f:
            f.write(MAIN)
        for mode in ("untraced", "no-watcher", "watcher"):
            cmd = lambda n, what: [sys.executable, main_py, tmp, mode, str(n), os.path.join(tmp, "t-" + mode), what]
            if not grind:
                out = subprocess.run(cmd(stores, "both"), capture_output=True, text=True)
                sys.stdout.write(out.stdout or out.stderr)
                continue
            per = []
            for what in ("attrs", "stores"):
                per.append((instructions(cmd(stores, what)) - instructions(cmd(stores // 10, what)))
                           / (stores - stores // 10))
            print("%-11s attribute write %6.1f instructions   dict store %6.1f instructions" % (mode, *per))


if __name__ == "__main__":
    main()
