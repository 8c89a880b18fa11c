"""Lines that change one object (docs/design.md, "Lines that change one
object"): a line whose only impure opcodes are in-place operators on atoms
and subscript stores into one list or dict held in a local is taken to
change that object alone, and the next Step's replays pass every other
object unread. Each function below also changes, or could change, something
else on such a line, or on a line that looks like one: every change must
show at the next Step as the reference recorder shows it."""

from _hooks import Index   # an index whose __index__ (Python) changes a list



def nbody_like(n):
    p = [0.0, 1.0, 2.0]
    v = [0.5, 0.25, 0.125]
    body = (p, v, 3.0)
    bodies = [body, ([9.0, 9.0], [1.0, 1.0], 1.0)]
    for i in range(n):
        v[0] -= 0.5 * i
        v[1] += p[0]
        p[2] = v[0] * 2
        p[0] += 1
    return bodies


def in_place_on_a_list(n):
    a = [1]
    held = [a, (a, 2)]
    x = a
    y = [7]
    for i in range(n):
        x += y            # x holds a list: list.__iadd__ changes `a` in place
        x[0] = i
    return held


def in_place_on_an_item(n):
    inner = [0]
    rows = [inner, [5]]
    seen = {"inner": inner}
    y = [8]
    for i in range(n):
        rows[0] += y      # an item that is a list: changed in place, not only `rows`
        rows[1] = y
    return seen


def through_a_view(n):
    ba = bytearray(b"abc")
    mv = memoryview(ba)
    holder = [ba]
    for i in range(n):
        mv[0] = 65 + i    # a subscript store into a memoryview changes the bytearray
        mv[1] -= 1
    mv.release()
    return holder


def dict_counts(words):
    counts = {}
    tally = [counts]
    for w in words:
        counts[w] = counts.get(w, 0)
        counts[w] += 1
        del counts[w]; counts[w] = 7
    return tally


class Logged:
    """a property whose getter (Python) changes a list while a pure
    opcode of the line that reads it runs"""

    def __init__(self, log):
        self.log = log

    @property
    def value(self):
        self.log.append(len(self.log))
        return len(self.log)


def getter_during_line(n):
    log = []
    obj = Logged(log)
    v = [0, 0]
    both = [log, v]
    for i in range(n):
        v[0] = obj.value
        v[1] -= 1
    return both


def key_with_code(n):
    other = []
    k = Index(other)
    v = [0]
    pair = [v, other]
    for i in range(n):
        v[k] = i
        v[0] += 1
    return pair


def two_targets(n):
    a = [0]
    b = [0]
    ab = [a, b]
    for i in range(n):
        a[0] = i; b[0] = -i
        a[0] += 1
    return ab


def shared_then_stored(n):
    x = [1.0, 2.0]
    y = [x]
    z = [y, x]
    other = [3.0]
    for i in range(n):
        x[1] = other       # now an item is a list: x's next in-place on an item is not of atoms
        x[1] += [i]
        other[0] -= 1.0
        x[1] = 2.0
    return z


def rebinding(n):
    a = [1, 2]
    b = [a]
    for i in range(n):
        a[0] = i; a = [i]; a[0] += 1
        b[0][0] -= 1
    return b


def generator_lines(n):
    acc = [0, 0]
    for i in range(n):
        acc[0] += i
        yield acc
        acc[1] = acc[0]


class Slist(list):
    def __setitem__(self, k, v):
        super().__setitem__(k, v)
        self.touched = True


def subclass_store(n):
    s = Slist([0, 0])
    t = [s]
    for i in range(n):
        s[0] = i
        s[1] += 1
    return t


def fannkuch_like(perm, r):
    counts = [0] * len(perm)
    lo, hi = 0, len(perm) - 1
    while lo < hi:
        perm[lo], perm[hi] = perm[hi], perm[lo]
        lo += 1
        hi -= 1
    for i in range(r):
        perm[i] = perm[i + 1]
        counts[r - 1] = r
        counts[r] -= 1
    return perm, counts


def loops_in_lines(n):
    v = [0, 0.5]
    rows = [v, [v]]
    k = 0
    while k < n: k += 1; v[0] += k      # a loop within one line: its stores run again with no Step
    for i in range(n):
        if i % 2:
            v[1] -= 1.0                  # ends the loop body: a jump back to the `for` line
        else:
            v[0] += 1
    return rows


def membership(n):
    cols = {1, 3}
    seen = [cols]
    log = []
    held = [log]
    for i in range(n):
        if i in cols or -i in cols:      # `in` a set: nothing changes
            seen.append(i)
        m = map(log.append, [i, i])
        found = None in m                # `in` an iterator runs log.append: log changes
        cols.discard(i)
    return seen, held, found


def main():
    print(nbody_like(4))
    print(in_place_on_a_list(3))
    print(in_place_on_an_item(3))
    print(through_a_view(3))
    print(dict_counts(["a", "b", "a"]))
    print(getter_during_line(3))
    print(key_with_code(3))
    print(two_targets(3))
    print(shared_then_stored(3))
    print(rebinding(3))
    print(list(generator_lines(3)))
    print(subclass_store(3))
    print(fannkuch_like(list(range(6)), 4))
    print(loops_in_lines(4))
    print(membership(4))


main()
