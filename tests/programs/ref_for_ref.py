"""A replayed root whose object child was a Ref (a container the traversal
had met before) and is rebound to another object (values.c, `ref_for_ref`):
when the new object is one of the containers seen before that place, the
traversal makes a Ref there again and the list is kept with the Ref's new
container; when it is not (met only later, never met, met past the 64
containers that can be Ref targets, or met at the depth limit, Elided),
the run is traversed anew. Each function keeps its root on its lines, then
changes objects the new and the old Ref's containers reach, so that a list
that kept the wrong one shows a stale value at the next step."""


class Task:
    def __init__(self, name, data):
        self.name = name
        self.data = data
        self.link = None


class System:
    def __init__(self, tasks):
        self.tasks = tasks
        self.current = None
        self.count = 0


def current_task():
    # richards' System.current: rebound among the tasks its list holds
    system = System([Task("t%d" % i, {"v": i}) for i in range(4)])
    system.current = system.tasks[0]
    for k in range(12):
        system.current = system.tasks[k % 4]
        system.count += 1
        system.current.data["v"] = 100 + k
        system.tasks[(k + 1) % 4].data["v"] = -k
    return system.count, system.tasks[3].data["v"]


def atoms_around():
    # the Ref between atoms that change too (the run holds them)
    system = System([Task("a", [1]), Task("b", [2])])
    pair = [system, 0, system.tasks[0], 1]
    for k in range(8):
        pair[1] = k
        pair[2] = system.tasks[k % 2]
        pair[3] = -k
        pair[2].data.append(k)
    return len(system.tasks[0].data)


def links():
    # a chain of tasks whose links are Refs to tasks met before (cycles)
    tasks = [Task("c%d" % i, {"v": i}) for i in range(5)]
    for i in range(5):
        tasks[i].link = tasks[(i + 1) % 5]
    head = tasks[0]
    for k in range(10):
        tasks[k % 5].link = tasks[(k + 2) % 5]
        head.data["v"] = k
        tasks[(k + 3) % 5].data["v"] = 50 + k
    return head.data["v"]


def to_later():
    # rebound to a container the traversal meets only after the Ref: it
    # is now reached first at the Ref's place (no longer a Ref there)
    later = Task("later", {"v": 0})
    first = Task("first", {"w": 0})
    root = [first, Task("holder", None), later]
    root[1].link = first
    for k in range(4):
        root[1].link = later if k % 2 == 0 else first
        later.data["v"] = k
        first.data["w"] = -k
    return later.data["v"]


def to_new():
    # rebound from a Ref to a container never met before, and back
    first = Task("first", {"w": 0})
    root = [first, Task("holder", None)]
    root[1].link = first
    for k in range(4):
        fresh = Task("fresh%d" % k, {"x": k})
        root[1].link = fresh if k % 2 == 0 else first
        fresh.data["x"] = 10 + k
        first.data["w"] = k
    return first.data["w"]


def past_seen_limit():
    # past 64 containers, the containers met are no Ref targets: a link
    # rebound to one of them is walked there (its dict shown again)
    root = [[Task("n%d" % i, {"v": i}) for i in range(40)], Task("holder", None)]
    root[1].link = root[0][0]   # among the first 64 containers: a Ref
    for k in range(6):
        root[1].link = root[0][k * 7]   # n0, n7 ... n35: some past the limit
        root[0][k * 7].data["v"] = 100 + k
        root[0][0].data["v"] = -k
    return root[0][35].data["v"]


def elided_then_ref():
    # a container met first at the depth limit (Elided, no Ref target):
    # rebound to it, the link shows its content, which only the root
    # reaches (no local names it)
    root = [[[[Task("deep", {"v": 0})]]], Task("shallow", {"w": 0}), Task("holder", None)]
    root[2].link = root[1]
    for k in range(6):
        root[2].link = root[0][0][0][0] if k % 2 == 0 else root[1]
        root[0][0][0][0].data["v"] = k
        root[1].data["w"] = -k
    return root[0][0][0][0].data["v"]


def seen_by_later_root():
    # the same, where the rebinding is made by a call, and the root is
    # replayed at the caller's next line
    root = [[[[Task("deep", {"v": 0})]]], Task("shallow", {"w": 0}), Task("holder", None)]
    root[2].link = root[1]
    for k in range(6):
        relink(root, k)
        root[0][0][0][0].data["v"] = 10 + k
        root[0][0][0][0].name = "deep%d" % k
    return root[0][0][0][0].name


def relink(root, k):
    root[2].link = root[0][0][0][0] if k % 2 == 0 else root[1]


print(current_task())
print(atoms_around())
print(links())
print(to_later())
print(to_new())
print(past_seen_limit())
print(elided_then_ref())
print(seen_by_later_root())
