"""`for` lines (docs/design.md, "`for` lines"): at the loop's next turn a
`for` line takes the next item from its iterator, unpacks it and stores the
parts in locals; when the iterator is a built-in one whose step runs no code
(a list's, a tuple's, a range's, a dict's or a set's) and the item has the
shapes the unpacking needs, that changes no object, and the next Step's
replays pass the other objects unread. Each function below also changes, or
could change, something on or around such a line: every change must show at
the next Step as the reference recorder shows it."""


def plain(n):
    rows = [[0], [1]]
    log = []
    for x in range(n):
        rows[x % 2].append(x)     # the body changes a list; the `for` line does not
        log.append(len(rows[0]))
    for r in rows:
        r.append(-1)
    for k, v in {"a": rows, "b": log}.items():
        v.append(k)
    return rows, log


class Counter:
    """an iterator whose step runs code: it changes `seen`"""

    def __init__(self, seen, n):
        self.seen = seen
        self.n = n

    def __iter__(self):
        return self

    def __next__(self):
        if self.n == 0:
            raise StopIteration
        self.n -= 1
        self.seen.append(self.n)
        return self.n


def user_iterator(n):
    seen = []
    held = [seen]
    for x in Counter(seen, n):
        held.append(x)
    return held


def generator_changes(n):
    state = [0]
    holder = {"s": state}

    def gen():
        for i in range(n):
            state[0] += i
            yield i

    for x in gen():
        holder[x] = x
    return holder


class Pair:
    """unpacked, it iterates itself: its __iter__ changes `log`"""

    def __init__(self, log, a, b):
        self.log, self.a, self.b = log, a, b

    def __iter__(self):
        self.log.append((self.a, self.b))
        return iter((self.a, self.b))


def unpack_runs_code(n):
    log = []
    items = [(i, i + 1) if i % 2 else Pair(log, i, -i) for i in range(n)]
    box = [log]
    for a, b in items:            # an exact tuple, or a Pair whose __iter__ runs
        box.append(a - b)
    deep = [((1, [2, 3]), 4), ((5, Pair(log, 6, 7)), 8)]
    for (p, (q, r)), s in deep:   # the inner part of the second is a Pair
        box.append(p + q + r + s)
    return box


class Slist(list):
    pass


def subclasses(n):
    s = Slist(range(n))
    t = [s]
    out = []
    for x in s:                   # a list subclass, iterated by list's iterator
        s[0] = x                  # its items change as it is iterated
        out.append(s[0])
    for a, b in [Slist([1, 2]), (3, 4), [5, 6]]:
        out.append(a * b)
    return t, out


class Dier:
    """its death changes `graveyard`"""

    graveyard = []

    def __init__(self, k):
        self.k = k

    def __del__(self):
        Dier.graveyard.append(self.k)


def deaths_on_the_line(n):
    yard = Dier.graveyard
    keep = [yard]
    for x in [Dier(i) for i in range(n)] + [0]:   # the list, and its Diers, die when the loop ends
        keep.append(len(yard))
    for y in (Dier(-1), 1):                        # a tuple's, the same
        keep.append(y if y == 1 else "a Dier")
    keep.append(x)
    return keep


def mutate_while_iterating(n):
    xs = list(range(n))
    seen = [xs]
    it = iter(xs)
    for x in it:                  # a list's iterator held in a variable too
        if x < n:
            xs.append(x + n)      # the list grows under its iterator
    d = {1: 1, 2: 2}
    try:
        for k in d:
            d[k + 10] = k         # a dict that changes size: RuntimeError
    except RuntimeError as e:
        seen.append(str(e))
    s = {1, 2, 3}
    for v in s:
        seen.append(v)
    for v in reversed(xs[:3]):
        seen.append(v)
    return seen


def nested_and_tuples(n):
    grid = [[0] * 3 for _ in range(3)]
    bodies = [([0.0, 1.0, 2.0], [0.5, 0.5, 0.5], 1.0), ([3.0, 4.0, 5.0], [0.1, 0.2, 0.3], 2.0)]
    pairs = [(bodies[0], bodies[1])]
    for _ in range(n):
        for i in range(3):
            for j in (0, 1, 2):
                grid[i][j] += i * j
        for (([x1, y1, z1], v1, m1), ([x2, y2, z2], v2, m2)) in pairs:
            v1[0] -= x1 - x2
            v2[0] += m1 * m2
        for (r, [vx, vy, vz], m) in bodies:
            r[0] += vx + m
    for i, row in enumerate(grid):
        row.append(i)
    for a, b in zip(grid, bodies):
        a.append(b[2])
    return grid, bodies


def native_steps(n):
    """iterators and items whose step runs C code that changes a list: no
    Python code runs, so no event tells of it"""
    seen = [0]
    held = [seen]
    for x in map(seen.append, range(n)):       # list.append at each step
        held.append(len(seen))
    stack = list(range(n))
    hold = {"stack": stack}
    for x in iter(stack.pop, 0):               # list.pop at each step
        held.append(x)
    log = []
    box = [log]
    for a, b in [(3, 4), map(log.append, (1, 2))]:   # unpacking a map runs list.append
                                                     # (at the loop's next turn)
        box.append((a, b))
    for (a, b), c in [((0, 0), 0), (map(log.append, (5, 6)), 7)]:
        box.append((a, b, c))
    for i, x in enumerate(map(log.append, range(n))):   # an enumerate of a map
        box.append(i)
    for i, (a, b) in enumerate([(0, 0), map(log.append, (8, 9))]):
        box.append((i, a, b))
    return held, hold, box


class Enum(enumerate):
    def __next__(self):
        Enum.log.append("next")
        return super().__next__()


def enumerates(n):
    Enum.log = log = []
    rows = [[i] for i in range(n)]
    keep = [log, rows]
    for i, row in enumerate(rows):
        row.append(i)
    for i, (a, b) in enumerate([(1, 2), [3, 4], (5, 6)]):
        keep.append(a * b + i)
    for i, x in Enum(range(n)):                        # a subclass: its __next__ runs
        keep.append(x)
    for i, (j, x) in enumerate(enumerate(rows)):       # an enumerate of an enumerate
        x.append(j)
    for i, (k, v) in enumerate({"a": 1, "b": 2}.items()):
        keep.append(k * v)
    return keep


def comprehension_ends(n):
    """3.14 on: after a comprehension's loop ends (FOR_ITER exhausted,
    POP_ITER), the stores of its first line run with no LINE event (their
    line is the one before POP_ITER in the bytecode): the `for` line's last
    turn is not a pure one"""
    rows = [0, 0]
    held = [rows]
    rows[0] = [i * 2
               for i in range(n)]
    rows[1] = {i: i
               for i in range(n)}
    out = [held]
    return out


def wrong_shapes(n):
    out = []
    rows = [(1, 2), (1, 2, 3), 5]
    for row in rows:
        try:
            for a, b in [row]:
                out.append(a + b)
        except (ValueError, TypeError) as e:
            out.append(type(e).__name__)
    return out


print(plain(6))
print(user_iterator(4))
print(generator_changes(4))
print(unpack_runs_code(6))
print(subclasses(4))
print(deaths_on_the_line(4))
print(mutate_while_iterating(3))
print(nested_and_tuples(2))
print(native_steps(3))
print(enumerates(3))
print(comprehension_ends(3))
print(wrong_shapes(1))
