"""ctgen-tracer: records Python executions for time-travel debugging.

    import ctgen_tracer
    with ctgen_tracer.recording("trace-dir"):
        interesting()

or `python -m ctgen_tracer app.py args...`. Read traces with ctgen_tracer.reader.
"""

import _thread
import json
import os
import shutil
import signal
import sys
import time

from . import _native, sources
from .select import DEFAULT_REDACT, make_selector

__version__ = "0.1.0"
__all__ = ["start", "stop", "recording", "recording_now", "EVENTS", "OPTIONS", "LIMITS", "TraceDirError"]

TOOL_ID = 4                         # a sys.monitoring tool id without a predefined role
EVENTS_FILE = "trace.ctgt"
METADATA_FILE = "trace_metadata.json"
PATHS_FILE = "trace_paths.json"
EVENTS = tuple(_native.events())    # the spec's events, as this build knows them
OPTIONS = tuple(o for o in _native.OPTIONS.split(",") if o)
# The value limits and the chunk size: name -> (default, lowest, highest).
LIMITS = {name: tuple(v) for name, v in _native.LIMITS.items()}

CAPTURE_IO = True                   # record program output unless told not to (see docs/design.md)
COMPRESS_LEVEL = 3                  # zlib level of compress=True (bench/README.md, "Compression")
CHILDREN_DIR = "children"          # child processes' traces: TRACE_DIR/children/<pid>/
ENV_VAR = "CTGEN_TRACER_CHILD"      # set for --follow-subprocess: how a child python records
_BOOT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_boot")

_session = None
_stop_lock = _thread.RLock()          # a stop() in progress is finished before a SIGTERM kills
_fork_hooks = False
_real_exit = os._exit


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


OWN_FILES = frozenset((EVENTS_FILE, METADATA_FILE, PATHS_FILE, CHILDREN_DIR, sources.FILE))


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


def _compress_level(compress):
    """The zlib level of start()'s compress argument (0: none)."""
    if compress is True:
        return COMPRESS_LEVEL
    if compress is False or compress is None or compress == 0:
        return 0
    if isinstance(compress, int) and 1 <= compress <= 9:
        return compress
    raise ValueError("compress must be True, False or a zlib level 1-9, not %r" % (compress,))


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
        for name in (PATHS_FILE, PATHS_FILE + ".tmp", METADATA_FILE + ".tmp", sources.FILE):   # a previous trace's
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


def check_limit(name, value, label=None):
    """value, an int within LIMITS[name] (an int subclass other than bool
    is converted); else ValueError naming the option (as `label`, e.g.
    "--max-depth", or as `name`)."""
    _, low, high = LIMITS[name]
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return int(value)
    text = repr(value) if isinstance(value, str) else "%s" % _plain(value)
    raise ValueError("%s must be an integer from %d to %d, not %s"
                     % (label or name, low, high, text if len(text) <= 40 else text[:37] + "..."))


def _plain(value):
    """A short description of value without running its __repr__ (it may
    be any object)."""
    if type(value) in (int, float, bool, type(None)):
        return repr(value)
    return "a %s" % type(value).__name__


