# Children that are one node of their own without being atoms or objects
# with ids: functions, methods, built-in callables, classes, modules, str
# and int subclasses (docs/design.md, "The hot path": `leaf_same`). Their
# holder is compared by pointer and each such child's node is made again
# from what its encoder reads now, so a name changed without any signal
# (a function's __qualname__ or __module__, a class's __qualname__, a
# module's __name__) must show at the next Step, in a list, in a dict, in
# an instance's attributes and as a variable.
import types


def helper():
    return 1


class Thing:
    def method(self):
        return 2


class Text(str):
    pass


class Num(int):
    pass


class Holder:
    def __init__(self):
        self.f = helper
        self.m = Thing().method
        self.cls = Thing
        self.mod = types.ModuleType("first")
        self.s = Text("abc")
        self.n = Num(5)
        self.b = len


def renamed():
    h = Holder()
    items = [helper, Thing, Text("x"), h.mod, len]
    table = {"f": helper, "cls": Thing, "mod": h.mod}
    for i in range(3):
        helper.__qualname__ = "helper_%d" % i
        Thing.__qualname__ = "Thing_%d" % i
        h.mod.__name__ = "mod_%d" % i
        helper.__module__ = "where_%d" % i
        items[2] = Text("y%d" % i)
        h.s = Text("abc")
        h.n = Num(i)
    h.m = Thing().method
    del Thing.method
    return len(items), len(table)


def quiet(n):
    h = Holder()
    total = 0
    for i in range(n):
        total += i
    Thing.__qualname__ = "Thing"
    total += 1
    return total


print(renamed())
print(quiet(20))
