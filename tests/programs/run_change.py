"""A root whose list holds more than 16 objects, replayed at each Step
while several watched-dict changes happened since its last replay, all of
them one object's (a run: values.c, `wrun`): the replay reads that
object's entries alone. Also the cases that must not be taken as one
object's run: two objects changed in turn (A, B, A), and an object that
dies and is followed, at what may be the same address, by a new object
changed in the same line."""


class P:
    def __init__(self, v):
        self.v = v
        self.w = -v
        self.child = Q(v)

    def bump(self, k):
        self.v = k
        self.w = k + 1
        self.child = Q(k)

    def bump_deep(self, k):
        self.child.w = k
        self.child.w = k * 2


class Q:
    def __init__(self, w):
        self.w = w


def same_object(n):
    items = [P(i) for i in range(24)]
    total = 0
    for k in range(n):
        items[k % 24].bump(k)
        total += len(items)
    return total


def deep_object(n):
    items = [P(i) for i in range(24)]
    total = 0
    for k in range(n):
        items[(k * 5) % 24].bump_deep(k)
        total += len(items)
    return total


def interleaved(n):
    items = [P(i) for i in range(24)]
    total = 0
    for k in range(n):
        a, b = items[k % 24], items[(k + 7) % 24]
        a.v = k; b.v = -k; a.w = k    # A, B, A: not one object's run
        total += len(items)
    return total


def reborn(n):
    items = [P(i) for i in range(24)]
    total = 0
    for k in range(n):
        old = items[k % 24]
        items[k % 24] = None
        del old
        fresh = P(1000 + k)
        fresh.v = 2000 + k; fresh.w = k; items[k % 24] = fresh; fresh.v = 3000 + k
        total += len(items)
    return total


print(same_object(40), deep_object(30), interleaved(30), reborn(30))
