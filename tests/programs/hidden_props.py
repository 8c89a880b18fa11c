"""Objects changed by reading an attribute: a property getter that stores
into its instance's slots, or changes a list, set, bytearray, slotted
instance, instance with inline values or dict that the caller holds, read
by a plain `v = obj.prop` line (and a __getattr__, a descriptor's
__get__), with the getter in code the recorder does not record
(_hidden.untraced()) and in recorded code; pathlib's PurePath.name (its
parts cached into slots) and functools.cached_property (the instance's
dict), from the standard library. Each change shows in the next line's
Step, in a local that no line after it rebinds."""
import functools
import pathlib

import _hidden

lib = _hidden.untraced()


class Box:
    def __init__(self, side):
        self.side = side

    @functools.cached_property
    def area(self):
        return self.side * self.side


def cached_in_slots(m):
    c = m.Cached("ab")
    u = c.upper         # the getter stores into c's slots
    k = 1
    u = c.upper         # and again
    k = k + 1
    k = k * 2
    return u


def getters(m):
    seen = []
    for t in m.targets():
        p = m.Prop(t)
        v = p.value     # the getter changes t
        k = v + 1
        k = k * 2
        v = p.value
        k = v - 1
        k = k * 3
        seen.append(k)
    return seen


def fallbacks(m):
    seen = []
    for t in m.targets():
        f = m.Fallback(t)
        v = f.anything  # __getattr__ changes t
        k = len(v)
        d = m.Described(t)
        v = d.count     # the descriptor's __get__ changes t
        k = k + v
        k = k * 2
        seen.append(k)
    return seen


def library_getters():
    p = pathlib.PurePosixPath("/srv/data/report.txt")
    n = p.name          # pathlib caches the parts in p's slots
    k = len(n)
    s = p.suffix
    k = k + 1
    b = Box(3)
    a = b.area          # cached_property stores into b's dict
    k = a + 1
    a = b.area
    k = k * 2
    return n, s, a


print(cached_in_slots(lib), cached_in_slots(_hidden))
print(getters(lib), getters(_hidden))
print(fallbacks(lib), fallbacks(_hidden))
print(library_getters())
