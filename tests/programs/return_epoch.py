"""Return and yield values checked at their event's pure-line epoch
(derive.c, ctd_value_values): a value returned by a pure line after the
Step that checked it is passed; one whose line changed it (a C call, an
attribute store, a Python call that changes it) is checked again. Each
case returns an object the returning line or its callee changed, so that a
pass where something changed shows a stale value in the Return record."""


class Box:
    def __init__(self, items):
        self.items = items
        self.n = 0


def pure_return(box):
    box.n += 1
    same = box
    return same                      # a pure line: the Step above checked box


def c_call_on_return(lst):
    lst.append(0)
    return lst.append(len(lst)) or lst   # the line appends: impure


def store_on_return(box):
    box.n = 5
    return setattr(box, "n", box.n + 1) or box


def python_call_changes(box):
    box.n = 10
    return bump(box)                 # the callee changes box and returns it


def bump(box):
    box.n += 1
    box.items.append(box.n)
    return box


def calls_then_return(box):
    box.items.append(-1)
    bump(box)
    return box


def yields(lst):
    for i in range(3):
        yield (lst.append(i), lst)[1]   # the yield's line appends: impure
        yield lst                       # pure: lst as checked at the Step


def nested_return(box):
    inner = box.items
    inner.append("x")
    return box                       # box reaches inner, changed on the line above


box = Box([1])
print(pure_return(box).n)
print(len(c_call_on_return([1, 2])))
print(store_on_return(Box([])).n)
print(python_call_changes(Box([7])).items)
print(calls_then_return(Box([])).items)
print([len(x) for x in yields([])])
print(nested_return(Box([3])).items)
for k in range(3):
    b = pure_return(box)
    b = bump(b)
print(box.n, box.items)
