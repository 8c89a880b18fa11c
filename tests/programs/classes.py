"""Classes: class bodies with statements, a metaclass with __prepare__ and
__new__, __init_subclass__, properties with setters, classmethods and
staticmethods, super() chains, dataclasses (frozen, ordered, defaults,
__post_init__), __slots__ (with and without __dict__), and a class
decorator."""
import dataclasses


class Registry(type):
    classes = []

    @classmethod
    def __prepare__(mcls, name, bases):
        return {"registered_at": len(mcls.classes)}

    def __new__(mcls, name, bases, ns):
        cls = super().__new__(mcls, name, bases, ns)
        mcls.classes.append(name)
        return cls


class Base(metaclass=Registry):
    kinds = []

    def __init_subclass__(cls, kind="plain", **kw):
        super().__init_subclass__(**kw)
        Base.kinds.append((cls.__name__, kind))

    def __init__(self, x):
        self._x = x

    @property
    def x(self):
        return self._x

    @x.setter
    def x(self, value):
        if value < 0:
            raise ValueError("negative")
        self._x = value

    @classmethod
    def make(cls, x):
        return cls(x)

    @staticmethod
    def double(v):
        return v * 2

    def describe(self):
        return "Base(%s)" % self._x


class Child(Base, kind="special"):
    extra = [n * n for n in range(3)]
    total = sum(extra)
    if total > 3:
        big = True
    else:
        big = False

    def describe(self):
        return "Child<" + super().describe() + ">"


def add_repr_tag(cls):
    cls.tag = cls.__name__.lower()
    return cls


@add_repr_tag
@dataclasses.dataclass(order=True)
class Point:
    x: int
    y: int = 0
    tags: list = dataclasses.field(default_factory=list)

    def __post_init__(self):
        self.tags.append("made")


@dataclasses.dataclass(frozen=True)
class Frozen:
    name: str
    size: float = 1.5


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a):
        self.a = a


class SlottedWithDict:
    __slots__ = ("a", "__dict__")

    def __init__(self):
        self.a = 1
        self.other = 2


c = Child.make(3)
c.x = 4
try:
    c.x = -1
except ValueError as e:
    err = str(e)
p, q = Point(1, 2), Point(1)
fz = Frozen("f")
try:
    fz.name = "g"
except dataclasses.FrozenInstanceError:
    frozen = True
s = Slotted(5)
sd = SlottedWithDict()
print(c.describe(), c.x, Base.double(4), err, Registry.classes, Base.kinds, Child.big)
print(p < q, p == Point(1, 2, ["made"]), Point.tag, fz, frozen, s.a, sd.other, Child.registered_at)
