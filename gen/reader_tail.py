# ---- decoding (gen/reader_tail.py, appended by gen/gen_reader_py.lua) ----

import json as _json
import math as _math
import os as _os

EVENTS_FILE = "trace.ctgt"
HEADER_SIZE = 16
MAX_CHUNK = 1 << 30
NOT_RECORDED = 0xFFFFFFFF
ALL_NAMES = 0xFFFFFFFF      # Unset of every variable: the Vars that follow are the full set

_u16 = _struct.Struct("<H").unpack_from
_u32 = _struct.Struct("<I").unpack_from
_i32 = _struct.Struct("<i").unpack_from
_f64 = _struct.Struct("<d")
_i64 = _struct.Struct("<q")

RECORD_NAMES = tuple(r[0] for r in RECORDS)
_RECORD_INDEX = {name: i for i, name in enumerate(RECORD_NAMES)}
_FIELD_INDEX = {f[0]: i for i, f in enumerate(CHUNK_FIELDS)}
_FIRST_RECORD_FIELD = len(CHUNK_FIELDS) - len(RECORDS)


class TraceError(Exception):
    """The trace is not readable: the message says where and why."""


def _need(cond, what):
    if not cond:
        raise TraceError(what)


def _utf8(raw, what):
    try:
        return bytes(raw).decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as e:
        raise TraceError("%s is not valid UTF-8: %s" % (what, e.reason)) from None


def parse_chunk(buf):
    """Decode one size-prefixed chunk (prefix included) into a dict: scalar
    fields by name, `kinds` as bytes, pools and record vectors as lists of
    tuples. Every offset is bounds-checked (TraceError on corruption)."""
    n = len(buf)
    _need(n >= 16, "chunk shorter than its header")
    _need(buf[8:12] == IDENTIFIER, "chunk identifier is %r, not %r" % (bytes(buf[8:12]), IDENTIFIER))
    root = 4 + _u32(buf, 4)[0]
    _need(root + 4 <= n, "root offset out of the chunk")
    vt = root - _i32(buf, root)[0]
    _need(0 <= vt and vt + 4 <= n, "vtable offset out of the chunk")
    vt_size, t_size = _u16(buf, vt)[0], _u16(buf, vt + 2)[0]
    _need(vt_size >= 4 and vt_size % 2 == 0 and vt + vt_size <= n, "bad vtable size")
    _need(t_size >= 4 and root + t_size <= n, "bad table size")
    nfields = (vt_size - 4) // 2
    out = {}
    for i, (name, fmt, size) in enumerate(CHUNK_FIELDS):
        off = _u16(buf, vt + 4 + 2 * i)[0] if i < nfields else 0
        if off == 0:
            out[name] = 0 if size == 0 else ([] if fmt != "<B" else b"")
            continue
        _need(off + (_struct.calcsize(fmt) if size == 0 else 4) <= t_size,
              "field %s outside its table" % name)
        pos = root + off
        if size == 0:
            out[name] = _struct.unpack_from(fmt, buf, pos)[0]
            continue
        vec = pos + _u32(buf, pos)[0]
        _need(vec + 4 <= n, "vector %s out of the chunk" % name)
        count = _u32(buf, vec)[0]
        end = vec + 4 + count * size
        _need(end <= n, "vector %s (%d elements) runs past the chunk" % (name, count))
        body = bytes(buf[vec + 4:end])
        out[name] = body if fmt == "<B" else list(_struct.iter_unpack(fmt, body))
    return out


class EventFile:
    """The chunks of an event file, read one at a time (memory does not grow
    with the file). After iterating, `torn` is the number of bytes of an
    incomplete last chunk (0 when the file ends cleanly)."""

    def __init__(self, path):
        self.path = path
        try:
            with open(path, "rb") as f:
                head = f.read(HEADER_SIZE)
                self.size = _os.fstat(f.fileno()).st_size
        except OSError as e:
            raise TraceError("cannot read %s: %s" % (path, e.strerror or e)) from None
        _need(len(head) >= HEADER_SIZE and head[:8] == MAGIC,
              "%s is not a ctgen-tracer event file (no %r header)" % (path, MAGIC))
        version = _u32(head, 8)[0]
        _need(version == FORMAT_VERSION,
              "%s has format version %d; this reader reads version %d" % (path, version, FORMAT_VERSION))
        self.torn = 0

    def chunks(self):
        """Yield (file offset, decoded chunk) in file order."""
        try:
            f = open(self.path, "rb")
        except OSError as e:
            raise TraceError("cannot read %s: %s" % (self.path, e.strerror or e)) from None
        with f:
            f.seek(HEADER_SIZE)
            pos, seq = HEADER_SIZE, 0
            while True:
                try:
                    prefix = f.read(4)
                    if len(prefix) < 4:
                        self.torn = len(prefix)
                        return
                    size = _u32(prefix, 0)[0]
                    _need(size <= MAX_CHUNK, "chunk at byte %d claims %d bytes" % (pos, size))
                    body = f.read(size)
                except OSError as e:
                    raise TraceError("cannot read %s: %s" % (self.path, e.strerror or e)) from None
                if len(body) < size:
                    self.torn = 4 + len(body)
                    return
                try:
                    chunk = parse_chunk(prefix + body)
                except TraceError as e:
                    raise TraceError("chunk %d at byte %d: %s" % (seq, pos, e)) from None
                _need(chunk.get("seq", seq) == seq, "chunk at byte %d has seq %s, expected %d"
                      % (pos, chunk.get("seq"), seq))
                yield pos, chunk
                pos += 4 + size
                seq += 1


