# In-place mutation of values that stay bound to the same variables: lists,
# dicts, sets and bytearrays nested in instances and in each other. Every
# line changes something below the variable, never the variable itself.
class Node:
    def __init__(self, v):
        self.v = v
        self.kids = []


def main():
    box = Node(1)
    box.kids.append(Node(2))
    box.kids[0].v = 3
    box.kids[0].kids.append([1, 2])
    box.kids[0].kids[0].append(3)
    box.kids[0].kids[0][0] = -1
    d = {"a": [1]}
    d["a"].append(2)
    d["b"] = {"c": box}
    d["b"]["c"].v = "changed"
    del d["a"][0]
    s = {1}
    s.add(2)
    s.discard(1)
    ba = bytearray(b"x")
    ba += b"y"
    ba[0] = 65
    t = (box.kids, d)
    box.kids.pop()
    t[1]["b"].clear()
    box.kids.append(box)
    box.v = 4.5
    return len(t[0])


print(main())
