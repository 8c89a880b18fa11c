"""Closures: nonlocal counters, cells shared between closures, a parameter
captured by an inner function, late binding in loops, a class defined in a
function capturing a local, and closures over closures."""


def make_counter(start):
    count = start

    def inc(step=1):
        nonlocal count
        count += step
        return count

    def get():
        return count
    return inc, get


def adders():
    fns = []
    for i in range(3):
        fns.append(lambda x, i=i: x + i)
    late = [lambda: i for i in range(3)]
    return [f(10) for f in fns], [f() for f in late]


def outer(a):
    b = a * 2

    def middle(c):
        d = c + b

        def inner(e):
            nonlocal d
            d += e
            return a + b + c + d + e
        return inner
    return middle


def factory(tag):
    class Tagged:
        label = tag

        def show(self):
            return "%s:%s" % (self.label, tag)
    return Tagged


inc, get = make_counter(5)
inc()
inc(10)
print(get(), adders())
print(outer(1)(2)(3))
print(factory("x")().show())
