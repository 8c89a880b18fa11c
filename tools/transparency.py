#!/usr/bin/env python3
"""Transparency on CPython's own regression tests: run modules of the
interpreter's `test` package untraced and under `python -m ctgen_tracer`
with the standard library recorded, and compare the outcomes (tests run,
the failing and erroring test ids, skipped, expected failures, unexpected
successes, exit status).

    tools/transparency.py [--python PY] [--quick | --modules test_json,test_with]
                          [--scope stdlib|tests] [--timeout S] [--trace-root DIR]

Each module runs with tools/unittest_result.py (a unittest runner that
writes the outcome as JSON), once as `PY unittest_result.py R test.MOD` and
once as a user would record it:

    PY -m ctgen_tracer -q -o DIR --include 'STDLIB/*' unittest_result.py R test.MOD

--scope stdlib (the default) records every module of the standard library
(the test modules, unittest, and whatever the tests exercise: json, re,
dataclasses...), by a path glob on the interpreter's stdlib directory;
--scope tests records only the `test` package (--include 'test' --include
'test.*'). Traces go to a fresh directory under --trace-root (default
/dev/shm) and are deleted after each module. With the standard library
recorded some modules write tens of GB (test_json: about 20 GB), so by
default the event file is a symlink to /dev/null: the recorder does all its
work and writes every byte, the bytes are dropped, and the size column is
the recorder's own count (--keep-traces writes real traces instead, and
stops a run whose trace passes --max-trace).

It prints one row per module (outcome untraced and traced, both times, the
trace size) and exits 1 when any outcome differs, 2 on bad usage.
ctgen_tracer is imported from $CTGEN_BUILD (default: build/ of this tree)
when the interpreter has no installed copy; build it for that interpreter
first (./configure.py --python PY && ninja).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = os.path.join(ROOT, "tools", "unittest_result.py")

# The quick subset (CI): a few minutes per interpreter on one core.
# test_weakref (session 14): classes die while recorded (1-2.5 minutes traced).
QUICK = ["test_bool", "test_with", "test_scope", "test_keywordonlyarg", "test_raise",
         "test_contextlib", "test_generators", "test_exceptions", "test_patma", "test_json",
         "test_weakref", "test_gc"]
# Recorder options per module (besides --include): test_gc counts the
# objects gc.collect() finds, and by default on 3.12 and 3.13.1+ the
# recorder makes instances' __dict__s (docs/design.md, --no-instance-dicts).
OPTIONS = {"test_gc": ["--no-instance-dicts"]}
# The full selection: modules of the language and pure-Python libraries
# that run in reasonable time traced (not test_statistics: 5 minutes traced,
# 230 GB; not test_difflib: more than 9 minutes).
FULL = QUICK + ["test_coroutines", "test_dataclasses", "test_itertools", "test_grammar",
                "test_class", "test_listcomps", "test_string", "test_int", "test_setcomps",
                "test_dictcomps", "test_genexps", "test_unpack", "test_unpack_ex", "test_opcodes",
                "test_augassign", "test_funcattrs", "test_property", "test_super",
                "test_decorators", "test_types", "test_collections", "test_functools",
                "test_enum", "test_textwrap", "test_fstring", "test_sort", "test_heapq",
                "test_bisect", "test_abc", "test_copy", "test_operator",
                "test_fractions", "test_pprint", "test_shlex", "test_string_literals",
                "test_userdict", "test_userlist", "test_userstring",
                "test_exception_group", "test_except_star", "test_contextlib_async", "test_dict",
                "test_list", "test_tuple", "test_set", "test_math", "test_float", "test_long",
                "test_re", "test_typing", "test_argparse", "test_csv", "test_configparser"]


def fail(msg):
    print("transparency: error: %s" % msg, file=sys.stderr)
    sys.exit(2)


def python_info(python, env):
    """(version 'X.Y', stdlib dir, ctgen_tracer importable) of the interpreter."""
    code = ("import sys, sysconfig, json\n"
            "try:\n    import ctgen_tracer; ok = True\nexcept Exception:\n    ok = False\n"
            "print(json.dumps(['%d.%d' % sys.version_info[:2], sysconfig.get_paths()['stdlib'], ok]))")
    try:
        p = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    except OSError as e:
        fail("cannot run %s: %s" % (python, e.strerror or e))
    if p.returncode != 0:
        fail("%s does not run: %s" % (python, p.stderr.strip().splitlines()[-1:] or "?"))
    return json.loads(p.stdout)


def summary(res, rc):
    """A short text for an outcome."""
    if res is None:
        return "no result (exit %s)" % rc
    bad = len(res["failures"]) + len(res["errors"])
    s = "%d run, %d skip" % (res["run"], res["skipped"])
    if bad:
        s += ", %d FAIL" % bad
    return s + " [%s]" % rc


def run_one(cmd, result, env, timeout, log, watch=None, max_bytes=0):
    """Run cmd; returns (outcome dict or None, exit status, seconds). With
    `watch`, the run is stopped when that file grows past max_bytes."""
    if os.path.exists(result):
        os.remove(result)
    t0 = time.monotonic()
    with open(log, "w") as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL)
        rc = None
        while rc is None:
            try:
                rc = p.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                too_big = watch and os.path.exists(watch) and os.path.getsize(watch) > max_bytes
                if too_big or time.monotonic() - t0 > timeout:
                    p.kill()
                    p.wait()
                    rc = "trace > %s" % human(max_bytes) if too_big else "timeout"
    dt = time.monotonic() - t0
    res = None
    if os.path.exists(result):
        with open(result) as f:
            res = json.load(f)
    return res, rc, dt


def recorded_bytes(log):
    """The byte count of the recorder's summary line (the last one on stderr)."""
    try:
        with open(log, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return 0
    for line in reversed(lines):
        m = re.match(r"ctgen-tracer: \d+ records \(\d+ steps\), (\d+) bytes in ", line)
        if m:
            return int(m.group(1))
    return 0


def recorder_error(log):
    """The recorder's 'recording stopped' message in a traced run's output, or None."""
    try:
        with open(log, errors="replace") as f:
            for line in f:
                if line.startswith("ctgen-tracer: recording stopped"):
                    return line.strip()
    except OSError:
        pass
    return None


def size_of(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, f))
            except OSError:
                pass
    return total


