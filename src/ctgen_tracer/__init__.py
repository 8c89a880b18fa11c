"""ctgen-tracer: records Python executions for time-travel debugging.

    import ctgen_tracer
    with ctgen_tracer.recording("trace-dir"):
        interesting()

or `python -m ctgen_tracer app.py args...`. Read traces with ctgen_tracer.reader.
"""

import json
import os
import sys
import time

from . import _native
from .select import DEFAULT_REDACT, make_selector

__version__ = "0.1.0"
__all__ = ["start", "stop", "recording", "EVENTS", "OPTIONS", "TraceDirError"]

TOOL_ID = 4                         # a sys.monitoring tool id without a predefined role
EVENTS_FILE = "trace.ctgt"
METADATA_FILE = "trace_metadata.json"
PATHS_FILE = "trace_paths.json"
EVENTS = tuple(_native.events())    # the spec's events, as this build knows them
OPTIONS = tuple(o for o in _native.OPTIONS.split(",") if o)

_session = None


class TraceDirError(Exception):
    """The trace directory cannot be used."""


def event_names(options=()):
    """PEP 669 event names recorded by default plus those of the --events
    `options` (e.g. ["call", "branch"]), as available in this CPython."""
    options = set(options)
    unknown = options - set(OPTIONS)
    if unknown:
        raise ValueError("unknown event option(s) %s; choose from %s"
                         % (", ".join(sorted(unknown)), ", ".join(OPTIONS)))
    return [e["name"] for e in EVENTS
            if e["number"] >= 0 and (e["default"] or e["option"] in options)]


OWN_FILES = frozenset((EVENTS_FILE, METADATA_FILE, PATHS_FILE, "children"))


def _is_own_trace(trace_dir, entries):
    """Whether directory trace_dir (holding `entries`) holds only a
    ctgen-tracer trace, complete or cut short (a leftover *.tmp of our JSON
    files, an event file with only part of its header, metadata only)."""
    names = {e[:-4] if e.endswith(".tmp") else e for e in entries}
    if not names <= OWN_FILES or not names & {EVENTS_FILE, METADATA_FILE}:
        return False
    if EVENTS_FILE in entries:
        path = os.path.join(trace_dir, EVENTS_FILE)
        if not os.path.isfile(path):   # a FIFO, a device, a directory: not a trace of ours
            return False
        with open(path, "rb") as f:
            head = f.read(8)
        return _native.MAGIC.startswith(head)   # empty or part of the header: killed at once
    if METADATA_FILE not in entries:   # only what a kill while writing the first metadata leaves
        return True
    if not os.path.isfile(os.path.join(trace_dir, METADATA_FILE)):
        return False
    try:
        with open(os.path.join(trace_dir, METADATA_FILE), "rb") as f:
            meta = json.loads(f.read(1 << 20))
        return meta["recorder"]["name"] == "ctgen-tracer"
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return False


def _prepare_dir(trace_dir, force):
    """Create trace_dir, or reuse it if it is empty or holds our own trace
    (or with force: our files are replaced, other files are left alone)."""
    if os.path.exists(trace_dir) and not os.path.isdir(trace_dir):
        raise TraceDirError("%s exists and is not a directory" % trace_dir)
    if os.path.isdir(trace_dir):
        entries = set(os.listdir(trace_dir))
        if entries and not force and not _is_own_trace(trace_dir, entries):
            raise TraceDirError("%s is not empty and holds no ctgen-tracer trace; "
                                "choose another directory or use --force" % trace_dir)
    try:
        os.makedirs(trace_dir, exist_ok=True)
        probe = os.path.join(trace_dir, ".ctgen-write-test")
        with open(probe, "w"):
            pass
        os.remove(probe)
        for name in (PATHS_FILE, PATHS_FILE + ".tmp", METADATA_FILE + ".tmp"):   # a previous trace's
            if os.path.lexists(os.path.join(trace_dir, name)):
                os.remove(os.path.join(trace_dir, name))
    except OSError as e:
        raise TraceDirError("cannot write to %s: %s" % (trace_dir, e.strerror or e)) from None


