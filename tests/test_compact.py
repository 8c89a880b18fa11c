"""Compact records (format 5, docs/trace-format.md "Compact records"): a
variable, argument, return or yield value that is an int of 32 bits, a
float or a bool of exactly that type is written inline (VarInt, ArgFloat,
ReturnBool, ...), and readers give the same Values a Var, Arg, Return or
Yield with a one-node tree would give. Every other value keeps its tree:
ints beyond 32 bits, subclasses, redacted names. The recorder's choice is
read from the event file's record kinds (parse_chunk), the values through
Trace.steps() and Trace.records()."""

import math
import struct
from collections import Counter

import pytest

from conftest import record, reseal

from ctgen_tracer import reader

PROGRAM = '''\
import enum

class Color(enum.IntEnum):
    RED = 1

class MyFloat(float):
    pass

def f(a, b, c, big, mid=70000):
    x = 2 ** 31 - 1
    y = -2 ** 31
    z = 2 ** 31
    w = -2 ** 31 - 1
    nan = float("nan")
    inf = -float("inf")
    neg0 = -0.0
    t = True
    u = False
    e = Color.RED
    m = MyFloat(1.5)
    password = 7
    return x

def g():
    yield 1.25
    yield False
    yield 2 ** 40

f(3, 0.5, True, 2 ** 40)
list(g())
'''


def raw_kinds(d):
    """Counter of the record kinds the event file holds (as written)."""
    kinds = Counter()
    for _, raw in reader.EventFile(str(d / "trace.ctgt")).chunks():
        kinds.update(reader.RECORDS[k][0] for k in raw["kinds"])
    return kinds


def test_atoms_are_written_compact_and_read_as_before(tmp_path):
    prog = tmp_path / "prog.py"
    prog.write_text(PROGRAM)
    d = tmp_path / "t"
    assert record(prog, d).returncode == 0
    kinds = raw_kinds(d)
    for k in ("VarInt", "ArgInt", "VarFloat", "ArgFloat", "VarBool", "ArgBool", "ReturnInt",
              "YieldFloat", "YieldBool", "ShortArgInt"):
        assert kinds[k] > 0, (k, kinds)
    t = reader.Trace(str(d))
    snaps = [snap for step, snap in t.steps() if t.functions[step["fn"]].name == "f"]
    last = snaps[-1]
    want = {"a": ("Int", "int", 3), "b": ("Float", "float", 0.5), "c": ("Bool", "bool", True),
            "big": ("Int", "int", 2 ** 40), "mid": ("Int", "int", 70000), "x": ("Int", "int", 2 ** 31 - 1), "y": ("Int", "int", -2 ** 31),
            "z": ("Int", "int", 2 ** 31), "w": ("Int", "int", -2 ** 31 - 1),
            "inf": ("Float", "float", -math.inf), "t": ("Bool", "bool", True), "u": ("Bool", "bool", False),
            }
    for name, (kind, type, data) in want.items():
        v = last[name]
        assert (v.kind, v.type, v.data, v.flags) == (kind, type, data, 0), name
    m = last["m"]   # a float subclass: its tree, with the Subclass flag
    assert (m.kind, m.type, m.data, m.flags) == ("Float", "__main__.MyFloat", 1.5, next(b for b, n in reader.ValueFlag.items() if n == "Subclass"))
    assert last["nan"].kind == "Float" and math.isnan(last["nan"].data)
    assert struct.pack("<d", last["neg0"].data) == struct.pack("<d", -0.0)
    assert last["e"].kind == "Int" and last["e"].type != "int"     # an IntEnum: a subclass, its tree
    assert last["password"].kind == "Redacted"                     # redacted before anything else
    # only the values that fit are compact: 2**40 (an Arg) and 2**31 (a Var) keep a tree
    assert kinds["Arg"] >= 1 and kinds["Var"] >= 4
    rets = [r.value("value") for r in t.records() if r.kind in ("Return", "Yield")]
    got = [(v.kind, v.type, v.data) for v in rets if v is not None]
    want = [("Int", "int", 2 ** 31 - 1), ("Float", "float", 1.25), ("Bool", "bool", False), ("Int", "int", 2 ** 40)]
    assert any(got[i:i + len(want)] == want for i in range(len(got))), got   # f's return, then g's yields


