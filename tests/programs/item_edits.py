"""Lists and sets edited in one stretch (src/values.c, edit_items): items
appended, inserted, popped, discarded, swapped or set to another object of
the same value, across max_items (100) and across a set's resize (its table
order changes); instances' __slots__ set, set again and emptied; objects
met before pushed and popped, an object kid that
changed meanwhile, or died and left its address to another; and the edits
the fast path leaves to the walk (an object never checked, a set of more
than 64 items, a list subclass). Every Step must show each list and set as
the reference recorder shows it."""


class Tagged(list):
    pass


def lists():
    xs = [1, 2, 3]
    xs.append(4)                 # appended
    xs.insert(0, "a")            # inserted at the front
    xs.insert(3, 2.5)            # in the middle
    xs.pop()                     # popped at the end
    xs.pop(1)                    # in the middle
    xs[0], xs[2] = xs[2], xs[0]  # a swap: a stretch of three, two items new
    big = 10 ** 30
    xs[1] = big                  # one item
    xs[1] = 10 ** 30             # another object of the same value: no record
    xs[0:2] = [None, True, b"x"]  # two items for three
    xs.extend(range(40, 100))    # many appended at once
    del xs[5:70]                 # many deleted
    xs.reverse()                 # every item moves
    xs.clear()
    xs += [7]
    return xs


def same_values():
    """Stretches whose ends are other objects of the same values: what is
    written is trimmed to the items whose values changed."""
    a, b = 10 ** 20, 10 ** 21
    zs = [1, a, 3, b, 2]
    zs[1:4] = [int(str(a)), 4, int(str(b))]            # one item for one, inside
    zs[1:4] = [int(str(a)), 5, 6, int(str(b))]         # two for one
    zs[1:5] = [int(str(a)), 7, int(str(b))]            # one for two
    zs[1:4] = [int(str(a)), int(str(b))]               # one deleted
    zs[1:3] = [int(str(a)), 8, 9, int(str(b))]         # two inserted
    zs[1:5] = [int(str(a)), 8, 9, int(str(b))]         # none changed
    return zs


def around_max_items():
    ys = list(range(97))
    for i in range(6):           # 97 -> 103 items: past max_items the length alone
        ys.append(-i)
    while len(ys) > 95:          # and back under it
        ys.pop()
    ys.insert(50, "mid")
    ys.pop(0)
    return len(ys)


def sets():
    s = {1, 2}
    s.add(3)
    s.discard(1)
    for i in range(20):          # grows: resized twice, its table order changes
        s.add(i * 7)
    for i in range(0, 20, 3):
        s.discard(i * 7)
    s.add("word")
    s.add(2.0)                   # equal to 2, already in: no change
    s.remove(2)
    s |= {100, 101}
    s.clear()
    s.add(None)
    return s


def big_set():
    s = set(range(60))
    for i in range(60, 70):      # past 64 items: the walk
        s.add(i)
    s.discard(0)
    return len(s)


class Node:
    def __init__(self, name):
        self.name = name

    def __hash__(self):
        return hash(self.name)


class Vec:
    __slots__ = ("x", "y", "z")

    def __init__(self, x, y, z):
        self.x = x               # each slot set for the first time: one pair added
        self.y = y
        self.z = z


class Account:
    __slots__ = ("owner", "password", "peer")

    def __init__(self, owner):
        self.owner = owner
        self.password = "hunter2"    # a hidden name: the walk


class Sub(Vec):
    __slots__ = ("w",)


def slotted():
    v = Vec(1, 2.5, "z")
    v.y = 3                      # a value set again
    v.y = 10 ** 20
    v.y = int(str(10 ** 20))     # another object of the same value: no record
    del v.x                      # a slot emptied
    v.x = None
    w = Vec(1, 2, 3)
    del w.y
    del w.x; w.y = 7             # noqa: E702 (one pair for another: not the same name)
    u = Vec(v, [1], None)        # an object checked before, and one never checked
    u.x = u                      # itself
    u.z = v
    del u.y
    del u.z
    a = Account("ann")
    a.peer = a
    a.owner = "bob"
    s = Sub(1, 2, 3)
    s.w = 4
    s.x = 5
    return v, w, u, a, s


def objects_in_lists():
    xs = [1, 2]
    xs.append([3])               # an object never checked: the walk
    xs.append(4)
    xs.pop(2)
    t = Tagged([1, 2])           # a subclass: the walk
    t.append(3)
    return xs, t


def known_objects():
    a, b, c = Node("a"), Node("b"), Node("c")
    todo = []
    todo.append(a)               # objects checked before (as variables)
    todo.append(b)
    todo.insert(0, c)
    a.name = "a2"                # a kid changed: shown through the list
    todo.pop()
    todo.append(b)
    todo[0], todo[2] = todo[2], todo[0]
    todo[1] = 5                  # an object for an atom, and back
    todo[1] = a
    seen = {a}
    seen.add(b)
    seen.add(c)
    seen.discard(a)
    b.name = "b2"
    for k in range(6):
        d = Node(k)              # dies at the next turn: its address is reused
        todo.append(d)
        todo.pop()
    todo.append(d)
    spot = [Node("first"), 1]
    spot[0] = None; spot[0] = Node("reborn")  # noqa: E702 (one line: the dead one's address, likely)
    spot[0] = None; spot[0] = Node("again")   # noqa: E702
    nested = [[1], [2]]
    inner = nested[0]
    nested.append(inner)         # the same object twice
    nested.pop(0)
    inner.append(9)
    return todo, seen, nested, spot


def module_level():
    counts = [0] * 5
    for i in range(30):
        counts[i % 5] += 1       # one item at a time
        if i % 7 == 0:
            counts.append(i)
        if len(counts) > 8:
            counts.pop(0)
    return counts


lists()
same_values()
around_max_items()
sets()
big_set()
objects_in_lists()
known_objects()
slotted()
stack = []
for k in range(12):
    stack.append(k)
    if k % 3 == 2:
        stack.pop()
seen = set()
for k in range(15):
    seen.add(k % 6)
    if k % 4 == 0:
        seen.discard(k % 6)
module_level()
print(len(stack), sorted(seen))
