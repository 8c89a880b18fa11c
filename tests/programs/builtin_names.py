# Built-in callables, classes, ranges and slices as children (docs/design.md,
# "The hot path": `leaf_same`, the names remembered by `tname_entry`). A
# bound built-in method's name is its self's type's name joined to its
# method's name; a class's is its qualname and __module__. Both are
# remembered keyed by the type (its version tag, its qualname, the
# generation of its address) and the method, so a rename, a type dropped and
# another made at its address with another name or module, and a method of
# the same name on another type must all show at the next Step, in a list,
# a dict, an instance's attributes and as a variable; so must an instance's
# class's new name (its TypeDef). Ranges and slices of
# atoms are leaves made again by their holder's check; a slice holding a
# list is not.
import array
import collections
import gc
import types


class Holder:
    pass


def builtin_methods():
    q = collections.deque([1])
    arr = array.array("i", [1, 2])
    od = collections.OrderedDict(a=1)
    held = [[].append, {}.get, "x".upper, dict.fromkeys, int.from_bytes, len, q.append,
            arr.append, od.popitem, types.SimpleNamespace().__eq__]
    table = {"get": {}.get, "len": len, "arr": arr.tobytes}
    h = Holder()
    h.m = q.popleft
    h.cls = array.array
    for i in range(3):
        held[i] = [i].append if i % 2 else (i,).count
        table["get"] = {i: i}.get
        h.m = q.pop if i % 2 else q.popleft
    return len(held), len(table)


def made_and_dropped():
    # a class made by type() from a builtin, its bound built-in methods held,
    # then dropped and another made (often at the same address) whose name
    # or module differs, or is the same
    out = []
    for i in range(6):
        Box = type("Box", (list,), {"__module__": "mod%d" % (i % 3)})
        b = Box([i])
        m = b.append
        out.append(m)
        pair = [m, Box, b.copy]
        h = Holder()
        h.m = m
        del Box, b, m, pair, h
        out.pop()
        gc.collect()
    for i in range(4):
        Kind = type("Kind%d" % (i % 2), (dict,), {})
        k = Kind(a=i)
        kept = [k.get, k.keys, Kind, Kind.fromkeys]
        del Kind, k, kept
        gc.collect()
    return len(out)


def renamed():
    # instances recorded before and after their class is renamed (as
    # variables, in a list, as an attribute, and one made after the rename)
    # show the class's name as it is at each Step
    Box = type("Box", (list,), {})
    Plain = type("Plain", (), {})
    Num = type("Num", (int,), {})
    k = Num(3)   # (a leaf: an int subclass is written whole)
    held = [Box().append, Box, Box.__mro__]
    h = Holder()
    h.m = Box().pop
    b = Box([1])
    p = Plain()
    p.x = 1
    inside = [b, p]
    h.b = b
    n = 0
    for i in range(3):
        Box.__qualname__ = "Box_%d" % i
        Box.__module__ = "where_%d" % i
        n += 1
    Box.__name__ = "Renamed"
    Box.__qualname__ = "Renamed"
    n += 1
    Plain.__qualname__ = "Plainer"
    Num.__name__ = "Count"
    n += 1
    Num.__qualname__ = "Count"
    n += 1
    Box.__module__ = "elsewhere"
    n += len(Box.copy.__name__)   # (a lookup in Box: it gets a version tag again)
    Box.__module__ = None
    n += len(Box.copy.__name__)
    Box.__module__ = "back"
    n += 1
    b2 = Box([2])
    Plain.__module__ = "moved"
    Plain.count = n   # (a class attribute set: no rename)
    n += 1
    Plain.__qualname__ = "Plainer"
    Plain.__qualname__ = "Plain_again"   # (two in a row, no lookup between)
    n += 1
    return len(held), n, len(inside), len(b2), k


def ranges_and_slices():
    rs = [range(3), range(1, 10, 2), slice(1, 2), slice(None, -1, 2)]
    t = (range(5), slice(0, 1))
    d = {"r": range(2), "s": slice(1, None)}
    h = Holder()
    h.r = range(7)
    h.s = slice(2, 3)
    inner = [1]
    mixed = [slice(inner, None), range(0)]
    total = 0
    for i in range(4):
        rs[0] = range(i)
        rs[2] = slice(i, i + 1)
        d["r"] = range(i, 2 * i)
        h.r = range(-i, i, 1 if i else 2)
        inner.append(i)
        total += len(rs[1])
    rs.append(range(10**20, 10**20 + 3))
    rs[1] = rs[1]
    h.s = slice("a", b"b", 1.5)
    mixed[0] = slice((1, 2), [3])
    mixed[0].stop.append(4)
    # past max_nodes (1000): three lists of 100 ranges (401 nodes each)
    big = [[range(j) for j in range(100)] for _ in range(3)] + [[1, 2, 3]]
    big[3].append(4)
    big[0][50] = range(7)
    big[2][99] = slice(1, 2)
    big[1][0] = [5]
    big[1][0].append(6)
    return total, len(t), len(mixed), len(big)


def quiet(n):
    held = [[].append, dict.fromkeys, range(3), slice(1, 2), array.array, len]
    total = 0
    for i in range(n):
        total += i
    return total, len(held)


print(builtin_methods())
print(made_and_dropped())
print(renamed())
print(ranges_and_slices())
print(quiet(20))