class Value:
    """A decoded value: kind (a VALUE_KINDS name), type (its Python type's
    name), data (a Python scalar, str, bytes, or a list of child Values),
    length (the full length before truncation, for sized kinds) and flags."""

    __slots__ = ("kind", "type", "data", "length", "flags")

    def __init__(self, kind, type, data, length=None, flags=0):
        self.kind, self.type, self.data, self.length, self.flags = kind, type, data, length, flags

    @property
    def truncated(self):
        return bool(self.flags & 1)

    def __repr__(self):
        return "Value(%s, %s, %r)" % (self.kind, self.type, self.data)

    def to_python(self):
        """A plain Python object equal to the recorded one where the kind
        allows (containers as lists/tuples/dicts, instances as dicts)."""
        k, d = self.kind, self.data
        if k in ("List", "Set", "FrozenSet"):
            return [c.to_python() for c in d]
        if k in ("Tuple", "Range", "Slice"):
            return tuple(c.to_python() for c in d)
        if k == "Dict":
            return [(d[i].to_python(), d[i + 1].to_python()) for i in range(0, len(d), 2)]
        if k == "Instance":
            return {"__type__": self.type, **{d[i].data: d[i + 1].to_python() for i in range(0, len(d), 2)}}
        if k == "Exception":
            return {"__exception__": self.type, "args": d[0].to_python() if d else None}
        return d

    def render(self, limit=80):
        """A short human-readable rendering."""
        s = _render(self)
        return s if len(s) <= limit else s[:limit - 3] + "..."


def _render(v):
    k, d = v.kind, v.data
    more = "..." if v.truncated else ""
    if k in ("Null", "Bool", "Int", "BigInt", "Complex"):
        return repr(d)
    if k == "Float":
        return repr(d)
    if k in ("Str", "Bytes", "ByteArray"):
        return repr(d) + more
    if k in ("List", "Set", "FrozenSet", "Tuple"):
        o, c = {"List": "[]", "Tuple": "()"}.get(k, "{}")
        return o + ", ".join(_render(x) for x in d) + (", ..." if more else "") + c
    if k == "Dict":
        return "{" + ", ".join("%s: %s" % (_render(d[i]), _render(d[i + 1])) for i in range(0, len(d), 2)) + (", ..." if more else "") + "}"
    if k in ("Range", "Slice"):
        return "%s(%s)" % (k.lower(), ", ".join(_render(x) for x in d))
    if k == "Instance":
        return "%s(%s)" % (v.type, ", ".join("%s=%s" % (d[i].data, _render(d[i + 1])) for i in range(0, len(d), 2)))
    if k == "Exception":
        return "%s(%s)" % (v.type, _render(d[0]) if d else "")
    if k in ("Function", "Class", "Module", "Method", "Builtin"):
        return "<%s %s>" % (k.lower(), d)
    if k == "Ref":
        return "<ref>"
    if k == "Elided":
        return "<%s of %s>" % (v.type, v.length)
    if k == "Redacted":
        return "<redacted>"
    return "<%s %s>" % (k.lower(), v.type)


