"""The command line: record a program (runner.py), and look at traces.

    python -m ctgen_tracer [-o DIR] [options] app.py [args...]
    python -m ctgen_tracer stats DIR
    python -m ctgen_tracer show DIR [--thread T] [--function NAME] [--file PATH] [--line N]
                                    [--steps A:B] [--time T] [--var NAME] [--all-vars] [--full]
    python -m ctgen_tracer verify DIR
    python -m ctgen_tracer convert DIR --to codetracer -o OUT
    python -m ctgen_tracer view DIR [--port N] [--no-browser]      (viewer.py)
"""

import json
import os
import stat
import sys

from .errors import fail
from .tracedir import CHILDREN_DIR, PATHS_FILE, add_dir_argument, find

COMMANDS = ("stats", "show", "verify", "convert")


def _open(path):
    from . import reader
    return reader.Trace(path)


def child_traces(trace_dir):
    """The child traces under trace_dir/children/ (forked and, with
    --follow-subprocess, python child processes; grandchildren too), as
    dicts: dir (relative), pid, parent pid, how (fork or subprocess),
    status (how and with which status it ended), records (None if the
    trace cannot be read), problem."""
    from . import reader
    base = os.path.join(trace_dir, CHILDREN_DIR)
    try:
        names = sorted(os.listdir(base), key=lambda n: (len(n), n))
    except OSError:
        return []
    found = []
    for name in names:
        d = os.path.join(base, name)
        if not os.path.isdir(d):
            continue
        c = {"dir": os.path.join(CHILDREN_DIR, name), "pid": None, "parent": None, "how": "?",
             "status": "?", "records": None, "problem": None}
        try:
            t = reader.Trace(d)
            m = t.metadata
            c.update(pid=_meta(m, "pid", types=int), parent=_meta(m, "parent", "pid", types=int),
                     how=_meta(m, "parent", "how") or "?")
            if _meta(m, "end_time", types=(int, float)) is None:
                c["status"] = "not ended (running, or killed)"
            else:
                c["status"] = "ended by %s" % (_meta(m, "ended_by") or "?")
                if _meta(m, "exit_status", types=int) is not None:
                    c["status"] += ", exit status %s" % m["exit_status"]
            c["records"] = sum(len(chunk["kinds"]) for _, chunk in t.file.chunks())
            if t.truncation:
                c["problem"] = "truncated: %s" % t.truncation
        except (reader.TraceError, OSError) as e:
            c["problem"] = str(e)
        found.append(c)
    return found


def _print_children(trace_dir):
    kids = child_traces(trace_dir)
    if not kids:
        return
    print("child traces: %d" % len(kids))
    for c in kids:
        print("  %-18s pid %s  %s of %s  %s  %s%s" % (
            c["dir"], c["pid"], c["how"], c["parent"], c["status"],
            "%d records" % c["records"] if c["records"] is not None else "unreadable",
            "  (%s)" % c["problem"] if c["problem"] else ""))


def _truncated(t):
    """The one line every command prints about a cut-short trace, or None."""
    return "truncated: %s" % t.truncation if t.truncation else None


def _meta(m, *path, types=str, default=None):
    """The metadata entry m[path[0]][path[1]]..., or `default` when it is
    missing or not of `types` (damaged metadata is shown as unknown, never
    trusted)."""
    for key in path:
        if not isinstance(m, dict):
            return default
        m = m.get(key)
    return m if isinstance(m, types) else default


def _cap(m):
    """The line saying that recording stopped at a cap, or None."""
    option, limit = _meta(m, "cap", "option"), _meta(m, "cap", "limit", types=int)
    if option is None:
        return None
    return "note: recording stopped at --%s %s; the program ran on" % (option.replace("_", "-"), limit)


def _progress(t, what):
    """A Progress line for reading trace t (on a terminal only)."""
    from .progress import Progress
    return Progress(what, t.file.size)


