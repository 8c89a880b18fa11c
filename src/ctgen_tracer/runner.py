"""Running the program to record: `python -m ctgen_tracer [options] app.py
[args...]` runs app.py as the __main__ module, as `python app.py` would,
between session.start() and session.stop()."""

import argparse
import os
import signal
import sys
import threading
import traceback
import types

from . import session
from .errors import TraceDirError, fail
from .selection import DEFAULT_REDACT


def _record_parser():
    p = argparse.ArgumentParser(
        prog="python -m ctgen_tracer",
        usage="%(prog)s [options] app.py [args...]\n       %(prog)s {stats,show,verify} DIR\n"
              "       %(prog)s convert DIR --to codetracer -o OUT [--force]",
        description="Record the execution of a Python program for time-travel debugging.")
    p.add_argument("-o", "--output", default="ctgen-trace", metavar="DIR",
                   help="trace directory (default: ctgen-trace)")
    p.add_argument("--events", default="", metavar="LIST",
                   help="opt-in events, comma-separated: " + ", ".join(session.OPTIONS))
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
                        "(default %d, at most %d)" % (session.LIMITS["max_depth"][0], session.LIMITS["max_depth"][2]))
    p.add_argument("--max-items", default=None, metavar="N",
                   help="items kept per container, attributes per instance (default %d)"
                        % session.LIMITS["max_items"][0])
    p.add_argument("--max-text", default=None, metavar="N",
                   help="bytes kept per str, bytes, bytearray and big int (default %d)" % session.LIMITS["max_text"][0])
    p.add_argument("--max-nodes", default=None, metavar="N",
                   help="containers take no more children once a value's tree has N nodes (default %d)"
                        % session.LIMITS["max_nodes"][0])
    io = p.add_mutually_exclusive_group()
    io.add_argument("--capture-io", dest="capture_io", action="store_true", default=session.CAPTURE_IO,
                    help="record what the program writes to sys.stdout and sys.stderr%s"
                    % (" (the default)" if session.CAPTURE_IO else ""))
    io.add_argument("--no-capture-io", dest="capture_io", action="store_false",
                    help="do not record program output%s" % ("" if session.CAPTURE_IO else " (the default)"))
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
    opts = _record_parser().parse_args(argv)
    path = opts.program
    try:
        limits = _limits(opts)
    except ValueError as e:
        return fail(str(e))
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        return fail("cannot open %s: %s" % (path, e.strerror or e))
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        traceback.print_exception(type(e), e, None)
        return 1
    events = [e for e in opts.events.split(",") if e.strip()]
    redact = () if opts.no_redact else (opts.redact if opts.redact is not None else DEFAULT_REDACT)
    sys.argv = [path] + opts.args
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    try:
        session.start(opts.output, events=[e.strip() for e in events], include=opts.include,
                 exclude=opts.exclude, values=not opts.no_values, redact=redact,
                 **limits, force=opts.force, program=path, args=opts.args,
                 capture_io=opts.capture_io, follow_children=not opts.no_follow_children,
                 follow_subprocess=opts.follow_subprocess, compress=opts.compress)
    except (TraceDirError, ValueError, RuntimeError, OSError) as e:
        return fail(str(e))
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
        if session.recording_now():
            stats = session.stop(exit_status=status, exception=exc)
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