class Chunk:
    """One decoded chunk with its pools; decodes the value trees it holds."""

    def __init__(self, raw, types):
        self.raw, self.types = raw, types
        self.values, self.data = raw["values"], raw["data"]

    def value(self, index):
        """The Value whose root node is at `index` (None: not recorded)."""
        if index == NOT_RECORDED:
            return None
        _need(index < len(self.values), "value index %d out of %d nodes" % (index, len(self.values)))
        v, _ = self._node(index, index, 0)
        return v

    def _text(self, a, n):
        _need(0 <= a and a + n <= len(self.data), "text [%d:%d] outside the data pool" % (a, a + n))
        return self.data[a:a + n]

    def _node(self, root, i, depth):
        _need(i < len(self.values), "value tree runs past the values pool")
        _need(depth <= 10000, "value tree too deep")
        a, b, n, type_id, kind_id, flags = self.values[i]
        _need(kind_id < len(VALUE_KINDS), "unknown value kind %d" % kind_id)
        kind = VALUE_KINDS[kind_id]
        _need(type_id in self.types, "value uses undefined type id %d" % type_id)
        type = self.types[type_id]
        nxt = i + 1
        if kind in ("Null", "Missing", "Redacted", "Opaque"):
            return Value(kind, type, None, flags=flags), nxt
        if kind == "Bool":
            return Value(kind, type, bool(a), flags=flags), nxt
        if kind == "Int":
            return Value(kind, type, a, flags=flags), nxt
        if kind == "Float":
            return Value(kind, type, _f64.unpack(_i64.pack(a))[0], flags=flags), nxt
        if kind == "Complex":
            return Value(kind, type, complex(_f64.unpack(_i64.pack(a))[0], _f64.unpack(_i64.pack(b))[0]), flags=flags), nxt
        if kind == "BigInt":
            raw = self._text(a, n)
            return Value(kind, type, int.from_bytes(raw, "little", signed=True) if raw else None, b, flags), nxt
        if kind == "Str":
            return Value(kind, type, _utf8(self._text(a, n), "a str value"), b, flags), nxt
        if kind in ("Bytes", "ByteArray"):
            return Value(kind, type, bytes(self._text(a, n)), b, flags), nxt
        if kind in ("Function", "Class", "Module", "Method", "Builtin"):
            return Value(kind, type, self._text(a, n).decode("utf-8", "replace"), flags=flags), nxt
        if kind == "Ref":
            _need(0 <= a < i - root, "back-reference to a later node")
            return Value(kind, type, a, flags=flags), nxt
        if kind == "Elided":
            return Value(kind, type, None, b, flags), nxt
        children = []
        for _ in range(n):
            c, nxt = self._node(root, nxt, depth + 1)
            children.append(c)
        return Value(kind, type, children, b, flags), nxt


class Record:
    """One record: kind (a RECORDS name), fields (dict), thread (the trace's
    number of the thread it belongs to), chunk (its Chunk, to decode values)."""

    __slots__ = ("kind", "fields", "thread", "chunk")

    def __init__(self, kind, fields, thread, chunk):
        self.kind, self.fields, self.thread, self.chunk = kind, fields, thread, chunk

    def __getitem__(self, name):
        return self.fields[name]

    def value(self, field):
        return self.chunk.value(self.fields[field])

    def text(self, field):
        """The str of `text` field `field` (e.g. Output's "text")."""
        off, n = self.fields[field + "_off"], self.fields[field + "_len"]
        _need(off + n <= len(self.chunk.data), "%s text outside the data pool" % field)
        return _utf8(self.chunk.data[off:off + n], "%s %s text" % (self.kind, field))

    def __repr__(self):
        return "Record(%s, %r)" % (self.kind, self.fields)


class Output:
    """Program output (an Output record): `stream` "Stdout" or "Stderr",
    `text`, `thread`, and the step it belongs to: `step` (the Step record of
    the thread's innermost open activation that has had one; None when
    there is none) and
    `step_index` (its number in steps() order)."""

    __slots__ = ("stream", "text", "thread", "step", "step_index", "record")

    def __init__(self, stream, text, thread, step, step_index, record):
        self.stream, self.text, self.thread = stream, text, thread
        self.step, self.step_index, self.record = step, step_index, record

    def __repr__(self):
        return "Output(%s, %r, thread=%s, step=%s)" % (self.stream, self.text, self.thread, self.step_index)


class Function:
    __slots__ = ("id", "name", "path", "line")

    def __init__(self, id, name, path, line):
        self.id, self.name, self.path, self.line = id, name, path, line

    def __repr__(self):
        return "Function(%s, %s:%d)" % (self.name, self.path, self.line)


