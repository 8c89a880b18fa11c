# Dicts and instances past the item limit (max_items, 100 by default),
# changed where a reader sees it and where it does not, and objects of
# built-in types that hold no attributes (docs/design.md, "The hot path":
# `shown_same`, and `same_attrs` of an instance of a static type). Each
# line changes what a check must get right: a key added past the first 100
# entries (only the length changes), a shown value replaced, a shown key
# deleted and added again (now at the end), an unshown key deleted, a
# value changed past the shown entries, the dict cleared and refilled with
# the same objects, an instance given its 101st attribute and more. A
# check that took a stale content shows it at the next step.
import collections
import functools
import weakref


class Box:
    pass


class Sub(dict):
    pass


class Key:
    def __init__(self, n):
        self.n = n


def counting(words):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1    # added past 100, or changed past 100
    counts["w3"] = -1                        # a shown value replaced
    del counts["w5"]                         # a shown key deleted: the 101st shows now
    counts["w5"] = 5                         # and added again, at the end
    del counts["w150"]                       # an unshown key deleted
    keep = list(counts.items())
    counts.clear()
    counts.update(keep)                      # the same objects again, in the same order
    counts.popitem()
    return len(counts)


def grown_subclass(n):
    d = Sub()
    for i in range(n):
        d[i] = i * 2
    d[0] = "zero"
    return len(d)


def many_attributes(n):
    b = Box()
    for i in range(n):
        setattr(b, "a%d" % i, i)
    b.a1 = "one"                             # shown
    b.a120 = "past"                          # not shown
    delattr(b, "a2")
    return len(vars(b))


def shown_objects(n):
    held = [Key(i) for i in range(n)]
    d = {}
    for k in held:
        d[k.n] = k
    held[3].n = -3                           # a shown value's own content
    d[4] = Key(44)                           # a shown value, another object
    d[n + 1] = Key(n + 1)                    # added past the shown ones
    d[1] = d[2]                              # the same object twice
    return len(d)


def opaque(n):
    anchors = [Key(i) for i in range(n)]
    refs = [weakref.ref(a) for a in anchors]
    plain = [object() for _ in range(n)]
    q = collections.deque([1, 2])
    table = {r: i for i, r in enumerate(refs)}
    part = functools.partial(max, 1)        # a built-in type with a __dict__
    total = 0
    for i in range(n):
        total += i
        part.tag = i                         # its dict changed
    del anchors[0]                           # a referent dies: the weakref stays as it was
    refs[1] = object()                       # another kind of object in the list
    plain[2] = weakref.ref(refs[0])
    q.append(3)
    table[refs[2]] = "x"
    return total, len(table)


def address_reuse(n):
    d = {}
    for i in range(n + 10):
        d[i] = None
    for i in range(3):
        d[0] = object()                      # a shown object replaced by another, maybe at its address
        d[n + 20 + i] = i
    return len(d)


print(counting(["w%d" % (i % 160) for i in range(400)]))
print(grown_subclass(130))
print(many_attributes(130))
print(shown_objects(120))
print(opaque(8))
print(address_reuse(100))
