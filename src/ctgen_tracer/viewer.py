"""python -m ctgen_tracer view TRACE_DIR [--port N] [--no-browser]: a
time-travel debugger in the browser.

A standard-library HTTP server in this process serves the page (the files
of _viewer/, shipped in the package: no CDN, no build step) and a JSON API
on the trace's index (index.py), decoding only the chunk of the step shown:
the page asks for a step's screen lazily (no chunk decoded for the lines its
activation ran in earlier chunks, the selected frame's arguments, the
program output or the other threads' places: those from chunks decoded
already, or None) unless the rest takes no chunk decoded past a time budget
(`step?budget=MS`: then the answer is whole), and for the rest while drawing
it (`extra`); a debugger's move and the screen where it lands are one
request (`step?how=`). A trace without an index (a recording cut short) is
shown while its index is built: from the chunks scanned so far, as soon as
a step can be shown (index.Building); what they cannot answer waits for the
rest of the scan.

Security: it binds 127.0.0.1; every request's path starts with a random
per-run token (/TOKEN/...), anything else gets 403; it serves only the
page's own files (by name, from a fixed list), the trace's data through the
API and the source files the trace refers to (by path id, never by a path
taken from the request): a path with `..`, an absolute one or an unknown
name gets 404. Child traces are opened by their place in the trace's
children/ directory, from the list made at start.
"""

import argparse
import contextlib
import gc
import hmac
import http.server
import json
import os
import secrets
import signal
import stat
import sys
import threading
import time
import urllib.parse

from . import reader, sources
from .errors import fail
from .index import Building, Index, Interrupted, NotYet
from .tracedir import CHILDREN_DIR, EVENTS_FILE, METADATA_FILE, add_dir_argument, find

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_viewer")
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
MAX_SOURCE = 16 << 20          # bytes of a source file served at most
OUTPUT_SHOWN = 20000           # characters of program output sent with a step, about
SHORT = 160                    # characters of a value's one-line rendering
LIST_MAX = 200                 # calls or hits a search lists
LINES_CHUNKS = 2               # earlier chunks decoded for the lines an activation ran
THREADS_DETAILED = 16          # threads whose function and line a step shows (each may decode a chunk)
MOVES = ("next", "prev", "into", "over", "out", "back_into", "back_over", "back_out")    # index.move()'s
IDLE_COLLECT = 2.0             # seconds without a request after which the server runs the cyclic GC


