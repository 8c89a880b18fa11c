"""Running the program to record, as python would:

    python -m ctgen_tracer [options] app.py [args...]     as python app.py
    python -m ctgen_tracer [options] -m module [args...]  as python -m module
    python -m ctgen_tracer [options] -c code [args...]    as python -c code

between session.start() and session.stop(). The program gets the __main__
module python would give it (__file__, __spec__, __loader__, __builtins__,
__cached__, __package__), the same sys.argv and sys.path[0] (none with -P or
PYTHONSAFEPATH), the same traceback text and exit status; `-m` runs through
runpy._run_module_as_main, as python -m does itself. The interpreter's own
behaviour is the oracle (tests/test_runner.py); see docs/design.md,
"Running the program"."""

import atexit
import builtins
import importlib.machinery
import os
import runpy
import signal
import sys
import threading
import types

from . import session
from .errors import TraceDirError, fail
from .selection import DEFAULT_REDACT
from .tracedir import DEFAULT_DIR


_REST = "..."   # argparse.REMAINDER: the option or positional takes every string after it

# The recording options, in --help's order: (flags, argparse keywords, help).
# _record_parser() builds the argparse parser of them; _parse_plain() reads
# them without argparse when argv is plain (below).
_IO = "io"   # the mutually exclusive --capture-io / --no-capture-io
_OPTIONS = (
    (("-o", "--output"), dict(default=DEFAULT_DIR, metavar="DIR"), "trace directory (default: %s)" % DEFAULT_DIR),
    (("--events",), dict(default="", metavar="LIST"),
     "opt-in events, comma-separated: " + ", ".join(session.OPTIONS)),
    (("--include",), dict(action="append", default=[], metavar="GLOB"),
     "also record modules or files matching GLOB (repeatable)"),
    (("--exclude",), dict(action="append", default=[], metavar="GLOB"),
     "do not record modules or files matching GLOB (repeatable)"),
    (("--no-values",), dict(action="store_true"), "record no variable values or arguments"),
    (("--no-redact",), dict(action="store_true"), "record values of secret-looking names too"),
    (("--redact",), dict(action="append", default=None, metavar="FRAGMENT"),
     "hide values of names with FRAGMENT as whole words (auth: auth_header, authToken, AUTH, "
     "not author; repeatable; replaces the default list)"),
    # The limits are checked by _limits(): one error line, exit status 2.
    (("--max-depth",), dict(default=None, metavar="N"),
     "containers nested deeper are recorded as their type and length only "
     "(default %d, at most %d)" % (session.LIMITS["max_depth"][0], session.LIMITS["max_depth"][2])),
    (("--max-items",), dict(default=None, metavar="N"),
     "items kept per container, attributes per instance (default %d)" % session.LIMITS["max_items"][0]),
    (("--max-text",), dict(default=None, metavar="N"),
     "bytes kept per str, bytes, bytearray and big int (default %d)" % session.LIMITS["max_text"][0]),
    (("--max-nodes",), dict(default=None, metavar="N"),
     "containers take no more children once a value's tree has N nodes (default %d)"
     % session.LIMITS["max_nodes"][0]),
    (("--capture-io",), dict(dest="capture_io", action="store_true", default=session.CAPTURE_IO, group=_IO),
     "record what the program writes to sys.stdout and sys.stderr%s"
     % (" (the default)" if session.CAPTURE_IO else "")),
    (("--no-capture-io",), dict(dest="capture_io", action="store_false", group=_IO),
     "do not record program output%s" % ("" if session.CAPTURE_IO else " (the default)")),
    (("--no-instance-dicts",), dict(action="store_true"),
     "read instances' attributes without making their __dict__: the program's gc counts and "
     "memory stay as untraced, and object-heavy code records up to 2x slower on CPython 3.12 "
     "and 3.13.1+ (the default on 3.13.0, where it costs no more)"),
    (("--max-trace-size",), dict(default=None, metavar="SIZE"),
     "stop recording (the program runs on) once the event file has SIZE bytes "
     "(suffixes K, M, G, T: powers of 1024); each recorded process has its own"),
    (("--max-steps",), dict(default=None, metavar="N"),
     "stop recording (the program runs on) once N steps (lines run) were recorded"),
    (("--chunk-bytes",), dict(default=None, metavar="N"),
     "bytes per chunk (default 1 MiB); a crash loses at most the chunks not yet written"),
    (("--compress",), dict(action="store_true"),
     "compress chunks with zlib in the writer thread (traces several times smaller; "
     "see docs/trace-format.md)"),
    (("--force",), dict(action="store_true"), "record into DIR even if it holds other files"),
    (("--no-follow-children",), dict(action="store_true"),
     "forked child processes do not record (default: each records into DIR/children/PID/)"),
    (("--follow-subprocess",), dict(action="store_true"),
     "python processes started by the program (subprocess, multiprocessing spawn and "
     "forkserver) record into DIR/children/PID/ too"),
    (("-q", "--quiet"), dict(action="store_true"), "no summary line on stderr"),
    (("-m",), dict(dest="module", nargs=_REST, metavar="MODULE ..."),
     "run library module MODULE as a script, as python -m does (the rest: its arguments)"),
    (("-c",), dict(dest="command", nargs=_REST, metavar="CODE ..."),
     "run the program passed as a string, as python -c does (the rest: its arguments)"),
    (("program",), dict(nargs="?"), "the Python file (or directory, or zip file) to run"),
    (("args",), dict(nargs=_REST), "its arguments"),
)


