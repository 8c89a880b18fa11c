"""Values at the issue's sizes, recorded with the value limits (issue 4):
10**6-element lists, tuples, dicts and sets, 10 MB str / bytes / bytearray,
1000-deep nesting, self-referencing and mutually referencing containers,
big ints, inf / nan / -0.0 and complex with them, with the default limits
(depth 4, 100 items, 1000 bytes) and with others set from the CLI and the
API. Each program builds its big objects once and runs a few steps; the
checks read the trace through the reader (Trace.steps() snapshots, Value)
and compare with what the program held.

Speed is not asserted here: bench/value_limits.py measures it."""

import math
import os
import shutil
import struct
import subprocess
import sys

import pytest

from conftest import env, record

import ctgen_tracer
from ctgen_tracer import reader

M = 10 ** 6
DEFAULTS = {name: v[0] for name, v in ctgen_tracer.LIMITS.items()}


def bits(x):
    """The IEEE-754 bit pattern of float x."""
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def from_bits(b):
    return struct.unpack("<d", struct.pack("<Q", b))[0]


# ---- the programs ----------------------------------------------------------

HUGE = '''
def huge():
    lst = list(range(10 ** 6))
    tup = tuple(lst)
    dct = dict(zip(lst, map(int.__neg__, lst)))
    st = set(lst)
    fst = frozenset(lst)
    text = "a" * 10_000_000
    accents = "\\u00e9" * 5_000_000
    euro = "ab" + "\\u20ac" * 3_333_332
    emoji = "x" + "\\U0001f600" * 2_500_000
    surrogates = "\\ud800" * 1_000_000
    data = bytes(range(256)) * 39_063
    buf = bytearray(data)
    empty = ([], "", b"", {})
    lst[0] = -1                  # @lst
    dct[0] = "changed"           # @dct
    buf[0] = 255                 # @buf
    st.discard(0)                # @st
    text += "b"                  # @text
    text += "c"
    return len(lst)              # @end


huge()
'''

NUMBERS = '''
import math
import struct


class Node:
    pass


def numbers():
    big = 2 ** 100000
    neg = -(2 ** 100000) - 12345
    fits = 2 ** (8 * 999)        # 1000 bytes: kept exactly
    negfits = -(2 ** 7998)       # 1000 bytes: kept exactly
    negover = -(2 ** 7999)       # bit_length() // 8 + 1 = 1001 bytes: size only
    over = 2 ** (8 * 1000 - 1)   # 1001 bytes: size only
    medium = -(3 ** 500)
    edges = [2 ** 63 - 1, -2 ** 63, 2 ** 63, -2 ** 63 - 1]
    inf, ninf, nan, nzero = math.inf, -math.inf, math.nan, -0.0
    nnan = -math.nan
    payload = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000001))[0]
    tiny, huge_f = 5e-324, 1.7976931348623157e308
    z1 = complex(math.inf, math.nan)
    z2 = complex(-0.0, -math.inf)
    z3 = complex(math.nan, -0.0)
    big += 1                     # @bump
    return 0                     # @end


numbers()
'''

# Built outside the recorded code (--exclude builders): a 1000-deep structure
# rebuilt at every step of a loop would be recorded 1000 times.
BUILDERS = '''
class Node:
    def __init__(self, i):
        self.i = i
        self.next = None


def chain(n):
    head = Node(0)
    cur = head
    for i in range(1, n):
        cur.next = Node(i)
        cur = cur.next
    return head


def nested_list(n):
    cur = []
    for _ in range(n - 1):
        cur = [cur]
    return cur


def nested_dict(n):
    cur = {}
    for _ in range(n - 1):
        cur = {"k": cur}
    return cur
'''

DEEP = '''
from builders import Node, chain, nested_dict, nested_list


def deep():
    dl = nested_list(1000)
    dd = nested_dict(1000)
    dn = chain(1000)
    loop = [1, 2]
    loop.append(loop)
    me = {"a": 1}
    me["me"] = me
    node = Node(7)
    node.next = node
    a = [1]
    b = [a]
    a.append(b)
    p = Node("p")
    q = Node("q")
    p.next = q
    q.next = p
    ring = [[[[]]]]
    ring[0][0][0].append(ring)
    bigself = list(range(10 ** 6))
    bigself[5] = bigself
    dself = dict.fromkeys(range(10 ** 6))
    dself[3] = dself
    return 0                     # @end


deep()
'''

