#!/usr/bin/env python3
"""Benchmark ctgen-tracer against the floor and against other recorders.

    python bench/run.py [--python PY ...] [--workloads a,b] [--contenders x,y]
                        [--runs N] [--quick] [--scaling WORKLOAD]

For every workload in bench/workloads/, the contenders run as separate
processes, interleaved run by run (run 1 of every contender, then run 2, ...,
in a rotating order), each paired with an untraced run of the same size:

  untraced          python script.py N
  floor             no-op C callbacks (bench/floor) on ctgen-tracer's default
                    events, set globally: what sys.monitoring delivery costs
  floor-local       the same callbacks with ctgen-tracer's selection (per-code
                    events on the script's code, DISABLE elsewhere)
  floor-optin       floor on the default + opt-in events of ctgen-optin
  ctgen             python -m ctgen_tracer (steps, calls, returns, values)
  ctgen-novalues    ... --no-values
  ctgen-base-novalues  ... --no-values with --base-package (ctgen-base's build)
  ctgen-optin       ... --events call,jump,branch,stop_iteration
  pyrecorder        bench/pyrecorder.py: a naive pure-Python sys.monitoring recorder
  viztracer         python -m viztracer (from PyPI, when it installs)
  codetracer-json   python -m codetracer_python_recorder --format json  (PyPI)
  codetracer-binary ... --format binary

Per workload and contender: the median over the pairs of the ratio
traced / untraced time spent running the script. The untraced side is timed
inside the process (bench/timed.py: exec of the compiled script), and so are
the floors (run_floor.py), pyrecorder (its meta.json) and ctgen-tracer (its
metadata: start() to the end of stop(), so the trace flush is
in); viztracer and codetracer are timed from outside: wall time less their
median start-up on bench/empty.py (run before each of their runs, with the
same preloaded imports: see bench/preload) and less the compile time. The
raw ratio of wall times, start-up included, is reported too. Also: peak RSS
(wait4), trace bytes, for ctgen-tracer the records per kind and steps
(bench/tracestats.py), bytes per record and per step, records per second.
Across workloads: geometric means, and each contender's ratio divided by
the floor's ratio (floor-optin's for ctgen-optin). Every run's last output
line is compared with the untraced run's (the workloads print checksums).

Slow contenders run smaller: a warm-up run at a small size measures the
cost per unit of size, and the measured runs use the largest size (at most
the workload's base size) whose run fits --budget seconds and whose trace
fits 40% of --max-trace-mb (a recording process cannot write more: its
RLIMIT_FSIZE; RLIMIT_AS is --max-mem-mb). Such cells are marked in the
table and paired with untraced runs of the same size. A contender within
--cheap x of untraced keeps the base size.

Results go to bench/results/<date>-<python>[-quick].json and a Markdown
table is printed. --scaling WORKLOAD instead runs ctgen-tracer (default and
--no-values) at sizes x1, x10, x100 and reports time, bytes and peak RSS
per record, which should stay flat.

Python 3.9+ for the driver; the contenders need CPython 3.12+. ctgen-tracer
must be built for each --python (./configure.py --python PY && ninja); the
driver copies build/ctgen_tracer to build/bench/ctgen-X.Y first, so a rebuild
during a run does not mix versions. The floor is built per interpreter into
build/bench/floor-X.Y, and viztracer / codetracer-python-recorder are pip
installed into build/bench/venv-X.Y (skipped with a message when that fails;
--no-install skips trying). Every contender runs with that venv's python.
"""

import argparse
import ast
import datetime
import hashlib
import json
import math
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOAD_DIR = os.path.join(HERE, "workloads")
EMPTY = os.path.join(HERE, "empty.py")
RUN_FLOOR = os.path.join(HERE, "floor", "run_floor.py")
TIMED = os.path.join(HERE, "timed.py")
PYRECORDER = os.path.join(HERE, "pyrecorder.py")
PRELOAD_DIR = os.path.join(HERE, "preload")
BUILD = os.path.join(ROOT, "build", "bench")
RESULTS = os.path.join(HERE, "results")
PACKAGE = os.path.join(ROOT, "build", "ctgen_tracer")

sys.dont_write_bytecode = True       # no __pycache__ in the source tree
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "floor"))
import tracestats  # noqa: E402
import build as floor_build  # noqa: E402

OPTIN = "call,jump,branch,stop_iteration"
PIP_CONTENDERS = {"viztracer": "viztracer", "codetracer-python-recorder": "codetracer_python_recorder"}
MIB = 1 << 20


# ---------------------------------------------------------------- contenders

class Contender:
    """name; kind; prior: the fraction of the base size its warm-up run uses
    (a guess of how slow it is; the warm-up measures the real cost);
    floor_ref: the floor its ratio is compared with; module: the PyPI
    module it needs, if any."""

    def __init__(self, name, kind, prior=1.0, floor_ref="floor", module=None, doc="", quick_runs=None,
                 quick_max_unit_ms=None):
        self.name, self.kind, self.prior, self.floor_ref, self.module, self.doc = \
            name, kind, prior, floor_ref, module, doc
        # --quick: measured runs, and the largest untraced time of one unit of
        # size (ms) for which the contender runs at all (at size 1 it would
        # take thousands of times that)
        self.quick_runs = quick_runs
        self.quick_max_unit_ms = quick_max_unit_ms

    def command(self, env, script, size, tdir):
        py = env.python
        n = str(size)
        k = self.kind
        if k == "untraced":
            return [py, TIMED, script, n], None
        if k.startswith("floor"):
            mode = "local" if k == "floor-local" else "global"
            names = env.optin_events if k == "floor-optin" else env.default_events
            return ([py, RUN_FLOOR, "--mode", mode, "--module-dir", env.floor_dir,
                     "--event-names", ",".join(names), script, n],
                    {"PYTHONPATH": env.ctgen_dir})   # for the spec's event table
        if k.startswith("ctgen"):
            extra = {"ctgen": [], "ctgen-base": [], "ctgen-novalues": ["--no-values"],
                     "ctgen-base-novalues": ["--no-values"], "ctgen-optin": ["--events", OPTIN]}[k]
            return ([py, "-m", "ctgen_tracer", "-q", "--force", "-o", tdir] + extra + [script, n],
                    {"PYTHONPATH": env.base_dir if k.startswith("ctgen-base") else env.ctgen_dir})
        if k == "pyrecorder":
            return [py, PYRECORDER, "-o", tdir, script, n], None
        if k == "viztracer":
            return [py, "-m", "viztracer", "--quiet", "-o", os.path.join(tdir, "trace.json"),
                    script, n], None
        if k.startswith("codetracer"):
            fmt = k.split("-", 1)[1]
            return ([py, "-m", "codetracer_python_recorder", "--trace-dir", tdir, "--format", fmt,
                     script, n], None)
        raise ValueError(k)