def _write_json(path, obj):
    """Write obj to path through a temporary file renamed over it: a crash
    leaves the old file or the new one, never a torn one."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def start(trace_dir, *, events=(), include=(), exclude=(), values=True, redact=DEFAULT_REDACT,
          max_depth=4, max_items=100, max_text=1000, chunk_bytes=1 << 20, force=False,
          tool=TOOL_ID, program=None, args=None):
    """Start recording into directory trace_dir.

    events: opt-in event options (see OPTIONS) on top of the default events;
    include/exclude: globs on module names or file paths; values: record
    variables and arguments; redact: name fragments whose values are hidden
    (empty to hide nothing); max_depth/max_items/max_text: value limits."""
    global _session
    if _session is not None:
        raise RuntimeError("ctgen_tracer is already recording into %s" % _session["dir"])
    names = event_names(events)
    _prepare_dir(trace_dir, force)
    meta = {
        "recorder": {"name": "ctgen-tracer", "version": __version__,
                     "format_version": _native.FORMAT_VERSION},
        "program": program if program is not None else (sys.argv[0] if sys.argv else ""),
        "args": list(args if args is not None else sys.argv[1:]),
        "workdir": os.getcwd(),
        "python": {"version": sys.version.split()[0], "implementation": sys.implementation.name,
                   "executable": sys.executable},
        "events": names,
        "options": {"values": bool(values), "max_depth": max_depth, "max_items": max_items,
                    "max_text": max_text, "redact": list(redact), "include": list(include),
                    "exclude": list(exclude)},
        "complete": False,    # true once stop() has finished the trace
        "start_time": time.time(),
        "end_time": None,
        "exit_status": None,
        "uncaught_exception": None,
    }
    _write_json(os.path.join(trace_dir, METADATA_FILE), meta)
    _native.start(os.path.join(trace_dir, EVENTS_FILE), tool, names,
                  make_selector(include, exclude), tuple(redact),
                  values=int(bool(values)), max_depth=max_depth, max_items=max_items,
                  max_text=max_text, chunk_bytes=chunk_bytes)
    _session = {"dir": trace_dir, "meta": meta, "t0": time.perf_counter()}


def stop(exit_status=None, exception=None):
    """Stop recording; finish the trace directory. Returns a summary dict
    (events, bytes, chunks, seconds, error, dir)."""
    global _session
    if _session is None:
        raise RuntimeError("ctgen_tracer is not recording")
    s, _session = _session, None
    if exit_status is not None or exception is not None:
        _native.exit(exit_status if exit_status is not None else 1, exception)
    stats = _native.stop()
    stats["seconds"] = time.perf_counter() - s["t0"]
    stats["dir"] = s["dir"]
    meta = s["meta"]
    meta.update(complete=True, end_time=time.time(), exit_status=exit_status,
                uncaught_exception=None if exception is None else
                "%s: %s" % (type(exception).__qualname__, _safe_message(exception)),
                stats={k: stats[k] for k in ("events", "bytes", "chunks")},
                recording_error=stats["error"])
    paths = stats.pop("paths")
    try:   # paths first: complete metadata says the directory is whole
        _write_json(os.path.join(s["dir"], PATHS_FILE), paths)
        _write_json(os.path.join(s["dir"], METADATA_FILE), meta)
    except OSError as e:   # a full disk: the event file holds what it could
        stats["error"] = stats["error"] or "cannot write the trace metadata: %s" % (e.strerror or e)
    return stats


def _safe_message(exc):
    """The message of a built-in exception; user types are named only."""
    if type(exc).__module__ == "builtins" and len(exc.args) == 1 and type(exc.args[0]) is str:
        return exc.args[0]
    return ""


class recording:
    """with recording(trace_dir, **options): record the block."""

    def __init__(self, trace_dir, **options):
        self.trace_dir, self.options, self.stats = trace_dir, options, None

    def __enter__(self):
        start(self.trace_dir, **self.options)
        return self

    def __exit__(self, *exc):
        self.stats = stop()
        return False
