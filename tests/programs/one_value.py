# An exact dict, or an instance read from its watched __dict__, whose
# entries are the keys and values last recorded but one value is checked
# without walking its other entries (`one_value`, docs/design.md, "The hot
# path"): that value's print, and when it changed its node in an ObjSet.
# Each function below changes its objects one value at a time, then in the
# ways that must not pass that way (two values, a key deleted and added
# again, a Redacted value, a value whose nodes change unseen, a replaced
# __dict__ or class), so that a check that took the wrong value, kept a
# stale shape or wrote nothing shows a stale value at the next step.


class Task:
    def __init__(self, n):
        self.n = n
        self.name = "t%d" % n
        self.link = None
        self.state = 0.5
        self.flag = False


class Other:
    pass


def instance_values():
    a, b = Task(1), Task(2)
    for i in range(3):
        a.n = i                        # an atom for an atom
        a.state = a.state * 1.0        # an equal float, another object: nothing to write
        a.state = a.state + 1.0
        a.flag = not a.flag
        a.name = a.name + "x"
    a.link = b                         # an object for None
    b.link = a                         # a cycle
    a.link = [1, 2, b]                 # another object
    a.link[2] = a
    a.link = None                      # an atom for an object
    a.link = b.link                    # an object reached before
    b.link = Task(3)
    b.link.link = b                    # below: the root's shape changed
    b.link = b.link.link
    a.n, a.flag = -1, True             # two values: the whole walk
    a.n = a.n                          # a store, nothing changed
    del a.flag
    a.flag = 1                         # deleted and added again: at the end
    a.state = 2.5
    a.n = 20; a.extra = 1              # one value, and a pair added after the others
    a.n = 21; del a.extra
    a.state = 3.5; a.n = a.__dict__.pop("n") + 1   # n moved to the end
    a.m = a.__dict__.pop("n") + 1      # the last attribute's name and value replaced
    return a.m, b.n


def unstable_values():
    a = Task(4)
    a.link = instance_values           # a function: its name's nodes can change unseen
    a.n = 5
    a.link = bytearray(b"ab")          # its bytes are its node
    a.link[0] = 0x7A
    a.n = 6
    a.link = range(3)
    a.link = (1, 2)
    a.n = 7
    return a.n


def redacted():
    a = Task(8)
    a.password = "hunter2"             # Redacted whatever it is
    a.password = "swordfish"
    a.n = 9                            # another value beside a Redacted one
    a.password = None
    return a.n


def replaced():
    a, b = Task(10), Other()
    a.n = 11
    a.__dict__ = {"n": 12, "name": "x", "link": None, "state": 0.0, "flag": True}
    a.n = 13
    a.__class__ = Other
    a.n = 14
    b.x = 1
    b.x = [b]
    b.x = 2
    return a.n, b.x


def dict_values():
    d = {"a": 1, 2: "b", (3, 4): [5], None: 0.5}
    for i in range(3):
        d["a"] = i
        d[2] = d[2] + "c"
        d[(3, 4)] = [i]
        d[None] = d[None] * 1.0
    d[(3, 4)][0] = -1
    d["a"], d[2] = 0, "z"
    d["a"] = 1; d["e"] = d.pop("a") + 1   # a key deleted, another added: the same length
    d[2] = "y"; d[7] = 7                   # one value, and a pair added
    d[8] = d.pop(7) + 1                    # the last pair's key and value replaced
    big = {k: k for k in range(150)}   # past max_items: the first 100 recorded
    for i in range(3):
        big[120] = -i                  # beyond what is recorded
        big[40] = -i                   # within it
    big[40] = big
    big[41] = 0; big[200] = 1          # one value recorded, a pair added beyond them
    return len(d), len(big)


def holder_of_instances():
    ts = [Task(i) for i in range(4)]
    for i in range(3):
        for t in ts:
            t.n += 1
            t.link = ts[(t.n + i) % 4]
    return [t.n for t in ts]


instance_values()
unstable_values()
redacted()
replaced()
dict_values()
print(holder_of_instances())
