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


# The root's own children changed (a root-level run: its attribute or item
# rebound): the run alone is traversed anew, the children before and after
# it keep their entries, under the same rules.
def root_rebound():
    # the root's attribute rebound to new subtrees; on odd turns the new
    # child also reaches the root's later child first (then the traversal)
    root = Node("r", Node("a", {"v": 0}), Node("after", [0]))
    for i in range(3):
        root.other.child.append(i)
    for i in range(4):
        root.child = Node("n%d" % i, {"v": [i]}, root.other if i % 2 else None)
        root.child.child["v"].append(i)
        root.other.child.append(10 + i)
        root.name = "r%d" % i
    return len(root.other.child)


def root_dropped():
    # the root's first child reached an object its later child names again
    # (a Ref): rebinding the first child away makes the later place its
    # first reach, where its subtree (deeper than before) is shown
    root = Node("r", Node("holder", Node("shared", {"v": 0}, Node("deep", {"w": 0}))), None)
    root.other = root.child.child
    for i in range(3):
        root.other.child["v"] = i
    root.child = Node("other")
    for i in range(4):
        root.other.child["v"] = 10 + i
        root.other.other.child["w"] = i
    return root.other.child["v"]


def root_refs_around():
    # Refs and atoms among the root's children around the run
    root = [Node("A", {"v": 0}), 1, None, Node("B", [0]), "s", None]
    root[2] = root[0]
    root[5] = root[0]
    for i in range(3):
        root[0].child["v"] = i
    for i in range(3):
        root[3] = Node("C%d" % i, [i])
        root[3].child.append(i)
        root[0].child["v"] = 10 + i
    root[3] = root[0]                  # a Ref now
    for i in range(3):
        root[0].child["v"] = 20 + i
    root[3] = Node("D", root[0])       # reached through the run: the later ones stay Refs
    root[1] = Node("E", [7])           # an atom became a subtree before it
    for i in range(3):
        root[0].child["v"] = 30 + i
        root[1].child.append(i)
    root.append(Node("F", [8]))        # appended: a run after the last child
    for i in range(3):
        root[-1].child.append(i)
    return root[0].child["v"]


def root_many_containers():
    # past 64 containers seen (as many_containers), the root's own item
    # rebound: six more containers before z move it past the 64, one for
    # one leaves it (patched), and back below, where z (walked whole at
    # root[3] while past the 64) is a Ref again to its node at the depth
    # limit (convert's kept JSON of root[2], made past the 64, must not
    # be copied there without z)
    root = [[0], [Node(i) for i in range(54)], [[Node("z", Node("zz", {"v": 0}))]], None]
    root[3] = root[2][0][0]
    for i in range(3):
        root[3].child.child["v"] = i
    root[0] = [[1], [2], [3], [4], [5], [6]]   # z is no longer among the 64: walked at root[3]
    for i in range(4):
        root[3].child.child["v"] = 10 + i
        root[3].child.name = "zz%d" % i
    root[0][0] = [9]                           # as many containers: the 64 stay the same
    for i in range(4):
        root[3].child.child["v"] = 30 + i
        root[0][0].append(i)
    root[0] = [0]
    for i in range(4):
        root[3].child.child["v"] = 20 + i
    return root[3].child.child["v"]


def root_cut_then_room():
    # the root ran out of node room in its first item; rebinding that item
    # to a small one brings the cut tail back
    root = [[list(range(99)) for _ in range(10)], Node("tail", {"v": 0})]
    for i in range(3):
        root[1].child["v"] = i
    root[0] = [1]
    for i in range(4):
        root[1].child["v"] = 10 + i
    return root[1].child["v"]


def root_same_count_cut():
    # a root cut by the node room at its last item: its first item rebound
    # to one of as many nodes (patched: what follows is cut at the same
    # place), then to one of another count (the cut moves: the traversal)
    root = [Node("a", [1, 2, 3]), Node("tail", {"v": 0}), [list(range(99)) for _ in range(10)]]
    for i in range(3):
        root[1].child["v"] = i
    for i in range(4):
        root[0] = Node("b%d" % i, [i, i, i])
        root[1].child["v"] = 10 + i
        root[2][0].append(i)
    root[0] = Node("c", [])
    for i in range(4):
        root[1].child["v"] = 20 + i
        root[2][1].append(i)
    return root[1].child["v"]


def root_changed_elsewhere():
    # the root's child rebound and first checked from another root (b,
    # checked before a, reaches a at depth 3, so a's child at the depth
    # limit and nothing below it): a's own check then finds nothing new,
    # yet its list still holds the old child, whose course it no longer is
    # (the old children are kept alive: a dead one would stop the replay)
    b = [[[None]]]
    a = Node("a", Node("x", Node("xx", {"v": 0})))
    b[0][0][0] = a
    old = []
    for i in range(3):
        a.child.child.child["v"] = i
    for i in range(4):
        old.append(a.child)
        a.child = Node("y%d" % i, Node("z", {"v": i}))
        a.child.child.child["v"] = 10 + i
        a.child.child.name = "z%d" % i
    return len(b)

def deep_runs():
    # shape changes two and three levels down (the run of the children of
    # an entry below the root), one holding what followed it, and at the
    # depth limit (an Elided entry: nothing below it is followed)
    root = Node("r", Node("d1", Node("d2", Node("d3", Node("d4")))), [0])
    for i in range(3):
        root.other.append(i)
    for i in range(4):
        root.child.child.child = Node("n%d" % i, {"v": [i]})            # d2's child, at depth 3
        root.child.child.child.name = "m%d" % i
        root.child.child = Node("e%d" % i, [i], root.child.child)        # d1's child, holding d2 deeper
        root.child.child.child.append(i)
        root.child.child.other.name = "o%d" % i
        root.child.child.other.child.child = Node("far%d" % i)          # Elided
        root.other.append(i)
    return len(root.other)