def _record_parser():
    import argparse
    p = argparse.ArgumentParser(
        prog="python -m ctgen_tracer",
        usage="%(prog)s [options] (app.py | -m module | -c code) [args...]\n"
              "       %(prog)s {stats,show,verify} [DIR]\n"
              "       %(prog)s convert [DIR] --to codetracer -o OUT [--force]\n"
              "       %(prog)s view [DIR] [--port N] [--no-browser]",
        description="Record the execution of a Python program for time-travel debugging. "
        "The commands that read a trace (stats, show, verify, convert, view; each has its own "
        "--help) open DIR, by default %s." % DEFAULT_DIR)
    groups = {}
    for flags, kw, text in _OPTIONS:
        kw = dict(kw)
        group = kw.pop("group", None)
        if type(kw.get("default")) is list:   # each parse its own list (the table's is shared)
            kw["default"] = list(kw["default"])
        if kw.get("nargs") == _REST:
            kw["nargs"] = argparse.REMAINDER
        to = p if group is None else groups.setdefault(group, p.add_mutually_exclusive_group())
        to.add_argument(*flags, help=text, **kw)
    return p


class _Options:
    """The parsed options, as argparse's Namespace gives them (attributes)."""

    def __eq__(self, other):
        return vars(self) == vars(other)

    def __repr__(self):
        return "_Options(%s)" % ", ".join("%s=%r" % kv for kv in sorted(vars(self).items()))


def _dest(flags, kw):
    return kw.get("dest") or flags[-1].lstrip("-").replace("-", "_")


def _parse_plain(argv):
    """The options of argv as argparse parses them, without importing
    argparse (with gettext, locale and shutil: a fifth of the recorder's
    start-up), or None when argv is not plain: anything but options
    written in full (-o DIR, --output DIR, --output=DIR), each value not
    starting with "-", then -m/-c or the program and its arguments, with
    no "--" anywhere. argparse reads what is not plain, and says what is
    wrong with it (tests/test_runner.py compares the two)."""
    o, by_flag, groups = _Options(), {}, {}
    for flags, kw, _ in _OPTIONS:
        dest = _dest(flags, kw)
        action = kw.get("action")
        if dest not in vars(o):   # the default: the first of a dest's options gives it
            if "default" in kw:   # (a list: its own copy, as _record_parser gives)
                default = list(kw["default"]) if type(kw["default"]) is list else kw["default"]
            elif action in ("store_true", "store_false"):
                default = action == "store_false"
            else:   # the args positional: [], argparse's REMAINDER of no strings
                default = [] if kw.get("nargs") == _REST and not flags[0].startswith("-") else None
            setattr(o, dest, default)
        for f in flags:
            if f.startswith("-"):
                by_flag[f] = (dest, action, kw)
    if "--" in argv:
        return None
    i, n = 0, len(argv)
    while i < n:
        arg = argv[i]
        if not arg.startswith("-"):
            o.program, o.args = arg, argv[i + 1:]
            return o
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", None)
        if name not in by_flag:
            return None
        dest, action, kw = by_flag[name]
        group = kw.get("group")
        if group is not None:
            if groups.setdefault(group, name) != name:
                return None   # argparse: "not allowed with argument"
        if action in ("store_true", "store_false"):
            if eq:
                return None
            setattr(o, dest, action == "store_true")
            i += 1
            continue
        if kw.get("nargs") == _REST:
            if eq or i + 1 >= n:
                return None
            setattr(o, dest, argv[i + 1:])
            return o
        if not eq:
            if i + 1 >= n:
                return None
            value = argv[i + 1]
            i += 1
        if value[:1] in ("-", ""):
            return None
        if action == "append":
            setattr(o, dest, (getattr(o, dest) or []) + [value])
        else:
            setattr(o, dest, value)
        i += 1
    return o


