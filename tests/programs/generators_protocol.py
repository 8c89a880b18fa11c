"""Generators in depth: send/throw/close through `yield from`, a generator's
return value, close() running finally, throw() that is caught and one that
ends the generator, a generator that raises, and generator expressions."""


def accumulate():
    total = 0
    while True:
        try:
            value = yield total
        except ValueError as e:
            total = -1
            continue
        if value is None:
            return total
        total += value


def delegate(log):
    result = yield from accumulate()
    log.append(result)
    yield "after"


def guarded():
    try:
        yield 1
        yield 2
    finally:
        print("guarded cleanup")


def broken(n):
    for i in range(n):
        if i == 2:
            raise IndexError("broken at %d" % i)
        yield i


def countdown(n):
    while n > 0:
        yield n
        n -= 1
    return "liftoff"


log = []
d = delegate(log)
first = next(d)
d.send(5)
d.send(7)
d.throw(ValueError("reset"))
d.send(3)
after = d.send(None)
print("delegate", first, after, log)

g = guarded()
next(g)
g.close()

try:
    list(broken(5))
except IndexError as e:
    print("caught", e)

c = countdown(3)
out = []
while True:
    try:
        out.append(next(c))
    except StopIteration as stop:
        out.append(stop.value)
        break
print(out)

squares = (x * x for x in range(6) if x % 2)
print(sum(squares), list(squares))
nested = list((i, j) for i in range(3) for j in range(i))
print(nested)

t = countdown(2)
next(t)
try:
    t.throw(KeyError("into"))
except KeyError as e:
    print("thrown out", e)
