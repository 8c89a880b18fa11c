"""Objects with identity (trace format 4, docs/trace-format.md, "Objects"):
a mutation is a change of the object (ObjPut), not a new value of every
variable that reaches it; each chunk gives the whole content of the objects
it uses; a damaged object table is refused, never rendered for ever. That
the rendered values are the ones the recorder saw is tested against the
reference recorder (test_recording.py) and at the limits
(test_value_limits.py)."""

from pathlib import Path

from conftest import record, run
from ctgen_tracer import reader

LOOP = """
items = []
d = {}
for i in range(ITERATIONS):
    items.append(i % 7)
    d[i % 5] = i
print(len(items), len(d))
"""


def recorded_loop(tmp_path, write_program):
    """The LOOP program (300 iterations) recorded: (trace, its records)."""
    assert record(write_program(LOOP.replace("ITERATIONS", "300")), tmp_path / "t").returncode == 0
    t = reader.Trace(str(tmp_path / "t"))
    return t, list(t.records())


def changes_of(t, recs, name, kind="ObjPut"):
    """The Var records of module variable `name`, and the `kind` (ObjPut,
    ObjSet) records of the object the first of them binds it to."""
    names = {v: k for k, v in t.names.items()}
    binds = [r for r in recs if r.kind == "Var" and r["name"] == names[name]]
    oid = binds[0].chunk.value(binds[0]["value"], render=False).data
    return binds, [r for r in recs if r.kind == kind and r["id"] == oid]


def test_a_growing_list_is_one_change_per_append(tmp_path, write_program):
    t, recs = recorded_loop(tmp_path, write_program)
    binds, puts = changes_of(t, recs, "items")
    # bound once: the list keeps its id; its appends are ObjPut records
    assert len(binds) == 1
    assert len(puts) == 300 and [p["length"] for p in puts] == list(range(1, 301))
    # past --max-items (100) only the length changes: no children are written
    assert all(p["value"] == reader.NOT_RECORDED and p["cut"] == 0 for p in puts[100:])
    assert all(p["at"] == i and p["cut"] == 0 for i, p in enumerate(puts[:100]))
    assert changes_of(t, recs, "items", "ObjSet")[1] == []
    last = None
    for step, snap in t.steps():
        if "items" in snap:
            last = snap
    v = last["items"]
    assert v.kind == "List" and v.length == 300 and v.truncated and len(v.data) == 100
    assert [x.data for x in v.data] == [i % 7 for i in range(100)]
    d = last["d"]
    assert d.to_python() == [(k, 295 + k) for k in range(5)]


def test_a_dict_value_set_replaces_one_value(tmp_path, write_program):
    t, recs = recorded_loop(tmp_path, write_program)
    binds, puts = changes_of(t, recs, "d")
    assert len(binds) == 1
    # 5 new keys (appends of a pair), then 295 value sets: the value of one
    # pair (an odd child; its key unchanged) replaced by an ObjSet (format 6)
    assert len(puts) == 5
    for i, p in enumerate(puts):
        assert p["at"] == 2 * i and p["cut"] == 0 and p["length"] == i + 1
        assert [x.data for x in p.value("value").data] == [i, i]
    sets = changes_of(t, recs, "d", "ObjSet")[1]
    assert len(sets) == 295
    for i, s in enumerate(sets, 5):
        v = s.value("value")
        assert s["at"] == 2 * (i % 5) + 1 and (v.kind, v.type, v.data) == ("Int", "int", i)