SIZE_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
WARN_BYTES = 4 << 30    # the summary warns about a trace this big recorded without a cap


def parse_size(text):
    """'500M' -> 524288000 (K, M, G, T: powers of 1024; an optional B or iB
    after them); ValueError naming --max-trace-size otherwise."""
    t = text.strip().upper()
    for tail in ("IB", "B"):
        if t.endswith(tail) and t[:-len(tail)][-1:] in "KMGT" and t[:-len(tail)]:
            t = t[:-len(tail)]
            break
    unit = t[-1:] if t[-1:] in "KMGT" else ""
    number = t[:len(t) - len(unit)]
    try:
        value = float(number) if number.strip() else -1
    except ValueError:
        value = -1
    if not value >= 1 or value * SIZE_SUFFIXES[unit] >= 1 << 63:
        raise ValueError("--max-trace-size must be a size such as 500M or 2G (at least 1 byte), not %r" % text)
    return int(value * SIZE_SUFFIXES[unit])


def _caps(opts):
    """{name: int} of the caps given (--max-trace-size, --max-steps)."""
    out = {}
    if opts.max_trace_size is not None:
        out["max_trace_size"] = parse_size(opts.max_trace_size)
    if opts.max_steps is not None:
        try:
            value = int(opts.max_steps, 10)
        except ValueError:
            raise ValueError("--max-steps must be a positive integer, not %r" % opts.max_steps) from None
        out["max_steps"] = session.check_cap("max_steps", value, "--max-steps")
    return out


def _summary(stats, opts):
    """The summary line on stderr: what was recorded, why it stopped early."""
    z = ""
    if opts.compress:
        z = " (compressed %d of %d chunks: %d bytes before)" % (
            stats["compressed_chunks"], stats["chunks"], stats["uncompressed_bytes"])
    notes = []
    if stats["error"]:
        notes.append("recording stopped early: %s" % stats["error"])
    if stats["cap"]:
        notes.append("recording stopped at --%s (the program ran on)" % stats["cap"].replace("_", "-"))
    elif stats["bytes"] >= WARN_BYTES and opts.max_trace_size is None:
        notes.append("warning: a %.1f GB trace; --max-trace-size SIZE caps it" % (stats["bytes"] / 1e9))
    return "ctgen-tracer: %d records (%d steps), %d bytes%s in %s (%.2f s)%s" % (   # as verify and stats count
        stats["records"], stats["steps"], stats["bytes"], z, stats["dir"], stats["seconds"],
        "".join("; " + n for n in notes))


def _limits(opts):
    """{name: int} of the limit options given (--max-depth ...); raises
    ValueError with one line naming the option for a bad one."""
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
        out[name] = session.check_limit(name, value, flag)
    return out


