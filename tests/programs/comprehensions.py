"""Comprehensions: list, set and dict comprehensions, nested ones,
comprehensions spread over several lines (their steps see the loop
variable), conditions, comprehensions in a class body, generator
expressions consumed lazily, and a comprehension shadowing a name."""

x = "outer"


def grid(n):
    cells = [(r, c)
             for r in range(n)
             for c in range(n)
             if r != c]
    by_row = {r: [c for (rr, c) in cells if rr == r]
              for r in range(n)}
    return cells, by_row


def shadow():
    x = "local"
    ys = [x for x in range(3)]
    return x, ys


def lazy():
    gen = (
        i * 3
        for i in range(4)
    )
    first = next(gen)
    rest = list(gen)
    return first, rest


class Table:
    cols = ["a", "b"]
    widths = {c: len(c) * 2 for c in cols}
    flat = [ch for word in ["xy", "z"] for ch in word]


odd_squares = {n * n for n in range(7) if n % 2}
matrix = [[i * j for j in range(3)] for i in range(3)]
transposed = [list(row) for row in zip(*matrix)]
print(grid(3), shadow(), lazy(), x)
print(sorted(odd_squares), transposed, Table.widths, Table.flat)
