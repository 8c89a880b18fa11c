"""Entries into functions (docs/design.md, "The pure-line epoch"): a call's
Arg records check its arguments, and its first Step passes those that
nothing changed since; a generator resumed runs the rest of its yield's line
before its next Step, and that rest may change objects. Each function below
changes, or could change, an argument or what one reaches around an entry:
every change must show at the next Step as the reference recorder shows it."""


def takes(box, items):
    n = len(items)               # the first Step: box and items as the Args saw them
    box.append(n)
    return box


def entries():
    box, items = [], [1, 2]
    takes(box, items)
    items.append(3)              # changed between two calls: the second's Args see it
    takes(box, items)
    takes(box, box)              # the same list twice
    return box


def defaults(x, log=[]):
    log.append(x)                # a default argument changed by the call before
    return len(log)


def gen_rest(log):
    while True:
        log.append((yield len(log)))   # the rest of the line runs after the resume
        log.append(-1)


def helper(log, x):
    log.append(x)
    return x


def gen_helper(log):
    while True:
        helper(log, (yield len(log)))  # a call in the rest of the line
        n = len(log)
        if n > 6:
            return n


def lazy(items):
    yield len(items)             # the Args at the first next(), not at the creation
    items.append("later")
    yield len(items)


def resumes():
    log = []
    g = gen_rest(log)
    next(g)
    g.send("a")
    g.send("b")
    h = gen_helper(log)
    next(h)
    h.send("c")
    items = [0]
    z = lazy(items)
    items.append(1)              # before the generator starts: its Args see it
    first = next(z)
    second = next(z)
    try:
        h.send("d")
        h.send("e")
    except StopIteration as e:
        log.append(e.value)
    return log, items, first, second


class Node:
    def __init__(self, value, nxt=None):
        self.value = value
        self.nxt = nxt

    def total(self):
        t = self.value
        if self.nxt is not None:
            t += self.nxt.total()   # a recursive entry whose self is reached from the caller's
        return t

    def bump(self):
        self.value += 1
        if self.nxt is not None:
            self.nxt.bump()


def chain():
    head = Node(1, Node(2, Node(3)))
    a = head.total()
    head.nxt.bump()
    b = head.total()
    return a, b


def main():
    print(entries())
    print(defaults(1), defaults(2), defaults(3))
    print(resumes())
    print(chain())


main()
