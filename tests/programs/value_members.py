# Members of C types that hold a number or a bool (a PyMemberDef of type
# Py_T_BOOL, Py_T_INT, Py_T_PYSSIZET, Py_T_DOUBLE, ...) read as a new object
# at every read; the recorder keeps the value last recorded and compares the
# member's bytes with it, so that an object whose members are unchanged is
# passed without a walk (docs/design.md, "The hot path", *instances*). Each
# function below keeps such objects on its lines for several steps and
# changes their members between steps, from Python (an assignment to a
# writable member, io's reconfigure) and from C code (a csv reader's line
# count, a decompressor's end of stream), so that a check that missed a
# change shows a stale value at the next step (the values are compared at
# every step with the reference recorder's).
import csv
import functools
import io
import re
import zlib

try:
    import _testcapi   # a heap type with a member of every C kind
except ImportError:
    _testcapi = None


def every_kind():
    if _testcapi is None:
        return None
    t = _testcapi._test_structmembersType_NewAPI()
    holder = [t, 1]
    for i in range(3):
        t.T_BOOL = not t.T_BOOL
        t.T_INT = t.T_INT      # the same value, another read's object
        t.T_INT = i - 1
    t.T_BYTE = -128
    t.T_UBYTE = 255
    t.T_SHORT = -32768
    t.T_USHORT = 65535
    t.T_UINT = 4294967295
    t.T_LONG = -2 ** 63
    t.T_ULONG = 2 ** 63       # past a C long long: compared the slow way
    t.T_ULONG = 2 ** 64 - 1
    t.T_PYSSIZET = 2 ** 62
    t.T_LONGLONG = -1
    t.T_ULONGLONG = 2 ** 64 - 1
    t.T_FLOAT = 0.1           # a float's double: not 0.1
    t.T_FLOAT = -0.0          # equal to 0.0, not the same bits
    t.T_FLOAT = 0.0
    t.T_DOUBLE = float("nan")
    t.T_DOUBLE = float("nan")  # the same bits, another object
    t.T_DOUBLE = float("-inf")
    t.T_DOUBLE = 1e308
    t.T_BOOL = t.T_BOOL; t.T_BOOL = not t.T_BOOL; t.T_BOOL = not t.T_BOOL   # the same again
    t.T_INT = 7; t.T_INT = 8
    holder[1] = 2
    t.T_UINT = 0
    return holder[1]


def io_objects():
    raw = io.FileIO("/dev/null", "w")
    buf = io.BufferedWriter(raw)
    text = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    both = [raw, buf, text]
    for i in range(3):
        text.write("line %d\n" % i)
        text.reconfigure(line_buffering=i % 2 == 1)
        buf.write(b"x")
    text.reconfigure(write_through=True)
    raw._blksize = 8192
    raw._blksize = 8192       # the same value
    raw._blksize = 512
    buf._finalizing = True
    buf._finalizing = False
    buf.note = "a __dict__ made now"
    buf.note = "changed"
    text.reconfigure(line_buffering=False, write_through=False)
    both.append(text.buffer)
    text.flush()
    buf.flush()
    buf.close()
    return len(both)


def readers():
    r = csv.reader(["a,b", "c,d", "e,f"])
    rows = []
    for row in r:            # line_num counts up in C
        rows.append(row)
    w = csv.writer(io.StringIO(), strict=True, skipinitialspace=True)
    d = zlib.decompressobj()
    data = zlib.compress(b"some bytes " * 20)
    part = d.decompress(data[:10])
    part += d.decompress(data[10:])   # eof: True now, set in C
    part += d.flush()
    return len(rows), len(part), w.dialect.strict


def patterns():
    p = re.compile(r"(a)(b)?")
    m = p.match("ab")
    ms = [m, p.match("a"), p.search("xxab", 2)]
    for i in range(2):
        m = p.search("zab", i)
    part = functools.partial(max, 1)   # its __dict__ not made yet
    part.note = 1                      # made now
    part.note = 2
    it = iter([1, 2, 3])               # an instance of a static type: no attributes
    next(it)
    next(it)
    return m.pos, len(ms)


def equal_atoms_twice():
    # two items replaced by equal atoms at once (the object's check finds
    # every child's print the same), then replaced twice within one line:
    # the second new object may land where the first one was freed
    x = [int("1000"), int("1001")]
    y = 0
    x[0] = int("1000"); x[1] = int("1001")
    y = 1
    x[0] = int("2000"); x[0] = int("3000"); x[1] = int("2000"); x[1] = int("3001")
    y = 2
    return x, y


every_kind()
io_objects()
readers()
patterns()
equal_atoms_twice()