def test_a_set_item_or_attribute_is_one_objset(tmp_path, write_program):
    """An item of a list or an attribute of an instance set to another
    value (its length unchanged) is an ObjSet of that child: an int, float
    or bool as a compact record (ObjSetInt, ObjSetFloat, ObjSetBool), any
    other value with its node; the values rebuilt are the program's."""
    prog = write_program("""
class P:
    pass
p = P()
p.a, p.b = 0, None
items = [0, 1.5, "x", None]
for i in range(4):
    p.a = i
    p.b = [i] if i % 2 else "s%d" % i
    items[0] = i % 2 == 0
    items[1] = i / 4
    items[2] = 10 ** 20 + i
    items[3] = range(i)
    print(p.a, p.b, items)
""")
    assert record(prog, tmp_path / "t").returncode == 0
    t = reader.Trace(str(tmp_path / "t"))
    recs = list(t.records())
    # p: its two attributes added (an ObjPut), then each set to a new value
    # (p.a = 0 at i = 0 changes nothing): the value of its pair, an odd child
    binds, puts = changes_of(t, recs, "p")
    assert [(r["at"], r["cut"], r["length"]) for r in puts] == [(0, 0, 2)]
    sets = changes_of(t, recs, "p", "ObjSet")[1]
    assert [r["at"] for r in sets] == [3] + [1, 3] * 3
    assert [r.value("value").kind for r in sets] == ["Str", "Int", "Object", "Int", "Str", "Int", "Object"]
    binds, puts = changes_of(t, recs, "items")
    assert puts == []
    sets = changes_of(t, recs, "items", "ObjSet")[1]
    assert [r["at"] for r in sets] == [0, 1, 2, 3] * 4
    assert [r.value("value").kind for r in sets[:4]] == ["Bool", "Float", "BigInt", "Range"]
    # every ObjSet of an int, float or bool is a compact record (p.a,
    # items[0], items[1]: small ints, floats, bools), the others hold a node
    # (p.b, items[2], items[3])
    raw = [c for _, c in t.file.chunks()]
    # (an int from -2^15 to 2^15-1 at an index below 2^16: its narrower form, format 10)
    count = {v: sum(len(c[v]) for c in raw) for v in ("obj_set", "obj_set_int", "obj_set_float", "obj_set_bool",
                                                       "short_obj_set_int")}
    count["obj_set_int"] += count.pop("short_obj_set_int")
    kinds = [r.value("value").kind for r in recs if r.kind == "ObjSet"]
    assert count == {"obj_set": 12, "obj_set_int": kinds.count("Int"), "obj_set_float": 4, "obj_set_bool": 4}
    assert len(kinds) == sum(count.values()) and kinds.count("Int") >= 3
    seen = 0
    for step, snap in t.steps():
        if step["line"] == 14 and "items" in snap:   # the print: all set
            seen += 1
            i = snap["i"].data
            assert [x.render() for x in snap["items"].data] == [repr(i % 2 == 0), repr(i / 4), str(10 ** 20 + i),
                                                                  "range(0, %d, 1)" % i]
            assert snap["p"].render() == "__main__.P(a=%d, b=%s)" % (i, [i] if i % 2 else repr("s%d" % i))
    assert seen == 4


def test_an_edit_of_a_list_or_set_of_atoms_writes_the_items_that_changed(tmp_path, write_program):
    """Items inserted, deleted or replaced in one stretch of a list or set
    (src/values.c, edit_items) are one ObjPut of that stretch, or
    an ObjSet for each item when one or two were set in place (a swap),
    trimmed to the items whose values changed: an item that is another
    object of the same value is not written again. The values rebuilt are
    the program's."""
    prog = write_program("""
a, b = 10 ** 20, 10 ** 21
zs = [1, a, 3, b, 2]
zs[1:4] = [int(str(a)), 4, int(str(b))]
zs[1:4] = [int(str(a)), 5, 6, int(str(b))]
zs[1:5] = [int(str(a)), 7, int(str(b))]
zs[1:4] = [int(str(a)), int(str(b))]
zs[1:3] = [int(str(a)), 8, 9, int(str(b))]
zs[1:5] = [int(str(a)), 8, 9, int(str(b))]
zs.append(0)
zs.pop(0)
zs[0], zs[4] = zs[4], zs[0]
zs[0:3] = [1, 2, 3]
s = {1, 2, 3}
s.add(40)
s.discard(2)
print(zs, sorted(s))
""")
    assert record(prog, tmp_path / "t").returncode == 0
    t = reader.Trace(str(tmp_path / "t"))
    recs = list(t.records())
    puts = changes_of(t, recs, "zs")[1] + changes_of(t, recs, "zs", "ObjSet")[1]
    edits = [r for r in recs if any(r is p for p in puts)]   # (in the trace's order)
    got = [(r.kind, r["at"], r["cut"] if r.kind == "ObjPut" else None, [x.data for x in r.value("value").data] if r.kind == "ObjPut"
            and r["value"] != reader.NOT_RECORDED else r.value("value").data if r.kind == "ObjSet" else None)
           for r in edits]
    assert got == [("ObjSet", 2, None, 4),
                   ("ObjPut", 2, 1, [5, 6]),
                   ("ObjPut", 2, 2, [7]),
                   ("ObjPut", 2, 1, None),
                   ("ObjPut", 2, 0, [8, 9]),
                   ("ObjPut", 6, 0, [0]),
                   ("ObjPut", 0, 1, None),
                   ("ObjSet", 0, None, 2), ("ObjSet", 4, None, 10 ** 20),   # a swap: two items set
                   ("ObjPut", 0, 3, [1, 2, 3])]
    _, puts = changes_of(t, recs, "s")
    assert [(r["cut"], r["length"]) for r in puts] == [(0, 4), (1, 3)]
    last = None
    for step, snap in t.steps():
        if "s" in snap:
            last = snap
    assert [x.data for x in last["zs"].data] == [1, 2, 3, 10 ** 21, 10 ** 20, 0]
    assert sorted(x.data for x in last["s"].data) == [1, 3, 40]


