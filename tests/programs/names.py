# Attribute names and dict keys: the ones the recorder writes as name ids
# (format 8: interned ASCII str within --max-text) and the ones it cannot.


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = 1


class Keys(dict):
    pass


points = [Point(i, -i) for i in range(3)]
for p in points:
    p.x += 1
    p.label = "p%d" % p.x          # an attribute added
del points[0].y                    # and one deleted
setattr(points[1], "a_rather_long_attribute_name_" + "x" * 40, 1)   # interned by setattr
setattr(points[2], "caf\u00e9", "non-ASCII")
vars(points[2])[7] = "a key that is no str"
kw = dict(alpha=1, beta=[1, 2])     # keyword names: interned
made = {"k" + str(i): i for i in range(3)}   # keys made at run time: not interned
mixed = {"alpha": 1, "k" + str(0): 2}  # one key interned, one not
sub = Keys(alpha=1)
s = Slotted()
s.b = Point(0, 0)
for i in range(3):
    kw["alpha"] += i
    made["k1"] = i
    kw["gamma" if i else "delta"] = i
    s.a = i
del kw["beta"]
print(len(points), kw, made, mixed, sub, s.a)
