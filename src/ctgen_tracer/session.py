"""The recording session of this process: start, stop, and what a trace's
metadata says about it.

A session is a dict (see start()); `current` is this process's, or None.
Other modules attach to a session through start hooks (on_start): each
is called with the new session and may return a function that stop()
calls before it finishes the trace (children.py follows child processes
so); functions in the session's "after_stop" list are called once the
trace is finished (signals.py gives SIGTERM its default action back)."""

import _thread
import os
import signal
import sys
import time

from . import _native, sources, tracedir
from .selection import DEFAULT_REDACT, make_selector

__version__ = "0.1.0"

TOOL_ID = 4                         # a sys.monitoring tool id without a predefined role
EVENTS = tuple(_native.events())    # the spec's events, as this build knows them
OPTIONS = tuple(o for o in _native.OPTIONS.split(",") if o)
# The value limits and the chunk size: name -> (default, lowest, highest).
LIMITS = {name: tuple(v) for name, v in _native.LIMITS.items()}
CAPTURE_IO = True                   # record program output unless told not to (see docs/design.md)
COMPRESS_LEVEL = 3                  # zlib level of compress=True (bench/README.md, "Compression")
CAPS = ("max_trace_size", "max_steps")   # start()'s caps: None, or an int >= 1

current = None                      # this process's session, or None
stop_lock = _thread.RLock()         # a stop() in progress is finished before a signal kills
_start_hooks = []


def on_start(hook):
    """Call hook(session) at every start(); a callable it returns is called
    (without arguments) by stop() before the trace is finished."""
    _start_hooks.append(hook)


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


def check_redact(redact):
    """The redaction fragments as a tuple; ValueError for one that names no
    word (empty, or not made of letters, digits and _ with a letter)."""
    if isinstance(redact, (str, bytes)) or not hasattr(redact, "__iter__"):
        raise ValueError("redact must be a sequence of name fragments, not %s" % _plain(redact))
    out = tuple(redact)
    for f in out:
        if not isinstance(f, str) or not ("x" + f).isidentifier() or _native.redact_words(f) == "_":
            raise ValueError("redact: %s is not a name fragment (letters, digits and _, with a letter: it "
                             "matches whole words of names, e.g. token matches auth_token and authToken)"
                             % (repr(f) if isinstance(f, str) else _plain(f)))
    return out


def check_cap(name, value, label=None):
    """A cap of start() (CAPS): None (no cap) or an int >= 1 (up to 2**63)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 1 << 63:
        return int(value)
    raise ValueError("%s must be a positive integer or None, not %s" % (label or name, _plain(value)))


def check_inline_values(inline_values):
    """start()'s inline_values: None, True or False."""
    if inline_values is None or inline_values is True or inline_values is False:
        return inline_values
    raise ValueError("inline_values must be True, False or None, not %r" % (inline_values,))


def compress_level(compress):
    """The zlib level of start()'s compress argument (0: none)."""
    if compress is True:
        return COMPRESS_LEVEL
    if compress is False or compress is None or compress == 0:
        return 0
    if isinstance(compress, int) and 1 <= compress <= 9:
        return compress
    raise ValueError("compress must be True, False or a zlib level 1-9, not %r" % (compress,))


