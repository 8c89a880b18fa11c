"""A generator suspended inside `try: ... finally:` and dropped by a plain
line (`g = None`) runs its finally at its death, through a PY_THROW event
and no PY_START. Here the finally runs C calls only (list.append,
set.add, bytearray.extend): no other event shows that code ran. The
generators are in code the recorder does not record (compiled under a
file name in the standard library's directory, as _hidden.untraced()
does) and in recorded code. The change shows in the next line's Step, in
a local that no line after it rebinds.

On 3.12 tests/reference.py cannot see a recorded generator's finally run
at its death (see hidden_generators.py): there only the untraced ones
run."""
import os
import sys
import sysconfig

SOURCE = '''
def closing(items, marks, buf):
    try:
        yield 1
        yield 2
    finally:
        items.append("closed")
        marks.add(9)
        buf.extend(b"z")
'''

path = os.path.join(sysconfig.get_paths()["stdlib"], "ctgen_hidden_closed.py")
untraced = {}
exec(compile(SOURCE, path, "exec"), untraced)
recorded = {}
exec(compile("# recorded\n" + SOURCE, __file__, "exec"), recorded)
MAKERS = [untraced["closing"]] + ([recorded["closing"]] if sys.version_info >= (3, 13) else [])


def dropped(closing):
    items = []
    marks = {1}
    buf = bytearray(b"a")
    g = closing(items, marks, buf)
    x = next(g)
    g = None            # the finally appends, adds and extends
    k = x + 1
    k = k * 2
    return k, items, sorted(marks), bytes(buf)


for make in MAKERS:
    for _ in range(3):   # (after the first, the finally's other events are off: DISABLE)
        print(dropped(make))