ATTRS = '''
class Bag:
    pass


class Slots:
    __slots__ = ("a", "b", "c")


def attrs():
    bag = Bag()
    for i in range(150):
        setattr(bag, "a%d" % i, i)
    sl = Slots()
    sl.a, sl.c = 1, 3
    holder = [[[[bag]]]]
    def f():
        pass
    return 0                     # @end


attrs()
'''


def snapshots(trace_dir, fn):
    """[(line, snapshot)] of the Steps of function `fn`."""
    t = reader.Trace(str(trace_dir))
    return [(step["line"], snap) for step, snap in t.steps() if t.functions[step["fn"]].name == fn]


def at(snaps, source, marker):
    """The snapshot at the Step of the line holding `# @marker`: the values
    at the start of that line."""
    lines = source.splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.rstrip().endswith("# @" + marker))
    found = [s for n, s in snaps if n == line]
    assert found, "no step at line %d (%s)" % (line, marker)
    return found[-1]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """recorded(name, source, *options) -> (trace dir, [(line, snapshot)])
    of the program's main function, recorded once per module."""
    cache = {}
    base = tmp_path_factory.mktemp("limits")

    def get(name, source, *options):
        key = (name, options)
        if key not in cache:
            d = base / ("%s-%d" % (name, len(cache)))
            d.mkdir()
            prog = d / (name + ".py")
            prog.write_text(source)
            if "builders" in source:
                (d / "builders.py").write_text(BUILDERS)
                options += ("--exclude", "builders")
            p = record(prog, d / "trace", options=options, cwd=d)
            assert p.returncode == 0, p.stderr
            cache[key] = (d / "trace", snapshots(d / "trace", name))
        return cache[key]
    return get


def check_items(v, kind, items, full, limit):
    """v is a `kind` container of `full` items keeping the first `limit`
    (plain Python values in `items`), flagged Truncated when it is cut."""
    assert v.kind == kind
    assert v.length == full
    assert v.truncated == (full > limit)
    width = 2 if kind == "Dict" else 1
    assert len(v.data) == width * min(full, limit)
    got = v.to_python()
    assert (list(got) if kind == "Tuple" else got) == items[:limit]


def check_text(v, kind, full_text, limit):
    """v keeps the longest prefix of full_text's UTF-8 (or bytes) of at most
    `limit` bytes that ends on a character boundary; b = the full length
    (code points for str)."""
    assert v.kind == kind
    if kind == "Str":
        raw = full_text.encode("utf-8", "surrogatepass")
        keep = raw[:limit]
        while keep and len(keep) < len(raw) and (raw[len(keep)] & 0xC0) == 0x80:
            keep = keep[:-1]   # do not split a character
        assert v.data == keep.decode("utf-8", "surrogatepass")
        assert full_text.startswith(v.data)
    else:
        keep = bytes(full_text[:limit])
        assert v.data == keep
    assert v.length == len(full_text)
    assert v.truncated == (len(keep) < len(full_text.encode("utf-8", "surrogatepass")
                                            if kind == "Str" else full_text))
    assert len(keep) <= limit


# ---- the sizes, default limits -------------------------------------

