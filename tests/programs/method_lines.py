"""Lines that change one object by a method call (docs/design.md, "Lines
that change one object"): a line whose only impure opcodes are calls of an
exact list's or set's own methods on the object a local holds (`queens.append(col)`,
`cols.add(col)`, `d = todo.pop(0)`) is taken to change that object alone,
and the next Step's replays pass every other object unread. Each function
below also changes, or could change, something else on such a line, or on a
line that looks like one: every change must show at the next Step as the
reference recorder shows it."""

from _hooks import Index   # an index whose __index__ (Python) changes a list



def queens_like(n):
    cols = set()
    diag = set()
    queens = []
    board = [cols, diag, queens]
    for col in range(n):
        d = col * 2
        cols.add(col)
        diag.add(d)
        queens.append(col)
        if col % 2:
            queens.pop()
            cols.discard(col)
            diag.remove(d)
    return board


def appended_then_changed(n):
    inner = [0]
    outer = [1]
    y = [5]
    both = [outer, inner]
    for i in range(n):
        outer.append(inner); outer[-1] += y; outer.pop()      # the item appended is changed in place
        inner.append(i)
    return both


class Noisy(list):
    """a list whose append changes another list too"""

    def __init__(self, log):
        super().__init__()
        self.log = log

    def append(self, x):
        self.log.append(x)
        super().append(x)


ELSEWHERE = []


class Elsewhere(list):
    """a list whose append is another list's (C code: no event shows it)"""

    append = ELSEWHERE.append


def subclass_method(n):
    log = []
    s = Noisy(log)
    t = Elsewhere()
    held = [s, log, t, ELSEWHERE]
    for i in range(n):
        s.append(i)
        s.pop()
        t.append(i)
    return held


class LoudHash:
    """an element whose __hash__ (Python) changes a list"""

    def __init__(self, log):
        self.log = log

    def __hash__(self):
        self.log.append("hash")
        return 7

    def __repr__(self):
        return "LoudHash()"


def element_with_code(n):
    log = []
    s = set()
    e = LoudHash(log)
    held = [s, log]
    for i in range(n):
        s.add(e)
        s.discard(e)
        s.add(i)
    return held


class Collide:
    """an element equal in hash to 1, whose __eq__ (Python) changes a list"""

    def __init__(self, log):
        self.log = log

    def __hash__(self):
        return 1

    def __eq__(self, other):
        self.log.append(other)
        return False

    def __repr__(self):
        return "Collide()"


def compared_elements(n):
    log = []
    s = {Collide(log)}
    items = [Collide(log), 5]
    held = [s, items, log]
    for i in range(n):
        s.add(1)                  # the set's element's __eq__ runs: log changes
        s.discard(1)
        items.remove(5)           # the list's first item's __eq__ runs: log changes
        items.append(5)
    return held


def index_with_code(n):
    other = []
    k = Index(other)
    v = [0, 1, 2]
    held = [v, other]
    for i in range(n):
        v.insert(k, i)
        v.pop(k)
        v.pop(0)
        v.insert(0, i)
    return held


def two_lists(n):
    a = []
    b = []
    ab = [a, b]
    for i in range(n):
        a.append(i); b.append(-i)
        a.pop(); a.append(b)
    return ab


def rebound_on_the_line(n):
    a = [1]
    b = [2]
    held = [a, b]
    for i in range(n):
        x = a; x = b; x.append(i)
        a.append(b.pop())
    return held


def popped_object(n):
    inner = [0]
    stack = [inner, [1]]
    held = [stack, inner]
    for i in range(n):
        stack.pop().append(i)     # the item popped is changed, not only `stack`
        stack.append(inner)
    return held


class Dying:
    """an item whose finalizer (Python) changes a list"""

    def __init__(self, log):
        self.log = log

    def __del__(self):
        self.log.append("died")

    def __repr__(self):
        return "Dying()"


def finalizers(n):
    log = []
    items = []
    held = [items, log]
    for i in range(n):
        items.append(Dying(log))
        items.clear()             # the item dies: its finalizer changes log
        items.append(i)
        items.reverse()
    return held


def self_reference(n):
    a = [0]
    held = [a]
    for i in range(n):
        a.append(a)
        a.pop()
        a.append(i)
    return held


def popped_values(n):
    s = {1, 2, 3}
    todo = [[4], [5], [6]]
    got = []
    held = [s, todo, got]
    for i in range(min(n, 3)):
        x = s.pop()
        first = todo.pop(0)
        first.append(x)
        got.append(first)
    return held


def not_a_list(n):
    d = {"a": 1, "b": 2}
    s = frozenset([1])
    held = [d, s]
    for i in range(n):
        d.pop("a", None)
        d.clear()
        d["a"] = i
    return held, s


def generator_calls(n):
    acc = []
    for i in range(n):
        acc.append(i)
        yield acc
        acc.pop(0)


def errors(n):
    a = []
    s = set()
    held = [a, s]
    for i in range(n):
        try:
            a.pop()
        except IndexError:
            a.append(i)
        try:
            s.remove(i)
        except KeyError:
            s.add(i)
    return held


def main():
    print(queens_like(6))
    print(appended_then_changed(3))
    print(subclass_method(3))
    print(element_with_code(3))
    print(compared_elements(3))
    print(index_with_code(3))
    print(two_lists(3))
    print(rebound_on_the_line(3))
    print(popped_object(3))
    print(finalizers(3))
    print(self_reference(3))
    print(popped_values(3))
    print(not_a_list(3))
    print(list(generator_calls(3)))
    print(errors(3))


main()
