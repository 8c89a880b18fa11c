# Instances whose attributes live in values shared with their __dict__
# (CPython 3.13's inline values; 3.13.0 does not tell dict watchers of a
# store into them) and bytearrays inside objects: the recorder passes an
# unchanged one by comparing what it holds with what it last recorded
# (docs/design.md, "The hot path"). Every way of changing one must still
# show at the next step, whatever reaches it.
class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


class Other:
    pass


class Member:
    __slots__ = ("m", "__dict__")


def attributes():
    p = Point(1, [2])
    holder = [p, {"p": p}]
    p.x = 2                      # rebound to another atom
    p.x = 2                      # the same atom again
    p.x = 10 ** 20               # an equal value, another object, below
    p.x = 10 ** 20
    p.z = "added"                # an attribute added
    del p.y                      # one deleted
    p.y = [3]                    # re-added: now after z
    del p.x
    p.x = 1                      # delete + re-add: the order changes
    p.y.append(4)                # below an attribute, p unchanged
    p.y = p.y                    # the same object
    p.y = Point(0, 0)            # another object
    p.y.x = 5                    # through p, below it
    vars(p)["w"] = "via vars"    # through the materialised dict
    return len(holder), sorted(vars(p))


def replaced():
    p = Point("a", "b")
    box = (p,)
    old = p.__dict__
    p.__dict__ = {"x": "a", "y": "b"}   # an equal dict, another object
    p.x = "c"
    old["x"] = "old"                   # the dict p no longer uses
    p.__dict__ = old                   # back to the first one
    p.__class__ = Other                # another type, the same attributes
    p.x = "d"
    p.__class__ = Point
    return box[0].x


def many():
    # past max_items (100): only the first 100 attributes are recorded
    p = Point(0, 0)
    for i in range(105):
        setattr(p, "a%d" % i, i)
    box = [p]
    p.a3 = "three"               # among the first 100
    p.a103 = "past"              # past them: nothing recorded changes
    del p.a50                    # one fewer: a101 comes in
    same = len(box)
    return same


def with_members():
    # a __dict__ and a slot: both read by the comparison
    m = Member()
    m.m = 1
    m.d = 2
    box = [m]
    m.m = 3
    m.d = 4
    del m.m
    m.m = [5]
    m.m.append(6)
    return len(box)


def dying():
    # a new instance at a dead one's address, in the same place
    box = [Point(0, 0)]
    for i in range(4):
        box[0] = Point(i, i)     # the last one dies here; its address may be reused
        box[0].x = -i
    return box[0].x


def same_again():
    # from 3.13.1 on, a store of the object an inline value already holds
    # tells the dict's watchers too; the recorder passes such a store, never
    # a change beside it or below it
    p = Point(1.5, [2])
    q = Point(0.5, 3)
    box = [p, q]
    for i in range(4):
        p.x = p.x if p.x > q.x else q.x     # the same object: nothing changes
        q.y = q.y
    q.x = 2.5
    for i in range(3):
        p.x = p.x if p.x > q.x else q.x     # another object once, then the same
        p.y = p.y; p.y.append(i)            # the same object, changed below it
        setattr(q, "y", q.y); q.x = i       # the same, then another in the same line
    p.x = p.x; del p.x                      # the same, then deleted
    p.x = q
    p.x = p.x; q.y = "y"                    # the same, and a change below it
    vars(q)["x"] = q.x                      # the same through the dict itself
    return len(box), p.y, q.y


def bytearrays():
    b = bytearray(b"ab")
    p = Point(b, 0)
    items = [b, 1, (b,)]
    table = {"b": b}
    for i in range(3):
        b.extend(b"c")           # in place: no holder changes
        p.y = i                  # the holder changes beside it
    b[0] = ord("z")              # the same length, another byte
    b[:] = b"ab"                 # back to bytes it had
    b += bytes(300)              # past max_text: only the length shows
    b[-1] = 1                    # past max_text: nothing recorded changes
    b[0] = ord("y")              # within it
    del b[10:]
    items[0] = bytearray(b"ab")  # another bytearray with earlier bytes
    items[0] = b
    table["b"] = [b]             # a bytearray below a list
    b.clear()
    return len(items), len(table), p.y


print(attributes())
print(replaced())
print(many())
print(with_members())
print(dying())
print(same_again())
print(bytearrays())
