# Objects whose content changes while the variables stay bound, objects
# that die and are replaced (often at the same address), objects that change
# their type, shared and cyclic objects, and objects at the depth limit:
# what trace format 4 records as object ids, whole contents and changes.
class A:
    def __init__(self, v):
        self.v = v


class B:
    __slots__ = ("x", "y")

    def __init__(self):
        self.x = 1


def churn():
    keep = []
    for i in range(6):
        x = [i, i + 1]           # a new list, perhaps at the address of the last
        y = {"k": i}             # a new dict at each turn
        z = A(i) if i % 2 else (i,)   # kind and type change at the same name
        keep.append(len(x) + len(y))
        del x, y, z
    return keep


def grow_and_shrink():
    items = []
    for i in range(130):        # past --max-items: only the length changes
        items.append(i % 3)
    while len(items) > 95:      # back under it: the items come back
        items.pop()
    items[0] = "first"
    items.insert(1, "second")   # every later item moves
    del items[50:60]
    return len(items)


def dicts_and_sets():
    d = {i: i * i for i in range(8)}
    del d[3]                    # a pair in the middle goes
    d[3] = "back"               # and comes back at the end
    d.pop(0)
    s = {1, 2, 3}
    s.discard(2)
    s |= {10, 11}
    fs = frozenset(s)
    s.clear()
    return len(d) + len(fs)


def shared_and_cyclic():
    inner = [1, 2]
    outer = [inner, inner, {"again": inner}]
    outer.append(outer)         # a cycle
    inner.append(3)             # seen through four paths
    a = A(inner)
    a.v = a                     # an instance holding itself
    pair = (outer, a)
    outer.pop()
    return pair


def deep():
    d = [[[[["bottom"]]]]]
    d[0][0][0][0].append("deeper")   # below the depth limit: the Elided length changes
    d[0][0][0].append(2)
    d[0][0] = {"replaced": [1]}
    return d


def exceptions_and_slots():
    e = ValueError("first")
    e.args = ("second", [1, 2])      # args rebound on the same exception
    b = B()
    b.y = [b.x]
    b.x = "changed"
    del b.y
    s = slice([1, 2], None, 2)       # an inline slice holding a list
    s.start.append(3)
    return e, b, s


def klass():
    a = A(1)
    a.__class__ = type("C", (A,), {})   # the type changes, the object stays
    a.v = 2
    return a


def main():
    churn()
    grow_and_shrink()
    dicts_and_sets()
    shared_and_cyclic()
    deep()
    exceptions_and_slots()
    klass()
    print("ok")


main()