def stats(argv):
    import argparse
    from . import reader
    p = argparse.ArgumentParser(prog="python -m ctgen_tracer stats")
    add_dir_argument(p)
    p.add_argument("--top", type=int, default=20, metavar="N", help="lines of each ranking (default 20)")
    a = p.parse_args(argv)
    t = _open(a.dir)
    bar = _progress(t, "stats")
    try:
        res = t.check(values=False, strict=True, progress=bar.update)
    finally:
        bar.close()
    counts, size = res["counts"], res["bytes"]
    threads = [th for th in res["threads"] if th is not None]
    output = {reader.Stream[v]: (n, res["enum_chars"][(rec, field, v)])
              for (rec, field, v), n in res["by_enum"].items() if rec == "Output"}
    meta = t.metadata
    args = meta.get("args")
    args = [x for x in args if isinstance(x, str)] if isinstance(args, list) else []
    print("trace:    %s" % a.dir)
    print("program:  %s %s" % (_meta(meta, "program", default="?"), " ".join(args)))
    print("python:   %s   exit status: %s" % (_meta(meta, "python", "version", default="?"),
                                            _meta(meta, "exit_status", types=int)))
    print("file:     %d bytes, %d chunks, %d records, %d threads"
          % (t.file.size, t.chunk_count, res["records"], len(threads)))
    packed = sum(1 for r in t.file.compressed if r)
    if packed:
        print("          %d chunks compressed: %d bytes uncompressed (%.1fx)"
              % (packed, t.file.uncompressed_size, t.file.uncompressed_size / max(1, t.file.size)))
    if t.truncation:
        print(_truncated(t))
    if t.recording_error:
        print("note: the recording stopped early: %s" % t.recording_error)
    if _cap(meta):
        print(_cap(meta))
    present = [name for name in reader.RECORD_NAMES if counts.get(name)]
    w = max([18] + [len(name) for name in present])   # the longest record name sets the column
    print("%-*s %10s %10s  (bytes: each record's struct and text; value trees are apart)"
          % (w + 2, "records:", "count", "bytes"))
    for name in present:
        print("  %-*s %10d %10d" % (w, name, counts[name], size.get(name, 0)))
    whole = t.file.uncompressed_size   # the same for a trace compressed or not
    print("  %-*s %10s %10d  (%s of the uncompressed event file)"
          % (w, "all", "", sum(size.values()), _share(sum(size.values()), whole)))
    if output:
        print("output:   %s" % "; ".join("%s %d records, %d characters" % (str(k).lower(), n, c)
                                         for k, (n, c) in sorted(output.items())))
    elif not _meta(meta, "options", "capture_io", types=bool):
        print("output:   not recorded (--no-capture-io)")
    _rankings(t, res, a.top)
    if isinstance(meta.get("parent"), dict):
        print("parent:   pid %s (%s), trace %s" % (_meta(meta, "parent", "pid", types=int),
                                                  _meta(meta, "parent", "how"), _meta(meta, "parent", "trace")))
    _print_children(a.dir)
    return 0


def _share(part, whole):
    return "%.0f%%" % (100.0 * part / whole) if whole else "-"


