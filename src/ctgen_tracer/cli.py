"""The command line: record a program (runner.py), and look at traces.

    python -m ctgen_tracer [-o DIR] [options] app.py [args...]
    python -m ctgen_tracer stats DIR
    python -m ctgen_tracer show DIR [--thread T] [--function NAME] [--steps A:B]
    python -m ctgen_tracer verify DIR
    python -m ctgen_tracer convert DIR --to codetracer -o OUT
"""

import argparse
import json
import os
import stat
import sys

from .errors import fail
from .tracedir import CHILDREN_DIR, PATHS_FILE, find

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


def stats(argv):
    from . import reader
    p = argparse.ArgumentParser(prog="python -m ctgen_tracer stats")
    p.add_argument("dir")
    a = p.parse_args(argv)
    t = _open(a.dir)
    counts, steps, threads, output = {}, {}, set(), {}
    for rec in t.records():
        counts[rec.kind] = counts.get(rec.kind, 0) + 1
        if rec.kind == "Step":
            f = t.function(rec["fn"])
            steps[f.name] = steps.get(f.name, 0) + 1
        elif rec.kind == "Output":
            o = output.setdefault(reader.Stream[rec["stream"]], [0, 0])
            o[0] += 1
            o[1] += len(rec.text("text"))
        if rec.thread is not None:
            threads.add(rec.thread)
    meta = t.metadata
    args = meta.get("args")
    args = [x for x in args if isinstance(x, str)] if isinstance(args, list) else []
    print("trace:    %s" % a.dir)
    print("program:  %s %s" % (_meta(meta, "program", default="?"), " ".join(args)))
    print("python:   %s   exit status: %s" % (_meta(meta, "python", "version", default="?"),
                                            _meta(meta, "exit_status", types=int)))
    print("file:     %d bytes, %d chunks, %d records, %d threads"
          % (t.file.size, t.chunk_count, sum(counts.values()), len(threads)))
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
    print("records:")
    for name in reader.RECORD_NAMES:
        if counts.get(name):
            print("  %-12s %10d" % (name, counts[name]))
    if output:
        print("output:   %s" % "; ".join("%s %d records, %d characters" % (str(k).lower(), n, c)
                                         for k, (n, c) in sorted(output.items())))
    elif not _meta(meta, "options", "capture_io", types=bool):
        print("output:   not recorded (--no-capture-io)")
    print("steps per function:")
    for name, n in sorted(steps.items(), key=lambda kv: -kv[1])[:20]:
        print("  %-40s %10d" % (name, n))
    if isinstance(meta.get("parent"), dict):
        print("parent:   pid %s (%s), trace %s" % (_meta(meta, "parent", "pid", types=int),
                                                  _meta(meta, "parent", "how"), _meta(meta, "parent", "trace")))
    _print_children(a.dir)
    return 0


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
    the line of the thread's last step in code with a source, which runs it."""

    def __init__(self, trace, cache):
        from . import sources
        self.t, self.cache = trace, cache
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
            path = key if key is not None else f.path
            self.last[rec.thread] = (path, rec["line"])
            return _source_line(self.cache, path, rec["line"])
        if rec.thread not in self.last:
            return "[no source]"
        path, line = self.last[rec.thread]
        return "[no source; run from %s:%d] %s" % (os.path.basename(path) if type(path) is str else "<string>",
                                                   line, _source_line(self.cache, path, line))


def _show_output(t, a, lo, hi, out):
    """One line of program output for show: stream, the step it belongs to
    (number, file:line) and the text."""
    i, step = out.step_index, out.step
    if a.thread is not None and out.thread != a.thread:
        return
    if (a.steps or a.function) and step is None:
        return
    if step is not None and (i < lo or (hi is not None and i >= hi)):
        return
    f = t.function(step["fn"]) if step is not None else None
    if a.function and f.name != a.function:
        return
    text = repr(out.text)
    if len(text) > 200:
        text = text[:197] + "..."
    where = "step %d, %s:%d" % (i, os.path.basename(f.path), step["line"]) if step is not None else "no step"
    print("       [%s] %s (%s): %s" % (out.thread, out.stream.lower(), where, text))


def _step_range(text):
    s, sep, e = text.partition(":")
    try:
        lo, hi = int(s or 0), (int(e) if e else None)
    except ValueError:
        lo = -1
    if not sep or lo < 0 or (hi is not None and hi < 0):
        raise argparse.ArgumentTypeError("expected A:B, A: or :B with step numbers A and B, not %r" % text)
    return lo, hi


