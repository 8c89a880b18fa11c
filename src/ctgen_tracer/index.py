"""Random access to a trace: seek to a step, a call, a thread or a line
without decoding what comes before.

    t = index.Trace(DIR)                   # a reader.Trace with random access
    s = t.step(1_000_000)                  # one chunk decoded
    s.function, s.line, s.variables(), s.changed(), s.frames()
    t.seek_call("fib", 41)                 # the first step of fib's 42nd call
    t.index.move(n, "back_out")            # the index (built by one scan, or loaded): seeks, moves

Chunks are self-contained (docs/trace-format.md, "The stream": an
activation's first Step in a chunk other than its Call's is a keyframe with
every variable), so the state at a step is one chunk's decoding started from
what the index says about the chunk's start: the open activations of each
thread (their ids, functions, latest steps and the chunk that opened them)
and the thread that is current. The index keeps, per chunk, its frame's
offset, its first step and record number, its step count, the smallest call
depth of each thread's steps in it (so that "step over", "step out" and
their reverses skip chunks that cannot hold the answer), and its Output
count; per function the chunks holding its calls and how many; per line the
chunks that run it; the trace's definitions (paths, functions, types,
names); each thread's first and last step; and the longest activations for
a whole-run timeline. Its file is tracedir.INDEX_FILE (format:
docs/trace-format.md, "The index"); a reader whose trace has none, or one
made for another event file (a trace cut by a crash, recorded again),
builds it by one scan that reads only the record vectors (no values) and
saves it when it can write to the trace directory (Building: the scan in a
thread, an Index of the chunks scanned so far given as soon as it can show a
step, for the viewer). The scan runs in C (the
native module's Indexer: src/decode.c walks each chunk by the spec's tables,
no Python object per record) or, without the native module, in pure Python
(_build_py: the same index; tests/test_index.py checks that both agree).

A step's state is one chunk's decoding (ChunkState): its records walked in
C (the native module's chunk_walk, src/walk.c) into tables from which a
StepState, snapshot or Record is made only when asked for; ChunkStatePy,
the same from Trace.chunk_rows in Python, is the reference a test compares
it with, and what runs without the native module. Everything else here is
on the reader's public API (Trace.chunk_rows, row_record and row_of,
EventFile.raw_chunks, chunks and chunk_bytes, the Records and their values).
"""

import base64
import binascii
import bisect
import json
import os
import re
import sys
import threading
from array import array
from collections import OrderedDict
from itertools import accumulate

from . import reader
from .reader import (ALL_NAMES, CHUNK_FIELDS, CLOCK_SINCE, CLOSES, COMPACT, DEFINITIONS, FIELD_REFS, NOT_RECORDED, OBJECT_DEFINITIONS, OPENS,
                     RECORD_NAMES, RECORDS,
                     THREAD_EVENT_EXIT, Activations, Chunk, ChunkFunctions, Function, OMITS, Stream, TraceError)
from .tracedir import INDEX_FILE, INDEX_VERSION, TIMELINE_SPANS, write_json

CACHED_CHUNKS = 12             # decoded chunks kept (each: its steps and snapshots)

_KIND = {n: i for i, n in enumerate(RECORD_NAMES)}
_VECTOR = [CHUNK_FIELDS[len(CHUNK_FIELDS) - len(RECORDS) + i][0] for i in range(len(RECORDS))]


def _field(name, field):
    return RECORDS[_KIND[name]][1].index(field)


def _key(fid, line):
    return "%d:%d" % (fid, line)


def write(trace_dir):
    """Write the index of the trace in trace_dir there (INDEX_FILE) by a
    scan of its event file (build), as a reader opening it would build it:
    session.stop() calls it once the trace is finished when the index the
    writer thread built as it wrote the event file (src/windex.c, written
    by _native.write_writer_index) cannot be used. Returns the index's step
    count."""
    trace = reader.Trace(trace_dir, skip_damaged=True)
    data = build(trace)
    _save(trace_dir, data)
    return data["steps"]


# The index file's form (version 3, docs/trace-format.md "The index"): the
# chunk entries' numbers as little-endian int64 columns, one row of
# _COLUMNS per chunk, in base64 ("columns": decoded at open without a JSON
# value per number), and the rest of each entry as its own JSON text
# ("states": decoded when that chunk is first read); `calls` and `lines`
# last, then "front", the offset of the text before them: an open reads
# and decodes that text alone, they are read at their first use.
_COLUMNS = ("off", "step0", "steps", "rec0", "recs", "act0", "out", "clock")
_NCOL = len(_COLUMNS)
_OLD_VERSIONS = (2,)        # read as well (their chunks a JSON list of entries), and saved again as INDEX_VERSION


def file_form(data):
    """The data of the index file (what json.loads gives of it) of
    build()'s data: `chunks` as `columns` and `states`, the rest as it is.
    src/windex.c writes the same JSON."""
    cols, states = array("q"), []
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    for e in data["chunks"]:
        clock = e["clock"]
        cols.extend((e["off"], e["step0"], e["steps"], e["rec0"], e["recs"], e["act0"], e["out"],
                     -1 if clock is None else clock))
        st = {"thread": e["thread"], "stacks": e["stacks"], "mind": e["mind"]}
        if "damaged" in e:
            st["damaged"] = e["damaged"]
        states.append(dumps(st))
    if sys.byteorder != "little":
        cols.byteswap()
    out = {}
    for k in _ORDER + tuple(k for k in data if k not in _ORDER and k not in _LAST and k not in _MADE):
        if k == "chunks":
            out["columns"] = base64.b64encode(cols.tobytes()).decode("ascii")
            out["states"] = states
        else:
            out[k] = data[k]
    out["version"] = INDEX_VERSION
    front = len(dumps(out)) - 1     # (ASCII: its characters are its bytes)
    for k in _LAST:
        out[k] = data[k]
    out["front"] = front
    return out


_ORDER = ("version", "events_size", "chunk_count", "steps", "records", "activations", "chunks", "threads",
          "timeline", "timeline_min_steps", "paths", "functions", "types", "names")
_LAST = ("calls", "lines")
_MADE = ("columns", "states", "front")      # (of a file's data read whole: made again)
_FRONT = re.compile(rb',"front":([0-9]{1,15})}\n?\Z')      # how a version-3 file ends


def _save(trace_dir, data):
    """Write build()'s data as trace_dir's INDEX_FILE (file_form)."""
    write_json(os.path.join(trace_dir, INDEX_FILE), file_form(data), separators=(",", ":"))


class _Chunks:
    """The chunk entries of an index file (version 3): a sequence of the
    dicts build() makes, each made when first read from the columns and
    its state's JSON; `col` holds the columns as lists (a clock of -1:
    none)."""

    __slots__ = ("col", "states", "made")

    def __init__(self, raw, states):
        a = array("q")
        a.frombytes(raw)
        if sys.byteorder != "little":
            a.byteswap()
        self.col = {k: a[i::_NCOL].tolist() for i, k in enumerate(_COLUMNS)}
        self.states = states
        self.made = [None] * len(states)

    def __len__(self):
        return len(self.made)

    def __getitem__(self, i):
        if type(i) is slice:
            return [self[k] for k in range(*i.indices(len(self.made)))]
        e = self.made[i]
        if e is None:
            e = self.made[i] = self._entry(i if i >= 0 else i + len(self.made))
        return e

    def __iter__(self):
        for i in range(len(self.made)):
            yield self[i]

    def __eq__(self, other):
        return list(self) == list(other) if isinstance(other, (list, _Chunks)) else NotImplemented

    __hash__ = None

    def _entry(self, i):
        try:
            st = json.loads(self.states[i])
        except (ValueError, TypeError, RecursionError):
            st = None
        if not _state_ok(st):
            raise TraceError("the index file %s: the entry of chunk %d is damaged: remove it to build it again"
                             % (INDEX_FILE, i))
        c = self.col
        clock = c["clock"][i]
        e = {"off": c["off"][i], "step0": c["step0"][i], "rec0": c["rec0"][i], "recs": c["recs"][i],
             "act0": c["act0"][i], "thread": st["thread"], "stacks": st["stacks"], "out": c["out"][i],
             "steps": c["steps"][i], "mind": st["mind"], "clock": None if clock < 0 else clock}
        if "damaged" in st:
            e["damaged"] = st["damaged"]
        return e


def _state_ok(st):
    """Whether a chunk's state (thread, stacks, mind) has the shape build() gives."""
    if type(st) is not dict or type(st.get("stacks")) is not dict or type(st.get("mind")) is not dict \
            or type(st.get("thread", "")) not in (int, type(None)) or set(st) - {"thread", "stacks", "mind", "damaged"}:
        return False
    for stack in st["stacks"].values():
        if type(stack) is not list:
            return False
        for a in stack:
            if type(a) is not list or len(a) != 6 or not all(type(a[k]) is int for k in (0, 1, 3)):
                return False
    return all(type(d) is int for d in st["mind"].values())


def _define(trace, record, fields):
    """A definition as reader.Trace._define checks and applies it."""
    if DEFINITIONS[record] == "function" and fields["path"] not in trace.paths:
        raise TraceError("function %d uses undefined path %d" % (fields["id"], fields["path"]))
    trace._defined(record, fields)


def _assemble(trace, chunks, res):
    """The index (a dict, as INDEX_FILE holds it) of the chunks' entries and
    the trace-wide tables (the Indexer's finish())."""
    threads = res["threads"]
    _first_last(chunks, threads)
    f = trace.file
    return {
        "version": INDEX_VERSION, "events_size": f.size, "chunk_count": f.chunk_count,
        "steps": res["steps"], "records": res["records"], "activations": res["activations"], "chunks": chunks,
        "calls": res["calls"], "lines": res["lines"], "threads": threads,
        "timeline": res["timeline"], "timeline_min_steps": res["timeline_min_steps"],
        **_definitions(trace),
    }


def _native_indexer():
    """The native module's Indexer (src/decode.c), or None without it."""
    try:
        from ._native import Indexer
    except ImportError:
        return None
    return Indexer