def test_slots_set_one_by_one_are_one_record_each(tmp_path, write_program):
    """An instance without a dict whose attributes are __slots__: a slot set
    for the first time is an ObjAdd, set again an ObjSet of its value (none
    for another object of the same value), emptied an ObjPut that cuts its
    pair (src/values.c, edit_members); the values rebuilt are the
    program's."""
    prog = write_program("""
class Vec:
    __slots__ = ("x", "y", "z")

    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z


v = Vec(1, 2.5, "z")
v.y = 3
v.y = 10 ** 20
v.y = int(str(10 ** 20))
del v.x
v.x = None
print(v.y)
""")
    assert record(prog, tmp_path / "t").returncode == 0
    t = reader.Trace(str(tmp_path / "t"))
    recs = list(t.records())
    oid = next(r["id"] for r in recs if r.kind == "Obj")
    mine = [r for r in recs if r.kind in ("ObjAdd", "ObjSet", "ObjPut") and r["id"] == oid]
    got = [(r.kind, t.names[r["name"]] if r.kind == "ObjAdd" else r["at"],
            r["cut"] if r.kind == "ObjPut" else r.value("value").data) for r in mine]
    assert got == [("ObjAdd", "x", 1), ("ObjAdd", "y", 2.5), ("ObjAdd", "z", "z"),
                   ("ObjSet", 3, 3), ("ObjSet", 3, 10 ** 20), ("ObjPut", 0, 2), ("ObjPut", 0, 0)]
    last = None
    for step, snap in t.steps():
        if "v" in snap:
            last = snap
    assert last["v"].render() == "__main__.Vec(x=None, y=100000000000000000000, z='z')"


def test_an_object_first_seen_whole_is_changed_by_its_changes_alone(tmp_path, write_program):
    """An object whose first check writes it whole (a dict made in one line,
    an instance copied by C code: their names written as ids) is written by
    the walk that makes its children's prints (obj_check_once): a later
    change that deletes one pair writes that change alone, not the object
    again."""
    prog = write_program("""
import copy


class P:
    pass


p = P()
p.a, p.b, p.c = 1, 2, 3
d = {"a": 1, "b": 2, "c": 3}
q = copy.copy(p)
del d["b"]
del q.b
print(d, q.c)
""")
    assert record(prog, tmp_path / "t").returncode == 0
    t = reader.Trace(str(tmp_path / "t"))
    recs = list(t.records())
    for name in ("d", "q"):
        _, puts = changes_of(t, recs, name)
        assert [(r["at"], r["cut"], r["value"], r["length"]) for r in puts] == [(2, 2, reader.NOT_RECORDED, 2)], name
    last = None
    for step, snap in t.steps():
        if "q" in snap:
            last = snap
    assert last["d"].to_python() == [("a", 1), ("c", 3)]
    assert last["q"].render() == "__main__.P(a=1, c=3)"