@contextlib.contextmanager
def quiet_gc():
    """How the server answers a request: with the cyclic garbage collector
    paused (a collection during it would walk every cached chunk: 250 to
    500 ms added to one move in three, bench/README.md, "Viewer moves").
    The `view` process keeps it paused between requests too (server_gc)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def server_gc():
    """The collector's policy of a process that serves the viewer: no
    automatic collection (only collect_idle's), and what is alive once the
    trace is opened (the modules, the index's data: some 140,000 objects
    for a 1 GB trace) frozen (gc.freeze) so that no collection walks it
    again. A decoded chunk the index's cache drops is cyclic garbage (its
    ChunkState and its objects' log refer to each other), freed by
    collect_idle's collection, which walks only what came after the
    freeze: the cached chunks and that garbage (bench/README.md, "Viewer
    moves, session 9 (view5)": it walked the index's data too, 83 to 385
    ms at load 10-15, and a move made 2 s after the one before waited
    for it). A trace indexed while it is shown: what its index's scan
    adds after the freeze is walked by each collection, as before."""
    gc.disable()
    gc.collect()
    gc.freeze()


def collect_idle(app, stop):
    """Run in a thread: after IDLE_COLLECT seconds without a request that
    came after the last collection, a full collection of what is not
    frozen (server_gc); until stop is set."""
    while not stop.wait(IDLE_COLLECT / 4):
        if app.dirty and time.monotonic() - app.last >= IDLE_COLLECT:
            with app.lock:
                app.dirty = False
                gc.collect()


def _children(root):
    """{relative dir: absolute dir} of the trace and every child trace below it."""
    found, todo = {"": root}, [""]
    while todo:
        rel = todo.pop()
        base = os.path.join(found[rel], CHILDREN_DIR)
        try:
            names = sorted(os.listdir(base), key=lambda n: (len(n), n))
        except OSError:
            continue
        for name in names:
            d = os.path.join(base, name)
            if os.path.isdir(d) and not os.path.islink(d):
                r = os.path.join(rel, CHILDREN_DIR, name) if rel else os.path.join(CHILDREN_DIR, name)
                found[r] = d
                todo.append(r)
    return found


def _tree(v):
    """A Value as the page's JSON tree: {k kind, t type, s one line, n full
    length, tr truncated, id identity (when the trace records one), c
    children [[label, node], ...], ref (the node a Ref points to), el
    (Elided)}; nodes numbered in pre-order (#) as Ref counts them."""
    if v is None:
        return {"k": "NotRecorded", "s": "<not recorded>"}
    count = [0]
    root = {}
    stack = [(v, root)]
    while stack:
        val, out = stack.pop()
        lay = val.layout
        out.update(k=val.kind, t=val.type, s=val.render(SHORT), i=count[0])
        count[0] += 1
        ident = getattr(val, "id", None)
        if isinstance(ident, int):
            out["id"] = ident
        if val.truncated:
            out["tr"] = True
        if val.length is not None:
            out["n"] = val.length
        if not lay.container and len(out["s"]) >= SHORT:
            out["x"] = reader.leaf_text(val)       # the whole text as recorded
        if lay.layout == "ref":
            out["ref"] = val.data
        elif lay.layout == "elided":
            out["el"] = True
        elif lay.container:
            kids, d = [], val.data
            if lay.pairs:
                pairs = [(d[i], d[i + 1]) for i in range(0, len(d) - 1, 2)]
                for key, item in pairs:
                    label = key.data if lay.layout == "attrs" and isinstance(key.data, str) else key.render(SHORT)
                    kids.append([label, {}, key, item])
            elif lay.fields:
                for (fname, _), item in zip(lay.fields, d):
                    kids.append([fname, {}, None, item])
            else:
                for i, item in enumerate(d):
                    kids.append([str(i), {}, None, item])
            out["c"] = [[k[0], k[1]] for k in kids]
            for k in reversed(kids):
                stack.append((k[3], k[1]))
    return root


class TraceView:
    """One trace (the top one or a child) as the API serves it."""

    def __init__(self, path, rel):
        self.rel = rel
        self.trace = reader.Trace(path, skip_damaged=True)
        self.building = None    # the scan of a trace without an index, while it runs (index.Building)
        data = Index.load(self.trace)
        if data is not None:
            self.index = Index(self.trace, data)
        else:       # the first screens from the chunks scanned so far (NotYet: wait for the rest)
            self.building = Building(self.trace)
            self.index = self.building.first()
            if self.index.complete:
                self.building = None
        self.meta = self.trace.metadata
        workdir = self.meta.get("workdir")
        self.workdir = workdir if isinstance(workdir, str) and os.path.isabs(workdir) else None
        self.paths, self.path_id = [], {}
        self._texts_of = sources.Texts(self.trace.dir)
        self.kept = {}          # fid -> the text the recorder kept for code from a string
        self._texts = {}        # recorded path -> its file's text (None: not readable)
        self._known = set()     # the function ids of self.index.functions seen by _add_functions
        self._add_functions()

    def _add_functions(self):
        """The paths (sorted, each new one after those known: a path's id
        stays when the index grows) and kept texts of the index's functions."""
        fns = self.index.functions
        new = sorted(set(fns) - self._known)
        self._known.update(new)
        for p in sorted({fns[fid].path for fid in new} - set(self.path_id)):
            self.path_id[p] = len(self.paths)
            self.paths.append(p)
        for fid in new:
            f = fns[fid]
            if f.path.startswith("<"):
                t = self._texts_of.of(f.path, f.line, f.name)
                if t is not None:
                    self.kept[fid] = t

    def catch_up(self, wait=False):
        """The whole index in place of the chunks scanned so far, when its
        scan is done (wait: once it is)."""
        if self.building is not None and (wait or self.building.done):
            self.index = self.building.wait()
            self.building = None
            self._add_functions()

    def resolve(self, path):
        if not path.startswith("<") and not os.path.isabs(path) and self.workdir:
            return os.path.normpath(os.path.join(self.workdir, path))
        return path

    def shown(self, path):
        r = self.resolve(path)
        if self.workdir and os.path.isabs(r):
            rel = os.path.relpath(r, self.workdir)
            if rel != os.pardir and not rel.startswith(os.pardir + os.sep):
                return rel
        return r

    def fn(self, fid):
        f = self.index.functions.get(fid)
        if f is None:
            return {"fid": fid, "name": "?", "path": None, "line": 0}
        return {"fid": fid, "name": f.name, "path": self.path_id[f.path], "line": f.line,
                "src": ("k%d" % fid) if fid in self.kept else self.path_id[f.path]}

    def info(self):
        idx, m = self.index, self.meta
        return {
            "trace": self.rel, "dir": self.trace.dir, "steps": idx.steps, "records": idx.data["records"],
            "chunks": len(idx.chunks), "program": m.get("program"), "args": m.get("args"),
            "truncation": self.trace.truncation,
            "paths": [self.shown(p) for p in self.paths],
            "functions": {fid: self.fn(fid) for fid in idx.functions},
            "threads": [{"id": _tid(t), "ident": v.get("ident"), "first": v.get("first"), "last": v.get("last")}
                        for t, v in idx.data["threads"].items() if v.get("first") is not None],
            "timeline": idx.data["timeline"],
            "clock": idx.time_of(0) is not None if idx.steps else False,   # the trace says when its steps ran
            # the index is being built (a trace never indexed): these are the chunks scanned so far
            "indexing": None if self.building is None else {"chunks": self.building.scanned,
                                                            "of": self.building.total},
        }

    def source(self, key):
        """The text of source `key` (a path id, or k<fid> for kept text), or None."""
        if key.startswith("k"):
            try:
                return self.kept.get(int(key[1:]))
            except ValueError:
                return None
        try:
            path = self.paths[int(key)]
        except (ValueError, IndexError):
            return None
        if path.startswith("<"):
            return None
        if path in self._texts:
            return self._texts[path]
        self._texts[path] = text = self._read(self.resolve(path))
        return text

    @staticmethod
    def _read(path):
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return None
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            return f.read(MAX_SOURCE).decode("utf-8", "replace")

    def _args(self, act):
        args = self.index.args_of(act)   # (from the chunk it opened in)
        if args is None:
            return None
        return [[name, _short(rec)] for name, rec in args]

    def _events(self, s):
        out = []
        for rec in s.events:
            k, f = rec.kind, rec.fields
            if k in ("Raise", "Reraise", "Handled", "Unwind", "Throw"):
                out.append({"kind": k, "exc": True, "text": _short(rec, "exc")})
            elif k in ("Return", "Yield"):
                out.append({"kind": k, "text": _short(rec)})
            elif k in ("Call", "Resume"):
                out.append({"kind": k, "text": self.fn(f["fn"])["name"]})
            elif k == "Exit":
                out.append({"kind": k, "exc": f["exc"] != reader.NOT_RECORDED,
                            "text": "status %s%s" % (f["status"], (", " + _short(rec, "exc"))
                                                     if f["exc"] != reader.NOT_RECORDED else "")})
        return out

    def _lines_run(self, s, chunks=LINES_CHUNKS, cached_only=False):
        """(the lines the activation of StepState s ran up to s, sorted;
        whether earlier ones are left out): from s's chunk and at most
        `chunks` earlier chunks holding steps of it (cached_only: only
        those decoded already)."""
        idx, aid, lines = self.index, s.act.id, set()
        at, seen = s.n, 0       # (a step number: no StepState made, no values read, in the earlier chunks)
        while True:
            run, prev = idx.state(idx.chunk_of(at)).act_lines(aid, at)
            lines.update(run)
            if prev is None:
                return sorted(lines), False
            if seen == chunks or cached_only and not idx.cached(idx.chunk_of(prev)):
                return sorted(lines), True
            seen += 1
            at = prev

    def _shown(self, n, frame):
        """(StepState n, the selected frame's number, the StepState shown: that frame's latest step)."""
        idx = self.index
        s = idx.step(n)
        frames = s.frames()
        frame = min(max(frame, 0), max(len(frames) - 1, 0))
        last = frames[frame][1] if frames else None
        return s, frame, s if frame == 0 or last is None else idx.step(last)

    def step(self, n, frame=0, lazy=False):
        """The screen of step n with frame `frame` selected. lazy: decode
        no chunk for the lines the activation ran before the chunks decoded
        already, nor for the selected frame's arguments (`pending`: the
        page asks for them with extra() once the screen is drawn)."""
        idx = self.index
        s, frame, shown = self._shown(n, frame)
        frames, pending = [], False
        for depth, (act, last, line) in enumerate(s.frames()):
            # the arguments of a frame that opened in an earlier chunk are there: decoded
            # for the selected frame, or when that chunk is decoded already (else the page says "...")
            ready = not act.carried or idx.cached(act.chunk)
            args = self._args(act) if ready or depth == frame and not lazy else None
            pending = pending or depth == frame and args is None and not ready
            frames.append(dict(self.fn(act.fid), act=act.id, step=last, line=line, args=args))
        changed = shown.changed() if shown is s else set()
        values = shown.variables()   # as at that step (a value from objects changes without a Var)
        variables = [{"name": name, "tree": _tree(values[name]), "changed": name in changed}
                     for name in shown.snap]
        lines, partial = self._lines_run(shown, cached_only=lazy)
        pending = pending or lazy and partial
        output, threads = self._output(n, lazy), self._threads(s, lazy)
        pending = pending or output is None or threads is None
        out, earlier = output or ([], 0)
        return {
            "n": s.n, "thread": s.thread, "depth": s.depth, "fn": self.fn(s.fid), "line": s.line,
            "frame": frame, "frames": frames, "shown": {"n": shown.n, "fn": self.fn(shown.fid), "line": shown.line},
            "vars": variables, "gone": sorted(n for n in changed if n not in shown.snap),
            "lines_run": lines, "lines_partial": partial, "events": self._events(s),
            "output": None if output is None else [[o[1], o[2]] for o in out], "output_earlier": earlier,
            "threads": threads, "time": idx.time_of(s.n), "pending": pending,
        }

    def _output(self, n, lazy=False):
        """idx.outputs_before(n) as shown (lazy: None when that needs a chunk
        not decoded yet: extra() gives it)."""
        return self.index.outputs_before(n, OUTPUT_SHOWN, cached_only=lazy)

    def _threads(self, s, lazy=False):
        """Where each thread was at StepState s: [{id, step, name, line}]
        (lazy: None when that needs a chunk not decoded yet: extra() gives it)."""
        idx, threads = self.index, []
        places = idx.thread_positions(s.n, cached_only=lazy)
        if places is None:
            return None
        for tid, at in sorted(places.items(), key=lambda x: (x[0] is None, x[0] or 0)):
            t = {"id": tid, "step": at}
            if at is not None and (len(threads) < THREADS_DETAILED or tid == s.thread):
                if lazy and not idx.cached(idx.chunk_of(at)):
                    return None
                ts = idx.step(at)
                t.update(name=self.fn(ts.fid)["name"], line=ts.line)
            threads.append(t)
        return threads

    def extra(self, n, frame=0):
        """What a lazy step() left out of step n's screen with frame `frame`
        selected: the lines its activation ran (as step() gives them), the
        selected frame's arguments, the program's output up to it and where
        each thread was."""
        s, frame, shown = self._shown(n, frame)
        frames = s.frames()
        lines, partial = self._lines_run(shown)
        out, earlier = self._output(s.n)
        return {"n": s.n, "frame": frame, "lines_run": lines, "lines_partial": partial,
                "args": self._args(frames[frame][0]) if frames else None,
                "output": [[o[1], o[2]] for o in out], "output_earlier": earlier, "threads": self._threads(s)}

    def calls(self, fid):
        """How many calls function fid has (the page lists them; a click
        seeks to one: seek_call)."""
        return {"total": self.index.calls(fid)}

    def search(self, q):
        """Functions whose name holds q (with call counts), and source lines
        holding q in the trace's files that ran (with the chunks running them)."""
        ql = q.lower()
        idx = self.index
        fns = [dict(self.fn(fid), calls=idx.calls(fid)) for fid, f in sorted(idx.functions.items())
               if ql in f.name.lower()][:LIST_MAX]
        hits = []
        ran = {}
        for key in idx.data["lines"]:
            fid, line = (int(x) for x in key.split(":"))
            f = idx.functions.get(fid)
            if f is not None:
                ran.setdefault(f.path, set()).add(line)
        for path in self.paths:
            if path not in ran:
                continue
            text = self.source(str(self.path_id[path])) or ""
            for i, l in enumerate(text.splitlines(), 1):
                if i in ran[path] and ql in l.lower():
                    hits.append({"path": self.path_id[path], "line": i, "text": l.strip()[:200]})
                    if len(hits) >= LIST_MAX:
                        break
        return {"functions": fns, "lines": hits}

    def line_step(self, n, pid, line, forward):
        return self.index.line_steps(self.paths[pid], line, n, forward)


def _tid(t):
    return None if t == "None" else int(t)


def _short(rec, field="value"):
    v = rec.value(field)
    return "<not recorded>" if v is None else v.render(SHORT)


def _child_list(root, found):
    """The child traces for the page: [{dir, pid, how}]."""
    out = []
    for rel, d in found.items():
        if not rel:
            continue
        meta = {}
        path = find(d, METADATA_FILE)
        if path:
            try:
                with open(path, "rb") as f:
                    meta = json.loads(f.read(1 << 20))
            except (OSError, ValueError):
                meta = {}
        parent = meta.get("parent") if isinstance(meta.get("parent"), dict) else {}
        out.append({"dir": rel, "pid": meta.get("pid"), "how": parent.get("how"), "program": meta.get("program")})
    return out


class App:
    """The server's state: the token, the traces (opened at first use)."""

    def __init__(self, root):
        self.root = root
        self.token = secrets.token_urlsafe(24)
        self.dirs = _children(root)
        self.children = _child_list(root, self.dirs)
        self.views = {}
        self.lock = threading.Lock()
        self.waiting = []       # one item per request waiting for the lock (list.append and pop are atomic)
        self.last, self.dirty = time.monotonic(), False     # the last request's time; requests since a collection
        self.began = time.perf_counter()     # when the request answered now began (answer())
        self.static = {n: os.path.join(STATIC_DIR, n) for n in os.listdir(STATIC_DIR)
                       if os.path.splitext(n)[1] in STATIC_TYPES}

    def view(self, rel):
        v = self.views.get(rel)
        if v is None:
            if rel not in self.dirs:
                return None
            v = self.views[rel] = TraceView(self.dirs[rel], rel)
        return v

    def answer(self, name, q):
        """(status, JSON text) of API call `name` with query q, as the server
        answers it (quiet_gc); callers hold self.lock."""
        self.began = time.perf_counter()
        with quiet_gc():
            try:
                status, obj = self.api(name, q)
            except reader.TraceError as e:
                status, obj = 200, {"error": str(e)}
            except Interrupted:
                status, obj = 200, {"interrupted": True}
            body = json.dumps(obj, separators=(",", ":"))
        self.last, self.dirty = time.monotonic(), True
        return status, body

    def _fill_in(self, v, screen, deadline):
        """Fill in what lazy screen `screen` of TraceView v left out (extra())
        when that takes no chunk decoded after `deadline` (time.perf_counter)
        nor while another request waits; else leave it pending (the page asks
        for extra). Most screens need one or two more chunks at most, each
        walked in C in about a millisecond: one answer then, not two."""
        v.index.interrupt = lambda: bool(self.waiting) or time.perf_counter() > deadline
        try:
            ex = v.extra(screen["n"], screen["frame"])
        except Interrupted:
            return
        finally:
            v.index.interrupt = None
        screen.update(lines_run=ex["lines_run"], lines_partial=ex["lines_partial"], output=ex["output"],
                      output_earlier=ex["output_earlier"], threads=ex["threads"], pending=False)
        if screen["frames"]:
            screen["frames"][screen["frame"]]["args"] = ex["args"]

    def api(self, name, q):
        """(status, JSON-able) of API call `name` with query q."""
        rel = q.get("t", "")
        try:
            v = self.view(rel)
        except reader.TraceError as e:
            return 200, {"error": "cannot read %s: %s" % (rel or "the trace", e)}
        if v is None:
            return 404, {"error": "no such trace"}
        v.catch_up()
        try:
            return self._call(v, rel, name, q)
        except NotYet:      # needs chunks the index's scan has not reached: once it is done
            v.catch_up(wait=True)
            return self._call(v, rel, name, q)

    def _call(self, v, rel, name, q):
        """api() on TraceView v."""
        n = _int(q.get("n"), 0)
        if n >= v.index.steps:
            v.index.past_end()
        if v.index.steps:
            n = min(max(n, 0), v.index.steps - 1)
        if name == "info":
            out = v.info()
            out["children"] = self.children if rel == "" else [c for c in self.children
                                                                 if c["dir"].startswith(rel + os.sep)]
            return 200, out
        if not v.index.steps:
            return 200, {"error": "the trace has no steps"}
        if name == "step":
            how = q.get("how")
            if how is not None:     # a move from step n, and the screen where it lands: one request
                if how not in MOVES:
                    return 200, {"error": "no such move: %s" % how}
                n = v.index.move(n, how)
                if n is None:
                    return 200, {"n": None}
            screen = v.step(n, _int(q.get("frame"), 0), q.get("lazy") == "1")
            budget = _int(q.get("budget"), 0)
            if screen["pending"] and budget > 0:
                self._fill_in(v, screen, self.began + budget / 1000)
            return 200, screen
        if name == "extra":     # what comes after a screen gives way to a request waiting (the next move)
            v.index.interrupt = lambda: bool(self.waiting)
            try:
                return 200, v.extra(n, _int(q.get("frame"), 0))
            finally:
                v.index.interrupt = None
        if name == "time":
            try:
                t = float(q.get("s", ""))
            except ValueError:
                return 200, {"error": "not a time: %r (seconds since the recording started)" % q.get("s", "")}
            if not t >= 0 or t == float("inf"):
                return 200, {"error": "not a time: %r (seconds since the recording started)" % q.get("s", "")}
            return 200, {"n": v.index.seek_time(t)}
        if name == "move":
            if q.get("how", "next") not in MOVES:
                return 200, {"error": "no such move: %s" % q.get("how")}
            return 200, {"n": v.index.move(n, q.get("how", "next"))}
        if name == "line":
            pid = _int(q.get("path"), -1)
            if not 0 <= pid < len(v.paths):
                return 404, {"error": "no such file"}
            return 200, {"n": v.line_step(n, pid, _int(q.get("line"), 0), q.get("dir") != "back")}
        if name == "hits":
            pid = _int(q.get("path"), -1)
            if not 0 <= pid < len(v.paths):
                return 404, {"error": "no such file"}
            return 200, {"steps": v.index.line_hits(v.paths[pid], _int(q.get("line"), 0), LIST_MAX)}
        if name == "var":
            return 200, {"n": v.index.var_change(n, q.get("name", ""), q.get("dir") != "back")}
        if name == "calls":
            return 200, v.calls(_int(q.get("fn"), -1))
        if name == "call":
            return 200, {"n": v.index.seek_call(_int(q.get("fn"), -1), _int(q.get("k"), 0))}
        if name == "search":
            return 200, v.search(q.get("q", ""))
        if name == "source":
            text = v.source(q.get("id", ""))
            if text is None:
                return 404, {"error": "no source"}
            return 200, {"text": text}
        return 404, {"error": "no such call"}


def _int(s, default):
    try:
        return int(s)
    except (TypeError, ValueError):
        return default


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "ctgen-tracer-view"
    # keep-alive: the page's requests reuse a connection (and its thread) rather than each
    # opening one; every answer says its Content-Length
    protocol_version = "HTTP/1.1"
    timeout = 300          # seconds an idle connection is kept
    # TCP_NODELAY: an answer's body is sent at once after its headers (with Nagle's algorithm, the
    # body waited for the page's acknowledgement of the headers, which a kept-alive connection
    # delays up to 40 ms)
    disable_nagle_algorithm = True
    app = None

    def log_message(self, fmt, *args):   # quiet: the terminal shows the URL and errors only
        pass

    def _send(self, status, body, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _text(self, status, text):
        self._send(status, text.encode("utf-8"), "text/plain; charset=utf-8")

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        app = self.app
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.split("/")
        # parts[0] is "" (the path starts with /), parts[1] the token
        if len(parts) < 2 or not hmac.compare_digest(parts[1].encode(), app.token.encode()):
            return self._text(403, "forbidden: this page needs the URL with its token that `view` printed\n")
        rest = parts[2:]
        if any(p in ("..", ".") for p in rest) or "" in rest[:-1] or "\\" in url.path:
            return self._text(404, "not found\n")
        if rest in ([], [""], ["index.html"]):
            if not rest:
                self.send_response(301)
                self.send_header("Location", "/%s/" % app.token)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            rest = ["static", "index.html"]
        if len(rest) == 2 and rest[0] == "static":
            path = app.static.get(rest[1])
            if path is None:
                return self._text(404, "not found\n")
            with open(path, "rb") as f:
                body = f.read()
            return self._send(200, body, STATIC_TYPES[os.path.splitext(path)[1]])
        if len(rest) == 2 and rest[0] == "api":
            q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
            app.waiting.append(None)
            try:
                app.lock.acquire()
            finally:
                app.waiting.pop()
            try:
                status, body = app.answer(rest[1], q)
            finally:
                app.lock.release()
            return self._send(status, body.encode("utf-8"), "application/json")
        return self._text(404, "not found\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(trace_dir, port=0, host="127.0.0.1"):
    """A Server (not yet serving) for trace_dir, and its App; raises
    reader.TraceError when trace_dir is not a readable trace."""
    if not os.path.isdir(trace_dir):
        raise reader.NotATraceError("%s is not a directory holding a ctgen-tracer trace" % trace_dir)
    root = os.path.abspath(trace_dir)
    app = App(root)
    app.view("")        # refuses a directory that is no trace, loads the index (or starts building it)
    handler = type("BoundHandler", (Handler,), {"app": app})
    return Server((host, port), handler), app


def main(argv):
    p = argparse.ArgumentParser(prog="python -m ctgen_tracer view",
                                description="Serve a time-travel debugger for a trace on 127.0.0.1.")
    add_dir_argument(p)
    p.add_argument("--port", type=int, default=0, help="port to listen on (default: any free one)")
    p.add_argument("--no-browser", action="store_true", help="print the URL, do not open a browser")
    a = p.parse_args(argv)
    if not 0 <= a.port <= 65535:
        return fail("--port %d: not a port number" % a.port)
    try:
        if os.path.isfile(os.path.join(a.dir, EVENTS_FILE)) and Index.missing(a.dir):
            print("ctgen-tracer view: indexing %s while it is shown (once: the index is saved in the trace "
                  "directory)" % a.dir)
            sys.stdout.flush()
        server, app = serve(a.dir, a.port)
    except reader.NotATraceError as e:
        return fail("%s: not a trace directory: %s" % (a.dir, e))
    except reader.TraceError as e:
        return fail("%s: %s" % (a.dir, e))
    except OSError as e:
        return fail("cannot listen on 127.0.0.1:%d: %s" % (a.port, e.strerror or e))
    except KeyboardInterrupt:       # while opening
        return 130

    def stop(signum, frame):        # SIGTERM stops it as Ctrl-C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    server_gc()
    idle = threading.Event()
    threading.Thread(target=collect_idle, args=(app, idle), daemon=True).start()
    url = "http://127.0.0.1:%d/%s/" % (server.server_address[1], app.token)
    try:
        top = app.view("")
        print("ctgen-tracer view: %s (%s)" % (a.dir, "%d steps" % top.index.steps if top.building is None
                                               else "indexing: %d chunks" % top.building.total))
        print("open %s" % url)
        print("Ctrl-C stops the server.")
        sys.stdout.flush()
        if not a.no_browser:
            import webbrowser
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        idle.set()
        server.server_close()
    return 0
