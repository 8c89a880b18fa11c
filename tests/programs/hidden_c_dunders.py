"""Special methods that are C callables: a class attribute that is a bound
built-in method (log.append) is called without the instance, so `o[1]`
(__getitem__), `o + 2` (__add__), `o < 3` (__lt__), `o.nothing`
(__getattr__), `Logged[4]` (__class_getitem__), `o.seen` (a property whose
getter is log.append) and `d[5]` on a dict subclass (__missing__) each run
list.append on a list the caller holds in a plain local (not a cell: the
classes are made by another function), with no Python code at all, from a
plain line that stores into a local; `not p`, `{p}` and `-p` run
items.pop() (__len__, __hash__) and items.clear() (__neg__). Each change shows in the next line's
Step, in a local that no line after it rebinds."""


def classes(log):
    class Logged:
        __getitem__ = log.append
        __add__ = log.append
        __lt__ = log.append
        __getattr__ = log.append
        __class_getitem__ = log.append
        seen = property(log.append)

    class Missing(dict):
        __missing__ = log.append

    return Logged, Missing


def popping(items):
    class Popping:
        __len__ = items.pop
        __hash__ = items.pop
        __neg__ = items.clear

    return Popping()


def c_dunders():
    log = []
    Logged, Missing = classes(log)
    o = Logged()
    d = Missing()
    x = o[1]            # log.append(1)
    x = o + 2
    x = o < 3
    x = o.nothing       # log.append("nothing")
    x = Logged[4]
    x = o.seen          # log.append(o)
    x = d[5]
    k = len(log)
    k = k + 1
    k = k * 2
    return log


def no_arguments():
    items = [1, 2, 3, 4, 5]
    p = popping(items)
    x = not p           # __len__: items.pop()
    x = {p}             # __hash__: items.pop()
    x = -p              # __neg__: items.clear()
    k = len(items)
    k = k + 1
    return items


log = c_dunders()
print(log[:5], log[6], len(log), no_arguments())
