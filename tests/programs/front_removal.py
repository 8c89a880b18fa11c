# A root list whose first item is removed (`pop(0)`, deltablue's BFS
# queues) or which gets a new first item (`insert(0, x)`), where the items
# reach shared objects: the removed item reached them first, so the items
# after it held Refs to them, and now the first of those reaches them. The
# replay's run (the changed first children) is refused by splice's rules
# and takes in the following items one by one until what follows no longer
# depends on it (docs/design.md, "The hot path", *a traversal replayed*).
# Each function keeps its root on its lines long enough to be replayed,
# then changes objects that only the root reaches, so that a list entry
# left stale shows a wrong value at the next step. Run in small chunks too
# (tests/test_recording.py): each root's list is then replayed across chunk
# boundaries, each object written whole at its first check in the chunk.
class Var:
    def __init__(self, name, value, nxt=None):
        self.name = name
        self.value = value
        self.nxt = nxt
        self.marks = [value]


class Cons:
    def __init__(self, name, out, inputs):
        self.name = name
        self.out = out
        self.inputs = inputs


def chain(n, tag):
    head = None
    for i in range(n):
        head = Var("%s%d" % (tag, i), i, head)
    return head


def bfs_queue():
    # deltablue's shape: a queue of constraints whose outputs share a chain
    shared = chain(6, "v")
    todo = [Cons("c%d" % i, shared if i % 2 == 0 else shared.nxt, [shared.nxt.nxt, Var("x%d" % i, i)])
            for i in range(6)]
    seen = 0
    while todo:
        c = todo.pop(0)
        c.out.value += 1
        c.out.marks.append(seen)
        seen += 1
        if seen < 10 and seen % 3 == 0:
            todo.append(Cons("late%d" % seen, shared.nxt.nxt, [shared]))
        if todo:
            todo[-1].inputs[-1].value = seen
    return seen


def front_insert():
    # the new first item reaches the shared objects first: the later items'
    # entries for them become Refs
    shared = chain(5, "w")
    items = [Cons("i%d" % i, shared.nxt, [Var("y%d" % i, i)]) for i in range(4)]
    for k in range(5):
        items.insert(0, Cons("front%d" % k, shared, [shared.nxt]))
        shared.nxt.value = k
        items[1].inputs[0].marks.append(k)
        items[-1].inputs[0].value = k
    return len(items)


def pop_then_mutate_below():
    # after the removal, objects first reached by the removed item change
    # below the item that now reaches them
    shared = chain(4, "u")
    todo = [Cons("a", shared, []), Cons("b", shared.nxt, [shared]), Cons("c", Var("own", 0), [shared.nxt])]
    while todo:
        c = todo.pop(0)
        shared.marks.append(c.name)
        shared.nxt.nxt.value = c.name
        if todo:
            todo[0].inputs.append(Var("z", len(todo)))
    return shared.marks


def pop_many_containers():
    # the shared objects fill the 64 seen containers: which later containers
    # are Refs follows from how many came before
    shared = [Var("s%d" % i, i) for i in range(70)]
    todo = [[shared[i], shared[(i + 7) % 70], [i]] for i in range(0, 70, 5)]
    n = 0
    while todo:
        head = todo.pop(0)
        head[2].append(n)
        shared[n % 70].value = n
        n += 1
        if todo:
            todo[0][2].append(-n)
    return n


def pop_past_room():
    # a root whose traversal runs out of node room: the removed item frees
    # room, the items after it now reach what was cut
    shared = chain(3, "r")
    todo = [[shared, list(range(i * 40, i * 40 + 40)), Var("q%d" % i, i)] for i in range(40)]
    n = 0
    while todo:
        head = todo.pop(0)
        head[1].append(n)
        n += 1
        if todo:
            todo[0][2].value = n
            todo[-1][2].marks.append(n)
    return n


def queue_of_queues():
    # the removal below the root: an attribute's list loses its first item
    class Holder:
        def __init__(self, q):
            self.q = q
            self.count = 0
    shared = chain(4, "t")
    h = Holder([Cons("q%d" % i, shared if i < 2 else shared.nxt, [Var("p%d" % i, i)]) for i in range(5)])
    while h.q:
        c = h.q.pop(0)
        h.count += 1
        shared.nxt.value = h.count
        if h.q:
            h.q[0].inputs[0].value = -h.count
    return h.count


for _ in range(3):
    print(bfs_queue())
    print(front_insert())
    print(pop_then_mutate_below())
    print(pop_many_containers())
    print(pop_past_room())
    print(queue_of_queues())
