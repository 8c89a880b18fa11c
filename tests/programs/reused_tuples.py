# An exact tuple's items change at one address, without the tuple dying,
# when C code that holds its only reference reuses it: zip, enumerate,
# dict.items() and other iterators hand out the same result tuple again,
# refilled, when nobody else holds it any more (docs/values-identity.md,
# "Tuples reused in place"). Each function below holds such a tuple in a
# variable (and in a list, a dict, an instance, another tuple) for a Step,
# drops every reference to it and takes the next result on the same line
# (one LINE event: the recorder sees only the tuple at the same address,
# with other items), so that a check that passed a tuple on its table
# entry alone would show the items of the Step before. Between some of the
# Steps the garbage collector runs, which untracks a tuple of atoms (a
# reused tuple is tracked again): a guard on the tracked state fails too.
# Tuple and list subclasses (namedtuples, pygments' token types) are
# compared by their item pointers like exact ones: they are changed in
# place here too (a list subclass) or rebound at one address (a tuple
# subclass made again after the old one died).
import collections
import gc
import itertools


def zipped(n):
    xs = list(range(100, 100 + n))
    ys = [str(i) for i in range(n)]
    z = zip(xs, ys)
    t = next(z)
    for i in range(n - 2):
        t = None; t = next(z)              # the same tuple, refilled
        same = t
        same = None
    t = None; t = next(z); gc.collect()
    return t


def enumerated(words):
    it = enumerate(words)
    pair = next(it)
    for _ in range(len(words) - 1):
        pair = None; pair = next(it)
        if pair[0] % 2:
            gc.collect()                   # untracked again: only atoms in it
    return pair


def dict_items(d):
    it = iter(d.items())
    kv = next(it)
    held = [kv, 0]
    table = {"kv": kv}
    for i in range(len(d) - 1):
        held[0] = None; table["kv"] = None; kv = None; kv = next(it); held[0] = kv; table["kv"] = kv
        held[1] = i
    it = reversed(d.items())
    kv = next(it)
    for i in range(len(d) - 1):
        kv = None; kv = next(it)
    return kv, held, table


class Box:
    pass


def in_holders(n):
    z = zip(range(n), range(n, 2 * n), itertools.repeat("z"))
    box = Box()
    box.t = next(z)
    outer = (box.t, "outer")
    nested = [[box.t]]
    for i in range(n - 1):
        outer = None; nested[0][0] = None; t = box.t; box.t = None; t = None; box.t = next(z); outer = (box.t, "outer"); nested[0][0] = box.t
    return box.t, outer, nested


def other_iterators(n):
    seen = []
    p = itertools.pairwise(range(n))
    w = next(p)
    for _ in range(n - 2):
        w = None; w = next(p)
    seen.append(w)
    c = itertools.combinations(range(5), 2)
    w = next(c)
    for _ in range(6):
        w = None; w = next(c)
    seen.append(w)
    pr = itertools.product("ab", range(3))
    w = next(pr)
    for _ in range(4):
        w = None; w = next(pr)
    seen.append(w)
    zl = itertools.zip_longest(range(3), "abcde")
    w = next(zl)
    for _ in range(4):
        w = None; w = next(zl)
    seen.append(w)
    od = collections.OrderedDict((str(i), i) for i in range(5))
    oi = iter(od.items())
    w = next(oi)
    for _ in range(4):
        w = None; w = next(oi)
    seen.append(w)
    return seen


Point = collections.namedtuple("Point", "x y")


class Tag(tuple):
    pass


class Stack(list):
    pass


def subclasses(n):
    p = Point(1, 2)
    tags = [Tag(("a",)), Tag(("a", "b"))]
    st = Stack([1, 2])
    table = {"p": p, "tags": tags, "st": st}
    for i in range(n):
        p = None; table["p"] = None; p = Point(i, -i); table["p"] = p   # maybe the old one's address
        tags[0] = None; tags[0] = Tag(("x",) * (i % 3))
        st.append(i)
        st[0] = -i
        st.reverse()
    tags[1].__class__ = Tag                # the same type: nothing changes
    del st[:]
    st.extend(tags[1])
    return p, tags, st


def leaves_in_tuples(n):
    def f():
        return 0
    buf = bytearray(b"ab")
    t = (f, len, buf, Box)
    rows = [t, (f,)]
    for i in range(n):
        f.__qualname__ = "f_%d" % i            # a leaf's node, changed without a signal
        buf[0] = 65 + i
        Box.__qualname__ = "Box_%d" % i
    Box.__qualname__ = "Box"
    return len(rows), t[2]


print(zipped(8))
print(enumerated(["a", "b", "c", "d", "e", "f"]))
print(dict_items({"k%d" % i: i * 1.5 for i in range(6)}))
print(in_holders(6))
print(other_iterators(6))
print(subclasses(5))
print(leaves_in_tuples(4))
