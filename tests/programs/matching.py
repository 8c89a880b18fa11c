"""match: literal, capture, wildcard, sequence (with star), mapping (with
**rest), class patterns (positional via __match_args__, keyword), or-patterns,
as-patterns, guards, and value patterns on dotted names."""
import dataclasses
import enum


class Color(enum.Enum):
    RED = 1
    GREEN = 2


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Circle:
    __match_args__ = ("center", "radius")

    def __init__(self, center, radius):
        self.center = center
        self.radius = radius


def describe(shape):
    match shape:
        case Point(x=0, y=0):
            return "origin"
        case Point(x, y) if x == y:
            return "diagonal %d" % x
        case Point(x=px, y=py):
            return "point %d,%d" % (px, py)
        case Circle(Point(x=cx) as c, r) if r > 10:
            return "big circle at %d (%s)" % (cx, c.y)
        case Circle(_, radius=r):
            return "circle r=%d" % r
        case [first, *middle, last]:
            return "seq %s..%s (%d between)" % (first, last, len(middle))
        case [single]:
            return "one %s" % (single,)
        case {"type": "user", "name": str(name), **rest}:
            return "user %s with %s" % (name, sorted(rest))
        case {"type": ("a" | "b") as t}:
            return "ab " + t
        case Color.RED:
            return "red"
        case 0 | 1 | 2 as small:
            return "small %d" % small
        case str() as s if len(s) > 3:
            return "long text"
        case None:
            return "nothing"
        case _:
            return "other"


samples = [Point(0, 0), Point(2, 2), Point(1, 5), Circle(Point(3, 4), 20), Circle(Point(0, 0), 2),
           [1, 2, 3, 4], ["x"], {"type": "user", "name": "ann", "age": 3, "id": 9},
           {"type": "b"}, Color.RED, Color.GREEN, 2, "hello", "hi", None, 3.5]
for item in samples:
    print(describe(item))