def test_huge_values_keep_exact_prefixes_with_defaults(recorded):
    trace, snaps = recorded("huge", HUGE)
    lst = list(range(M))
    first = at(snaps, HUGE, "lst")
    check_items(first["lst"], "List", lst, M, 100)
    check_items(first["tup"], "Tuple", lst, M, 100)
    check_items(first["dct"], "Dict", [(i, -i) for i in lst], M, 100)
    for name, kind in (("st", "Set"), ("fst", "FrozenSet")):
        v = first[name]
        assert v.kind == kind and v.length == M and v.truncated and len(v.data) == 100
        kept = v.to_python()
        assert kept == list(set(lst))[:100]        # the set's own iteration order
    data = bytes(range(256)) * 39_063
    check_text(first["text"], "Str", "a" * 10_000_000, 1000)
    check_text(first["accents"], "Str", "\u00e9" * 5_000_000, 1000)      # 500 characters
    assert len(first["accents"].data) == 500
    check_text(first["euro"], "Str", "ab" + "\u20ac" * 3_333_332, 1000)  # 2 + 3 * 332 bytes
    assert len(first["euro"].data.encode()) == 998
    check_text(first["emoji"], "Str", "x" + "\U0001f600" * 2_500_000, 1000)   # 1 + 4 * 249
    assert len(first["emoji"].data.encode()) == 997
    check_text(first["surrogates"], "Str", "\ud800" * M, 1000)           # 333 lone surrogates
    check_text(first["data"], "Bytes", data, 1000)
    check_text(first["buf"], "ByteArray", bytearray(data), 1000)
    empty = first["empty"]
    assert [(c.kind, c.length, c.truncated) for c in empty.data] == [
        ("List", 0, False), ("Str", 0, False), ("Bytes", 0, False), ("Dict", 0, False)]

    # a change inside the value is seen at the next step, the rest stays
    lst[0] = -1
    check_items(at(snaps, HUGE, "dct")["lst"], "List", lst, M, 100)
    dct = at(snaps, HUGE, "buf")["dct"]
    assert dct.to_python()[0] == (0, "changed") and dct.to_python()[1:] == [(i, -i) for i in range(1, 100)]
    assert at(snaps, HUGE, "st")["buf"].data[:2] == b"\xff\x01"
    st = at(snaps, HUGE, "text")["st"]
    assert st.length == M - 1 and 0 not in st.to_python()
    end = at(snaps, HUGE, "end")
    assert end["text"].length == 10_000_002 and end["text"].data == "a" * 1000
    assert end["text"].render(20) == "'aaaaaaaaaaaaaaaa..." and end["lst"].render(12) == "[-1, 1, 2..."


def test_unchanged_huge_values_are_not_written_again(recorded):
    """The program holds ~250 MB of data over several steps; the trace holds
    each value's kept part about once (10 MB strings, 10**6 items)."""
    trace, snaps = recorded("huge", HUGE)
    assert len(snaps) >= 15
    assert all(s["text"].length >= 10_000_000 for _, s in snaps if "text" in s)
    size = os.path.getsize(trace / "trace.ctgt")
    assert size < 200_000, size


def test_big_ints_and_floats_are_exact(recorded):
    trace, snaps = recorded("numbers", NUMBERS)
    s = at(snaps, NUMBERS, "bump")
    for name, value in (("fits", 2 ** (8 * 999)), ("negfits", -(2 ** 7998)), ("medium", -(3 ** 500))):
        v = s[name]
        assert v.kind == "BigInt" and not v.truncated and v.data == value, name
        assert v.length == value.bit_length() // 8 + 1
    for name, value in (("big", 2 ** 100000), ("neg", -(2 ** 100000) - 12345), ("over", 2 ** (8 * 1000 - 1)),
                        ("negover", -(2 ** 7999))):
        v = s[name]   # beyond --max-text bytes: only its size in bytes
        assert v.kind == "BigInt" and v.truncated and v.data is None, name
        assert v.length == value.bit_length() // 8 + 1
        assert v.render() == "<int of %d bytes>" % v.length
    assert [(c.kind, c.data) for c in s["edges"].data] == [
        ("Int", 2 ** 63 - 1), ("Int", -2 ** 63), ("BigInt", 2 ** 63), ("BigInt", -2 ** 63 - 1)]
    floats = {"inf": math.inf, "ninf": -math.inf, "nan": math.nan, "nzero": -0.0, "nnan": -math.nan,
              "payload": from_bits(0x7FF0000000000001), "tiny": 5e-324, "huge_f": 1.7976931348623157e308}
    for name, value in floats.items():
        assert s[name].kind == "Float" and bits(s[name].data) == bits(value), name
    assert bits(s["nnan"].data) >> 63 == 1 and bits(s["payload"].data) == 0x7FF0000000000001
    for name, (re, im) in (("z1", (math.inf, math.nan)), ("z2", (-0.0, -math.inf)), ("z3", (math.nan, -0.0))):
        z = s[name].data
        assert s[name].kind == "Complex" and (bits(z.real), bits(z.imag)) == (bits(re), bits(im)), name
    assert at(snaps, NUMBERS, "end")["big"].length == (2 ** 100000 + 1).bit_length() // 8 + 1


