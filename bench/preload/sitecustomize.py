"""Imported at start-up by every benchmark process (run.py puts this
directory on PYTHONPATH): imports the standard-library modules named in
$CTGEN_BENCH_PRELOAD (comma-separated; run.py lists every module the
workloads import).

Why: a recorder's own imports (json, threading...) would otherwise make the
same `import` free in its traced run but not in the untraced one, and
importing asyncio alone costs tens of milliseconds. Preloaded, every
contender pays for the imports in its start-up, which run.py measures on
bench/empty.py and subtracts. The imports run before any recorder starts,
so nothing here is recorded.
"""
import importlib
import os

for _name in os.environ.get("CTGEN_BENCH_PRELOAD", "").split(","):
    if _name.strip():
        importlib.import_module(_name.strip())
