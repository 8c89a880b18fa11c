"""An object reached only through another, whose `__dict__` or `__class__`
is set while nothing else that a variable reaches changes: a replay that
passes objects without reading them (a quiet root's hard entries only)
must still see it. `inner` is held by no local of its own: only `outer`
reaches it, and the lines before each set call only `len` (a call, so the
variables are read again, but no dict changes). The dict set aside in
`keep` stays alive, so its death tells nothing; the new dict is one the
recorder never saw. Each change shows at the next line's Step, in `outer`."""


class Box:
    pass


class Other:
    pass


def dict_set():
    outer = Box()
    outer.inner = Box()
    outer.inner.v = 1
    keep = [outer.inner.__dict__]
    log = [1, 2]
    k = len(log)
    k = len(log)
    k = len(log)
    k = len(log)
    setattr(outer.inner, "__dict__", {"v": 2})
    k = len(log)
    k = len(log)
    object.__setattr__(outer.inner, "__dict__", {"v": 3, "w": keep})
    k = len(log)
    k = len(log)
    return outer, k


def class_set():
    outer = Box()
    outer.inner = Box()
    outer.inner.v = 1
    log = [1, 2]
    k = len(log)
    k = len(log)
    k = len(log)
    setattr(outer.inner, "__class__", Other)
    k = len(log)
    k = len(log)
    return outer, k


class Slotted:
    __slots__ = ("__dict__", "s")


def dict_set_slots():
    outer = Box()
    outer.inner = Slotted()
    outer.inner.s = 0
    outer.inner.v = 1
    keep = [outer.inner.__dict__]
    log = [1]
    k = len(log)
    k = len(log)
    k = len(log)
    setattr(outer.inner, "__dict__", {"v": 2})
    k = len(log)
    k = len(log)
    return outer, keep, k


for f in (dict_set, class_set, dict_set_slots):
    r = f()
    print(f.__name__, type(r[0].inner).__name__, vars(r[0].inner).get("v"))
