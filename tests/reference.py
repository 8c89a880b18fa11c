"""A reference recorder for tests: pure Python on sys.monitoring, slow and
obviously right. It writes the logical stream of a program -- steps as
(function qualname, line, variables), calls, returns -- for the files under
one directory, as JSON, so tests can compare ctgen-tracer's trace with it.
Variables are read from frame.f_locals at each line and written in the
canonical form of canon() (tests/test_recording.py reads ours the same way).

    python tests/reference.py OUT.json program.py [args...]
"""

import json
import os
import sys

TOOL = 3


def typename(v):
    t = type(v)
    return t.__qualname__ if t.__module__ == "builtins" else "%s.%s" % (t.__module__, t.__qualname__)


def canon(v):
    """A JSON-able canonical form of a value."""
    t = type(v)
    if v is None or t in (bool, int, str):
        return v
    if t is float:
        return ["float", repr(v)]
    if t is complex:
        return ["complex", repr(v)]
    if t in (bytes, bytearray):
        return [t.__name__, v.hex()]
    if t is list:
        return ["list", [canon(x) for x in v]]
    if t is tuple:
        return ["tuple", [canon(x) for x in v]]
    if t is dict:
        return ["dict", [[canon(k), canon(x)] for k, x in v.items()]]
    if t in (set, frozenset):
        return [t.__name__, [canon(x) for x in v]]
    if t is range:
        return ["range", [v.start, v.stop, v.step]]
    return ["obj", typename(v)]


def visible(frame):
    """The frame's variables as a debugger shows them: locals, cells and
    free variables; in module and class bodies the user's names only."""
    names = frame.f_locals
    if frame.f_code.co_flags & 1:   # CO_OPTIMIZED
        return {k: canon(v) for k, v in names.items()}
    return {k: canon(v) for k, v in names.items()
            if not (k.startswith("__") and k.endswith("__")) and type(v).__name__ != "module"}


def main():
    out, program = sys.argv[1], sys.argv[2]
    sys.argv = sys.argv[2:]
    root = os.path.dirname(os.path.abspath(program))
    stream = []
    mon = sys.monitoring
    E = mon.events

    def mine(code):
        return os.path.abspath(code.co_filename).startswith(root + os.sep)

    def on_start(code, offset):
        if not mine(code):
            return mon.DISABLE
        stream.append(["call", code.co_qualname])

    def on_resume(code, offset):
        if not mine(code):
            return mon.DISABLE
        stream.append(["resume", code.co_qualname])

    def on_line(code, line):
        if not mine(code):
            return mon.DISABLE
        stream.append(["step", code.co_qualname, line, visible(sys._getframe(1))])

    def on_return(code, offset, value):
        if not mine(code):
            return mon.DISABLE
        stream.append(["return", code.co_qualname])

    def on_yield(code, offset, value):
        if not mine(code):
            return mon.DISABLE
        stream.append(["yield", code.co_qualname])

    def on_unwind(code, offset, exc):
        if mine(code):
            stream.append(["unwind", code.co_qualname])

    def on_throw(code, offset, exc):
        if mine(code):
            stream.append(["throw", code.co_qualname])

    mon.use_tool_id(TOOL, "reference")
    for ev, cb in ((E.PY_START, on_start), (E.PY_RESUME, on_resume), (E.LINE, on_line),
                   (E.PY_RETURN, on_return), (E.PY_YIELD, on_yield), (E.PY_UNWIND, on_unwind),
                   (E.PY_THROW, on_throw)):
        mon.register_callback(TOOL, ev, cb)
    mon.set_events(TOOL, E.PY_START | E.PY_RESUME | E.LINE | E.PY_RETURN | E.PY_YIELD
                   | E.PY_UNWIND | E.PY_THROW)
    code = compile(open(program, "rb").read(), program, "exec")
    g = {"__name__": "__main__", "__file__": program, "__builtins__": __builtins__}
    status = 0
    try:
        exec(code, g)
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except KeyboardInterrupt:
        status = -2   # the interpreter ends by SIGINT, as subprocess reports it
    except BaseException:
        status = 1
    mon.set_events(TOOL, 0)
    mon.free_tool_id(TOOL)
    with open(out, "w") as f:
        json.dump({"stream": stream, "status": status}, f)


if __name__ == "__main__":
    main()
