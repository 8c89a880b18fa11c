"""A sibling module imported by modules.py (not a corpus program itself)."""

COUNT = 0
UNITS = {"cm": 1, "m": 100}


class Square:
    def __init__(self, side):
        global COUNT
        COUNT += 1
        self.side = side


def area_of(shape):
    return shape.side ** 2


def describe(shape):
    return "square %d (%d made)" % (shape.side, COUNT)


loaded = [name for name in ("Square", "area_of") if name in globals()]