def show(argv):
    p = argparse.ArgumentParser(prog="python -m ctgen_tracer show")
    p.add_argument("dir")
    p.add_argument("--thread", type=int, help="only this thread (its number in the trace)")
    p.add_argument("--function", help="only steps in functions with this (qualified) name")
    p.add_argument("--steps", type=_step_range, default=(0, None), metavar="A:B",
                   help="only steps A to B-1")
    a = p.parse_args(argv)
    lo, hi = a.steps
    t = _open(a.dir)
    cache = {}
    code = _PseudoSources(t, cache)
    n = 0
    for item in t.timeline():
        if type(item) is not tuple:   # program output, under the step it belongs to
            _show_output(t, a, lo, hi, item)
            continue
        rec, snap = item
        n += 1
        if hi is not None and n - 1 >= hi:
            break
        f = t.function(rec["fn"])
        source = code.line(rec, f)   # before skipping: the line running code with no source
        if n - 1 < lo:
            continue
        if (a.thread is not None and rec.thread != a.thread) or (a.function and f.name != a.function):
            continue
        print("%6d [%s] %s:%d %s | %s" % (n - 1, rec.thread, os.path.basename(f.path), rec["line"], f.name,
                                          source))
        for name, v in snap.items():
            print("         %s = %s" % (name, v.render() if v else "?"))
    if t.truncation:   # on stderr: stdout stays a listing of steps
        print(_truncated(t), file=sys.stderr)
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
    p = argparse.ArgumentParser(prog="python -m ctgen_tracer verify",
                                description="Check a trace. Exit status: 0 whole and consistent, "
                                "1 corrupt, 2 not a trace (or a usage error), 3 truncated (cut short "
                                "by a crash or a full disk) but readable and consistent up to the cut.")
    p.add_argument("dir")
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
    problems, stacks, n = [], {}, 0
    damaged = {e.index: e for e in t.file.check()}   # every frame's CRC-32, before decoding any
    try:
        for rec in t.records():
            n += 1
            f, k = rec.fields, rec.kind
            if "fn" in f and f["fn"] not in t.functions:
                problems.append("record %d (%s) uses undefined function %d" % (n, k, f["fn"]))
            if "name" in f and f["name"] not in t.names and f["name"] != reader.ALL_NAMES:
                problems.append("record %d (%s) uses undefined name %d" % (n, k, f["name"]))
            for field in ("value", "exc", "callable"):
                if field in f:
                    rec.value(field)   # decodes the tree: checks its indices and type ids
            for field in f:
                if field.endswith("_off") and k not in reader.DEFINITIONS:
                    rec.text(field[:-4])   # bounds and UTF-8
            st = stacks.setdefault(rec.thread, [])
            if k in reader.OPENS:
                st.append(k)
            elif k in reader.CLOSES:
                if not st:
                    problems.append("record %d: %s on thread %s with no activation" % (n, k, rec.thread))
                else:
                    st.pop()
    except reader.TraceError as e:
        note = t.damage_note()
        problems.append("after record %d: %s" % (n, e) + (" (%s)" % note if note and note not in str(e) else ""))
    for e in t.damaged:
        damaged.setdefault(e.index, e)
    problems[:0] = [str(damaged[i]) for i in sorted(damaged)]
    _check_size(t, problems)
    cut = t.truncation
    if not cut:   # a trace cut short ends inside activations
        for th, st in stacks.items():
            if st:
                problems.append("thread %s ends with %d open activations" % (th, len(st)))
    _check_paths_file(t, problems)
    for msg in problems[:20]:
        print("problem: " + msg)
    if len(problems) > 20:
        print("problem: ... and %d more" % (len(problems) - 20))
    if t.recording_error:
        print("note: the recording stopped early: %s" % t.recording_error)
    if _cap(t.metadata):
        print(_cap(t.metadata))
    if cut:
        print(_truncated(t))
    verdict = ("CORRUPT: %d problems" % len(problems) if problems
               else "TRUNCATED, readable up to the cut" if cut else "OK")
    print("%s: %d records in %d chunks, %s" % (a.dir, n, t.chunk_count, verdict))
    return VERIFY_CORRUPT if problems else VERIFY_TRUNCATED if cut else VERIFY_OK


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "convert":
        from . import convert
        try:
            return convert.main(argv[1:])
        except BrokenPipeError:
            return 0
    if argv and argv[0] in COMMANDS:
        from . import reader
        for stream in (sys.stdout, sys.stderr):   # names in a trace may hold lone surrogates
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors="backslashreplace")
        try:
            return {"stats": stats, "show": show, "verify": verify}[argv[0]](argv[1:])
        except reader.TraceError as e:
            return fail(str(e))
        except BrokenPipeError:
            return 0
        except KeyboardInterrupt:
            return 130
        except MemoryError:
            return fail("out of memory reading %s" % argv[-1])
    from . import runner
    return runner.record(argv)
