"""The trace directory: its file names, preparing it, writing its JSON files.

    DIR/trace.ctgt              the event file (docs/trace-format.md)
    DIR/ctgen_metadata.json     what was recorded, how it ended
    DIR/ctgen_paths.json        the recorded paths in id order
    DIR/sources.jsonl           the text of recorded code compiled from strings (sources.py)
    DIR/ctgen_index.json        the random-access index readers build (index.py), optional
    DIR/children/<pid>/         a child process's trace (the same layout)

Traces of event file format 1 and 2 named the JSON files trace_metadata.json
and trace_paths.json (OLD_NAMES): CodeTracer's names, which made its `ct`
take our directory for one of its traces. They are read (find()), never
written.
"""

import json
import os

from .errors import TraceDirError
from .trace_tables import MAGIC

EVENTS_FILE = "trace.ctgt"
METADATA_FILE = "ctgen_metadata.json"
PATHS_FILE = "ctgen_paths.json"
SOURCES_FILE = "sources.jsonl"
INDEX_FILE = "ctgen_index.json"
INDEX_VERSION = 3                   # the index file's format (index.py; 2: each chunk's clock; 3: chunk columns)
TIMELINE_SPANS = 4000               # activations the index keeps for the whole-run timeline, about
CHILDREN_DIR = "children"
OWN_FILES = frozenset((EVENTS_FILE, METADATA_FILE, PATHS_FILE, SOURCES_FILE, INDEX_FILE, CHILDREN_DIR))
OLD_NAMES = {METADATA_FILE: "trace_metadata.json", PATHS_FILE: "trace_paths.json"}   # formats 1, 2
OLD_FILES = frozenset(OLD_NAMES.values())
TMP = ".tmp"                        # a JSON file being replaced (write_json)
PROBE = ".ctgen-write-test"         # prepare's test of the directory's write access
DEFAULT_DIR = "ctgen-trace"         # where a recording goes without -o, and what readers open without DIR


def add_dir_argument(parser, help="the trace directory (default: %s)" % DEFAULT_DIR):
    """The readers' DIR argument: optional, the recorder's default when left out."""
    parser.add_argument("dir", nargs="?", default=DEFAULT_DIR, help=help)


def write_json(path, obj, errors="strict", **dump_options):
    """Write obj to path through a temporary file renamed over it: a crash
    leaves the old file or the new one, never a torn one. errors: the UTF-8
    encoder's error handler; dump_options go to json.dumps (default:
    indent=2)."""
    tmp = path + TMP
    try:
        with open(tmp, "w", encoding="utf-8", errors=errors) as f:
            # dumps, not dump: dump encodes in Python, dumps (without an
            # indent) in C: the index of a trace is tens of thousands of values
            f.write(json.dumps(obj, **(dump_options or {"indent": 2})))
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def find(trace_dir, name):
    """The path of our file `name` (METADATA_FILE, PATHS_FILE) in trace_dir,
    or of its name in a format-1 or -2 trace (OLD_NAMES) when only that one
    exists; None when neither does."""
    for n in (name, OLD_NAMES.get(name)):
        if n and os.path.lexists(os.path.join(trace_dir, n)):
            return os.path.join(trace_dir, n)
    return None


def is_own_trace(trace_dir, entries):
    """Whether directory trace_dir (holding `entries`) holds only a
    ctgen-tracer trace of any format, complete or cut short (a leftover
    *.tmp of our JSON files, an event file with only part of its header,
    metadata only, or prepare's write test alone: killed before it was
    removed)."""
    entries = set(entries) - {PROBE}
    if not entries:
        return True
    names = {e[:-len(TMP)] if e.endswith(TMP) else e for e in entries}
    metadata = METADATA_FILE if METADATA_FILE in names else OLD_NAMES[METADATA_FILE]
    if not names <= OWN_FILES | OLD_FILES or not names & {EVENTS_FILE, metadata}:
        return False
    if EVENTS_FILE in entries:
        path = os.path.join(trace_dir, EVENTS_FILE)
        if not os.path.isfile(path):   # a FIFO, a device, a directory: not a trace of ours
            return False
        with open(path, "rb") as f:
            head = f.read(len(MAGIC))
        return MAGIC.startswith(head)   # empty or part of the header: killed at once
    if metadata not in entries:   # only what a kill while writing the first metadata leaves
        return True
    if not os.path.isfile(os.path.join(trace_dir, metadata)):
        return False
    try:
        with open(os.path.join(trace_dir, metadata), "rb") as f:
            meta = json.loads(f.read(1 << 20))
        return meta["recorder"]["name"] == "ctgen-tracer"
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return False


def prepare(trace_dir, force):
    """Create trace_dir, or reuse it if it is empty or holds our own trace
    (or with force: our files are replaced, other files are left alone). The
    JSON files of an older trace of ours under their old names (OLD_NAMES)
    are removed; not with force alone (they may be CodeTracer's)."""
    if os.path.exists(trace_dir) and not os.path.isdir(trace_dir):
        raise TraceDirError("%s exists and is not a directory" % trace_dir)
    stale = [PATHS_FILE, PATHS_FILE + TMP, METADATA_FILE + TMP, SOURCES_FILE,    # a previous trace's
             INDEX_FILE, INDEX_FILE + TMP]
    if os.path.isdir(trace_dir):
        entries = set(os.listdir(trace_dir))
        own = bool(entries) and is_own_trace(trace_dir, entries)
        if entries and not force and not own:
            raise TraceDirError("%s is not empty and holds no ctgen-tracer trace; "
                                "choose another directory or use --force" % trace_dir)
        if own:
            stale += [n + t for n in OLD_FILES for t in ("", TMP)]
    try:
        os.makedirs(trace_dir, exist_ok=True)
        probe = os.path.join(trace_dir, PROBE)
        with open(probe, "w"):
            pass
        os.remove(probe)
        for name in stale:
            if os.path.lexists(os.path.join(trace_dir, name)):
                os.remove(os.path.join(trace_dir, name))
    except OSError as e:
        raise TraceDirError("cannot write to %s: %s" % (trace_dir, e.strerror or e)) from None


def clear_children(trace_dir):
    """Remove trace_dir/children/ of an earlier recording (only when every
    entry in it is a trace of ours or empty: never the user's files)."""
    d = os.path.join(trace_dir, CHILDREN_DIR)
    if not os.path.isdir(d):
        return
    for name in os.listdir(d):
        sub = os.path.join(d, name)
        if not os.path.isdir(sub) or not set(os.listdir(sub)) <= (OWN_FILES - {CHILDREN_DIR}) | OLD_FILES:
            return
    import shutil   # (only here: not imported for every recording)
    shutil.rmtree(d, ignore_errors=True)


def new_child_dir(root):
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