def _rankings(t, res, top):
    """stats' tables: steps and calls per function, steps per file, the
    hottest lines."""
    paths = _Paths(_meta(t.metadata, "workdir"))
    per_fn = {}     # function name -> [steps, calls]
    per_file = {}   # path shown -> [steps, calls]
    for (rec, fid), n in res["by_function"].items():
        col = 0 if rec == "Step" else 1 if rec == "Call" else None
        f = t.functions.get(fid)
        if col is None or f is None:
            continue
        per_fn.setdefault(f.name, [0, 0])[col] += n
        per_file.setdefault(paths.shown(f.path), [0, 0])[col] += n
    print("%-42s %10s %10s" % ("steps per function:", "steps", "calls"))
    for name, (st, ca) in sorted(per_fn.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:top]:
        print("  %-40s %10d %10d" % (name, st, ca))
    print("%-42s %10s %10s" % ("steps per file:", "steps", "calls"))
    for path, (st, ca) in sorted(per_file.items(), key=lambda kv: (-kv[1][0], kv[0]))[:top]:
        print("  %-40s %10d %10d" % (path, st, ca))
    print("%-42s %10s" % ("hottest lines:", "steps"))
    lines = sorted(res["lines"].items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    for (fid, line), n in lines:
        f = t.functions.get(fid)
        where = "%s:%d" % (paths.shown(f.path), line) if f else "function %d, line %d" % (fid, line)
        print("  %-40s %10d  %s" % (where, n, f.name if f else "?"))


MAX_SOURCE = 16 << 20   # bytes of a source file show reads at most


def _source_line(cache, path, line):
    if path not in cache:
        cache[path] = []
        try:   # only regular files: a path in a trace may name a FIFO or a device
            st = os.stat(path)
            if stat.S_ISREG(st.st_mode) and st.st_size <= MAX_SOURCE:
                with open(path, encoding="utf-8", errors="replace") as f:
                    cache[path] = f.read(MAX_SOURCE).splitlines()
        except (OSError, ValueError):
            pass
    lines = cache[path]
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


class _PseudoSources:
    """The source lines show prints, also for code compiled from strings
    (`<string>`): from the text the recording kept (sources.jsonl), else
    the line of the thread's last step in code with a source, which runs it.
    `paths` resolves a recorded path and names it for display (_Paths)."""

    def __init__(self, trace, cache, paths):
        from . import sources
        self.t, self.cache, self.paths = trace, cache, paths
        self.texts = sources.Texts(trace.dir)
        self.key = {}       # function id -> cache key of its text, or None
        self.next = 0       # the texts of function ids below it are looked up (in id order)
        self.last = {}      # thread -> (path, line) of its last step with a source

    def line(self, rec, f):
        fid = rec["fn"]
        if fid >= self.next:
            ids = range(self.next, fid + 1)
            if len(ids) > 2 * len(self.t.functions) + 16:     # ids with gaps (a damaged trace)
                ids = sorted(i for i in self.t.functions if self.next <= i <= fid)
            for i in ids:
                g = self.t.functions.get(i)
                text = self.texts.of(g.path, g.line, g.name) if g is not None and g.path.startswith("<") else None
                if text is not None:
                    self.key[i] = ("text", text)
                    self.cache.setdefault(self.key[i], text.splitlines())
            self.next = fid + 1
        key = self.key.get(fid)
        if key is not None or not f.path.startswith("<"):
            path = key if key is not None else self.paths.resolve(f.path)
            self.last[rec.thread] = (path, rec["line"])
            return _source_line(self.cache, path, rec["line"])
        if rec.thread not in self.last:
            return "[no source]"
        path, line = self.last[rec.thread]
        return "[no source; run from %s:%d] %s" % (self.paths.shown(path) if type(path) is str else "<string>",
                                                   line, _source_line(self.cache, path, line))


class _Paths:
    """Recorded paths resolved against the recorded working directory (a
    relative path is relative to it, not to where show runs), and shown
    relative to it when they are inside it (else in full)."""

    def __init__(self, workdir):
        self.workdir = workdir if isinstance(workdir, str) and os.path.isabs(workdir) else None
        self._resolved, self._shown = {}, {}

    def resolve(self, path):
        r = self._resolved.get(path)
        if r is None:
            r = path
            if not path.startswith("<") and not os.path.isabs(path) and self.workdir:
                r = os.path.normpath(os.path.join(self.workdir, path))
            self._resolved[path] = r
        return r

    def shown(self, path):
        s = self._shown.get(path)
        if s is None:
            s = r = self.resolve(path)
            if self.workdir and os.path.isabs(r):
                rel = os.path.relpath(r, self.workdir)
                if rel != os.pardir and not rel.startswith(os.pardir + os.sep):
                    s = rel
            self._shown[path] = s
        return s


def _same(a, b):
    """Whether two recorded values are the same (kind, type, contents; a
    float by its repr: nan is nan, -0.0 is not 0.0)."""
    from .reader import CONTAINERS
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x is y:
            continue
        if x is None or y is None or x.kind != y.kind or x.type != y.type or x.length != y.length \
                or x.flags != y.flags:
            return False
        if x.kind in CONTAINERS:
            if len(x.data) != len(y.data):
                return False
            stack.extend(zip(x.data, y.data))
        elif type(x.data) is not type(y.data):
            return False
        elif type(x.data) in (float, complex):
            if repr(x.data) != repr(y.data):
                return False
        elif x.data != y.data:
            return False
    return True


def _changes(before, after):
    """[(name, old, new)] of the variables that differ between two
    snapshots, in `after`'s order then the unbound ones; old or new is
    _UNBOUND where the variable is not bound."""
    out = []
    for name, v in after.items():
        if name not in before:
            out.append((name, _UNBOUND, v))
        elif not _same(before[name], v):
            out.append((name, before[name], v))
    for name, v in before.items():
        if name not in after:
            out.append((name, v, _UNBOUND))
    return out


_UNBOUND = object()   # a variable that is not bound (in _changes)


class _Activation:
    """A running function on a thread, as show follows it: its function,
    the variables at its previous step (to print what changed) and that
    step's line; `partial`: the recording started inside it (the trace has
    no Call), so its snapshots hold only what its steps recorded; `prev`:
    vars is None, the activation was open where a seek began the listing,
    and prev is the number of its step before (None: none), whose variables
    the index gives at its next step."""
    __slots__ = ("fn", "vars", "line", "partial", "prev")

    def __init__(self, fn, partial=False):
        self.fn, self.vars, self.line, self.partial, self.prev = fn, {}, None, partial, None


class _Show:
    """show's listing, streamed from Trace.timeline(events=True): memory is
    the activations running on each thread and their variables. With
    --steps A:B (or --time) for A > 0 it begins at the chunk holding step A,
    as the index says (Index.seek): the activations open there come from
    the index, and each one's variables before its first step there from
    the index's state at its step before (one chunk decoded), so what the
    listing shows from step A on is what reading from the start shows, but
    for a generator resumed there: which of a function's suspended
    generators resumes is not in the trace, and the listing does not know
    those suspended before the chunk, so the resumed one shows all its
    variables, as when two or more of them are suspended."""

    def __init__(self, t, a, index=None):
        from .reader import Activations
        self.t, self.a = t, a
        self.limit = sys.maxsize if a.full else 80
        self.lo, self.hi = a.steps
        self.paths = _Paths(_meta(t.metadata, "workdir"))
        self.code = _PseudoSources(t, {}, self.paths)
        self.acts = Activations()  # each thread's running activations (_Activation)
        self.n = 0                # steps so far (the next step's number)
        self.call = None          # (thread, Call record, [(name, Value)], shown) until its Args are read
        self.selected = {}        # function id -> whether --function/--file select it
        # function id -> [suspended activations of it, the variables of the one
        # suspended when it is the only one (else None)]: a resumed generator's
        # changes are shown against them; with two or more, which one resumes is
        # not in the trace, and all its variables are shown
        self.suspended = {}
        self.index = index        # the Index a seek began with (None: from the start)
        self.seek = None
        if index is not None and self.lo > 0:
            seek = self.seek = index.seek(self.lo)
            self.n = seek.step
            for th, stack in seek.stacks.items():
                for fid, last, line in stack:
                    act = self.acts.open(th, _Activation(fid))
                    act.vars, act.line, act.prev = None, line, last

    # ---- what the filters select ----
    def _fn_selected(self, fid):
        sel = self.selected.get(fid)
        if sel is None:
            a, f = self.a, self.t.function(fid)
            sel = True
            if a.function is not None:
                sel = f.name == a.function or f.name.rpartition(".")[2] == a.function
            if sel and a.file is not None:
                sel = self.in_file(f)
            self.selected[fid] = sel
        return sel

    def in_file(self, f):
        """Whether function f is in --file's file."""
        shown, file = self.paths.shown(f.path), self.a.file
        return file in (shown, f.path, self.paths.resolve(f.path), os.path.basename(shown)) or (
            not f.path.startswith("<") and os.path.abspath(file) == self.paths.resolve(f.path))

    def _selected(self, thread, fid, line, step):
        """Whether an item on `thread` in function fid at `line`, at step
        number `step`, passes the filters."""
        a = self.a
        if step < self.lo or (self.hi is not None and step >= self.hi):
            return False
        if a.thread is not None and thread != a.thread:
            return False
        if a.line is not None and line != a.line:
            return False
        return fid is None and a.function is None and a.file is None or fid is not None and self._fn_selected(fid)

    # ---- printing ----
    def value(self, v):
        return "?" if v is None else v.render(self.limit)

    def _state(self, x):
        return "unbound" if x is _UNBOUND else self.value(x)

    def event(self, thread, depth, text, fid=None, line=None):
        """An event line (no step number), indented by the activation depth;
        text: a str, or a function making it (values rendered only when the
        line is shown)."""
        if self.a.var is None and self._selected(thread, fid, line, max(self.n - 1, 0)):
            print("       [%s] %s%s" % (thread, "  " * depth, text() if callable(text) else text))

    def step(self, rec, snap):
        th, fid, line = rec.thread, rec["fn"], rec["line"]
        f = self.t.function(fid)
        stack = self.acts.stack(th)
        if not stack:   # the recording started inside it (no Call): as timeline() does
            self.acts.open(th, _Activation(fid, partial=True))
        act = stack[-1]
        i = self.n
        self.n += 1
        source = self.code.line(rec, f)   # before skipping: the line running code with no source
        if snap is None:   # before the first step a seek shows: the index gives its variables if needed
            act.vars, act.line, act.prev = None, line, i
            return
        if act.partial and act.vars is not None:   # its snapshots hold what each step recorded: keep the rest
            snap = {**act.vars, **snap}
        before = act.vars
        act.vars, act.line = snap, line
        if not self._selected(th, fid, line, i):
            return
        if before is None:   # open where the seek began: its variables at its step before, from the index
            before = {} if act.prev is None else self.index.step(act.prev).variables()
        changes = _changes(before, snap)
        depth = "  " * (len(stack) - 1)
        if self.a.var is not None:
            changes = [c for c in changes if c[0] == self.a.var]
            if not changes:
                return
        print("%6d [%s] %s%s:%d %s | %s" % (i, th, depth, self.paths.shown(f.path), line, f.name, source))
        if self.a.var is not None:
            for name, old, new in changes:
                print("         %s%s: %s -> %s" % (depth, name, self._state(old), self._state(new)))
        elif self.a.all_vars:
            for name, v in snap.items():
                print("         %s%s = %s" % (depth, name, self.value(v)))
        else:
            for name, old, new in changes:
                if new is _UNBOUND:
                    print("         %s%s unbound" % (depth, name))
                else:
                    print("         %s%s = %s" % (depth, name, self.value(new)))

    def output(self, out):
        """One line of program output: stream, the step it belongs to
        (number, file:line) and the text."""
        step = out.step
        if self.a.var is not None:
            return
        if step is None:
            if self.lo or self.hi is not None or self.a.function or self.a.file or self.a.line is not None \
                    or (self.a.thread is not None and out.thread != self.a.thread):
                return
        elif not self._selected(out.thread, step["fn"], step["line"], out.step_index):
            return
        text = repr(out.text)
        if len(text) > 200 and not self.a.full:
            text = text[:197] + "..."
        where = "no step" if step is None else "step %d, %s:%d" % (
            out.step_index, self.paths.shown(self.t.function(step["fn"]).path), step["line"])
        print("       [%s] %s (%s): %s" % (out.thread, out.stream.lower(), where, text))

    def flush_call(self):
        """Print the pending Call, now that its arguments are known."""
        th, rec, args, shown = self.call
        self.call = None
        if not shown:
            return
        f = self.t.function(rec["fn"])
        self.event(th, self.acts.depth(th) - 1, lambda: "call %s(%s)" % (
            f.name, ", ".join("%s=%s" % (name, self.value(v)) for name, v in args)), rec["fn"], f.line)

    def record(self, rec):
        from .reader import NOT_RECORDED, ThreadEvent
        k, th = rec.kind, rec.thread
        if k == "Arg":
            if self.call is not None and self.call[0] == th and self.call[3]:
                self.call[2].append((self.t.names.get(rec["name"], "?"), rec.value("value")))
            return
        if self.call is not None:
            self.flush_call()
        stack = self.acts.stack(th)
        act = stack[-1] if stack else None
        fid, line = (act.fn, act.line) if act else (None, None)
        depth = max(len(stack) - 1, 0)
        name = self.t.function(fid).name if act else "?"
        if k == "Call":
            self.acts.open(th, _Activation(rec["fn"]))
            f = self.t.function(rec["fn"])   # its values are read only when the line is shown
            self.call = (th, rec, [], self.a.var is None and self._selected(th, rec["fn"], f.line, max(self.n - 1, 0)))
        elif k in ("Resume", "Throw"):
            resumed = self.acts.open(th, _Activation(rec["fn"]))
            held = self.suspended.get(rec["fn"])
            if held:
                if held[0] == 1 and held[1] is not None and self.seek is None:
                    resumed.vars = held[1]
                held[0], held[1] = held[0] - 1, None
            f = self.t.function(rec["fn"])
            if k == "Resume":
                self.event(th, len(stack) - 1, "resume %s" % f.name, rec["fn"], f.line)
            else:
                self.event(th, len(stack) - 1, lambda: "throw %s into %s" % (self.value(rec.value("exc")), f.name),
                           rec["fn"], f.line)
        elif k in ("Return", "Yield", "Unwind"):
            if k == "Unwind":
                self.event(th, depth, lambda: "%s exits by %s" % (name, self.value(rec.value("exc"))), fid, line)
            elif k == "Return" and rec["value"] == NOT_RECORDED:
                self.event(th, depth, "%s ends: the recording stopped while it ran" % name, fid, line)
            else:
                self.event(th, depth, lambda: "%s %s %s" % (name, "returns" if k == "Return" else "yields",
                                                   self.value(rec.value("value"))), fid, line)
            gone = self.acts.close(th)
            if gone is not None:
                if k == "Yield":
                    held = self.suspended.setdefault(gone.fn, [0, None])
                    held[0] += 1
                    held[1] = gone.vars if held[0] == 1 and not gone.partial else None
        elif k in ("Raise", "Reraise", "Handled"):
            what = {"Raise": "raise", "Reraise": "reraise", "Handled": "handled"}[k]
            at = " at line %d" % rec["line"] if rec["line"] >= 0 else ""   # -1: an instruction with no line
            self.event(th, depth, lambda: "%s %s%s" % (what, self.value(rec.value("exc")), at), fid, rec["line"])
        elif k == "Thread":
            what = ThreadEvent[rec["what"]]
            self.event(th, 0, "-- thread %s %s" % (th, {"Start": "starts", "Switch": "runs", "Exit": "exits"}.get(
                what, what.lower())))
        elif k == "Exit":
            exc = rec.value("exc")
            self.event(th, 0, "-- exit status %s%s" % (rec["status"], ", uncaught %s" % self.value(exc) if exc else ""))

    def run(self):
        """List the trace; True when --steps stopped it before the end."""
        from .reader import Output
        stopped = False
        for item in self.t.timeline(events=True, start=self.seek, quiet=self.lo if self.seek else 0):
            if type(item) is tuple:
                if self.call is not None:
                    self.flush_call()
                if self.hi is not None and self.n >= self.hi:
                    stopped = True
                    break
                self.step(*item)
            elif type(item) is Output:
                self.output(item)
            else:
                self.record(item)
        if self.call is not None:
            self.flush_call()
        return stopped


def seconds(text):
    """A time since the recording started (show --time): seconds as a
    number, with or without "s", or milliseconds with "ms" (1.5, 1.5s,
    250ms)."""
    t = text.strip().lower()
    scale = 1e-3 if t.endswith("ms") else 1.0
    t = t[:-2] if t.endswith("ms") else t[:-1] if t.endswith("s") else t
    try:
        v = float(t) * scale
    except ValueError:
        v = -1.0
    if not v >= 0 or v == float("inf"):
        import argparse   # (imported already: argparse calls this)
        raise argparse.ArgumentTypeError("expected a time since the recording started, in seconds (1.5, 1.5s) "
                                         "or milliseconds (250ms), not %r" % text)
    return v


def _from_time(a, t):
    """show --time: the step at or after it (index.Trace t's seek_time), made
    the start of --steps; an error message when there is none."""
    from .reader import TraceError
    try:
        n = t.seek_time(a.time)
    except TraceError as e:
        return "--time %s: %s" % (a.time_text, e)
    if n is None:
        return "--time %s: no step was recorded at or after %g s since the recording started" % (a.time_text, a.time)
    a.steps = (max(n, a.steps[0]), a.steps[1])
    return None


def _seeking(t, n):
    """The Index of index.Trace t when show is to begin at step n > 0 by a
    seek (loaded, or built by a scan and saved, as the viewer does), else
    None: from the start (step 0, no step n, an index that cannot be made:
    reading from the start says what is wrong)."""
    from .reader import TraceError
    if n <= 0:
        return None
    try:
        ix = t.index
        return ix if n < ix.steps and ix.complete else None
    except (TraceError, OSError, ValueError, KeyError, TypeError):
        return None


def show(argv):
    import argparse
    from .convert import step_range
    p = argparse.ArgumentParser(
        prog="python -m ctgen_tracer show",
        description="List a trace as a debugger's history: steps (number, [thread], file:line, "
        "function | source line) with the variables that changed, calls with their arguments, "
        "returns and yields with their values, exceptions, thread switches and program output, "
        "indented by call depth.")
    add_dir_argument(p)
    p.add_argument("--thread", type=int, help="only this thread (its number in the trace)")
    p.add_argument("--function", metavar="NAME",
                   help="only steps and events in functions of this name: qualified (C.m) or bare (m)")
    p.add_argument("--file", metavar="PATH",
                   help="only steps and events in this file (its path as shown, as recorded, or its name)")
    p.add_argument("--line", type=int, metavar="N", help="only steps and events at line N")
    p.add_argument("--steps", type=step_range, default=(0, None), metavar="A:B",
                   help="only steps A to B-1 (and the events between them)")
    p.add_argument("--time", type=seconds, metavar="T",
                   help="from the first step at or after time T since the recording started (1.5, 1.5s or "
                   "250ms; to a chunk's precision, as the trace's Clock records give it: format 5 on)")
    p.add_argument("--var", metavar="NAME",
                   help="only the steps at which variable NAME changed, with its old and new values")
    p.add_argument("--all-vars", action="store_true",
                   help="every visible variable at each step, not only those that changed")
    p.add_argument("--full", action="store_true", help="values and output in full, not cut for display")
    a = p.parse_args(argv)
    from . import index
    t = index.Trace(a.dir)
    if a.time is not None:
        a.time_text = next((argv[i + 1] for i, x in enumerate(argv[:-1]) if x == "--time"),
                           next((x[7:] for x in argv if x.startswith("--time=")), "%g" % a.time))
        why = _from_time(a, t)
        if why is not None:
            return fail(why)
    sh = _Show(t, a, _seeking(t, a.steps[0]))
    bar = _progress(t, "show")
    if not sys.stdout.isatty():   # a listing on the terminal shows its own progress
        t.progress = bar.update
    try:
        stopped = sh.run()
    finally:
        bar.close()
    if t.truncation:   # on stderr: stdout stays a listing of steps
        print(_truncated(t), file=sys.stderr)
    where = "in steps before %d" % sh.hi if stopped else "in the trace"
    for option, value, found in (
            ("--function", a.function, lambda: any(
                f.name == a.function or f.name.rpartition(".")[2] == a.function for f in t.functions.values())),
            ("--file", a.file, lambda: any(sh.in_file(f) for f in t.functions.values())),
            ("--var", a.var, lambda: a.var in t.names.values())):
        if value is not None and not found():
            return fail("%s %s: no %s named %r %s" % (option, value, option[2:].replace("var", "variable"),
                                                       value, where))
    _print_children(a.dir)
    return 0


# verify's exit statuses (docs/trace-format.md)
VERIFY_OK, VERIFY_CORRUPT, VERIFY_ERROR, VERIFY_TRUNCATED = 0, 1, 2, 3


def _check_paths_file(t, problems):
    """The paths file (PATHS_FILE, or its name in a format-1 or -2 trace), when present: a JSON list
    of the trace's paths."""
    path = find(t.dir, PATHS_FILE)
    if path is None:
        return
    name = os.path.basename(path)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 64 << 20:
            raise ValueError("not a regular file of at most 64 MiB")
        with open(path, "rb") as f:
            paths = json.loads(f.read(64 << 20))
    except (OSError, ValueError, RecursionError) as e:
        problems.append("%s is not readable: %s" % (name, str(e)[:200]))
        return
    if not isinstance(paths, list) or not all(isinstance(x, str) for x in paths):
        problems.append("%s is not a list of paths" % name)
    elif t.finished and not t.truncation and not t.damaged and paths != [t.paths[i] for i in sorted(t.paths)]:
        problems.append("%s does not list the trace's %d paths in id order" % (name, len(t.paths)))


def _check_size(t, problems):
    """A finished trace's event file against what its metadata says was written (stats: bytes,
    chunks). A file shorter than that lost its end (a system crash: the event file is not
    synced), a truncation; one of exactly that size whose last frame runs past its end, or
    with another number of frames, has a damaged size prefix."""
    m, f = t.metadata, t.file
    size, chunks = _meta(m, "stats", "bytes", types=int), _meta(m, "stats", "chunks", types=int)
    if not t.finished or t.recording_error or size is None or chunks is None or t.events_missing:
        return
    if any(e.framing for e in t.damaged) or f.size != size:   # framing: already a problem
        return
    if f.torn:
        problems.append("chunk %d at byte %d: its size prefix runs past the end of the event file, which has "
                        "all the %d bytes the metadata says were written: the size prefix is damaged"
                        % (f.chunk_count, f.torn_at, size))
    elif chunks != f.chunk_count:
        problems.append("the event file has the %d bytes the metadata says were written, in %d chunks, not %d"
                        % (size, f.chunk_count, chunks))


def verify(argv):
    import argparse
    p = argparse.ArgumentParser(prog="python -m ctgen_tracer verify",
                                description="Check a trace. Exit status: 0 whole and consistent, "
                                "1 corrupt, 2 not a trace (or a usage error), 3 truncated (cut short "
                                "by a crash or a full disk) but readable and consistent up to the cut.")
    add_dir_argument(p)
    a = p.parse_args(argv)
    from . import reader
    try:
        t = reader.Trace(a.dir, skip_damaged=True)   # damaged chunks: problems, reading goes on
    except reader.NotATraceError:
        raise   # status 2, from main
    except reader.TraceError as e:   # a trace, but its metadata is damaged
        print("problem: %s" % e)
        print("%s: CORRUPT: 1 problems" % a.dir)
        return VERIFY_CORRUPT
    problems, n, damaged = [], 0, {}
    bar = _progress(t, "verify")
    try:
        t.check(values=True, progress=bar.update)   # every frame's CRC-32, then its records
    except reader.TraceError as e:
        damaged = {e.index: e for e in t.file.check()}   # the CRC-32s of the frames after the error too
        note = t.damage_note()
        res = t.check_results
        n = res["records"] if res else 0
        problems.append("after record %d: %s" % (n, e) + (" (%s)" % note if note and note not in str(e) else ""))
    finally:
        bar.close()
    res = t.check_results
    more = 0
    if res:
        n = res["records"]
        problems[:0] = res["problems"]
        more = res["nproblems"] - len(res["problems"])   # counted, not kept
    for e in t.damaged:
        damaged.setdefault(e.index, e)
    problems[:0] = [str(damaged[i]) for i in sorted(damaged)]
    _check_size(t, problems)
    cut = t.truncation
    if not cut and res:   # a trace cut short ends inside activations
        for th, depth in sorted(res["open"].items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
            problems.append("thread %s ends with %d open activations" % (th, depth))
    _check_paths_file(t, problems)
    total = len(problems) + more
    for msg in problems[:20]:
        print("problem: " + msg)
    if total > 20:
        print("problem: ... and %d more" % (total - 20))
    if t.recording_error:
        print("note: the recording stopped early: %s" % t.recording_error)
    if _cap(t.metadata):
        print(_cap(t.metadata))
    if cut:
        print(_truncated(t))
    verdict = ("CORRUPT: %d problems" % total if problems
               else "TRUNCATED, readable up to the cut" if cut else "OK")
    print("%s: %d records in %d chunks, %s" % (a.dir, n, t.chunk_count, verdict))
    return VERIFY_CORRUPT if problems else VERIFY_TRUNCATED if cut else VERIFY_OK


def _flushed(status):
    """A reader's exit status, once its output is out: a pipe closed under
    it (`show | head`) is found here, where main() catches it, and not at
    the interpreter's exit, which would print "Exception ignored"."""
    sys.stdout.flush()
    return status


def _pipe_closed():
    """The reader of our output went away (`stats | head`): stop quietly.
    What is still buffered can never be written, so stdout is pointed at
    /dev/null for the interpreter's last flush."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "view":
        from . import viewer
        return viewer.main(argv[1:])
    if argv and argv[0] == "convert":
        from . import convert
        try:
            return _flushed(convert.main(argv[1:]))
        except BrokenPipeError:
            return _pipe_closed()
    if argv and argv[0] in COMMANDS:
        from . import reader
        for stream in (sys.stdout, sys.stderr):   # names in a trace may hold lone surrogates
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors="backslashreplace")
        try:
            return _flushed({"stats": stats, "show": show, "verify": verify}[argv[0]](argv[1:]))
        except reader.TraceError as e:
            return fail(str(e))
        except BrokenPipeError:
            return _pipe_closed()
        except KeyboardInterrupt:
            return 130
        except MemoryError:
            return fail("out of memory reading %s" % argv[-1])
    from . import runner
    return runner.record(argv)
