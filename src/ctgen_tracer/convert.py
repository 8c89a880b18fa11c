"""Convert a ctgen-tracer trace into CodeTracer's `runtime_tracing` JSON layout.

    python -m ctgen_tracer convert DIR --to codetracer -o OUT [--force]

writes OUT/trace.json (one JSON array of externally tagged events, one event
per line), OUT/trace_metadata.json and OUT/trace_paths.json. The rules the
output follows, and the mapping of every record and value kind, are in
docs/codetracer.md. The conversion streams: records are read one chunk at a
time and events are written as they are made; what it keeps is the id tables
(paths, functions, types, variable names) and, per thread, the open
activations with their current variable snapshots. Converter is the state
machine; with the native module, the loop over a chunk's records runs in C
(src/convert_rows.c), doing the commonest records itself and handing the
others to Converter.row, which is the reference it is tested against.
"""

import argparse
import base64
import codecs
import hashlib
import json
import math
import os
import re
import shutil
import sys

from .progress import Progress
from . import reader, sources
from .errors import fail as _fail
from .trace_tables import VALUE_FLAG_REDACTED as REDACTED, VALUE_FLAG_TRUNCATED as TRUNCATED
from .tracedir import add_dir_argument, write_json

EVENTS_JSON = "trace.json"
METADATA_JSON = "trace_metadata.json"
PATHS_JSON = "trace_paths.json"
OUTPUTS = (EVENTS_JSON, METADATA_JSON, PATHS_JSON)
FILES = "files"         # OUT/files: the sources of code compiled from strings
CODETRACER_VERSIONS = (None, "25.11")   # --codetracer-version: None is the current format
LOAD_FACTOR = 17        # CodeTracer needs about this many times trace.json's size in memory
TMP = ".tmp"
MARKER = "ctgen-tracer convert"      # trace_metadata.json["converted_by"]: OUT is ours

# runtime_tracing TypeKind numbers (codetracer_trace_types: TypeKind, repr u8).
TK_SEQ, TK_HASHSET, TK_STRUCT, TK_INT, TK_FLOAT, TK_STRING, TK_BOOL = 0, 2, 6, 7, 8, 9, 12
TK_RAW, TK_RECURSION, TK_FUNCTION, TK_TYPEVALUE, TK_TUPLE, TK_NONE, TK_NONEXPANDED = 16, 15, 25, 26, 27, 30, 31
# EventLogKind numbers. 12 (TraceLogEvent) is not used: it is CodeTracer's
# tracepoint output (docs/codetracer.md, "Exception events").
EV_WRITE, EV_WRITE_OTHER, EV_ERROR = 0, 2, 11
OUTPUT_KINDS = {"Stdout": EV_WRITE, "Stderr": EV_WRITE_OTHER}   # Output records by stream

TOPLEVEL = "<toplevel>"
THROWN = "<exception>"              # the argument of the Call a Throw becomes

# A value kind's `codetracer` type (spec/events.spec) -> its TypeKind number.
TYPE_KINDS = {"Seq": TK_SEQ, "HashSet": TK_HASHSET, "Struct": TK_STRUCT, "Int": TK_INT,
              "Float": TK_FLOAT, "String": TK_STRING, "Bool": TK_BOOL, "Raw": TK_RAW,
              "Recursion": TK_RECURSION, "Function": TK_FUNCTION, "TypeValue": TK_TYPEVALUE,
              "Tuple": TK_TUPLE, "None": TK_NONE, "NonExpanded": TK_NONEXPANDED}
# Exception records: Event Error, content "<what> <exception or callable>".
EXCEPTION_RECORDS = {"Raise": "raise", "Reraise": "reraise", "Handled": "handled",
                     "NativeRaise": "native raise"}
DEFS = frozenset(reader.DEFINITIONS)   # id definitions
# Trace.rows() gives each record as (kind index, fields tuple): the names
# and the fields' places, from the spec's tables (reader.RECORDS)
_NAMES = tuple(r[0] for r in reader.RECORDS)
_KIND = {name: k for k, name in enumerate(_NAMES)}
_AT = {r[0]: {f: i for i, f in enumerate(r[1])} for r in reader.RECORDS}
STEP, CALL, ARG, VAR, UNSET = (_KIND[n] for n in ("Step", "Call", "Arg", "Var", "Unset"))
RETURN, YIELD = _KIND["Return"], _KIND["Yield"]
STEP_FN, STEP_LINE, CALL_FN = _AT["Step"]["fn"], _AT["Step"]["line"], _AT["Call"]["fn"]
ARG_NAME, ARG_VALUE, VAR_NAME, VAR_VALUE = (_AT[r][f] for r in ("Arg", "Var") for f in ("name", "value"))
UNSET_NAME, RETURN_VALUE, YIELD_VALUE = _AT["Unset"]["name"], _AT["Return"]["value"], _AT["Yield"]["value"]
RESUME, RESUME_FN, UNWIND, UNWIND_EXC = _KIND["Resume"], _AT["Resume"]["fn"], _KIND["Unwind"], _AT["Unwind"]["exc"]
_DEF_KINDS = frozenset(_KIND[n] for n in DEFS)

_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False,
                          separators=(",", ":")).encode


_string = json.encoder.py_encode_basestring if json.encoder.c_encode_basestring is None \
    else json.encoder.c_encode_basestring


def _scalar(x):
    """_dumps(x) of a str, an int or None, as json writes it."""
    if x is None:
        return "null"
    if type(x) is int:
        return int.__repr__(x)
    if type(x) is str:
        return _string(x)
    return _dumps(x)


# serde_json, which CodeTracer parses trace.json with, refuses JSON nested
# 128 levels deep. A value sits at most 6 levels down (trace.json's array,
# the Call event, its body, the args array, the {variable_id, value}
# record); its own nesting is capped at MAX_VALUE_NESTING levels: 100 in all.
MAX_VALUE_NESTING = 94
_TOO_DEEP = ("", 0, 1)      # a node below the cap (a Ref to it is marked too deep)


def _native_renderer():
    """The native module's value renderer (src/convert_json.c), set up with
    the spec's value layouts, or None without the native module."""
    try:
        from ._native import value_json, value_json_setup
    except ImportError:
        return None
    value_json_setup({lay.kind: (lay.layout, lay.encoding, lay.codetracer, lay.fields) for lay in reader.LAYOUTS},
                     (REDACTED, TRUNCATED, MAX_VALUE_NESTING, TK_INT, TK_STRING, TK_FLOAT, TK_BOOL,
                      TK_TUPLE, TK_SEQ, TK_HASHSET, TK_RECURSION, TK_NONEXPANDED))
    return value_json


_native_json = _native_renderer()
_native_objects_json = _native_kept = None
if _native_json is not None:
    from ._native import objects_json as _native_objects_json, ObjectsJsonCache as _native_kept