def start(trace_dir, *, events=(), include=(), exclude=(), values=True, redact=DEFAULT_REDACT,
          max_depth=LIMITS["max_depth"][0], max_items=LIMITS["max_items"][0],
          max_text=LIMITS["max_text"][0], max_nodes=LIMITS["max_nodes"][0],
          chunk_bytes=LIMITS["chunk_bytes"][0], force=False,
          tool=TOOL_ID, program=None, args=None, capture_io=CAPTURE_IO, follow_children=True,
          follow_subprocess=False, compress=False, _parent=None, _root=None):
    """Start recording into directory trace_dir.

    events: opt-in event options (see OPTIONS) on top of the default events;
    include/exclude: globs on module names or file paths; values: record
    variables and arguments; redact: name fragments whose values are hidden
    (empty to hide nothing); max_depth/max_items/max_text/max_nodes: value
    limits (containers nested deeper than max_depth are recorded as Elided,
    only the first max_items items and max_text bytes are kept, containers
    take no more children once a value's tree has max_nodes nodes; LIMITS
    has their defaults and ranges, a value out of range raises ValueError);
    capture_io: record what the program writes to sys.stdout and sys.stderr
    (Output records; see docs/design.md, "Program output").
    follow_children: a process forked while recording records into
    trace_dir/children/<pid>/ (else it does not record); follow_subprocess:
    python processes started meanwhile (subprocess, multiprocessing spawn
    and forkserver) record there too (see docs/design.md, "Child processes").
    compress: the writer thread compresses chunks with zlib (True: level
    COMPRESS_LEVEL, or a level 1-9; see docs/trace-format.md, "Compressed
    chunks"): traces several times smaller, read by the same reader."""
    global _session
    if _session is not None:
        raise RuntimeError("ctgen_tracer is already recording into %s" % _session["dir"])
    names = event_names(events)
    max_depth, max_items, max_text, max_nodes, chunk_bytes = (
        check_limit(n, v) for n, v in (("max_depth", max_depth), ("max_items", max_items),
                                       ("max_text", max_text), ("max_nodes", max_nodes),
                                       ("chunk_bytes", chunk_bytes)))
    level = _compress_level(compress)
    _prepare_dir(trace_dir, force)
    if _parent is None:
        _clear_children(trace_dir)
    options = {"values": bool(values), "max_depth": max_depth, "max_items": max_items,
               "max_text": max_text, "max_nodes": max_nodes, "redact": list(redact),
               "include": list(include),
               "exclude": list(exclude),
               "capture_io": bool(capture_io), "follow_children": bool(follow_children),
               "follow_subprocess": bool(follow_subprocess), "compress": level}
    meta = {
        "recorder": {"name": "ctgen-tracer", "version": __version__,
                     "format_version": _native.FORMAT_VERSION if level else _native.PLAIN_FORMAT_VERSION},
        "program": program if program is not None else (sys.argv[0] if sys.argv else ""),
        "args": list(args if args is not None else sys.argv[1:]),
        "workdir": os.getcwd(),
        "pid": os.getpid(),
        "parent": _parent,
        "python": {"version": sys.version.split()[0], "implementation": sys.implementation.name,
                   "executable": sys.executable},
        "events": names,
        "options": options,
        "output": None,
        "complete": False,    # true once stop() has finished the trace
        "start_time": time.time(),
        "end_time": None,
        "exit_status": None,
        "ended_by": None,
        "uncaught_exception": None,
    }
    _write_json(os.path.join(trace_dir, METADATA_FILE), meta)
    _register_fork_hooks()
    sources.begin(trace_dir)
    try:
        meta["output"] = _native.start(os.path.join(trace_dir, EVENTS_FILE), tool, names,
                                       make_selector(include, exclude, sources.registered), tuple(redact),
                                       values=int(bool(values)), max_depth=max_depth,
                                       max_items=max_items, max_text=max_text, max_nodes=max_nodes,
                                       chunk_bytes=chunk_bytes, capture_io=int(bool(capture_io)),
                                       compress=level)
    except BaseException:
        sources.end()
        raise
    root = os.path.abspath(_root if _root is not None else trace_dir)
    _session = {"dir": trace_dir, "meta": meta, "t0": time.perf_counter(), "pid": os.getpid(),
                "root": root, "tool": tool, "chunk_bytes": chunk_bytes,
                "options": dict(options, events=list(events)), "env": None}
    if follow_subprocess:
        _session["env"] = _set_child_env(_session)
    if os._exit is _real_exit:
        os._exit = _exit


def stop(exit_status=None, exception=None, _ended=None):
    """Stop recording; finish the trace directory. Returns a summary dict
    (events, bytes, chunks, seconds, error, dir)."""
    global _session
    with _stop_lock:   # a SIGTERM meanwhile waits for it (see _on_sigterm)
        if _session is None:
            raise RuntimeError("ctgen_tracer is not recording")
        s, _session = _session, None
        if os._exit is _exit:
            os._exit = _real_exit
        _restore_child_env(s["env"])
        try:
            return _finish(s, exit_status, exception, _ended)
        finally:
            if s["meta"]["parent"] is not None:
                _native.sigterm_unguard()


