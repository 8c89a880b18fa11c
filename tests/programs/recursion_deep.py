"""Deep recursion below the limit: a 600-frame descent returning values,
mutual recursion, recursion through a generator (yield from), and an
exception raised at the bottom that unwinds every frame."""
import sys


def depth(n):
    if n == 0:
        return 0
    return 1 + depth(n - 1)


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def walk(tree):
    if isinstance(tree, list):
        for t in tree:
            yield from walk(t)
    else:
        yield tree


def explode(n):
    if n == 0:
        raise ArithmeticError("bottom")
    return explode(n - 1) + 1


def ackermann(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ackermann(m - 1, 1)
    return ackermann(m - 1, ackermann(m, n - 1))


print(sys.getrecursionlimit() >= 1000, depth(600))
print(is_even(101), is_odd(101))
print(list(walk([1, [2, [3, [4, [5]]]], 6])))
try:
    explode(200)
except ArithmeticError as e:
    print("unwound", e)
print(ackermann(2, 2))