class Trace:
    """A trace directory (or an event file): records with ids resolved."""

    def __init__(self, path):
        if _os.path.isdir(path):
            self.dir = path
            events = _os.path.join(path, EVENTS_FILE)
            _need(_os.path.exists(events), "%s is not a ctgen-tracer trace (no %s)" % (path, EVENTS_FILE))
        else:
            self.dir, events = _os.path.dirname(path), path
        self.file = EventFile(events)
        self.metadata = {}
        meta = _os.path.join(self.dir, "trace_metadata.json")
        if _os.path.exists(meta):
            try:
                with open(meta, encoding="utf-8") as f:
                    self.metadata = _json.load(f)
            except (OSError, ValueError) as e:
                raise TraceError("cannot read %s: %s" % (meta, e)) from None
        self.paths, self.functions, self.types, self.names = {}, {}, {}, {}

    @property
    def torn(self):
        return self.file.torn

    def _text(self, chunk, fields, name):
        off, n = fields[name + "_off"], fields[name + "_len"]
        _need(off + n <= len(chunk.data), "%s text outside the data pool" % name)
        return _utf8(chunk.data[off:off + n], "a %s name" % name)

    def _define(self, chunk, kind, f):
        if kind == "PathDef":
            self.paths[f["id"]] = self._text(chunk, f, "path")
        elif kind == "FunctionDef":
            _need(f["path"] in self.paths, "function %d uses undefined path %d" % (f["id"], f["path"]))
            self.functions[f["id"]] = Function(f["id"], self._text(chunk, f, "name"), self.paths[f["path"]], f["line"])
        elif kind == "TypeDef":
            self.types[f["id"]] = self._text(chunk, f, "name")
        elif kind == "VarNameDef":
            self.names[f["id"]] = self._text(chunk, f, "name")

    def records(self):
        """Yield every Record in stream order; definitions are applied as
        they come, so trace.functions etc. are current at each record."""
        thread = None
        for _, raw in self.file.chunks():
            chunk = Chunk(raw, self.types)
            cursors = [0] * len(RECORDS)
            vectors = [raw[CHUNK_FIELDS[_FIRST_RECORD_FIELD + i][0]] for i in range(len(RECORDS))]
            for k in raw["kinds"]:
                _need(k < len(RECORDS), "unknown record kind %d" % k)
                name, fields = RECORDS[k][0], RECORDS[k][1]
                vec = vectors[k]
                _need(cursors[k] < len(vec), "more %s kinds than %s records" % (name, name))
                f = dict(zip(fields, vec[cursors[k]]))
                cursors[k] += 1
                if name in ("PathDef", "FunctionDef", "TypeDef", "VarNameDef"):
                    self._define(chunk, name, f)
                elif name == "Thread":
                    if ThreadEvent.get(f["what"]) != "Exit":
                        thread = f["id"]
                    yield Record(name, f, f["id"], chunk)
                    continue
                yield Record(name, f, thread, chunk)

    def steps(self):
        """Yield (step, snapshot) for every Step record: snapshot maps each
        visible variable's name to its Value at the start of that line. The
        trace records only what changed since the activation's previous step
        (Var, Unset) -- at an activation's first Step, since its Call's Arg
        records; this rebuilds the full snapshot of every step."""
        for item in self.timeline():
            if type(item) is tuple:
                yield item

    def outputs(self):
        """Yield an Output for every Output record (program output), in
        stream order, with the step it belongs to."""
        for item in self.timeline():
            if type(item) is Output:
                yield item

    def timeline(self):
        """Yield, in stream order, (step, snapshot) for every Step (as
        steps() does) and an Output for every Output record."""
        stacks = {}
        step = snap = None
        count = 0
        for rec in self.records():
            k = rec.kind
            if k == "Arg":   # a Call's arguments: its variables before its first Step
                stack = stacks.get(rec.thread)
                if stack:
                    _need(rec["name"] in self.names, "Arg uses undefined name %d" % rec["name"])
                    stack[-1][0][self.names[rec["name"]]] = rec.value("value")
                continue
            if k == "Var" and step is not None:
                _need(rec["name"] in self.names, "Var uses undefined name %d" % rec["name"])
                snap[self.names[rec["name"]]] = rec.value("value")
                continue
            if k == "Unset" and step is not None:
                if rec["name"] == ALL_NAMES:
                    snap.clear()
                else:
                    _need(rec["name"] in self.names, "Unset uses undefined name %d" % rec["name"])
                    snap.pop(self.names[rec["name"]], None)
                continue
            if k.endswith("Def"):
                continue
            if step is not None:
                yield step, dict(snap)
                step = None
            stack = stacks.setdefault(rec.thread, [])
            if k in OPENS:
                stack.append([{}, None, None])      # snapshot, its last Step, that step's number
            elif k in CLOSES:
                if stack:
                    stack.pop()
            elif k == "Step":
                act = stack[-1] if stack else [{}, None, None]
                step, snap = rec, act[0]
                act[1], act[2] = rec, count
                count += 1
            elif k == "Output":
                at = next((a for a in reversed(stack) if a[1] is not None), None)
                yield Output(Stream.get(rec["stream"], str(rec["stream"])), rec.text("text"), rec.thread,
                             at[1] if at else None, at[2] if at else None, rec)
        if step is not None:
            yield step, dict(snap)
