# A list, tuple, set or frozenset is passed as unchanged when its item
# pointers (a set's hash table, compared as a copy) are the ones last
# recorded (docs/design.md, "The hot path"). Each function below keeps its
# containers on its lines for several steps and changes them in place
# through C code (sort, reverse, slice assignment, set operations), so that
# a shadow that missed a change shows a stale value at the next step, and
# one that saw a change where there was none writes a record the reference
# does not need (the values are still compared at every step).


def list_in_place():
    xs = [3.5, 1.25, 2.0, 7.75]
    ys = [xs, [4, 3, 2, 1], "s"]
    for i in range(3):
        xs.sort()                      # the same items, other places
        xs.reverse()
        ys[1].sort()
        ys[1].reverse()
    xs[1:3] = [9.5, 8.5]               # a slice, the same length
    xs[:] = [x + 0.0 for x in xs]      # equal values, other float objects
    xs[0] = xs[0] * 1.0                # one item: an equal float, another object
    xs[0] = xs[0] + 1.0                # one item: another value
    xs.append(xs.pop(0))               # the same length, shifted
    xs[2], xs[3] = xs[3], xs[2]
    ys[0] = ys[0]
    ys[0] = list(xs)                   # an equal list, another object
    ys[0][0] = -1.0
    ys[1][:] = ys[1][::-1]
    return xs, ys


def long_lists():
    big = list(range(250))             # past max_items: the first 100 compared
    for i in range(3):
        big[150] = -i                  # beyond what is recorded
        big[50] = i                    # within it
    big.insert(0, -1)
    big.pop()                          # the same length, every item moved
    big.sort()
    big[99], big[100] = big[100], big[99]
    del big[200:]
    big += [1, 2]
    return len(big)


def tuples_at_reused_addresses():
    holder = [(1, 2), (3, 4), [5]]
    for i in range(4):
        holder[0] = None; holder[0] = (i, i + 1)    # a new tuple, maybe at the old one's address
        holder[1] = (holder[1][1], holder[1][0])
    pair = (holder, [0])
    for i in range(3):
        pair[1][0] = i
        pair[0][2][:] = [i, i]
    return holder, pair


def sets_in_place():
    s = {1, 2, 3}
    t = {"a", "b"}
    for i in range(4):
        s.discard(i); s.add(i + 10)                 # the same size, other entries
        s.add(100); s.discard(100)                   # a dummy left where nothing changed
        t.add("c"); t.discard("c")
    s.discard(11); s.add(11)                         # the same entry back, maybe elsewhere
    s.clear(); s.update([12, 13, 3])
    s |= {i for i in range(40)}                      # a larger table than copied
    for i in range(3):
        s.discard(i)
        s.add(-i)
    s -= set(range(5, 40))
    s.pop(); s.add(99)
    return sorted(s), sorted(t)


def frozensets_at_reused_addresses():
    box = [frozenset({1, 2}), frozenset({3})]
    for i in range(4):
        box[0] = None; box[0] = frozenset({i, i + 1})
        box[1] = frozenset(box[1] | {i})
    keys = {frozenset({1}): 1}
    for i in range(3):
        box.append(frozenset(keys))
        box.pop()
    return box


class Holder:
    def __init__(self):
        self.items = [1.5, 2.5]
        self.tags = {1, 2}


def shadows_below_an_instance():
    h = Holder()
    rows = [h, [h.items, h.tags]]
    for i in range(4):
        h.items[0] = h.items[0] + 0.5
        h.items.sort(reverse=True)
        h.tags.symmetric_difference_update({i, i + 1})
        rows[1].reverse()
    return h.items, sorted(h.tags)


print(list_in_place())
print(long_lists())
print(tuples_at_reused_addresses())
print(sets_in_place())
print(frozensets_at_reused_addresses())
print(shadows_below_an_instance())
