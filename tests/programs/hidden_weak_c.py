"""A weak reference whose callback is a C callable, to an object that the
recorder keeps no entry for (a function, a functools.partial: their
deaths tell the value walker nothing), dropped by a plain line
(`f = None`): the callback changes a list held in another local with no
Python code run and no event. The change shows in the next line's Step,
in a local that no line after it rebinds. (hidden_deaths.py has the same
with referents the walker has entries for, whose deaths it is told of.)"""
import functools
import weakref


def c_callbacks():
    dead = []
    f = (lambda: 0)
    r = weakref.ref(f, dead.append)
    f = None            # dead.append(r)
    k = len(dead)
    k = k + 1
    c = functools.partial(print)
    marks = [0]
    r = weakref.ref(c, marks.append)
    c = None            # marks.append(r)
    k = k + 1
    k = k * 2
    g = (lambda: 1)
    p = weakref.proxy(g, dead.append)
    g = None            # dead.append(p)
    k = k + 1
    k = k - 1
    return k, len(dead), len(marks)


print(c_callbacks())
