# Instances whose attributes stay in their inline values (3.12 and 3.13:
# no __dict__ made for them while the program does not ask for it): the
# recorder reads the values in place and compares them with what it last
# recorded (docs/design.md, "The hot path", *instances*), with no dict
# watcher to tell it of a change or a death. Every change must show at the
# next step, whatever reaches the instance, and an instance born where
# another died shows its own attributes.
class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


class Late:
    pass


class Slotted:
    __slots__ = ("a", "b")


class Mixed(Point):
    __slots__ = ("s",)


class Big:
    def __init__(self):
        self.x = None


def changes():
    p = Point(1, [2])
    holder = [p, (p,)]
    p.x = 2                      # another atom
    p.x = 2                      # the same one again
    p.z = "added"                # an attribute added
    del p.y                      # one deleted
    p.y = [3]                    # re-added: now after z
    del p.x
    p.x = 1                      # deleted and re-added: the order changes
    p.y.append(4)                # below an attribute, p unchanged
    p.y = Point(0, 0)            # another instance
    p.y.x = 5                    # below it, through p
    q = p.y
    q.y = p                      # a cycle
    return len(holder)


def late_attrs():
    # a class whose first instance gets its attributes after creation
    a = Late()
    b = Late()
    box = [a, b]
    a.one = 1
    b.two = 2                    # another key of the same class
    a.two = "a2"
    b.one = "b1"
    del a.one
    return len(box)


def dying():
    # new instances at dead ones' addresses, in the same place
    box = [Point(0, 0)]
    for i in range(6):
        box[0] = Point(i, i)     # the last one dies here; its address may be reused
        if i % 2:
            box[0].x = -i
    p = Point(7, 7)
    del p
    q = Point(7, 7)              # maybe at p's address, with equal attributes
    q.y = 8
    return box[0].x, q.y


def dict_asked():
    # the program makes the dict after recording has read the values
    p = Point("a", "b")
    box = [p]
    p.x = "c"
    d = p.__dict__               # made now: from here on the recorder reads it
    d["x"] = "d"
    p.y = "e"
    d["w"] = "via the dict"
    p.__dict__ = {"x": "new"}    # another dict
    p.x = "f"
    return len(box), sorted(vars(p))


def slots_mixed():
    s = Slotted()
    s.a = 1
    m = Mixed(1, 2)
    m.s = [3]
    box = [s, m]
    s.b = 2
    m.x = "x"
    m.s.append(4)
    del m.y
    m.s = "s"
    del s.a
    return len(box)


def many():
    # past max_items (100) attributes: the class's values are no longer
    # inline from some point on (a dict is made), and max_items cuts
    b = Big()
    box = [b]
    for i in range(105):
        setattr(b, "a%d" % i, i)
    b.a3 = "three"
    b.a103 = "past"
    del b.a50
    c = Big()                    # a later instance of the same class
    c.a1 = 1
    box.append(c)
    return len(box)


def class_changed():
    # another class with other keys: CPython makes the dict first
    p = Point(1, 2)
    box = [p]
    p.__class__ = Late
    p.z = 3
    p.__class__ = Point
    return len(box), sorted(vars(p))


print(changes())
print(late_attrs())
print(dying())
print(dict_asked())
print(slots_mixed())
print(many())
print(class_changed())
