"""Objects with identity (trace format 4, docs/trace-format.md, "Objects"):
a mutation is a change of the object (ObjPut), not a new value of every
variable that reaches it; each chunk gives the whole content of the objects
it uses; a damaged object table is refused, never rendered for ever. That
the rendered values are the ones the recorder saw is tested against the
reference recorder (test_recording.py) and at the limits
(test_value_limits.py)."""

from conftest import record
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


def changes_of(t, recs, name):
    """The Var records of module variable `name`, and the ObjPut records of
    the object the first of them binds it to."""
    names = {v: k for k, v in t.names.items()}
    binds = [r for r in recs if r.kind == "Var" and r["name"] == names[name]]
    oid = binds[0].chunk.value(binds[0]["value"], render=False).data
    return binds, [r for r in recs if r.kind == "ObjPut" and r["id"] == oid]


def test_a_growing_list_is_one_change_per_append(tmp_path, write_program):
    t, recs = recorded_loop(tmp_path, write_program)
    binds, puts = changes_of(t, recs, "items")
    # bound once: the list keeps its id; its appends are ObjPut records
    assert len(binds) == 1
    assert len(puts) == 300 and [p["length"] for p in puts] == list(range(1, 301))
    # past --max-items (100) only the length changes: no children are written
    assert all(p["value"] == reader.NOT_RECORDED and p["cut"] == 0 for p in puts[100:])
    assert all(p["at"] == i and p["cut"] == 0 for i, p in enumerate(puts[:100]))
    last = None
    for step, snap in t.steps():
        if "items" in snap:
            last = snap
    v = last["items"]
    assert v.kind == "List" and v.length == 300 and v.truncated and len(v.data) == 100
    assert [x.data for x in v.data] == [i % 7 for i in range(100)]
    d = last["d"]
    assert d.to_python() == [(k, 295 + k) for k in range(5)]


def test_a_dict_value_set_replaces_one_pair(tmp_path, write_program):
    t, recs = recorded_loop(tmp_path, write_program)
    binds, puts = changes_of(t, recs, "d")
    assert len(binds) == 1
    # 5 new keys (appends), then 295 value sets: one pair replaced, at an even child
    assert len(puts) == 300
    for p in puts[5:]:
        assert p["cut"] == 2 and p["at"] % 2 == 0 and p["length"] == 5
        assert len(p.value("value").data) == 2


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
        elif r.kind == "ObjPut":
            assert r["id"] in given.get(c, ()), "ObjPut of object %d before its Obj in the chunk" % r["id"]
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
class A:
    def __init__(self, i):
        self.i = i


def dicts():
    for i in range(40):
        d = {"i": i}       # each a new dict, mostly at the address of the last
        del d


def instances():
    for i in range(40):
        o = A(i)           # each a new instance with its __dict__
        del o


dicts()
instances()
"""


def test_a_dict_or_instance_that_died_never_lends_its_id_to_the_next(tmp_path, write_program):
    """docs/trace-format.md, "Objects": a dict, or an instance whose
    __dict__ died with it, is never named by the id of an object that died
    before it, although CPython reuses the address at once."""
    assert record(write_program(DEATHS), tmp_path / "t").returncode == 0
    t = reader.Trace(str(tmp_path / "t"))
    assert t.metadata["stats"]["dict_watcher"] is True
    recs = list(t.records())
    names = {v: k for k, v in t.names.items()}
    for name in ("d", "o"):
        binds = [r for r in recs if r.kind == "Var" and r["name"] == names[name]]
        ids = [r.chunk.value(r["value"], render=False).data for r in binds]
        assert len(ids) == 40 and len(set(ids)) == 40, (name, ids)
    values = [snap["o"].data for _, snap in t.steps() if "o" in snap]
    assert [[(k.data, v.data) for k, v in zip(x[::2], x[1::2])] for x in values][-1] == [("i", 39)]