CONTENDERS = [
    Contender("untraced", "untraced", doc="the workload alone"),
    Contender("floor", "floor", floor_ref=None,
              doc="no-op C callbacks on ctgen's default events, set globally"),
    Contender("floor-local", "floor-local", floor_ref=None,
              doc="the floor with ctgen's selection (per-code events, DISABLE elsewhere)"),
    Contender("floor-optin", "floor-optin", floor_ref=None,
              doc="the floor on the default + opt-in events"),
    Contender("ctgen", "ctgen", prior=1 / 256, doc="ctgen-tracer default: steps, calls, returns, values"),
    Contender("ctgen-base", "ctgen-base", prior=1 / 256,
              doc="ctgen-tracer default recording with --base-package (an earlier build, side by side)"),
    Contender("ctgen-novalues", "ctgen-novalues", doc="ctgen-tracer --no-values"),
    Contender("ctgen-base-novalues", "ctgen-base-novalues",
              doc="ctgen-tracer --no-values with --base-package (side by side with ctgen-novalues)"),
    Contender("ctgen-optin", "ctgen-optin", prior=1 / 256, floor_ref="floor-optin",
              doc="ctgen-tracer --events " + OPTIN),
    Contender("pyrecorder", "pyrecorder", prior=1 / 32,
              doc="naive pure-Python sys.monitoring recorder (bench/pyrecorder.py)"),
    Contender("viztracer", "viztracer", prior=1 / 4, module="viztracer",
              doc="viztracer (calls only, no lines, no values)"),
    Contender("codetracer-json", "codetracer-json", prior=1 / 2048, quick_runs=1, quick_max_unit_ms=0.6,
              module="codetracer_python_recorder", doc="codetracer-python-recorder --format json"),
    Contender("codetracer-binary", "codetracer-binary", prior=1 / 2048, quick_runs=1, quick_max_unit_ms=0.6,
              module="codetracer_python_recorder", doc="codetracer-python-recorder --format binary"),
]
BY_NAME = {c.name: c for c in CONTENDERS}


# ---------------------------------------------------------------- environment

def log(msg):
    print(msg, file=sys.stderr, flush=True)


def probe(python, code, env=None):
    r = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip() or "exit status %d" % r.returncode)
    return json.loads(r.stdout)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _files(top):
    for dirpath, _, files in os.walk(top):
        for f in files:
            yield os.path.join(dirpath, f)


class Env:
    """What running the contenders on one interpreter needs."""

    def __init__(self, python, install=True, package=PACKAGE, base_package=None):
        self.package = package
        info = probe(python, "import sys, sysconfig, json; print(json.dumps({"
                     "'version': sys.version.split()[0], 'minor': '%d.%d' % sys.version_info[:2],"
                     "'ext': sysconfig.get_config_var('EXT_SUFFIX'), 'impl': sys.implementation.name,"
                     "'base': getattr(sys, '_base_executable', sys.executable),"
                     "'executable': sys.executable}))")
        if tuple(int(x) for x in info["minor"].split(".")) < (3, 12):
            raise RuntimeError("%s is Python %s: sys.monitoring needs 3.12+" % (python, info["version"]))
        self.given = python
        self.info = info
        self.minor = info["minor"]
        self.notes = []
        self.python = python
        self.modules = set()
        self.venv = os.path.join(BUILD, "venv-" + self.minor)
        self._setup_venv(install)
        self.floor_dir = floor_build.build(self.python)
        self.ctgen_dir, self.ctgen_info = self._snapshot_ctgen(self.package, "ctgen-")
        self.base_dir = self.base_info = None
        if base_package:
            self.base_dir, self.base_info = self._snapshot_ctgen(base_package, "ctgen-base-")
        self.default_events, self.optin_events = self._events()

    def _setup_venv(self, install):
        vpy = os.path.join(self.venv, "bin", "python")
        if not os.path.exists(vpy) and install:
            log("[%s] creating %s" % (self.minor, self.venv))
            r = subprocess.run([self.info["base"], "-m", "venv", self.venv], capture_output=True, text=True)
            if r.returncode != 0:
                self.notes.append("cannot create %s: %s" % (self.venv, r.stderr.strip()[-300:]))
        if os.path.exists(vpy):
            self.python = vpy
            have = self._have_modules()
            missing = [pip for pip, mod in PIP_CONTENDERS.items() if mod not in have]
            if missing and install:
                log("[%s] pip install %s into %s" % (self.minor, " ".join(missing), self.venv))
                r = subprocess.run([vpy, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
                                   + missing, capture_output=True, text=True)
                if r.returncode != 0:
                    tail = (r.stderr.strip().splitlines() or ["?"])[-1]
                    self.notes.append("pip install %s failed: %s" % (" ".join(missing), tail))
                have = self._have_modules()
            self.modules = have
        for pip, mod in PIP_CONTENDERS.items():
            if mod not in self.modules:
                self.notes.append("%s is not installed for %s: its contenders are skipped"
                                  % (pip, self.minor))

    def _have_modules(self):
        code = ("import importlib.util, json; print(json.dumps([m for m in %r "
                "if importlib.util.find_spec(m)]))" % (list(PIP_CONTENDERS.values()),))
        try:
            return set(probe(self.python, code))
        except RuntimeError:
            return set()

    def _snapshot_ctgen(self, package, prefix):
        so = os.path.join(package, "_native" + self.info["ext"])
        if not os.path.exists(so):
            raise RuntimeError("ctgen-tracer is not built for %s (no %s): run "
                               "./configure.py --python %s && ninja"
                               % (self.minor, so, self.given))
        if os.path.realpath(package) == os.path.realpath(PACKAGE):
            newer = [p for d in ("src", "generated") for p in _files(os.path.join(ROOT, d))
                     if os.path.getmtime(p) > os.path.getmtime(so)]
            if newer:
                self.notes.append("%s is older than %d file(s) in src/ and generated/ (e.g. %s): "
                                  "the results are for an earlier build; run ninja first"
                                  % (os.path.relpath(so, ROOT), len(newer), os.path.relpath(newer[0], ROOT)))
        dest_parent = os.path.join(BUILD, prefix + self.minor)
        dest = os.path.join(dest_parent, "ctgen_tracer")
        shutil.rmtree(dest_parent, ignore_errors=True)
        os.makedirs(dest)
        for name in os.listdir(package):
            src = os.path.join(package, name)
            if name.endswith((".py", ".fbs")) or src == so:
                shutil.copy2(src, dest)
        info = {"package": package, "native": os.path.basename(so), "native_sha256": sha256(so),
                "native_mtime": datetime.datetime.fromtimestamp(os.path.getmtime(so)).isoformat(
                    timespec="seconds")}
        return dest_parent, info

    def _events(self):
        code = ("import ctgen_tracer as c, json; print(json.dumps([c.event_names(), "
                "c.event_names(%r), c.__version__]))" % (OPTIN.split(","),))
        default, optin, version = probe(self.python, code,
                                        env=dict(os.environ, PYTHONPATH=self.ctgen_dir))
        self.ctgen_info["version"] = version
        return default, optin

    def reader(self):
        """The snapshot's generated trace reader, loaded as a plain module."""
        if getattr(self, "_reader", None) is None:
            self._reader = tracestats.load_reader(os.path.join(self.ctgen_dir, "ctgen_tracer", "reader.py"))
        return self._reader

    def available(self, c):
        if c.kind.startswith("ctgen-base"):
            return self.base_dir is not None
        return c.module is None or c.module in self.modules


# ---------------------------------------------------------------- one run

class Run:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def as_dict(self):
        """For the JSON: per-kind counts are kept once per contender, not per run."""
        return {k: v for k, v in self.__dict__.items()
                if not k.startswith("_") and k not in ("kinds", "pools")}


def _dir_bytes(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, f))
            except OSError:
                pass
    return total