def build(trace, native=None, progress=None):
    """The index of trace (a dict, as INDEX_FILE holds it), by one scan of
    its record vectors: with the native module's Indexer (src/decode.c, no
    Python object per record) or, without it or with native=False, in pure
    Python (the same index). A damaged chunk (its frame's CRC-32, its
    decompression, its FlatBuffer, its seq) is kept as an entry with no
    steps (`damaged`: its error); the state after it may miss what it held.
    progress(entries): called after each chunk with the chunk entries made
    so far (a list the scan appends to: Building's prefixes)."""
    cls = _native_indexer() if native is not False else None
    if cls is None:
        if native:
            raise TraceError("the native module's indexer is not available")
        return _build_py(trace, progress)
    return _build_native(trace, cls, progress)


def _build_native(trace, cls, progress=None):
    """build() by the native module's Indexer."""
    ix = cls(define=lambda record, fields: _define(trace, record, fields), timeline=TIMELINE_SPANS,
             defines=reader.APPLIED_DEFINITIONS)
    chunks = []

    def damaged(err):
        step, nrec, acts, thread = ix.now()
        chunks.append({"off": err.offset, "step0": step, "steps": 0, "rec0": nrec, "recs": 0, "act0": acts,
                       "thread": thread, "stacks": {}, "mind": {}, "out": 0, "clock": None, "damaged": str(err)})

    seqs = {pos: seq for seq, (pos, _) in enumerate(trace.file.spans)}
    for pos, buf in trace.file.raw_chunks(damaged, reuse=True):
        seq = seqs[pos]
        status, what = ix.feed(buf, seq, pos)
        if status == 0:
            chunks.append(what)
        elif status == 1:
            damaged(reader.ChunkError(seq, pos, what))
        else:
            raise TraceError(what)
        if progress is not None:
            progress(chunks)
    return _assemble(trace, chunks, ix.finish())


def _first_last(chunks, threads):
    """Each thread's first and last step (threads: {str(thread): info}), from
    the chunks' depth entries (a thread with steps has one)."""
    for e in chunks:
        for t in e["mind"]:
            info = threads.setdefault(t, {"ident": None, "first": None, "last": None})
            if info["first"] is None:
                info["first"] = e["step0"]
            info["last"] = e["step0"] + e["steps"] - 1


def _definitions(trace):
    return {
        "paths": {str(k): v for k, v in trace.paths.items()},
        "functions": {str(k): [fn.name, fn.path, fn.line] for k, fn in trace.functions.items()},
        "types": {str(k): v for k, v in trace.types.items()},
        "names": {str(k): v for k, v in trace.names.items()},
    }


def _build_py(trace, progress=None):
    """build() in pure Python."""
    K_STEP, K_THREAD, K_OUTPUT, K_CALL = _KIND["Step"], _KIND["Thread"], _KIND["Output"], _KIND["Call"]
    K_CLOCK = _KIND["Clock"]
    opens = {_KIND[n]: _field(n, "fn") for n in OPENS}
    closes = frozenset(_KIND[n] for n in CLOSES)
    defs = {_KIND[n]: w for n, w in DEFINITIONS.items()}
    s_fn, s_line = _field("Step", "fn"), _field("Step", "line")
    omit = {_KIND[n]: _field(n, "line") for n, (of, _) in OMITS.items() if of == "Step"}   # Line: a Step without fn
    t_id, t_what, t_ident = _field("Thread", "id"), _field("Thread", "what"), _field("Thread", "ident")
    o_len = _field("Output", "text_len")
    running, threads = Activations(), {}     # running: each thread's open activations (lists)
    thread, stack = None, running.stack(None)
    step = nrec = acts = 0
    chunks, calls, lines, spans = [], {}, {}, []
    threshold = 1

    def damaged(err):
        chunks.append({"off": err.offset, "step0": step, "steps": 0, "rec0": nrec, "recs": 0, "act0": acts,
                       "thread": thread, "stacks": {}, "mind": {}, "out": 0, "clock": None, "damaged": str(err)})

    def keep(a, depth, tid):
        nonlocal threshold, spans
        if a[4] is not None and a[2] - a[4] + 1 >= threshold:
            spans.append((a[4], a[2], depth, a[1], tid))
            if len(spans) > 2 * TIMELINE_SPANS:
                threshold *= 2
                spans = [s for s in spans if s[1] - s[0] + 1 >= threshold]

    read = {K_STEP, K_THREAD, K_OUTPUT, K_CLOCK} | set(omit) | set(opens) | set(defs)     # the record vectors the scan reads
    skip = {"values"} | {_VECTOR[k] for k in range(len(RECORDS)) if k not in read}
    for pos, raw in trace.file.chunks(damaged, skip):
        seq = len(chunks)
        kinds = raw["kinds"]
        entry = {"off": pos, "step0": step, "rec0": nrec, "recs": len(kinds), "act0": acts, "thread": thread,
                 "stacks": {str(t): [list(a) for a in s] for t, s in running.stacks.items() if s}, "out": 0}
        vectors = [raw[v] for v in _VECTOR]
        cursors = [0] * len(RECORDS)
        mind, ccount, out, chunk = {}, {}, 0, None
        fns = ChunkFunctions()
        for k in kinds:
            if k >= len(cursors):
                raise TraceError("chunk %d: unknown record kind %d" % (seq, k))
            i = cursors[k]
            cursors[k] = i + 1
            if k == K_STEP or k in omit:
                f = vectors[k][i]
                if k == K_STEP:
                    fns.feed(k, f, thread)
                else:   # a Line: the function its chunk tells
                    fn = fns.feed(k, f, thread)
                    if fn is None:
                        raise TraceError("chunk %d: a %s record whose chunk tells no function of its activation"
                                         % (seq, RECORD_NAMES[k]))
                    f = (fn, f[omit[k]])
                if stack:
                    a = stack[-1]
                    a[2] = step
                    a[5] = f[s_line]
                    if a[4] is None:
                        a[4] = step
                d = len(stack)
                if mind.get(thread, d + 1) > d:
                    mind[thread] = d
                key = _key(f[s_fn], f[s_line])
                where = lines.get(key)
                if where is None:
                    lines[key] = [seq]
                elif where[-1] != seq:
                    where.append(seq)
                step += 1
            elif k in opens:
                fns.feed(k, vectors[k][i], thread)
                fid = vectors[k][i][opens[k]]
                running.open(thread, [acts, fid, None, seq, None, None])   # id, function, latest step, opened in,
                #                                                       first step, line of the latest step
                acts += 1
                if k == K_CALL:
                    ccount[fid] = ccount.get(fid, 0) + 1
            elif k in closes:
                fns.feed(k, None, thread)
                if stack:
                    keep(running.close(thread), len(stack), thread)
            elif k == K_THREAD:
                f = vectors[k][i]
                tid = f[t_id]
                info = threads.setdefault(tid, {"ident": f[t_ident], "first": None, "last": None})
                if f[t_what] != THREAD_EVENT_EXIT:
                    thread, stack = tid, running.stack(tid)
                else:
                    info["exit_step"] = step
            elif k == K_OUTPUT:
                out += vectors[k][i][o_len]
            elif k in defs and defs[k] not in OBJECT_DEFINITIONS:   # ids only: no value is decoded
                if chunk is None:
                    chunk = Chunk(raw, trace.types)
                trace._define(chunk, defs[k], dict(zip(RECORDS[k][1], vectors[k][i])))
        for k in read:
            if cursors[k] > len(vectors[k]):
                raise TraceError("chunk %d: more %s kinds than %s records" % (seq, RECORD_NAMES[k], RECORD_NAMES[k]))
        for fid, n in ccount.items():
            calls.setdefault(str(fid), []).append([seq, n])
        entry.update(steps=step - entry["step0"], mind={str(t): d for t, d in mind.items()}, out=out,
                     clock=vectors[K_CLOCK][0][0] if kinds and kinds[0] == K_CLOCK else None)
        chunks.append(entry)
        nrec += len(kinds)
        if progress is not None:
            progress(chunks)
    for tid, s in running.stacks.items():      # activations still open at the end
        while s:
            keep(running.close(tid), len(s), tid)
    spans.sort()
    threads = {str(t): v for t, v in threads.items()}
    _first_last(chunks, threads)
    f = trace.file
    return {
        "version": INDEX_VERSION, "events_size": f.size, "chunk_count": f.chunk_count,
        "steps": step, "records": nrec, "activations": acts, "chunks": chunks, "calls": calls, "lines": lines,
        "threads": threads, "timeline": [list(s) for s in spans], "timeline_min_steps": threshold,
        **_definitions(trace),
    }


_DEFERRED = (b',"calls":{', b'},"threads":{')     # where build()'s JSON has calls and lines, none needed to open


class _IndexData(dict):
    """An index file's data whose `calls` and `lines` (two thirds of its
    JSON on a big trace, needed only to seek a call or a line) are decoded
    when first read: `rest`, their JSON text (or a _Rest of the file that
    holds it), until then."""

    rest = None

    def __missing__(self, key):
        if key not in ("calls", "lines") or self.rest is None:
            raise KeyError(key)
        self.full()
        return self[key]

    def full(self):
        """Decode calls and lines now (when not yet): self."""
        if self.rest is None:
            return self
        try:
            rest = self.rest
            both = json.loads(rest.read() if type(rest) is _Rest else rest)
        except (ValueError, RecursionError, OSError) as e:
            raise TraceError("the index file %s: its calls and lines are no JSON (%s): remove it to build it again"
                             % (INDEX_FILE, e)) from None
        if not (isinstance(both, dict) and isinstance(both.get("calls"), dict)
                and isinstance(both.get("lines"), dict)):
            raise TraceError("the index file %s: its calls and lines are not tables: remove it to build it again"
                             % INDEX_FILE)
        self.rest = None
        self.update(calls=both["calls"], lines=both["lines"])
        return self

    # what reads the whole table sees calls and lines too
    def __eq__(self, other):
        return dict.__eq__(self.full(), other)

    def __ne__(self, other):
        return dict.__ne__(self.full(), other)

    __hash__ = None

    def __contains__(self, key):
        return dict.__contains__(self.full() if key in ("calls", "lines") else self, key)

    def __iter__(self):
        return dict.__iter__(self.full())

    def __len__(self):
        return dict.__len__(self.full())

    def get(self, key, default=None):
        return self[key] if key in self else default

    def keys(self):
        return dict.keys(self.full())

    def items(self):
        return dict.items(self.full())

    def values(self):
        return dict.values(self.full())

    def copy(self):
        return dict(self.full())


