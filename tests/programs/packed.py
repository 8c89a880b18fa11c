# Children of objects that format 9 packs (None, bools, ints, floats, object
# references: "Packed children") mixed with ones that stay nodes (str, big
# ints, ranges, subclasses of int, complex), at the edges of what packs.
import enum


class Color(enum.IntEnum):
    RED = 1


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y
        self.label = None
        self.on = True


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a):
        self.a = a


edges = [0, -1, 1, 2**31, -2**31 - 1, 2**63 - 1, -2**63, 2**63, -2**63 - 1, 2**100]
floats = (0.0, -0.0, 1.5, float("inf"), float("-inf"), float("nan"), 1e308)
mixed = [None, True, False, "text", Color.RED, 3 + 4j, range(2, 9, 3), slice(1, None), b"by", 7]
points = [Point(i, i / 3) for i in range(4)]
points[1].label = "one"
points[2].__dict__.update(z=0, w=None)   # two pairs at once: an ObjPut
s = Slotted(points[0])
keys = {1: None, 2: True, "three": 3.0, (4,): points[2]}
sets = ({1, 2, 3}, frozenset([None]))
selfish = [1, 2]
selfish.append(selfish)
long = list(range(150))
for i in range(3):
    points[i].x += 1
    edges[i] = edges[i] * 2
    long.append(i)
    mixed[i] = i
    keys[i] = i * 0.5
    s.b = i
del keys["three"]
edges.append(None)
print(len(edges), len(long), sum(p.x for p in points))