def _native_loop():
    """The native module's loop over a chunk's records (src/convert_rows.c),
    set up with the spec's record kinds and field places, or None."""
    try:
        from ._native import convert_rows, convert_rows_setup
    except ImportError:
        return None
    def compact_int(of):    # the compact record of `of` whose value is an int: (name, its type's name)
        return next((n, lay_type) for n, (o, field, kind, lay_type) in reader.COMPACT.items()
                    if o == of and reader.LAYOUT_OF[kind].layout == "int")
    compact, int_type = compact_int("Var")
    # an ArgInt's and a ReturnInt's value is converted as VarInt's: of the same type (else by Python)
    arg_int, ret_int, yield_int = ((_KIND[n] if t == int_type else -1)
                                   for n, t in (compact_int("Arg"), compact_int("Return"), compact_int("Yield")))
    line = next(((k, role[1][1]) for k, role in enumerate(reader._FN_ROLES)
                 if role is not None and role[0] == 3 and role[1][0] == STEP), (-1, -1))
    # a narrower record (format 10) is converted as the record of the same reading it narrows: a
    # ShortLine as the Line (the same part in what the chunk tells), a ShortVarInt as the VarInt (the
    # same compact record)
    alias = list(range(len(_NAMES)))
    for k, n in enumerate(_NAMES):
        if line[0] >= 0 and reader._FN_ROLES[k] == reader._FN_ROLES[line[0]]:
            alias[k] = line[0]
        for c in (_KIND[compact], arg_int, ret_int, yield_int):
            if c >= 0 and n in reader.COMPACT and reader.COMPACT[n] == reader.COMPACT[_NAMES[c]]:
                alias[k] = c
    convert_rows_setup(STEP, VAR, _KIND[compact], len(_NAMES), reader._ROW_PLAIN,
                       (TK_INT, reader.COMPACT[compact][3]), reader.NOT_RECORDED, reader.TraceError,
                       (STEP_FN, STEP_LINE, VAR_NAME, VAR_VALUE),
                       tuple(reader.VALUE_FIELDS.index(f) if f in reader.VALUE_FIELDS else -1
                             for f in ("a", "type", "kind", "flags")) + (len(reader.VALUE_FIELDS),),
                       [lay.layout == "int" for lay in reader.LAYOUTS],
                       line,
                       ((CALL, ARG, arg_int, RETURN, ret_int, YIELD, yield_int, RESUME, UNWIND),
                        (CALL_FN, ARG_NAME, ARG_VALUE, RETURN_VALUE, YIELD_VALUE, RESUME_FN, UNWIND_EXC), Act,
                        [k == ARG or k in _DEF_KINDS or reader.COMPACT.get(n, ("",))[0] == "Arg"
                         for k, n in enumerate(_NAMES)], Live),
                       alias)
    return convert_rows


class ConvertError(Exception):
    """The conversion cannot be done: the message says why."""


class Stop(Exception):
    """The conversion has what was asked for (--steps, --max-size)."""


class Sink:
    """trace.json's array of events, written to binary file f in UTF-8
    (lone surrogates as U+FFFD): the reference of the native module's Sink
    (src/convert_rows.c), which convert uses with it."""

    def __init__(self, f):
        self.f, self.first, self.events, self.chars = f, True, 0, 0

    def emit(self, text):
        self.f.write((("[\n" if self.first else ",\n") + text).encode("utf-8", SAFE))
        self.first = False
        self.events += 1
        self.chars += len(text) + 2

    def emit_all(self, texts):
        """emit() each of texts."""
        body = ",\n".join(texts)
        self.f.write((("[\n" if self.first else ",\n") + body).encode("utf-8", SAFE))
        self.first = False
        self.events += len(texts)
        self.chars += len(body) + 2

    def finish_array(self):
        self.f.write(b"[]\n" if self.first else b"\n]\n")


class Live:
    """A variable whose value refers to objects (trace format 4): its stored
    tree, its JSON as rendered when the objects it reads (`touched`) were as
    at `clock` (reader.Objects); rendered again once one of them changes."""
    __slots__ = ("chunk", "tree", "touched", "clock", "json")


_VALUE_EVENT = '{"Value":{"variable_id":%d,"value":%s}}'


def snap_entry(vid, value):
    """What an activation's snapshot holds for variable vid of value
    `value` (its JSON, or a Live): the Value event a Step writes for it, or
    the Live (its event is made at each Step, from its JSON then)."""
    return value if type(value) is Live else _VALUE_EVENT % (vid, value)


class Act:
    """An open activation: its variables (VariableId -> snap_entry()), the
    (PathId, line) its code is shown at, its FunctionId, whether the
    conversion selects it (--function, --thread) and whether its Call was
    written."""
    __slots__ = ("snap", "loc", "fid", "sel", "shown")

    def __init__(self, snap, loc, fid, sel, shown):
        self.snap, self.loc, self.fid, self.sel, self.shown = snap, loc, fid, sel, shown