class _Rest:
    """The calls and lines of a version-3 index file, not read yet: bytes
    a to b of the file open as fd (the file opened, even if replaced since)."""

    def __init__(self, fd, a, b):
        self.fd, self.a, self.b = fd, a, b

    def read(self):
        """{"calls":...,"lines":...} (the JSON text); the file is closed."""
        parts, at = [b"{"], self.a
        try:
            while at < self.b:
                got = os.pread(self.fd, self.b - at, at)
                if not got:
                    raise OSError("the index file %s is shorter than when it was opened" % INDEX_FILE)
                parts.append(got)
                at += len(got)
        finally:
            self.close()
        parts.append(b"}")
        return b"".join(parts)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    __del__ = close


def _read(path):
    """The data of the index file at path: of version 3, its text before
    calls and lines decoded ("front"), they left to _Rest; else all of it
    (_loads). ValueError when it is no index file's JSON."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    rest = None
    try:
        size = os.fstat(fd).st_size
        tail = os.pread(fd, 40, max(0, size - 40))
        m = _FRONT.search(tail)
        if m is None:       # an older form (or not an index file)
            raw = os.pread(fd, size, 0)
            while len(raw) < size:
                more = os.pread(fd, size - len(raw), len(raw))
                if not more:
                    break
                raw += more
            return _loads(raw)
        front, end = int(m.group(1)), size - (len(tail) - m.start())
        if not 0 < front < end or os.pread(fd, 10, front) != b',"calls":{':
            raise ValueError("no calls where the front ends")
        buf = bytearray(front + 1)
        view, at = memoryview(buf), 0
        while at < front:
            got = os.preadv(fd, [view[at:front]], at)
            if got <= 0:
                raise ValueError("the index file is shorter than it was")
            at += got
        view.release()
        buf[front] = ord("}")
        data = json.loads(buf)
        if type(data) is not dict or "calls" in data or "lines" in data:
            raise ValueError("calls or lines in the front")
        out = _IndexData(data)
        out.rest = rest = _Rest(fd, front + 1, end)
        return out
    finally:
        if rest is None:
            os.close(fd)


def _loads(raw):
    """The data of an index file's JSON text: with calls and lines left as
    text (_IndexData) when they are where build() writes them (a key
    order json.dumps keeps), else all of it decoded at once."""
    i = raw.find(_DEFERRED[0])
    j = raw.find(_DEFERRED[1], i) if i >= 0 else -1
    if j < 0 or raw.find(b'"lines":{', i, j) < 0:
        return json.loads(raw)
    try:
        data = json.loads(raw[:i] + b"}")
        tail = json.loads(b"{" + raw[j + 2:])
    except (ValueError, RecursionError):
        return json.loads(raw)
    if not isinstance(data, dict) or not isinstance(tail, dict) or "calls" in data or "lines" in data \
            or "calls" in tail or "lines" in tail:
        return json.loads(raw)
    out = _IndexData(data)
    out.update(tail)
    out.rest = b"{" + raw[i + 1:j + 1] + b"}"
    return out


def _well_formed(data):
    """Whether an index read from a file has the shape build() gives (it is
    a cache: anything else, e.g. a damaged or hand-edited file, is built
    again rather than trusted). Column by column: a 1 GB trace's index has
    some 17,000 chunk entries, and this runs at every open."""
    ints = lambda *xs: all(type(x) is int for x in xs)      # noqa: E731
    if not ints(data["steps"], data["records"], data["activations"]):
        return False
    chunks = data["chunks"]
    if type(chunks) is _Chunks:     # version 3: the columns (ints by their form); each state when read
        col = chunks.col
        if min(col["clock"], default=0) < -1 or min(min(col[k], default=0) for k in _COLUMNS[:-1]) < 0:
            return False
        steps = col["steps"]
        if col["step0"] != list(accumulate(steps, initial=0))[:-1]:
            return False
        return _tables_ok(data, steps)
    if type(chunks) is not list or not all(type(e) is dict for e in chunks):
        return False
    only_int = {int}
    for field in ("off", "step0", "steps", "rec0", "recs", "act0", "out"):
        if not set(map(type, [e[field] for e in chunks])) <= only_int:
            return False
    if not set(map(type, [e["clock"] for e in chunks])) <= {int, type(None)} \
            or not set(map(type, [e["mind"] for e in chunks])) <= {dict}:
        return False
    stacks = [e["stacks"] for e in chunks]
    if not set(map(type, stacks)) <= {dict}:
        return False
    acts = [a for st in stacks for stack in st.values() for a in stack]
    if not set(map(len, acts)) <= {6} or not set(map(type, [x for a in acts for x in (a[0], a[1], a[3])])) <= only_int:
        return False
    steps = [e["steps"] for e in chunks]
    if [e["step0"] for e in chunks] != list(accumulate(steps, initial=0))[:-1]:
        return False
    return _tables_ok(data, steps)


def _tables_ok(data, steps):
    """_well_formed's tables and totals (steps: each chunk's step count)."""
    for table in ("threads", "paths", "functions", "types", "names") + (("calls", "lines") if getattr(data, "rest", None) is None else ()):
        if not isinstance(data[table], dict):
            return False
    return sum(steps) == data["steps"] and all(len(f) == 3 for f in data["functions"].values())


class NotYet(Exception):
    """An Index of the chunks scanned so far (complete=False: Building's
    prefix) cannot answer this: the answer needs a chunk the scan has not
    reached, or the whole trace's tables (calls, lines). Building.wait()
    gives the whole index."""


class _Partial(dict):
    """The data of an Index of the chunks scanned so far: no calls or lines
    yet (reading them raises NotYet)."""

    def __missing__(self, key):
        if key in ("calls", "lines"):
            raise NotYet("the trace's %s are not indexed yet" % key)
        raise KeyError(key)


def _prefix(trace, chunks):
    """The data of an Index (complete=False) of build()'s entries `chunks`
    of the first chunks, taken from the scan of trace while it runs (the
    definitions it has applied so far are the ones those chunks use)."""
    entries = list(chunks)
    last, threads = entries[-1], {}
    _first_last(entries, threads)
    return _Partial(version=INDEX_VERSION, events_size=trace.file.size, chunk_count=len(entries),
                    steps=last["step0"] + last["steps"], records=last["rec0"] + last["recs"], activations=None,
                    chunks=entries, threads=threads, timeline=[], timeline_min_steps=None, **_definitions(trace))


class Building:
    """The index of a trace built by a scan in a thread (build()), for a
    reader that shows its first steps before the scan is done (the viewer
    on a trace never indexed: a recording cut short by SIGKILL or a crash,
    or one whose index could not be written): first() gives, as soon as a step can
    be shown, an Index of the chunks scanned so far (complete=False: what
    needs more raises NotYet), wait() the whole Index once built (saved as
    INDEX_FILE when save and the trace directory is writable, as
    Index.open does). The scan reads its own reader.Trace; the Indexes are
    made on the caller's, `trace`."""

    def __init__(self, trace, save=True):
        self.trace = trace
        self._scan = reader.Trace(trace.dir, skip_damaged=True)
        self.total, self.scanned = self._scan.file.chunk_count, 0
        self._cond = threading.Condition()
        self._first = self._data = self._error = None
        self._stepping = None        # the first chunk with steps, once scanned
        self._save = save
        threading.Thread(target=self._run, name="ctgen-index", daemon=True).start()

    def _progress(self, chunks):
        self.scanned = len(chunks)
        if self._first is not None:
            return
        if self._stepping is None and chunks[-1]["steps"]:
            self._stepping = len(chunks) - 1
        # a step's screen may read the chunk after its own (output written as its chunk filled up)
        if self._stepping is not None and len(chunks) > self._stepping + 1:
            data = _prefix(self._scan, chunks)
            with self._cond:
                self._first = data
                self._cond.notify_all()

    def _run(self):
        try:
            data = build(self._scan, progress=self._progress)
            if self._save and os.access(self._scan.dir, os.W_OK):
                try:
                    _save(self._scan.dir, data)
                except OSError:
                    pass
        except BaseException as e:      # noqa: BLE001 - handed to the reader (wait())
            with self._cond:
                self._error = e
                self._cond.notify_all()
            return
        with self._cond:
            self._data = data
            self._cond.notify_all()

    @property
    def done(self):
        """Whether the scan has ended (wait() returns at once)."""
        return self._data is not None or self._error is not None

    def first(self):
        """An Index of the chunks scanned so far, once it can show a step
        (complete=False), or the whole one when the scan ended first."""
        with self._cond:
            self._cond.wait_for(lambda: self._first is not None or self.done)
            if self._first is None or self.done:
                return self.wait()
            return Index(self.trace, self._first, complete=False)

    def wait(self):
        """The whole Index, once the scan is done; its error when it failed."""
        with self._cond:
            self._cond.wait_for(lambda: self.done)
        if self._error is not None:
            raise self._error
        return Index(self.trace, self._data)


class Interrupted(Exception):
    """Index.state() was to decode a chunk while Index.interrupt() said to
    give way (the viewer's `extra` to the next request)."""


def _tid(t):
    return None if t == "None" else int(t)


class Act:
    """An activation (a Call, Resume or Throw until its Return, Yield or
    Unwind): `id` (its number among the trace's activations), `fid`,
    `chunk` (where it opened), `first` (its first step's number or None),
    `last` (its latest step so far), `snap` (name -> the Var or Arg Record
    holding its value: the index of its value in the chunk), `args` ([(name, Record)] when it opened in the
    decoded chunk, else None), `carried` (it opened in an earlier chunk)."""

    __slots__ = ("id", "fid", "chunk", "first", "last", "line", "snap", "args", "carried", "kind", "thread", "view",
                 "shared")

    def __init__(self, id, fid, chunk, first, last, carried, kind="Call", line=None, thread=None):
        self.id, self.fid, self.chunk, self.first, self.last, self.line = id, fid, chunk, first, last, line
        self.thread = thread
        self.snap, self.args, self.carried, self.kind = {}, None if carried else [], carried, kind
        self.view = None        # the stack view of its latest step decoded (StepState.stack)
        self.shared = False     # snap is a step's snapshot too: copy it before a change


