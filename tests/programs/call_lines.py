"""Lines whose one impure opcode is a call (docs/design.md, "Calls of Python
functions"): when the call's PY_START shows that it entered a Python
function straight from that call, the line changes nothing by itself, and
the Step after it passes what nothing else changed. Each function below has
such a line whose call is not, or not always, a Python function entered so,
or code around the call that changes objects: every change must show at the
next Step as the reference recorder shows it."""
import functools


class Box:
    def __init__(self, log):
        self.log = log

    @property
    def first(self):             # a getter run by the line's LOAD_ATTR, not by its call:
        return self.log[0]       # entered straight from the frame once specialized, and pure

    def add(self, x):
        self.log.append(x)
        return x

    def peek(self):
        return self.log[-1] if self.log else None


def plain(log):
    return len(log)


def property_then_c_call():
    log = [1]
    box = Box(log)
    out = []
    for _ in range(20):          # (turns enough for LOAD_ATTR to be specialized)
        out.append(box.first)    # the getter's PY_START comes before the C call
        n = len(out)
    return out, n, log


def site_changes_callee():
    log = []
    box = Box(log)
    calls = [(plain, log), (log.append, 5), (box.add, 6), (functools.partial(log.append), 7),
             (box.peek, None), (plain, log)]
    got = []
    for f, a in calls:
        r = f(a) if a is not None else None   # one call site: Python, a C method, a partial, ...
        got.append(r)
    for i in range(4):
        g = two if i % 2 else log.append
        g(i)                     # the same call, Python and C by turns
    return got, log


class Calls:
    def __init__(self, log):
        self.log = log

    def __call__(self, x):       # an instance called: its __call__ is reached through C
        self.log.append(x)


class Pushes(list):
    pass


def instances_and_classes():
    log = []
    c = Calls(log)
    c(1)
    c(2)
    p = Pushes()
    p.append(3)                  # a list subclass's C method
    made = Box(log)              # a class: its __init__ reached through C (3.12) or a shim (3.13+)
    return log, p, made.log is log


def rebound_method():
    log = []
    box = Box(log)
    box.add(1)
    box.add = log.append         # the instance's own attribute: a C callable now
    box.add(2)
    return log


def calls_python_that_changes(items):
    box = Box(items)
    box.add(1)                   # a Python method whose own line changes the list
    n = box.peek()
    box.add(n + 1)
    return items, n


def yes(k):
    return True


def one_line_loop(log):
    fs = [yes, yes, log.append, yes]
    k = 0
    while fs[k](k): k = k + 1   # noqa: E701 (one call, run again by a jump back within the line)
    return k, log


def nested(log):
    def inner(x):
        log.append(x)
        return x

    y = inner(inner(1))          # two calls: not a line of one call
    z = inner(2)
    return y, z, log


def two(x):
    return x + 1                 # a pure function: its lines bump nothing


def first(box):
    return box[0][0]             # pure: its Args show the box as the call found it


def several_calls():
    stack = [1, 2, 3, 4, 5, 6]
    box = [stack, "box"]         # (a root whose graph holds the stack: its replay, not the stack's)
    out = [first(box), two(0)]   # (met before: a code object's first PY_START bumps anyway)
    r = two(1) + stack.pop()     # a Python call, then a C one: the line changes the stack
    s = stack.pop() + two(2)     # a C call first
    w = stack.pop(0) + first(box)     # a C call that changes what the Python call is given
    t = two(two(3))              # two Python calls: pure
    u = two(4) if len(stack) > 9 else stack.pop()   # the Python call not run, a C one run
    v = two(two(5)) + len(stack) + stack.pop()      # more than one C call after two Python ones
    out.append((r, s, t, u, v, w))
    return stack, out


def main():
    print(property_then_c_call())
    print(site_changes_callee())
    print(instances_and_classes())
    print(rebound_method())
    print(calls_python_that_changes([0]))
    print(one_line_loop([]))
    print(nested([]))
    print(several_calls())


main()
