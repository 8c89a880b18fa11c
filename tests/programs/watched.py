# Hazards of change detection that reads a watched dict's children from the
# recorder's table while the dict is unchanged (docs/design.md, "The hot
# path"): every mutation must still show at the next step, whichever way it
# is made and whatever reaches the object.
class Node:
    def __init__(self, name, child=None):
        self.name = name
        self.child = child


class Other:
    pass


def alias_mutation():
    # a deep object changed through another name: its holders are unchanged
    leaf = {"n": 0}
    root = Node("root", Node("a", Node("b", leaf)))
    alias = root.child.child.child
    for i in range(3):
        alias["n"] = i           # root's dicts are clean; leaf's is not
        alias[i] = [i]
    leaf_list = [1, 2]
    root.child.child.child = leaf_list
    for i in range(3):
        leaf_list.append(i)      # an unwatched object below clean dicts
    return root.name


def mutation_in_c_calls():
    items = [5, 3, 9, 1]
    holder = {"items": items, "d": {"a": 1}}
    holder["items"].sort()       # inside a C call
    holder["d"].update({"b": 2}, c=3)
    obj = Node("x")
    vars(obj)["name"] = "y"      # through the instance's dict itself
    vars(obj).update(extra=[1])
    setattr(obj, "child", holder)
    obj.__dict__.pop("extra")
    obj.__dict__.clear()
    obj.name = "back"
    return obj.name, items


def dicts_dying():
    seen = []
    for i in range(6):
        d = {"i": i, "l": [i]}   # a new dict, often at the address of the last
        e = {"wrap": d}
        seen.append(len(d) + len(e))
        del d, e
    for i in range(4):
        o = Node(i)              # a new instance (and dict) at a reused address
        o.child = {"c": i}
        del o
    return seen


def depth_changes():
    deep = {"v": 1}
    top = Node("t", Node("u", Node("w", deep)))    # deep is at the depth limit
    deep["v"] = 2
    shallow = deep               # now reached at depth 1 too
    deep["v"] = 3
    del top
    shallow["w"] = {"x": {"y": {"z": 1}}}
    shallow["w"]["x"]["y"]["z"] = 2
    return shallow["v"]


def replaced_and_shared():
    o = Node("o", [1])
    d = o.__dict__
    o.__dict__ = {"name": "new"}   # the old dict lives on in d
    d["name"] = "old dict"
    o.__class__ = Other          # same dict, another type
    o.extra = 1
    p = Node("p")
    q = Node("q")
    q.__dict__ = p.__dict__      # two instances share one dict
    p.name = "shared"
    q.child = 3
    shared = vars(p)             # the dict also held by a variable
    shared["name"] = "through vars"
    b = bytearray(b"ab")
    holder = Node("h", b)
    b.extend(b"cd")              # a bytearray below a clean dict
    f = lambda: 0
    funcs = {"f": f}
    f.__qualname__ = "renamed"   # a function's name below a clean dict
    return o.name, p.name, q.child, holder.name, sorted(funcs)


class Slotted:
    __slots__ = ("a", "__dict__")


def slots_and_dict():
    s = Slotted()
    s.a = 1
    s.b = 2
    s.a = 3                      # a slot: not in the dict
    s.b = 4
    return s.a + s.b


class Tree:
    __slots__ = ("left", "value", "right")

    def __init__(self, left, value, right):
        self.left = left
        self.value = value
        self.right = right


class Leafy(Tree):
    __slots__ = ("tag",)


def pure_slots():
    # instances without a __dict__: no watcher; every slot change must show
    t = Tree(None, 1, None)
    t.left = Tree(None, 0, None)      # a new object in a slot
    alias = t.left
    alias.value = [1]                 # through another name
    alias.value.append(2)             # below a slot, unchanged itself
    t.value = 1                       # the same atom again
    t.value = 2
    del t.right                       # unset: one attribute fewer
    t.right = None
    t.right = alias                   # the same object reached twice
    t.left = None
    del alias
    t.left = Tree(None, (3, 4), None) # an address possibly reused
    leaf = Leafy(t, "x", None)
    leaf.tag = "t"
    leaf.value = "y"
    del leaf.tag
    del Tree.value                    # the type changes: its members are read anew
    leaf.left = 5
    return t.left.left, leaf.left


def many_steps():
    nodes = [Node(i, {"k": i}) for i in range(5)]
    total = 0
    for i in range(10):
        nodes[i % 5].child["k"] += 1
        total += nodes[0].child["k"]
    return total


def list_items_dying():
    box = [{"n": -1}, (1, [2])]
    for i in range(5):
        box.pop(0)               # the dict dies here ...
        box.insert(0, {"n": i})  # ... and a new one takes its address: the list's pointers are the same
    big = list(range(150))       # past max_items: only the length changes below
    for i in range(3):
        big.append(i)
    big[5] = "five"
    return box[0]["n"], len(big)


class Named(str):
    pass


def renamed_functions():
    # a function's value is its qualified name, which the recorder
    # remembers by the str objects it is made of (func_qualname,
    # func_module): every rename shows at the next step
    def f():
        return 1
    box = [f, {"f": f}]
    f.__qualname__ = "g"                  # a new qualname object
    f.__qualname__ = "g.h"
    f.__module__ = "elsewhere"            # a new module object
    f.__module__ = None                   # not a str: the name is the qualname alone
    f.__module__ = Named("m")             # a str subclass
    f.__qualname__ = Named("nq")          # a str subclass: its text
    f.__qualname__ = "q"
    f.__module__ = __name__
    f.__qualname__ = "renamed_functions.<locals>." + "f"   # the same text, another object
    m = Node("x").__init__                # a bound method: its function's name
    Node.__init__.__qualname__ = "Node.init"
    Node.__init__.__qualname__ = "Node.__init__"
    made = []
    for i in range(4):
        def g():                          # a new function at each turn, the last one dropped:
            return i                      # its address may be reused by the next
        g.__qualname__ = "g%d" % (i % 2)
        made = [g]
    return f(), box[0] is f, m is not None, len(made)


