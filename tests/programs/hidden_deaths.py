"""Objects changed by a death on a plain line: `x = None`, `x = 0` or
`del x` drops the last reference to an object whose __del__ changes a
list, set, bytearray, slotted instance, instance with inline values or dict
held in another local; a Python weakref callback doing the same; C
callables as weakref callbacks (list.append, list.remove, set.discard,
dict.pop: no Python code runs at all); weakref.finalize with C callables;
a death at one remove (the dropped object held the dying one); the end of
an except block, which deletes the exception holding the dying object; a
text file whose close at its death flushes into a buffer object whose
methods are C callables (list.append), no Python code at all. With
__del__ and the callbacks in code the recorder does not record
(_hidden.untraced()) and in recorded code. Each change shows in the next
line's Step, in a local that no line after it rebinds.

On 3.12 tests/reference.py cannot see recorded code that runs at a death
here: its look at the frame's variables (frame.f_locals, a dict on 3.12)
holds the dropped object until its next callback, where the object dies
and its __del__ or weakref callback runs unmonitored. There the recorded
__del__ and Python callbacks are left out (the untraced ones and the C
callables stay: the change shows at the same Step in both recorders)."""
import io
import sys
import weakref

import _hidden

lib = _hidden.untraced()
# the copies whose code runs at a death (see the docstring)
COPIES = (lib, _hidden) if sys.version_info >= (3, 13) else (lib,)


def dels(m):
    out = []
    for t in m.targets():
        o = m.Dropped(t)
        o = None            # __del__ changes t
        k = 1
        o = m.Dropped(t)
        o = 0
        k = k + 1
        o = m.Dropped(t)
        del o
        k = k * 2
        held = [m.Dropped(t)]
        held = None         # the list dies, then what it held
        k = k + 1
        out.append(k)
    return out


def exception_args(m):
    out = []
    for t in m.targets():
        try:
            raise ValueError(m.Dropped(t))
        except ValueError as e:
            k = 1       # then e is deleted: the exception dies, its argument's __del__ changes t
        k = k + 1
        k = k * 2
        out.append(k)
    return out


def python_callbacks(m):
    out = []
    for t in m.targets():
        o = m.Plain()
        r = weakref.ref(o, m.callback(t))
        o = None            # the callback changes t
        k = 1
        k = k + 1
        out.append(k)
    return out


def sink(log):
    class Sink:
        write = log.append
        readable = (False).__bool__
        writable = (True).__bool__
        seekable = (False).__bool__
        flush = close = bool
        closed = False

    return Sink()


def flushed():
    log = []
    t = io.TextIOWrapper(sink(log), encoding="ascii")
    t.write("pending")
    t = None            # closing flushes: log.append(b"pending"), all in C
    k = len(log)
    k = k + 1
    return log


def c_callbacks(m):
    dead = []
    o = m.Plain()
    r = weakref.ref(o, dead.append)
    o = None            # dead.append(r)
    k = len(dead)
    k = k + 1
    o = m.Slotted()
    r = weakref.ref(o, dead.remove)
    dead.append(r)
    o = None            # dead.remove(r)
    k = k + 1
    k = k * 2
    o = m.Plain()
    marks = set()
    r = weakref.ref(o, marks.discard)
    marks.add(r)        # hashed while o lives
    o = None            # marks.discard(r)
    k = k + 1
    k = k - 1
    o = m.Plain()
    table = {"a": 1}
    r = weakref.ref(o, table.pop)
    table[r] = 2
    o = None            # table.pop(r)
    k = k + 3
    k = k * 3
    return k, len(dead), len(marks), len(table)


def finalizers(m):
    s = m.Slotted()
    p = m.Plain()
    buf = bytearray(b"ab")
    items = []
    o = m.Plain()
    f1 = weakref.finalize(o, setattr, s, "n", 5)
    f2 = weakref.finalize(o, setattr, p, "n", 6)
    f3 = weakref.finalize(o, buf.extend, b"cd")
    f4 = weakref.finalize(o, items.append, "done")
    o = None            # the finalizers change s, p, buf and items
    k = 1
    k = k + 1
    return s.n, p.n, bytes(buf), items


print([dels(m) for m in COPIES][0])
print([exception_args(m) for m in COPIES][0])
print([python_callbacks(m) for m in COPIES][0])
print(flushed())
# last: a weak reference with a C callback may turn a recorder's shortcuts off
print(c_callbacks(lib), c_callbacks(_hidden))
print(finalizers(lib), finalizers(_hidden))