def _finish(s, exit_status, exception, ended):
    if exit_status is not None or exception is not None:
        _native.exit(exit_status if exit_status is not None else 1, exception)
    stats = _native.stop()
    sources.end()
    stats["seconds"] = time.perf_counter() - s["t0"]
    stats["dir"] = s["dir"]
    meta = s["meta"]
    meta.update(complete=True, end_time=time.time(), exit_status=exit_status, ended_by=ended or "stop",
                uncaught_exception=None if exception is None else
                "%s: %s" % (type(exception).__qualname__, _safe_message(exception)),
                stats={k: stats[k] for k in ("events", "bytes", "chunks")
                       + (("uncompressed_bytes", "compressed_chunks") if meta["options"]["compress"] else ())},
                recording_error=stats["error"])
    paths = stats.pop("paths")
    try:   # paths first: complete metadata says the directory is whole
        _write_json(os.path.join(s["dir"], PATHS_FILE), paths)
        _write_json(os.path.join(s["dir"], METADATA_FILE), meta)
    except OSError as e:   # a full disk: the event file holds what it could
        stats["error"] = stats["error"] or "cannot write the trace metadata: %s" % (e.strerror or e)
    return stats


def _hold_sigterm():
    """Block SIGTERM on this thread (the writer thread blocks every signal):
    a SIGTERM arriving now waits until the mask returned is restored."""
    try:
        return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    except (OSError, ValueError):
        return None


def recording_now():
    """True while this process records (start() was called, stop() not yet)."""
    return _session is not None and _session["pid"] == os.getpid()


# ---- child processes ---------------------------------------------------------

def _clear_children(trace_dir):
    """Remove trace_dir/children/ of an earlier recording (only when every
    entry in it is a trace of ours or empty: never the user's files)."""
    d = os.path.join(trace_dir, CHILDREN_DIR)
    if not os.path.isdir(d):
        return
    for name in os.listdir(d):
        sub = os.path.join(d, name)
        if not os.path.isdir(sub) or not set(os.listdir(sub)) <= {EVENTS_FILE, METADATA_FILE, PATHS_FILE}:
            return
    shutil.rmtree(d, ignore_errors=True)


def _child_dir(root):
    """A new directory root/children/<pid>/ (<pid>.N if an earlier process
    with this pid left one)."""
    parent = os.path.join(root, CHILDREN_DIR)
    os.makedirs(parent, exist_ok=True)
    pid, n = os.getpid(), 0
    while True:
        d = os.path.join(parent, str(pid) if n == 0 else "%d.%d" % (pid, n))
        try:
            os.mkdir(d)
            return d
        except FileExistsError:
            n += 1


def _start_child(options, root, parent, tool, chunk_bytes):
    """Record this child process into root/children/<pid>/; one line on
    stderr (and no recording) if that fails."""
    mask = _hold_sigterm()   # a SIGTERM now is handled once the trace is complete
    try:
        try:
            d = _child_dir(root)
            start(d, tool=tool, chunk_bytes=chunk_bytes, _parent=parent, _root=root, **options)
        except Exception as e:
            print("ctgen-tracer: cannot record child process %d: %s" % (os.getpid(), e), file=sys.stderr)
            return False
        _native.sigterm_guard(_on_sigterm)
        return True
    finally:
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _register_fork_hooks():
    """Once per process: the at-fork hooks (they do nothing when not recording)."""
    global _fork_hooks
    if not _fork_hooks:
        os.register_at_fork(before=_native.fork_before, after_in_parent=_native.fork_parent,
                            after_in_child=_after_fork_child)
        _fork_hooks = True


