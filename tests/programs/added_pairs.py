# Attributes and keys added one at a time. An exact dict, or an instance
# read from its watched __dict__, whose entries are the pairs last recorded
# and one more after them is checked without walking the others
# (`one_add`, docs/design.md, "The hot path"): the new pair's prints, and
# an ObjAdd of it. Each function below adds pairs that way (an attribute
# set in __init__, at the Step after its line; keys added to a dict; values
# that are atoms, objects, the holder itself), then in the ways that must
# not pass that way (a value of several nodes, a key that cannot be a name
# id, a hidden attribute, a pair added and another changed at once, two
# added at once, a key deleted and added again, past max_items), so that a
# check that took the wrong pair, kept a stale print or wrote nothing shows
# a stale value at the next step. Run in small chunks too
# (tests/test_recording.py): an object is then often met first in a new
# chunk and written whole.


class Vec:
    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z


class Bag:
    pass


def vectors(n):
    vs = []
    for i in range(n):
        v = Vec(i, i * 0.5, "z%d" % i)
        vs.append(v)
    w = Vec(vs[0], vs, None)          # objects as the added values
    return vs, w


def instance_pairs():
    b = Bag()
    b.a = 1
    b.items = [b]                     # a container: its Object node
    b.me = b                          # the holder itself
    b.a, b.d = 2, 3.5                 # one changed and one added at once
    b.e = None
    b.f = (1, "t")
    b.r = range(2, 9, 3)              # a value of several nodes
    b.fn = len                        # a leaf of its own
    b.api_token = "hidden"            # a hidden attribute (Redacted)
    b.g, b.h = 1, 2                   # two added at once
    del b.a
    b.a = 4                           # deleted and added again, last
    b.e = b.items                     # then a value changed alone
    b.items.append(b.me)
    b.i = True
    return b


def dict_pairs():
    d = {}
    for i in range(5):
        d["k%d" % i] = i              # an int under a name
    d["lst"] = [1, 2]
    d["self"] = d
    d["k0"], d["new"] = -1, 2         # one changed and one added at once
    d[7] = "an int key"               # no name id
    d["not a name id!"] = 0.25
    d["sl"] = slice(1, None)          # several nodes
    d.update(p=1, q=2)                # two at once
    del d["k1"]
    d["k1"] = "back"
    d["after"] = "x" * 3
    return d


def long_dicts():
    d = {}
    for i in range(104):              # past max_items (100): the added pairs are not shown
        d["n%d" % i] = i
    e = {}
    for i in range(3):
        e["a%d" % i] = [i]
        e["a%d" % i].append(e)
    return d, e


class Grow:
    def __init__(self, n):
        for i in range(n):
            setattr(self, "f%d" % i, i * 1.5)


def loops():
    out = []
    for k in range(4):
        g = Grow(k + 3)
        g.extra = g.f0
        out.append(g)
    return out


vs, w = vectors(6)
b = instance_pairs()
d = dict_pairs()
long_d, e = long_dicts()
gs = loops()
print(len(vs), w.y[2].z, b.a, sorted(str(k) for k in d), len(long_d), len(e), gs[-1].extra)
