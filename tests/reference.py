"""A reference recorder for tests: pure Python on sys.monitoring, slow and
obviously right. It writes the logical stream of a program -- steps as
(function qualname, line), calls, returns -- for the files under one
directory, as JSON lines, so tests can compare ctgen-tracer's trace with it.

    python tests/reference.py OUT.json program.py [args...]
"""

import json
import os
import sys

TOOL = 3


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
        stream.append(["step", code.co_qualname, line])

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
