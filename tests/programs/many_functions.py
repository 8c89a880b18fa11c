# A module body whose namespace holds many functions: the recorder keeps
# each function's name (qualname and module) in a set-associative cache, so
# hundreds of names share sets and replace each other. Every Step of the
# loop below checks every function-valued name; what the trace says of them
# must stay exact while entries are replaced: functions rebound, renamed
# (a new __qualname__ object), moved to another module name, and deleted.
# (The module loop is kept short: the reference recorder reads all 600
# names at each of its Steps.)

def make(i):
    def f(x):
        return x + i
    f.__qualname__ = "f%d" % i
    return f


globals().update({"f%d" % i: make(i) for i in range(600)})   # in one Step of the module


def mutate(i):
    global f3, f4
    if i % 3 == 0:
        f1.__qualname__ = "renamed_%d" % i         # the same function, a new name
    if i % 4 == 0:
        f2.__module__ = "elsewhere_%d" % i         # and a new module
    if i == 6:
        del f3                                     # a name gone
    if i == 8:
        f4 = f5                                    # a name bound to another function
    return globals()["f%d" % (i * 53 % 600)]       # the loop's g: another function each time


g = f0
for i in range(10):
    g = mutate(i)
print(g(1), g.__qualname__, f1.__qualname__, f2.__module__)