def walk_down(v, kind, steps):
    """Follow the first child `steps` times (dicts and instances: the value
    of the pair whose key is `key`)."""
    for _ in range(steps):
        assert v.kind == kind
        if kind == "List":
            v = v.data[0]
        else:
            names = [v.data[i].data for i in range(0, len(v.data), 2)]
            v = v.data[2 * names.index("k" if kind == "Dict" else "next") + 1]
    return v


def test_deep_nesting_is_elided_at_the_depth_limit(recorded):
    trace, snaps = recorded("deep", DEEP)
    s = at(snaps, DEEP, "end")
    elided = walk_down(s["dl"], "List", 4)
    assert (elided.kind, elided.type, elided.length) == ("Elided", "list", 1)
    elided = walk_down(s["dd"], "Dict", 4)
    assert (elided.kind, elided.type, elided.length) == ("Elided", "dict", 1)
    elided = walk_down(s["dn"], "Instance", 4)
    assert (elided.kind, elided.type, elided.length) == ("Elided", "builders.Node", 2)
    for name in ("dl", "dd", "dn"):
        s[name].to_python()
        assert len(s[name].render(100)) <= 100


def test_cycles_are_back_references(recorded):
    trace, snaps = recorded("deep", DEEP)
    s = at(snaps, DEEP, "end")
    loop = s["loop"]
    assert [c.kind for c in loop.data] == ["Int", "Int", "Ref"] and loop.data[2].data == 0
    assert loop.to_python() == [1, 2, 0] and loop.render() == "[1, 2, <ref>]"
    me = s["me"]
    assert me.to_python() == [("a", 1), ("me", 0)] and me.data[3].kind == "Ref"
    node = s["node"]
    assert node.render() == "builders.Node(i=7, next=<ref>)"
    assert s["a"].render() == "[1, [<ref>]]" and s["b"].render() == "[[1, <ref>]]"
    assert s["p"].render() == "builders.Node(i='p', next=builders.Node(i='q', next=<ref>))"
    ring = s["ring"]   # the cycle closes at depth 4: a Ref, not an Elided node
    inner = walk_down(ring, "List", 3)
    assert inner.kind == "List" and inner.data[0].kind == "Ref" and inner.data[0].data == 0
    big = s["bigself"]
    assert big.length == M and big.truncated and len(big.data) == 100
    assert big.data[5].kind == "Ref" and big.data[5].data == 0
    assert [c.data for c in big.data[:5]] == [0, 1, 2, 3, 4]
    d = s["dself"]
    assert d.length == M and d.data[7].kind == "Ref" and d.data[7].data == 0
    assert len(d.render(500)) <= 500


def test_instances_beyond_max_items_are_truncated(recorded):
    trace, snaps = recorded("attrs", ATTRS)
    s = at(snaps, ATTRS, "end")
    bag = s["bag"]
    assert bag.kind == "Instance" and bag.truncated and bag.length == 150 and len(bag.data) == 200
    assert [bag.data[i].data for i in range(0, 6, 2)] == ["a0", "a1", "a2"]
    assert bag.render(1000).endswith("a99=99, ...)")
    sl = s["sl"]
    assert not sl.truncated and sl.length == 2 and sl.to_python() == {"__type__": "__main__.Slots",
                                                                      "a": 1, "c": 3}
    elided = walk_down(s["holder"], "List", 4)
    assert (elided.kind, elided.type, elided.length) == ("Elided", "__main__.Bag", 150)


# ---- other limits, from the command line ------------------------------------