def human(n):
    for unit in ("B", "K", "M", "G"):
        if n < 1024 or unit == "G":
            return "%.0f%s" % (n, unit) if unit == "B" else "%.1f%s" % (n, unit)
        n /= 1024.0


def main():
    ap = argparse.ArgumentParser(prog="tools/transparency.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable, help="the interpreter (default: this one)")
    ap.add_argument("--modules", help="comma-separated test modules (default: the full selection)")
    ap.add_argument("--quick", action="store_true", help="the quick subset (CI)")
    ap.add_argument("--scope", choices=("stdlib", "tests"), default="stdlib",
                    help="what is recorded besides the runner: the whole stdlib (default) or the test package")
    ap.add_argument("--timeout", type=float, default=1200, help="seconds per run (default 1200)")
    ap.add_argument("--trace-root", default="/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir(),
                    help="where traces are written (default /dev/shm)")
    ap.add_argument("--keep-traces", action="store_true",
                    help="write real event files (deleted after each module) instead of to /dev/null")
    ap.add_argument("--max-trace", type=float, default=2.0, metavar="GB",
                    help="with --keep-traces: stop a run whose trace passes this size (default 2 GB)")
    ap.add_argument("--logs", help="keep the runs' output in this directory (default: only on a mismatch, in a temporary one)")
    ap.add_argument("--json", help="also write the table as JSON to this file")
    a = ap.parse_args()

    if a.modules:
        modules = [m.strip() for m in a.modules.split(",") if m.strip()]
    else:
        modules = QUICK if a.quick else FULL
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    build = os.environ.get("CTGEN_BUILD", os.path.join(ROOT, "build"))
    version, stdlib, installed = python_info(a.python, env)
    traced_env = dict(env)
    if not installed:
        traced_env["PYTHONPATH"] = os.pathsep.join([build] + [p for p in [env.get("PYTHONPATH")] if p])
        if not python_info(a.python, traced_env)[2]:
            fail("ctgen_tracer is not importable by %s (build it: ./configure.py --python %s && ninja)"
                 % (a.python, a.python))
    if not os.path.isdir(a.trace_root):
        fail("--trace-root %s is not a directory" % a.trace_root)
    if a.scope == "stdlib":
        include = ["--include", os.path.join(stdlib, "*")]
    else:
        include = ["--include", "test", "--include", "test.*"]
    logs = a.logs or tempfile.mkdtemp(prefix="ctgen-transparency-logs-")
    os.makedirs(logs, exist_ok=True)

    print("CPython %s (%s), recording: %s" % (version, a.python, " ".join(include[1::2])))
    for mod in modules:
        if mod in OPTIONS:
            print("%s recorded with %s" % (mod, " ".join(OPTIONS[mod])))
    head = "%-22s %-28s %-28s %9s %9s %9s  %s" % ("module", "untraced", "traced", "t plain", "t traced",
                                                   "trace", "")
    print(head)
    print("-" * len(head))
    rows, bad = [], 0
    for mod in modules:
        name = "test." + mod
        work = tempfile.mkdtemp(prefix="ctgen-transparency-", dir=a.trace_root)
        try:
            r_plain = os.path.join(work, "plain.json")
            r_traced = os.path.join(work, "traced.json")
            trace = os.path.join(work, "trace")
            events = os.path.join(trace, "trace.ctgt")
            if not a.keep_traces:
                os.mkdir(trace)
                os.symlink(os.devnull, events)
            plain, prc, pt = run_one([a.python, RUNNER, r_plain, name], r_plain, env, a.timeout,
                                     os.path.join(logs, mod + ".plain.log"))
            tlog = os.path.join(logs, mod + ".traced.log")
            # --force: the event file is a symlink to /dev/null, which the
            # recorder otherwise refuses to take for a trace of its own
            force = [] if a.keep_traces else ["--force"]
            traced, trc, tt = run_one([a.python, "-m", "ctgen_tracer", "-o", trace] + force + include
                                      + OPTIONS.get(mod, []) + [RUNNER, r_traced, name], r_traced, traced_env, a.timeout, tlog,
                                      events if a.keep_traces else None, int(a.max_trace * 2 ** 30))
            size = size_of(trace) if a.keep_traces else recorded_bytes(tlog)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        same = plain is not None and plain == traced and prc == trc
        stopped = recorder_error(tlog)
        bad += not same
        row = {"module": mod, "untraced": plain, "traced": traced, "rc_untraced": prc, "rc_traced": trc,
               "seconds_untraced": round(pt, 2), "seconds_traced": round(tt, 2), "trace_bytes": size,
               "same": same, "recorder_error": stopped}
        rows.append(row)
        print("%-22s %-28s %-28s %8.1fs %8.1fs %9s  %s" % (mod, summary(plain, prc), summary(traced, trc),
                                                         pt, tt, human(size), "ok" if same else "DIFFERENT"),
              flush=True)
        if stopped:
            print("    " + stopped)
        if not same and plain is not None and traced is not None:
            for key in ("failures", "errors", "unexpected_successes"):
                extra = sorted(set(traced[key]) - set(plain[key]))
                gone = sorted(set(plain[key]) - set(traced[key]))
                for t in extra:
                    print("    traced only, %s: %s" % (key, t))
                for t in gone:
                    print("    untraced only, %s: %s" % (key, t))
    print("-" * len(head))
    print("%d modules, %d with the same outcome traced and untraced, %d different%s"
          % (len(rows), len(rows) - bad, bad, "" if not bad else " (logs in %s)" % logs))
    if not a.logs and not bad:
        shutil.rmtree(logs, ignore_errors=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"python": version, "scope": a.scope, "rows": rows}, f, indent=1)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