def run_once(env, contender, script, size, opts, scan=True, preload=()):
    """Run one contender once; returns a Run (wall, rss_kb, rc, output...)."""
    tdir = os.path.join(opts.trace_dir, contender.name)
    shutil.rmtree(tdir, ignore_errors=True)
    os.makedirs(tdir)
    cwd = os.path.join(opts.trace_dir, "cwd")
    os.makedirs(cwd, exist_ok=True)
    argv, extra_env = contender.command(env, script, size, tdir)
    child_env = dict(os.environ)
    child_env["PYTHONHASHSEED"] = "0"
    child_env["CTGEN_BENCH_PRELOAD"] = ",".join(preload)
    path = [PRELOAD_DIR]
    if extra_env and "PYTHONPATH" in extra_env:
        path.insert(0, extra_env["PYTHONPATH"])
    child_env["PYTHONPATH"] = os.pathsep.join(path)
    fsize = opts.max_trace_mb * MIB
    mem = opts.max_mem_mb * MIB

    def limits():
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))

    timed_out = []
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd, env=child_env,
                             preexec_fn=limits, start_new_session=True)

        def kill():
            timed_out.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        timer = threading.Timer(opts.timeout, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
            timer.join()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        try:                       # the recorder may leave children behind
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    r = Run(size=size, wall=wall, rss_kb=ru.ru_maxrss, rc=p.returncode,
            output=lines[-1] if lines else "", timed_out=bool(timed_out),
            trace_bytes=_dir_bytes(tdir))
    for ln in reversed(stderr.splitlines()):
        if ln.startswith("bench-timed: "):
            f = dict(kv.split("=") for kv in ln.split()[1:])
            r.exec_s, r.compile_s = float(f["exec"]), float(f["compile"])
            break
    if p.returncode != 0 or timed_out:
        r.error = "timed out after %d s" % opts.timeout if timed_out else \
            "exit status %d: %s" % (p.returncode, " | ".join(stderr.strip().splitlines()[-3:])[-400:])
    _collect_stats(env, contender, tdir, r, scan)
    shutil.rmtree(tdir, ignore_errors=True)
    return r


def _collect_stats(env, contender, tdir, r, scan):
    if contender.kind.startswith("ctgen"):
        try:
            meta = tracestats.metadata(tdir, env.reader())
        except (OSError, ValueError):
            return
        stats = meta.get("stats") or {}
        r.records = stats.get("events")
        r.recording_error = meta.get("recording_error")
        if meta.get("start_time") and meta.get("end_time"):
            r.recorded_s = meta["end_time"] - meta["start_time"]
        if scan and os.path.exists(os.path.join(tdir, "trace.ctgt")):
            try:
                s = tracestats.scan(tdir, env.reader())
                r.kinds = s["kinds"]
                r.pools = s["pools"]
                r.steps = step_count(s["kinds"], getattr(env.reader(), "OMITS", {}))
            except Exception as e:   # a torn or capped trace: report, do not fail
                r.scan_error = str(e)
    elif contender.kind == "pyrecorder":
        try:
            with open(os.path.join(tdir, "meta.json")) as f:
                meta = json.load(f)
        except (OSError, ValueError):
            return
        r.records = meta.get("records")
        r.steps = meta.get("counts", {}).get("steps")
        r.recorded_s = meta.get("seconds")


def step_count(kinds, omits):
    """The Steps of a trace from its records per kind: Step records and the
    records that stand for a Step with a field omitted (format 7's Line:
    the spec's `omits Step.fn`, the reader's OMITS)."""
    return kinds.get("Step", {}).get("count", 0) + sum(
        kinds.get(k, {}).get("count", 0) for k, (base, _) in omits.items() if base == "Step")


# ---------------------------------------------------------------- statistics

def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def geomean(xs):
    xs = [x for x in xs if x is not None and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


MIN_COMPUTE = 0.0002    # s: numerators and denominators are clamped to this


def net_time(r, startup, compile_s):
    """The time a run spent running the script (and recording it): measured
    inside the process when the runner reports it (bench/timed.py,
    run_floor.py: `bench-timed`; pyrecorder: meta.json `seconds`;
    ctgen-tracer: the metadata's end_time - start_time, i.e. from
    start() to the end of stop()), else its wall time less its contender's
    start-up and the script's compile time."""
    inside = getattr(r, "exec_s", None)
    if inside is None:
        inside = getattr(r, "recorded_s", None)
    if inside is not None:
        return max(inside, MIN_COMPUTE)
    return max(r.wall - startup - compile_s, MIN_COMPUTE)


def paired_ratios(runs, untraced, startup_c, compile_s):
    """Per pair: (traced wall - startup - compile) / untraced in-process run
    time, and the raw ratio of wall times."""
    net, raw = [], []
    for r, u in zip(runs, untraced):
        if r is None or u is None:
            continue
        net.append(net_time(r, startup_c, compile_s) / max(getattr(u, "exec_s", u.wall), MIN_COMPUTE))
        raw.append(r.wall / u.wall)
    return net, raw


# ---------------------------------------------------------------- the benchmark

def base_size(workload, scale):
    with open(os.path.join(WORKLOAD_DIR, workload + ".py")) as f:
        for line in f:
            if line.startswith("DEFAULT_SIZE"):
                return max(1, int(round(int(line.split("=")[1].split("#")[0]) * scale)))
    raise RuntimeError("%s.py has no DEFAULT_SIZE" % workload)


def failed(r):
    return r.rc != 0 or r.timed_out


def capped(r):
    """The run hit the trace file size limit (ctgen-tracer stops recording;
    other recorders fail)."""
    return bool(getattr(r, "recording_error", None)) or "File too large" in (getattr(r, "error", "") or "")


def rotate(seq, k):
    k %= max(1, len(seq))
    return list(seq[k:]) + list(seq[:k])


def calibrate(env, c, script, base, startup, compile_s, untraced_wall, opts, preload=()):
    """Warm up; return (size for the measured runs, warm-up Runs, the last
    warm-up if it ran at that size, else None). A contender whose run at the
    base size stays within --cheap x of the untraced run keeps the base
    size; others get the largest size whose run fits --budget seconds and
    whose trace fits 40% of --max-trace-mb."""
    size = max(1, int(base * c.prior)) if c.prior < 1 else base
    warm = []
    upper = base + 1                           # sizes known to overflow the trace cap
    while True:
        r = run_once(env, c, script, size, opts, preload=preload)
        warm.append(r)
        if capped(r) and size > 1 and len(warm) < 8:
            upper = min(upper, size)
            size = max(1, size // 8)           # the trace was cut: its size says nothing
            continue
        if failed(r):
            return None, warm, None
        if size == base and r.wall < opts.cheap * untraced_wall:
            return base, warm, r
        t = max(net_time(r, startup, compile_s), 0.002)
        est = size * opts.budget / t
        if r.trace_bytes:
            est = min(est, size * opts.max_trace_mb * MIB * 0.4 / r.trace_bytes)
        if r.rss_kb * 1024 > 256 * MIB:
            est = min(est, size * opts.max_mem_mb * MIB * 0.4 / (r.rss_kb * 1024))
        target = max(1, min(base, upper - 1, int(est)))
        if target > 8 * size and size < base and len(warm) < 8:
            size = min(8 * size, base, upper - 1)   # too far to extrapolate: warm up again
            continue
        return target, warm, (r if target == size else None)


def bench_workload(env, workload, contenders, opts):
    """Measure every contender on one workload. Start-up is measured per
    workload (with the same preloaded imports) and interleaved: before each
    measured run of a contender, that contender runs bench/empty.py."""
    script = os.path.join(WORKLOAD_DIR, workload + ".py")
    base = base_size(workload, opts.scale)
    untraced = BY_NAME["untraced"]
    preload = workload_imports(workload)
    res = {"base_size": base, "preload": preload, "contenders": {}}
    empties = {c.name: [] for c in contenders}

    def empty(c):
        r = run_once(env, c, EMPTY, 0, opts, preload=preload)
        if failed(r):
            log("[%s] %s fails on the empty script: %s" % (env.minor, c.name, r.error))
        else:
            empties[c.name].append(r)

    for rep in range(2):                       # a warm-up, then a first estimate
        for c in rotate(contenders, rep):
            r = run_once(env, c, EMPTY, 0, opts, preload=preload)
            if rep and not failed(r):
                empties[c.name].append(r)
    st = {n: median([r.wall for r in rs]) or 0.0 for n, rs in empties.items()}
    u0 = [run_once(env, untraced, script, base, opts, preload=preload) for _ in range(2)]
    if any(failed(u) for u in u0):
        raise RuntimeError("%s fails untraced: %s" % (workload, u0[-1].error))
    compile_s = u0[-1].compile_s
    unit_ms = 1000.0 * u0[-1].exec_s / base
    res["unit_ms"] = unit_ms
    sizes, warmups = {}, {}
    runs, unt, unt_by_size = {}, {}, {base: [u0[-1]]}

    def record(c, r, u):
        runs.setdefault(c.name, []).append(r)
        unt.setdefault(c.name, []).append(u)
        if failed(r):
            log("[%s] %-12s %-17s FAILED: %s" % (env.minor, workload, c.name, r.error))
            sizes[c.name] = None

    for c in contenders:
        if c.kind == "untraced":
            continue
        if opts.quick and c.quick_max_unit_ms and unit_ms > c.quick_max_unit_ms:
            why = ("not run by --quick: one unit of size takes %.2f ms untraced, so even size 1 "
                   "would take seconds" % unit_ms)
            log("[%s] %-12s %-17s %s" % (env.minor, workload, c.name, why))
            res["contenders"][c.name] = {"status": "skipped", "error": why}
            continue
        size, warm, reuse = calibrate(env, c, script, base, st[c.name], compile_s, u0[-1].wall, opts,
                                      preload)
        warmups[c.name] = warm
        if size is None:
            log("[%s] %-12s %-17s FAILED in warm-up: %s" % (env.minor, workload, c.name, warm[-1].error))
            res["contenders"][c.name] = {"status": "failed", "error": warm[-1].error,
                                         "size": warm[-1].size}
            continue
        sizes[c.name] = size
        if reuse is not None:                  # the last warm-up is the first measured run
            warm.pop()
            u = run_once(env, untraced, script, size, opts, preload=preload)
            unt_by_size.setdefault(size, []).append(u)
            record(c, reuse, u)
    for s in sorted(set(v for v in sizes.values() if v) - set(unt_by_size)):
        run_once(env, untraced, script, s, opts, preload=preload)   # warm-up of the untraced side
    want = {c.name: (c.quick_runs if opts.quick and c.quick_runs else opts.runs) for c in contenders}
    for rep in range(opts.runs):
        done = {}
        active = [c for c in contenders if sizes.get(c.name) and len(runs.get(c.name, [])) < want[c.name]]
        if rep == 0 or active:
            empty(untraced)
        for c in rotate(active, rep):
            s = sizes[c.name]
            if s not in done:
                done[s] = run_once(env, untraced, script, s, opts, preload=preload)
                unt_by_size.setdefault(s, []).append(done[s])
            empty(c)
            record(c, run_once(env, c, script, s, opts, preload=preload), done[s])
    st = {n: median([r.wall for r in rs]) or 0.0 for n, rs in empties.items()}
    res["startup"] = {n: {"median": st[n], "runs": [r.wall for r in rs],
                          "rss_kb": median([r.rss_kb for r in rs])} for n, rs in empties.items()}
    compile_s = median([u.compile_s for us in unt_by_size.values() for u in us]) or compile_s
    for c in contenders:
        n = c.name
        if n not in runs:
            continue
        ok = [r for r in runs[n] if not failed(r)]
        pairs_u = [u for r, u in zip(runs[n], unt[n]) if not failed(r)]
        sc = st[n]
        net, raw = paired_ratios(ok, pairs_u, sc, compile_s)
        traced_net = median([net_time(r, sc, compile_s) for r in ok])
        d = {"size": runs[n][0].size, "scaled": runs[n][0].size != base,
             "status": "ok" if ok and len(ok) == len(runs[n]) else ("failed" if not ok else "partial"),
             "ratio": median(net), "ratio_raw": median(raw), "ratios": net, "ratios_raw": raw,
             "wall": median([r.wall for r in ok]), "net": traced_net,
             "untraced_wall": median([u.wall for u in pairs_u]),
             "untraced_exec": median([u.exec_s for u in pairs_u]),
             "timing": "in-process" if all(getattr(r, "exec_s", None) is not None
                                           or getattr(r, "recorded_s", None) is not None for r in ok)
             else "wall - startup",
             "rss_kb": max([r.rss_kb for r in ok], default=None),
             "untraced_rss_kb": max([u.rss_kb for u in pairs_u], default=None),
             "trace_bytes": median([r.trace_bytes for r in ok]),
             "warmup": [r.as_dict() for r in warmups.get(n, [])],
             "runs": [r.as_dict() for r in runs[n]]}
        mism = [r.output for r, u in zip(ok, pairs_u) if r.output != u.output]
        if mism:
            d["output_differs"] = {"traced": mism[0], "untraced": pairs_u[0].output}
            log("[%s] %-12s %-17s OUTPUT DIFFERS: %r vs %r" % (env.minor, workload, n, mism[0],
                                                                pairs_u[0].output))
        scan = next((r for r in ok if getattr(r, "kinds", None) is not None), ok[0] if ok else runs[n][0])
        for k in ("records", "steps", "kinds", "pools", "recording_error", "scan_error"):
            if getattr(scan, k, None) is not None:
                d[k] = getattr(scan, k)
        if any(capped(r) for r in ok):
            d["status"] = "capped"
        if d.get("records") and d["net"]:
            d["records_per_s"] = d["records"] / d["net"]
            d["bytes_per_record"] = d["trace_bytes"] / d["records"]
            if d.get("steps"):
                d["bytes_per_step"] = d["trace_bytes"] / d["steps"]
        d["noisy"] = noisy(d, sc)
        if d.get("output_differs"):
            d["status"] = "output differs"
        res["contenders"][n] = d
        log("[%s] %-12s %-17s size %7d  ratio %8s  raw %8s  rss %6.0f MB  trace %s" % (
            env.minor, workload, n, d["size"], fmt_ratio(d["ratio"]), fmt_ratio(d["ratio_raw"]),
            (d["rss_kb"] or 0) / 1024, fmt_bytes(d["trace_bytes"])))
    ub = unt_by_size.get(base, [])
    res["compile_s"] = compile_s
    res["untraced"] = {"size": base, "wall": median([u.wall for u in ub]),
                       "compute": median([u.exec_s for u in ub]),
                       "wall_less_startup": median([u.wall - st["untraced"] for u in ub]),
                       "rss_kb": max([u.rss_kb for u in ub], default=None),
                       "output": ub[0].output if ub else None}
    return res


def summarize(results, contenders):
    summary = {}
    floors = {}
    for c in contenders:
        ratios = {w: r["contenders"].get(c.name, {}).get("ratio") for w, r in results.items()}
        ratios = {w: x for w, x in ratios.items() if x is not None}
        floors[c.name] = ratios
    for c in contenders:
        if c.kind == "untraced":
            continue
        ratios = floors[c.name]
        s = {"geomean_ratio": geomean(ratios.values()), "workloads": len(ratios)}
        ref = c.floor_ref if c.floor_ref in floors and floors[c.floor_ref] else ("floor" if c.floor_ref else None)
        if ref and floors.get(ref):
            rel = [ratios[w] / floors[ref][w] for w in ratios if w in floors[ref]]
            s["floor_ref"] = ref
            s["geomean_vs_floor"] = geomean(rel)
        summary[c.name] = s
    # overhead against codetracer: (ratio - 1) of theirs over ours, per workload
    for other in ("codetracer-json", "codetracer-binary", "pyrecorder", "viztracer"):
        if other in floors and "ctgen" in floors:
            rel = [(floors[other][w] - 1) / (floors["ctgen"][w] - 1) for w in floors[other]
                   if w in floors["ctgen"] and floors["ctgen"][w] > 1]
            if rel:
                summary.setdefault("ctgen", {})["overhead_%s_over_ctgen" % other] = geomean(rel)
    return summary


# ---------------------------------------------------------------- reporting

def fmt_ratio(x):
    if x is None:
        return "-"
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def fmt_bytes(n):
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return ("%.0f %s" if unit == "B" else "%.1f %s") % (n, unit)
        n /= 1024.0


def noisy(d, startup):
    """Timed from outside, with less traced work than 10 ms or than the
    contender's own start-up (which was subtracted)."""
    if d.get("timing") == "in-process" or d.get("net") is None:
        return False
    return d["net"] < 0.01 or d["net"] < (startup or 0)


def cell(d, startup=None):
    if not d:
        return "n/a"
    if d.get("status") in ("failed", "skipped"):
        return d["status"]
    s = fmt_ratio(d.get("ratio"))
    marks = ""
    if d.get("status") == "capped":
        marks += "≥"
    if d.get("scaled"):
        marks += "†"
    if noisy(d, startup):
        marks += "~"
    if d.get("output_differs"):
        marks += "!"
    return (marks[:1] if marks.startswith("≥") else "") + s + marks.replace("≥", "")


def markdown(doc):
    meta = doc["meta"]
    names = [c for c in meta["contenders"] if c != "untraced"]
    lines = []
    lines.append("**%s %s** — %s, %d runs per contender%s, scale %s, budget %s s, ctgen-tracer %s "
                 "(native %s, commit %s%s)"
                 % (meta["python"]["implementation"], meta["python"]["version"],
                    meta["mode"], meta["runs"], " (1 for codetracer)" if meta["mode"] == "quick" else "",
                    meta["scale"], meta["budget_s"], meta["ctgen"].get("version"),
                    meta["ctgen"]["native_sha256"][:12], (meta["git"]["commit"] or "?")[:10],
                    "+dirty" if meta["git"]["dirty"] else ""))
    lines.append("")
    lines.append("Overhead: median over interleaved pairs of traced / untraced run time of the script "
                 "(measured inside the process: the floors, pyrecorder, ctgen-tracer's own start-stop "
                 "times; for viztracer and codetracer, wall time less their start-up on an empty script "
                 "and the compile time); † smaller size than the base (see the JSON's `size`), "
                 "~ timed from outside with less traced work than 10 ms or than the start-up "
                 "subtracted (noisy), ≥ recording stopped at "
                 "the trace cap (a lower bound), ! output differs from untraced.")
    lines.append("")
    lines.append("| workload | untraced s | " + " | ".join(names) + " |")
    lines.append("|---|---:|" + "---:|" * len(names))
    for w, r in doc["workloads"].items():
        row = ["%.3f" % r["untraced"]["compute"] if r["untraced"].get("compute") is not None else "-"]
        row += [cell(r["contenders"].get(n), r.get("startup", {}).get(n, {}).get("median")) for n in names]
        lines.append("| %s | %s |" % (w, " | ".join(row)))
    s = doc["summary"]
    lines.append("| **geomean** | | " + " | ".join(fmt_ratio(s.get(n, {}).get("geomean_ratio")) for n in names) + " |")
    lines.append("| **÷ floor** | | " + " | ".join(
        fmt_ratio(s.get(n, {}).get("geomean_vs_floor")) if s.get(n, {}).get("geomean_vs_floor") else ""
        for n in names) + " |")
    lines.append("")
    lines.append("Startup (s; per workload, the median of its bench/empty.py runs; here the median "
                 "over workloads): " + ", ".join(
                     "%s %.3f" % (n, median([r["startup"][n]["median"] for r in doc["workloads"].values()
                                             if n in r["startup"]]))
                     for n in meta["contenders"]))
    lines.append("")
    # ctgen details
    lines.append("| workload | contender | size | records | steps | B/record | B/step | Mrec/s | peak RSS MB (untraced) |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for w, r in doc["workloads"].items():
        for n in ("ctgen", "ctgen-base", "ctgen-novalues", "ctgen-base-novalues", "ctgen-optin", "pyrecorder"):
            d = r["contenders"].get(n)
            if not d or d.get("status") == "failed":
                continue
            lines.append("| %s | %s | %d | %s | %s | %s | %s | %s | %.0f (%.0f) |" % (
                w, n, d["size"], d.get("records", "-"), d.get("steps", "-"),
                "%.1f" % d["bytes_per_record"] if d.get("bytes_per_record") else "-",
                "%.1f" % d["bytes_per_step"] if d.get("bytes_per_step") else "-",
                "%.2f" % (d["records_per_s"] / 1e6) if d.get("records_per_s") else "-",
                (d.get("rss_kb") or 0) / 1024, (d.get("untraced_rss_kb") or 0) / 1024))
    lines.append("")
    sc = s.get("ctgen", {})
    extra = [(k, v) for k, v in sc.items() if k.startswith("overhead_")]
    if extra:
        lines.append("Overhead (ratio − 1) of other recorders over ctgen's, geomean: " + ", ".join(
            "%s %s×" % (k[len("overhead_"):-len("_over_ctgen")], fmt_ratio(v)) for k, v in extra))
    return "\n".join(l for l in lines if l is not None)


def rss_table(doc):
    names = [c for c in doc["meta"]["contenders"]]
    lines = ["| workload | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for w, r in doc["workloads"].items():
        row = []
        for n in names:
            if n == "untraced":
                row.append("%.0f" % ((r["untraced"].get("rss_kb") or 0) / 1024))
            else:
                d = r["contenders"].get(n)
                row.append("%.0f%s" % ((d.get("rss_kb") or 0) / 1024, "†" if d.get("scaled") else "")
                           if d and d.get("rss_kb") else "-")
        lines.append("| %s | %s |" % (w, " | ".join(row)))
    return "Peak RSS (MB, max over the measured runs; † at a smaller size):\n\n" + "\n".join(lines)


# ---------------------------------------------------------------- scaling mode

def scaling(env, workload, opts):
    script = os.path.join(WORKLOAD_DIR, workload + ".py")
    contenders = [BY_NAME[n] for n in opts.scaling_contenders.split(",")]
    preload = workload_imports(workload)
    everyone = [BY_NAME["untraced"]] + contenders
    empties = {c.name: [] for c in everyone}
    for rep in range(opts.runs + 1):
        for c in rotate(everyone, rep):
            r = run_once(env, c, EMPTY, 0, opts, preload=preload)
            if rep and not failed(r):
                empties[c.name].append(r.wall)
    st = {n: median(w) or 0.0 for n, w in empties.items()}
    out = {}
    for c in contenders:
        # the x100 run should take about --scaling-seconds and fill at most 80% of the trace cap
        probe_size = 1
        while True:
            r = run_once(env, c, script, probe_size, opts, preload=preload)
            if failed(r):
                raise RuntimeError("%s fails on %s: %s" % (c.name, workload, r.error))
            if capped(r) or net_time(r, st[c.name], 0) > 0.3 or probe_size >= 1 << 20:
                break
            probe_size *= 4
        per_unit = net_time(r, st[c.name], 0) / probe_size
        bytes_unit = r.trace_bytes / probe_size
        s1 = opts.scaling_seconds / 100 / per_unit
        if bytes_unit:
            s1 = min(s1, opts.max_trace_mb * MIB * 0.8 / 100 / bytes_unit)
        s1 = max(1, int(s1))
        rows = []
        for mult in (1, 10, 100):
            size = s1 * mult
            walls, nets, uexec, comp, rss, recs = [], [], [], [], [], None
            reps = max(1, opts.runs if mult < 100 else min(opts.runs, 2))
            for rep in range(reps):
                u = run_once(env, BY_NAME["untraced"], script, size, opts, preload=preload)
                r = run_once(env, c, script, size, opts, preload=preload)
                if failed(r):
                    raise RuntimeError("%s x%d fails: %s" % (c.name, mult, r.error))
                walls.append(r.wall)
                nets.append(net_time(r, st[c.name], u.compile_s))
                uexec.append(u.exec_s)
                comp.append(u.compile_s)
                rss.append(r.rss_kb)
                if rep == 0:
                    recs, steps, tbytes, rec_err = r.records, getattr(r, "steps", None), r.trace_bytes, \
                        getattr(r, "recording_error", None)
            compute = median(nets)
            row = {"mult": mult, "size": size, "wall": median(walls), "compute": compute,
                   "untraced_compute": median(uexec),
                   "records": recs, "steps": steps, "trace_bytes": tbytes,
                   "ns_per_record": compute / recs * 1e9 if recs else None,
                   "bytes_per_record": tbytes / recs if recs else None,
                   "rss_kb": max(rss), "recording_error": rec_err}
            rows.append(row)
            log("[%s] scaling %s %s x%d size %d: %.3f s, %s records, %s ns/record, %s, RSS %.0f MB" % (
                env.minor, workload, c.name, mult, size, compute, recs,
                "%.0f" % row["ns_per_record"] if row["ns_per_record"] else "-", fmt_bytes(tbytes),
                row["rss_kb"] / 1024))
        out[c.name] = rows
    return {"workload": workload, "preload": preload, "startup": empties, "contenders": out}


def scaling_markdown(doc):
    lines = ["**%s %s** — scaling of `%s`" % (doc["meta"]["python"]["implementation"],
                                            doc["meta"]["python"]["version"], doc["scaling"]["workload"]), "",
             "| contender | × | size | records | time s | ns/record | B/record | trace | peak RSS MB | ratio |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    capped_rows = 0
    for name, rows in doc["scaling"]["contenders"].items():
        for row in rows:
            ratio = row["compute"] / row["untraced_compute"] if row["untraced_compute"] > 0 else None
            mark = "≥" if row.get("recording_error") else ""
            capped_rows += bool(mark)
            lines.append("| %s | %d | %d | %s | %.3f | %s | %s | %s%s | %.0f | %s |" % (
                name, row["mult"], row["size"], row["records"], row["compute"],
                "%.0f" % row["ns_per_record"] if row["ns_per_record"] else "-",
                "%.1f" % row["bytes_per_record"] if row["bytes_per_record"] else "-",
                mark, fmt_bytes(row["trace_bytes"]), row["rss_kb"] / 1024, fmt_ratio(ratio)))
    if capped_rows:
        lines.append("")
        lines.append("≥: the trace reached --max-trace-mb and recording stopped early; that row "
                     "measures only part of the run (choose a workload with a finer size unit).")
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_mb": mem, "kernel": platform.release(),
            "system": platform.system(), "loadavg": os.getloadavg()}


def git_info():
    def git(*args):
        r = subprocess.run(["git", "-C", ROOT] + list(args), capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None
    status = git("status", "--porcelain", "--", "src", "gen", "spec", "generated")
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(status)}


def default_pythons():
    if sys.version_info >= (3, 12):
        return [sys.executable]
    return [os.path.join(ROOT, ".venv", "3.12", "bin", "python")]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--python", action="append", default=None, metavar="PY",
                   help="interpreter(s) to measure (repeatable; default: this one if 3.12+, else .venv/3.12)")
    p.add_argument("--workloads", default=None, help="comma-separated subset of bench/workloads")
    p.add_argument("--contenders", default=None, help="comma-separated subset: " + ",".join(BY_NAME))
    p.add_argument("--runs", type=int, default=None, help="measured runs per contender (default 5; 3 with --quick)")
    p.add_argument("--quick", action="store_true",
                   help="a quick look: 3 runs (1 for codetracer), sizes x0.2, 0.3 s per run of a "
                        "slow contender")
    p.add_argument("--scale", type=float, default=None, help="multiply every workload's size (default 1; 0.2 quick)")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds a slow contender's run may take; sizes shrink to fit (default 6; 0.3 quick)")
    p.add_argument("--cheap", type=float, default=8.0,
                   help="a contender whose run takes under CHEAP x the untraced run always runs "
                        "at the base size (default 8)")
    p.add_argument("--max-trace-mb", type=int, default=None,
                   help="file size limit of a recording process (default 4096; 1024 quick)")
    p.add_argument("--max-mem-mb", type=int, default=4096, help="address-space limit of every run (default 4096)")
    p.add_argument("--timeout", type=int, default=None, help="seconds before a run is killed (default 600; 60 quick)")
    p.add_argument("--trace-dir", default=None,
                   help="where runs write their traces, deleted after each run (default: a "
                        "directory in /dev/shm when it exists, so that disk writeback does not add "
                        "noise; else build/bench/traces)")
    p.add_argument("--no-install", action="store_true", help="do not create venvs or pip install contenders")
    p.add_argument("--ctgen-package", default=PACKAGE, metavar="DIR",
                   help="the built ctgen_tracer package to measure (default build/ctgen_tracer; e.g. "
                        "another checkout's build/ctgen_tracer)")
    p.add_argument("--base-package", default=None, metavar="DIR",
                   help="an earlier build of the ctgen_tracer package (e.g. a `git worktree` of the "
                        "commit before a change, built): contenders ctgen-base and ctgen-base-novalues "
                        "record with it, side by side with ctgen and ctgen-novalues in the same run")
    p.add_argument("--out", default=None, help="JSON results file (default bench/results/<date>-<python>.json)")
    p.add_argument("--scaling", metavar="WORKLOAD", default=None,
                   help="instead: run ctgen at x1, x10, x100 of WORKLOAD and report cost per record")
    p.add_argument("--scaling-contenders", default="ctgen,ctgen-novalues")
    p.add_argument("--scaling-seconds", type=float, default=8.0,
                   help="about how long the x100 run of --scaling takes (default 8)")
    p.add_argument("--list", action="store_true", help="list workloads and contenders")
    p.add_argument("--report", metavar="JSON", default=None,
                   help="print the Markdown tables of a results file again, and exit")
    a = p.parse_args(argv)
    q = a.quick
    a.runs = a.runs or (3 if q else 5)
    a.scale = a.scale if a.scale is not None else (0.2 if q else 1.0)
    a.budget = a.budget if a.budget is not None else (0.3 if q else 6.0)
    a.max_trace_mb = a.max_trace_mb or (1024 if q else 4096)
    a.timeout = a.timeout or (60 if q else 600)
    if a.trace_dir is None:
        a.trace_dir = ("/dev/shm/ctgen-bench-%d" % os.getpid() if os.path.isdir("/dev/shm")
                       and os.access("/dev/shm", os.W_OK) else os.path.join(BUILD, "traces"))
    return a


def all_workloads():
    return sorted(f[:-3] for f in os.listdir(WORKLOAD_DIR) if f.endswith(".py"))


def workload_imports(workload):
    """The modules a workload imports: bench/preload imports them at start-up
    in every process of that workload (its empty-script runs included)."""
    names = set()
    with open(os.path.join(WORKLOAD_DIR, workload + ".py")) as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return sorted(names - {"sys"})


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    if opts.report:
        with open(opts.report) as f:
            doc = json.load(f)
        if "scaling" in doc:
            print(scaling_markdown(doc))
        else:
            print(markdown(doc) + "\n\n" + rss_table(doc))
        return 0
    if opts.list:
        for w in all_workloads():
            print("workload   %-16s base size %d" % (w, base_size(w, 1.0)))
        for c in CONTENDERS:
            print("contender  %-18s %s" % (c.name, c.doc))
        return 0
    workloads = opts.workloads.split(",") if opts.workloads else all_workloads()
    for w in workloads:
        if w not in all_workloads():
            log("unknown workload %s; choose from %s" % (w, ", ".join(all_workloads())))
            return 2
    names = opts.contenders.split(",") if opts.contenders else [c.name for c in CONTENDERS]
    for n in names:
        if n not in BY_NAME:
            log("unknown contender %s; choose from %s" % (n, ", ".join(BY_NAME)))
            return 2
    if "untraced" not in names:
        names.insert(0, "untraced")
    os.makedirs(opts.trace_dir, exist_ok=True)
    os.makedirs(RESULTS, exist_ok=True)
    status = 0
    for py in (opts.python or default_pythons()):
        if os.sep in py:   # a path: the runs start in other directories
            py = os.path.abspath(py)
        t0 = time.time()
        try:
            env = Env(py, install=not opts.no_install, package=opts.ctgen_package,
                      base_package=opts.base_package)
        except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
            log("skipping %s: %s" % (py, e))
            status = 1
            continue
        for note in env.notes:
            log("[%s] note: %s" % (env.minor, note))
        contenders = []
        for n in names:
            c = BY_NAME[n]
            if env.available(c):
                contenders.append(c)
            elif c.kind.startswith("ctgen-base"):
                if opts.contenders:
                    log("[%s] skipping %s: no --base-package given" % (env.minor, n))
            else:
                log("[%s] skipping %s: %s is not installed in %s" % (env.minor, n, c.module, env.venv))
        meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
                "command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
                "mode": "scaling" if opts.scaling else ("quick" if opts.quick else "full"),
                "runs": opts.runs, "scale": opts.scale, "budget_s": opts.budget,
                "max_trace_mb": opts.max_trace_mb, "max_mem_mb": opts.max_mem_mb,
                "trace_dir": opts.trace_dir, "cheap": opts.cheap,
                "python": {"version": env.info["version"], "implementation": env.info["impl"],
                           "executable": env.python, "given": py},
                "ctgen": env.ctgen_info, "ctgen_base": env.base_info, "git": git_info(), "machine": machine(),
                "contenders": [c.name for c in contenders],
                "events": {"default": env.default_events, "optin": env.optin_events},
                "notes": env.notes}
        tag = "%s-%s%s" % (datetime.date.today().isoformat(), env.info["impl"] + env.info["version"],
                           "-scaling-" + opts.scaling if opts.scaling else ("-quick" if opts.quick else ""))
        out = opts.out or os.path.join(RESULTS, tag + ".json")
        if opts.scaling:
            doc = {"meta": meta, "scaling": scaling(env, opts.scaling, opts)}
            text = scaling_markdown(doc)
        else:
            results = {}
            for w in workloads:
                results[w] = bench_workload(env, w, contenders, opts)
            doc = {"meta": meta, "workloads": results,
                   "summary": summarize(results, contenders)}
            text = markdown(doc) + "\n\n" + rss_table(doc)
        meta["seconds"] = round(time.time() - t0, 1)
        meta["machine"]["loadavg_end"] = os.getloadavg()
        with open(out, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print(text)
        print("\n(%s: %.0f s; results in %s)\n" % (env.minor, meta["seconds"], os.path.relpath(out, ROOT)))
    shutil.rmtree(opts.trace_dir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