def test_zero_limits(recorded):
    opts = ("--max-depth", "0", "--max-items", "0", "--max-text", "0")
    trace, snaps = recorded("huge", HUGE, *opts)
    s = at(snaps, HUGE, "lst")
    for name, kind, full in (("lst", "list", M), ("dct", "dict", M), ("st", "set", M), ("empty", "tuple", 4)):
        assert (s[name].kind, s[name].type, s[name].length) == ("Elided", kind, full), name
    for name, full in (("text", 10_000_000), ("accents", 5_000_000), ("data", 10_000_128)):
        assert s[name].data in ("", b"") and s[name].truncated and s[name].length == full
    trace, snaps = recorded("numbers", NUMBERS, "--max-text", "0", "--max-items", "0")
    s = at(snaps, NUMBERS, "bump")
    assert s["medium"].data is None and s["medium"].truncated
    assert s["edges"].kind == "List" and s["edges"].data == [] and s["edges"].length == 4 and s["edges"].truncated
    assert s["edges"].render() == "[...]"
    assert bits(s["nnan"].data) == bits(-math.nan)
    trace, snaps = recorded("attrs", ATTRS, "--max-items", "0", "--max-text", "0")
    s = at(snaps, ATTRS, "end")
    assert s["bag"].data == [] and s["bag"].truncated and s["bag"].length == 150
    assert s["bag"].render() == "__main__.Bag(...)"
    assert s["f"].kind == "Function" and s["f"].data.endswith("attrs.<locals>.f")   # names are not cut


def test_small_limits_cut_where_they_say(recorded):
    trace, snaps = recorded("huge", HUGE, "--max-items", "3", "--max-text", "5", "--max-depth", "1")
    s = at(snaps, HUGE, "dct")
    lst = list(range(M))
    lst[0] = -1
    check_items(s["lst"], "List", lst, M, 3)
    check_items(s["dct"], "Dict", [(i, -i) for i in range(M)], M, 3)
    check_text(s["accents"], "Str", "\u00e9" * 5_000_000, 5)            # 2 characters, 4 bytes
    assert s["accents"].data == "\u00e9\u00e9"
    check_text(s["emoji"], "Str", "x" + "\U0001f600" * 2_500_000, 5)    # x + one emoji
    check_text(s["data"], "Bytes", bytes(range(256)) * 39_063, 5)
    assert [c.kind for c in s["empty"].data] == ["Elided", "Str", "Bytes"]   # depth 1, 3 items
    assert s["empty"].data[0].length == 0 and s["empty"].truncated and s["empty"].length == 4


GROW = '''
def grow():
    nums = [1, 2.5]
    bag = {True}
    for i in range(6):
        nums.append(i)                 # @append
        nums.append(i / 2)
        bag.add(i * 10)                # @add
        bag.discard(True)
        if i == 4:
            nums.insert(0, False)
    nums.pop(0)                        # @pop
    return nums, bag                   # @end


grow()
'''


def grow_states():
    """What grow() holds at each marker, turn by turn: (marker, nums, bag)."""
    out = []
    nums, bag = [1, 2.5], {True}
    for i in range(6):
        out.append(("append", list(nums), list(bag)))
        nums.append(i)
        nums.append(i / 2)
        out.append(("add", list(nums), list(bag)))
        bag.add(i * 10)
        bag.discard(True)
        if i == 4:
            nums.insert(0, False)
    out.append(("pop", list(nums), list(bag)))
    nums.pop(0)
    out.append(("end", list(nums), list(bag)))
    return out


@pytest.mark.parametrize("limit", [3, 100])
def test_lists_and_sets_grown_by_atoms_keep_their_limits(recorded, limit):
    """A list and a set that lines grow and shrink by ints, floats and bools
    (written as edits of the object, without a walk of it) show at every
    Step their first `limit` items, Truncated past it, with their full
    length, and the same types (False, not 0; 2.0, not 2)."""
    trace, snaps = recorded("grow", GROW, "--max-items", str(limit))
    lines = GROW.splitlines()
    where = {m: next(i for i, text in enumerate(lines, 1) if text.rstrip().endswith("# @" + m))
             for m in ("append", "add", "pop", "end")}
    got = [(m, s) for line, s in snaps for m in where if where[m] == line]
    want = grow_states()
    assert [m for m, _ in got] == [m for m, _, _ in want]
    for (m, s), (_, nums, bag) in zip(got, want):
        check_items(s["nums"], "List", nums, len(nums), limit)
        assert [type(x) for x in s["nums"].to_python()] == [type(x) for x in nums[:limit]], m
        check_items(s["bag"], "Set", bag, len(bag), limit)