def atoms_before_cut():
    # a root cut by the node room just before a dict (84 is its place); an
    # atom removed before an object child of its first item: the dict is
    # shown (its length) and must be followed, so the run is taken from
    # the first item's start (the object child after it has another node
    # count before it)
    root = [Node("h", [1, 2, 3, {"x": 0}]), [list(range(99)) for _ in range(9)] + [list(range(84)), {"last": 0}]]
    for i in range(3):
        root[1][-1]["last"] = i
    del root[0].child[0]
    for i in range(4):
        root[1][-1]["k%d" % i] = i
    return len(root[1][-1])


def atoms_after_cut():
    # likewise with an atom removed after an object child, and the item
    # before it rebound to one of as many nodes
    root = [Node("h", [{"y": 0}, {"x": 0}, 1, 2, 3]), [list(range(99)) for _ in range(9)] + [list(range(81)), {"last": 0}]]
    for i in range(3):
        root[1][-1]["last"] = i
    root[0].child[0] = {"z": 0}; del root[0].child[-1]
    for i in range(4):
        root[1][-1]["k%d" % i] = i
    return len(root[1][-1])


# A run that ends the traversal (an item appended to the root list, the
# root's last attribute rebound, with nothing after it): spliced whatever
# its node count and seen containers, since nothing follows from them.
def end_append_past_room():
    # a root list near the node room: an item appended at its end crosses
    # it (the new item's tail cut), one more lies past it (not shown), and
    # removing them brings the room back
    root = [list(range(99)) for _ in range(9)] + [Node("a", {"v": 0})]
    for i in range(3):
        root[-1].child["v"] = i
    root.append(Node("b", {"w": 0}, [list(range(20)) for _ in range(5)]))
    for i in range(3):
        root[-1].child["w"] = i
        root[-1].other[0].append(i)
        root[-1].other[-1].append(i)
    root.append(Node("c", {"u": 0}))
    for i in range(3):
        root[-1].child["u"] = i
        root[-2].child["w"] = 10 + i
    del root[-2:]
    for i in range(3):
        root[-1].child["v"] = 10 + i
    root.append(Node("d", {"t": 0}))
    for i in range(3):
        root[-1].child["t"] = i
        root[-2].child["v"] = 20 + i
    return root[-1].child["t"]


def end_attr_past_room():
    # the root's last attribute rebound to a subtree that crosses the node
    # room, then to one that fits again
    root = Node("r", [list(range(99)) for _ in range(9)], None)
    for i in range(3):
        root.child[0].append(i)
    for i in range(3):
        root.other = Node("o%d" % i, {"v": i}, [list(range(30)) for _ in range(4)])
        root.other.child["v"] = 10 + i
        root.other.other[0].append(i)
    root.other = Node("small", {"v": 0})
    for i in range(3):
        root.other.child["v"] = 20 + i
    return root.other.child["v"]


def end_append_past_seen():
    # past 64 containers seen: an appended item whose containers cross the
    # 64th (d is met twice, each walked: no Ref target), then more of them
    d = {"k": 0}
    root = [[Node(i) for i in range(58)], Node("z", {"v": 0})]
    for i in range(3):
        root[1].child["v"] = i
    root.append([[1], [2], [3], d, {"e": d}, d])
    for i in range(3):
        d["k"] = i
        root[1].child["v"] = 10 + i
    root.append([d, [4]])
    for i in range(3):
        d["k"] = 10 + i
        root[-1][1].append(i)
    del root[2]
    for i in range(3):
        d["k"] = 20 + i
    return d["k"]


def end_after_cut():
    # a root cut by the node room in its first item: its last item rebound
    # (nothing of it shown), then the first item made small (the last one
    # shown again)
    root = [[list(range(99)) for _ in range(11)], Node("tail", {"v": 0})]
    for i in range(3):
        root[1].child["v"] = i
    for i in range(3):
        root[1] = Node("t%d" % i, {"v": i})
        root[1].child["v"] = 10 + i
    root[0] = [0]
    for i in range(3):
        root[1].child["v"] = 20 + i
    root[1] = Node("last", {"v": 0}, [list(range(99)) for _ in range(11)])
    for i in range(3):
        root[1].child["v"] = 30 + i
        root[1].other[0].append(i)
    return root[1].child["v"]


def root_reaches_unstable():
    # the root's new attribute reaches an object holding a function (its
    # nodes can change unseen: the traversal keeps no list), then not
    root = Node("r", [0], None)
    for i in range(3):
        root.child.append(i)
    root.other = Node("f", len, {"w": 0})
    for i in range(3):
        root.other.other["w"] = i
        root.child.append(i)
    root.other = Node("g", None, {"w": 0})
    for i in range(3):
        root.other.other["w"] = 10 + i
        root.child.append(i)
    return root.other.other["w"]


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
print(root_rebound())
print(root_dropped())
print(root_refs_around())
print(root_many_containers())
print(root_cut_then_room())
print(root_same_count_cut())
print(root_changed_elsewhere())
print(deep_runs())
print(atoms_before_cut())
print(atoms_after_cut())
print(end_append_past_room())
print(end_attr_past_room())
print(end_append_past_seen())
print(end_after_cut())
print(root_reaches_unstable())