def test_every_chunk_gives_the_whole_content_of_the_objects_it_uses(tmp_path, write_program):
    prog = write_program(LOOP.replace("ITERATIONS", "2000"))
    assert record(prog, tmp_path / "t", options=["--chunk-bytes", "4096"]).returncode == 0
    t = reader.Trace(str(tmp_path / "t"))
    assert t.chunk_count > 3
    given = {}     # chunk number -> ids given whole in it
    used = {}      # chunk number -> ids its values refer to
    last, c = None, -1
    for r in t.records():
        if r.chunk is not last:   # (by identity, held: a freed chunk's id() may be reused)
            last, c = r.chunk, c + 1
        if r.kind == "Obj":
            given.setdefault(c, set()).add(r["id"])
        elif r.kind in ("ObjPut", "ObjSet"):
            assert r["id"] in given.get(c, ()), "%s of object %d before its Obj in the chunk" % (r.kind, r["id"])
        elif r.kind in ("Var", "Arg", "Return", "Yield") and r["value"] != reader.NOT_RECORDED:
            v = r.chunk.value(r["value"], render=False)
            if v.kind == "Object":
                used.setdefault(c, set()).add(v.data)
    assert len(used) > 3   # several chunks use the objects
    for c, ids in used.items():
        assert ids <= given.get(c, set())


def test_damaged_objects_are_refused_not_rendered_for_ever():
    """An exception object that holds itself (never written by the
    recorder: a damaged trace) is not followed without end."""
    objs = reader.Objects()
    objs.limits({"max_depth": 4, "max_nodes": 10})
    objs.table[7] = ["Exception", "E", 0, 0, [reader.Value("Object", "E", 7)]]
    try:
        objs.render(reader.Value("Object", "E", 7))
    except reader.TraceError as e:
        assert "damaged objects" in str(e)
    else:
        raise AssertionError("rendered a cycle of exceptions")


DEATHS = """
import collections


class A:
    def __init__(self, i):
        self.i = i


def dicts():
    for i in range(40):
        d = {"i": i}       # each a new dict, mostly at the address of the last
        del d


def instances():
    for i in range(40):
        o = A(i)           # each a new instance, its attributes in inline values (3.12 on)
        del o


class P:
    __slots__ = ("i",)


class V:
    def __init__(self, i):
        self.i = i


def others():
    for i in range(40):
        so = P()           # slotted: no __dict__
        so.i = i
        del so
    for i in range(40):
        vo = V(i)
        vars(vo)           # its __dict__ made by the program
        del vo


class L(list):
    pass


def lists():
    for i in range(40):
        l = [i, "x"]       # each a new list, mostly at the address of the last
        del l


def tuples():
    for i in range(40):
        t = (i, "x", [i])
        del t


def sets():
    for i in range(40):
        s = {i, -i - 1}
        del s


def frozensets():
    for i in range(40):
        f = frozenset((i, -i - 1))
        del f


def sublists():
    for i in range(40):
        sl = L([i])        # a subclass: its deallocation reaches list's
        del sl


class D(dict):
    pass


def subdicts():
    for i in range(40):
        sd = D(i=i)        # a dict subclass: no watcher, its deallocation reaches dict's
        del sd


def odicts():
    for i in range(40):
        od = collections.OrderedDict(i=i)   # a C subclass whose deallocator ends in dict's
        del od


def kept():
    box = [[0]]
    for i in range(1, 40):
        box[0] = [i]       # the list inside dies; its successor mostly takes its address
    return box


dicts()
instances()
others()
lists()
tuples()
sets()
frozensets()
sublists()
subdicts()
odicts()
kept()
"""


