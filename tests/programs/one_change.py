"""A root whose list holds more than 16 objects, replayed at each Step
while exactly one watched dict changed since its last replay: that
object's, one attribute set (a quiet replay but for that object:
values.c, `wlast`). The object is one of the list's items, or an object
only an item reaches, or an item the list holds twice; the change shows
at the next line's Step, and the objects not changed are passed."""


class P:
    def __init__(self, v):
        self.v = v
        self.child = Q(v)


class Q:
    def __init__(self, w):
        self.w = w


def items_changed(n):
    items = [P(i) for i in range(24)]
    total = 0
    for k in range(n):
        items[k % 24].v = k * 7
        total += len(items)
    return total


def deep_changed(n):
    items = [P(i) for i in range(24)]
    total = 0
    for k in range(n):
        items[(k * 5) % 24].child.w = -k
        total += len(items)
    return total


def twice_held(n):
    p = P(100)
    items = [P(i) for i in range(20)] + [p] + [P(i) for i in range(20)] + [p]
    del p
    total = 0
    for k in range(n):
        items[20].v = k
        total += len(items)
        items[k].child = Q(k)
        total += len(items)
    return total


def two_roots(n):
    a = [P(i) for i in range(20)]
    b = [P(-i) for i in range(20)] + [a[3]]
    total = 0
    for k in range(n):
        a[3].v = k          # one change, reached from both roots
        total += len(a)
        b[k % 20].v = k     # one change, reached from b only
        total += len(b)
    return total


print(items_changed(30), deep_changed(30), twice_held(15), two_roots(12))