def deep_list_under_clean_dicts():
    # a traversal that found every object clean is replayed while each
    # still is: a list deep under unchanged dicts must still be looked at
    root = Node("r", Node("a", Node("b", {"items": []})))
    deep = root.child.child.child["items"]
    for i in range(3):
        deep.append(i)              # no dict on the way changes
        same = i                    # a step where nothing root reaches changed
    deep[0] = "zero"                # an item replaced, the same length
    deep.clear()
    root.child.child.child = (deep, [deep])   # a tuple on the way
    deep.append("t")
    same = 0
    return len(deep), same


def depth_moves():
    # an object first reached deeper (Elided past max_depth), then shallower
    leaf = {"v": 0}
    root = Node("r", Node("a", Node("b", Node("c", leaf))))
    for i in range(3):
        leaf["v"] = i
        root.name = leaf if i == 1 else "r"   # reached at depth 1 first, then as a Ref
        same = i
    root.child.child = leaf                   # shallower for good
    leaf["w"] = [1]
    same = -1
    return leaf["v"], same


def node_cut_moves():
    # max_nodes (1000) cuts the later sibling once the earlier one grows
    holder = Node([[j] * 9 for j in range(90)], {"late": [1, 2, 3], "n": 0})
    for i in range(3):
        holder.name.append([i] * 9)           # the earlier sibling grows
        same = i
        holder.child["n"] = i                 # the later one changes, cut or not
    holder.name[0][0] = "first"               # a list inside the earlier one
    del holder.name[80:]
    same = -1
    return len(holder.name), same


def alias_from_two_roots():
    # one object reached from two variables at different depths
    shared = {"log": []}
    outer = Node("o", Node("i", shared))
    inner = outer.child
    for i in range(3):
        shared["log"].append(i)               # through neither variable's dicts
        same = i
        inner.child = shared if i != 1 else {"log": "other"}
    shared["log"] = "done"
    same = -1
    return outer.child.child["log"], same


class Box:
    pass


def set_shadows():
    # sets and frozensets are compared against the entries last recorded
    # (in table order): a removal leaves a dummy entry, an addition may fill
    # it or go past the first max-items entries, a rehash reorders them
    small = {1, 2, 3}
    big = set(range(150))
    holder = Box()
    holder.s = small
    nested = [small, frozenset({"a", "b"}), big]
    for i in range(3):
        small.discard(2)         # a dummy where 2 was
        small.add(2 + i * 8)     # may take the dummy's slot, or another
        big.discard(i)           # a change among the first 100 entries
        big.add(1000 + i)        # and one past them, or in a freed slot
    for i in range(40):
        small.add(100 + i)       # grows: the table is rebuilt, reordered
    small.clear()
    small.add((1, 2))            # an object item
    fs = frozenset(small)
    same = fs
    small.add("x")
    return len(nested), len(holder.s), len(same)


def replay_shapes():
    # a replayed traversal goes through a changed object only while its
    # children keep their shape (count, and the same objects in place)
    leaf = Node(0)
    root = Node("root", Node("mid", leaf))
    other = Node("other", [1])
    for i in range(8):
        leaf.name = i                   # an atom for an atom: same shape
        if i == 2:
            root.child.child = other    # another object in place
        if i == 3:
            root.child.child = leaf
        if i == 4:
            leaf.child = [i]            # an atom (None) becomes an object
        if i == 5:
            leaf.child.append(i)        # a change below a changed object
        if i == 6:
            leaf.child = None           # and back to an atom
        other.child[0] = i              # off the path, another root's
    return root.name


def retype(o, cls):
    o.__class__ = cls


def swap_dict(o, d):
    o.__dict__ = d


def quiet_roots():
    # roots whose watched dicts saw no change since their last check are
    # passed by type and dict pointer alone: changes made in a callee
    # that no dict watcher hears of must still show at the caller's next
    # step, whichever root reaches the object
    a = Node("a")
    b = Node("b", a)
    holder = [b]
    keep = a.__dict__
    other = {"name": "z"}
    n = 0
    n += 1
    retype(a, Other)             # another type: no dict changed
    n += 1
    swap_dict(a, other)          # another dict: the old one lives on in keep
    n += 1
    keep["name"] = "kept"        # the old dict is no longer a's
    n += 1
    other["child"] = holder      # the new one is watched now
    n += 1
    retype(a, Node)
    n += 1
    swap_dict(a, keep)           # back to the first dict
    n += 1
    return n, a.name, b.child.name, len(holder)


def top():
    return 0


top.__qualname__ = "top_renamed"          # in the module's namespace
top.__module__ = "somewhere"
top.__module__ = None
top.__qualname__ = "top"
top.__module__ = __name__


print(quiet_roots())
print(replay_shapes())
print(set_shadows())
print(renamed_functions())
print(deep_list_under_clean_dicts())
print(depth_moves())
print(node_cut_moves())
print(alias_from_two_roots())
print(list_items_dying())
print(alias_mutation())
print(mutation_in_c_calls())
print(dicts_dying())
print(depth_changes())
print(replaced_and_shared())
print(slots_and_dict())
print(many_steps())
print(pure_slots())