def test_an_object_that_died_never_lends_its_id_to_the_next(tmp_path, write_program):
    """docs/trace-format.md, "What an id promises": a dict, list, tuple,
    set or frozenset (or an instance of a subclass of one, OrderedDict
    too), or an instance of a class based on object (its attributes in
    inline values, in a __dict__ the program made, or in slots), is never
    named by the id of an object that died before it, although CPython
    reuses the address at once (through the wrapped deallocators,
    src/deaths.c, and the dict watcher); a list held in another gets a new
    id when it is replaced."""
    assert record(write_program(DEATHS), tmp_path / "t").returncode == 0
    t = reader.Trace(str(tmp_path / "t"))
    assert t.metadata["stats"]["dict_watcher"] is True
    recs = list(t.records())
    names = {v: k for k, v in t.names.items()}
    for name in ("d", "o", "so", "vo", "l", "t", "s", "f", "sl", "sd", "od"):
        binds = [r for r in recs if r.kind == "Var" and r["name"] == names[name]]
        ids = [r.chunk.value(r["value"], render=False).data for r in binds]
        assert len(ids) == 40 and len(set(ids)) == 40, (name, ids)
    # box[0]: the item of the outer list names a new id at each replacement
    binds = [r for r in recs if r.kind == "Var" and r["name"] == names["box"]]
    box = binds[0].chunk.value(binds[0]["value"], render=False).data
    sets = [r.chunk.value(r["value"], render=False) for r in recs
            if r.kind in ("ObjSet", "ObjPut") and r["id"] == box]
    assert [v.kind for v in sets] == ["Object"] * 39
    kids = [v.data for v in sets]
    assert len(set(kids)) == 39, kids
    steps = [snap["box"].render() for _, snap in t.steps() if "box" in snap]
    assert steps[-1] == "[[39]]"
    values = [snap["o"].data for _, snap in t.steps() if "o" in snap]
    assert [[(k.data, v.data) for k, v in zip(x[::2], x[1::2])] for x in values][-1] == [("i", 39)]


def test_a_tree_written_whole_is_written_once_per_chunk(tmp_path, write_program):
    """The tree of an atom or of an exception is written once per chunk:
    the Raise, Handled, Reraise and Unwind records of one exception, and
    every Return of None, refer to one tree; the values read are unchanged."""
    prog = write_program("""
def none():
    return None


def fail(i):
    try:
        raise ValueError("bad %d" % (i % 2))
    except ValueError:
        raise


for i in range(6):
    none()
    try:
        fail(i)
    except ValueError as e:
        pass
""")
    assert record(prog, tmp_path / "t").returncode == 0
    t = reader.Trace(str(tmp_path / "t"))
    recs = list(t.records())
    assert t.chunk_count == 1
    returns = [r for r in recs if r.kind == "Return" and r.value("value").kind == "Null"]
    assert len(returns) == 7 and len({r["value"] for r in returns}) == 1   # none() and the module
    excs = [r for r in recs if r.kind in ("Raise", "Handled", "Reraise", "Unwind")]
    # two messages: two trees, each read as its exception
    assert len(excs) >= 6 * 4 and len({r["exc"] for r in excs}) == 2
    for r in excs:
        v = r.value("exc")
        assert (v.kind, v.type) == ("Exception", "ValueError") and v.render() in ("ValueError('bad 0')",
                                                                                   "ValueError('bad 1')")
    nodes = len(recs[0].chunk.values)
    assert nodes < 20, nodes


def _raw_kinds(t):
    """How many nodes of each value kind the trace's values pools hold; a
    Packed node (format 9, "Packed children") counts as Packed and as the
    kind it stands for (its data's first byte names it)."""
    count = {}
    for _, raw in t.file.chunks():
        for node in raw["values"]:
            kind = reader.VALUE_KINDS[node[4]]
            count[kind] = count.get(kind, 0) + 1
            if kind == "Packed":
                kind = reader.VALUE_KINDS[raw["data"][node[0]]]
                count[kind] = count.get(kind, 0) + 1
    return count


