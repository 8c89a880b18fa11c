"""Module and class namespaces changing line by line: names bound, rebound,
mutated in place, deleted, set again under another key object, rebound to a
module (hidden) and back, aliases of one object, and a loop long enough to
span many small chunks."""
import os

count = 0
items = []
alias = items
table = {"a": 1}
gone = "soon deleted"
del gone
path = os
path = "a str again"
for i in range(200):
    items.append(i % 5)
    table[i % 7] = i
    if i % 10 == 0:
        temp = i
    elif i % 10 == 5:
        del temp
    count += 1
del i
saved = count
del count
globals()["".join(["co", "unt"])] = saved   # the name again, under another str object
del alias; globals()["".join(["ali", "as"])] = items   # the same, within one line


class Body:
    x = 1
    y = [x]
    y.append(2)
    del x
    z = len(y)
    globals()["count"] += z


squares = [n * n for n in range(3)]
print(count, len(items), len(table), Body.y, Body.z, squares, alias is items)
