#!/usr/bin/env python3
"""A naive pure-Python sys.monitoring recorder: the baseline a C recorder
must beat.

    python bench/pyrecorder.py [-o DIR] [--no-values] script.py [args...]

Runs script.py as __main__ and records, with Python callbacks on the same
PEP 669 events ctgen-tracer enables by default (PY_START, PY_RESUME,
PY_RETURN, PY_YIELD, LINE, RAISE, RERAISE, EXCEPTION_HANDLED, PY_UNWIND,
PY_THROW):

  - a Call with the function's arguments (its locals at PY_START),
  - every line Step with the values of the frame's locals,
  - Return / Yield with the value, Resume, Unwind / Throw with the
    exception type, Raise / Reraise / Handled with the exception type.

Selection is ctgen-tracer's: code whose file is the script or under its
directory is recorded (per-code events with set_local_events); other code
gets DISABLE on its first PY_START/PY_RESUME. The exception events are
global, as they must be.

Values are encoded shallowly and without running user code: None, bool,
int, float and str (cut at 100 characters) as themselves; list, tuple, dict,
set, frozenset as (type name, length); anything else as (type name, id).
Records are tuples appended to a list that is pickled to DIR/trace.pickle
every 65536 records (a stream of pickles), so memory stays bounded.
DIR/meta.json gets the counts and the recording's duration (from start to
the last byte written). This is deliberately the simple way to do it:
more value depth would make it slower still.
"""

import json
import os
import pickle
import sys
import time

from mainmod import install_main

TOOL = 4
BATCH = 65536
EXCEPTION_EVENTS = ("RAISE", "RERAISE", "EXCEPTION_HANDLED", "PY_UNWIND", "PY_THROW")
SCALARS = (type(None), bool, int, float)
SIZED = (list, tuple, dict, set, frozenset, bytes, bytearray)


def encode(v):
    t = type(v)
    if t in SCALARS:
        return v
    if t is str:
        return v if len(v) <= 100 else v[:100]
    if t in SIZED:
        return (t.__name__, len(v))
    return (t.__name__, id(v))


