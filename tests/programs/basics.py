"""Functions, arguments of every kind, a class, a loop, closures."""


def area(w, h=2, /, *rest, scale=1, **opts):
    return w * h * scale


class Shape:
    sides = 4

    def __init__(self, name):
        self.name = name

    def describe(self):
        return "%s has %d sides" % (self.name, self.sides)


def counter():
    n = 0

    def bump():
        nonlocal n
        n += 1
        return n
    return bump


total = 0
for i in range(3):
    total += area(i, 3, 9, scale=2, color="red")
bump = counter()
bump()
print(Shape("square").describe(), total, bump())
squares = [x * x for x in range(4)]
print(squares)
