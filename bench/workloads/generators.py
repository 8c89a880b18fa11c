"""generators: recursive generator trees (yield from), generator pipelines
and send()-driven coroutine-style generators.

In the spirit of pyperformance's "generators" benchmark, written here from
scratch. argv[1]: number of rounds.
"""
import sys

DEFAULT_SIZE = 2000   # about 0.4 s untraced (CPython 3.12, 2-core EPYC)
CALLGRIND_SIZE = 32   # bench/callgrind.py: a recording of a few seconds under valgrind


class Node:
    __slots__ = ("left", "value", "right")

    def __init__(self, left, value, right):
        self.left = left
        self.value = value
        self.right = right


def build(lo, hi):
    if lo >= hi:
        return None
    mid = (lo + hi) // 2
    return Node(build(lo, mid), mid, build(mid + 1, hi))


def inorder(node):
    if node is None:
        return
    yield from inorder(node.left)
    yield node.value
    yield from inorder(node.right)


def evens(values):
    for v in values:
        if v % 2 == 0:
            yield v


def squares(values):
    for v in values:
        yield v * v


def running_total():
    total = 0
    while True:
        v = yield total
        if v is None:
            break
        total += v
    return total


def round_(tree):
    acc = running_total()
    next(acc)
    last = 0
    for sq in squares(evens(inorder(tree))):
        last = acc.send(sq)
    try:
        acc.send(None)
    except StopIteration as stop:
        last = stop.value
    return last


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE
    tree = build(0, 500)
    check = 0
    for _ in range(rounds):
        check = (check + round_(tree)) % 1000000007
    print("generators", rounds, check)
