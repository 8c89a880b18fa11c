"""Attribute stores: plain stores into watched instance dicts, two stores
in one line, stores through a Python __setattr__, into a slot (beside a
dict, too), through a property, into an unwatched dict subclass, into one
dict that two instances and a local share, into objects just made, a
__class__ assignment, and an old value whose __del__ runs. Every change
must show at the next Step as the reference recorder shows it. (Written for
session 21's attribute-store lines, measured and reverted: bench/README.md,
"Issue 13, session 21".)"""


class P:
    def __init__(self, x):
        self.x = x
        self.items = [x]


def plain(n):
    a = P(1)
    b = P(2)
    rows = [a, b, [a.items]]
    for i in range(n):
        a.x = i                   # a plain store: the watcher tells
        b.y = a.x = i * 2         # two stores in one line, two objects
        a.x, a.z = i, -i          # two into one object
        a.items.append(i)         # a call: not such a line
    return rows


class Logged:
    def __setattr__(self, name, value):
        Logged.log.append(name)
        object.__setattr__(self, name, value)


class Slotted:
    __slots__ = ("s", "t")


class Both:
    __slots__ = ("s", "__dict__")   # a slot beside a watched dict


class Other:
    pass


class Prop:
    def __init__(self):
        self._v = 0
        self.seen = []

    @property
    def v(self):
        return self._v

    @v.setter
    def v(self, value):
        self.seen.append(value)
        self._v = value


class Sub(dict):
    pass


def not_plain(n):
    Logged.log = log = []
    g = Logged()
    s = Slotted()
    p = Prop()
    q = P(0)
    q.__dict__ = Sub(x=0)         # a dict subclass: not watched
    m = Both()
    m.s = 0
    m.d = 0
    c = Other()
    c.k = 1
    keep = [log, g, s, p, q, m, c]
    for i in range(n):
        m.s = i                   # the slot, not the dict
        m.d = i
        c.__class__ = P if i % 2 else Other   # its type
        g.a = i                   # Python __setattr__
        s.s = i                   # a slot: a data descriptor
        p.v = i                   # a property's setter
        q.x = i                   # into an unwatched dict
        s.t = [i]
    return keep


def shared_dicts(n):
    a = P(0)
    b = P(0)
    b.__dict__ = a.__dict__       # two instances, one dict
    d = a.__dict__                # and the dict itself
    keep = [b, d]
    for i in range(n):
        a.x = i                   # b and d show it too
        b.w = -i
        d["v"] = i                # a subscript store into the dict
        a.items = [i]
    return keep, a


def new_objects(n):
    out = []
    for i in range(n):
        o = P(i)
        o.y = i                   # just made: read at this Step first
        out.append(o)
        o.x = o.y + 1
    e = ValueError("e")
    e.note = 1                    # an exception's attribute
    return out, e


class Dier:
    graveyard = []

    def __del__(self):
        Dier.graveyard.append(1)


def deaths(n):
    yard = Dier.graveyard
    h = P(Dier())
    keep = [yard, h]
    for i in range(n):
        h.x = Dier() if i % 2 else i   # the old value dies here: its __del__ runs
    return keep


print([vars(r) if isinstance(r, P) else r for r in plain(3)])
print(not_plain(3)[0])
print(shared_dicts(3)[1].__dict__)
print([o.__dict__ for o in new_objects(3)[0]])
print(deaths(3)[0])