def test_names_are_ids_where_they_can_be(tmp_path):
    """Format 8 (docs/trace-format.md, "Names as ids"): an instance's
    attribute names and a dict's keys that are interned ASCII str within
    --max-text are name ids (NamedInstance, NamedDict nodes: no Str node per
    name); the others (a non-ASCII or non-str name, keys made at run time, a
    name longer than --max-text) keep their Str nodes; both read back as the
    Instance and Dict values they stand for (tests/programs/names.py equals
    the reference recorder's stream: test_recording.py)."""
    prog = tmp_path / "names.py"
    prog.write_text((Path(__file__).parent / "programs" / "names.py").read_text())
    last = {}
    for name, opts in (("ids", ()), ("short", ("--max-text", "4"))):
        assert record(prog, tmp_path / name, options=opts).returncode == 0
        t = reader.Trace(str(tmp_path / name))
        kinds = _raw_kinds(t)
        snap = None
        for step, s in t.steps():
            snap = s
        last[name] = snap
        assert kinds.get("Instance", 0) > 0 and kinds.get("Dict", 0) > 0
        # from format 9 a pair added alone is an ObjAdd (its name an id), not a named node
        of, adds = {}, {"Instance": 0, "Dict": 0}
        for r in t.records():
            if r.kind == "Obj":
                of[r["id"]] = r.value("value").kind
            elif r.kind == "ObjAdd":
                adds[of[r["id"]]] += 1
        if name == "ids":
            assert kinds["NamedInstance"] + adds["Instance"] > kinds["Instance"]
            assert kinds["NamedDict"] + adds["Dict"] > kinds["Dict"] and adds["Dict"] > 0
        else:   # "x", "y", "a", "b", "k0" fit in 4 bytes; "alpha", "label" do not
            assert kinds.get("NamedInstance", 0) > 0
        assert t.check()["nproblems"] == 0
    assert [kv.render() for kv in last["ids"]["kw"].data] == ["'alpha'", "4", "'delta'", "0", "'gamma'", "2"]
    keys = last["short"]["kw"].data[0::2]
    assert [(k.kind, k.type, k.data, k.length, k.truncated) for k in keys] == \
        [("Str", "str", "alph", 5, True), ("Str", "str", "delt", 5, True), ("Str", "str", "gamm", 5, True)]
    p = last["ids"]["points"].data[0]
    assert p.kind == "Instance" and p.render() == "__main__.Point(x=1, label='p1')"
    assert [(k.kind, k.type, k.length, k.flags) for k in p.data[0::2]] == [("Str", "str", 1, 0), ("Str", "str", 5, 0)]


def test_children_are_packed_where_they_can_be(tmp_path):
    """Format 9 (docs/trace-format.md, "Packed children"): an object's
    children that are None, a bool, an int, a float or an object (no flags)
    are entries in data, not nodes (Packed nodes, standing for the List,
    Tuple, Dict, NamedInstance, ... they are read as); the others (a str, a
    big int, an int subclass, a complex, a range) stay nodes among them;
    the pure-Python decoder and the native one read the same values
    (tests/programs/packed.py equals the reference recorder's stream:
    test_recording.py)."""
    prog = tmp_path / "packed.py"
    prog.write_text((Path(__file__).parent / "programs" / "packed.py").read_text())
    assert record(prog, tmp_path / "t").returncode == 0
    t = reader.Trace(str(tmp_path / "t"))
    stands = {}
    for _, raw in t.file.chunks():
        for node in raw["values"]:
            if reader.VALUE_KINDS[node[4]] == "Packed":
                kind = reader.VALUE_KINDS[raw["data"][node[0]]]
                stands[kind] = stands.get(kind, 0) + 1
    assert {"List", "Tuple", "Dict", "Set", "FrozenSet", "NamedInstance"} <= set(stands), stands
    assert t.check()["nproblems"] == 0
    native = [(step["line"], {k: (v.kind, v.type, v.render(10000), v.flags, v.length) for k, v in s.items()})
              for step, s in t.steps()]
    saved = reader._native_tree
    try:
        reader._native_tree = None
        py = [(step["line"], {k: (v.kind, v.type, v.render(10000), v.flags, v.length) for k, v in s.items()})
              for step, s in reader.Trace(str(tmp_path / "t")).steps()]
    finally:
        reader._native_tree = saved
    assert py == native
    last = [s for _, s in native if "edges" in s][-1]
    assert last["edges"][2] == "[0, -2, 2, 2147483648, -2147483649, 9223372036854775807, -9223372036854775808, " \
        "9223372036854775808, -9223372036854775809, 1267650600228229401496703205376, None]"
    assert last["mixed"][2] == "[0, 1, 2, 'text', 1, (3+4j), range(2, 9, 3), slice(1, None, None), b'by', 7]"
    assert last["floats"][2] == "(0.0, -0.0, 1.5, inf, -inf, nan, 1e+308)"


