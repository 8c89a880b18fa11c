"""Fast locals read at every step: unbound until assigned, deleted, hidden
by a comprehension's variable (3.12 inlines comprehensions), captured as
cells, bound by an `except ... as`, written through frame.f_locals (which
3.13 writes into the slot), and kept across a generator's yields."""
import sys


def late(n):
    total = 0
    for i in range(n):
        later = i * 2
        total += later
    del later
    result = total
    return result


def hidden():
    x = "outer"
    squares = [x * 2 for x in range(3)]
    y = [x for x in "ab"]
    return x, squares, y


def captured(a):
    b = a + 1

    def inner():
        return a + b

    c = inner()
    b = 10
    return c + inner()


def handler():
    try:
        raise ValueError("v")
    except ValueError as err:
        seen = str(err)
    after = seen
    return after


def through_f_locals():
    z = 1
    sys._getframe().f_locals["z"] = 2
    w = z
    return w


def gen(k):
    for j in range(k):
        made = j
        yield made
    done = True
    return done


print(late(4), hidden(), captured(1), handler(), through_f_locals(), list(gen(3)))
