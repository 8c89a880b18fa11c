# An object's entry keeps its children's pointers in an array of their own,
# with their fingerprints after them in the same block, placed by the
# block's capacity (src/values.c, ctv_obj.kp and ekids). Each line below
# changes the number of children across that capacity or within it, so
# that a block is made anew (more children than ever), kept while its
# children are fewer, and filled again; or changes two children of one
# object at once (the check walks it: one_atom and one_value take one),
# swaps object children, and replaces an atom by an object and back. A
# pointer or a fingerprint read from the wrong place shows as a value the
# reference recorder does not give.


class Node:
    def __init__(self, v):
        self.v = v
        self.next = None


def blocks():
    a, b, c = Node(1), Node(2), Node(3)
    xs = [a]
    d = {"k0": a}
    n = Node(0)
    for i in range(3):
        xs.extend([b, 1.5, c, "s", i])         # more children than the block had
        del xs[2:]                             # fewer: the block kept
        xs += [c, i, b]                        # within the capacity again
        xs[0], xs[2] = xs[2], xs[0]            # two object children swapped at once
        xs[1], xs[3] = i + 0.25, i * 7         # two atoms at once
        xs[1] = a; xs[1] = i                   # an atom, an object, an atom again
        del xs[1:]                             # back to one child
        d.update({"k%d" % j: j for j in range(1, 6)})   # a dict grown past its block
        for j in range(1, 6):
            del d["k%d" % j]                   # and shrunk
        d["k0"], d["k9"] = b, c                # two values at once, one of them new
        del d["k9"]
        n.v, n.next = i, a                     # two attributes at once
        n.v, n.next = n.next, n.v              # swapped between an object and an atom
        n.extra1, n.extra2, n.extra3 = a, b, i  # more attributes than the block had
        del n.extra1, n.extra2, n.extra3
        n.next = None
    return xs, d, n


blocks()
