"""Objects that count every call of the methods a careless recorder would
run: the counts must be the same traced and untraced."""
import json
import sys

calls = {}


def hit(name):
    calls[name] = calls.get(name, 0) + 1


class Meta(type):
    def __getattribute__(cls, name):
        hit("meta.__getattribute__")
        return super().__getattribute__(name)

    def __repr__(cls):
        hit("meta.__repr__")
        return "Meta!"

    def __hash__(cls):
        hit("meta.__hash__")
        return 1

    def __eq__(cls, other):
        hit("meta.__eq__")
        return cls is other


class Hostile(metaclass=Meta):
    __slots__ = ("slotted", "__dict__")

    def __init__(self):
        self.slotted = 7
        self.plain = [1, 2]

    def __repr__(self):
        hit("__repr__")
        return "H"

    def __str__(self):
        hit("__str__")
        return "H"

    def __eq__(self, other):
        hit("__eq__")
        return self is other

    def __hash__(self):
        hit("__hash__")
        return 3

    def __len__(self):
        hit("__len__")
        return 0

    def __iter__(self):
        hit("__iter__")
        return iter(())

    def __getattr__(self, name):
        hit("__getattr__")
        raise AttributeError(name)

    def __getattribute__(self, name):
        hit("__getattribute__")
        return object.__getattribute__(self, name)

    @property
    def prop(self):
        hit("property")
        return 1


class Dict(dict):
    def items(self):
        hit("dict.items")
        return super().items()

    def keys(self):
        hit("dict.keys")
        return super().keys()

    def __iter__(self):
        hit("dict.__iter__")
        return super().__iter__()

    def __getitem__(self, k):
        hit("dict.__getitem__")
        return super().__getitem__(k)

    def __len__(self):
        hit("dict.__len__")
        return super().__len__()


class Str(str):
    def __str__(self):
        hit("str.__str__")
        return "s"

    def __repr__(self):
        hit("str.__repr__")
        return "s"

    def __len__(self):
        hit("str.__len__")
        return 1

    def __iter__(self):
        hit("str.__iter__")
        return iter("s")


class List(list):
    def __iter__(self):
        hit("list.__iter__")
        return super().__iter__()

    def __len__(self):
        hit("list.__len__")
        return super().__len__()

    def __getitem__(self, i):
        hit("list.__getitem__")
        return super().__getitem__(i)


class Set(set):
    def __iter__(self):
        hit("set.__iter__")
        return super().__iter__()


class Boom(Exception):
    def __str__(self):
        hit("exc.__str__")
        return "boom"


def use(h, d, s, l, st):
    found = {h: 1}          # the program itself hashes h once here
    try:
        raise Boom(h)
    except Boom as e:
        caught = e
    return len(found), caught


h = Hostile()
d = Dict(a=h, b=Str("text"))
s = Str("sub")
l = List([h, 1, 2])
st = Set({1, 2})
cls = Hostile
result = use(h, d, s, l, st)
print(json.dumps(dict(sorted(calls.items()))))
sys.stdout.flush()
