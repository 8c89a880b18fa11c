"""The command line: record a program, and look at traces.

    python -m ctgen_tracer [-o DIR] [options] app.py [args...]
    python -m ctgen_tracer stats DIR
    python -m ctgen_tracer show DIR [--thread T] [--function NAME] [--steps A:B]
    python -m ctgen_tracer verify DIR
    python -m ctgen_tracer convert DIR --to codetracer -o OUT
"""

import argparse
import json
import os
import signal
import stat
import sys
import threading
import traceback
import types

COMMANDS = ("stats", "show", "verify", "convert")


def _record_parser():
    import ctgen_tracer as ct
    p = argparse.ArgumentParser(
        prog="python -m ctgen_tracer",
        usage="%(prog)s [options] app.py [args...]\n       %(prog)s {stats,show,verify} DIR\n"
              "       %(prog)s convert DIR --to codetracer -o OUT [--force]",
        description="Record the execution of a Python program for time-travel debugging.")
    p.add_argument("-o", "--output", default="ctgen-trace", metavar="DIR",
                   help="trace directory (default: ctgen-trace)")
    p.add_argument("--events", default="", metavar="LIST",
                   help="opt-in events, comma-separated: " + ", ".join(ct.OPTIONS))
    p.add_argument("--include", action="append", default=[], metavar="GLOB",
                   help="also record modules or files matching GLOB (repeatable)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="do not record modules or files matching GLOB (repeatable)")
    p.add_argument("--no-values", action="store_true", help="record no variable values or arguments")
    p.add_argument("--no-redact", action="store_true", help="record values of secret-looking names too")
    p.add_argument("--redact", action="append", default=None, metavar="FRAGMENT",
                   help="hide values of names containing FRAGMENT (repeatable; replaces the default list)")
    # The limits are checked by _limits(): one error line, exit status 2.
    p.add_argument("--max-depth", default=None, metavar="N",
                   help="containers nested deeper are recorded as their type and length only "
                        "(default %d, at most %d)" % (ct.LIMITS["max_depth"][0], ct.LIMITS["max_depth"][2]))
    p.add_argument("--max-items", default=None, metavar="N",
                   help="items kept per container, attributes per instance (default %d)"
                        % ct.LIMITS["max_items"][0])
    p.add_argument("--max-text", default=None, metavar="N",
                   help="bytes kept per str, bytes, bytearray and big int (default %d)" % ct.LIMITS["max_text"][0])
    p.add_argument("--max-nodes", default=None, metavar="N",
                   help="containers take no more children once a value's tree has N nodes (default %d)"
                        % ct.LIMITS["max_nodes"][0])
    io = p.add_mutually_exclusive_group()
    io.add_argument("--capture-io", dest="capture_io", action="store_true", default=ct.CAPTURE_IO,
                    help="record what the program writes to sys.stdout and sys.stderr%s"
                    % (" (the default)" if ct.CAPTURE_IO else ""))
    io.add_argument("--no-capture-io", dest="capture_io", action="store_false",
                    help="do not record program output%s" % ("" if ct.CAPTURE_IO else " (the default)"))
    p.add_argument("--chunk-bytes", default=None, metavar="N",
                   help="bytes per chunk (default 1 MiB); a crash loses at most the chunks not yet written")
    p.add_argument("--compress", action="store_true",
                   help="compress chunks with zlib in the writer thread (traces several times smaller; "
                        "see docs/trace-format.md)")
    p.add_argument("--force", action="store_true", help="record into DIR even if it holds other files")
    p.add_argument("--no-follow-children", action="store_true",
                   help="forked child processes do not record (default: each records into DIR/children/PID/)")
    p.add_argument("--follow-subprocess", action="store_true",
                   help="python processes started by the program (subprocess, multiprocessing spawn and "
                        "forkserver) record into DIR/children/PID/ too")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    p.add_argument("program", help="the Python file to run")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    return p


def _limits(opts):
    """{name: int} of the limit options given (--max-depth ...); raises
    ValueError with one line naming the option for a bad one."""
    import ctgen_tracer as ct
    out = {}
    for name in ("max_depth", "max_items", "max_text", "max_nodes", "chunk_bytes"):
        text = getattr(opts, name)
        if text is None:
            continue
        flag = "--" + name.replace("_", "-")
        try:
            value = int(text, 10)
        except ValueError:
            value = text   # check_limit says what is wrong with it
        out[name] = ct.check_limit(name, value, flag)
    return out


def _fail(msg):
    print("ctgen-tracer: error: %s" % msg, file=sys.stderr)
    return 2


def _run_main(path, code):
    """Run `code` as the __main__ module, as `python path` would."""
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__
    main.__cached__ = None
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def _user_tb(tb):
    """The traceback without ctgen_tracer's own frames on top."""
    here = os.path.dirname(os.path.abspath(__file__))
    while tb is not None and os.path.dirname(os.path.abspath(tb.tb_frame.f_code.co_filename)) == here:
        tb = tb.tb_next
    return tb


def _exit_status(exc):
    """Exit status and message for SystemExit, as the interpreter computes it."""
    code = exc.code
    if code is None:
        return 0, None
    if isinstance(code, int):
        return code, None
    return 1, code


def _join_threads():
    """Wait for non-daemon threads, as the interpreter does before exiting."""
    for t in threading.enumerate():
        if t is not threading.current_thread() and not t.daemon:
            t.join()


def record(argv):
    import ctgen_tracer as ct
    opts = _record_parser().parse_args(argv)
    path = opts.program
    try:
        limits = _limits(opts)
    except ValueError as e:
        return _fail(str(e))
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        return _fail("cannot open %s: %s" % (path, e.strerror or e))
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        traceback.print_exception(type(e), e, None)
        return 1
    events = [e for e in opts.events.split(",") if e.strip()]
    redact = () if opts.no_redact else (opts.redact if opts.redact is not None else ct.DEFAULT_REDACT)
    sys.argv = [path] + opts.args
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    try:
        ct.start(opts.output, events=[e.strip() for e in events], include=opts.include,
                 exclude=opts.exclude, values=not opts.no_values, redact=redact,
                 **limits, force=opts.force, program=path, args=opts.args,
                 capture_io=opts.capture_io, follow_children=not opts.no_follow_children,
                 follow_subprocess=opts.follow_subprocess, compress=opts.compress)
    except (ct.TraceDirError, ValueError, RuntimeError, OSError) as e:
        return _fail(str(e))
    pid = os.getpid()   # a forked child runs on from here too: it prints no summary
    status, exc, message, interrupted = 0, None, None, False
    try:
        _run_main(path, code)
    except SystemExit as e:
        status, message = _exit_status(e)
    except KeyboardInterrupt as e:
        status, exc, interrupted = 130, e, True
    except BaseException as e:   # the program's uncaught exception
        status, exc = 1, e
    if exc is None:
        try:
            _join_threads()
        except KeyboardInterrupt as e:
            status, exc, interrupted = 130, e, True
    stats = None
    try:   # still recording: the traceback or message is program output
        if exc is not None:
            tb = _user_tb(exc.__traceback__)
            sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        elif message is not None:
            print(message, file=sys.stderr)
    finally:
        # A forked child that does not record (--no-follow-children) has nothing to stop.
        if ct.recording_now():
            stats = ct.stop(exit_status=status, exception=exc)
    if not opts.quiet and stats is not None and os.getpid() == pid:
        err = "; recording stopped early: %s" % stats["error"] if stats["error"] else ""
        z = ""
        if opts.compress:
            z = " (compressed %d of %d chunks: %d bytes before)" % (
                stats["compressed_chunks"], stats["chunks"], stats["uncompressed_bytes"])
        print("ctgen-tracer: %d events, %d bytes%s in %s (%.2f s)%s"
              % (stats["events"], stats["bytes"], z, stats["dir"], stats["seconds"], err), file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    if interrupted:   # exit as the interpreter does on an uncaught KeyboardInterrupt
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return status


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
    base = os.path.join(trace_dir, "children")
    try:
        names = sorted(os.listdir(base), key=lambda n: (len(n), n))
    except OSError:
        return []
    found = []
    for name in names:
        d = os.path.join(base, name)
        if not os.path.isdir(d):
            continue
        c = {"dir": os.path.join("children", name), "pid": None, "parent": None, "how": "?",
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
    """trace_paths.json, when present: a JSON list of the trace's paths."""
    path = os.path.join(t.dir, "trace_paths.json")
    if not os.path.lexists(path):
        return
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 64 << 20:
            raise ValueError("not a regular file of at most 64 MiB")
        with open(path, "rb") as f:
            paths = json.loads(f.read(64 << 20))
    except (OSError, ValueError, RecursionError) as e:
        problems.append("trace_paths.json is not readable: %s" % str(e)[:200])
        return
    if not isinstance(paths, list) or not all(isinstance(x, str) for x in paths):
        problems.append("trace_paths.json is not a list of paths")
    elif t.finished and not t.truncation and paths != [t.paths[i] for i in sorted(t.paths)]:
        problems.append("trace_paths.json does not list the trace's %d paths in id order" % len(t.paths))


def verify(argv):
    p = argparse.ArgumentParser(prog="python -m ctgen_tracer verify",
                                description="Check a trace. Exit status: 0 whole and consistent, "
                                "1 corrupt, 2 not a trace (or a usage error), 3 truncated (cut short "
                                "by a crash or a full disk) but readable and consistent up to the cut.")
    p.add_argument("dir")
    a = p.parse_args(argv)
    from . import reader
    try:
        t = _open(a.dir)
    except reader.NotATraceError:
        raise   # status 2, from main
    except reader.TraceError as e:   # a trace, but its metadata is damaged
        print("problem: %s" % e)
        print("%s: CORRUPT: 1 problems" % a.dir)
        return VERIFY_CORRUPT
    problems, stacks, n = [], {}, 0
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
                if field.endswith("_off") and not k.endswith("Def"):
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
        problems.append("after record %d: %s" % (n, e))
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
            return _fail(str(e))
        except BrokenPipeError:
            return 0
        except KeyboardInterrupt:
            return 130
        except MemoryError:
            return _fail("out of memory reading %s" % argv[-1])
    return record(argv)