def test_large_limits_record_everything(recorded):
    trace, snaps = recorded("deep", DEEP, "--max-depth", "1000", "--max-items", "2", "--max-nodes", "100000")
    s = at(snaps, DEEP, "end")
    bottom = walk_down(s["dl"], "List", 999)   # the innermost list, at depth 999: recorded
    assert (bottom.kind, bottom.length, bottom.truncated) == ("List", 0, False)
    assert walk_down(s["dd"], "Dict", 999).kind == "Dict"
    last = walk_down(s["dn"], "Instance", 999)
    assert last.kind == "Instance" and last.to_python() == {"__type__": "builders.Node", "i": 999, "next": None}
    assert s["dl"].to_python() is not None and len(s["dl"].render(300)) <= 300
    trace, snaps = recorded("deep", DEEP, "--max-depth", "999")
    elided = walk_down(at(snaps, DEEP, "end")["dl"], "List", 999)
    assert (elided.kind, elided.length) == ("Elided", 0)


def test_whole_huge_values_with_large_limits(tmp_path):
    source = '''
def whole():
    lst = list(range(200_000))
    text = "\\u00e9" * 5_000_000
    data = bytes(10_000_000)
    big = 2 ** 100000
    return 0
whole()
'''
    prog = tmp_path / "whole.py"
    prog.write_text(source)
    p = record(prog, tmp_path / "t", options=["--max-items", "10000000", "--max-text", "100000000",
                                              "--max-nodes", "100000000"], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    s = snapshots(tmp_path / "t", "whole")[-1][1]
    assert not s["lst"].truncated and s["lst"].to_python() == list(range(200_000))
    assert not s["text"].truncated and s["text"].data == "\u00e9" * 5_000_000
    assert not s["data"].truncated and s["data"].data == bytes(10_000_000)
    assert not s["big"].truncated and s["big"].data == 2 ** 100000
    assert subprocess.run([sys.executable, "-m", "ctgen_tracer", "verify", str(tmp_path / "t")],
                          env=env(), capture_output=True).returncode == 0


BAD = [("--max-depth", "-1"), ("--max-depth", "x"), ("--max-depth", "1001"), ("--max-items", "-5"),
       ("--max-items", "1.5"), ("--max-items", "10000001"), ("--max-text", ""), ("--max-text", "1e3"),
       ("--max-text", "100000001"), ("--max-nodes", "0"), ("--max-nodes", "100000001"),
       ("--chunk-bytes", "100")]


@pytest.fixture(scope="module")
def small_trace(tmp_path_factory):
    d = tmp_path_factory.mktemp("small")
    (d / "app.py").write_text("x = 1\n")
    assert record(d / "app.py", d / "t", cwd=d).returncode == 0
    return d / "t"


@pytest.mark.parametrize("option,value", BAD)
def test_bad_limits_are_one_error_line(tmp_path, small_trace, option, value):
    """A bad limit: one error line naming the option, exit status 2, the
    program does not run and the trace already in the directory is left
    as it was."""
    prog = tmp_path / "app.py"
    prog.write_text("open('ran', 'w').close()\nprint('ran')\n")
    shutil.copytree(small_trace, tmp_path / "t")
    before = {f: (small_trace / f).read_bytes() for f in os.listdir(small_trace)}
    p = subprocess.run([sys.executable, "-m", "ctgen_tracer", "-o", "t", option, value, "app.py"],
                       cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ctgen-tracer: error: %s must be an integer from " % option)
    assert lines[0].endswith(", not %s" % (value if value.lstrip("-").isdigit() else repr(value)))
    assert not (tmp_path / "ran").exists()
    assert {f: (tmp_path / "t" / f).read_bytes() for f in os.listdir(tmp_path / "t")} == before


# ---- the API ------------------------------------------------------------------

def test_api_limits(tmp_path):
    prog = tmp_path / "api.py"
    prog.write_text('''
import sys
import ctgen_tracer


def work():
    lst = list(range(1000))
    deep = [[[[1]]]]
    s = "x" * 5000
    big = 2 ** 100
    return 0


with ctgen_tracer.recording(sys.argv[1], max_depth=2, max_items=3, max_text=10):
    work()
''')
    p = subprocess.run([sys.executable, str(prog), str(tmp_path / "t")], env=env(), capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    s = snapshots(tmp_path / "t", "work")[-1][1]
    check_items(s["lst"], "List", list(range(1000)), 1000, 3)
    assert s["deep"].render() == "[[<list of 1>]]"
    check_text(s["s"], "Str", "x" * 5000, 10)
    assert s["big"].truncated and s["big"].length == 13
    meta = reader.Trace(str(tmp_path / "t")).metadata["options"]
    assert (meta["max_depth"], meta["max_items"], meta["max_text"]) == (2, 3, 10)


@pytest.mark.parametrize("name,value", [("max_depth", -1), ("max_depth", 1001), ("max_items", "5"),
                                        ("max_items", 2.0), ("max_text", True), ("max_text", None),
                                        ("max_text", 10 ** 9), ("max_nodes", 0), ("chunk_bytes", 0)])
def test_api_rejects_bad_limits(tmp_path, name, value):
    with pytest.raises(ValueError, match=r"^%s must be an integer from \d+ to \d+, not " % name):
        ctgen_tracer.start(str(tmp_path / "t"), **{name: value})
    assert not ctgen_tracer.recording_now() and not (tmp_path / "t").exists()


def test_defaults(recorded):
    """Without options the limits are depth 4, 100 items, 1000 bytes, 1000
    nodes (the metadata says so too); the API's defaults are the same."""
    assert DEFAULTS == {"max_depth": 4, "max_items": 100, "max_text": 1000, "max_nodes": 1000,
                        "chunk_bytes": 1 << 20}
    trace, _ = recorded("huge", HUGE)
    options = reader.Trace(str(trace)).metadata["options"]
    assert {k: options[k] for k in ("max_depth", "max_items", "max_text", "max_nodes")} == {
        "max_depth": 4, "max_items": 100, "max_text": 1000, "max_nodes": 1000}
    import inspect
    params = inspect.signature(ctgen_tracer.start).parameters
    assert {k: params[k].default for k in DEFAULTS} == DEFAULTS


GRID = '''
def grid():
    g = [list(range(100)) for _ in range(100)]   # 10101 nodes without a budget
    pairs = {i: (i, str(i)) for i in range(100)}  # 1 + 100 * (1 + 4) nodes
    return 0
grid()
'''


def test_node_budget_bounds_nested_containers(tmp_path):
    """Depth and items allow 100^4 nodes per value: containers stop taking
    children once the value's tree has max_nodes nodes (default 1000), and
    are marked truncated with their full length, so a value's size and
    cost are bounded whatever its shape."""
    prog = tmp_path / "grid.py"
    prog.write_text(GRID)
    assert record(prog, tmp_path / "t", cwd=tmp_path).returncode == 0
    s = snapshots(tmp_path / "t", "grid")[-1][1]
    g = s["g"]
    # 1 + 9 * 101 = 910 nodes for nine whole rows; the tenth gets 89 items
    # (its children stop at 1000 nodes); the outer list then stops at 10.
    assert g.kind == "List" and g.truncated and g.length == 100 and len(g.data) == 10
    rows = g.data
    assert all(not r.truncated and r.to_python() == list(range(100)) for r in rows[:9])
    assert rows[9].truncated and rows[9].length == 100 and rows[9].to_python() == list(range(89))
    pairs = s["pairs"]   # 1 + 200 pair members + 2 * 100 tuple children = 501 nodes: whole
    assert not pairs.truncated and pairs.to_python() == [(i, (i, str(i))) for i in range(100)]
    # --max-nodes raises (or lowers) the budget
    assert record(prog, tmp_path / "u", options=["--max-nodes", "20000"], cwd=tmp_path).returncode == 0
    g = snapshots(tmp_path / "u", "grid")[-1][1]["g"]
    assert not g.truncated and g.to_python() == [list(range(100))] * 100
    assert record(prog, tmp_path / "v", options=["--max-nodes", "1"], cwd=tmp_path).returncode == 0
    s = snapshots(tmp_path / "v", "grid")[-1][1]
    assert s["g"].truncated and s["g"].length == 100 and s["g"].data == []
