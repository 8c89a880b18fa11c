# The dict watcher logs the keys whose values were replaced since an
# object's last check, with the value each holds now, and `one_value`
# reads those instead of the dict's entries (docs/design.md, "The hot
# path"). Each line below changes watched dicts and instances in a way
# the log must get right: one key, the same key twice, two keys (one of
# them back to its recorded value, or both changed), a value stored under
# an equal str that is not the dict's own key object, a key added or
# deleted (nothing logged: the entries are read), three keys at once, an
# update() of existing keys, a value set in a callee between two Steps.
# A check that took a stale or wrong value shows it at the next step.


class Task:
    def __init__(self, n):
        self.n = n
        self.name = "t%d" % n
        self.link = None
        self.state = 0.5
        self.flag = False


def bump(t, k):
    t.n = k
    t.state = t.state + k


def logged():
    a, b = Task(1), Task(2)
    d = {"x": 1, "y": [1, 2], "z": "s", 7: "seven"}
    for i in range(4):
        a.n = i                              # one key
        a.n = i + 10; a.n = i + 20           # the same key twice: the last value
        a.n = i; a.flag = not a.flag         # two keys, both changed
        a.state = a.state; a.n = i * 3       # two keys, one stored back unchanged
        x = a.n; a.n = -1; a.n = x; a.flag = i   # a key changed and back, another changed
        a.__dict__["".join(["st", "ate"])] = i * 1.5   # an equal str, not the dict's key object
        a.n = i + 5; a.__dict__["".join(["st", "ate"])] = i * 2.5   # and a logged key beside it
        a.extra = i; del a.extra             # added and deleted: nothing to log
        del a.link; a.link = i               # deleted and added again: at the end now
        del a.link; a.link = None
        a.n, a.state, a.flag = i, -i, None   # three keys
        a.__dict__.update(n=i + 1, flag=True)    # update(): each key modified
        bump(a, i)                           # set in a callee, two keys
        a.link = b if i % 2 else None        # an object for an atom and back
        b.n = i                              # b reached from a
        d["x"] = i                           # an exact dict
        d["y"] = d["y"] + [i]                # another list
        d["y"].append(0)                     # the list changed, the dict not
        d[7] = "seven%d" % i                 # a non-str key
        d[int("7")] = "again"                # an equal int key object
        d["x"], d["z"] = d["z"], d["x"]      # two values swapped
    return a.n, b.n, d


def lost_then_logged():
    a = Task(3)
    a.n = 1
    a.more = 2                               # added: the check walks
    a.n = 3                                  # then logged again from there
    a.more = 4
    del a.more
    a.n = 5
    a.__dict__.clear()
    a.n = 6
    a.name = "x"
    return a.n


print(logged())
print(lost_then_logged())
