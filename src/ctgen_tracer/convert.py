"""Convert a ctgen-tracer trace into CodeTracer's `runtime_tracing` JSON layout.

    python -m ctgen_tracer convert DIR --to codetracer -o OUT [--force]

writes OUT/trace.json (one JSON array of externally tagged events, one event
per line), OUT/trace_metadata.json and OUT/trace_paths.json. The rules the
output follows, and the mapping of every record and value kind, are in
docs/codetracer.md. The conversion streams: records are read one chunk at a
time and events are written as they are made; what it keeps is the id tables
(paths, functions, types, variable names) and, per thread, the open
activations with their current variable snapshots.
"""

import argparse
import base64
import json
import math
import os
import struct
import sys

from . import reader
from .errors import fail as _fail
from .trace_tables import VALUE_FLAG_REDACTED as REDACTED, VALUE_FLAG_TRUNCATED as TRUNCATED
from .tracedir import write_json

EVENTS_JSON = "trace.json"
METADATA_JSON = "trace_metadata.json"
PATHS_JSON = "trace_paths.json"
OUTPUTS = (EVENTS_JSON, METADATA_JSON, PATHS_JSON)
TMP = ".tmp"
MARKER = "ctgen-tracer convert"      # trace_metadata.json["converted_by"]: OUT is ours
JSON_OPTIONS = {"ensure_ascii": False, "allow_nan": False}   # how the JSON files are written

# runtime_tracing TypeKind numbers (codetracer_trace_types: TypeKind, repr u8).
TK_SEQ, TK_HASHSET, TK_STRUCT, TK_INT, TK_FLOAT, TK_STRING, TK_BOOL = 0, 2, 6, 7, 8, 9, 12
TK_RAW, TK_RECURSION, TK_FUNCTION, TK_TYPEVALUE, TK_TUPLE, TK_NONE, TK_NONEXPANDED = 16, 15, 25, 26, 27, 30, 31
# EventLogKind numbers.
EV_WRITE, EV_WRITE_OTHER, EV_ERROR, EV_TRACE_LOG = 0, 2, 11, 12
OUTPUT_KINDS = {"Stdout": EV_WRITE, "Stderr": EV_WRITE_OTHER}   # Output records by stream

TOPLEVEL = "<toplevel>"
THROWN = "<exception>"              # the argument of the Call a Throw becomes

NAMED = {"Function": TK_FUNCTION, "Method": TK_FUNCTION, "Builtin": TK_FUNCTION,
         "Class": TK_TYPEVALUE, "Module": TK_RAW}
LOG_RECORDS = {"Raise": "raise", "Reraise": "reraise", "Handled": "handled",
               "NativeCall": "native call", "NativeReturn": "native return",
               "NativeRaise": "native raise", "StopIter": "stop iteration"}
DEFS = frozenset(reader.DEFINITIONS)   # id definitions

_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False,
                          separators=(",", ":")).encode


_string = json.encoder.py_encode_basestring if json.encoder.c_encode_basestring is None \
    else json.encoder.c_encode_basestring
_float_bits = struct.Struct("<q")
_double = struct.Struct("<d")

# Value kinds by name (reader.VALUE_KINDS, from the spec).
_KIND_CODES = reader.VALUE_KINDS
K_NULL, K_BOOL, K_INT, K_BIGINT, K_FLOAT, K_COMPLEX, K_STR = "Null", "Bool", "Int", "BigInt", "Float", "Complex", "Str"
K_TUPLE, K_INSTANCE, K_EXCEPTION, K_REF = "Tuple", "Instance", "Exception", "Ref"
K_ELIDED, K_REDACTED, K_MISSING, K_OPAQUE = "Elided", "Redacted", "Missing", "Opaque"
K_DICTS = frozenset({"Dict", "FrozenDict"})      # key, value pairs (FrozenDict: CPython 3.15+)
K_SEQUENCES = frozenset({"List", "Set", "FrozenSet", "Tuple"}) | K_DICTS
K_SETS = frozenset({"Set", "FrozenSet"})
K_NAMED = frozenset(NAMED)
K_STRUCTS = frozenset({"Instance", "Exception", "Range", "Slice", "Complex"})
K_BYTES = frozenset({"Bytes", "ByteArray"})


