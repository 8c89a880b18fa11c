"""Classes made per call and dropped while the recording runs (issue 13,
part 3): each dies when dropped (its weak reference's callback runs), and a
class born at a dead one's address is named as itself, not as the dead one.
The loops run at module level (a function's
locals read through frame.f_locals, as the reference recorder reads them,
would keep the last instance until the next step), and their bodies are one
line each: the variable goes from an instance of
the last class to one of the next with no step between, the last class
collected in that line, so the next one is often made at its address."""
import abc
import gc
import weakref
from collections import namedtuple

died = []


def dead(ref):
    died.append(1)


def plain(i):
    return type("K%d" % i, (), {"n": i})()


def point(i):
    return namedtuple("P%d" % i, "x y")(1, 2)


def number(i):
    return type("N%d" % i, (int,), {})(5)


def abstract(i):
    class Base(abc.ABC):
        pass
    Base.__qualname__ = "A%d" % i
    return Base()


refs = []
x = None
for i in range(30):
    x = None; gc.collect(); x = plain(i); refs.append(weakref.ref(type(x), dead))
for i in range(30):
    x = None; gc.collect(); x = point(i); refs.append(weakref.ref(type(x), dead))
for i in range(30):
    x = None; gc.collect(); x = number(i); refs.append(weakref.ref(type(x), dead))
for i in range(30):
    x = None; gc.collect(); x = abstract(i); refs.append(weakref.ref(type(x), dead))
# the last class lives on (the reference recorder's last look at x may hold
# its instance past the next step): its weak reference is dropped
refs.pop()
gc.collect()
print(len(refs), len(died))
assert len(died) == len(refs), (len(refs), len(died))
