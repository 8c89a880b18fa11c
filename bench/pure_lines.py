"""How often a Step follows only lines that cannot have changed an object
without a signal (issue 13, docs/status.md "Next": the pure-line epoch).

    python bench/pure_lines.py bench/workloads/W.py [ARGS...]

Runs a program under a pure-Python sys.monitoring tool (no ctgen-tracer)
and counts, for each LINE event of a function, whether any line that ran
since that function's previous LINE event (in any frame) holds an opcode
that may change an existing object that no watcher tells of: a call, a
store or delete of a subscript or attribute, an iteration (FOR_ITER,
CONTAINS_OP, unpacking, `*` and `**`), `with`, an import, an in-place
operator, a store into a namespace or a cell. The line running before an
event is the one at the top of the event's thread's stack (the caller's
current line for a PY_START). Prints the fractions of Steps:

- `no_unsig`: none of those lines held an opcode of the first kind other
  than a call or an attribute store;
- `no_unsig_nocall`: nor a call;
- `none`: nor an attribute store either (what a Step can skip when the
  attribute stores land in watched dicts).

This is an upper bound on what the epoch could skip: it does not see code
that runs without a line event (untraced code reached implicitly, C
weakref callbacks), which the recorder would have to account for.
"""
import dis
import os
import sys
from collections import Counter

M = sys.monitoring
E = M.events
TOOL = 3
ITERATE = {"FOR_ITER", "SEND", "GET_ITER", "CONTAINS_OP", "UNPACK_SEQUENCE", "UNPACK_EX",
           "LIST_EXTEND", "SET_UPDATE", "DICT_UPDATE", "DICT_MERGE", "CALL_FUNCTION_EX"}
STORES = {"STORE_SUBSCR", "DELETE_SUBSCR", "STORE_SLICE", "DELETE_ATTR", "STORE_GLOBAL",
          "DELETE_GLOBAL", "STORE_NAME", "DELETE_NAME", "STORE_DEREF", "DELETE_DEREF"}
OTHER = {"IMPORT_NAME", "BEFORE_WITH", "CALL_INTRINSIC_1", "CALL_INTRINSIC_2", "MATCH_CLASS"}
CALL, UNSIGNALLED, ATTR = 1, 2, 4

lines_of = {}


def flags(code):
    d = lines_of.get(code)
    if d is None:
        d = {}
        for ins in dis.get_instructions(code):
            ln = ins.positions.lineno if ins.positions else None
            if ln is None:
                continue
            op, f = ins.opname, 0
            if op in ("CALL", "CALL_KW"):
                f = CALL
            elif op in ITERATE or op in STORES or op in OTHER or (op == "BINARY_OP" and "=" in ins.argrepr):
                f = UNSIGNALLED
            elif op == "STORE_ATTR":
                f = ATTR
            d[ln] = d.get(ln, 0) | f
        lines_of[code] = d
    return d


stack = []          # per frame: [code, flags of its current line, epochs at its last Step]
epoch = [0, 0, 0]   # bumped by: UNSIGNALLED, CALL, ATTR lines
seen = Counter()


def ran():
    if stack:
        f = stack[-1][1]
        for i, bit in enumerate((UNSIGNALLED, CALL, ATTR)):
            if f & bit:
                epoch[i] += 1


def line(code, ln):
    ran()
    top = stack[-1] if stack and stack[-1][0] is code else None
    if top is None:
        return
    last = top[2]
    if last is not None:
        seen["steps"] += 1
        same = [a == b for a, b in zip(epoch, last)]
        seen["no_unsig"] += same[0]
        seen["no_unsig_nocall"] += same[0] and same[1]
        seen["none"] += all(same)
    top[1] = flags(code).get(ln, UNSIGNALLED | CALL | ATTR)
    top[2] = tuple(epoch)


def start(code, offset):
    ran()
    stack.append([code, 0, None])


def leave(code, offset, value):
    ran()
    if stack:
        stack.pop()


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    path = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    with open(path) as f:
        code = compile(f.read(), path, "exec")
    M.use_tool_id(TOOL, "pure_lines")
    for ev, fn in ((E.LINE, line), (E.PY_START, start), (E.PY_RESUME, start),
                   (E.PY_RETURN, leave), (E.PY_YIELD, leave), (E.PY_UNWIND, leave)):
        M.register_callback(TOOL, ev, fn)
    M.set_events(TOOL, E.LINE | E.PY_START | E.PY_RESUME | E.PY_RETURN | E.PY_YIELD | E.PY_UNWIND)
    try:
        exec(code, {"__name__": "__main__", "__file__": path})
    finally:
        M.set_events(TOOL, 0)
        n = seen["steps"] or 1
        print("%s steps %d  no_unsig %.3f  no_unsig_nocall %.3f  none %.3f" % (
            os.path.basename(path), seen["steps"], seen["no_unsig"] / n,
            seen["no_unsig_nocall"] / n, seen["none"] / n))


if __name__ == "__main__":
    main()
