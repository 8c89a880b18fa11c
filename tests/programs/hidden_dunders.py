"""Objects changed by an operator: dunders (__add__, __eq__, __lt__,
__hash__, __getitem__, __neg__, __bool__, __len__, __index__,
__contains__, __format__, __repr__) that change a list, set, bytearray,
slotted instance, instance with inline values or dict the caller holds,
reached from plain lines (a binary operator, a comparison, a subscript, a
set display, an f-string, a conditional expression) that store into a
local, with the dunders in code the recorder does not record
(_hidden.untraced()) and in recorded code; a missing key's read through
collections.defaultdict (the read inserts) and through a dict subclass's
__missing__. Each change shows in the next line's Step, in a local that no
line after it rebinds."""
import collections

import _hidden

lib = _hidden.untraced()


def operators(m):
    out = []
    for t in m.targets():
        d = m.Dunder(t)
        x = d + 1           # __add__
        x = d == 3          # __eq__
        x = d < 4           # __lt__
        x = d[5]            # __getitem__
        x = -d              # __neg__
        x = not d           # __bool__
        x = 1 if d else 2   # __bool__
        x = {d}             # __hash__
        x = 7 in d          # __contains__
        x = f"{d}"          # __format__
        x = f"{d!r}"        # __repr__
        k = 0
        k = k + 1
        out.append(k)
    return out


def indexes(m):
    t = m.Slotted()
    d = m.Dunder(t)
    s = m.Sized(t)
    row = [10, 20]
    x = row[d]          # __index__
    k = 1
    x = not s           # __len__
    k = k + 1
    x = s and 5         # __len__
    k = k * 2
    return t.n


def missing_keys(m):
    counts = collections.defaultdict(int)
    v = counts["a"]     # the read inserts "a"
    k = v + 1
    v = counts["a"]
    k = k + 1
    groups = collections.defaultdict(list)
    g = groups["x"]     # inserts a new list
    k = k * 2
    seen = []
    table = m.Missing(seen)
    v = table["b"]      # __missing__ changes seen
    k = k - 1
    v = table["b"]
    k = k + 3
    return dict(counts), dict(groups), seen


print(operators(lib), operators(_hidden))
print(indexes(lib), indexes(_hidden))
print(missing_keys(lib), missing_keys(_hidden))