class StepState:
    """One Step: `n` (its number in steps() order), `thread`, `fid`, `line`,
    `act` (its Act), `depth` (open activations of its thread, its own
    included), `keyframe` (the activation's first step in its chunk but
    not its first: its Vars list every variable), `stack` (the thread's
    Acts, outermost first, each with its latest step at this one and that
    step's line: ((Act, step, line), ...)), `snap` (name -> the index of its value in
    the chunk's values, as the Var or Arg that gave it says), `marked`
    (names with a Var or Unset after this Step), `events` (the Records of
    this thread after the Step, until its next one: calls, returns,
    exceptions, output), `prev` (the activation's previous step, or None).
    Its values are made when asked for (variables(), changed()): one that
    refers to objects is rendered from the chunk's objects as they were at
    the step (_ObjectsAt: `objects`, `clock`)."""

    __slots__ = ("n", "thread", "fid", "line", "act", "depth", "keyframe", "stack", "snap", "marked", "events",
                 "index", "prev", "values", "objects", "clock")

    def __init__(self, n, thread, fid, line, act, depth, keyframe, stack, index):
        self.n, self.thread, self.fid, self.line, self.act, self.depth = n, thread, fid, line, act, depth
        self.keyframe, self.stack, self.index = keyframe, stack, index
        self.snap, self.marked, self.events, self.prev = None, set(), [], None
        self.values = None      # name -> Value as at this step (values that refer to objects change without a Var)
        self.objects, self.clock = None, 0

    @property
    def function(self):
        return self.index.function(self.fid)

    def variables(self):
        """{name: Value} at the start of this step's line."""
        return dict(self.now())

    def now(self):
        """{name: Value} at this step, made at the first call (shared: not to be changed)."""
        if self.values is None:
            objects, clock = self.objects, self.clock
            self.values = {name: _value_of(objects.chunk, i, objects, clock) for name, i in self.snap.items()}
        return self.values

    def changed(self):
        """The names whose value this step shows new, changed or unbound
        (at a keyframe: compared with the activation's previous step)."""
        return self.index.changed(self)

    def frames(self):
        """[(Act, its latest step number at this step, that step's line)],
        innermost first."""
        return list(reversed(self.stack))

    def __repr__(self):
        fn = self.index.functions.get(self.fid)
        return "Step(%d, %s:%s, thread %s, depth %d)" % (self.n, fn.name if fn else self.fid, self.line,
                                                          self.thread, self.depth)


class ChunkStatePy:
    """A decoded chunk in pure Python (the reference ChunkState follows;
    without the native module it is ChunkState): its StepStates in order, its Outputs ((step number
    or None, stream, text)), the Acts its Calls opened ((Act, fid) in
    order) and every Act by id. The records are read as rows
    (Trace.chunk_rows): a Record is made only of those a screen shows
    (Args and the events after a step); a snapshot holds value indices
    into the chunk, and a step without a Var or Unset shares its
    activation's snapshot with the step before (copied when one comes)."""

    def __init__(self, index, seq):
        e = index.chunks[seq]
        self.seq, self.entry = seq, e
        self.steps, self.outputs, self.calls, self.acts = [], [], [], {}
        if e.get("damaged"):
            return
        trace, names = index.trace, index.trace.names
        running = Activations()      # each thread's open activations (Act), from the entry's on
        for t, s in e["stacks"].items():
            running.stacks[_tid(t)] = [Act(a[0], a[1], a[3], a[4], a[2], True, line=a[5], thread=_tid(t)) for a in s]
            for a in running.stacks[_tid(t)]:
                self.acts[a.id] = a
        acts = e["act0"]
        n = e["step0"]
        step0 = n
        cur = None            # the StepState whose Vars and Unsets come next
        objects = self.objects = _ObjectsAt()   # the chunk's object records, replayed when a value needs them
        log = objects.log
        last = {}             # thread -> its latest StepState in this chunk
        steps = self.steps
        record = trace.row_record
        on, stack = object(), None     # the thread of the latest record, and its open activations
        for k, row, thread, chunk in trace.chunk_rows(seq, e["thread"]):
            what = _ROLE[k]
            if what is _VAR or what is _UNSET:
                if cur is None:
                    continue
                act = cur.act
                if act.shared:
                    act.snap, act.shared = dict(act.snap), False
                if what is _VAR:
                    name = names.get(row[0])
                    if name is None:
                        raise TraceError("Var uses undefined name %d" % row[0])
                    act.snap[name] = row[_VAR_VALUE]
                    cur.marked.add(name)
                elif row[0] == ALL_NAMES:
                    act.snap.clear()
                else:
                    name = names.get(row[0])
                    if name is None:
                        raise TraceError("Unset uses undefined name %d" % row[0])
                    act.snap.pop(name, None)
                    cur.marked.add(name)
                continue
            if what is _OBJECT:
                log.append(record(k, row, thread, chunk))
                continue
            if what is _DEFINITION:
                continue
            if cur is not None:
                cur.snap, cur.act.shared = cur.act.snap, True
                cur.objects, cur.clock = objects, len(log)
                cur = None
            if what is _MARK:   # (it ends the step; the next event's value check follows)
                continue
            if thread != on:
                on, stack = thread, running.stack(thread)
            if what is _STEP:
                fid, line = row[_STEP_FN], row[_STEP_LINE]
                depth = len(stack)
                if depth:
                    act = stack[-1]
                else:    # a step outside any recorded activation
                    act = Act(-1 - n, fid, seq, None, None, False, thread=thread)
                keyframe = act.carried and (act.last is None or act.last < step0) and act.first is not None
                if act.first is None:
                    act.first = n
                prev = act.last
                act.last, act.line = n, line
                if depth > 1:   # the frames outside are as at the caller's latest step (an Act is pushed once)
                    outer = stack[-2].view
                    if outer is None:
                        outer = stack[-2].view = tuple([(a, a.last, a.line) for a in stack[:-1]])
                    view = act.view = outer + ((act, n, line),)
                else:
                    view = act.view = ((act, n, line),)
                cur = StepState(n, thread, fid, line, act, depth, keyframe, view, index)
                cur.prev = prev
                steps.append(cur)
                last[thread] = cur
                n += 1
                continue
            if what is _ARG:
                if stack and stack[-1].args is not None:
                    act = stack[-1]
                    name = names.get(row[0])
                    if name is None:
                        raise TraceError("Arg uses undefined name %d" % row[0])
                    if act.shared:
                        act.snap, act.shared = dict(act.snap), False
                    act.snap[name] = row[_ARG_VALUE]
                    act.args.append((name, _AsAt(record, k, row, thread, chunk, objects)))
                continue
            rec = None
            if what is _OPEN or what is _CALL:
                act = Act(acts, row[0], seq, None, None, False, RECORDS[k][0], thread=thread)
                acts += 1
                self.acts[act.id] = act
                if what is _CALL:
                    self.calls.append(act)
                running.open(thread, act)
            elif what is _CLOSE:
                running.close(thread)
            elif what is _OUTPUT:
                rec = record(k, row, thread, chunk)
                at = next((a.last for a in reversed(stack) if a.last is not None), None)
                self.outputs.append((at, Stream[row[_OUTPUT_STREAM]], rec.text("text")))
            holder = last.get(thread)
            if holder is not None:
                holder.events.append(_AsAt(record, k, row, thread, chunk, objects, rec))
        if steps:
            objects.chunk = chunk     # the chunk whose value indices the snapshots hold
        if cur is not None:
            cur.snap, cur.act.shared = cur.act.snap, True
            cur.objects, cur.clock = objects, len(log)

    def at(self, n):
        return self.steps[n - self.entry["step0"]]

    @property
    def nsteps(self):
        return len(self.steps)

    def act_of(self, aid):
        """The Act of id aid (carried in or opened here), or None."""
        return self.acts.get(aid)

    def step_at(self, i):
        """The StepState of the chunk's i-th step."""
        return self.steps[i]

    def find(self, i, forward, m):
        """Yield the indices of the chunk's steps from its i-th on (forward)
        or down from it (backward) that _Match m accepts."""
        steps = self.steps
        for j in (range(i, len(steps)) if forward else range(i, -1, -1)):
            if m(steps[j]):
                yield j

    def act_lines(self, aid, n):
        """(the lines of activation aid's steps in this chunk up to step n,
        the activation's step before its first one here or None)."""
        mine = [x for x in self.steps if x.act.id == aid and x.n <= n]
        return {x.line for x in mine}, mine[0].prev if mine else None

    def latest_by_thread(self, k):
        """{thread: its latest step} among the chunk's first k steps."""
        return {s.thread: s.n for s in self.steps[:k]}


class _Match:
    """What a walk looks for in a step (None: anything): its thread (_ANY:
    any thread), a depth at most max_depth, its activation's id, its line
    and function (one of fids). ChunkState tests it on its columns."""

    __slots__ = ("thread", "max_depth", "act", "line", "fids")

    def __init__(self, thread=None, max_depth=None, act=None, line=None, fids=None, any_thread=False):
        self.thread = _ANY if any_thread else thread
        self.max_depth, self.act, self.line, self.fids = max_depth, act, line, fids

    def __call__(self, s):
        return ((self.thread is _ANY or s.thread == self.thread)
                and (self.max_depth is None or s.depth <= self.max_depth)
                and (self.act is None or s.act.id == self.act)
                and (self.line is None or s.line == self.line and s.fid in self.fids))


_ANY = object()


def _native_walk():
    """The native module's chunk_walk and chunk_find (src/walk.c) and its widths, or None."""
    try:
        from ._native import CHUNK_WALK_WIDTHS, chunk_find, chunk_walk
    except ImportError:
        return None
    return chunk_walk, CHUNK_WALK_WIDTHS, chunk_find


