# A root's traversal is replayed as its list of checks; when a replay meets
# an object whose children are other objects than last recorded (an
# attribute rebound), only that object's subtree is traversed anew and its
# entries spliced into the list, unless something after the subtree follows
# from it (docs/design.md, "The hot path"). Every function below keeps one
# root on its lines long enough to be replayed, rebinds something inside it,
# then changes objects only that root reaches, so that a list missing one
# of them shows a stale value at the next step.
class Node:
    def __init__(self, name, child=None, other=None):
        self.name = name
        self.child = child
        self.other = other


def new_subtree():
    # rebound inside a nested structure to a new subtree, then changed below it
    root = Node("r", Node("a", Node("b", Node("c"))), [1, 2])
    for i in range(3):
        root.other.append(i)
    for i in range(4):
        root.child.child = Node("n%d" % i, {"k": [i]}, Node("m"))
        root.child.child.child["k"].append(i)
        root.child.child.other.name = "m%d" % i
        root.child.name = i
    return root.child.child.name


def rebound_to_earlier():
    # rebound to an object the root reached before the subtree (a Ref there)
    root = Node("r", Node("first", {"v": 0}), Node("holder", Node("x", [0])))
    for i in range(3):
        root.child.child["v"] = i
    root.other.child = root.child      # now a Ref in the subtree
    for i in range(3):
        root.child.child["v"] = 10 + i
    root.other.child = Node("y", [1])  # and a new subtree again
    for i in range(3):
        root.other.child.child.append(i)
    return root.child.child["v"]


def rebound_to_later():
    # rebound to an object the root reaches after the subtree: it is now
    # reached first in the subtree, and later only as a Ref
    root = Node("r", Node("holder", Node("x", [0])), Node("later", {"v": 0}, [0]))
    for i in range(3):
        root.other.child["v"] = i
    root.child.child = root.other
    for i in range(3):
        root.other.child["v"] = 10 + i
        root.other.other.append(i)
    # and back: the subtree drops it, so it is reached first after it again
    root.child.child = Node("z", [5])
    for i in range(3):
        root.other.child["v"] = 20 + i
        root.other.other.append(i)
    return root.other.child["v"]


def dropped_from_subtree():
    # an object first reached in the subtree and again later (a Ref there):
    # rebinding the subtree away makes the later place its first reach
    root = Node("r", Node("holder", Node("shared", {"v": 0}, Node("deep", {"w": 0}))), [])
    root.other.append(root.child.child)
    for i in range(3):
        root.other[0].child["v"] = i
    root.child.child = Node("other")
    for i in range(4):
        root.other[0].child["v"] = 10 + i
        root.other[0].other.child["w"] = i    # below it, now reached from the list
    return root.other[0].child["v"]


def shared_between_roots():
    # one object reached from two roots: each root's list is patched
    a = Node("a", Node("common", Node("c0", {"v": 0})), [0])
    b = [Node("b", a.child)]
    for i in range(3):
        a.child.child.child["v"] = i
    for i in range(4):
        a.child.child = Node("c%d" % i, {"v": i}, [i])
        b[0].child.child.other.append(i)
        a.child.child.child["v"] = -i
    return a.child.child.name, len(a.other), len(b)


def elided_then_shallower():
    # an object first met at the depth limit (Elided: not a Ref's target)
    # then reached at a smaller depth by the new subtree: walked there
    root = Node("r", Node("d1", Node("d2", Node("d3", Node("far", {"v": [0]})))), Node("holder"))
    for i in range(3):
        root.child.child.child.child.child["v"].append(i)
    root.other.child = root.child.child.child.child   # depth 2 now: its child and list are shown
    for i in range(4):
        root.other.child.child["v"].append(10 + i)
        root.other.child.name = "far%d" % i
    return len(root.other.child.child["v"])


def cycles():
    # rebound to an ancestor (a cycle: a Ref), then to a new cycle
    root = Node("r", Node("a", Node("b")), [0])
    for i in range(3):
        root.other.append(i)
    root.child.child = root
    for i in range(3):
        root.other.append(10 + i)
    root.child.child = Node("loop", None, {"v": 0})
    root.child.child.child = root.child.child
    for i in range(3):
        root.child.child.other["v"] = i
    root.child.child = Node("c", Node("d", root.child))   # a cycle through the subtree's parent
    for i in range(3):
        root.child.child.child.name = "d%d" % i
    return root.other[-1]


def near_max_nodes():
    # a root near --max-nodes (1000 nodes): a subtree that grows past it
    # cuts what follows; one that shrinks makes room for what was cut
    root = Node("r", Node("holder", [0]), [[list(range(90)) for _ in range(10)],   # 911 nodes
                                         Node("tail", {"v": 0}, [0])])
    for i in range(3):
        root.other[1].child["v"] = i
    root.child.child = [list(range(40)) for _ in range(3)]   # the tail no longer fits
    for i in range(3):
        root.other[1].child["v"] = 10 + i
        root.other[1].other.append(i)
    root.other[1].child = {"v": 100}                        # rebound where nothing is shown
    root.child.child = None                                 # room for it again
    for i in range(3):
        root.other[1].child["v"] = 20 + i
        root.other[1].other.append(i)
    root.child.child = [0]
    for i in range(3):
        root.other[1].child["v"] = 30 + i
    return root.other[1].child["v"]


def cut_then_room():
    # a root that ran out of node room: what follows the subtree was cut,
    # and a smaller subtree brings it back
    root = [Node("holder", [list(range(99)) for _ in range(10)]), Node("tail", {"v": 0})]   # past the room
    for i in range(3):
        root[1].child["v"] = i
    root[0].child = [1]
    for i in range(4):
        root[1].child["v"] = 10 + i
    return root[1].child["v"]


def many_containers():
    # past 64 containers seen, later containers are no Ref targets: a
    # subtree with more containers moves that boundary. z is met first at
    # depth 3 (its children Elided), then at depth 1: a Ref while it is
    # among the first 64 containers, else walked (its dict shown)
    root = [Node("holder", [0]), [Node(i) for i in range(54)], [[Node("z", Node("zz", {"v": 0}))]], None]
    root[3] = root[2][0][0]
    for i in range(3):
        root[3].child.child["v"] = i
    root[0].child = [[1], [2], [3], [4], [5], [6]]   # six more containers before z
    for i in range(4):
        root[3].child.child["v"] = 10 + i
        root[3].child.name = "zz%d" % i
    root[0].child = [0]
    for i in range(4):
        root[3].child.child["v"] = 20 + i
    return root[3].child.child["v"]


print(new_subtree())
print(rebound_to_earlier())
print(rebound_to_later())
print(dropped_from_subtree())
print(shared_between_roots())
print(elided_then_shallower())
print(cycles())
print(near_max_nodes())
print(cut_then_room())
print(many_containers())