class Recorder:
    def __init__(self, out_dir, prefixes, values=True):
        self.out_dir = out_dir
        self.file = open(os.path.join(out_dir, "trace.pickle"), "wb")
        self.prefixes = prefixes
        self.values = values
        self.buf = []
        self.codes = {}          # id(code) -> function id, or -1 when not recorded
        self.keep = []           # recorded code objects (their ids stay unique)
        self.functions = []      # function id -> (qualname, filename, firstlineno)
        self.counts = {}
        self.records = 0
        mon = sys.monitoring
        self.mon = mon
        self.disable = mon.DISABLE
        self.local_mask = (mon.events.PY_START | mon.events.PY_RESUME | mon.events.PY_RETURN
                           | mon.events.PY_YIELD | mon.events.LINE)
        self.getframe = sys._getframe

    # -- output --
    def emit(self, rec):
        buf = self.buf
        buf.append(rec)
        if len(buf) >= BATCH:
            self.flush()

    def flush(self):
        if self.buf:
            for r in self.buf:
                self.counts[r[0]] = self.counts.get(r[0], 0) + 1
            self.records += len(self.buf)
            pickle.dump(self.buf, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.buf = []

    def locals_of(self, frame):
        if not self.values:
            return None
        return [(k, encode(v)) for k, v in frame.f_locals.items()]

    # -- code selection --
    def discover(self, code):
        fn = code.co_filename
        if not fn.startswith(self.prefixes):
            self.codes[id(code)] = -1
            return -1
        fid = len(self.functions)
        self.functions.append((code.co_qualname, fn, code.co_firstlineno))
        self.codes[id(code)] = fid
        self.keep.append(code)
        self.emit(("F", fid, code.co_qualname, fn, code.co_firstlineno))
        self.mon.set_local_events(TOOL, code, self.local_mask)
        return fid

    # -- callbacks --
    def py_start(self, code, offset):
        fid = self.codes.get(id(code))
        if fid is None:
            fid = self.discover(code)
        if fid < 0:
            return self.disable
        self.emit(("C", fid, self.locals_of(self.getframe(1))))

    def py_resume(self, code, offset):
        fid = self.codes.get(id(code))
        if fid is None:
            fid = self.discover(code)
        if fid < 0:
            return self.disable
        self.emit(("R", fid))

    def py_return(self, code, offset, retval):
        self.emit(("r", encode(retval) if self.values else None))

    def py_yield(self, code, offset, retval):
        self.emit(("y", encode(retval) if self.values else None))

    def line(self, code, line):
        self.emit(("S", self.codes[id(code)], line, self.locals_of(self.getframe(1))))

    def exception(self, tag):
        codes = self.codes

        def callback(code, offset, exc):
            if codes.get(id(code), -1) >= 0:
                self.emit((tag, offset, type(exc).__name__))
        return callback

    # -- control --
    def start(self):
        mon, ev = self.mon, self.mon.events
        mon.use_tool_id(TOOL, "ctgen-bench-pyrecorder")
        mon.register_callback(TOOL, ev.PY_START, self.py_start)
        mon.register_callback(TOOL, ev.PY_RESUME, self.py_resume)
        mon.register_callback(TOOL, ev.PY_RETURN, self.py_return)
        mon.register_callback(TOOL, ev.PY_YIELD, self.py_yield)
        mon.register_callback(TOOL, ev.LINE, self.line)
        tags = {"RAISE": "E", "RERAISE": "e", "EXCEPTION_HANDLED": "H", "PY_UNWIND": "U",
                "PY_THROW": "T"}
        mask = ev.PY_START | ev.PY_RESUME
        for name in EXCEPTION_EVENTS:
            mon.register_callback(TOOL, getattr(ev, name), self.exception(tags[name]))
            mask |= getattr(ev, name)
        mon.set_events(TOOL, mask)

    def stop(self, status, t0=None):
        self.mon.set_events(TOOL, 0)
        for code in self.keep:
            self.mon.set_local_events(TOOL, code, 0)
        self.mon.free_tool_id(TOOL)
        self.flush()
        self.file.close()
        names = {"F": "functions", "C": "calls", "R": "resumes", "r": "returns", "y": "yields",
                 "S": "steps", "E": "raises", "e": "reraises", "H": "handled", "U": "unwinds",
                 "T": "throws"}
        meta = {"recorder": "pyrecorder", "values": self.values, "exit_status": status,
                "records": self.records,
                "counts": {names.get(k, k): n for k, n in sorted(self.counts.items())},
                "bytes": os.path.getsize(os.path.join(self.out_dir, "trace.pickle")),
                "seconds": None if t0 is None else time.perf_counter() - t0}
        with open(os.path.join(self.out_dir, "meta.json"), "w") as f:
            json.dump(meta, f, indent=2)
        return meta


def main():
    argv = sys.argv[1:]
    out, values = "pyrecorder-trace", True
    while argv and argv[0].startswith("-"):
        if argv[0] == "-o" and len(argv) > 1:
            out = argv[1]
            argv = argv[2:]
        elif argv[0] == "--no-values":
            values = False
            argv = argv[1:]
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    path, args = argv[0], argv[1:]
    with open(path, "rb") as f:
        code = compile(f.read(), path, "exec", dont_inherit=True)
    os.makedirs(out, exist_ok=True)
    prefixes = [os.path.dirname(os.path.abspath(path)) + os.sep, path]
    if os.path.dirname(path):
        prefixes.append(os.path.dirname(path) + os.sep)
    namespace = install_main(path, args)
    rec = Recorder(out, tuple(prefixes), values)
    status = 0
    t0 = time.perf_counter()
    rec.start()
    try:
        exec(code, namespace)
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        meta = rec.stop(status, t0)
    print("pyrecorder: %d records, %d bytes in %s (%.2f s)"
          % (meta["records"], meta["bytes"], out, time.perf_counter() - t0), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