_native_rows = _native_loop()
_native_sink = None
if _native_rows is not None:
    from ._native import Sink as _native_sink


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
    to `out` (a Sink) as they are made."""

    def __init__(self, trace, out, program, workdir, texts=None, files_dir=None, files_tmp=None):
        self.trace, self.out, self.workdir = trace, out, workdir
        self.texts = texts     # sources.Texts: the texts of code without a source file
        self.files_dir, self.files_tmp = files_dir, files_tmp
        self.files_written = set()
        self.sourceless = {}   # our function id -> name: code with no known source
        self.function_name = None      # --function: its activations and what they call
        self.thread_only = None        # --thread
        self.first_step, self.end_step = 0, None   # --steps A:B
        self.max_chars = None          # --max-size (in characters of trace.json)
        self.step_no = -1              # the current Step record's number
        self.steps_written = 0
        self.stopped = None            # why the conversion stopped before the trace's end
        self.float_numbers = False     # Float.f a JSON number (CodeTracer 25.11), not a string
        self.thread_events = True      # ThreadStart/Switch/Exit (not in CodeTracer 25.11)
        self.held = []         # exception Events of the current step, not written yet
        self.escaped = None    # the last exception that unwound into code not recorded (main thread)
        self.paths = {}        # path text -> PathId
        self.path_list = []
        self.path_of = {}      # our path id -> PathId
        self.fn_keys = {}      # (PathId, line, name) -> FunctionId
        self.fn_info = []      # FunctionId -> (PathId, line)
        self.fn_of = {}        # our function id -> FunctionId
        self.types = {}        # (kind, lang_type, specific_info json) -> TypeId
        self.var_ids = {}      # name -> VariableId
        self.var_of = {}       # our name id -> VariableId
        self.acts = reader.Activations()   # each thread's open activations (Act)
        self.where = {}        # thread -> (PathId, line) of its last Step
        self.outputs = 0
        self.started, self.exited = set(), set()
        self.thread = None     # the thread of the last emitted event (None: none yet)
        self.thread_now = None # the thread of the record being converted
        self.main = None
        self.toplevel_open = False
        self.pending = None    # a Step or Call waiting for its Var / Arg records
        self.exit = None       # (status, exception Value or None)
        self.dropped = 0
        self._node_types = {}
        opts = trace.metadata.get("options") if isinstance(trace.metadata, dict) else None
        self.values_on = not isinstance(opts, dict) or opts.get("values", True) is not False
        self._structs = {}     # (our type's name, field names, field TypeIds) -> TypeId
        self._json_chunk, self._json = None, {}    # the chunk whose trees _json holds: root -> text
        self._objects_json = {}    # (object id, max_depth, max_nodes) -> [touched, clock, JSON]: see rendered()
        self._native_ctx = None    # what _tree_json gives the native renderer (made at its first call)
        # the JSON of objects inside trees, kept per (object, depth) by _native_objects_json
        self._objects_kept = _native_kept() if _native_objects_json is not None else None
        self.none_type = self.type_id(TK_NONE, "None")
        assert self.none_type == 0
        self.top_path = self.path_id(program or "")
        self.emit('{"Function":%s}' % _dumps({"path_id": self.top_path, "line": 1, "name": TOPLEVEL}))
        self.fn_keys[(self.top_path, 1, TOPLEVEL)] = 0
        self.fn_info.append((self.top_path, 1))
        self._markers = {}     # value kind -> the Error marker of a kind converted to one
        for lay in reader.LAYOUTS:
            if lay.codetracer == "Error":
                r = self.marker(lay.render[0], lay.kind)
                self._markers[lay.kind] = _dumps(r), r["type_id"], 1
        # a value the Redacted flag marks: as the kind of that name (its value hidden)
        self._redacted = self._markers[reader.ValueFlag[REDACTED]]
        self._not_recorded = _dumps(self.marker("<not recorded>", "NotRecorded"))

    # ---- output ----

    def emit(self, text):
        self.out.emit(text)

    def emit_all(self, texts):
        self.out.emit_all(texts)

    def finish_array(self):
        self.out.finish_array()

    @property
    def events(self):
        return self.out.events

    @property
    def chars(self):
        """Characters written to trace.json."""
        return self.out.chars

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

    def function_at(self, pid, line, name):
        """The FunctionId of (path, line, name), defined when new."""
        key = (pid, line, clean(name))
        fid = self.fn_keys.get(key)
        if fid is None:
            fid = self.fn_keys[key] = len(self.fn_info)
            self.fn_info.append((pid, line))
            self.emit('{"Function":%s}' % _dumps({"path_id": pid, "line": line, "name": key[2]}))
        return fid

    def define(self, kind, f):
        t = self.trace
        if kind == "PathDef":
            path = t.paths[f["id"]]
            if is_pseudo(path):     # no file: see FunctionDef
                self.path_of[f["id"]] = path
            else:
                self.path_of[f["id"]] = self.path_id(path)
        elif kind == "FunctionDef":
            fn = t.functions[f["id"]]
            pid = self.path_of[f["path"]]
            line = max(1, fn.line)
            if type(pid) is str:    # a pseudo file: the text it was compiled from, if known
                text = self.texts.of(pid, fn.line, fn.name) if self.texts is not None else None
                if text is None:
                    self.sourceless[f["id"]] = fn.name
                    return
                pid = self.path_id(self.source_file(pid, text))
            self.fn_of[f["id"]] = self.function_at(pid, line, fn.name)
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
            name = self.sourceless.get(fn)
            if name is None:
                raise reader.TraceError("a record uses undefined function %d" % fn)
            fid = self.function_at(*self.caller_line(), name)
        return fid

    def caller_line(self):
        """(PathId, line) the code without source that runs now is shown
        at: the line of the nearest activation with a source that is
        running it (the program's first line when there is none)."""
        act = self.acts.top(self.thread_now)
        return act.loc if act else (self.top_path, 1)

    def source_file(self, pseudo, text):
        """The path of a file in OUT/files holding `text`, the source of code
        of pseudo file `pseudo` (written once; named after the pseudo name
        and the text's hash, so that distinct texts get distinct files)."""
        digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", pseudo.strip("<>")).strip("_.")[:40] or "code"
        name = "%s-%s.py" % (stem, digest)
        if name not in self.files_written:
            os.makedirs(self.files_tmp, exist_ok=True)
            with open(os.path.join(self.files_tmp, name), "w", encoding="utf-8", errors=SAFE) as f:
                f.write(text)
            self.files_written.add(name)
        return os.path.join(self.files_dir, name)

    # ---- values ----

    def marker(self, msg, lang_type):
        """An Error value: something that is not the program's value."""
        return {"kind": "Error", "msg": msg, "type_id": self.type_id(TK_RAW, lang_type)}

    # ---- values, straight from the chunk's value nodes (the fast path) ----

    def node_type(self, kind, name):
        """TypeId of kind `kind` for our type named `name` (cached)."""
        key = (kind, name)
        tid = self._node_types.get(key)
        if tid is None:
            tid = self._node_types[key] = self.type_id(kind, name)
        return tid

    def tree_json(self, chunk, root):
        """The ValueRecord JSON text of the value tree at node `root` of
        `chunk`, made from the Value the reader decodes (its one value
        decoder), by each kind's layout and CodeTracer type (see
        docs/codetracer.md for the mapping). The text nests at most
        MAX_VALUE_NESTING JSON levels: a container whose items would nest
        deeper is written as a NonExpanded marker."""
        if root == reader.NOT_RECORDED:
            return self._not_recorded
        if chunk is not self._json_chunk:
            self._json_chunk, self._json = chunk, {}
        text = self._json.get(root)
        if text is None:
            tree = chunk.value(root, keep=False, render=False)
            if chunk.refers_to_objects(root):   # a value from objects is the objects' as they are now
                text = self._from_objects(chunk.objects, tree)[0]
            else:
                text = self._json[root] = self._tree_json(tree)
        return text

    def var_value(self, chunk, root):
        """The value of an Arg or Var record (its value `root` in `chunk`):
        its JSON, or for one that refers to objects a Live, rendered again
        when they change."""
        if root == reader.NOT_RECORDED:
            return self._not_recorded
        if chunk is not self._json_chunk:
            self._json_chunk, self._json = chunk, {}
        text = self._json.get(root)        # a tree made before in this chunk (never one from objects)
        if text is not None:
            return text
        tree = chunk.value(root, render=False)
        if not chunk.refers_to_objects(root):
            text = self._json[root] = self._tree_json(tree)     # as tree_json() makes it
            return text
        live = Live()
        live.chunk, live.tree = chunk, tree
        live.touched, live.clock, live.json = self.rendered(chunk.objects, tree)
        return live

    def live_json(self, v):
        """The JSON of a variable's value (a Live rendered again if its objects changed)."""
        if type(v) is not Live:
            return v
        objs = v.chunk.objects
        if objs.stale(v.touched, v.clock):
            v.touched, v.clock, v.json = self.rendered(objs, v.tree)
        return v.json

    OBJECTS_JSON = 1024     # objects whose JSON rendered() keeps (memory stays flat)

    def rendered(self, objs, tree):
        """(the ids of the objects it reads, objs.clock, its JSON) of stored
        tree `tree` rendered from the objects (reader.Objects.render). A
        tree that is one Object node renders the same wherever it is met
        (from the root: no depth, node count or Ref comes from outside it),
        so its JSON is kept per (object, limits) and made again only once an
        object it read has changed: the variables of several activations
        that hold the same object (`self` down a chain of method calls)
        share one rendering."""
        key = (tree.data, objs.max_depth, objs.max_nodes) if tree.kind == "Object" else None
        kept = self._objects_json.get(key) if key is not None else None
        if kept is not None and not objs.stale(kept[0], kept[1]):
            return kept[0], objs.clock, kept[2]
        text, touched = self._from_objects(objs, tree)
        if key is not None:
            cache = self._objects_json
            if kept is None and len(cache) >= self.OBJECTS_JSON:
                del cache[next(iter(cache))]        # the oldest
            cache[key] = [touched, objs.clock, text]
        return touched, objs.clock, text

    def _from_objects(self, objs, tree):
        """(JSON, the ids of the objects it reads) of stored tree `tree`
        rendered from the objects: by the native module in one pass from
        the object table, each object's JSON kept in _objects_kept and
        copied where it is met again unchanged (src/convert_json.c,
        objects_json), else (a tree it leaves, or without it) rendered as
        Values (Objects.render) and their JSON made (_tree_json)."""
        if _native_objects_json is not None:
            made = _native_objects_json(tree, objs.table, objs.changed, objs.clock, objs.max_depth,
                                        objs.max_nodes, self._ctx(), self._objects_kept)
            if made is not None:
                return made
        value, touched = objs.render(tree)
        return self._tree_json(value), touched

    def _tree_json(self, value):
        """tree_json of a decoded Value (not kept: what it makes is): by
        the native module's renderer (src/convert_json.c) when it is there,
        else by _py_tree_json, the reference it is tested against."""
        if _native_json is not None:
            return _native_json(value, self._native_ctx or self._ctx())
        return self._py_tree_json(value)

    def _ctx(self):
        """What the native renderers are given of this Converter (made at their first call)."""
        ctx = self._native_ctx
        if ctx is None:
            ctx = self._native_ctx = (
                self._node_types, self.node_type, self.type_id, self._structs, self.struct_type,
                self._markers, self._redacted, self._leaf_json, self._too_deep_json, clean,
                bool(self.float_numbers))
        return ctx

    def _too_deep_json(self, kind, our, n):
        """(text, type id, height) of a container of kind `kind` whose
        items nest deeper than MAX_VALUE_NESTING: a NonExpanded marker."""
        tid = self.node_type(TK_NONEXPANDED, our)
        what = "%s with %d %s" % (our, n, "attributes" if reader.LAYOUT_OF[kind].layout == "attrs"
                                  else "items") if n else our
        return ('{"kind":"Raw","r":%s,"type_id":%d}' % (
            _string("<%s: nested deeper than CodeTracer reads>" % clean(what)), tid), tid, 1)

    def _leaf_json(self, v):
        """(text, type id, height) of leaf Value v (not redacted): the
        kinds _py_tree_json's conv() and the native renderer make here (the
        rarer leaves: text that is no str, complex, an elided container,
        a None-layout kind that is no None nor Error, an unknown layout)."""
        lay = reader.LAYOUT_OF[v.kind]
        form, our, flags, d = lay.layout, v.type, v.flags, v.data
        T = self.node_type
        if form == "int":
            tid = T(TK_INT, our)
            return '{"kind":"Int","i":%d,"type_id":%d}' % (d, tid), tid, 1
        if form == "text":
            enc = lay.encoding
            if enc == "utf8":
                t = d if d.isascii() else clean(d)
                if flags & TRUNCATED:
                    t += "\u2026"
                tid = T(TK_STRING, our)
                return '{"kind":"String","text":%s,"type_id":%d}' % (_string(t), tid), tid, 1
            if enc == "int":
                tid = T(TK_INT, our)
                if d is None:
                    tid = T(TK_RAW, our)
                    return '{"kind":"Raw","r":"<int of %d bytes>","type_id":%d}' % (v.length, tid), tid, 1
                if -2 ** 63 <= d < 2 ** 63:
                    return '{"kind":"Int","i":%d,"type_id":%d}' % (d, tid), tid, 1
                bb, neg = bigint_fields(d)
                return ('{"kind":"BigInt","b":"%s","negative":%s,"type_id":%d}'
                        % (bb, "true" if neg else "false", tid), tid, 1)
            # bytes, name: Raw text, by the kind's template
            tid = T(TYPE_KINDS[lay.codetracer], our)
            t = clean(reader.leaf_text(v))
            if flags & TRUNCATED and enc == "bytes":
                t += "\u2026"
            return '{"kind":"Raw","r":%s,"type_id":%d}' % (_string(t), tid), tid, 1
        if form == "float":
            return self.float_json(d, T(TK_FLOAT, our), our)
        if form == "bool":
            tid = T(TK_BOOL, our)
            return '{"kind":"Bool","b":%s,"type_id":%d}' % ("true" if d else "false", tid), tid, 1
        if form == "none":
            ct = lay.codetracer
            if ct == "None":
                return '{"kind":"None","type_id":0}', 0, 1
            if ct == "Error":
                return self._markers[v.kind]
            tid = T(TYPE_KINDS[ct], our)
            return '{"kind":"Raw","r":%s,"type_id":%d}' % (_string(clean(reader.leaf_text(v))), tid), tid, 1
        if form == "complex":
            ft = self.type_id(TK_FLOAT, "float")
            parts = [self.float_json(x, ft, None)[0] for x in (d.real, d.imag)]
            skey = (our, ("real", "imag"), (ft, ft))
            tid = self._structs.get(skey)
            if tid is None:
                tid = self._structs[skey] = self.struct_type(our, ["real", "imag"], [ft, ft])
            return '{"kind":"Struct","field_values":[%s],"type_id":%d}' % (",".join(parts), tid), tid, 3
        if form == "elided":
            tid = T(TK_NONEXPANDED, our)
            b = v.length
            what = "%s with %d items" % (our, b) if b else our
            return '{"kind":"Raw","r":%s,"type_id":%d}' % (_string("<%s, not expanded>" % clean(what)), tid), tid, 1
        raise reader.TraceError("value kind %s has layout %s, which convert does not know"
                                % (v.kind, form))

    def _py_tree_json(self, value):
        """_tree_json in Python (the native renderer's reference)."""
        if reader.LAYOUT_OF[value.kind].layout == "int" and not value.flags & REDACTED:   # conv()'s, at once
            tid = self._node_types.get((TK_INT, value.type)) or self.node_type(TK_INT, value.type)
            return '{"kind":"Int","i":%d,"type_id":%d}' % (value.data, tid)
        done = []                   # pre-order: (text, type id, JSON height); None while in progress
        T = self.node_type
        nt = self._node_types      # node_type's cache (a TypeId is never 0 here: 0 is None's)
        flt = self.float_json
        layout_of = reader.LAYOUT_OF
        markers = self._markers
        leaf = self._leaf_json
        too_deep = self._too_deep_json

        def skip(v, r):
            """Write r for container v, whose items are not written: the
            nodes below it are marked too deep (for Refs to them)."""
            me = len(done)
            stack = [v]
            while stack:
                x = stack.pop()
                done.append(_TOO_DEEP)
                if type(x.data) is list:
                    stack.extend(x.data)
            done[me] = r
            return r

        def conv(v, level):
            """(text, type id, height) of Value v, whose JSON object opens
            nesting level `level` of the value."""
            lay = layout_of[v.kind]
            form, our, flags, d = lay.layout, v.type, v.flags, v.data
            if lay.container and not flags & REDACTED \
                    and level + (4 if form == "pairs" else 2) > MAX_VALUE_NESTING:
                return skip(v, too_deep(v.kind, our, len(d) // 2 if lay.pairs else len(d)))
            me = len(done)
            done.append(None)
            if flags & REDACTED:
                r = self._redacted
                if lay.container:       # a redacted container: its items are not written
                    done.pop()
                    return skip(v, r)
            elif form == "int":
                tid = nt.get((TK_INT, our)) or T(TK_INT, our)
                r = '{"kind":"Int","i":%d,"type_id":%d}' % (d, tid), tid, 1
            elif form == "text" and lay.encoding == "utf8":
                t = d if d.isascii() else clean(d)
                if flags & TRUNCATED:
                    t += "\u2026"
                tid = nt.get((TK_STRING, our)) or T(TK_STRING, our)
                r = '{"kind":"String","text":%s,"type_id":%d}' % (_string(t), tid), tid, 1
            elif form == "items" or form == "tuple" or form == "pairs":
                parts, h = [], 0
                if form == "pairs":
                    pt = None
                    for j in range(0, len(d), 2):
                        kt = conv(d[j], level + 4)
                        vt = conv(d[j + 1], level + 4)
                        if pt is None:
                            pt = self.type_id(TK_TUPLE, "tuple")
                        parts.append('{"kind":"Tuple","elements":[%s,%s],"type_id":%d}' % (kt[0], vt[0], pt))
                        if kt[2] + 2 > h:
                            h = kt[2] + 2
                        if vt[2] + 2 > h:
                            h = vt[2] + 2
                else:
                    for c in d:
                        ct = conv(c, level + 2)
                        parts.append(ct[0])
                        if ct[2] > h:
                            h = ct[2]
                if form == "tuple" and not flags & TRUNCATED:
                    tid = nt.get((TK_TUPLE, our)) or T(TK_TUPLE, our)
                    r = '{"kind":"Tuple","elements":[%s],"type_id":%d}' % (",".join(parts), tid), tid, h + 2
                else:
                    tid = T(TK_HASHSET if lay.codetracer == "HashSet" else TK_SEQ, our)
                    r = ('{"kind":"Sequence","elements":[%s],"is_slice":%s,"type_id":%d}'
                         % (",".join(parts), "true" if flags & TRUNCATED else "false", tid), tid, h + 2)
            elif form == "float":
                r = flt(d, (nt.get((TK_FLOAT, our)) or T(TK_FLOAT, our)), our)
            elif form == "none" and lay.codetracer == "None":
                r = '{"kind":"None","type_id":0}', 0, 1
            elif form == "none" and lay.codetracer == "Error":
                r = markers[v.kind]
            elif form == "attrs" or form == "fields":
                names, parts, ftypes, h = [], [], [], 0
                if form == "attrs":
                    for j in range(0, len(d), 2):
                        name = d[j]
                        if layout_of[name.kind].encoding == "utf8":
                            nm = name.data
                            done.append(None)   # a leaf no Ref can point to
                        else:           # not a str: named by its rendering, as the reader shows it
                            conv(name, level + 2)
                            nm = name.render()
                        names.append(clean(nm))
                        ct = conv(d[j + 1], level + 2)
                        parts.append(ct[0])
                        ftypes.append(ct[1])
                        if ct[2] > h:
                            h = ct[2]
                else:
                    for c, (name, text_name) in zip(d, lay.fields):
                        ct = conv(c, level + 2)
                        parts.append(ct[0])
                        ftypes.append(ct[1])
                        if ct[2] > h:
                            h = ct[2]
                        names.append(text_name if layout_of[c.kind].encoding == "utf8" else name)
                skey = (our, tuple(names), tuple(ftypes))
                tid = self._structs.get(skey)
                if tid is None:
                    tid = self._structs[skey] = self.struct_type(our, names, ftypes)
                r = '{"kind":"Struct","field_values":[%s],"type_id":%d}' % (",".join(parts), tid), tid, h + 2
            elif form == "ref":
                target = done[d] if d < len(done) else None
                if target is _TOO_DEEP or (target is not None and level + target[2] - 1 > MAX_VALUE_NESTING):
                    r = too_deep(v.kind, our, 0)
                elif target is not None:
                    r = target
                else:
                    tid = nt.get((TK_RECURSION, our)) or T(TK_RECURSION, our)
                    r = '{"kind":"Raw","r":%s,"type_id":%d}' % (_string("<cycle: %s>" % clean(our)), tid), tid, 1
            else:
                r = leaf(v)
            done[me] = r
            return r

        try:
            return conv(value, 1)[0]
        finally:
            conv = skip = None      # break the closures' cycles: `done` is freed now, not by the GC

    def float_json(self, x, tid, our):
        """(text, type id, height) of the Float x of type tid: f a string
        (the current format), or a JSON number (--codetracer-version
        25.11), where inf and nan, which JSON numbers cannot hold, become
        Raw text of the same type."""
        if not self.float_numbers:
            return '{"kind":"Float","f":"%s","type_id":%d}' % (float_text(x), tid), tid, 1
        if math.isfinite(x):
            return '{"kind":"Float","f":%r,"type_id":%d}' % (x, tid), tid, 1
        return '{"kind":"Raw","r":"%s","type_id":%d}' % (float_text(x), tid), tid, 1

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
            self.thread_event('{"ThreadStart":%d}' % t)
        elif t is not None:
            self.thread_event('{"ThreadSwitch":%d}' % t)
        self.thread = t

    def thread_event(self, text):
        """ThreadStart, ThreadSwitch, ThreadExit: not for CodeTracer 25.11
        (runtime_tracing 0.14 has no thread events)."""
        if self.thread_events:
            self.emit(text)

    def open_toplevel(self, t):
        if not self.toplevel_open and self.main is None:
            self.main = t
            self.toplevel_open = True
            self.on_thread(t)
            self.emit('{"Call":{"function_id":0,"args":[]}}')
            sel = self.function_name is None and self.thread_only in (None, t)
            self.acts.open(t, Act({}, (self.top_path, 1), 0, sel, True))

    def in_window(self, call=False):
        """The current step (for a Call: the step after it) is in --steps."""
        n = self.step_no + (1 if call else 0)
        return self.first_step <= n and (self.end_step is None or n < self.end_step)

    def show(self, t):
        """Before an event of thread t is written: the thread is current and
        the Calls of its selected activations that are not written yet (they
        began before --steps' first step) are written, with no arguments."""
        self.on_thread(t)
        for act in self.acts.stacks.get(t, ()):
            if act.sel and not act.shown:
                act.shown = True
                pid, line = self.fn_info[act.fid]
                self.emit('{"Step":{"path_id":%d,"line":%d}}' % (pid, line))
                self.emit('{"Call":{"function_id":%d,"args":[]}}' % act.fid)

    def release(self):
        """Write the exception Events held back: a Step, an Output or the
        end comes (see exception_event)."""
        held, self.held = self.held, []
        for text in held:
            self.emit(text)

    def call(self, t, fid, name, args, variables=None):
        """An activation of fid (our function name `name`) starts on thread t."""
        parent = self.acts.top(t)
        sel = self.thread_only in (None, t) and (
            self.function_name is None or name == self.function_name
            or (parent is not None and parent.sel))
        shown = sel and self.in_window(call=True)
        pid, line = self.fn_info[fid]
        if shown:
            self.show(t)
            if self.held:
                self.release()
            self.emit('{"Step":{"path_id":%d,"line":%d}}' % (pid, line))
            self.emit('{"Call":{"function_id":%d,"args":[%s]}}' % (fid, ",".join(
                '{"variable_id":%d,"value":%s}' % (a[0], self.live_json(a[1])) for a in args)))
        # variables before its first Step: a Call's are its arguments
        self.acts.open(t, Act(variables if variables is not None else {}, (pid, line), fid, sel, shown))

    def ret(self, t, value_json):
        depth = self.acts.depth(t)
        if not depth or (t == self.main and depth == 1 and self.toplevel_open):
            self.dropped += 1       # no activation to end (recording started inside it)
            return
        if self.acts.close(t).shown:
            self.on_thread(t)
            self.emit('{"Return":{"return_value":%s}}' % value_json)

    def flush(self):
        p, self.pending = self.pending, None
        if p is None:
            return
        if p[0] == "call":
            _, t, fid, name, args = p
            self.call(t, fid, name, args, {vid: snap_entry(vid, v) for vid, v in args})
        else:
            _, pid, line, snap, shown = p
            if not shown:
                return
            if self.held:
                self.release()
            self.steps_written += 1
            texts = ['{"Step":{"path_id":%d,"line":%d}}' % (pid, line)]
            for var, v in snap.items():
                if type(v) is Live:
                    v = _VALUE_EVENT % (var, self.live_json(v))
                texts.append(v)
            self.emit_all(texts)

    def current_shown(self, t):
        """Events of thread t now belong to a written step."""
        act = self.acts.top(t)
        return act is not None and act.shown and act.sel and self.in_window()

    def exception_event(self, what, rec, field):
        """An exception raised, re-raised, caught, or raised by a native
        callable: an Event Error on the current step. It is held back
        until the next Step or Output: CodeTracer shows a program whose last
        Event is an Error on its last step as ended by that error, which
        the exception events at the end of a program that exits normally
        (sys.exit(0) raises SystemExit) must not claim."""
        if not self.current_shown(rec.thread):
            self.dropped += 1
            return
        v = rec.value(field)
        text = "?" if v is None else exception_text(v) if is_exception(v) else v.render(1000)
        # _dumps({"kind": EV_ERROR, "metadata": _dumps(meta), "content": ...}) of
        # meta = {"record": ..., "line": ..., "thread": ...}, written as it writes them
        meta = '{"record":%s,"line":%s,"thread":%s}' % (_scalar(rec.kind), _scalar(rec.fields.get("line")),
                                                        _scalar(rec.thread))
        self.held.append('{"Event":{"kind":%d,"metadata":%s,"content":%s}}'
                         % (EV_ERROR, _string(meta), _string(clean("%s %s" % (what, text)))))

    def output(self, rec):
        """Program output: an Event Write (stdout) or WriteOther (stderr)
        where it was written, after the step it belongs to."""
        stream = reader.Stream[rec["stream"]]
        if not self.current_shown(rec.thread):
            self.dropped += 1
            return
        self.show(rec.thread)
        if self.held:
            self.release()
        pid, line = self.where.get(rec.thread, (None, None))
        meta = {"stream": stream.lower(), "thread": rec.thread, "path_id": pid, "line": line}
        self.emit('{"Event":%s}' % _dumps({"kind": OUTPUT_KINDS[stream], "metadata": _dumps(meta),
                                            "content": clean(rec.text("text"))}))
        self.outputs += 1

    # ---- the stream ----

    def row(self, k, row, t, chunk):
        """Convert one record as Trace.rows() gives it (kind index, fields
        tuple, thread, chunk): the commonest kinds (Step, Var, Arg, Unset,
        Call, Return, Yield) from the tuple, the others as a Record (other())."""
        self.thread_now = t
        if k in _DEF_KINDS:
            self.other(self.trace._record(_NAMES[k], dict(zip(reader.RECORDS[k][1], row)), t, chunk))
            return
        p = self.pending
        if p is not None:
            if k == VAR:
                if p[0] == "step":
                    vid = self.var(row[VAR_NAME])
                    p[3][vid] = snap_entry(vid, self.var_value(chunk, row[VAR_VALUE]))
                    return
            elif k == ARG:
                if p[0] == "call":
                    p[4].append((self.var(row[ARG_NAME]), self.var_value(chunk, row[ARG_VALUE])))
                    return
            elif k == UNSET and p[0] == "step":
                name = row[UNSET_NAME]
                if name == reader.ALL_NAMES:
                    p[3].clear()
                else:
                    p[3].pop(self.var(name), None)
                return
            self.flush()
        if k == VAR or k == ARG or k == UNSET:
            return                  # not after a Call / Step: nothing to attach it to
        if k == STEP:
            self.open_toplevel(t)
            self.step(t, row[STEP_FN], row[STEP_LINE])
        elif k == CALL:
            self.open_toplevel(t)
            fn = row[CALL_FN]
            self.pending = ("call", t, self.function(fn), self.trace.functions[fn].name, [])
        elif k == RETURN:
            self.open_toplevel(t)
            if row[RETURN_VALUE] == reader.NOT_RECORDED and self.values_on:
                self.ret(t, _dumps(self.marker("<still running when recording stopped>", "NotRecorded")))
            else:
                self.ret(t, self.tree_json(chunk, row[RETURN_VALUE]))
        elif k == YIELD:
            self.open_toplevel(t)
            self.ret(t, self.tree_json(chunk, row[YIELD_VALUE]))
        else:
            self.other(self.trace._record(_NAMES[k], dict(zip(reader.RECORDS[k][1], row)), t, chunk))

    def step(self, t, fn, line):
        """A Step record of thread t: function fn, line `line`."""
        self.step_no += 1
        if self.end_step is not None and self.step_no >= self.end_step:
            raise Stop("--steps ends before step %d" % self.step_no)
        if self.max_chars is not None and self.chars >= self.max_chars:
            raise Stop("--max-size reached at step %d" % self.step_no)
        fid = self.function(fn)
        st = self.acts.stack(t)
        if len(st) <= (1 if t == self.main else 0):   # a Step outside any activation
            self.call(t, fid, self.trace.functions[fn].name, [])   # (recording started in it)
        act = st[-1]
        if fn in self.sourceless:
            pid, line = act.loc      # shown at the line running it
        else:
            pid, fline = self.fn_info[fid]
            line = line if line >= 1 else fline
            act.loc = (pid, line)
        shown = act.sel and self.in_window()
        if shown:
            self.show(t)
            self.where[t] = (pid, line)
        self.pending = ("step", pid, line, act.snap, shown)

    def other(self, rec):
        """Convert a Record of a kind row() leaves to it (a definition, or
        a record that is no Step, Var, Arg, Unset, Call, Return or Yield,
        the pending Step or Call flushed)."""
        k, f, t = rec.kind, rec.fields, rec.thread
        if k in DEFS:
            self.define(k, f)
            return
        if k == "Thread":
            what = reader.ThreadEvent.get(f["what"])
            if what == "Exit":
                if t != self.main and t not in self.exited:
                    self.close_thread(t, "<thread exited>")
                    if t in self.started:
                        self.exited.add(t)
                        self.on_thread(t)
                        self.thread_event('{"ThreadExit":%d}' % t)
                        self.thread = None
                return
            self.open_toplevel(t)
            return
        self.open_toplevel(t)
        if k == "Resume":
            self.call(t, self.function(f["fn"]), self.trace.functions[f["fn"]].name, [])
        elif k == "Throw":
            self.call(t, self.function(f["fn"]), self.trace.functions[f["fn"]].name,
                      [(self.variable_id(THROWN), self.value_json(rec, "exc"))])
        elif k == "Unwind":
            self.ret(t, self.value_json(rec, "exc"))
            if t == self.main and self.acts.depth(t) <= (1 if self.toplevel_open else 0):
                self.escaped = rec.value("exc")     # into code not recorded (a test runner)
        elif k in EXCEPTION_RECORDS:
            self.exception_event(EXCEPTION_RECORDS[k], rec, "callable" if "callable" in f else "exc")
        elif k == "Output":
            self.output(rec)
        elif k == "Exit":
            self.exit = (f["status"], rec.value("exc"))
        elif k == reader.MARK:
            pass                    # (it ended the pending Step: flushed before other())
        else:
            self.dropped += 1       # Jump, Branch, Instruction: the Steps carry the control flow;
            #                         NativeCall, NativeReturn, StopIter: no EventLogKind fits

    def close_thread(self, t, why):
        """Return from every activation still open on thread t (the trace
        ended, or the thread exited, while they ran)."""
        keep = 1 if t == self.main and self.toplevel_open else 0
        while self.acts.depth(t) > keep:
            if self.acts.close(t).shown:
                self.on_thread(t)
                self.emit('{"Return":{"return_value":%s}}' % _dumps(self.marker(why, "NotRecorded")))

    def ending(self, metadata):
        """(exit status or None, the uncaught exception as Python's last
        traceback line shows it or None, label): how the program ended, from
        the Exit record or the metadata. A test the pytest plugin recorded
        ends with status 1 and the exception that left the test (0 and none
        when it passed)."""
        ended = metadata.get("ended_by")
        if self.exit:
            status, exc = self.exit
        else:
            status, exc = metadata.get("exit_status"), None
            if not isinstance(status, int) or isinstance(status, bool):
                status = None
            if status is None and ended in ("test passed", "test failed"):
                status = 0 if ended == "test passed" else 1
                exc = self.escaped if ended == "test failed" else None
        uncaught = metadata.get("uncaught_exception")
        if exc is not None:
            uncaught = exception_text(exc)
        elif not isinstance(uncaught, str) or not uncaught:   # (from the metadata: the Exit record
            uncaught = None                                   # was not read, or has no value)
        if not self.exit and ended in ("test passed", "test failed"):
            label = ended
        elif uncaught is not None:
            label = "uncaught %s" % (exc.type if exc is not None else uncaught.partition(":")[0])
        elif metadata.get("recording_error"):
            label = "recording stopped early: %s" % metadata["recording_error"]
        elif status is not None:
            label = "exit status %d" % status
        elif ended == "stop":
            label = "recording stopped while the program ran (no exit status)"
        elif isinstance(ended, str):
            label = "ended by %s (no exit status)" % ended
        else:
            label = "no exit status: the trace ended early"
        return status, uncaught and clean(uncaught), clean(label)

    def finish(self, metadata):
        """End the events: close what is open, <toplevel> returns the exit
        status. Returns ending()'s (status, uncaught exception, label)."""
        self.flush()
        status, exc, label = self.ending(metadata)
        if self.held and exc is None and status == 0:
            self.dropped += len(self.held)      # the end of a normal exit: not an error
            self.held = []
        self.release()
        why = ("<still running at the end of the converted part>" if self.stopped
               else "<still running when the trace ended>")
        for t in sorted(set(self.acts.stacks) | self.started, key=lambda x: (x is None, x or 0)):
            if t != self.main:
                self.close_thread(t, why)
                if t in self.started and t not in self.exited:
                    self.on_thread(t)
                    self.exited.add(t)
                    self.thread_event('{"ThreadExit":%d}' % t)
                    self.thread = None
        if self.main is None and not self.toplevel_open:
            self.open_toplevel(None)
        self.close_thread(self.main, why)
        self.on_thread(self.main)
        if exc is not None and not self.stopped:
            self.emit('{"Event":%s}' % _dumps({"kind": EV_ERROR, "metadata": "", "content": exc}))
        if status is not None:
            rv = {"kind": "Int", "i": status, "type_id": self.type_id(TK_INT, "int")}
        else:
            rv = self.marker("<no exit status: the trace ended early>", "NotRecorded")
        self.acts.close(self.main)
        self.toplevel_open = False
        self.emit('{"Return":{"return_value":%s}}' % _dumps(rv))
        if self.main in self.started and self.main not in self.exited:
            self.exited.add(self.main)
            self.thread_event('{"ThreadExit":%d}' % self.main)
        self.finish_array()
        return status, exc, label


def exception_text(exc):
    """An exception as Python's last traceback line shows it: "KeyError: 'b'"."""
    msg = _message(exc)
    return clean("%s: %s" % (exc.type, msg) if msg else exc.type)


def is_exception(v):
    """Whether Value v is an exception as the recorder writes one: a kind
    of one field, `args`, named `message` when it is text (a str)."""
    fields = reader.LAYOUT_OF[v.kind].fields
    return fields is not None and len(fields) == 1 and fields[0][0] == "args"


def _is_str(v):
    return reader.LAYOUT_OF[v.kind].encoding == "utf8"


def _message(exc):
    """The text Python prints after the exception's type name."""
    if not is_exception(exc) or not exc.data:
        return exc.render(1000)
    m = exc.data[0]
    if _is_str(m):
        return repr(m.data) if exc.type == "KeyError" else m.data
    tup = reader.LAYOUT_OF[m.kind].layout == "tuple"
    if tup and len(m.data) == 1:     # str(exc) of one argument: str(argument)
        return m.data[0].data if _is_str(m.data[0]) else m.data[0].render(1000)
    return m.render(1000) if not tup or m.data else ""


def is_pseudo(path):
    """A code object's file name that names no file: <string>, <stdin>..."""
    return path.startswith("<") and path.endswith(">")


def program_file(program, workdir):
    """(the program's absolute path, the test's node id or None) of the
    metadata's program: a path relative to workdir, or the node id of a
    test the pytest plugin recorded ("tests/test_x.py::test_y")."""
    path, sep, _ = program.partition("::")
    test = program if sep and path.endswith(".py") else None
    if test is None:
        path = program
    if path and not path.startswith("<") and not os.path.isabs(path) and workdir:
        path = os.path.normpath(os.path.join(workdir, path))
    return path, test


def _is_previous_conversion(out):
    entries = set(os.listdir(out))
    if not entries:
        return True
    if not entries <= set(OUTPUTS) | {n + TMP for n in OUTPUTS + (FILES,)} | {FILES}:
        return False
    meta = os.path.join(out, METADATA_JSON)
    if not os.path.exists(meta):
        return True
    try:
        with open(meta, encoding="utf-8") as f:
            return json.load(f).get("converted_by") == MARKER
    except (OSError, ValueError, AttributeError):
        return False


def _lone_surrogates(e):
    """Encoding error handler: U+FFFD for each lone surrogate (as UTF-8
    bytes: the UTF-8 encoder takes only ASCII text from a handler)."""
    if isinstance(e, UnicodeEncodeError) and e.encoding in ("utf-8", "utf8"):
        return b"\xef\xbf\xbd" * (e.end - e.start), e.end
    raise e


codecs.register_error("ctgen-tracer-ufffd", _lone_surrogates)
SAFE = "ctgen-tracer-ufffd"     # every output file is written with it: valid UTF-8 whatever the text


JSON_OPTIONS = {"ensure_ascii": False, "allow_nan": False}   # how the JSON files are written


def _write_json(path, obj):
    write_json(path, obj, errors=SAFE, **JSON_OPTIONS)


def convert(src, out, force=False, steps=None, function=None, thread=None, max_size=None,
            codetracer_version=None):
    """Convert trace directory src into out. Returns a summary dict; raises
    ConvertError or reader.TraceError. steps: (A, B or None), only steps A
    to B-1 (numbered as show numbers them); function: only the activations
    of the function of that qualified name and what they call; thread: only
    that thread's activations; max_size: stop after the step at which
    trace.json reaches that many bytes (about); codetracer_version: "25.11"
    for that release's format (see docs/codetracer.md), None the current."""
    if codetracer_version not in CODETRACER_VERSIONS:
        raise ConvertError("unknown CodeTracer version %r (known: %s)"
                           % (codetracer_version, ", ".join(v for v in CODETRACER_VERSIONS if v)))
    if not os.path.isdir(src):
        raise ConvertError("%s is not a directory" % src)
    trace = reader.Trace(src)
    if os.path.exists(out):
        if not os.path.isdir(out):
            raise ConvertError("%s exists and is not a directory" % out)
        if os.path.samefile(out, src):
            raise ConvertError("the output directory %s is the trace directory itself" % out)
        previous = _is_previous_conversion(out)
        if not force and not previous:
            raise ConvertError("%s is not empty and holds no CodeTracer conversion; "
                               "choose another directory or use --force" % out)
        if not previous and os.path.lexists(os.path.join(out, FILES)):
            raise ConvertError("%s holds a %s entry that is not from a conversion; "
                               "choose another directory" % (out, FILES))
    meta = trace.metadata if isinstance(trace.metadata, dict) else {}
    workdir = meta.get("workdir") if isinstance(meta.get("workdir"), str) else os.path.abspath(src)
    program, test = program_file(meta.get("program") if isinstance(meta.get("program"), str) else "", workdir)
    args = meta.get("args") if isinstance(meta.get("args"), list) else []
    tmp = {n: os.path.join(out, n + TMP) for n in OUTPUTS}
    files_tmp = os.path.join(out, FILES + TMP)
    try:
        os.makedirs(out, exist_ok=True)
        out_meta = {"workdir": clean(workdir), "program": clean(program),
                    "args": [clean(str(a)) for a in args], "converted_by": MARKER,
                    "source_trace": clean(os.path.abspath(src))}
        if test is not None:
            out_meta["test"] = clean(test)
        _write_json(tmp[METADATA_JSON], out_meta)
        with open(tmp[EVENTS_JSON], "wb", buffering=1 << 20) as f:
            sink = _native_sink(f) if _native_rows is not None else Sink(f)
            conv = Converter(trace, sink, program, workdir, sources.Texts(src),
                             os.path.join(os.path.abspath(out), FILES), files_tmp)
            if steps is not None:
                conv.first_step, conv.end_step = steps
            conv.function_name, conv.thread_only = function, thread
            conv.max_chars = max_size
            if codetracer_version == "25.11":
                conv.float_numbers, conv.thread_events = True, False
            counted = [0]
            bar = Progress("convert", trace.file.size)
            trace.progress = bar.update
            try:
                if _native_rows is not None:
                    _convert_native(trace, conv, counted)
                else:
                    row = conv.row
                    for k, fields, t, chunk in trace.rows():
                        counted[0] += 1
                        row(k, fields, t, chunk)
            except Stop as e:
                conv.stopped = str(e)
            finally:
                bar.close()
            records = counted[0]
            status, exc, label = conv.finish(meta)
        _write_json(tmp[PATHS_JSON], conv.path_list)
        out_meta["process_exit_status"] = {"code": status, "label": label}
        out_meta["uncaught_exception"] = exc
        part = {}
        if steps is not None:
            part["steps"] = [steps[0], steps[1]]
        if function is not None:
            part["function"] = clean(function)
        if thread is not None:
            part["thread"] = thread
        if max_size is not None:
            part["max_size"] = max_size
        if part or conv.stopped:
            part["stopped"] = conv.stopped
            part["steps_written"] = conv.steps_written
            out_meta["part"] = part
        if codetracer_version:
            out_meta["codetracer_version"] = codetracer_version
        recorder = meta.get("recorder") if isinstance(meta.get("recorder"), dict) else {}
        python = meta.get("python") if isinstance(meta.get("python"), dict) else {}

        def text(v):   # a metadata string as the output may hold it (no lone surrogates)
            return clean(v) if isinstance(v, str) else None
        out_meta["recorder"] = {"name": text(recorder.get("name", "ctgen-tracer")),
                                "version": text(recorder.get("version")),
                                "python": text(python.get("version"))}
        _write_json(tmp[METADATA_JSON], out_meta)
        if os.path.isdir(os.path.join(out, FILES)):
            shutil.rmtree(os.path.join(out, FILES))     # a previous conversion's
        if conv.files_written:
            os.replace(files_tmp, os.path.join(out, FILES))
        for n in (EVENTS_JSON, PATHS_JSON, METADATA_JSON):
            os.replace(tmp[n], os.path.join(out, n))
    except BaseException:
        for p in tmp.values():
            try:
                os.remove(p)
            except OSError:
                pass
        shutil.rmtree(files_tmp, ignore_errors=True)
        raise
    return {"events": conv.events, "records": records, "paths": len(conv.path_list), "functions": len(conv.fn_info),
            "types": len(conv.types), "variables": len(conv.var_ids), "dropped": conv.dropped,
            "sources": len(conv.files_written), "steps": conv.step_no + 1,
            "steps_written": conv.steps_written, "stopped": conv.stopped,
            "bytes": os.path.getsize(os.path.join(out, EVENTS_JSON)),
            "torn": trace.torn}


class _Slow:
    """What the native loop (_native_rows) hands a record rows() does not
    give as stored (a compact, checked or definition record) to: read as
    rows() reads it, then converted by Converter.row."""

    def __init__(self, trace, conv):
        self.trace, self.conv, self.thread = trace, conv, None
        self.fns = None   # the chunk's reader.ChunkFunctions: what it tells of functions (a Line's fn)

    def __call__(self, k, row, chunk):
        try:
            if reader._FN_ROLES[k] is not None:
                k, row = reader._told(self.fns, k, row, self.thread[0])
            k, row, t = self.trace.row_of(chunk, k, row, self.thread)
        except reader.TraceError as e:
            raise self.trace.noted(e) from None
        self.conv.row(k, row, t, chunk)

    def name(self, k):
        return _NAMES[k]

    def noted(self, e):
        return self.trace.noted(e)


def _convert_native(trace, conv, counted):
    """Convert every record of trace by the native loop, chunk by chunk
    (src/convert_rows.c); counted[0]: the records converted so far."""
    slow = _Slow(trace, conv)
    count = [0]
    for raw, thread, objects in trace.row_chunks():
        slow.thread = thread
        slow.fns = reader.ChunkFunctions()
        count[0] = 0
        try:
            _native_rows(conv, raw["kinds"], reader.row_vectors(raw), reader.Chunk(raw, trace.types, objects, trace.names),
                         thread, slow, count)
        finally:
            counted[0] += count[0]


def step_range(text):
    """--steps A:B (also A: or :B) of show and convert: (A, B or None)."""
    s, sep, e = text.partition(":")
    try:
        lo, hi = int(s or 0), (int(e) if e else None)
    except ValueError:
        lo = -1
    if not sep or lo < 0 or (hi is not None and hi < 0):
        raise argparse.ArgumentTypeError("expected A:B, A: or :B with step numbers A and B, not %r" % text)
    return lo, hi


def _steps(text):
    """--steps A:B as show takes it, with A < B."""
    lo, hi = step_range(text)
    if hi is not None and hi <= lo:
        raise argparse.ArgumentTypeError("--steps %s selects no step: B must be greater than A" % text)
    return lo, hi


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def size(text):
    """A size in bytes: 1000, 500K, 200M, 1.5G (binary units)."""
    t = text.strip().upper().rstrip("B").rstrip("I")
    unit = t[-1:] if t[-1:] in _UNITS and t[-1:] else ""
    try:
        n = float(t[:len(t) - len(unit)])
    except ValueError:
        n = -1
    if not n > 0 or n != n or n * _UNITS[unit] > 1 << 60:
        raise argparse.ArgumentTypeError("expected a size such as 200M or 2G, not %r" % text)
    return int(n * _UNITS[unit])


def _human(n):
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return ("%d %s" if unit == "bytes" else "%.1f %s") % (n, unit)
        n /= 1024.0


def available_memory():
    """Bytes of memory available on this machine (MemAvailable), or None."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def main(argv):
    p = argparse.ArgumentParser(prog="python -m ctgen_tracer convert",
                                description="Convert a trace for another tool.")
    add_dir_argument(p)
    p.add_argument("--to", required=True, choices=["codetracer"],
                   help="output format: codetracer (runtime_tracing JSON: trace.json, "
                        "trace_metadata.json, trace_paths.json)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output directory")
    p.add_argument("--force", action="store_true",
                   help="write into OUT even if it holds other files")
    p.add_argument("--steps", type=_steps, metavar="A:B",
                   help="only steps A to B-1, numbered as show numbers them (the activations "
                        "running at step A begin there)")
    p.add_argument("--function", metavar="NAME",
                   help="only the activations of the function of this qualified name "
                        "(as show prints it) and everything they call")
    p.add_argument("--thread", type=int, metavar="N", help="only thread N (its number in the trace)")
    p.add_argument("--max-size", type=size, metavar="SIZE",
                   help="stop at the first step after trace.json reached SIZE (200M, 2G)")
    p.add_argument("--memory", type=size, metavar="SIZE",
                   help="the memory CodeTracer will have, to warn when the output is too big to "
                        "load (default: this machine's available memory)")
    p.add_argument("--codetracer-version", choices=["current", "25.11"], default="current",
                   help="the format of this CodeTracer release: current (default) or 25.11 "
                        "(runtime_tracing 0.14: floats as JSON numbers, no thread events)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    a = p.parse_args(argv)
    try:
        s = convert(a.dir, a.output, a.force, steps=a.steps, function=a.function, thread=a.thread,
                    max_size=a.max_size,
                    codetracer_version=None if a.codetracer_version == "current" else a.codetracer_version)
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
    memory = a.memory if a.memory is not None else available_memory()
    need = LOAD_FACTOR * s["bytes"]
    if memory is not None and need > memory:
        print("ctgen-tracer: warning: trace.json is %s: CodeTracer needs about %d times that (%s) "
              "to load it, more than the %s %s; convert a part of the trace with --steps, "
              "--function, --thread or --max-size"
              % (_human(s["bytes"]), LOAD_FACTOR, _human(need), _human(memory),
                 "given by --memory" if a.memory is not None else "available here"), file=sys.stderr)
    if not a.quiet:
        if s["stopped"]:
            what = "%d steps (stopped: %s)" % (s["steps_written"], s["stopped"])
        elif s["steps_written"] != s["steps"]:
            what = "%d of the trace's %d steps" % (s["steps_written"], s["steps"])
        else:
            what = "%d steps" % s["steps"]
        print("ctgen-tracer: %s, %d trace.json events (%s; %d paths, %d functions, %d types, %d variable names) "
              "in %s, from %s%d records"   # records as verify and stats count them
              % (what, s["events"], _human(s["bytes"]), s["paths"], s["functions"], s["types"],
                 s["variables"], a.output, "the first " if s["stopped"] else "", s["records"]), file=sys.stderr)
    return 0