class Main:
    """What to run as __main__, as python would: kind "script" (a file, or
    a directory or zip file with a __main__.py), "module" (-m) or "code"
    (-c); `target` the path, module name or code; `args` its arguments."""

    def __init__(self, kind, target, args):
        self.kind, self.target, self.args = kind, target, list(args)
        self.code = None

    @property
    def argv0(self):
        return {"script": self.target, "module": "-m", "code": "-c"}[self.kind]

    def prepare(self):
        """Read and compile the program (before recording starts): None, or
        the exit status after an error was printed as python prints it."""
        if self.kind == "module":
            return None
        if self.kind == "code":
            source, name = self.target, "<string>"
        elif os.path.isdir(self.target) or _is_zipfile(self.target):
            return None   # its __main__ module is found when it runs
        else:
            name = os.path.abspath(self.target)
            try:
                with open(self.target, "rb") as f:
                    source = f.read()
            except OSError as e:
                return fail("cannot open %s: %s" % (self.target, e.strerror or e))
        try:
            self.code = compile(source, name, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as e:
            _flush_io()
            import traceback
            traceback.print_exception(type(e), e, None)
            return 1
        return None

    def set_sys(self):
        """sys.argv and sys.path[0] as python sets them. python put one entry
        at sys.path[0] when it ran the recorder (unless -P/PYTHONSAFEPATH)."""
        sys.argv = [self.argv0] + self.args
        zipped = self.kind == "script" and self.code is None
        if zipped:   # a directory or zip file: python puts it first even with -P
            if sys.flags.safe_path:
                sys.path.insert(0, self.target)
            else:
                sys.path[0] = self.target
        elif not sys.flags.safe_path:
            sys.path[0] = {"script": lambda: os.path.dirname(os.path.realpath(self.target)),
                           "module": os.getcwd, "code": lambda: ""}[self.kind]()

    def install(self):
        """A new __main__ module for the program, as python makes it (the one
        python made runs this recorder); made before recording starts."""
        main = types.ModuleType("__main__")
        main.__builtins__ = builtins
        if "__annotations__" in vars(sys.modules["__main__"]):   # as python's own __main__
            main.__annotations__ = {}
        if self.kind == "code":
            main.__loader__ = importlib.machinery.BuiltinImporter
            if sys.version_info >= (3, 13):   # python -c keeps its source for tracebacks since 3.13
                import linecache
                linecache.cache["<string>"] = (len(self.target), None,
                                               [line + "\n" for line in self.target.splitlines()], "<string>")
        elif self.code is not None:
            main.__file__ = self.code.co_filename
            if sys.version_info < (3, 15):   # python sets no __cached__ on a script's __main__ since 3.15
                main.__cached__ = None
            main.__loader__ = importlib.machinery.SourceFileLoader("__main__", self.code.co_filename)
        sys.modules["__main__"] = self.module = main

    def run(self):
        """Run the program in the __main__ module install() made."""
        if self.code is not None:
            exec(self.code, vars(self.module))
        elif self.kind == "module":
            runpy._run_module_as_main(self.target, alter_argv=True)
        else:
            runpy._run_module_as_main("__main__", alter_argv=False)


_ZIP_END = b"PK\x05\x06"   # a zip archive's end-of-central-directory signature
_ZIP_TAIL = 22 + 65535     # the end record and the longest archive comment after it


def _is_zipfile(path):
    """zipfile.is_zipfile(path), without importing zipfile (and pathlib,
    which it imports) for a script that cannot be an archive:
    is_zipfile looks for the end record's signature only in the last
    _ZIP_TAIL bytes, so a file without it there is not one."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - _ZIP_TAIL))
            if _ZIP_END not in f.read():
                return False
    except OSError:
        return False   # as is_zipfile: the open that follows reports it
    import zipfile
    return zipfile.is_zipfile(path)


def _flush_io():
    """Flush sys.stderr and sys.stdout, as python does when a script ends
    (before it reports an uncaught exception; errors ignored), skipping a
    stream the program closed (json.tool closes sys.stdout) or removed."""
    for name in ("stderr", "stdout"):
        stream = getattr(sys, name, None)
        if _writable(stream):
            try:
                stream.flush()
            except Exception:
                pass


def _writable(stream):
    """stream is a file python would still flush at exit: present and not
    closed (pylifecycle's flush_std_files skips the others)."""
    if stream is None:
        return False
    try:
        return not stream.closed
    except Exception:   # an object without `closed`: python tries its flush
        return True


def _user_tb(tb):
    """The traceback without ctgen_tracer's own frames on top."""
    here = os.path.dirname(os.path.abspath(__file__))
    while tb is not None and os.path.dirname(os.path.abspath(tb.tb_frame.f_code.co_filename)) == here:
        tb = tb.tb_next
    return tb


def exit_status(code):
    """The status python exits with for SystemExit(code): 0 for None, an
    int's value as C's exit() takes it (SystemExit(True): 1; beyond a C long:
    -1), else 1 (after printing code)."""
    if code is None:
        return 0
    if isinstance(code, int):
        value = int.__int__(code)   # a subclass's own int value, as the interpreter reads it
        if not -(1 << 63) <= value < (1 << 63):
            return -1
        return (value + (1 << 31)) % (1 << 32) - (1 << 31)   # C's (int) of the long
    return 1


def _print_exit_message(code):
    """What python prints for SystemExit(code) whose code is no int: str(code)
    and a newline on sys.stderr (if str() fails: the newline, then that
    error's traceback on 3.12 and 3.13 before 3.13.15; from 3.13.15 and
    3.14 on, python prints only the newline: Py_RunMain returns the exit
    code instead of calling Py_Exit with that error still set, gh-152132,
    in 3.13.15's changelog; tested on 3.13.0 and 3.13.18)."""
    err = sys.stderr
    if err is None:
        return
    failed = None
    try:
        err.write(str(code))
    except Exception as e:
        failed = e
    try:
        err.write("\n")
    except Exception:   # python's PySys_WriteStderr then writes to C's stderr (a closed sys.stderr)
        try:
            os.write(2, b"\n")
        except OSError:
            pass
    if failed is not None and sys.version_info < (3, 13, 15) and _writable(err):
        _report(failed)


def _report(exc):
    """Report the program's uncaught exception as python does: sys.last_*,
    then sys.excepthook with the program's frames only."""
    tb = _user_tb(exc.__traceback__)
    exc = exc.with_traceback(tb)
    sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = exc
    sys.excepthook(type(exc), exc, tb)


def _join_threads():
    """What the interpreter does before it exits: threading's exit hooks
    (ThreadPoolExecutor's, which let its workers end), then wait for the
    non-daemon threads -- threading._shutdown() itself, which the
    interpreter then finds done."""
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
        return
    for t in threading.enumerate():
        if t is not threading.current_thread() and not t.daemon:
            t.join()


def _target(opts):
    """The Main of the parsed options (ValueError: none or two given)."""
    given = [k for k, v in (("module", opts.module), ("code", opts.command), ("script", opts.program))
             if v is not None]
    if len(given) != 1:
        raise ValueError("give one program to run: app.py, -m module or -c code")
    if opts.module is not None:
        if not opts.module:
            raise ValueError("-m needs a module name")
        return Main("module", opts.module[0], opts.module[1:])
    if opts.command is not None:
        if not opts.command:
            raise ValueError("-c needs the code to run")
        return Main("code", opts.command[0], opts.command[1:])
    return Main("script", opts.program, opts.args)


def record(argv):
    opts = _parse_plain(argv)
    if opts is None:
        opts = _record_parser().parse_args(argv)
    try:
        limits = _limits(opts)
        limits.update(_caps(opts))
        main = _target(opts)
    except ValueError as e:
        return fail(str(e))
    failed = main.prepare()
    if failed is not None:
        return failed
    events = [e for e in opts.events.split(",") if e.strip()]
    redact = () if opts.no_redact else (opts.redact if opts.redact is not None else DEFAULT_REDACT)
    main.set_sys()
    main.install()
    try:
        session.start(opts.output, events=[e.strip() for e in events], include=opts.include,
                      exclude=opts.exclude, values=not opts.no_values, redact=redact,
                      **limits, force=opts.force, program=main.argv0, args=main.args,
                      capture_io=opts.capture_io, follow_children=not opts.no_follow_children,
                      follow_subprocess=opts.follow_subprocess, compress=opts.compress,
                      inline_values=True if opts.no_instance_dicts else None)
    except (TraceDirError, ValueError, RuntimeError, OSError) as e:
        return fail(str(e))
    pid = os.getpid()   # a forked child runs on from here too: it prints no summary
    code, exc, interrupted = None, None, False   # code: SystemExit's
    try:
        main.run()
    except SystemExit as e:
        code = e.code
    except KeyboardInterrupt as e:
        exc, interrupted = e, True
    except BaseException as e:   # the program's uncaught exception
        exc = e
    status = 130 if interrupted else 1 if exc is not None else exit_status(code)
    if session.recording_now() and main.kind == "module":
        session.current["meta"]["program"] = sys.argv[0] if sys.argv else "-m"   # the module's file
    stats = None
    try:   # still recording: the traceback or message is program output
        if main.kind == "script":   # python flushes a script's output when it ends (-m and -c: not)
            _flush_io()
        if exc is not None:
            _report(exc)
        elif code is not None and not isinstance(code, int):
            _print_exit_message(code)
        try:
            _join_threads()
            atexit._run_exitfuncs()   # the program's exit functions, recorded, in python's order
        except KeyboardInterrupt as e:
            status, exc, interrupted = 130, e, True
    finally:
        # A forked child that does not record (--no-follow-children) has nothing to stop.
        stats = session.stop_if_recording(exit_status=status, exception=exc)
    if not opts.quiet and stats is not None and os.getpid() == pid and _writable(sys.stderr):
        print(_summary(stats, opts), file=sys.stderr)
    _flush_io()   # what fails here fails again in python's own flush at exit, which reports it
    if interrupted:   # exit as the interpreter does on an uncaught KeyboardInterrupt
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    if exc is not None:
        return 1
    return code if isinstance(code, int) else 0 if code is None else 1   # python exits with code itself


