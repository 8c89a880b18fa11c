"""Generators: send, throw, close, yield from, and a generator expression."""


def echo():
    received = []
    try:
        while True:
            try:
                x = yield len(received)
                received.append(x)
            except ValueError:
                received.append("thrown")
    finally:
        print("closing with", received)


def inner():
    yield 1
    yield 2
    return "done"


def outer():
    result = yield from inner()
    yield result


g = echo()
next(g)
g.send("a")
g.throw(ValueError)
g.send("b")
g.close()
print(list(outer()))
print(sum(x for x in range(5)))


def again(rounds):
    """The same protocol again inside a function (the trace then fills
    more than one 4096-byte chunk)."""
    for r in range(rounds):
        g = echo()
        next(g)
        g.send(r)
        g.throw(ValueError)
        g.close()
        print(list(outer()), sum(x * r for x in range(3)))


again(3)