def test_a_compact_bool_other_than_0_or_1_is_refused(tmp_path):
    """A VarBool holding 2 is damaged: the C and the Python checkers and the
    reader say so in the same words."""
    prog = tmp_path / "prog.py"
    prog.write_text("def f():\n    t = True\n    return 0\n\nf()\n")
    d = tmp_path / "t"
    assert record(prog, d).returncode == 0
    data = bytearray((d / "trace.ctgt").read_bytes())
    ev = reader.EventFile(str(d / "trace.ctgt"))
    (pos, size), = ev.spans
    raw = reader.parse_chunk(data[pos + 8:pos + 4 + size])
    k = next(i for i, r in enumerate(reader.RECORDS) if r[0] == "VarBool")
    name = reader.CHUNK_FIELDS[reader._FIRST_RECORD_FIELD + k][0]
    assert raw[name] == [(raw[name][0][0], 1)]
    # find the record's bytes: its name id (uint32) then the byte 1, after the vector's length word 1
    rec = struct.pack("<IIB", 1, raw[name][0][0], 1)
    at = bytes(data).find(rec, pos)
    assert at > 0 and bytes(data).find(rec, at + 1) < 0
    data[at + 8] = 2
    (d / "trace.ctgt").write_bytes(reseal(bytes(data)))
    want = "VarBool record with value 2, which is no bool (0 or 1)"
    with pytest.raises(reader.TraceError) as e:
        list(reader.Trace(str(d)).records())
    assert want in str(e.value)
    for native in (True, False):
        with pytest.raises(reader.TraceError) as e:
            reader.Trace(str(d)).check(native=native)
        assert want in str(e.value), native


def test_narrower_forms_are_written_where_the_values_fit(tmp_path):
    """Format 10: an int from -2^15 to 2^15-1 (a name id, an `at` below
    2^16) is a ShortVarInt, ShortArgInt, ShortReturnInt, ShortYieldInt or
    ShortObjSetInt, a wider one in 32 bits a VarInt, ArgInt, ... ; a Step
    of a line below 2^16 whose function the chunk tells is a ShortLine, one
    beyond a Line. Readers read them as the Var, Arg, Return, Yield, ObjSet
    and Step they stand for, with the same values and lines."""
    prog = tmp_path / "prog.py"
    prog.write_text("def f(a, b):\n    x = -32768\n    y = 32768\n    z = a + b\n    return z\n\n"
                    "f(32767, -32769)\n" + "\n" * 70000 + "def g():\n    q = 1\n    return q\n\n"
                    "g()\ng()\n\ndef h():\n    yield 5\n    yield 40000\n\nlist(h())\n\n"
                    "def k():\n    l = [0, 0, 0]\n    l[1] = 7\n    l[2] = 70000\n    return l\n\nk()\n")
    d = tmp_path / "t"
    assert record(prog, d).returncode == 0
    kinds = raw_kinds(d)
    assert kinds["ShortLine"] > 0 and kinds["Line"] > 0, kinds
    t = reader.Trace(str(d))
    recs = [(r.kind, r.fields.get("line")) for r in t.records() if r.kind == "Step"]
    assert ("Step", 70010) in recs and recs.count(("Step", 70009)) == 2 and ("Step", 3) in recs, recs
    as_written = [reader.RECORDS[k][0] for _, raw in reader.EventFile(str(d / "trace.ctgt")).chunks()
                  for k in raw["kinds"]]
    assert as_written.count("ShortArgInt") == 1 and as_written.count("ArgInt") == 1, as_written
    assert as_written.count("ShortVarInt") >= 3 and as_written.count("VarInt") == 1, as_written   # y
    for short, wide in (("ShortYieldInt", "YieldInt"), ("ShortObjSetInt", "ObjSetInt")):
        assert as_written.count(short) == 1 and as_written.count(wide) == 1, (short, as_written)
    assert as_written.count("ShortReturnInt") >= 2, as_written   # g's q
    got = [(r.kind, r.value("value").data) for r in t.records() if r.kind in ("Return", "Yield")]
    assert [("Yield", 5), ("Yield", 40000)] == [x for x in got if x[0] == "Yield"] and ("Return", 1) in got, got
    ks = [snap["l"] for step, snap in t.steps() if t.functions[step["fn"]].name == "k" and "l" in snap]
    assert [v.render(100) for v in ks] == ["[0, 0, 0]", "[0, 7, 0]", "[0, 7, 70000]"], [v.render(100) for v in ks]
    snaps = [snap for step, snap in t.steps() if t.functions[step["fn"]].name == "f"]
    got = {k: (v.kind, v.type, v.data) for k, v in snaps[-1].items()}
    assert got == {"a": ("Int", "int", 32767), "b": ("Int", "int", -32769), "x": ("Int", "int", -32768),
                   "y": ("Int", "int", 32768), "z": ("Int", "int", -2)}, got
    lines = [(t.functions[step["fn"]].name, step["line"]) for step, _ in t.steps()]
    assert lines.count(("g", 70009)) == 2 and lines.count(("g", 70010)) == 2 and ("f", 5) in lines, lines