def _after_fork_child():
    """os.register_at_fork(after_in_child=...): drop the parent's recording
    (nothing of it is written by the child) and, if following children,
    record this child into its own trace from the fork on."""
    global _session, _stop_lock
    _stop_lock = _thread.RLock()   # another thread may have held it at the fork
    point = _native.fork_child()
    s, _session = _session, None
    if s is None:
        return
    if os._exit is _exit:
        os._exit = _real_exit
    if point is None or not s["options"]["follow_children"]:
        _restore_child_env(s["env"])   # its python children do not record either
        return
    parent = dict(point, how="fork", trace=os.path.abspath(s["dir"]))
    _start_child(s["options"], s["root"], parent, s["tool"], s["chunk_bytes"])


def _set_child_env(s):
    """Make python child processes record (--follow-subprocess): ENV_VAR
    says where and how, and PYTHONPATH gets the directory of the
    sitecustomize that reads it. Returns what to restore at stop."""
    old = (os.environ.get(ENV_VAR), os.environ.get("PYTHONPATH"))
    spec = {"root": s["root"], "options": s["options"], "tool": s["tool"],
            "chunk_bytes": s["chunk_bytes"], "parent": {"pid": os.getpid(), "how": "subprocess",
                                                         "trace": os.path.abspath(s["dir"])},
            "package": os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            "python": "%d.%d" % sys.version_info[:2]}
    os.environ[ENV_VAR] = json.dumps(spec)
    path = old[1].split(os.pathsep) if old[1] else []
    if _BOOT_DIR not in path:
        os.environ["PYTHONPATH"] = os.pathsep.join([_BOOT_DIR] + path)
    return old, os.environ[ENV_VAR], os.environ.get("PYTHONPATH")


def _restore_child_env(saved):
    """Undo _set_child_env, unless the program changed the variables since."""
    if saved is None:
        return
    (old_spec, old_path), spec, path = saved
    for name, old, ours in ((ENV_VAR, old_spec, spec), ("PYTHONPATH", old_path, path)):
        if os.environ.get(name) == ours:
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def _start_from_environment():
    """Called by _boot/sitecustomize.py in a python started with ENV_VAR set:
    record this process into the root's children/<pid>/ until it exits."""
    try:
        spec = json.loads(os.environ[ENV_VAR])
        if spec.get("python") != "%d.%d" % sys.version_info[:2] or _session is not None:
            return False
        root, options, parent = spec["root"], spec["options"], spec["parent"]
        tool, chunk_bytes = spec["tool"], spec["chunk_bytes"]
    except (KeyError, ValueError, TypeError):
        return False
    if not _start_child(options, root, parent, tool, chunk_bytes):
        return False
    import atexit
    atexit.register(_finish_at_exit)
    return True


def _finish_at_exit():
    """atexit of a process recorded through ENV_VAR: its exit status is not
    known here (sys.exit's code never reaches Python code); an uncaught
    exception is (sys.last_exc), and means status 1."""
    if not recording_now():
        return
    exc = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    if isinstance(exc, SystemExit):
        exc = None
    stop(exit_status=1 if exc is not None else None, exception=exc, _ended="exit")


def _exit(status):
    """os._exit while ctgen_tracer records: finish the trace, then exit."""
    if recording_now():
        try:
            stop(exit_status=status if type(status) is int else None, _ended="os._exit")
        except Exception:
            pass
    _real_exit(status)


_exit.__name__ = _exit.__qualname__ = "_exit"
_exit.__module__ = _real_exit.__module__
_exit.__doc__ = _real_exit.__doc__


def _on_sigterm():
    """Called by the recorder's SIGTERM thread (see src/sigterm.c) of a
    recorded child: finish the trace; the process then dies of SIGTERM."""
    with _stop_lock:
        if recording_now():
            try:
                stop(_ended="SIGTERM")
            except BaseException as e:   # the process dies next: say why its trace is cut
                try:
                    sys.stderr.write("ctgen-tracer: cannot finish the trace of process %d on SIGTERM: "
                                     "%s: %s\n" % (os.getpid(), type(e).__name__, e))
                except BaseException:
                    pass


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