def start(trace_dir, *, events=(), include=(), exclude=(), values=True, redact=DEFAULT_REDACT,
          max_depth=LIMITS["max_depth"][0], max_items=LIMITS["max_items"][0],
          max_text=LIMITS["max_text"][0], max_nodes=LIMITS["max_nodes"][0],
          chunk_bytes=LIMITS["chunk_bytes"][0], force=False,
          tool=TOOL_ID, program=None, args=None, capture_io=CAPTURE_IO, follow_children=True,
          follow_subprocess=False, compress=False, max_trace_size=None, max_steps=None,
          inline_values=None, _parent=None, _root=None):
    """Start recording into directory trace_dir.

    events: opt-in event options (see OPTIONS) on top of the default events;
    include/exclude: globs on module names or file paths; values: record
    variables and arguments; redact: name fragments whose values are hidden
    (a fragment matches whole words of a name, where _, digits and case
    changes separate words, a plural s allowed: token hides auth_token,
    authToken and TOKENS, not tokenizer; empty to hide nothing); max_depth/max_items/max_text/max_nodes: value
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
    inline_values: True reads instances' attributes where CPython keeps
    them, without making their __dict__ (what the program's gc counts and
    its memory stay as untraced; recording object-heavy code costs up to 2x
    more on 3.12 and 3.13.1+, where a made dict's watcher tells its
    changes); False makes the dict; None (the default) reads them in place
    where that costs no more (CPython 3.13.0). See docs/design.md.
    compress: the writer thread compresses chunks with zlib (True: level
    COMPRESS_LEVEL, or a level 1-9; see docs/trace-format.md, "Compressed
    chunks"): traces several times smaller, read by the same reader.
    max_trace_size, max_steps: caps (None: none): once the event file has
    max_trace_size bytes, or max_steps Steps (lines) were recorded, recording
    stops cleanly (checked per chunk: a cap is passed by a few chunks at
    most); the program runs on, the trace is complete and its metadata names
    the cap ("cap"). Each recorded process has its own."""
    global current
    if current is not None:
        raise RuntimeError("ctgen_tracer is already recording into %s" % current["dir"])
    names = event_names(events)
    max_depth, max_items, max_text, max_nodes, chunk_bytes = (
        check_limit(n, v) for n, v in (("max_depth", max_depth), ("max_items", max_items),
                                       ("max_text", max_text), ("max_nodes", max_nodes),
                                       ("chunk_bytes", chunk_bytes)))
    level = compress_level(compress)
    inline_values = check_inline_values(inline_values)
    redact = check_redact(redact)
    max_trace_size = check_cap("max_trace_size", max_trace_size)
    max_steps = check_cap("max_steps", max_steps)
    tracedir.prepare(trace_dir, force)
    if _parent is None:
        tracedir.clear_children(trace_dir)
    options = {"values": bool(values), "max_depth": max_depth, "max_items": max_items,
               "max_text": max_text, "max_nodes": max_nodes, "redact": list(redact),
               "include": list(include),
               "exclude": list(exclude),
               "capture_io": bool(capture_io), "follow_children": bool(follow_children),
               "follow_subprocess": bool(follow_subprocess), "compress": level,
               "max_trace_size": max_trace_size, "max_steps": max_steps,
               "inline_values": inline_values}
    meta = {
        "recorder": {"name": "ctgen-tracer", "version": __version__,
                     "format_version": _native.FORMAT_VERSION},
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
    tracedir.write_json(os.path.join(trace_dir, tracedir.METADATA_FILE), meta)
    root = os.path.abspath(_root if _root is not None else trace_dir)
    s = {"dir": trace_dir, "meta": meta, "t0": None, "pid": os.getpid(), "root": root, "tool": tool,
         "chunk_bytes": chunk_bytes, "options": dict(options, events=list(events)),
         "on_stop": [], "after_stop": []}
    selector = make_selector(include, exclude, sources.registered)
    try:
        sources.begin(trace_dir)
        s["after_stop"].append(sources.end)
        for hook in _start_hooks:   # before recording starts: none of this is recorded
            undo = hook(s)
            if undo is not None:
                s["on_stop"].append(undo)
        meta["output"] = _native.start(os.path.join(trace_dir, tracedir.EVENTS_FILE), tool, names,
                                       selector, redact,
                                       values=int(bool(values)), max_depth=max_depth,
                                       max_items=max_items, max_text=max_text, max_nodes=max_nodes,
                                       chunk_bytes=chunk_bytes, capture_io=int(bool(capture_io)),
                                       compress=level, max_trace_size=max_trace_size,
                                       max_steps=max_steps,
                                       inline_values={None: -1, True: 1, False: 0}[options["inline_values"]])
    except BaseException:
        for undo in list(reversed(s["on_stop"])) + s["after_stop"]:
            undo()
        raise
    s["t0"] = time.perf_counter()
    current = s


def stop(exit_status=None, exception=None, _ended=None):
    """Stop recording; finish the trace directory. Returns a summary dict
    (events, bytes, chunks, seconds, error, dir)."""
    global current
    with stop_lock:   # a signal meanwhile waits for it (see signals.py)
        if current is None:
            raise RuntimeError("ctgen_tracer is not recording")
        s, current = current, None
        try:
            for undo in reversed(s["on_stop"]):
                undo()
            return _finish(s, exit_status, exception, _ended)
        finally:
            for undo in s["after_stop"]:
                undo()
            # A SIGTERM or SIGHUP caught while recording ends the process
            # now that its trace is finished, as it would have untraced,
            # even if the program ran on to this stop before the signal's
            # thread got the GIL (src/sigterm.c).
            _native.sigterm_die()


def stop_if_recording(**how):
    """stop(**how) if this process records; None if not. A stop() in progress
    on another thread (a signal's) is waited for: the trace is finished when
    this returns, and the process may exit."""
    with stop_lock:
        if recording_now():
            return stop(**how)
    return None


def forget():
    """Drop this process's session without finishing it (a fork child's
    copy of its parent's); returns it."""
    global current
    s, current = current, None
    return s


def recording_now():
    """True while this process records (start() was called, stop() not yet)."""
    return current is not None and current["pid"] == os.getpid()


def _finish(s, exit_status, exception, ended):
    caught = _native.sigterm_caught()
    if caught and not ended:   # the process dies of it next (stop()): no exit of its own
        ended, exit_status, exception = signal.Signals(caught).name, None, None
    if exit_status is not None or exception is not None:
        _native.exit(exit_status if exit_status is not None else 1, exception)
    stats = _native.stop()
    stats["seconds"] = time.perf_counter() - s["t0"]
    stats["dir"] = s["dir"]
    meta = s["meta"]
    meta.update(complete=True, end_time=time.time(), exit_status=exit_status, ended_by=ended or "stop",
                uncaught_exception=None if exception is None else
                "%s: %s" % (type(exception).__qualname__, _safe_message(exception)),
                stats={k: stats[k] for k in ("records", "steps", "events", "bytes", "chunks", "dict_watcher",
                                             "pure_skips", "target_passes", "epoch_passes", "pure_line_skip",
                                             "frame_slots")
                       + (("uncompressed_bytes", "compressed_chunks") if meta["options"]["compress"] else ())},
                recording_error=stats["error"],
                clock={"source": "CLOCK_MONOTONIC", "origin_ns": stats.pop("clock_origin_ns")},
                cap=None if stats["cap"] is None else {"option": stats["cap"],
                                                       "limit": meta["options"][stats["cap"]]})
    paths = stats.pop("paths")
    try:   # paths first: complete metadata says the directory is whole
        tracedir.write_json(os.path.join(s["dir"], tracedir.PATHS_FILE), paths)
        tracedir.write_json(os.path.join(s["dir"], tracedir.METADATA_FILE), meta)
    except OSError as e:   # a full disk: the event file holds what it could
        stats["error"] = stats["error"] or "cannot write the trace metadata: %s" % (e.strerror or e)
        return stats
    # a signal's end: the process dies as soon as its trace is whole (a supervisor's grace period
    # may be short): the index the writer thread kept, written in C, but never a scan of the file
    _write_index(s["dir"], stats, scan=ended not in signal.Signals.__members__)
    return stats


def _write_index(trace_dir, stats, scan=True):
    """Write the trace's random-access index (index.py) now that the trace
    is finished, so that the first open loads it rather than scanning the
    whole trace (its chunks are still in the page cache): the one the writer
    thread built as it wrote the event file (written in C, about 0.1 s of
    CPU per GB), else, when scan, by a scan of the file (about 1 s per GB).
    A recording a SIGTERM or SIGHUP ended does not scan: its process is to
    die as soon as its trace is whole, and its first reader builds the
    index. It is a cache: a trace it cannot be made for (damaged, a full
    disk) is left without one and its readers build it
    (stats["index_error"] says why)."""
    t = time.perf_counter()
    try:
        if not _writer_index(trace_dir) and scan:
            from . import index      # the reader's modules: loaded only when the file must be scanned
            index.write(trace_dir)
    except Exception as e:      # noqa: BLE001 - any failure leaves the trace without an index, as a crash would
        stats["index_error"] = "%s: %s" % (type(e).__name__, e)
    stats["index_seconds"] = time.perf_counter() - t


def _writer_index(trace_dir):
    """Write the index the writer thread built as it wrote the event file
    (src/windex.c: the very index index.py's build() gives, its JSON written
    in C), through a temporary file renamed over INDEX_FILE. False when it
    cannot be used (then the event file is scanned)."""
    path = os.path.join(trace_dir, tracedir.INDEX_FILE)
    steps, _why = _native.write_writer_index(os.path.join(trace_dir, tracedir.EVENTS_FILE), path + tracedir.TMP,
                                             tracedir.INDEX_VERSION, tracedir.TIMELINE_SPANS)
    if steps is None:
        return False
    os.replace(path + tracedir.TMP, path)
    return True


def _safe_message(exc):
    """The message of a built-in exception; user types are named only."""
    if type(exc).__module__ == "builtins" and len(exc.args) == 1 and type(exc.args[0]) is str:
        return exc.args[0]
    return ""