_NATIVE_WALK = _native_walk()
_NATIVE_FIND = _NATIVE_WALK[2] if _NATIVE_WALK else None
_NONE = -(1 << 63)      # None in chunk_walk's tables
_OP_VAR, _OP_UNSET, _OP_CLEAR, _OP_COMPACT = range(4)


def _opt(v):
    return None if v == _NONE else v


class ChunkState:
    """A decoded chunk, as ChunkStatePy (the reference, which reads every
    record in Python) gives it, walked in C (src/walk.c: chunk_walk) into
    tables of int64 rows: per step its thread, function, line, activation,
    depth, previous step, keyframe, Vars and Unsets (ops), clock and events;
    per activation its id, function, kind, thread, first and latest step,
    the one it was opened in (parent) and its Args. A StepState, its
    snapshot, an Act or a Record is made only when asked for (at(n),
    step_at(i)); a walk tests its _Match on the columns (find), making
    none. The chunk's values (parse_chunk) are read at the first
    StepState, Record or Output made (a walk through a chunk reads
    none)."""

    def __init__(self, index, seq):
        e = index.chunks[seq]
        self.seq, self.entry, self.index = seq, e, index
        self.outputs, self._steps, self._acts, self._snaps, self._outers, self._rows = [], {}, {}, {}, {}, {}
        self._chunk = self._calls = self._all = None
        self.objects = _ObjectsAt()
        self.nsteps = 0
        self._S = self._A = self._O = self._E = self._L = ()
        self._Sb = b""
        if e.get("damaged"):
            return
        trace = index.trace
        self._buf = buf = trace.file.chunk_bytes(seq)
        walk, w = _NATIVE_WALK[:2]
        carried = [(_tid(t), [tuple(a) for a in st]) for t, st in e["stacks"].items()]
        try:
            tabs = walk(buf, seq, e["step0"], e["act0"], e["thread"], carried, _WALK_ROLES)
        except ValueError as err:
            trace.file.chunk(seq, buf)      # a ChunkError when its FlatBuffer is wrong
            raise TraceError(str(err)) from None
        self._Sb = tabs[0]
        self._S, self._A, self._O, self._E, U, self._L = (memoryview(b).cast("q") for b in tabs)
        self._w = w
        self.nsteps = len(self._S) // w["steps"]
        self.objects.log = _Log(self)
        wu = w["outputs"]
        for b in range(0, len(U), wu):
            k, row, thread = self._row(U[b], U[b + 1], _opt(U[b + 3]))
            rec = trace.row_record(k, row, thread, self._chunk)
            self.outputs.append((_opt(U[b + 2]), Stream[row[_OUTPUT_STREAM]], rec.text("text")))

    # ---- the chunk's values and records, read when first needed ----

    def chunk(self):
        """The reader's Chunk (its values), parsed at the first call."""
        if self._chunk is None:
            raw = self.index.trace.file.chunk(self.seq, self._buf)[1]
            self._vectors = reader.row_vectors(raw)
            self._chunk = self.objects.chunk = reader.Chunk(raw, self.index.trace.types, reader.Objects(),
                                                         self.index.trace.names)
        return self._chunk

    def _row(self, k, vi, thread):
        """(kind, row, thread) of the vi-th record of stored kind k as
        chunk_rows() gives it (a compact record as the record it stands
        for, its enums checked); an object record is not applied."""
        key = (k, vi)
        got = self._rows.get(key)
        if got is None:
            chunk = self.chunk()
            row = self._vectors[k][vi]
            if reader._ROW_PLAIN[k]:
                got = (k, row, thread)
            elif _ROLE[_canonical(k)] is _OBJECT:
                got = (k, row, thread)
                compact = reader._ROW_COMPACT[k]
                if compact is not None:
                    own, k2, i, kind, type = compact
                    reader._check_compact(own, row[i])
                    got = (k2, row[:i] + (chunk.inline(kind, type, row[i]),) + row[i + 1:], thread)
            else:
                got = self.index.trace.row_of(chunk, k, row, [thread])
            self._rows[key] = got
        return got

    def _record(self, k, vi, thread):
        k, row, thread = self._row(k, vi, thread)
        return self.index.trace.row_record(k, row, thread, self._chunk)

    def _as_at(self, k, vi, thread, clock):
        k, row, thread = self._row(k, vi, thread)
        return _AsAt(self.index.trace.row_record, k, row, thread, self._chunk, self.objects, clock=clock)

    # ---- activations ----

    def _act(self, ai):
        a = self._acts.get(ai)
        if a is None:
            A, b = self._A, ai * self._w["acts"]
            carried = bool(A[b + 4])
            a = Act(A[b], A[b + 1], A[b + 13], _opt(A[b + 5]), _opt(A[b + 6]), carried,
                    "Call" if A[b + 2] == _NONE else RECORDS[A[b + 2]][0], line=_opt(A[b + 7]), thread=_opt(A[b + 3]))
            if not carried:
                a.args = []
                names, O, wo = self.index.trace.names, self._O, self._w["ops"]
                for o in range(A[b + 11] * wo, A[b + 12] * wo, wo):
                    name = names.get(O[o])
                    if name is None:
                        raise TraceError("Arg uses undefined name %d" % O[o])
                    a.args.append((name, self._as_at(O[o + 3], O[o + 4], a.thread, O[o + 5])))
            self._acts[ai] = a
        return a

    @property
    def calls(self):
        """The Acts its Calls opened, in order."""
        if self._calls is None:
            A, wa = self._A, self._w["acts"] if self._A else 1
            self._calls = [self._act(i // wa) for i in range(0, len(A), wa) if A[i + 2] == _K_CALL]
        return self._calls

    @property
    def acts(self):
        """Every Act of the chunk (carried in or opened) by id."""
        if self._all is None:
            wa = self._w["acts"] if self._A else 1
            self._all = {a.id: a for a in (self._act(i) for i in range(len(self._A) // wa))}
        return self._all

    def act_of(self, aid):
        """The Act of id aid (carried in or opened here), or None: made alone."""
        A, wa = self._A, self._w["acts"] if self._A else 1
        for i in range(0, len(A), wa):
            if A[i] == aid:
                return self._act(i // wa)
        return None

    def _outer(self, ai):
        """((Act, its latest step, that step's line), ...) of the activations
        outside act row ai, outermost first, as while ai runs."""
        A, wa, outers = self._A, self._w["acts"], self._outers
        chain, i = [], ai
        while i >= 0 and i not in outers:
            chain.append(i)
            i = A[i * wa + 8]
        o = () if i < 0 else outers[i]
        for i in reversed(chain):
            p = A[i * wa + 8]
            if p >= 0:
                o = o + ((self._act(p), _opt(A[i * wa + 9]), _opt(A[i * wa + 10])),)
            outers[i] = o
        return o

    # ---- steps ----

    @property
    def steps(self):
        return _Steps(self)

    def at(self, n):
        return self.step_at(n - self.entry["step0"])

    def step_at(self, i):
        s = self._steps.get(i)
        if s is not None:
            return s
        if not 0 <= i < self.nsteps:
            raise IndexError("step %d of a chunk of %d" % (i, self.nsteps))
        chunk = self.chunk()
        S, b = self._S, i * self._w["steps"]
        n = self.entry["step0"] + i
        thread, fid, line, ai, depth = _opt(S[b]), S[b + 1], S[b + 2], S[b + 3], S[b + 4]
        if ai < 0:    # a step outside any recorded activation
            act = Act(-1 - n, fid, self.seq, n, n, False, line=line, thread=thread)
            view = ((act, n, line),)
        else:
            act = self._act(ai)
            view = self._outer(ai) + ((act, n, line),)
        s = StepState(n, thread, fid, line, act, depth, bool(S[b + 6]), view, self.index)
        s.prev = _opt(S[b + 5])
        s.snap = self._snap(i)
        O, wo, names = self._O, self._w["ops"], self.index.trace.names
        s.marked = {names[O[o]] for o in range(S[b + 7] * wo, S[b + 8] * wo, wo) if O[o + 2] != _OP_CLEAR}
        s.objects, s.clock = self.objects, S[b + 9]
        E, we, ev = self._E, self._w["events"], S[b + 10]
        while ev >= 0:
            x = ev * we
            s.events.append(self._as_at(E[x], E[x + 1], _opt(E[x + 2]), E[x + 3]))
            ev = E[x + 4]
        self.objects.chunk = chunk
        self._steps[i] = s
        return s

    def _snap(self, i):
        """The snapshot (name -> value index) at the chunk's i-th step."""
        S, ws, snaps = self._S, self._w["steps"], self._snaps
        chain, j = [], i
        while j >= 0 and j not in snaps:
            chain.append(j)
            j = S[j * ws + 11]
        if j >= 0:
            snap = snaps[j]
        else:
            ai = S[chain[-1] * ws + 3]
            snap = {}
            if ai >= 0 and not self._A[ai * self._w["acts"] + 4]:    # opened here: its Args first
                snap = self._apply({}, self._A[ai * self._w["acts"] + 11], self._A[ai * self._w["acts"] + 12], "Arg")
        for j in reversed(chain):
            b = j * ws
            if S[b + 8] > S[b + 7]:
                snap = self._apply(dict(snap), S[b + 7], S[b + 8])
            snaps[j] = snap
        return snap

    def _apply(self, snap, o0, o1, what=None):
        O, wo, names = self._O, self._w["ops"], self.index.trace.names
        for o in range(o0 * wo, o1 * wo, wo):
            op = O[o + 2]
            if op == _OP_CLEAR:
                snap.clear()
                continue
            name = names.get(O[o])
            if name is None:
                raise TraceError("%s uses undefined name %d"
                                 % (what or ("Unset" if op == _OP_UNSET else "Var"), O[o]))
            if op == _OP_UNSET:
                snap.pop(name, None)
            elif op == _OP_VAR:
                snap[name] = O[o + 1]
            else:
                snap[name] = self._row(O[o + 3], O[o + 4], None)[1][_VAR_VALUE]
        return snap

    # ---- walks on the columns ----

    def find(self, i, forward, m):
        """As ChunkStatePy.find, each match found in C (chunk_find)."""
        if not self.nsteps:
            return
        th = None if m.thread is _ANY else _NONE if m.thread is None else m.thread
        fids = None if m.line is None else tuple(m.fids)
        if fids is not None and len(fids) > 64:     # (chunk_find takes at most 64)
            for j in ChunkStatePy.find(self, i, forward, m):
                yield j
            return
        step = 1 if forward else -1
        while True:
            i = _NATIVE_FIND(self._Sb, i, forward, th, m.max_depth, m.act, m.line, fids)
            if i < 0:
                return
            yield i
            i += step

    def act_lines(self, aid, n):
        S, ws, last = self._S, self._w["steps"], n - self.entry["step0"]
        lines, first = set(), None
        j = _NATIVE_FIND(self._Sb, 0, True, None, None, aid, None, None)
        first = j
        while 0 <= j <= last:
            lines.add(S[j * ws + 2])
            j = _NATIVE_FIND(self._Sb, j + 1, True, None, None, aid, None, None)
        return lines, None if first < 0 or first > last else _opt(S[first * ws + 5])

    def latest_by_thread(self, k):
        S, ws, step0 = self._S, self._w["steps"], self.entry["step0"]
        return {_opt(S[j * ws]): step0 + j for j in range(min(k, self.nsteps))}


class _Steps:
    """ChunkState's StepStates as a sequence (each made when read)."""

    __slots__ = ("st",)

    def __init__(self, st):
        self.st = st

    def __len__(self):
        return self.st.nsteps

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.st.step_at(j) for j in range(*i.indices(self.st.nsteps))]
        if i < 0:
            i += self.st.nsteps
        return self.st.step_at(i)

    def __iter__(self):
        return (self.st.step_at(j) for j in range(self.st.nsteps))


class _Log:
    """ChunkState's object records (for _ObjectsAt), each Record made when read."""

    __slots__ = ("st",)

    def __init__(self, st):
        self.st = st

    def __len__(self):
        return len(self.st._L) // self.st._w["objects"]

    def __getitem__(self, i):
        L, b = self.st._L, i * self.st._w["objects"]
        return self.st._record(L[b], L[b + 1], _opt(L[b + 2]))


if _NATIVE_WALK is None:
    ChunkState = ChunkStatePy     # noqa: F811


class Index:
    """The index of a Trace (see the module's docstring) and the seeks it
    makes: step(n), seek_call(fn, k), seek_thread(thread, n), and the
    debugger's moves (next_step/prev_step with a predicate, run to a
    line, a variable's previous and next change)."""

    def __init__(self, trace, data, complete=True):
        self.trace, self.data = trace, data
        self.complete = complete     # False: an index of the chunks scanned so far (Building: NotYet)
        self.chunks = data["chunks"]
        self.steps = data["steps"]
        self._starts = self.column("step0")
        self._counts = self.column("steps")
        self._cache = OrderedDict()
        self._clock_list = None
        self._outputs = None      # _with_output()
        self.interrupt = None     # callable: true when decoding another chunk is to stop (Interrupted)
        self.functions = trace.functions
        # the definitions of every chunk, so that any chunk decodes alone
        for k, v in data["paths"].items():
            trace.paths.setdefault(int(k), v)
        for k, (name, path, line) in data["functions"].items():
            trace.functions.setdefault(int(k), Function(int(k), name, path, line))
        for k, v in data["types"].items():
            trace.types.setdefault(int(k), v)
        for k, v in data["names"].items():
            trace.names.setdefault(int(k), v)

    # ---- opening ----

    @classmethod
    def open(cls, trace, save=True):
        """The index of trace: its INDEX_FILE when it is there and made for
        this event file, else built by a scan (and saved into the trace
        directory when save and the directory is writable)."""
        data = cls.load(trace)
        if data is None or data["version"] != INDEX_VERSION:    # none, or an older form: saved as INDEX_VERSION
            if data is None:
                data = build(trace)
            if save and trace.dir and os.access(trace.dir, os.W_OK):
                try:
                    _save(trace.dir, data)
                except OSError:
                    pass
        return cls(trace, data)

    @staticmethod
    def missing(trace_dir):
        """Whether trace_dir has no index file (opening it will scan the trace)."""
        return not os.path.exists(os.path.join(trace_dir, INDEX_FILE))

    @staticmethod
    def load(trace):
        """The data of trace's INDEX_FILE when it is there, well formed and
        made for this event file, else None (a scan is to build it): its
        `chunks` a _Chunks (version 3), or the list of entries of an index
        file of an older version (_OLD_VERSIONS: its "version" says which)."""
        if not trace.dir:
            return None
        try:
            data = _read(os.path.join(trace.dir, INDEX_FILE))
        except (OSError, ValueError, RecursionError):
            return None
        try:
            if data["version"] == INDEX_VERSION:
                raw = base64.b64decode(data.pop("columns"), validate=True)
                states = data.pop("states")
                if type(states) is not list or len(raw) != 8 * _NCOL * len(states) or "chunks" in data:
                    return None
                data["chunks"] = _Chunks(raw, states)
                offs = data["chunks"].col["off"]
            elif data["version"] in _OLD_VERSIONS:
                offs = [e["off"] for e in data["chunks"]]
            else:
                return None
            if (data["events_size"] != trace.file.size or data["chunk_count"] != trace.file.chunk_count
                    or len(data["chunks"]) != data["chunk_count"] or offs != [s[0] for s in trace.file.spans]
                    or not _well_formed(data)):
                return None
        except (KeyError, TypeError, AttributeError, ValueError, binascii.Error):
            return None
        return data

    # ---- decoding ----

    def function(self, fid):
        return self.trace.function(fid)

    def chunk_of(self, n):
        """The chunk holding step n."""
        if not 0 <= n < self.steps:
            self.past_end()
            raise IndexError("step %d out of 0..%d" % (n, self.steps - 1))
        seq = bisect.bisect_right(self._starts, n) - 1
        while self._counts[seq] == 0 or n >= self._starts[seq] + self._counts[seq]:
            seq += 1
        return seq

    def column(self, name):
        """[field `name` of each chunk's entry] (one of _COLUMNS: a number, or None for no clock),
        from the index file's columns when it has them (no entry made)."""
        if type(self.chunks) is _Chunks:
            c = self.chunks.col[name]
            return [None if x < 0 else x for x in c] if name == "clock" else list(c)
        return [e.get(name) if name == "clock" else e[name] for e in self.chunks]

    def seek(self, n):
        """A reader.Seek for Trace.timeline(start=...): the chunk holding
        step n, with the activations open at its start."""
        seq = self.chunk_of(n)
        e = self.chunks[seq]
        return reader.Seek(seq, e["thread"], {_tid(t): [(a[1], a[2], a[5]) for a in s] for t, s in e["stacks"].items()},
                           e["step0"])

    def past_end(self):
        """NotYet when this index does not have every chunk (complete=False):
        what is not in it may be in the chunks not scanned yet."""
        if not self.complete:
            raise NotYet("past the %d chunks indexed so far" % len(self.chunks))

    def state(self, seq):
        """The ChunkState of chunk seq (kept in a small cache); Interrupted
        when it is to be decoded and interrupt() says to give way."""
        st = self._cache.get(seq)
        if st is None:
            if self.interrupt is not None and self.interrupt():
                raise Interrupted("chunk %d not decoded: interrupted" % seq)
            st = ChunkState(self, seq)
            self._cache[seq] = st
            if len(self._cache) > CACHED_CHUNKS:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(seq)
        return st

    def args_of(self, act):
        """[(name, Record)] of Act act's Args, as at their records: from the
        chunk where it opened (decoded when act was carried into another);
        None when they are not known (a damaged chunk)."""
        if act.args is not None:
            return act.args
        other = self.state(act.chunk).act_of(act.id) if act.chunk is not None else None
        return other.args if other is not None else None

    def cached(self, seq):
        """Whether chunk seq is decoded already (state(seq) costs nothing)."""
        return seq in self._cache

    def step(self, n):
        """The StepState of step n (one chunk decoded)."""
        return self.state(self.chunk_of(n)).at(n)

    def changed(self, s):
        """Names new, changed or unbound at StepState s."""
        if not s.keyframe or s.act.carried is False:
            return s.marked | self._object_changes(s)
        prev = self._prev_of_act(s)
        if prev is None:
            return set(s.snap)
        before = prev.snap
        now, then = s.now(), prev.now()
        out = {n for n in s.snap if n not in before or _differ(now.get(n, _UNBOUND), then.get(n, _UNBOUND))}
        return out | {n for n in before if n not in s.snap}

    def _object_changes(self, s):
        """The names with no Var at StepState s whose value, rendered from
        objects, differs from the one at the activation's previous step in
        the same chunk (the objects changed, the variable did not)."""
        if s.prev is None or s.prev < self.chunks[self.chunk_of(s.n)]["step0"]:
            return set()
        prev = self._prev_of_act(s)
        chunk = s.objects.chunk
        names = [n for n, i in s.snap.items() if n not in s.marked and n in prev.snap
                 and _refers_to_objects(chunk, i)]
        if not names:
            return set()
        now, before = s.now(), prev.now()
        return {n for n in names if _differ(now[n], before[n])}

    def _prev_of_act(self, s):
        """The step before s in s's activation, or None."""
        return None if s.prev is None else self.step(s.prev)

    def act_steps(self, s, forward):
        """The StepStates of s's activation after s (forward) or before it
        (backward, latest first), decoding only the chunks that hold some."""
        if not forward:
            while s.prev is not None:
                s = self.step(s.prev)
                yield s
            return
        yield from self._walk(s.n, True, _Match(act=s.act.id, any_thread=True), self._act_chunks(s.act, self.chunk_of(s.n)))

    # ---- seeking ----

    def _walk(self, n, forward, pred, chunk_ok=None, start_inclusive=False):
        """Yield the StepStates after (before) step n that pred (a _Match) accepts, in
        time order (reversed), decoding only chunks chunk_ok(seq, entry)
        accepts (None: every one); chunk_ok returning "stop" ends the walk."""
        if self.steps == 0 or n >= self.steps:
            self.past_end()
        if self.steps == 0:
            return
        n = min(max(n, 0), self.steps - 1)
        seq = self.chunk_of(n)
        step = 1 if forward else -1
        while 0 <= seq < len(self.chunks):
            e = self.chunks[seq]
            ok = True if chunk_ok is None else chunk_ok(seq, e)
            if ok == "stop":
                return
            if e["steps"] and ok:
                st = self.state(seq)
                i = n - e["step0"]
                if forward:
                    i = max(0, i if start_inclusive else i + 1)
                else:
                    i = min(st.nsteps - 1, i if start_inclusive else i - 1)
                for j in st.find(i, forward, pred):
                    yield st.step_at(j)
            seq += step
        if forward:
            self.past_end()

    def _first(self, n, forward, pred, chunk_ok=None):
        for s in self._walk(n, forward, pred, chunk_ok):
            return s.n
        return None

    def _depth_ok(self, thread, most):
        t = str(thread)
        return lambda seq, e: e["mind"].get(t, most + 1) <= most

    def next_on_thread(self, n, forward=True, max_depth=None):
        """The next (previous) step of step n's thread, at depth max_depth or
        less (None: any); None when there is none."""
        s = self.step(n)
        if max_depth is None:
            return self._first(n, forward, _Match(s.thread), lambda seq, e: str(s.thread) in e["mind"])
        return self._first(n, forward, _Match(s.thread, max_depth), self._depth_ok(s.thread, max_depth))

    def move(self, n, how):
        """The step a debugger's move from step n lands on (None: none):
        next, prev (time order, any thread); into, over, out and their
        reverses back_into, back_over (reverse-next), back_out
        (reverse-finish: the caller's step that made the call)."""
        if how == "next":
            if n + 1 >= self.steps:
                self.past_end()
            return n + 1 if n + 1 < self.steps else None
        if how == "prev":
            return n - 1 if n > 0 else None
        d = self.step(n).depth
        forward = not how.startswith("back_")
        base = how[5:] if not forward else how
        if base == "into":
            return self.next_on_thread(n, forward)
        if base == "over":
            return self.next_on_thread(n, forward, d)
        if base == "out":
            return self.next_on_thread(n, forward, d - 1)
        raise ValueError("no such move: %s" % how)

    def fids_of(self, fn):
        """Function ids named fn: an id, or a qualified or bare name."""
        if isinstance(fn, int):
            return [fn] if fn in self.functions else []
        return sorted(i for i, f in self.functions.items()
                      if f.name == fn or f.name.rsplit(".", 1)[-1] == fn)

    def calls(self, fn):
        """How many times fn (an id or a name) was called."""
        calls = self.data["calls"]
        fids = {str(f) for f in self.fids_of(fn)}
        return sum(c for f in fids for _, c in calls.get(f, ()))

    def seek_call(self, fn, k):
        """The step number of the first step of the k-th call (from 0) of fn
        (an id or a name: every function of that name, in time order); None
        when there are not that many calls or that call has no step."""
        calls = self.data["calls"]
        fids = self.fids_of(fn)
        per_chunk = {}
        for f in fids:
            for seq, c in calls.get(str(f), ()):
                per_chunk[seq] = per_chunk.get(seq, 0) + c
        for seq in sorted(per_chunk):
            if k >= per_chunk[seq]:
                k -= per_chunk[seq]
                continue
            want = set(fids)
            act = [a for a in self.state(seq).calls if a.fid in want][k]
            return self.first_step_of(act, seq)
        return None

    def first_step_of(self, act, seq):
        """The number of Act act's first step (act opened in chunk seq), or None."""
        if act.first is not None:
            return act.first
        for s in self._walk(self.chunks[seq]["step0"], True, _Match(act=act.id, any_thread=True),
                            self._act_chunks(act, seq), start_inclusive=True):
            return s.n
        return None

    def _act_chunks(self, act, start):
        """chunk_ok, walking forward from chunk `start`, for the steps of Act
        act: the chunks in which it has steps, as the index's open
        activations tell (its latest step differs at the next chunk's start,
        or it ends in the chunk); "stop" once it has ended."""
        aid, t, chunks = act.id, str(act.thread), self.chunks

        def at(seq):      # (open at chunk seq's start, its latest step then)
            if seq < len(chunks):
                for a in chunks[seq]["stacks"].get(t, ()):
                    if a[0] == aid:
                        return True, a[2]
            return False, None

        def ok(seq, e):
            if seq <= start or seq == act.chunk:
                return True
            is_open, last = at(seq)
            if not is_open:
                return "stop"
            still, later = at(seq + 1)
            return not still or later != last
        return ok

    def seek_thread(self, thread, n=0):
        """The first step of thread `thread` at or after step n, or None."""
        t = str(thread)
        for s in self._walk(n, True, _Match(thread), lambda seq, e: t in e["mind"],
                            start_inclusive=True):
            return s.n
        return None

    # ---- time (the chunks' Clock records, format 5 on) ----

    def _clocks(self):
        """(chunk seqs, their clocks in ns) of the chunks with a clock, in
        file order; TraceError when the trace has none (recorded before
        format 5, which began every chunk with a Clock record)."""
        if self._clock_list is None:
            every = self.column("clock")
            seqs = [i for i, c in enumerate(every) if c is not None]
            if not seqs and self.chunks:
                raise TraceError("this trace has no clock: it was recorded at format %d, and chunks begin "
                                 "with a Clock record from format %d on (record it again to seek to a time)"
                                 % (self.trace.file.version, CLOCK_SINCE))
            clocks, high = [], 0
            for i in seqs:      # a damaged trace's clocks may go back: never below an earlier one
                high = max(high, every[i])
                clocks.append(high)
            self._clock_list = (seqs, clocks)
        return self._clock_list

    def seek_time(self, t):
        """The number of the first step recorded at or after `t` seconds
        since the recording started, to a chunk's precision: the first
        step of the first chunk begun at or after t (a step late in the
        chunk before may be at or after t too). None when no chunk began
        that late. TraceError on a trace without clocks (format 4 and
        older)."""
        if t != t or t < 0:
            raise ValueError("a time is a number of seconds >= 0, not %r" % t)
        seqs, clocks = self._clocks()
        i = bisect.bisect_left(clocks, t * 1e9)
        if i == len(seqs):
            self.past_end()
            return None
        n = self._starts[seqs[i]]
        if n >= self.steps:
            self.past_end()
        return n if n < self.steps else None

    def time_of(self, n):
        """The time, in seconds since the recording started, of the chunk
        holding step n began (step n ran at or after it, before the next
        chunk's); None on a trace without clocks."""
        try:
            seqs, clocks = self._clocks()
        except TraceError:
            return None
        i = bisect.bisect_right(seqs, self.chunk_of(n)) - 1
        return None if i < 0 else clocks[i] / 1e9

    def _line(self, path, line):
        """(step predicate, chunk_ok) of the steps running `line` of `path`."""
        lines = self.data["lines"]
        fids = [i for i, f in self.functions.items() if f.path == path]
        chunks = set()
        for f in fids:
            chunks.update(lines.get(_key(f, line), ()))
        fids = set(fids)
        return _Match(line=line, fids=fids, any_thread=True), (lambda seq, e: seq in chunks)

    def line_steps(self, path, line, n, forward=True):
        """The next (previous) step after (before) n that runs `line` of the
        file `path` (as recorded), or None."""
        return self._first(n, forward, *self._line(path, line))

    def line_hits(self, path, line, limit=200):
        """The first `limit` steps that run `line` of `path`, decoding only
        the chunks that run it."""
        out = []
        for s in self._walk(0, True, *self._line(path, line), start_inclusive=True):
            out.append(s.n)
            if len(out) >= limit:
                break
        return out

    def var_change(self, n, name, forward):
        """The step where variable `name` of step n's activation last
        changed before n (forward: first changes after n): the step whose
        snapshot first shows the new value (or its unbinding). None when
        there is none."""
        s = self.step(n)
        steps = self.act_steps(s, forward)
        if forward:
            prev = _value_key(s, name)
            for t in steps:
                v = _value_key(t, name)
                if v != prev:
                    return t.n
                prev = v
            return None
        newer, newer_v = s, _value_key(s, name)
        for t in steps:
            v = _value_key(t, name)
            if v != newer_v and newer is not s:
                return newer.n
            newer, newer_v = t, v
        # the activation's first step: the variable is new there when bound
        if newer is not s and newer_v != _UNBOUND:
            return newer.n
        return None

    def outputs_before(self, n, limit=20000, chunks=3, cached_only=False):
        """([(step, stream, text)], bytes left out): the output written up
        to step n (its own step's included), the last `limit` characters or
        so, from at most `chunks` chunks holding output (each decoded), and
        how many bytes of output earlier chunks hold. cached_only: None
        when that needs a chunk not decoded yet (decoding none)."""
        out, size, decoded = [], 0, 0
        seq = self.chunk_of(n)
        after = seq + 1   # a step's output may be written after its chunk filled up: in the next chunk
        if after == len(self.chunks):
            self.past_end()
        if after < len(self.chunks) and self.chunks[after]["out"]:
            if cached_only and not self.cached(after):
                return None
            out = [o for o in self.state(after).outputs if o[0] is not None and o[0] <= n]
            size = sum(len(o[2]) for o in out)
        seqs, upto = self._with_output()
        i = bisect.bisect_right(seqs, seq) - 1     # the chunks holding output, from the last at or before n's
        while i >= 0 and size < limit and decoded < chunks:
            if cached_only and not self.cached(seqs[i]):
                return None
            part = [o for o in self.state(seqs[i]).outputs if o[0] is None or o[0] <= n]
            out[:0] = part
            size += sum(len(o[2]) for o in part)
            decoded += 1
            i -= 1
        return out, upto[i] if i >= 0 else 0

    def _with_output(self):
        """([seq of each chunk holding output], [bytes of output up to and
        including that chunk]), made at the first call: outputs_before looks
        up where output was written without walking every chunk before n."""
        if self._outputs is None:
            seqs, upto, total = [], [], 0
            for seq, out in enumerate(self.column("out")):
                if out:
                    total += out
                    seqs.append(seq)
                    upto.append(total)
            self._outputs = seqs, upto
        return self._outputs

    def thread_positions(self, n, cached_only=False):
        """{thread: its latest step at or before n (None: none yet)}.
        cached_only: None when that needs a chunk not decoded yet besides
        n's (decoding only n's)."""
        seq = self.chunk_of(n)
        e = self.chunks[seq]
        res = {}
        for t, info in self.data["threads"].items():
            tid = _tid(t)
            if info.get("first") is None or info["first"] > n:
                continue
            res[tid] = None
        st = self.state(seq)
        res.update(st.latest_by_thread(n - e["step0"] + 1))
        for tid in res:
            if res[tid] is None:
                s = e["stacks"].get(str(tid))
                lasts = [a[2] for a in s or () if a[2] is not None]
                last = self.data["threads"][str(tid)].get("last")
                if lasts:
                    res[tid] = max(lasts)
                elif last is not None and last < e["step0"]:    # it ran before this chunk only
                    res[tid] = last
                else:
                    ok = lambda q, c: str(tid) in c["mind"]
                    if cached_only and not self._walk_cached(seq - 1, ok):
                        return None
                    res[tid] = self._first(e["step0"], False, _Match(tid), ok)
        return res

    def _walk_cached(self, seq, ok):
        """Whether a walk back from chunk seq to the first chunk ok(seq,
        entry) accepts decodes only chunks decoded already."""
        while seq >= 0:
            if self.chunks[seq]["steps"] and ok(seq, self.chunks[seq]):
                return self.cached(seq)
            seq -= 1
        return True


_OBJECT_RECORDS = frozenset(n for n, what in DEFINITIONS.items() if what in OBJECT_DEFINITIONS)
# What ChunkState does with each record kind (by its index in RECORDS), and
# where the fields it reads are in a row
_VAR, _UNSET, _OBJECT, _DEFINITION, _STEP, _ARG, _CALL, _OPEN, _CLOSE, _OUTPUT, _OTHER, _MARK = (
    "var", "unset", "object", "definition", "step", "arg", "call", "open", "close", "output", "other", "mark")


def _role(name):
    fixed = {"Var": _VAR, "Unset": _UNSET, "Step": _STEP, "Arg": _ARG, "Call": _CALL, "Output": _OUTPUT,
             reader.MARK: _MARK}
    if name in fixed:
        return fixed[name]
    if name in DEFINITIONS:
        return _OBJECT if name in _OBJECT_RECORDS else _DEFINITION
    return _OPEN if name in OPENS else _CLOSE if name in CLOSES else _OTHER


_ROLE = [_role(r[0]) for r in RECORDS]
_RECORD_AT = {r[0]: i for i, r in enumerate(RECORDS)}


def _canonical(k):
    """The record kind a stored kind is read as: a compact record's, a Line's Step."""
    name = RECORDS[k][0]
    of = COMPACT[name][0] if name in COMPACT else OMITS[name][0] if name in OMITS else name
    return _RECORD_AT[of]


# what src/walk.c does with each stored record kind (its R_* numbers, in this order)
_WALK_ROLE_CODES = (_OTHER, _VAR, _UNSET, _OBJECT, _DEFINITION, _STEP, _ARG, _CALL, _OPEN, _CLOSE, _OUTPUT, _MARK)
_WALK_ROLES = bytes(_WALK_ROLE_CODES.index(_ROLE[_canonical(k)]) for k in range(len(RECORDS)))
_K_CALL = _RECORD_AT["Call"]
_FIELDS = {r[0]: r[1] for r in RECORDS}
_VAR_VALUE, _ARG_VALUE = _FIELDS["Var"].index("value"), _FIELDS["Arg"].index("value")
_STEP_FN, _STEP_LINE = _FIELDS["Step"].index("fn"), _FIELDS["Step"].index("line")
_OUTPUT_STREAM = _FIELDS["Output"].index("stream")
assert _FIELDS["Var"][0] == _FIELDS["Unset"][0] == _FIELDS["Arg"][0] == "name" and all(
    _FIELDS[n][0] == "fn" for n in OPENS)
CHECKPOINT = 256               # object records between two copies of the objects _ObjectsAt keeps


class _ObjectsAt:
    """A decoded chunk's objects as at any point of its records (format 4
    on): its Limits, Obj and ObjPut records (`log`, in stream order),
    applied on demand to objects of their own from the nearest checkpoint
    (a copy kept every CHECKPOINT records), so that a value is rendered as
    at its record only when it is shown. A chunk read alone starts with no
    objects (each chunk gives the objects it uses)."""

    __slots__ = ("log", "marks", "objs", "pos", "chunk")

    def __init__(self):
        self.log, self.marks, self.objs, self.pos = [], {}, None, 0
        self.chunk = None       # the Chunk (the values of the snapshots of its steps)

    def add(self, rec):
        self.log.append(rec)

    def at(self, pos):
        """The Objects after the first `pos` object records."""
        objs = self.objs
        if objs is None or self.pos > pos:
            objs = self.objs = reader.Objects()
            self.pos = max((p for p in self.marks if p <= pos), default=0)
            if self.pos:
                table, objs.max_depth, objs.max_nodes = self.marks[self.pos]
                objs.table = {k: v[:4] + [list(v[4])] for k, v in table.items()}
        log = self.log
        while self.pos < pos:
            rec = log[self.pos]
            if rec.kind == "Limits":
                objs.limits(rec.fields)
            else:
                objs.apply(rec.kind, rec.fields, rec.chunk)
            self.pos += 1
            if self.pos % CHECKPOINT == 0 and self.pos not in self.marks:
                self.marks[self.pos] = ({k: v[:4] + [list(v[4])] for k, v in objs.table.items()},
                                        objs.max_depth, objs.max_nodes)
        return objs


def _refers_to_objects(chunk, i):
    """Whether the value at index i of chunk refers to objects."""
    if i == NOT_RECORDED:
        return False
    chunk.value(i, render=False)    # decodes the tree: refers_to_objects needs it
    return chunk.refers_to_objects(i)


def _value_at(rec, field, objects, clock):
    """The Value of value field `field` of rec as at the point of its chunk
    where `clock` object records had been read (_value_of)."""
    return _value_of(rec.chunk, rec.fields[field], objects, clock)


def _value_of(chunk, i, objects, clock):
    """The Value at index i of chunk as at the point of the chunk where
    `clock` object records had been read: one that refers to objects is
    rendered from them as they were there."""
    if i == NOT_RECORDED:
        return None
    v = chunk.value(i, render=False)
    if chunk.refers_to_objects(i):
        return objects.at(clock).render(v)[0]
    return v


class _AsAt:
    """Record `rec` with the values of its value fields as the trace says
    they are at it: one that refers to objects is rendered, when asked for,
    from the chunk's objects as they were when the record was read (the
    chunk's objects change with the records that follow it); the rest is
    the record's."""

    __slots__ = ("_rec", "_row", "thread", "chunk", "_objects", "_clock")

    def __init__(self, make, k, row, thread, chunk, objects, rec=None, clock=None):
        """Of a row of Trace.chunk_rows() (k, row, thread, chunk); its Record
        is make(k, row, thread, chunk) (Trace.row_record), made when first
        asked for; clock: the object records read before it (None: all of
        objects' so far)."""
        self._rec, self._row, self.thread, self.chunk = rec, (make, k, row), thread, chunk
        self._objects, self._clock = objects, len(objects.log) if clock is None else clock

    @property
    def rec(self):
        if self._rec is None:
            make, k, row = self._row
            self._rec = make(k, row, self.thread, self.chunk)
        return self._rec

    @property
    def kind(self):
        return RECORDS[self._row[1]][0]

    @property
    def fields(self):
        return self.rec.fields

    def __getitem__(self, name):
        return self.rec.fields[name]

    def value(self, field):
        return _value_at(self.rec, field, self._objects, self._clock)

    def text(self, field):
        return self.rec.text(field)

    def __repr__(self):
        return "AsAt(%r)" % (self.rec,)


def _vkey(v):
    return None if v is None else (v.kind, v.render(4000))


_UNBOUND = ("unbound",)


def _differ(a, b):
    """Whether values a and b (Values, None or _UNBOUND) have other keys
    (_vkey): the same tree has the same key, so only trees that differ are
    rendered to compare (most values at a step are the ones before it)."""
    todo = [(a, b)]
    while todo:
        x, y = todo.pop()
        if x is y:
            continue
        if (type(x) is not reader.Value or type(y) is not reader.Value or x.kind != y.kind or x.type != y.type
                or x.length != y.length or x.flags != y.flags):
            break
        dx, dy = x.data, y.data
        if type(dx) is list:
            if type(dy) is not list or len(dx) != len(dy):
                break
            todo.extend(zip(dx, dy))
        elif type(dx) is not type(dy) or dx != dy or type(dx) in (float, complex) and repr(dx) != repr(dy):
            break
    else:
        return False
    key = lambda v: v if v is _UNBOUND else _vkey(v)    # noqa: E731
    return key(a) != key(b)


def _value_key(s, name):
    """The key of variable `name`'s value at StepState s."""
    values = s.now()
    return _UNBOUND if name not in values else _vkey(values[name])


class Trace(reader.Trace):
    """A reader.Trace with random access: `index` (this trace's Index,
    loaded from the trace directory or built by one scan at first use),
    step(n) and seek_call(fn, k)."""

    _index = None

    @property
    def index(self):
        if self._index is None:
            self._index = Index.open(self)
        return self._index

    def step(self, n):
        """Step number n (in steps() order) with its snapshot, call stack and
        events, decoding one chunk (Index.step)."""
        return self.index.step(n)

    def seek_call(self, fn, k):
        """The number of the first step of the k-th call (from 0) of function
        `fn` (an id or a name), or None (Index.seek_call)."""
        return self.index.seek_call(fn, k)

    def seek_time(self, t):
        """The number of the first step at or after `t` seconds since the
        recording started (to a chunk's precision), or None; TraceError on
        a trace recorded before format 5 (no clock) (Index.seek_time)."""
        return self.index.seek_time(t)