def _bits(a):
    return _double.unpack(_float_bits.pack(a))[0]


class ConvertError(Exception):
    """The conversion cannot be done: the message says why."""


def clean(s):
    """s with lone surrogates (kept by the reader's surrogatepass decoding,
    invalid in UTF-8 and rejected by serde_json) replaced by U+FFFD."""
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in s)


def float_text(x):
    """A float as runtime_tracing writes it: a string, "inf", "-inf", "nan"."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def bigint_fields(n):
    """(b, negative) of a BigInt: base64 (standard, padded) of the big-endian
    magnitude."""
    mag = abs(n)
    raw = mag.to_bytes(max(1, (mag.bit_length() + 7) // 8), "big")
    return base64.b64encode(raw).decode("ascii"), n < 0


class Converter:
    """Turns the records of one trace into runtime_tracing events, written
    to `out` (a text file) as they are made."""

    def __init__(self, trace, out, program, workdir):
        self.trace, self.out, self.workdir = trace, out, workdir
        self.events = 0
        self.first = True
        self.paths = {}        # path text -> PathId
        self.path_list = []
        self.path_of = {}      # our path id -> PathId
        self.fn_keys = {}      # (PathId, line, name) -> FunctionId
        self.fn_info = []      # FunctionId -> (PathId, line)
        self.fn_of = {}        # our function id -> FunctionId
        self.types = {}        # (kind, lang_type, specific_info json) -> TypeId
        self.var_ids = {}      # name -> VariableId
        self.var_of = {}       # our name id -> VariableId
        self.stacks = {}       # thread -> [snapshot dict VariableId -> value JSON]
        self.where = {}        # thread -> (PathId, line) of its last Step
        self.outputs = 0
        self.started, self.exited = set(), set()
        self.thread = None     # the thread of the last emitted event (None: none yet)
        self.main = None
        self.toplevel_open = False
        self.pending = None    # a Step or Call waiting for its Var / Arg records
        self.exit = None       # (status, exception Value or None)
        self.dropped = 0
        self._node_types = {}
        opts = trace.metadata.get("options") if isinstance(trace.metadata, dict) else None
        self.values_on = not isinstance(opts, dict) or opts.get("values", True) is not False
        self._structs = {}     # (our type id, field names, field TypeIds) -> TypeId
        self.none_type = self.type_id(TK_NONE, "None")
        assert self.none_type == 0
        self.top_path = self.path_id(program or "")
        self.emit('{"Function":%s}' % _dumps({"path_id": self.top_path, "line": 1, "name": TOPLEVEL}))
        self.fn_keys[(self.top_path, 1, TOPLEVEL)] = 0
        self.fn_info.append((self.top_path, 1))
        r = self.marker("<redacted>", "Redacted")
        self._redacted = _dumps(r), r["type_id"]
        r = self.marker("<missing>", "Missing")
        self._missing = _dumps(r), r["type_id"]
        self._not_recorded = _dumps(self.marker("<not recorded>", "NotRecorded"))

    # ---- output ----

    def emit(self, text):
        self.out.write(("[\n" if self.first else ",\n") + text)
        self.first = False
        self.events += 1

    def finish_array(self):
        self.out.write("[]\n" if self.first else "\n]\n")

    # ---- id tables ----

    def path_id(self, path):
        path = clean(path)
        if path and not path.startswith("<") and not os.path.isabs(path) and self.workdir:
            path = os.path.normpath(os.path.join(self.workdir, path))
        pid = self.paths.get(path)
        if pid is None:
            pid = self.paths[path] = len(self.path_list)
            self.path_list.append(path)
            self.emit('{"Path":%s}' % _dumps(path))
        return pid

    def type_id(self, kind, lang_type, specific=None):
        key = (kind, lang_type, specific and _dumps(specific))
        tid = self.types.get(key)
        if tid is None:
            tid = self.types[key] = len(self.types)
            self.emit('{"Type":%s}' % _dumps({"kind": kind, "lang_type": clean(lang_type),
                                              "specific_info": specific or {"kind": "None"}}))
        return tid

    def variable_id(self, name):
        vid = self.var_ids.get(name)
        if vid is None:
            vid = self.var_ids[name] = len(self.var_ids)
            self.emit('{"VariableName":%s}' % _dumps(clean(name)))
        return vid

    def define(self, kind, f):
        t = self.trace
        if kind == "PathDef":
            self.path_of[f["id"]] = self.path_id(t.paths[f["id"]])
        elif kind == "FunctionDef":
            fn = t.functions[f["id"]]
            pid = self.path_of[f["path"]]
            line = max(1, fn.line)
            key = (pid, line, clean(fn.name))
            fid = self.fn_keys.get(key)
            if fid is None:
                fid = self.fn_keys[key] = len(self.fn_info)
                self.fn_info.append((pid, line))
                self.emit('{"Function":%s}' % _dumps({"path_id": pid, "line": line, "name": key[2]}))
            self.fn_of[f["id"]] = fid
        elif kind == "VarNameDef":
            self.var_of[f["id"]] = self.variable_id(t.names[f["id"]])

    def var(self, name_id):
        vid = self.var_of.get(name_id)
        if vid is None:
            raise reader.TraceError("a record uses undefined variable name %d" % name_id)
        return vid

    def function(self, fn):
        fid = self.fn_of.get(fn)
        if fid is None:
            raise reader.TraceError("a record uses undefined function %d" % fn)
        return fid

    # ---- values ----

    def marker(self, msg, lang_type):
        """An Error value: something that is not the program's value."""
        return {"kind": "Error", "msg": msg, "type_id": self.type_id(TK_RAW, lang_type)}

    # ---- values, straight from the chunk's value nodes (the fast path) ----

    def node_type(self, kind, our):
        """TypeId of kind `kind` for our type id `our` (cached)."""
        key = (kind, our)
        tid = self._node_types.get(key)
        if tid is None:
            name = self.trace.types.get(our)
            if name is None:
                raise reader.TraceError("value uses undefined type id %d" % our)
            tid = self._node_types[key] = self.type_id(kind, name)
        return tid

    def tree_json(self, chunk, root):
        """The ValueRecord JSON text of the value tree at node `root` of
        `chunk`: what value() makes of the reader's Value, without building
        the Value (see docs/codetracer.md for the mapping)."""
        if root == reader.NOT_RECORDED:
            return self._not_recorded
        values, data, types = chunk.values, chunk.data, self.trace.types
        nvalues, ndata = len(values), len(data)
        done = []                   # pre-order: (text, type id), None while in progress
        T = self.node_type
        kinds = _KIND_CODES

        def text(a, n):
            if a < 0 or a + n > ndata:
                raise reader.TraceError("text [%d:%d] outside the data pool" % (a, a + n))
            return data[a:a + n]

        def conv(i, depth):
            if i >= nvalues:
                raise reader.TraceError("value tree runs past the values pool")
            if depth > 500:
                raise reader.TraceError("value tree too deep")
            a, b, n, our, kind_id, flags = values[i]
            me = len(done)
            done.append(None)
            k = kinds[kind_id] if kind_id < len(kinds) else None
            nxt = i + 1
            if our not in types:
                raise reader.TraceError("value uses undefined type id %d" % our)
            if flags & REDACTED or k == K_REDACTED:
                r = self._redacted
            elif k == K_NULL:
                r = '{"kind":"None","type_id":0}', 0
            elif k == K_INT:
                tid = T(TK_INT, our)
                r = '{"kind":"Int","i":%d,"type_id":%d}' % (a, tid), tid
            elif k == K_BOOL:
                tid = T(TK_BOOL, our)
                r = '{"kind":"Bool","b":%s,"type_id":%d}' % ("true" if a else "false", tid), tid
            elif k == K_FLOAT:
                tid = T(TK_FLOAT, our)
                r = '{"kind":"Float","f":"%s","type_id":%d}' % (float_text(_bits(a)), tid), tid
            elif k == K_STR:
                raw = text(a, n)
                try:
                    t = raw.decode("utf-8")
                except UnicodeDecodeError:
                    t = clean(reader._utf8(raw, "a str value"))
                if flags & TRUNCATED:
                    t += "\u2026"
                tid = T(TK_STRING, our)
                r = '{"kind":"String","text":%s,"type_id":%d}' % (_string(t), tid), tid
            elif k in K_SEQUENCES:     # List, Set, FrozenSet, Dict, FrozenDict, Tuple
                parts = []
                if k in K_DICTS:
                    pt = None
                    for _ in range(n // 2):
                        kt, nxt = conv(nxt, depth + 1)
                        vt, nxt = conv(nxt, depth + 1)
                        if pt is None:
                            pt = self.type_id(TK_TUPLE, "tuple")
                        parts.append('{"kind":"Tuple","elements":[%s,%s],"type_id":%d}' % (kt[0], vt[0], pt))
                    if n % 2:
                        _, nxt = conv(nxt, depth + 1)
                else:
                    for _ in range(n):
                        ct, nxt = conv(nxt, depth + 1)
                        parts.append(ct[0])
                if k == K_TUPLE and not flags & TRUNCATED:
                    tid = T(TK_TUPLE, our)
                    r = '{"kind":"Tuple","elements":[%s],"type_id":%d}' % (",".join(parts), tid), tid
                else:
                    tid = T(TK_HASHSET if k in K_SETS else TK_SEQ, our)
                    r = ('{"kind":"Sequence","elements":[%s],"is_slice":%s,"type_id":%d}'
                         % (",".join(parts), "true" if flags & TRUNCATED else "false", tid), tid)
            elif k in K_NAMED:
                tid = T(NAMED[k], our)
                name = text(a, n).decode("utf-8", "replace")
                r = '{"kind":"Raw","r":%s,"type_id":%d}' % (_string("<%s %s>" % (k.lower(), name)), tid), tid
            elif k in K_STRUCTS:        # Instance, Exception, Range, Slice, Complex
                names, parts, ftypes = [], [], []
                if k == K_COMPLEX:
                    ft = self.type_id(TK_FLOAT, "float")
                    parts = ['{"kind":"Float","f":"%s","type_id":%d}' % (float_text(_bits(x)), ft) for x in (a, b)]
                    names, ftypes = ["real", "imag"], [ft, ft]
                elif k == K_INSTANCE:
                    for _ in range(n // 2):
                        if nxt >= nvalues:
                            raise reader.TraceError("value tree runs past the values pool")
                        na, nb, nn, nt, nk, _f = values[nxt]
                        if nk < len(kinds) and kinds[nk] == K_STR and nt in types:
                            raw = text(na, nn)
                            try:
                                nm = raw.decode("utf-8")
                            except UnicodeDecodeError:
                                nm = reader._utf8(raw, "an attribute name")
                            done.append(None)   # a leaf no Ref can point to
                            nxt += 1
                        else:           # not a str: named by its rendering, as value() does
                            start = nxt
                            _, nxt = conv(nxt, depth + 1)
                            nm = chunk.value(start).render()
                        names.append(clean(nm))
                        ct, nxt = conv(nxt, depth + 1)
                        parts.append(ct[0])
                        ftypes.append(ct[1])
                    if n % 2:
                        _, nxt = conv(nxt, depth + 1)
                else:
                    for _ in range(n):
                        ct, nxt = conv(nxt, depth + 1)
                        parts.append(ct[0])
                        ftypes.append(ct[1])
                    if k == K_EXCEPTION:
                        first = values[i + 1][4] if n and i + 1 < nvalues else None
                        names = ["message" if first is not None and first < len(kinds)
                                 and kinds[first] == K_STR else "args"][:n]
                    else:
                        names = ["start", "stop", "step"][:n]
                skey = (our, tuple(names), tuple(ftypes))
                tid = self._structs.get(skey)
                if tid is None:
                    tid = self._structs[skey] = self.struct_type(types[our], names, ftypes)
                r = '{"kind":"Struct","field_values":[%s],"type_id":%d}' % (",".join(parts), tid), tid
            elif k == K_BIGINT:
                tid = T(TK_INT, our)
                raw = text(a, n)
                if not raw:
                    tid = T(TK_RAW, our)
                    r = '{"kind":"Raw","r":"<int of %d bytes>","type_id":%d}' % (b, tid), tid
                else:
                    v = int.from_bytes(raw, "little", signed=True)
                    if -2 ** 63 <= v < 2 ** 63:
                        r = '{"kind":"Int","i":%d,"type_id":%d}' % (v, tid), tid
                    else:
                        bb, neg = bigint_fields(v)
                        r = ('{"kind":"BigInt","b":"%s","negative":%s,"type_id":%d}'
                             % (bb, "true" if neg else "false", tid), tid)
            elif k in K_BYTES:
                tid = T(TK_RAW, our)
                raw = bytes(text(a, n))
                t = repr(raw) if k == "Bytes" else "bytearray(%r)" % raw
                r = '{"kind":"Raw","r":%s,"type_id":%d}' % (_string(t + ("\u2026" if flags & TRUNCATED else "")), tid), tid
            elif k == K_REF:
                if not 0 <= a < i - root:
                    raise reader.TraceError("back-reference to a later node")
                target = done[a] if a < len(done) else None
                if target is not None:
                    r = target
                else:
                    tid = T(TK_RECURSION, our)
                    r = '{"kind":"Raw","r":%s,"type_id":%d}' % (_string("<cycle: %s>" % clean(types[our])), tid), tid
            elif k == K_ELIDED:
                tid = T(TK_NONEXPANDED, our)
                what = "%s with %d items" % (types[our], b) if b else types[our]
                r = '{"kind":"Raw","r":%s,"type_id":%d}' % (_string("<%s, not expanded>" % clean(what)), tid), tid
            elif k == K_MISSING:
                r = self._missing
            elif k == K_OPAQUE:
                tid = T(TK_RAW, our)
                r = '{"kind":"Raw","r":%s,"type_id":%d}' % (_string("<%s object>" % clean(types[our])), tid), tid
            else:
                raise reader.TraceError("unknown value kind %d" % kind_id)
            done[me] = r
            return r, nxt

        try:
            return conv(root, 0)[0][0]
        finally:
            conv = None             # break the closure's cycle: `done` is freed now, not by the GC

    def struct_type(self, name, fields, field_types):
        return self.type_id(TK_STRUCT, name, {"kind": "Struct", "fields": [
            {"name": n, "type_id": t} for n, t in zip(fields, field_types)]})

    def value_json(self, rec, field):
        return self.tree_json(rec.chunk, rec.fields[field])

    # ---- threads and activations ----

    def on_thread(self, t):
        """Make t the thread of the next events."""
        if t == self.thread:
            return
        if t is not None and t not in self.started:
            self.started.add(t)
            self.emit('{"ThreadStart":%d}' % t)
        elif t is not None:
            self.emit('{"ThreadSwitch":%d}' % t)
        self.thread = t

    def open_toplevel(self, t):
        if not self.toplevel_open and self.main is None:
            self.main = t
            self.toplevel_open = True
            self.emit('{"Call":{"function_id":0,"args":[]}}')
            self.stacks.setdefault(t, []).append({})

    def call(self, fid, args, variables=None):
        pid, line = self.fn_info[fid]
        self.emit('{"Step":{"path_id":%d,"line":%d}}' % (pid, line))
        self.emit('{"Call":{"function_id":%d,"args":[%s]}}' % (fid, ",".join(
            '{"variable_id":%d,"value":%s}' % a for a in args)))
        # variables before its first Step: a Call's are its arguments
        self.stacks.setdefault(self.thread, []).append(variables if variables is not None else {})

    def ret(self, value_json):
        st = self.stacks.get(self.thread)
        if not st or (self.thread == self.main and len(st) == 1 and self.toplevel_open):
            self.dropped += 1       # no activation to end (recording started inside it)
            return
        st.pop()
        self.emit('{"Return":{"return_value":%s}}' % value_json)

    def flush(self):
        p, self.pending = self.pending, None
        if p is None:
            return
        if p[0] == "call":
            self.call(p[1], p[2], dict(p[2]))
        else:
            _, pid, line, snap = p
            self.emit('{"Step":{"path_id":%d,"line":%d}}' % (pid, line))
            for vid, vj in snap.items():
                self.emit('{"Value":{"variable_id":%d,"value":%s}}' % (vid, vj))

    def log(self, what, rec, field):
        v = rec.value(field)
        text = v.render(1000) if v is not None else "?"
        meta = {"record": rec.kind, "line": rec.fields.get("line"), "thread": rec.thread}
        self.emit('{"Event":%s}' % _dumps({"kind": EV_TRACE_LOG, "metadata": _dumps(meta),
                                            "content": clean("%s %s" % (what, text))}))

    def output(self, rec):
        """Program output: an Event Write (stdout) or WriteOther (stderr)
        where it was written, after the step it belongs to."""
        stream = reader.Stream[rec["stream"]]
        pid, line = self.where.get(rec.thread, (None, None))
        meta = {"stream": stream.lower(), "thread": rec.thread, "path_id": pid, "line": line}
        self.emit('{"Event":%s}' % _dumps({"kind": OUTPUT_KINDS[stream], "metadata": _dumps(meta),
                                            "content": clean(rec.text("text"))}))
        self.outputs += 1

    # ---- the stream ----

    def record(self, rec):
        k, f = rec.kind, rec.fields
        if k in DEFS:
            self.define(k, f)
            return
        p = self.pending
        if p is not None:
            if k == "Arg" and p[0] == "call":
                p[2].append((self.var(f["name"]), self.value_json(rec, "value")))
                return
            if k in ("Var", "Unset") and p[0] == "step":
                snap = p[3]
                if k == "Var":
                    snap[self.var(f["name"])] = self.value_json(rec, "value")
                elif f["name"] == reader.ALL_NAMES:
                    snap.clear()
                else:
                    snap.pop(self.var(f["name"]), None)
                return
            self.flush()
        if k in ("Arg", "Var", "Unset"):
            return                  # not after a Call / Step: nothing to attach it to
        t = rec.thread
        if k == "Thread":
            what = reader.ThreadEvent.get(f["what"])
            if what == "Exit":
                if t in self.started and t not in self.exited and t != self.main:
                    self.close_thread(t, "<thread exited>")
                    self.exited.add(t)
                    self.emit('{"ThreadExit":%d}' % t)
                    self.thread = None
                return
            self.on_thread(t)
            self.open_toplevel(t)
            return
        self.on_thread(t)
        self.open_toplevel(t)
        if k == "Step":
            fid = self.function(f["fn"])
            st = self.stacks.setdefault(t, [])
            if len(st) <= (1 if t == self.main else 0):
                self.call(fid, [])  # a Step outside any activation (recording started in it)
            pid, line = self.fn_info[fid]
            line = f["line"] if f["line"] >= 1 else line
            self.where[t] = (pid, line)
            self.pending = ("step", pid, line, st[-1])
        elif k == "Call":
            self.pending = ("call", self.function(f["fn"]), [])
        elif k == "Resume":
            self.call(self.function(f["fn"]), [])
        elif k == "Throw":
            self.call(self.function(f["fn"]), [(self.variable_id(THROWN), self.value_json(rec, "exc"))])
        elif k == "Return" and f["value"] == reader.NOT_RECORDED and self.values_on:
            self.ret(_dumps(self.marker("<still running when recording stopped>", "NotRecorded")))
        elif k in ("Return", "Yield"):
            self.ret(self.value_json(rec, "value"))
        elif k == "Unwind":
            self.ret(self.value_json(rec, "exc"))
        elif k in LOG_RECORDS:
            self.log(LOG_RECORDS[k], rec, "callable" if "callable" in f else "exc")
        elif k == "Output":
            self.output(rec)
        elif k == "Exit":
            self.exit = (f["status"], rec.value("exc"))
        else:
            self.dropped += 1       # Jump, Branch, Instruction: the Steps carry the control flow

    def close_thread(self, t, why):
        """Return from every activation still open on thread t (the trace
        ended, or the thread exited, while they ran)."""
        st = self.stacks.get(t) or []
        keep = 1 if t == self.main and self.toplevel_open else 0
        if len(st) > keep:
            self.on_thread(t)
            while len(st) > keep:
                st.pop()
                self.emit('{"Return":{"return_value":%s}}' % _dumps(self.marker(why, "NotRecorded")))

    def finish(self, metadata):
        self.flush()
        for t in sorted(set(self.stacks) | self.started, key=lambda x: (x is None, x or 0)):
            if t != self.main:
                self.close_thread(t, "<still running when the trace ended>")
                if t in self.started and t not in self.exited:
                    self.on_thread(t)
                    self.exited.add(t)
                    self.emit('{"ThreadExit":%d}' % t)
                    self.thread = None
        if self.main is None and not self.toplevel_open:
            self.open_toplevel(None)
        self.close_thread(self.main, "<still running when the trace ended>")
        self.on_thread(self.main)
        status, exc = self.exit if self.exit else (metadata.get("exit_status"), None)
        if exc is not None:
            msg = _message(exc)
            text = "%s: %s" % (exc.type, msg) if msg else exc.type
            self.emit('{"Event":%s}' % _dumps({"kind": EV_ERROR, "metadata": "", "content": clean(text)}))
        if isinstance(status, int) and not isinstance(status, bool):
            rv = {"kind": "Int", "i": status, "type_id": self.type_id(TK_INT, "int")}
        else:
            rv = self.marker("<no exit status: the trace ended early>", "NotRecorded")
        self.stacks[self.main].pop()
        self.toplevel_open = False
        self.emit('{"Return":{"return_value":%s}}' % _dumps(rv))
        if self.main in self.started and self.main not in self.exited:
            self.exited.add(self.main)
            self.emit('{"ThreadExit":%d}' % self.main)
        self.finish_array()
        return status, exc


def _message(exc):
    """The text Python prints after the exception's type name."""
    if exc.kind != "Exception" or not exc.data:
        return exc.render(1000)
    m = exc.data[0]
    if m.kind == "Str":
        return repr(m.data) if exc.type == "KeyError" else m.data
    if m.kind == "Tuple" and len(m.data) == 1 and m.data[0].kind == "Str":
        return m.data[0].data
    return m.render(1000) if m.kind != "Tuple" or m.data else ""


def _is_previous_conversion(out):
    entries = set(os.listdir(out))
    if not entries:
        return True
    if not entries <= set(OUTPUTS) | {n + TMP for n in OUTPUTS}:
        return False
    meta = os.path.join(out, METADATA_JSON)
    if not os.path.exists(meta):
        return True
    try:
        with open(meta, encoding="utf-8") as f:
            return json.load(f).get("converted_by") == MARKER
    except (OSError, ValueError, AttributeError):
        return False


def convert(src, out, force=False):
    """Convert trace directory src into out. Returns a summary dict; raises
    ConvertError or reader.TraceError."""
    if not os.path.isdir(src):
        raise ConvertError("%s is not a directory" % src)
    trace = reader.Trace(src)
    if os.path.exists(out):
        if not os.path.isdir(out):
            raise ConvertError("%s exists and is not a directory" % out)
        if os.path.samefile(out, src):
            raise ConvertError("the output directory %s is the trace directory itself" % out)
        if not force and not _is_previous_conversion(out):
            raise ConvertError("%s is not empty and holds no CodeTracer conversion; "
                               "choose another directory or use --force" % out)
    meta = trace.metadata if isinstance(trace.metadata, dict) else {}
    workdir = meta.get("workdir") if isinstance(meta.get("workdir"), str) else os.path.abspath(src)
    program = meta.get("program") if isinstance(meta.get("program"), str) else ""
    args = meta.get("args") if isinstance(meta.get("args"), list) else []
    tmp = {n: os.path.join(out, n + TMP) for n in OUTPUTS}
    try:
        os.makedirs(out, exist_ok=True)
        out_meta = {"workdir": clean(workdir), "program": clean(program),
                    "args": [clean(str(a)) for a in args], "converted_by": MARKER,
                    "source_trace": clean(os.path.abspath(src))}
        write_json(tmp[METADATA_JSON], out_meta, **JSON_OPTIONS)
        with open(tmp[EVENTS_JSON], "w", encoding="utf-8", buffering=1 << 20) as f:
            conv = Converter(trace, f, program, workdir)
            for rec in trace.records():
                conv.record(rec)
            status, exc = conv.finish(meta)
        write_json(tmp[PATHS_JSON], conv.path_list, **JSON_OPTIONS)
        label = None
        if exc is not None:
            label = "uncaught %s" % exc.type
        elif meta.get("recording_error"):
            label = clean("recording stopped early: %s" % meta["recording_error"])
        out_meta["process_exit_status"] = {"code": status, "label": label}
        recorder = meta.get("recorder") if isinstance(meta.get("recorder"), dict) else {}
        python = meta.get("python") if isinstance(meta.get("python"), dict) else {}

        def text(v):   # a metadata string as the output may hold it (no lone surrogates)
            return clean(v) if isinstance(v, str) else None
        out_meta["recorder"] = {"name": text(recorder.get("name", "ctgen-tracer")),
                                "version": text(recorder.get("version")),
                                "python": text(python.get("version"))}
        write_json(tmp[METADATA_JSON], out_meta, **JSON_OPTIONS)
        for n in (EVENTS_JSON, PATHS_JSON, METADATA_JSON):
            os.replace(tmp[n], os.path.join(out, n))
    except BaseException:
        for p in tmp.values():
            try:
                os.remove(p)
            except OSError:
                pass
        raise
    return {"events": conv.events, "paths": len(conv.path_list), "functions": len(conv.fn_info),
            "types": len(conv.types), "variables": len(conv.var_ids), "dropped": conv.dropped,
            "torn": trace.torn}


def main(argv):
    p = argparse.ArgumentParser(prog="python -m ctgen_tracer convert",
                                description="Convert a trace for another tool.")
    p.add_argument("dir", help="the ctgen-tracer trace directory")
    p.add_argument("--to", required=True, choices=["codetracer"],
                   help="output format: codetracer (runtime_tracing JSON: trace.json, "
                        "trace_metadata.json, trace_paths.json)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output directory")
    p.add_argument("--force", action="store_true",
                   help="write into OUT even if it holds other files")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    a = p.parse_args(argv)
    try:
        s = convert(a.dir, a.output, a.force)
    except (ConvertError, reader.TraceError) as e:
        return _fail(str(e))
    except OSError as e:
        return _fail("cannot write %s: %s" % (e.filename or a.output, e.strerror or e))
    except RecursionError:
        return _fail("%s: a value is nested too deeply to convert" % a.dir)
    except Exception as e:   # a trace that reads but makes no sense: still one line
        return _fail("cannot convert %s: %s: %s" % (a.dir, type(e).__name__, e))
    if s["torn"]:
        print("ctgen-tracer: warning: %s ends with a torn chunk of %d bytes (lost); "
              "activations it left open were closed" % (a.dir, s["torn"]), file=sys.stderr)
    if not a.quiet:
        print("ctgen-tracer: %d events (%d paths, %d functions, %d types, %d variable names) in %s"
              % (s["events"], s["paths"], s["functions"], s["types"], s["variables"], a.output),
              file=sys.stderr)
    return 0

