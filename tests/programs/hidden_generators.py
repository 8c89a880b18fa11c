"""Objects changed when a suspended generator dies: a generator stopped
inside `try: ... finally: poke(target)` is dropped by a plain line (`g =
None`, `del g`, a list holding it dropped), and its finally changes a list,
set, bytearray, slotted instance, instance with inline values or dict the
caller holds; a coroutine likewise. With the generators in code the
recorder does not record (_hidden.untraced()) and in recorded code. Each
change shows in the next line's Step, in a local that no line after it
rebinds.

On 3.12 tests/reference.py cannot see a recorded generator's finally run
at its death (its look at frame.f_locals holds the generator until its
next callback, where the finally runs unmonitored): there only the
untraced generators run (the change shows at the same Step in both
recorders)."""
import sys

import _hidden

lib = _hidden.untraced()
COPIES = (lib, _hidden) if sys.version_info >= (3, 13) else (lib,)


def dropped(m):
    out = []
    for t in m.targets():
        g = m.suspended(t)
        x = next(g)
        g = None            # the generator's finally changes t
        k = x + 1
        k = k * 2
        g = m.suspended(t)
        x = next(g)
        del g
        k = k + 1
        gens = [m.suspended(t)]
        x = next(gens[0])
        gens = None
        k = k - 1
        out.append(k)
    return out


def coroutines(m):
    t = m.Plain()
    c = m.guarded(t)
    x = c.send(None)
    c = None            # the coroutine's finally changes t
    k = 1
    k = k + 1
    return t.n


print([dropped(m) for m in COPIES][0])
print([coroutines(m) for m in COPIES][0])