def test_an_attribute_added_is_one_objadd(tmp_path, write_program):
    """Format 9 (docs/trace-format.md, "Objects"): one pair added after an
    object's others, its name (key) one that can be a name id and the
    length one more (an attribute set for the first time, a str key added
    to a dict), is an ObjAdd: an int, float or bool as a compact record
    (ObjAddInt, ObjAddFloat, ObjAddBool), any other value with its node; a
    key that cannot be an id (an int) and two pairs at once stay ObjPut
    records; the values rebuilt are the program's."""
    prog = write_program("""
class P:
    def __init__(self, x):
        self.x = x
        self.y = x / 2
        self.ok = x > 1
        self.name = "p%d" % x
        self.more = [x]
        self.big = 10 ** 20
ps = [P(i) for i in range(3)]
d = {}
d["alpha"] = 1
d["beta"] = None
d[3] = 4
d.update(gamma=1.5, delta=2)
print(ps[2].name, d)
""")
    assert record(prog, tmp_path / "t").returncode == 0
    t = reader.Trace(str(tmp_path / "t"))
    recs = list(t.records())
    raw = [c for _, c in t.file.chunks()]
    count = {v: sum(len(c[v]) for c in raw) for v in ("obj_add", "obj_add_int", "obj_add_float", "obj_add_bool")}
    # x, y, ok, name, more, big of each P; "alpha" (an int), "beta" (None)
    assert count == {"obj_add": 3 * 3 + 1, "obj_add_int": 3 + 1, "obj_add_float": 3, "obj_add_bool": 3}, count
    binds, adds = changes_of(t, recs, "d", "ObjAdd")
    assert [(t.names[r["name"]], r.value("value").kind) for r in adds] == [("alpha", "Int"), ("beta", "Null")]
    puts = changes_of(t, recs, "d")[1]
    assert [(r["at"], r["cut"], r["length"]) for r in puts] == [(4, 0, 3), (6, 0, 5)]
    last = [s for _, s in t.steps() if "d" in s][-1]
    assert last["d"].render() == "{'alpha': 1, 'beta': None, 3: 4, 'gamma': 1.5, 'delta': 2}"
    assert last["ps"].render(1000) == (
        "[__main__.P(x=0, y=0.0, ok=False, name='p0', more=[0], big=100000000000000000000), "
        "__main__.P(x=1, y=0.5, ok=False, name='p1', more=[1], big=100000000000000000000), "
        "__main__.P(x=2, y=1.0, ok=True, name='p2', more=[2], big=100000000000000000000)]")
    assert t.check()["nproblems"] == 0


CHAINS = """
def lists(n):
    x = []
    for i in range(n):
        x = [x]
    return x


def tuples(n):
    x = ()
    for i in range(n):
        x = (x,)
    return x


def frozensets(n):
    x = frozenset()
    for i in range(n):
        x = frozenset([x])
    return x


class L(list):
    pass


def sublists(n):
    x = L()
    for i in range(n):
        x = L([x])
    return x
"""

DEEP = """
import chains

for make in (chains.lists, chains.tuples, chains.frozensets, chains.sublists):
    x = make(1000000)    # a chain a million deep, its head recorded
    del x                # dies link by link, through the trashcan
    print(make.__name__, "ok")
"""


def test_a_million_deep_chain_dies_as_it_does_untraced(tmp_path, write_program):
    """src/deaths.c: a wrapped deallocator keeps CPython's trashcan (the
    guard that turns the recursive deallocation of a long chain of
    containers into a loop): without it the recorded program crashed on
    the stack, where untraced it prints and exits 0."""
    (tmp_path / "chains.py").write_text(CHAINS)
    prog = tmp_path / "deep.py"
    prog.write_text(DEEP)
    plain = run([prog], cwd=tmp_path)
    traced = record(prog, tmp_path / "t", options=["--exclude", str(tmp_path / "chains.py")], cwd=tmp_path)
    assert plain.returncode == traced.returncode == 0, traced.stderr[-2000:]
    assert traced.stdout == plain.stdout == "".join(
        "%s ok\n" % n for n in ("lists", "tuples", "frozensets", "sublists"))
