"""A local rebound by no store of its own function: through the frame's
f_locals, a write-through proxy since 3.13 (PEP 667), while a plain line
runs: `o = None` drops an object whose weakref callback is a C callable
(functools.partial of the proxy's __setitem__) or whose __del__ (in code
the recorder does not record, _hidden.untraced(), and in recorded code)
writes the variable; the same for a suspended generator's variable, through
its frame's proxy, before it is resumed. Each change shows in the next
Step of the function whose variable it is.

On 3.12 f_locals is a dict, a copy that writes do not reach the variables,
and tests/reference.py refreshes that same dict at each of its looks at
the frame, so the program's object would differ between the recorders:
there the program only says so."""
import functools
import sys
import weakref

import _hidden

lib = _hidden.untraced()


def by_c_callback():
    x = 1
    fl = sys._getframe().f_locals
    o = _hidden.Plain()
    r = weakref.ref(o, functools.partial(fl.__setitem__, "x"))
    o = None            # x = r, from C
    k = 1
    k = k + 1
    return x is r


def by_del(m):
    x = 1
    fl = sys._getframe().f_locals
    o = m.Rebinder(fl, "x", [2])
    fl = None
    o = None            # x = [2]
    k = 1
    k = k + 1
    return x


def counter():
    x = 0
    y = yield x
    k = [x]
    k = k * 2
    yield x


def in_a_generator():
    g = counter()
    v = next(g)
    o = _hidden.Plain()
    r = weakref.ref(o, functools.partial(g.gi_frame.f_locals.__setitem__, "x"))
    o = None            # the generator's x = r
    v = next(g)
    k = 1
    return v is r


if sys.version_info >= (3, 13):
    print(by_del(lib), by_del(_hidden))
    # last: a weak reference with a C callback may turn a recorder's shortcuts off
    print(in_a_generator(), by_c_callback())
else:
    print("3.12: f_locals is a copy")
