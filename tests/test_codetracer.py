"""The CodeTracer (runtime_tracing JSON) conversion.

`check()` is an independent rule checker: it reads the three output files
and checks each rule of ../shared/notes/codetracer-format.md (as summed up
in docs/codetracer.md) separately, with one message per violation. It runs
on the conversion of every corpus program and of targeted programs; the
negative tests feed it hand-broken outputs to show that it catches each kind
of violation; the semantic tests compare converted values with what the
reader says."""

import base64
import copy
import json
import math
import os
import re
import shutil
import struct

import pytest

from conftest import PROGRAMS, record, reseal, run

from ctgen_tracer import reader
from ctgen_tracer.tracedir import METADATA_FILE, OLD_NAMES

CORPUS = sorted(p.name for p in PROGRAMS.glob("*.py"))

# ---- the rule checker -------------------------------------------------------

# TraceLowLevelEvent variants (externally tagged); DropLastStep is a unit variant.
VARIANTS = {"Step", "Path", "VariableName", "Variable", "Type", "Value", "Function", "Call",
            "Return", "Event", "Asm", "BindVariable", "Assignment", "DropVariables",
            "CompoundValue", "CellValue", "AssignCompoundItem", "AssignCell", "VariableCell",
            "DropVariable", "ThreadStart", "ThreadExit", "ThreadSwitch", "DropLastStep"}
DEFINITIONS = {"Path", "VariableName", "Variable", "Type", "Function"}
THREAD_EVENTS = {"ThreadStart", "ThreadExit", "ThreadSwitch"}   # since runtime_tracing 0.15
# ValueRecord variants ("kind"-tagged) and their fields besides kind and type_id.
VALUE_FIELDS = {"Int": {"i"}, "Float": {"f"}, "Bool": {"b"}, "String": {"text"},
                "Sequence": {"elements", "is_slice"}, "Tuple": {"elements"},
                "Struct": {"field_values"}, "Variant": {"discriminator", "contents"},
                "Reference": {"dereferenced", "address", "mutable"}, "Raw": {"r"},
                "Error": {"msg"}, "None": set(), "Cell": {"place"}, "BigInt": {"b", "negative"}}
TYPE_KINDS = range(0, 34)            # TypeKind 0 Seq ... 33 Slice
TK_STRUCT, TK_NONE = 6, 30
EVENT_KINDS = range(0, 14)           # EventLogKind 0 Write ... 13 EvmEvent
EV_ERROR = 11
EV_TRACE_LOG = 12                    # CodeTracer's tracepoint output: never ours
SERDE_JSON_DEPTH = 128               # serde_json's recursion limit: nesting it cannot parse
I64 = (-2 ** 63, 2 ** 63 - 1)
# What Rust's f64::from_str accepts (DisplayFromStr): decimal, exponent, inf/infinity/nan.
FLOAT_TEXT = re.compile(r"[+-]?(inf|infinity|nan|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)\Z", re.I)


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def json_depth(obj):
    """How many arrays and objects deep obj nests (a scalar: 0)."""
    deepest, todo = 0, [(obj, 1)]
    while todo:
        o, d = todo.pop()
        if isinstance(o, (list, dict)):
            deepest = max(deepest, d)
            todo.extend((c, d + 1) for c in (o.values() if isinstance(o, dict) else o))
    return deepest


def check(trace_json, metadata_json, paths_json, release=None):
    """Every violation of the runtime_tracing rules in the three files, one
    message each (an empty list: the output follows every rule). release
    "25.11": the rules of CodeTracer 25.11.1 (runtime_tracing 0.14.2):
    floats are JSON numbers, there are no thread events."""
    errors = []
    variants = VARIANTS - THREAD_EVENTS if release == "25.11" else VARIANTS

    def load(path):
        bad_constants = []

        def constant(name):        # NaN, Infinity, -Infinity: not JSON
            bad_constants.append(name)
            return None
        try:
            with open(path, encoding="utf-8") as f:
                obj = json.load(f, parse_constant=constant)
        except (OSError, ValueError) as e:
            errors.append("%s: not readable JSON: %s" % (os.path.basename(str(path)), e))
            return None
        for name in bad_constants:
            errors.append("%s: the non-JSON constant %s" % (os.path.basename(str(path)), name))
        return obj

    events, meta, path_file = load(trace_json), load(metadata_json), load(paths_json)

    if meta is not None:
        if not isinstance(meta, dict):
            errors.append("trace_metadata.json: not an object")
        else:
            for key, kind in (("workdir", str), ("program", str), ("args", list)):
                if not isinstance(meta.get(key), kind):
                    errors.append("trace_metadata.json: %s missing or not a %s" % (key, kind.__name__))
            if isinstance(meta.get("args"), list) and not all(isinstance(a, str) for a in meta["args"]):
                errors.append("trace_metadata.json: args are not all strings")
            if isinstance(meta.get("program"), str) and meta["program"] and not os.path.isabs(meta["program"]):
                errors.append("trace_metadata.json: program %r is not an absolute path" % meta["program"])
            pes = meta.get("process_exit_status")
            if not isinstance(pes, dict) or set(pes) != {"code", "label"} \
                    or not (pes["code"] is None or _is_int(pes["code"])) \
                    or not isinstance(pes["label"], str) or not pes["label"]:
                errors.append("trace_metadata.json: process_exit_status %.80r is not {code: int or "
                              "null, label: why}" % (pes,))
            if "uncaught_exception" not in meta or not (meta["uncaught_exception"] is None
                                                        or isinstance(meta["uncaught_exception"], str)):
                errors.append("trace_metadata.json: uncaught_exception missing or not a string or null")
    if events is None:
        return errors
    if not isinstance(events, list):
        return errors + ["trace.json: not a JSON array"]
    depth_ = 1 + max((json_depth(e) for e in events), default=0)
    if depth_ >= SERDE_JSON_DEPTH:
        errors.append("trace.json: nested %d levels deep; serde_json parses fewer than %d"
                      % (depth_, SERDE_JSON_DEPTH))

    paths, functions, types, variables = [], [], [], []
    fn_keys, path_set, var_set, type_set = set(), set(), set(), set()
    stacks = {}                   # thread -> [function ids]
    depth = 0                     # all threads: the legacy reader keeps one stack
    started, exited = set(), set()
    thread = None                 # None: before any thread event (one implicit thread)
    after_exit = False            # the current thread has exited: no events until a switch
    last = None                   # the last event that is not a definition
    last_event = None             # (index, body) of the last Event
    last_step = -1
    have_step = False
    calls = 0

    def err(i, msg):
        errors.append("event %d: %s" % (i, msg))

    def type_ok(i, tid, where):
        if not _is_int(tid):
            err(i, "%s: type_id %r is not a number" % (where, tid))
            return False
        if not 0 <= tid < len(types):
            err(i, "%s: type_id %d used before its Type is defined" % (where, tid))
            return False
        return True

    def value_ok(i, v, where, depth_=0):
        if depth_ > 200:
            err(i, "%s: value nested deeper than 200" % where)
            return
        if not isinstance(v, dict) or not isinstance(v.get("kind"), str):
            err(i, "%s: value is not a kind-tagged object: %.80r" % (where, v))
            return
        k = v["kind"]
        if k == "Char":
            err(i, "%s: Char values are not in runtime_tracing's legacy format" % where)
            return
        if k not in VALUE_FIELDS:
            err(i, "%s: unknown value kind %r" % (where, k))
            return
        want = VALUE_FIELDS[k] | ({"kind"} if k == "Cell" else {"kind", "type_id"})
        if set(v) != want:
            err(i, "%s: %s value has fields %s, expected %s" % (where, k, sorted(v), sorted(want)))
            return
        if k != "Cell" and not type_ok(i, v["type_id"], where + " " + k):
            return
        if k == "None" and v["type_id"] != 0:
            err(i, "%s: None value with type_id %d, not 0 (NONE_TYPE_ID)" % (where, v["type_id"]))
        if k == "Int":
            if not _is_int(v["i"]):
                err(i, "%s: Int.i %r is not a JSON integer" % (where, v["i"]))
            elif not I64[0] <= v["i"] <= I64[1]:
                err(i, "%s: Int.i %d does not fit in i64 (big ints must be BigInt)" % (where, v["i"]))
        elif k == "Float" and release == "25.11":
            if not isinstance(v["f"], (int, float)) or isinstance(v["f"], bool):
                err(i, "%s: Float.f %r is not a JSON number (runtime_tracing 0.14 reads an f64)" % (where, v["f"]))
        elif k == "Float":
            if not isinstance(v["f"], str):
                err(i, "%s: Float.f %r is not a string (floats are strings since 0.16.2)" % (where, v["f"]))
            elif not FLOAT_TEXT.match(v["f"]):
                err(i, "%s: Float.f %r is not a float f64::from_str reads" % (where, v["f"]))
        elif k == "Bool" and not isinstance(v["b"], bool):
            err(i, "%s: Bool.b %r is not a boolean" % (where, v["b"]))
        elif k == "String" and not isinstance(v["text"], str):
            err(i, "%s: String.text is not a string" % where)
        elif k in ("Raw", "Error") and not isinstance(v["r" if k == "Raw" else "msg"], str):
            err(i, "%s: %s text is not a string" % (where, k))
        elif k == "BigInt":
            b = v["b"]
            try:
                ok = isinstance(b, str) and len(b) % 4 == 0 and len(base64.b64decode(b, validate=True)) > 0
            except ValueError:
                ok = False
            if not ok:
                err(i, "%s: BigInt.b %.40r is not padded standard base64 of a magnitude" % (where, b))
            if not isinstance(v["negative"], bool):
                err(i, "%s: BigInt.negative is not a boolean" % where)
        elif k in ("Sequence", "Tuple"):
            if not isinstance(v["elements"], list):
                err(i, "%s: %s.elements is not a list" % (where, k))
            else:
                for n, e in enumerate(v["elements"]):
                    value_ok(i, e, "%s[%d]" % (where, n), depth_ + 1)
            if k == "Sequence" and not isinstance(v["is_slice"], bool):
                err(i, "%s: Sequence.is_slice is not a boolean" % where)
        elif k == "Struct":
            t = types[v["type_id"]]
            fields = t["specific_info"].get("fields") if t["kind"] == TK_STRUCT else None
            if t["kind"] != TK_STRUCT or t["specific_info"].get("kind") != "Struct":
                err(i, "%s: Struct value of type %d, which is not a Struct type" % (where, v["type_id"]))
            elif not isinstance(v["field_values"], list) or len(v["field_values"]) != len(fields):
                err(i, "%s: Struct value has %s field values, its type %d has %d fields"
                    % (where, len(v["field_values"]) if isinstance(v["field_values"], list) else "no",
                       v["type_id"], len(fields)))
            else:
                for f, e in zip(fields, v["field_values"]):
                    value_ok(i, e, "%s.%s" % (where, f["name"]), depth_ + 1)
        elif k == "Variant":
            value_ok(i, v["contents"], where + ".contents", depth_ + 1)
        elif k == "Reference":
            value_ok(i, v["dereferenced"], where + ".dereferenced", depth_ + 1)

    def full_value_ok(i, fv, where):
        if not isinstance(fv, dict) or set(fv) != {"variable_id", "value"}:
            err(i, "%s: not a {variable_id, value} record" % where)
            return
        if not _is_int(fv["variable_id"]) or not 0 <= fv["variable_id"] < len(variables):
            err(i, "%s: variable_id %r used before its VariableName is defined" % (where, fv["variable_id"]))
        value_ok(i, fv["value"], where)

    def on_thread_event(i):
        if after_exit:
            err(i, "event on thread %s after its ThreadExit, with no ThreadSwitch" % thread)

    for i, ev in enumerate(events):
        if ev == "DropLastStep":
            name, body = ev, None
        elif isinstance(ev, dict) and len(ev) == 1:
            (name, body), = ev.items()
        else:
            err(i, "not an externally tagged event (an object with one key): %.80r" % (ev,))
            continue
        if name not in variants:
            err(i, "unknown event %r%s" % (name, " (runtime_tracing 0.14 has no thread events)"
                                            if name in THREAD_EVENTS else ""))
            continue
        if name == "Assignment":
            err(i, "Assignment event (legacy readers cannot read its RValue)")
            continue
        if name not in DEFINITIONS:
            prev, last = last, (name, body)
        if name == "Type":
            if not isinstance(body, dict) or set(body) != {"kind", "lang_type", "specific_info"}:
                err(i, "Type is not {kind, lang_type, specific_info}")
                types.append({"kind": -1, "specific_info": {}})
                continue
            if not _is_int(body["kind"]) or body["kind"] not in TYPE_KINDS:
                err(i, "Type kind %r is not a TypeKind number" % (body["kind"],))
            if not isinstance(body["lang_type"], str):
                err(i, "Type lang_type is not a string")
            si = body["specific_info"]
            if not isinstance(si, dict) or si.get("kind") not in ("None", "Struct", "Pointer"):
                err(i, "Type specific_info %.60r is not kind-tagged None/Struct/Pointer" % (si,))
                si = {}
            elif si["kind"] == "Struct":
                fields = si.get("fields")
                if not isinstance(fields, list):
                    err(i, "Struct type has no fields list")
                else:
                    for f in fields:
                        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
                            err(i, "Struct type field %.60r has no name" % (f,))
                        else:
                            type_ok(i, f.get("type_id"), "field %s" % f["name"])
                if body["kind"] != TK_STRUCT:
                    err(i, "Struct specific_info on a type of kind %r, not Struct (6)" % body["kind"])
            elif si["kind"] == "Pointer":
                type_ok(i, si.get("dereference_type_id"), "Pointer type")
            if not types and (body["kind"] != TK_NONE or body["lang_type"] != "None"):
                err(i, "the first Type (TypeId 0) is %r %r, not None (kind 30, \"None\")"
                    % (body["kind"], body["lang_type"]))
            key = json.dumps(body, sort_keys=True)
            if key in type_set:
                err(i, "Type %s defined twice" % key)
            type_set.add(key)
            types.append({"kind": body["kind"], "specific_info": si})
        elif name == "Path":
            if not isinstance(body, str):
                err(i, "Path is not a string")
            elif body in path_set:
                err(i, "Path %r defined twice" % body)
            path_set.add(body)
            paths.append(body)
        elif name in ("VariableName", "Variable"):
            if not isinstance(body, str):
                err(i, "%s is not a string" % name)
            elif body in var_set:
                err(i, "VariableName %r defined twice" % body)
            var_set.add(body)
            variables.append(body)
        elif name == "Function":
            if not isinstance(body, dict) or set(body) != {"path_id", "line", "name"}:
                err(i, "Function is not {path_id, line, name}")
                functions.append(None)
                continue
            if not _is_int(body["path_id"]) or not 0 <= body["path_id"] < len(paths):
                err(i, "Function %r uses path_id %r before its Path is defined" % (body["name"], body["path_id"]))
            if not _is_int(body["line"]) or body["line"] < 1:
                err(i, "Function %r has line %r (lines are 1-based)" % (body["name"], body["line"]))
            if not isinstance(body["name"], str) or not body["name"]:
                err(i, "Function name %r is not a non-empty string" % (body["name"],))
            if not functions and body["name"] != "<toplevel>":
                err(i, "function 0 is %r, not <toplevel>" % (body["name"],))
            key = (body["path_id"], body["line"], body["name"])
            if key in fn_keys:
                err(i, "Function %r at path %r line %r defined twice (functions are keyed by "
                    "path, line and name)" % (body["name"], body["path_id"], body["line"]))
            fn_keys.add(key)
            functions.append(body)
        elif name == "Step":
            on_thread_event(i)
            if not isinstance(body, dict) or set(body) != {"path_id", "line"}:
                err(i, "Step is not {path_id, line}")
                continue
            if not _is_int(body["path_id"]) or not 0 <= body["path_id"] < len(paths):
                err(i, "Step uses path_id %r before its Path is defined" % (body["path_id"],))
            if not _is_int(body["line"]) or body["line"] < 1:
                err(i, "Step has line %r (lines are 1-based)" % (body["line"],))
            have_step = True
            last_step = i
        elif name == "Value":
            on_thread_event(i)
            full_value_ok(i, body, "Value")
            if not have_step:
                err(i, "Value before any Step (values belong to the current step)")
        elif name == "Call":
            on_thread_event(i)
            if not isinstance(body, dict) or set(body) - {"function_id", "args"} or "function_id" not in body:
                err(i, "Call is not {function_id, args}")
                continue
            fid = body["function_id"]
            if not _is_int(fid) or not 0 <= fid < len(functions):
                err(i, "Call of function_id %r before its Function is defined" % (fid,))
                fid = None
            if not isinstance(body.get("args", []), list):
                err(i, "Call args is not a list")
            else:
                for n, a in enumerate(body.get("args", [])):
                    full_value_ok(i, a, "Call arg %d" % n)
            if calls == 0 and fid != 0:
                err(i, "the first Call is of function %r, not <toplevel> (0)" % fid)
            elif calls > 0 and fid == 0:
                err(i, "<toplevel> (function 0) called again")
            if fid and functions[fid] is not None:
                f = functions[fid]
                want = {"path_id": f["path_id"], "line": f["line"]}
                if prev is None or prev[0] != "Step" or prev[1] != want:
                    err(i, "Call of %r not preceded by a Step at its definition %r (got %.60r)"
                        % (f["name"], want, prev))
            calls += 1
            stacks.setdefault(thread, []).append(fid)
            depth += 1
        elif name == "Return":
            on_thread_event(i)
            if not isinstance(body, dict) or set(body) != {"return_value"}:
                err(i, "Return is not {return_value}")
            else:
                value_ok(i, body["return_value"], "Return")
            st = stacks.get(thread)
            if not st:
                err(i, "Return on thread %s with no open Call" % thread)
            else:
                st.pop()
            if depth <= 0:
                err(i, "Return with no open Call on any thread (the legacy reader asserts)")
            else:
                depth -= 1
        elif name == "Event":
            on_thread_event(i)
            if not isinstance(body, dict) or set(body) != {"kind", "metadata", "content"}:
                err(i, "Event is not {kind, metadata, content}")
                continue
            if not _is_int(body["kind"]) or body["kind"] not in EVENT_KINDS:
                err(i, "Event kind %r is not an EventLogKind number" % (body["kind"],))
            elif body["kind"] == EV_TRACE_LOG:
                err(i, "Event of kind 12 TraceLogEvent, CodeTracer's tracepoint output "
                    "(its frontend deletes them when tracepoints run)")
            last_event = (i, body)
            if not isinstance(body["metadata"], str) or not isinstance(body["content"], str):
                err(i, "Event metadata or content is not a string")
        elif name in ("ThreadStart", "ThreadSwitch", "ThreadExit"):
            if not _is_int(body) or body < 0:
                err(i, "%s thread id %r is not a non-negative integer" % (name, body))
                continue
            if name == "ThreadStart":
                if body in started:
                    err(i, "ThreadStart of thread %d, already started" % body)
                started.add(body)
                thread, after_exit = body, False
            elif name == "ThreadSwitch":
                if body not in started:
                    err(i, "ThreadSwitch to thread %d, never started" % body)
                elif body in exited:
                    err(i, "ThreadSwitch to thread %d, which exited" % body)
                thread, after_exit = body, False
            else:
                if body not in started or body in exited:
                    err(i, "ThreadExit of thread %d, not running" % body)
                if stacks.get(body):
                    err(i, "ThreadExit of thread %d with %d open Calls" % (body, len(stacks[body])))
                exited.add(body)
                if body == thread:
                    after_exit = True
        else:
            err(i, "%s events are not produced by a Python recorder (unexpected)" % name)
    for t, st in stacks.items():
        if st:
            errors.append("end: thread %s has %d Calls with no Return (functions %s)" % (t, len(st), st[-5:]))
    if path_file is not None and path_file != paths:
        errors.append("trace_paths.json %.80r is not the Path events in order %.80r" % (path_file, paths))
    if calls == 0:
        errors.append("end: no Call at all (function 0, <toplevel>, is never called)")
    if last_event is not None and last_event[0] > last_step and last_event[1].get("kind") == EV_ERROR \
            and isinstance(meta, dict) and meta.get("uncaught_exception") is None \
            and (meta.get("process_exit_status") or {}).get("code") == 0:
        errors.append("end: the last Event is an Error on the last step, so CodeTracer shows the "
                      "program as ended by %.60r, but it exited normally" % last_event[1].get("content"))
    return errors


def check_dir(d, release=None):
    return check(d / "trace.json", d / "trace_metadata.json", d / "trace_paths.json", release)


def convert(trace_dir, out, *extra):
    return run(["-m", "ctgen_tracer", "convert", trace_dir, "--to", "codetracer", "-o", out, *extra])


def record_and_convert(program, tmp_path, *args, options=()):
    tdir, out = tmp_path / "trace", tmp_path / "ct"
    record(program, tdir, *args, options=options)
    assert (tdir / "trace.ctgt").exists()
    p = convert(tdir, out)
    assert p.returncode == 0, p.stderr
    assert p.stderr.count("\n") == 1 and "events" in p.stderr, p.stderr
    return tdir, out


def events_of(out):
    return json.loads((out / "trace.json").read_text(encoding="utf-8"))


# ---- the whole corpus --------------------------------------------------------

@pytest.mark.parametrize("name", CORPUS)
def test_corpus_conversion_follows_every_rule(name, tmp_path):
    tdir, out = record_and_convert(PROGRAMS / name, tmp_path)
    assert check_dir(out) == []
    ev = events_of(out)
    kinds = {next(iter(e)) if isinstance(e, dict) else e for e in ev}
    assert {"Type", "Path", "Function", "Call", "Return", "Step"} <= kinds
    # as many Calls as the trace has activations (+ <toplevel>), as many Returns
    t = reader.Trace(str(tdir))
    opens = sum(1 for r in t.records() if r.kind in reader.OPENS)
    assert sum(1 for e in ev if "Call" in e) == opens + 1
    assert sum(1 for e in ev if "Return" in e) == opens + 1
    meta = json.loads((out / "trace_metadata.json").read_text())
    src = json.loads((tdir / METADATA_FILE).read_text())
    assert meta["program"] == src["program"] and meta["args"] == src["args"]
    assert meta["process_exit_status"]["code"] == src["exit_status"]
    # <toplevel> returns the exit status
    last_return = [e for e in ev if "Return" in e][-1]["Return"]["return_value"]
    assert last_return["kind"] == "Int" and last_return["i"] == src["exit_status"]


def test_threads_have_thread_events_and_balanced_stacks(tmp_path):
    tdir, out = record_and_convert(PROGRAMS / "threads.py", tmp_path)
    ev = events_of(out)
    starts = [e["ThreadStart"] for e in ev if "ThreadStart" in e]
    exits = [e["ThreadExit"] for e in ev if "ThreadExit" in e]
    threads = {r.thread for r in reader.Trace(str(tdir)).records() if r.thread is not None}
    assert sorted(starts) == sorted(threads) == sorted(exits) and len(threads) == 5
    assert any("ThreadSwitch" in e for e in ev)
    # the worker that dies: its Call returns the exception
    rets = [e["Return"]["return_value"] for e in ev if "Return" in e]
    types = [e["Type"] for e in ev if "Type" in e]
    exc = [r for r in rets if r["kind"] == "Struct" and types[r["type_id"]]["lang_type"] == "RuntimeError"]
    assert len(exc) == 1 and exc[0]["field_values"][0]["text"] == "worker failed"


def test_generators_map_yield_to_return_and_resume_throw_to_call(tmp_path):
    tdir, out = record_and_convert(PROGRAMS / "generators.py", tmp_path)
    recs = [r.kind for r in reader.Trace(str(tdir)).records()]
    ev = events_of(out)
    t = reader.Trace(str(tdir))
    echo_opens = sum(1 for r in t.records() if r.kind in reader.OPENS and t.functions[r["fn"]].name == "echo")
    functions = [e["Function"] for e in ev if "Function" in e]
    calls = [functions[e["Call"]["function_id"]]["name"] for e in ev if "Call" in e]
    assert calls.count("echo") == echo_opens >= 5
    variables = [e["VariableName"] for e in ev if "VariableName" in e]
    thrown = [e["Call"] for e in ev if "Call" in e and e["Call"]["args"]
              and variables[e["Call"]["args"][0]["variable_id"]] == "<exception>"]
    assert len(thrown) == recs.count("Throw") >= 1
    yields = recs.count("Yield")
    assert sum(1 for e in ev if "Return" in e) == recs.count("Return") + yields + recs.count("Unwind") + 1


def test_uncaught_exception_ends_with_error_event(tmp_path):
    tdir, out = record_and_convert(PROGRAMS / "uncaught.py", tmp_path)
    ev = events_of(out)
    log = [(i, e["Event"]) for i, e in enumerate(ev) if "Event" in e]
    i, last = log[-1]
    assert last["kind"] == EV_ERROR and last["content"] == "KeyError: 'b'"
    assert not any("Step" in e for e in ev[i:])     # on the last step


def test_interrupted_and_exit_code(tmp_path):
    _, out = record_and_convert(PROGRAMS / "interrupted.py", tmp_path / "i")
    ev = events_of(out)
    errs = [e["Event"]["content"] for e in ev if "Event" in e and e["Event"]["kind"] == EV_ERROR]
    # the exception's way up (raise, reraise) and, last, the uncaught exception
    assert errs[-1] == "KeyboardInterrupt" and errs[0].startswith("raise KeyboardInterrupt")
    assert all(e.split()[0] in ("raise", "reraise") for e in errs[:-1])
    meta = json.loads((out / "trace_metadata.json").read_text())
    assert meta["uncaught_exception"] == "KeyboardInterrupt"
    assert meta["process_exit_status"]["label"] == "uncaught KeyboardInterrupt"
    for status in (7, 0):
        _, out = record_and_convert(PROGRAMS / "exit_code.py", tmp_path / ("e%d" % status), str(status))
        assert check_dir(out) == []
        ev = events_of(out)
        errs = [e["Event"]["content"] for e in ev if "Event" in e and e["Event"]["kind"] == EV_ERROR]
        # sys.exit(7) raises SystemExit: shown; sys.exit(0) ends normally: the
        # SystemExit events of the last step are left out, or CodeTracer would
        # show the program as ended by an error
        assert errs == (["raise SystemExit: 7"] * 2 if status else []), errs
        assert [e for e in ev if "Return" in e][-1]["Return"]["return_value"]["i"] == status
        meta = json.loads((out / "trace_metadata.json").read_text())
        assert meta["uncaught_exception"] is None
        assert meta["process_exit_status"] == {"code": status, "label": "exit status %d" % status}


OUTPUT_PROGRAM = r'''
import sys

def greet(name):
    print("hello", name)
    sys.stderr.write("warn " + name + "\n")
    return len(name)

greet("ada")
print("caf\u00e9", end="\n")
'''


def test_program_output_becomes_write_events_at_its_step(write_program, tmp_path):
    """Output records become Event Write (stdout) / WriteOther (stderr) with
    the text as content, right after the step that wrote it, whose path and
    line the metadata names."""
    tdir, out = record_and_convert(write_program(OUTPUT_PROGRAM), tmp_path)
    assert check_dir(out) == []
    ev = events_of(out)
    paths = json.loads((out / "trace_paths.json").read_text())
    writes = [(i, e["Event"]) for i, e in enumerate(ev) if "Event" in e and e["Event"]["kind"] in (0, 2)]
    assert [(w["kind"], w["content"]) for _, w in writes] == [
        (0, "hello ada\n"), (2, "warn ada\n"), (0, "caf\u00e9\n")]
    lines = [5, 6, 10]
    for (i, w), line in zip(writes, lines):
        meta = json.loads(w["metadata"])
        assert meta["stream"] == ("stdout" if w["kind"] == 0 else "stderr")
        assert meta["line"] == line and paths[meta["path_id"]].endswith(".py")
        # the last Step before the event is the step that wrote it
        step = [e["Step"] for e in ev[:i] if "Step" in e][-1]
        assert (step["path_id"], step["line"]) == (meta["path_id"], line)
    # the same text, in the same order, as the reader's outputs()
    assert [o.text for o in reader.Trace(str(tdir)).outputs()] == ["hello ada\n", "warn ada\n", "caf\u00e9\n"]


# ---- targeted programs: every value kind ------------------------------------

VALUES_PROGRAM = r'''
import math, os

class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

class Slotted:
    __slots__ = ("a", "b")
    def __init__(self):
        self.a = 1

class MyList(list):
    pass

class Oops(Exception):
    pass

def f(*args, **kwargs):
    return args

def main():
    big = 2 ** 100
    neg_big = -(3 ** 90)
    edge = 2 ** 63
    small = -2 ** 63
    floats = [1.5, -0.0, 1e300, float("inf"), float("-inf"), float("nan")]
    c = complex(1.5, -2)
    s = "h\u00e9llo w\u00f6rld \u2603 \U0001F600"
    sur = "bad \udcff surrogate"
    b = b"\x00\xffab"
    ba = bytearray(b"xyz")
    nested = {"a": [1, (2, 3), {"b": {4, 5}}], "t": (frozenset([6]),)}
    cyc = [1, 2]
    cyc.append(cyc)
    shared = [10]
    twice = [shared, shared]
    r = range(2, 10, 3)
    sl = slice(1, None, 2)
    p = Point(1, "y")
    sp = Slotted()
    ml = MyList([1, 2])
    fn = f
    cls = Point
    mod = os
    meth = p.__init__
    bi = len
    e = Oops("bad", 2)
    ve = ValueError("msg")
    nothing = None
    yes = True
    f(1, 2, k=3)
    return floats

main()
'''


def test_values_of_every_kind(write_program, tmp_path):
    tdir, out = record_and_convert(write_program(VALUES_PROGRAM), tmp_path)
    assert check_dir(out) == []
    last = ct_steps(out)[-1][1]          # the last step of main(): every local bound
    types = ct_types(out)

    def t(v):
        return types[v["type_id"]]
    assert last["big"] == {"kind": "BigInt", "b": base64.b64encode((2 ** 100).to_bytes(13, "big")).decode(),
                           "negative": False, "type_id": last["big"]["type_id"]}
    assert last["neg_big"]["kind"] == "BigInt" and last["neg_big"]["negative"] is True
    assert int.from_bytes(base64.b64decode(last["neg_big"]["b"]), "big") == 3 ** 90
    assert last["edge"]["kind"] == "BigInt" and last["small"] == {"kind": "Int", "i": -2 ** 63,
                                                                    "type_id": last["small"]["type_id"]}
    assert [x["f"] for x in last["floats"]["elements"]] == ["1.5", "-0.0", "1e+300", "inf", "-inf", "nan"]
    assert t(last["c"])["lang_type"] == "complex" and [x["f"] for x in last["c"]["field_values"]] == ["1.5", "-2.0"]
    assert last["s"]["text"] == "h\u00e9llo w\u00f6rld \u2603 \U0001F600"
    assert last["sur"]["text"] == "bad \ufffd surrogate"
    assert last["b"]["kind"] == "Raw" and last["b"]["r"] == repr(b"\x00\xffab")
    assert last["ba"]["r"] == "bytearray(b'xyz')"
    n = last["nested"]
    assert n["kind"] == "Sequence" and t(n)["lang_type"] == "dict"
    a_items = n["elements"][0]["elements"][1]
    assert a_items["kind"] == "Sequence" and a_items["elements"][1]["kind"] == "Tuple"
    inner_set = a_items["elements"][2]["elements"][0]["elements"][1]
    assert t(inner_set) == {"kind": 2, "lang_type": "set", "specific_info": {"kind": "None"}}
    cyc = last["cyc"]
    assert cyc["elements"][2]["kind"] == "Raw" and cyc["elements"][2]["r"] == "<cycle: list>"
    assert t(cyc["elements"][2])["kind"] == 15       # Recursion
    assert last["twice"]["elements"][0] == last["twice"]["elements"][1] == {
        "kind": "Sequence", "elements": [{"kind": "Int", "i": 10, "type_id": last["edge"]["type_id"]}],
        "is_slice": False, "type_id": last["twice"]["type_id"]}
    assert [x["i"] for x in last["r"]["field_values"]] == [2, 10, 3]
    assert [f["name"] for f in t(last["r"])["specific_info"]["fields"]] == ["start", "stop", "step"]
    assert [x["kind"] for x in last["sl"]["field_values"]] == ["Int", "None", "Int"]
    p = last["p"]
    assert t(p)["kind"] == 6 and t(p)["lang_type"] == "__main__.Point"
    assert [f["name"] for f in t(p)["specific_info"]["fields"]] == ["x", "y"]
    assert p["field_values"][1]["text"] == "y"
    assert [f["name"] for f in t(last["sp"])["specific_info"]["fields"]] == ["a"]
    assert t(last["ml"])["lang_type"] == "__main__.MyList" and last["ml"]["kind"] == "Sequence"
    assert last["fn"]["r"] == "<function __main__.f>" and t(last["fn"])["kind"] == 25
    assert last["cls"]["r"] == "<class __main__.Point>" and t(last["cls"])["kind"] == 26
    assert last["mod"]["r"] == "<module os>"
    assert last["meth"]["r"].startswith("<method ") and last["bi"]["r"] == "<builtin len>"
    e = last["e"]
    assert t(e)["lang_type"] == "__main__.Oops" and t(e)["specific_info"]["fields"][0]["name"] == "args"
    assert [x.get("text", x.get("i")) for x in e["field_values"][0]["elements"]] == ["bad", 2]
    assert last["ve"]["field_values"][0]["text"] == "msg"
    assert last["nothing"] == {"kind": "None", "type_id": 0}
    assert last["yes"]["b"] is True
    ev = events_of(out)
    functions = [e["Function"] for e in ev if "Function" in e]
    variables = [e["VariableName"] for e in ev if "VariableName" in e]
    call_f = [e["Call"] for e in ev if "Call" in e and functions[e["Call"]["function_id"]]["name"] == "f"][0]
    args = {variables[a["variable_id"]]: a["value"] for a in call_f["args"]}
    assert [x["i"] for x in args["args"]["elements"]] == [1, 2]
    assert args["kwargs"]["elements"][0]["elements"][0]["text"] == "k"


def test_truncated_elided_and_redacted_values(write_program, tmp_path):
    prog = write_program(
        "def main():\n"
        "    long_text = 'x' * 50\n"
        "    long_bytes = b'y' * 50\n"
        "    many = list(range(20))\n"
        "    tup = tuple(range(20))\n"
        "    d = {i: i for i in range(20)}\n"
        "    deep = [[[[[1]]]]]\n"
        "    huge = 7 ** 200\n"
        "    password = 'hunter2'\n"
        "    return many\n"
        "main()\n")
    tdir, out = record_and_convert(prog, tmp_path, options=["--max-items", "5", "--max-text", "10",
                                                             "--max-depth", "2"])
    assert check_dir(out) == []
    last = ct_steps(out)[-1][1]
    types = ct_types(out)
    assert last["long_text"]["text"] == "x" * 10 + "\u2026"
    assert last["long_bytes"]["r"] == repr(b"y" * 10) + "\u2026"
    assert last["many"]["is_slice"] is True and [x["i"] for x in last["many"]["elements"]] == [0, 1, 2, 3, 4]
    assert last["tup"]["kind"] == "Sequence" and last["tup"]["is_slice"] is True
    assert types[last["tup"]["type_id"]]["lang_type"] == "tuple"
    assert last["d"]["is_slice"] is True and len(last["d"]["elements"]) == 5
    elided = last["deep"]["elements"][0]["elements"][0]
    assert elided["kind"] == "Raw" and elided["r"] == "<list with 1 items, not expanded>"
    assert types[elided["type_id"]]["kind"] == 31          # NonExpanded
    assert last["huge"]["kind"] == "Raw" and last["huge"]["r"].startswith("<int of ")
    assert last["password"]["kind"] == "Error" and last["password"]["msg"] == "<redacted>"
    assert "hunter2" not in (out / "trace.json").read_text()


def test_unicode_names_and_paths(write_program, tmp_path):
    prog = write_program("def caf\u00e9(\u00e4=1):\n    \u03c0 = '\u2603'\n    return \u03c0\n"
                         "caf\u00e9()\n", name="\u00fcnicode.py")
    tdir, out = record_and_convert(prog, tmp_path)
    assert check_dir(out) == []
    ev = events_of(out)
    assert any(e.get("Function", {}).get("name") == "caf\u00e9" for e in ev)
    assert "\u03c0" in [e["VariableName"] for e in ev if "VariableName" in e]
    assert json.loads((out / "trace_paths.json").read_text())[0].endswith("\u00fcnicode.py")


def test_opt_in_events_and_no_values(write_program, tmp_path):
    prog = write_program("def g():\n    yield from range(3)\n"
                         "for i in g():\n    if i > 1:\n        len([i])\n")
    _, out = record_and_convert(prog, tmp_path / "a",
                                options=["--events", "call,jump,branch,stop_iteration,instruction"])
    assert check_dir(out) == []
    ev = events_of(out)
    # native calls and returns, jumps, branches, instructions, StopIteration:
    # no EventLogKind fits them, they are left out
    assert not any("Event" in e for e in ev)
    _, out = record_and_convert(prog, tmp_path / "b", options=["--no-values"])
    assert check_dir(out) == []


def test_recording_started_inside_a_function(write_program, tmp_path):
    prog = write_program(
        "import ctgen_tracer\n"
        "def inner(x):\n    return x * 2\n"
        "def f():\n    a = 1\n"
        "    with ctgen_tracer.recording(%r):\n        b = inner(a)\n    return b\n"
        "f()\n" % str(tmp_path / "trace"))
    p = run([prog])
    assert p.returncode == 0, p.stderr
    out = tmp_path / "ct"
    assert convert(tmp_path / "trace", out).returncode == 0
    assert check_dir(out) == []


def test_torn_trace_converts_with_warning(tmp_path):
    tdir = tmp_path / "trace"
    prog = tmp_path / "loop.py"
    prog.write_text("def f(n):\n    return sum(i * i for i in range(n))\nfor k in range(3000):\n    f(k % 50)\n")
    record(prog, tdir)
    data = (tdir / "trace.ctgt").read_bytes()
    offsets = [o for o, _ in reader.EventFile(str(tdir / "trace.ctgt")).chunks()]
    assert len(offsets) > 2
    (tdir / "trace.ctgt").write_bytes(data[:offsets[2] + 100])   # the third chunk torn
    (tdir / METADATA_FILE).unlink()                                # as if killed
    out = tmp_path / "ct"
    p = convert(tdir, out)
    assert p.returncode == 0 and "warning" in p.stderr and "torn" in p.stderr, p.stderr
    assert check_dir(out) == []
    last = [e for e in events_of(out) if "Return" in e][-1]["Return"]["return_value"]
    assert last["kind"] == "Error"      # no exit status known


# ---- exception events ------------------------------------------------------

EXCEPTIONS_PROGRAM = r'''
def inner():
    raise ValueError("bad")

def outer():
    try:
        inner()
    except ValueError:
        raise

try:
    outer()
except ValueError as e:
    caught = e
try:
    int("x")
except ValueError:
    pass
print("end")
'''


def test_exception_events_are_errors_not_tracepoint_logs(write_program, tmp_path):
    """Raise, Reraise, Handled and NativeRaise records become Event kind 11
    (Error), never 12 (TraceLogEvent: CodeTracer's tracepoint output, which
    its frontend deletes when tracepoints run and whose click it routes as
    a tracepoint jump); one Event per record, after the step it happened on."""
    tdir, out = record_and_convert(write_program(EXCEPTIONS_PROGRAM), tmp_path, options=["--events", "call"])
    assert check_dir(out) == []
    recs = [r for r in reader.Trace(str(tdir)).records()
            if r.kind in ("Raise", "Reraise", "Handled", "NativeRaise")]
    assert {r.kind for r in recs} == {"Raise", "Reraise", "Handled", "NativeRaise"}
    ev = events_of(out)
    logged = [(i, e["Event"]) for i, e in enumerate(ev) if "Event" in e and e["Event"]["kind"] == EV_ERROR]
    assert not any("Event" in e and e["Event"]["kind"] == EV_TRACE_LOG for e in ev)
    assert [json.loads(e["metadata"])["record"] for _, e in logged] == [r.kind for r in recs]
    words = {"Raise": "raise ", "Reraise": "reraise ", "Handled": "handled ", "NativeRaise": "native raise "}
    for (i, e), r in zip(logged, recs):
        assert e["content"].startswith(words[r.kind]), e
        assert json.loads(e["metadata"])["line"] == r["line"]
        if r.kind != "NativeRaise":
            assert e["content"] == words[r.kind] + "ValueError: " + (
                "bad" if "int(" not in e["content"] else e["content"].split(": ", 1)[1])
        if e["content"] == "raise ValueError: bad" and r["line"] == 3:
            step = [x["Step"] for x in ev[:i] if "Step" in x][-1]
            assert step["line"] == 3, (e, step)         # on the step that raised
    assert any(e["content"] == "raise ValueError: bad" for _, e in logged)
    assert any(e["content"] == "native raise <class int>" for _, e in logged)
    # native calls and returns have no fitting EventLogKind: left out
    assert not any("Event" in x and "native call" in x["Event"]["content"] for x in ev)


# ---- nesting CodeTracer can parse ----------------------------------------------

DEEP_PROGRAM = r'''
def main():
    deep = []
    for _ in range(300):
        deep = [deep]
    dicts = {}
    for _ in range(80):
        dicts = {"k": dicts}
    shared = [[[[[[[[[[1]]]]]]]]]]
    both = [shared]
    for _ in range(40):
        both = [both]
    both = [shared, both]
    return deep

main()
'''


def test_deep_values_are_capped_below_serde_json_limit(write_program, tmp_path):
    """CodeTracer parses trace.json with serde_json, which refuses 128
    levels of nesting: a list costs two levels, a dict four. Values are
    cut at MAX_VALUE_NESTING (94) JSON levels with a NonExpanded marker
    CodeTracer shows as text; the same deep values recorded with
    --max-depth 1000 convert, and the cut keeps every level above it."""
    from ctgen_tracer import convert as conv
    tdir, out = record_and_convert(write_program(DEEP_PROGRAM), tmp_path,
                                   options=["--max-depth", "1000", "--max-nodes", "100000"])
    assert check_dir(out) == []
    ev = events_of(out)
    assert 1 + max(json_depth(e) for e in ev) < SERDE_JSON_DEPTH
    last = ct_steps(out)[-1][1]
    types = ct_types(out)
    cap = conv.MAX_VALUE_NESTING

    def levels(v):              # list levels kept, and the marker at the bottom
        n = 0
        while v["kind"] == "Sequence" and v["elements"]:
            v, n = v["elements"][0], n + 1
        return n, v
    n, bottom = levels(last["deep"])
    assert n == (cap - 1) // 2 and json_depth(last["deep"]) <= cap
    assert bottom["kind"] == "Raw" and bottom["r"] == "<list with 1 items: nested deeper than CodeTracer reads>"
    assert types[bottom["type_id"]]["kind"] == 31      # NonExpanded
    d, k = last["dicts"], 0
    while d["kind"] == "Sequence":
        d, k = d["elements"][0]["elements"][1], k + 1
    assert k == (cap - 1) // 4 and d["kind"] == "Raw" and "nested deeper than CodeTracer" in d["r"]
    assert json_depth(last["both"]) <= cap and "nested deeper than CodeTracer" in json.dumps(last["both"])
    # the shared list, whole at the top, cut where its second copy goes too deep
    assert json_depth(last["both"]["elements"][0]) == 21


# ---- code with no source file ----------------------------------------------------

PSEUDO_PROGRAM = r'''
from dataclasses import dataclass
import contextlib, ctgen_tracer, sys

src = "def f(a):\n    b = a * 2\n    return b\n"
exec(src)
ns = {"__name__": "__main__"}
exec("x = 1\ny = x + 1\n", ns)
early = compile("z = 40\nz += 2\n", "<early>", "exec")

@dataclass
class P:
    x: int
    y: int = 0

def main():
    p = P(f(1))
    with contextlib.nullcontext() if ctgen_tracer.recording_now() else \
            ctgen_tracer.recording(sys.argv[1] + "/inner"):
        exec(early, {"__name__": "__main__"})
        q = P(2)
    return eval("p.x + q.x")

print(main())
'''


def test_code_without_source_file_gets_its_text_or_the_calling_line(write_program, tmp_path):
    """exec/eval strings and dataclasses' generated methods: the recording
    keeps their text (sources.jsonl, from the compile audit event), convert
    writes each distinct text as a file in OUT/files and points the Path at
    it, and show prints its lines; code whose text the recording does not
    know (compiled before recording started) is shown at the calling line,
    in convert and in show. No Path names a pseudo file."""
    prog = write_program(PSEUDO_PROGRAM)
    tdir = tmp_path / "trace"
    p = record(prog, tdir, str(tmp_path))
    assert p.returncode == 0 and p.stdout.split() == ["4"], p.stderr
    out = tmp_path / "ct"
    assert convert(tdir, out).returncode == 0
    assert check_dir(out) == []
    paths = json.loads((out / "trace_paths.json").read_text())
    assert not any(x.startswith("<") for x in paths)
    files = sorted(os.listdir(out / "files"))
    texts = {(out / "files" / n).read_text() for n in files}
    assert "def f(a):\n    b = a * 2\n    return b\n" in texts and "x = 1\ny = x + 1\n" in texts
    assert any("def __init__(self" in t for t in texts) and "p.x + q.x" in texts
    assert len(files) == len(texts) and all(n.startswith(("string-", "early-")) and n.endswith(".py") for n in files)
    assert "z = 40\nz += 2\n" in texts      # the full recording saw it compiled
    ev = events_of(out)
    functions = [e["Function"] for e in ev if "Function" in e]
    steps = [(paths[e["Step"]["path_id"]], e["Step"]["line"]) for e in ev if "Step" in e]
    src_of = {str(out / "files" / n): (out / "files" / n).read_text().splitlines() for n in files}
    # every step in a written file is on a line of its text, f's steps on f's lines
    for path, line in steps:
        if path in src_of:
            assert 1 <= line <= len(src_of[path])
    f_file = next(x for x, t in src_of.items() if t[0] == "def f(a):")
    assert (f_file, 2) in steps and (f_file, 3) in steps
    init = next(fn for fn in functions if fn["name"].endswith("__init__"))
    assert "def __init__(self" in src_of[paths[init["path_id"]]][init["line"] - 1]
    # show prints the same text
    sh = run(["-m", "ctgen_tracer", "show", tdir])
    lines = [x for x in sh.stdout.splitlines() if "<string>:" in x]
    assert any(x.endswith("f | b = a * 2") for x in lines), lines
    assert any(x.endswith("| y = x + 1") for x in lines) and any(x.endswith("| self.x=x") for x in lines)

    # recorded from the inside: <early> was compiled before recording started
    p = run([prog, str(tmp_path)])
    assert p.returncode == 0 and p.stdout.split() == ["4"], p.stderr
    inner = tmp_path / "inner"
    assert not (inner / "sources.jsonl").exists() or "z = 40" not in (inner / "sources.jsonl").read_text()
    out2 = tmp_path / "ct2"
    assert convert(inner, out2).returncode == 0
    assert check_dir(out2) == []
    paths = json.loads((out2 / "trace_paths.json").read_text())
    assert paths == [str(prog)]
    ev = events_of(out2)
    functions = [e["Function"] for e in ev if "Function" in e]
    early = [fn for fn in functions if fn["name"] == "<module>" and fn["line"] != 1]   # not app.py's
    assert len(early) == 1 and early[0]["path_id"] == 0
    assert "exec(early" in prog.read_text().splitlines()[early[0]["line"] - 1]
    # its two steps are shown at the calling line, with its variables
    calling = [e["Step"] for e in ev if "Step" in e and e["Step"]["line"] == early[0]["line"]]
    assert len(calling) >= 3                    # the line itself, the Step before the Call, 2 steps
    sh = run(["-m", "ctgen_tracer", "show", inner])
    assert sum("<early>:" in x and "[no source; run from %s:%d] exec(early" % (prog, early[0]["line"]) in x
               for x in sh.stdout.splitlines()) == 2, sh.stdout


# ---- parts of a trace: --steps, --function, --thread, --max-size -------------------

def _raw_steps(tdir):
    """[(thread, function names on its stack, line, {name: Value})] of every
    Step record, in order (the numbering show uses)."""
    t = reader.Trace(str(tdir))
    stacks, out = {}, []
    for item in t.timeline():
        if type(item) is not tuple:
            continue
        rec, snap = item
        out.append([rec.thread, t.function(rec["fn"]).name, rec["line"], dict(snap)])
    # the function names on each step's stack, from the records
    t = reader.Trace(str(tdir))
    n = 0
    for rec in t.records():
        st = stacks.setdefault(rec.thread, [])
        if rec.kind in reader.OPENS:
            st.append(t.function(rec["fn"]).name)
        elif rec.kind in ("Return", "Yield", "Unwind") and st:
            st.pop()
        elif rec.kind == "Step":
            if not st:                      # recording started inside it
                st.append(t.function(rec["fn"]).name)
            out[n][1] = list(st)
            n += 1
    return out


def _written_steps(out):
    """[(line, {name: ValueRecord})] of the converted steps (not the Steps
    before Calls)."""
    return [(st["line"], vals) for st, vals in ct_steps(out)]


def test_convert_a_part_steps_function_thread(tmp_path):
    """--steps A:B writes exactly steps A to B-1, with the activations
    running at A begun there; --function NAME the steps of NAME's
    activations and what they call; --thread N that thread's steps. Each
    output follows every rule, its steps' lines and variables are the
    trace's, and the metadata and the summary say what part was written."""
    tdir = tmp_path / "trace"
    record(PROGRAMS / "threads.py", tdir)
    raw = _raw_steps(tdir)
    assert len(raw) > 60

    def conv(name, *opts):
        out = tmp_path / name
        p = convert(tdir, out, *opts)
        assert p.returncode == 0, p.stderr
        assert check_dir(out) == [], (name, check_dir(out)[:5])
        return out, p.stderr, json.loads((out / "trace_metadata.json").read_text())

    def same_steps(out, expected):
        written = _written_steps(out)
        assert [line for line, _ in written] == [r[2] for r in expected]
        types = ct_types(out)
        for (line, vals), r in zip(written, expected):
            assert sorted(vals) == sorted(r[3])
            for name, v in r[3].items():
                if v is not None:
                    same(v, vals[name], types, name)

    a, b = 20, 45
    out, err, meta = conv("steps", "--steps", "%d:%d" % (a, b))
    same_steps(out, raw[a:b])
    assert meta["part"]["steps"] == [a, b] and meta["part"]["steps_written"] == b - a
    assert "--steps ends before step %d" % b in meta["part"]["stopped"]
    assert err.startswith("ctgen-tracer: %d steps (stopped: --steps ends before step %d)" % (b - a, b)), err
    # the activations running at step A were begun: the first written step's
    # function is called in the output before it
    ev = events_of(out)
    functions = [e["Function"]["name"] for e in ev if "Function" in e]
    calls = [functions[e["Call"]["function_id"]] for e in ev if "Call" in e]
    assert raw[a][1][-1] in calls

    out, err, meta = conv("function", "--function", "work")
    expected = [r for r in raw if "work" in r[1]]
    assert expected and len(expected) < len(raw)
    same_steps(out, expected)
    assert meta["part"]["function"] == "work" and meta["part"]["stopped"] is None
    assert "%d of the trace's %d steps" % (len(expected), len(raw)) in err
    ev = events_of(out)
    functions = [e["Function"]["name"] for e in ev if "Function" in e]
    assert {functions[e["Call"]["function_id"]] for e in ev if "Call" in e} <= {"<toplevel>", "work"}

    thread = max(r[0] for r in raw)
    out, err, meta = conv("thread", "--thread", str(thread))
    same_steps(out, [r for r in raw if r[0] == thread])
    ev = events_of(out)
    assert {e["ThreadStart"] for e in ev if "ThreadStart" in e} <= {thread, raw[0][0]}

    # combined: the function's steps among steps A:B
    out, err, meta = conv("both", "--function", "work", "--steps", "%d:%d" % (a, b))
    same_steps(out, [r for r in raw[a:b] if "work" in r[1]])


def test_max_size_stops_and_warns_when_too_big_to_load(tmp_path):
    """--max-size stops at the first step after trace.json reached the size
    (activations closed, the output follows every rule), and says so; the
    warning names the memory CodeTracer needs (17 times trace.json)."""
    prog = tmp_path / "loop.py"
    prog.write_text("def f(n):\n    s = [i for i in range(n)]\n    return sum(s)\n"
                    "for k in range(400):\n    f(k % 50)\n")
    tdir = tmp_path / "trace"
    record(prog, tdir)
    full = tmp_path / "full"
    assert convert(tdir, full).returncode == 0
    size = (full / "trace.json").stat().st_size
    limit = size // 4
    out = tmp_path / "part"
    p = convert(tdir, out, "--max-size", str(limit))
    assert p.returncode == 0, p.stderr
    assert check_dir(out) == []
    written = (out / "trace.json").stat().st_size
    assert limit <= written < limit + 20000, (limit, written)
    meta = json.loads((out / "trace_metadata.json").read_text())
    assert meta["part"]["max_size"] == limit and "--max-size reached at step" in meta["part"]["stopped"]
    assert meta["process_exit_status"] == {"code": 0, "label": "exit status 0"}
    assert "(stopped: --max-size reached at step" in p.stderr and "warning" not in p.stderr
    assert len(_written_steps(out)) == meta["part"]["steps_written"] < len(_written_steps(full))
    last = [e for e in events_of(out) if "Return" in e]
    assert last[-2]["Return"]["return_value"]["msg"] == "<still running at the end of the converted part>"
    # too big for the memory given: a warning, and the conversion is written
    p = convert(tdir, tmp_path / "w", "--memory", str(size * 10))
    assert p.returncode == 0 and p.stderr.count("\n") == 2, p.stderr
    assert p.stderr.startswith("ctgen-tracer: warning: trace.json is ")
    assert "CodeTracer needs about 17 times that" in p.stderr and "--memory" in p.stderr
    assert "warning" not in convert(tdir, tmp_path / "w2", "--memory", str(size * 18)).stderr
    # bad values: one error line
    for opts in (["--max-size", "lots"], ["--steps", "5:2"], ["--thread", "x"], ["--memory", "-1G"]):
        p = convert(tdir, tmp_path / "bad", *opts)
        assert p.returncode == 2 and "Traceback" not in p.stderr and opts[0] in p.stderr, p.stderr


# ---- CodeTracer 25.11 ------------------------------------------------------------

def test_codetracer_25_11_floats_as_numbers_and_no_thread_events(write_program, tmp_path):
    """--codetracer-version 25.11: the format runtime_tracing 0.14.2 reads
    (CodeTracer 25.11.1): Float.f a JSON number (inf and nan, which JSON
    numbers cannot hold, as Raw text of the float type), no ThreadStart,
    ThreadSwitch, ThreadExit (its TraceLowLevelEvent has none; its reader
    keeps one stack, which per-thread balance keeps positive). The current
    format stays the default, and each checker refuses the other's output."""
    prog = write_program(VALUES_PROGRAM + (PROGRAMS / "threads.py").read_text())
    tdir = tmp_path / "trace"
    record(prog, tdir)
    old, new = tmp_path / "old", tmp_path / "new"
    p = convert(tdir, old, "--codetracer-version", "25.11")
    assert p.returncode == 0, p.stderr
    assert convert(tdir, new).returncode == 0
    assert check_dir(old, "25.11") == []
    assert check_dir(new) == []
    assert any("is not a string (floats are strings" in e for e in check_dir(old))
    assert any("runtime_tracing 0.14 has no thread events" in e for e in check_dir(new, "25.11"))
    assert any("is not a JSON number" in e for e in check_dir(new, "25.11"))
    ev = events_of(old)
    assert not any(k in e for e in ev if isinstance(e, dict) for k in THREAD_EVENTS)
    assert json.loads((old / "trace_metadata.json").read_text())["codetracer_version"] == "25.11"
    steps = [s for s in ct_steps(old) if "floats" in s[1]]
    floats = steps[-1][1]["floats"]["elements"]
    types = ct_types(old)
    assert [x.get("f", x.get("r")) for x in floats] == [1.5, -0.0, 1e300, "inf", "-inf", "nan"]
    assert math.copysign(1, floats[1]["f"]) == -1
    assert [x["kind"] for x in floats] == ["Float"] * 3 + ["Raw"] * 3
    assert all(types[x["type_id"]]["kind"] == 8 for x in floats)     # all of the float type
    c = steps[-1][1]["c"]["field_values"]
    assert [x["f"] for x in c] == [1.5, -2.0]
    # the same events otherwise: the current output without its thread events, floats aside
    def strip(events):
        return [json.dumps(e, sort_keys=True) for e in events
                if not (isinstance(e, dict) and set(e) & THREAD_EVENTS) and "Float" not in json.dumps(e)]
    assert strip(events_of(old)) == strip(events_of(new))
    p = convert(tdir, tmp_path / "x", "--codetracer-version", "24.1")
    assert p.returncode == 2 and "--codetracer-version" in p.stderr


# ---- metadata ------------------------------------------------------------------

def test_metadata_program_absolute_exit_and_exception_always_filled(tmp_path):
    """program is the absolute path even when recorded by a relative one;
    process_exit_status and uncaught_exception are always there, for a
    normal exit, an uncaught exception, and the pytest plugin's tests."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(PROGRAMS / "uncaught.py", work / "uncaught.py")
    record("uncaught.py", tmp_path / "t1", cwd=work)
    assert convert(tmp_path / "t1", tmp_path / "c1").returncode == 0
    assert check_dir(tmp_path / "c1") == []
    meta = json.loads((tmp_path / "c1" / "trace_metadata.json").read_text())
    assert meta["program"] == str(work / "uncaught.py")
    assert json.loads((tmp_path / "c1" / "trace_paths.json").read_text())[0] == str(work / "uncaught.py")
    assert meta["uncaught_exception"] == "KeyError: 'b'"
    assert meta["process_exit_status"] == {"code": 1, "label": "uncaught KeyError"}
    # a failing and a passing test recorded by the pytest plugin
    (work / "test_it.py").write_text(
        "def helper(x):\n    raise ValueError('no %d' % x)\n\n"
        "def test_fails():\n    helper(3)\n\n"
        "def test_passes():\n    assert 1 + 1 == 2\n")
    p = run(["-m", "pytest", "-q", "-p", "ctgen_tracer.pytest_plugin", "--ctgen-record", tmp_path / "tests",
             "test_it.py"], cwd=work)
    assert p.returncode == 1, p.stdout
    for name, code, exc in (("test_fails", 1, "ValueError: no 3"), ("test_passes", 0, None)):
        out = tmp_path / ("c-" + name)
        assert convert(tmp_path / "tests" / ("test_it.py__" + name), out).returncode == 0
        assert check_dir(out) == []
        meta = json.loads((out / "trace_metadata.json").read_text())
        assert meta["program"] == str(work / "test_it.py") and meta["test"] == "test_it.py::" + name
        assert meta["uncaught_exception"] == exc
        assert meta["process_exit_status"] == {"code": code, "label": "test " + ("failed" if code else "passed")}
        ev = events_of(out)
        errors = [e["Event"]["content"] for e in ev if "Event" in e and e["Event"]["kind"] == EV_ERROR]
        assert (errors[-1] == exc) if exc else not errors


# ---- values agree with the reader -------------------------------------------

def ct_types(out):
    return [e["Type"] for e in events_of(out) if "Type" in e]


def ct_steps(out):
    """[(step, {name: ValueRecord})] of the converted trace, without the
    Steps that stand at a function's definition just before its Call."""
    ev = events_of(out)
    variables, steps = [], []
    for n, e in enumerate(ev):
        if "VariableName" in e:
            variables.append(e["VariableName"])
        elif "Step" in e:
            nxt = next((x for x in ev[n + 1:] if not any(k in x for k in ("Type", "VariableName", "Path", "Function"))), None)
            if nxt is not None and "Call" in nxt:
                continue
            steps.append((e["Step"], {}))
        elif "Value" in e:
            steps[-1][1][variables[e["Value"]["variable_id"]]] = e["Value"]["value"]
    return steps


def same(rv, cv, types, where="", nodes=None):
    """Assert that ct ValueRecord cv stands for reader Value rv, per the
    mapping table of docs/codetracer.md. nodes: rv's tree in pre-order
    (for back-references)."""
    if nodes is None:
        nodes = []
    nodes.append((rv, cv))
    k, d = rv.kind, rv.data
    ty = types[cv["type_id"]] if "type_id" in cv else None
    msg = "%s: %r vs %.200r" % (where, rv, cv)
    if k == "Redacted":
        assert cv["kind"] == "Error" and cv["msg"] == "<redacted>", msg
    elif k == "Null":
        assert cv == {"kind": "None", "type_id": 0}, msg
    elif k == "Bool":
        assert cv["kind"] == "Bool" and cv["b"] is d, msg
    elif k in ("Int", "BigInt") and d is not None:
        if cv["kind"] == "Int":
            assert cv["i"] == d, msg
        else:
            mag = int.from_bytes(base64.b64decode(cv["b"]), "big")
            assert cv["kind"] == "BigInt" and (-mag if cv["negative"] else mag) == d, msg
            assert not I64[0] <= d <= I64[1], msg
    elif k == "Float":
        x = float(cv["f"])
        assert x == d or (math.isnan(x) and math.isnan(d)), msg
        assert struct.pack("<d", x) == struct.pack("<d", d) or math.isnan(d), msg
    elif k == "Complex":
        assert complex(*(float(f["f"]) for f in cv["field_values"])) == d, msg
    elif k == "Str":
        text = cv["text"]
        if rv.truncated:
            assert text.endswith("\u2026"), msg
            text = text[:-1]
        assert text == d.encode("utf-8", "surrogatepass").decode("utf-8", "replace") \
            or text == "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in d), msg
    elif k in ("Bytes", "ByteArray"):
        assert cv["kind"] == "Raw" and repr(d) in cv["r"], msg
    elif k in ("List", "Set", "FrozenSet", "Dict") or (k == "Tuple" and rv.truncated):
        assert cv["kind"] == "Sequence" and cv["is_slice"] == rv.truncated, msg
        if k == "Dict":
            assert len(cv["elements"]) * 2 == len(d), msg
            for i, pair in enumerate(cv["elements"]):
                assert pair["kind"] == "Tuple" and len(pair["elements"]) == 2, msg
                same(d[2 * i], pair["elements"][0], types, "%s{%d}k" % (where, i), nodes)
                same(d[2 * i + 1], pair["elements"][1], types, "%s{%d}v" % (where, i), nodes)
        else:
            assert len(cv["elements"]) == len(d), msg
            for i, (a, b) in enumerate(zip(d, cv["elements"])):
                same(a, b, types, "%s[%d]" % (where, i), nodes)
    elif k == "Tuple":
        assert cv["kind"] == "Tuple" and len(cv["elements"]) == len(d), msg
        for i, (a, b) in enumerate(zip(d, cv["elements"])):
            same(a, b, types, "%s[%d]" % (where, i), nodes)
    elif k in ("Instance", "Range", "Slice", "Exception"):
        assert cv["kind"] == "Struct" and ty["lang_type"] == rv.type, msg
        names = [f["name"] for f in ty["specific_info"]["fields"]]
        if k == "Instance":
            pairs = [(d[i], d[i + 1]) for i in range(0, len(d), 2)]
            for (name, val), fname, fv in zip(pairs, names, cv["field_values"]):
                nodes.append((name, None))
                assert fname == name.data, msg
                same(val, fv, types, "%s.%s" % (where, fname), nodes)
            assert len(pairs) == len(names), msg
        else:
            assert len(d) == len(cv["field_values"]), msg
            for i, (a, b) in enumerate(zip(d, cv["field_values"])):
                same(a, b, types, "%s.%s" % (where, names[i]), nodes)
    elif k in ("Function", "Class", "Module", "Method", "Builtin"):
        assert cv["kind"] == "Raw" and cv["r"] == "<%s %s>" % (k.lower(), d), msg
    elif k == "Ref":
        target_rv, target_cv = nodes[d]
        if any(c is target_rv for c in _ancestors(nodes[0][0], rv)):
            assert cv["kind"] == "Raw" and cv["r"].startswith("<cycle"), msg
        else:
            assert cv == target_cv, msg
    elif k == "Elided":
        assert cv["kind"] == "Raw" and types[cv["type_id"]]["kind"] == 31, msg
    else:
        assert cv["kind"] in ("Raw", "Error"), msg


def _ancestors(root, node):
    """The containers on the path from root to node (identity)."""
    path = []

    def walk(v):
        if v is node:
            return True
        if isinstance(v.data, list):
            path.append(v)
            if any(walk(c) for c in v.data):
                return True
            path.pop()
        return False
    walk(root)
    return path


@pytest.mark.parametrize("name", ["basics.py", "generators.py", "exceptions.py", "values"])
def test_values_agree_with_reader(name, write_program, tmp_path):
    prog = write_program(VALUES_PROGRAM) if name == "values" else PROGRAMS / name
    tdir, out = record_and_convert(prog, tmp_path)
    converted = ct_steps(out)
    types = ct_types(out)
    ours = list(reader.Trace(str(tdir)).steps())
    trace = reader.Trace(str(tdir))
    assert len(converted) == len(ours)
    compared = 0
    for n, ((ct_step, ct_snap), (rec, snap)) in enumerate(zip(converted, ours)):
        assert ct_step["line"] == rec["line"], n
        assert sorted(ct_snap) == sorted(snap), n
        for var, v in snap.items():
            same(v, ct_snap[var], types, "step %d %s" % (n, var))
            compared += 1
    assert compared > 20
    del trace


# ---- every string written is valid UTF-8 ---------------------------------------

FUZZ_CASES = PROGRAMS.parent / "fuzz_cases"


def test_saved_fuzz_cases_convert_cleanly(tmp_path):
    """The fuzzer's saved cases (tests/fuzz_cases): convert writes a
    conversion that follows every rule or gives one error line. Among them
    metadata-exit-status-surrogate-convert (tools/fuzz_reader.py seed
    1796357330, "seed trace basics, convert"): an exit_status "\\udcff"
    was written as the exit code and failed with UnicodeEncodeError."""
    cases = sorted(p.stem for p in FUZZ_CASES.glob("*.ctgt"))
    assert "metadata-exit-status-surrogate-convert" in cases
    for name in cases:
        d = tmp_path / name
        d.mkdir()
        shutil.copy(FUZZ_CASES / (name + ".ctgt"), d / "trace.ctgt")
        if (FUZZ_CASES / (name + ".json")).exists():
            shutil.copy(FUZZ_CASES / (name + ".json"), d / OLD_NAMES[METADATA_FILE])   # format 1 and 2 traces
        out = tmp_path / (name + "-ct")
        p = convert(d, out)
        assert "Traceback" not in p.stderr, (name, p.stderr)
        if p.returncode == 2:
            assert p.stderr.startswith("ctgen-tracer: error: ") and p.stderr.count("\n") == 1, (name, p.stderr)
            continue
        assert p.returncode == 0, (name, p.stderr)
        assert check_dir(out) == [], name
    meta = json.loads((tmp_path / "metadata-exit-status-surrogate-convert-ct" / "trace_metadata.json")
                      .read_text(encoding="utf-8"))
    assert meta["process_exit_status"]["code"] is None and meta["process_exit_status"]["label"]


def test_lone_surrogates_everywhere_become_replacement_characters(write_program, tmp_path):
    """Lone surrogates in every metadata string, in names, values, output
    and exception messages: every file convert writes is valid UTF-8 with
    U+FFFD in their place."""
    prog = write_program(
        "import sys\n"
        "class C:\n    pass\n"
        "def f(\u00e9):\n"
        "    o = C()\n    setattr(o, 'a\\udcff', 1)\n"
        "    d = {'k\\udc80': 'v\\udcff'}\n"
        "    try:\n        raise KeyError('x\\udcff')\n    except KeyError:\n        pass\n"
        "    sys.stdout.write('out\\udcff\\n'.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace'))\n"
        "    raise ValueError('end\\udcff')\n"
        "f('a\\udcff')\n")
    tdir = tmp_path / "trace"
    record(prog, tdir, "arg\udcff")
    meta = json.loads((tdir / METADATA_FILE).read_bytes().decode("utf-8", "surrogatepass"))
    for key in ("program", "ended_by", "recording_error"):
        meta[key] = "%s\udcff" % key
    meta["workdir"] = "/workdir\udcff"
    meta["exit_status"] = "\udcff"
    meta["recorder"]["version"] = "\udcff"
    (tdir / METADATA_FILE).write_bytes(json.dumps(meta, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    out = tmp_path / "ct"
    p = convert(tdir, out)
    assert p.returncode == 0, p.stderr
    assert check_dir(out) == []
    for name in ("trace.json", "trace_metadata.json", "trace_paths.json"):
        text = (out / name).read_bytes().decode("utf-8")          # strict: valid UTF-8
        assert "\ufffd" in text or name == "trace_paths.json", name
    meta = json.loads((out / "trace_metadata.json").read_text(encoding="utf-8"))
    assert meta["args"] == ["arg\ufffd"] and meta["workdir"] == "/workdir\ufffd"
    assert meta["program"] == "/workdir\ufffd/program\ufffd"
    assert meta["uncaught_exception"] == "ValueError: end\ufffd"
    ev = (out / "trace.json").read_text(encoding="utf-8")
    for text in ("a\ufffd", "k\ufffd", "v\ufffd", "raise ValueError: end\ufffd", "out\ufffd"):
        assert json.dumps(text, ensure_ascii=False)[1:-1] in ev, text


# ---- the checker catches violations -----------------------------------------

@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A converted trace with threads, values, exceptions."""
    tmp = tmp_path_factory.mktemp("good")
    prog = tmp / "prog.py"
    prog.write_text(VALUES_PROGRAM + (PROGRAMS / "threads.py").read_text())
    record(prog, tmp / "trace")
    assert convert(tmp / "trace", tmp / "ct").returncode == 0
    assert check_dir(tmp / "ct") == []
    return tmp / "ct"


def _first(ev, pred):
    return next(i for i, e in enumerate(ev) if pred(e))


def _value_step(ev, kind):
    return _first(ev, lambda e: "Value" in e and e["Value"]["value"]["kind"] == kind)


def _nested(ev, kind):
    """The first value of `kind` in a Value event, at any depth."""
    def find(v):
        if v.get("kind") == kind:
            return v
        for c in v.get("elements", []) + v.get("field_values", []):
            r = find(c)
            if r is not None:
                return r
        return None
    return next(r for r in (find(e["Value"]["value"]) for e in ev if "Value" in e) if r is not None)


BREAKS = {
    "assignment": (lambda ev: ev.insert(_first(ev, lambda e: "Step" in e) + 1,
                                        {"Assignment": {"to": 0, "pass_by": "Value", "from": {"kind": "Simple", "0": 0}}}),
                   "Assignment event"),
    "float_number": (lambda ev: _nested(ev, "Float").update(f=1.5),
                     "is not a string (floats are strings"),
    "float_bad_text": (lambda ev: _nested(ev, "Float").update(f="1,5"),
                       "is not a float f64::from_str reads"),
    "int_too_big": (lambda ev: ev[_value_step(ev, "Int")]["Value"]["value"].update(i=2 ** 64),
                    "does not fit in i64 (big ints must be BigInt)"),
    "int_as_string": (lambda ev: ev[_value_step(ev, "Int")]["Value"]["value"].update(i="5"),
                      "is not a JSON integer"),
    "bigint_bad_base64": (lambda ev: _nested(ev, "BigInt").update(b="abc"),
                          "is not padded standard base64"),
    "internally_tagged_event": (lambda ev: ev.__setitem__(_first(ev, lambda e: "Step" in e),
                                                          {"type": "Step", "path_id": 0, "line": 1}),
                                "not an externally tagged event"),
    "untagged_value": (lambda ev: ev[_value_step(ev, "Int")]["Value"].update(value={"Int": 5}),
                       "is not a kind-tagged object"),
    "char_value": (lambda ev: ev[_value_step(ev, "String")]["Value"].update(value={"kind": "Char", "c": "x", "type_id": 0}),
                   "Char values are not"),
    "type0_not_none": (lambda ev: ev.__setitem__(0, {"Type": {"kind": 7, "lang_type": "int", "specific_info": {"kind": "None"}}}),
                       "the first Type (TypeId 0) is 7 'int', not None"),
    "function0_not_toplevel": (lambda ev: ev[_first(ev, lambda e: "Function" in e)]["Function"].update(name="main"),
                               "function 0 is 'main', not <toplevel>"),
    "undefined_type": (lambda ev: ev[_value_step(ev, "Int")]["Value"]["value"].update(type_id=10 ** 6),
                       "type_id 1000000 used before its Type is defined"),
    "type_used_before_defined": (lambda ev: ev.insert(_first(ev, lambda e: "Step" in e) + 1,
                                                      copy.deepcopy(ev[_value_step(ev, "Struct")])),
                                 "used before its Type is defined"),
    "value_before_step": (lambda ev: ev.insert(_first(ev, lambda e: "Step" in e),
                                               {"Value": {"variable_id": 0, "value": {"kind": "None", "type_id": 0}}}),
                          "Value before any Step"),
    "undefined_variable": (lambda ev: ev[_value_step(ev, "Int")]["Value"].update(variable_id=10 ** 6),
                           "variable_id 1000000 used before its VariableName is defined"),
    "undefined_function": (lambda ev: ev[_first(ev, lambda e: "Call" in e and e["Call"]["function_id"] > 0)]["Call"].update(function_id=10 ** 6),
                           "Call of function_id 1000000 before its Function is defined"),
    "step_undefined_path": (lambda ev: ev[_first(ev, lambda e: "Step" in e)]["Step"].update(path_id=99),
                            "Step uses path_id 99 before its Path is defined"),
    "step_line_zero": (lambda ev: ev[_first(ev, lambda e: "Step" in e)]["Step"].update(line=0),
                       "Step has line 0 (lines are 1-based)"),
    "missing_return": (lambda ev: ev.pop(max(i for i, e in enumerate(ev) if "Return" in e)),
                       "Calls with no Return"),
    "extra_return": (lambda ev: ev.append({"Return": {"return_value": {"kind": "None", "type_id": 0}}}),
                     "with no open Call"),
    "return_on_other_thread": (lambda ev: ev.insert(max(i for i, e in enumerate(ev) if "Return" in e),
                                                    {"ThreadSwitch": max(e["ThreadStart"] for e in ev if "ThreadStart" in e)}),
                               "Return on thread"),
    "switch_to_unknown_thread": (lambda ev: ev.insert(len(ev) - 2, {"ThreadSwitch": 999}),
                                 "ThreadSwitch to thread 999, never started"),
    "exit_with_open_calls": (lambda ev: ev.insert(_first(ev, lambda e: "Call" in e) + 1,
                                                  {"ThreadExit": ev[_first(ev, lambda e: "ThreadStart" in e)]["ThreadStart"]}),
                             "open Calls"),
    "call_without_step": (lambda ev: ev.pop(_first(ev, lambda e: "Call" in e and e["Call"]["function_id"] > 0) - 1),
                          "not preceded by a Step at its definition"),
    "duplicate_function": (lambda ev: ev.insert(_first(ev, lambda e: "Function" in e) + 1,
                                                copy.deepcopy(ev[_first(ev, lambda e: "Function" in e)])),
                           "defined twice (functions are keyed by path, line and name)"),
    "struct_field_count": (lambda ev: _nested(ev, "Struct")["field_values"].append(
                               {"kind": "None", "type_id": 0}),
                           "field values, its type"),
    "none_with_type": (lambda ev: _nested(ev, "None").update(type_id=1),
                       "None value with type_id 1, not 0"),
    "bad_event_kind": (lambda ev: ev[_first(ev, lambda e: "Event" in e)]["Event"].update(kind="Error"),
                       "is not an EventLogKind number"),
    "trace_log_event": (lambda ev: ev[_first(ev, lambda e: "Event" in e)]["Event"].update(kind=12),
                        "kind 12 TraceLogEvent, CodeTracer's tracepoint output"),
    "nested_too_deep": (lambda ev: ev[_value_step(ev, "Int")]["Value"].update(value=_deep_list(62)),
                        "serde_json parses fewer than 128"),
    "error_at_normal_end": (lambda ev: ev.insert(max(i for i, e in enumerate(ev) if "Return" in e),
                                                 {"Event": {"kind": 11, "metadata": "", "content": "raise X"}}),
                            "CodeTracer shows the program as ended by 'raise X', but it exited normally"),
    "nan_literal": (None, "the non-JSON constant NaN"),
    "paths_file": (None, "trace_paths.json"),
    "metadata": (None, "trace_metadata.json: workdir missing"),
    "relative_program": (None, "trace_metadata.json: program 'prog.py' is not an absolute path"),
    "no_exit_status": (None, "trace_metadata.json: process_exit_status None is not"),
    "no_uncaught_exception": (None, "trace_metadata.json: uncaught_exception missing"),
}
META_BREAKS = {"metadata": lambda m: m.pop("workdir"),
               "relative_program": lambda m: m.update(program="prog.py"),
               "no_exit_status": lambda m: m.pop("process_exit_status"),
               "no_uncaught_exception": lambda m: m.pop("uncaught_exception")}


def _deep_list(n):
    """A list value nested n deep (2n JSON levels)."""
    v = {"kind": "None", "type_id": 0}
    for _ in range(n):
        v = {"kind": "Sequence", "elements": [v], "is_slice": False, "type_id": 0}
    return v


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_checker_catches(name, good, tmp_path):
    out = tmp_path / "broken"
    shutil.copytree(good, out)
    ev = events_of(out)
    breaker, expected = BREAKS[name]
    if breaker is not None:
        breaker(ev)
        (out / "trace.json").write_text(json.dumps(ev))
    elif name == "nan_literal":
        text = (out / "trace.json").read_text()
        (out / "trace.json").write_text(text.replace('"f":"nan"', '"f":NaN', 1))
    elif name == "paths_file":
        (out / "trace_paths.json").write_text(json.dumps(["/elsewhere.py"]))
    elif name in META_BREAKS:
        meta = json.loads((out / "trace_metadata.json").read_text())
        META_BREAKS[name](meta)
        (out / "trace_metadata.json").write_text(json.dumps(meta))
    errors = check_dir(out)
    assert errors, "the checker missed %s" % name
    assert any(expected in e for e in errors), errors[:5]


# ---- the command's errors ----------------------------------------------------

def test_bad_input_gives_one_line_error(tmp_path, good):
    src = tmp_path / "src"
    record(PROGRAMS / "basics.py", src)
    cases = []
    cases.append(("no such dir", tmp_path / "nope", tmp_path / "o1", "is not a directory"))
    (tmp_path / "empty").mkdir()
    cases.append(("not a trace", tmp_path / "empty", tmp_path / "o2", "is not a ctgen-tracer trace"))
    bad = tmp_path / "bad"
    shutil.copytree(src, bad)
    data = bytearray((bad / "trace.ctgt").read_bytes())
    data[40:48] = b"\xff" * 8
    (bad / "trace.ctgt").write_bytes(bytes(data))
    cases.append(("corrupt chunk", bad, tmp_path / "o3", "chunk 0"))
    rnd = tmp_path / "rnd"
    rnd.mkdir()
    (rnd / "trace.ctgt").write_bytes(os.urandom(4096))
    cases.append(("random file", rnd, tmp_path / "o4", "not a ctgen-tracer event file"))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    cases.append(("foreign OUT", src, foreign, "not empty and holds no CodeTracer conversion"))
    cases.append(("OUT is the trace", src, src, "is the trace directory itself"))
    afile = tmp_path / "afile"
    afile.write_text("x")
    cases.append(("OUT is a file", src, afile, "exists and is not a directory"))
    for what, d, o, expected in cases:
        p = convert(d, o)
        assert p.returncode == 2, (what, p.stderr)
        assert p.stderr.count("\n") == 1 and p.stderr.startswith("ctgen-tracer: error: "), (what, p.stderr)
        assert expected in p.stderr, (what, p.stderr)
        assert "Traceback" not in p.stderr
    assert (foreign / "notes.txt").read_text() == "mine" and sorted(os.listdir(foreign)) == ["notes.txt"]
    assert not (tmp_path / "o3").exists() or not os.listdir(tmp_path / "o3")
    # --force writes beside the foreign file; a previous conversion is overwritten
    assert convert(src, foreign, "--force").returncode == 0
    assert sorted(os.listdir(foreign)) == ["notes.txt", "trace.json", "trace_metadata.json", "trace_paths.json"]
    again = tmp_path / "again"
    assert convert(src, again).returncode == 0
    assert convert(src, again).returncode == 0
    assert check_dir(again) == []
    # a CodeTracer trace that is not ours is not overwritten
    theirs = tmp_path / "theirs"
    shutil.copytree(good, theirs)
    meta = json.loads((theirs / "trace_metadata.json").read_text())
    del meta["converted_by"]
    (theirs / "trace_metadata.json").write_text(json.dumps(meta))
    p = convert(src, theirs)
    assert p.returncode == 2 and "holds no CodeTracer conversion" in p.stderr


def test_mutated_traces_fail_cleanly_or_convert_by_the_rules(tmp_path):
    """Random byte changes in a real trace: the conversion either stops with
    the reader's or the converter's error, or its output follows every rule."""
    import random
    from ctgen_tracer import convert as conv
    src = tmp_path / "src"
    record(PROGRAMS / "generators.py", src)
    data = (src / "trace.ctgt").read_bytes()
    fz, out = tmp_path / "fz", tmp_path / "out"
    fz.mkdir()
    shutil.copy(src / METADATA_FILE, fz)
    rng = random.Random(5)
    outcomes = {"error": 0, "converted": 0}
    for _ in range(150):
        b = bytearray(data)
        for _ in range(rng.choice([1, 2, 8])):
            b[rng.randrange(16, len(b))] = rng.randrange(256)
        (fz / "trace.ctgt").write_bytes(reseal(b) if rng.random() < 0.7 else bytes(b))   # else: CRC-32 mismatch
        try:
            conv.convert(str(fz), str(out), force=True)
        except (conv.ConvertError, reader.TraceError):
            outcomes["error"] += 1
            continue
        outcomes["converted"] += 1
        assert check_dir(out) == []
    assert outcomes["error"] > 0 and outcomes["converted"] > 0, outcomes


def test_sources_file_belongs_to_its_recording(write_program, tmp_path):
    """Recording again into a trace directory replaces its sources.jsonl
    (the texts of the new recording only), and a directory holding one is
    our own trace."""
    prog = write_program("exec('a = 1')\n")
    tdir = tmp_path / "trace"
    assert record(prog, tdir).returncode == 0
    assert "a = 1" in (tdir / "sources.jsonl").read_text()
    prog.write_text("exec('b = 2')\n")
    assert record(prog, tdir).returncode == 0
    text = (tdir / "sources.jsonl").read_text()
    assert "b = 2" in text and "a = 1" not in text


def test_uncaught_exception_without_values_comes_from_the_metadata(tmp_path):
    """--no-values: the Exit record holds no exception value; the uncaught
    exception the metadata names is the trace's end all the same."""
    tdir, out = record_and_convert(PROGRAMS / "uncaught.py", tmp_path, options=["--no-values"])
    assert check_dir(out) == []
    meta = json.loads((out / "trace_metadata.json").read_text())
    assert meta["uncaught_exception"] == "KeyError: 'b'"
    assert meta["process_exit_status"] == {"code": 1, "label": "uncaught KeyError"}
    last = [e["Event"] for e in events_of(out) if "Event" in e][-1]
    assert last == {"kind": EV_ERROR, "metadata": "", "content": "KeyError: 'b'"}


def test_damaged_sources_file_is_ignored_line_by_line(write_program, tmp_path):
    """A sources.jsonl with lines that make no sense (not JSON, not objects,
    wrong types, deep nesting, a text that does not define the function,
    more code lines than the trace has): convert and show take what fits
    and show the rest at the calling line, with no error."""
    prog = write_program("src = 'def f():\\n    return 1\\n'\nexec(src)\nf()\n")
    tdir = tmp_path / "trace"
    assert record(prog, tdir).returncode == 0
    good = (tdir / "sources.jsonl").read_text()
    bad = ("not json\n[1, 2]\n" + "[" * 100000 + "\n"
           '{"path": 5, "text_id": 0}\n{"text_id": "x", "path": "<string>", "text": "y"}\n'
           '{"path": "<string>", "text_id": 99}\n')
    (tdir / "sources.jsonl").write_text(bad + good)
    out = tmp_path / "ct"
    p = convert(tdir, out)
    assert p.returncode == 0, p.stderr
    assert check_dir(out) == []
    # the bad line for "<string>" came first: the module is shown at the calling line, and f,
    # whose line says text 0, gets it (it defines f at line 1)
    paths = json.loads((out / "trace_paths.json").read_text())
    assert len(paths) == 2 and paths[1].endswith(".py") and "/files/string-" in paths[1]
    sh = run(["-m", "ctgen_tracer", "show", tdir])
    assert sh.returncode == 0 and "[no source; run from %s:2] exec(src)" % prog in sh.stdout   # outside the workdir
    assert "f | return 1" in sh.stdout
    (tdir / "sources.jsonl").write_text('{"text_id": 0, "path": "<string>", "text": "x = 1\\n"}\n'
                                        '{"path": "<string>", "text_id": 0}\n' * 3)
    assert convert(tdir, tmp_path / "ct2").returncode == 0
    assert check_dir(tmp_path / "ct2") == []
    # a text that does not define f at its line is not f's: f is shown at the calling line
    ev = events_of(tmp_path / "ct2")
    f = [e["Function"] for e in ev if "Function" in e and e["Function"]["name"] == "f"]
    assert f == [{"path_id": 0, "line": 3, "name": "f"}]


def test_sources_of_a_forked_child_go_to_its_own_trace(write_program, tmp_path):
    """A child forked while recording keeps the texts it compiles in its
    own trace directory (children/<pid>/sources.jsonl), not the parent's."""
    prog = write_program(
        "import os\n"
        "exec('a = 1')\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    exec('b = 2')\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "exec('c = 3')\n")
    tdir = tmp_path / "trace"
    assert record(prog, tdir).returncode == 0
    parent = (tdir / "sources.jsonl").read_text()
    assert "a = 1" in parent and "c = 3" in parent and "b = 2" not in parent
    (child,) = list((tdir / "children").iterdir())
    text = (child / "sources.jsonl").read_text()
    assert "b = 2" in text and "a = 1" not in text
    out = tmp_path / "ct"
    assert convert(child, out).returncode == 0 and check_dir(out) == []
    assert any((out / "files" / n).read_text() == "b = 2" for n in os.listdir(out / "files"))


# ---- the native value decoder and the pure-Python one: the same conversion ----

FORKS = """
import os
def work(n):
    out = [i * i for i in range(n)]
    return {"n": n, "out": out}
pid = os.fork()
if pid == 0:
    work(3)
    os._exit(0)
os.waitpid(pid, 0)
work(4)
"""

# Calls of every kind of argument and return value the native loop
# converts itself or hands over (compact ints and floats, trees, objects,
# a generator's yields), recursion, a thread, and objects nested deeper
# than the recorder expands (Elided nodes)
CALLS = """
import threading
class Node:
    def __init__(self, nxt, v):
        self.nxt, self.v = nxt, v
def chain(n):
    head = None
    for i in range(n):
        head = Node(head, i)
    return head
def mix(i, x, t, xs, node):
    xs.append(i)
    return i * 2 if i % 3 else (x, t)
def fact(n):
    return 1 if n < 2 else n * fact(n - 1)
def gen(n):
    for i in range(n):
        yield i + 0.5
def work(k):
    head = chain(12)
    xs = []
    for i in range(k):
        r = mix(i, i / 3, (i, str(i)), xs, head)
        head.v = r
        f = fact(i % 6)
    return sum(gen(3)), len(xs)
work(30)
th = threading.Thread(target=work, args=(5,))
th.start()
th.join()
"""

def _converted(src, out, native, **options):
    """(summary or error text, trace.json bytes, the other files' bytes) of
    converting src into out in this process, value trees decoded by the
    native module (src/decode_py.c), rendered from objects and as JSON by
    it (src/convert_json.c), the records walked and the common ones
    converted by it (src/convert_rows.c), or all done by the pure-Python
    reader and converter."""
    from ctgen_tracer import convert as conv
    saved = (reader._native_tree, conv._native_json, reader._native_render, reader._native_stale,
             conv._native_rows, conv._native_objects_json)
    if not native:
        reader._native_tree = conv._native_json = reader._native_render = reader._native_stale = None
        conv._native_rows = conv._native_objects_json = None
    try:
        result = conv.convert(str(src), str(out), **options)
    except (conv.ConvertError, reader.TraceError) as e:
        return type(e).__name__ + ": " + str(e), None, None
    finally:
        (reader._native_tree, conv._native_json, reader._native_render, reader._native_stale,
         conv._native_rows, conv._native_objects_json) = saved
    return (result, (out / "trace.json").read_bytes(),
            [(out / n).read_bytes() for n in ("trace_paths.json", "trace_metadata.json")])


def test_native_and_python_value_decoders_convert_alike(write_program, tmp_path):
    """convert reads values through the reader's one value decoder, which
    builds trees in C when the native module is there, in Python otherwise,
    and renders their JSON in C (src/convert_json.c) or in Python: every
    corpus program (objects, exceptions, threads, generators, hostile
    values), a forked child's trace, a program of calls (CALLS: every kind
    of argument and return value, objects nested past the depth limit),
    and damaged traces (a flipped bit
    behind the checksums, a torn end) convert to the same bytes, or fail
    with the same error; the corpus also for CodeTracer 25.11 (floats as
    JSON numbers)."""
    from ctgen_tracer import convert as conv
    assert None not in (reader._native_tree, conv._native_json, reader._native_render, reader._native_stale,
                        conv._native_rows, conv._native_objects_json)
    dirs = []
    for name in CORPUS:
        if name.startswith("_"):
            continue
        d = tmp_path / name
        record(PROGRAMS / name, d)
        dirs.append(d)
    d = tmp_path / "forks"
    assert record(write_program(FORKS), d).returncode == 0
    (child,) = list((d / "children").iterdir())
    dirs += [d, child]
    d = tmp_path / "calls"
    assert record(write_program(CALLS), d).returncode == 0
    dirs.append(d)
    calls = d
    damaged = 0
    for i, src in enumerate(list(dirs[:8])):
        data = (src / "trace.ctgt").read_bytes()
        for j, cut in enumerate((None, len(data) * 3 // 4)):
            bad = tmp_path / ("damaged%d-%d" % (i, j))
            shutil.copytree(src, bad)
            if cut is None:
                b = bytearray(data)
                b[len(b) * 2 // 3] ^= 0x10
                (bad / "trace.ctgt").write_bytes(reseal(bytes(b)))
            else:
                (bad / "trace.ctgt").write_bytes(data[:cut])
            dirs.append(bad)
    for src in dirs:
        out = tmp_path / (src.name + "-ct")
        c = _converted(src, out, native=True)
        py = _converted(src, out, native=False)
        assert c == py, src
        if c[1] is None:
            damaged += 1
            assert "\n" not in c[0] and "Traceback" not in c[0], c[0]
    assert damaged, "some damage is an error"
    for src in dirs[:len(CORPUS)]:
        out = tmp_path / (src.name + "-ct2511")
        c = _converted(src, out, native=True, codetracer_version="25.11")
        assert c == _converted(src, out, native=False, codetracer_version="25.11"), src
    # the parts of a trace convert can write: the native loop leaves the
    # unusual cases (--steps' end, --max-size, unselected activations) to
    # the Python converter, and the two still write the same
    parts = ({"steps": (3, 40)}, {"steps": (25, None)}, {"thread": 1}, {"max_size": 2048},
             {"function": "main"}, {"function": "Node.__init__"})
    for src in dirs[:len(CORPUS)] + [calls]:
        for i, options in enumerate(parts):
            out = tmp_path / ("%s-part%d" % (src.name, i))
            c = _converted(src, out, native=True, **options)
            assert c == _converted(src, out, native=False, **options), (src, options)


# A Ref to an object whose node is at the depth limit, after the object was
# rendered whole (at a smaller depth) while it was past the first 64
# containers of the tree (root13's program, docs/status.md)
REF_AFTER_SEEN_FULL = """
class Node:
    def __init__(self, name, child=None):
        self.name, self.child = name, child
def main():
    root = [[0], [Node(i) for i in range(54)], [[Node("z", Node("zz", {"v": 0}))]], None]
    root[3] = root[2][0][0]
    for i in range(2):
        root[3].child.child["v"] = i
    root[0] = [[1], [2], [3], [4], [5], [6]]   # z past the 64: walked whole at root[3]
    for i in range(2):
        root[3].child.child["v"] = 10 + i
        root[3].child.name = "zz%d" % i
    root[0][0] = [9]                           # still past the 64, root[2] rendered again, z unchanged
    for i in range(2):
        root[3].child.child["v"] = 30 + i
    root[0] = [0]                              # back among the 64: root[3] a Ref to z at the limit
    for i in range(2):
        root[3].child.child["v"] = 20 + i
    return root[3].child.child["v"]
main()
"""


def test_native_convert_writes_a_ref_as_its_target_after_the_seen_set_was_full(write_program, tmp_path):
    """A Ref is written as its target node's JSON (docs/codetracer.md): here
    root[3] is a Ref to z at root[2][0][0], at the depth limit (its child
    not expanded), once z is among the first 64 containers again; while
    it was not, z was walked whole at root[3]. The native renderer's kept
    JSON of root[2], made while the seen set was full (from root[2][0]'s
    kept JSON), left z unregistered: copied once the set had room, root[3]
    was z expanded again, where the pure-Python Converter (the reference)
    writes the Ref's target."""
    src = tmp_path / "t"
    assert record(write_program(REF_AFTER_SEEN_FULL), src).returncode == 0
    c = _converted(src, tmp_path / "c", native=True)
    py = _converted(src, tmp_path / "py", native=False)
    assert c[1] is not None and c == py
    # the last steps show root[3] as z with its child not expanded, as at root[2][0][0]
    roots = [e["Value"]["value"] for e in json.loads(c[1])
             if "Value" in e and e["Value"]["value"].get("kind") == "Sequence"
             and len(e["Value"]["value"]["elements"]) == 4]
    last = roots[-1]["elements"]
    assert last[3] == last[2]["elements"][0]["elements"][0]
    assert "not expanded" in last[3]["field_values"][1]["r"]
    # and before, while z was past the 64, its child was shown
    assert any(r["elements"][3]["kind"] == "Struct" and r["elements"][3]["field_values"][1]["kind"] == "Struct"
               for r in roots)


SHARED = """
class N:
    def __init__(self, i, nxt=None):
        self.i, self.nxt, self.tags = i, nxt, [i, str(i)]
class Box:
    def __init__(self, items):
        self.items, self.me, self.d = items, self, {"a": items[0]}
def main():
    nodes = [N(i) for i in range(80)]
    for i in range(1, 80):
        nodes[i].nxt = nodes[i - 1]
    box = Box(nodes[:5])
    pair = (nodes[3], nodes[4])
    big = {k: nodes[k % 7] for k in range(20)}
    ring = N(-1)
    ring.nxt = ring
    s = 0
    for step in range(12):
        nodes[step % 9].i += 1
        box.items.append(nodes[step])
        if step % 4 == 0:
            box.d["k%d" % step] = pair
            big[step] = (ring, box)
        ring.tags.append(step)
        s += sum(n.i for n in box.items)
    return s
main()
"""


NARROW = """
def add(a, b):
    return a + b
def work(n):
    total = 0
    for i in range(n):
        total = add(total, i % 7)
        k = i - 300
    return total
work(2000)
"""


def test_the_native_loop_converts_narrower_records_itself(write_program, tmp_path):
    """Format 10's narrower records (ShortLine, ShortVarInt, ShortArgInt,
    ShortReturnInt) are converted by the native loop as the records they
    narrow (Line, VarInt, ArgInt, ReturnInt), not handed one by one to the
    Python Converter (until session 11 every ShortLine was: a loop of small
    variables converted 3.5x slower), and the output is the Python
    Converter's."""
    from ctgen_tracer import convert as conv
    src = tmp_path / "t"
    assert record(write_program(NARROW), src).returncode == 0
    kinds = [conv._NAMES[k] for _, chunk in reader.Trace(src).file.chunks() for k in chunk["kinds"]]
    assert {"ShortLine", "ShortVarInt", "ShortArgInt", "ShortReturnInt"} <= set(kinds)
    handed = []
    row = conv.Converter.row

    def counted(self, k, *args):
        handed.append(conv._NAMES[k])
        return row(self, k, *args)
    conv.Converter.row = counted
    try:
        c = _converted(src, tmp_path / "c", native=True)
    finally:
        conv.Converter.row = row
    # (a variable name's first use is the Converter's: it defines the name's VariableName)
    assert "Step" not in handed and \
        sum(handed.count(k) for k in ("Var", "Arg", "Call", "Return")) <= sum(k == "VarNameDef" for k in kinds), handed
    assert c == _converted(src, tmp_path / "py", native=False)


def test_objects_json_matches_render_and_value_json(write_program, tmp_path):
    """A value that reads objects is rendered to JSON in one pass from the
    object table (convert_json.c's objects_json), each object's JSON kept
    and copied where it is met again unchanged: objects shared between
    variables and inside one tree (Refs), a cycle, more objects than the
    seen set holds, objects changed between steps, Elided ones and trees
    cut by the node budget convert to the bytes the pure-Python converter
    writes, with the kept renderings in 4096 places and in one (each
    evicting the last)."""
    from ctgen_tracer import convert as conv
    from ctgen_tracer._native import ObjectsJsonCache
    program = write_program(SHARED)
    kept = conv._native_kept
    for i, options in enumerate(((), ("--max-nodes", "40"), ("--max-nodes", "150"), ("--max-depth", "2"),
                                 ("--max-depth", "9"))):
        src = tmp_path / ("shared%d" % i)
        assert record(program, src, options=options).returncode == 0
        py = _converted(src, tmp_path / ("py%d" % i), native=False)
        assert py[1] is not None, py[0]
        assert _converted(src, tmp_path / ("c%d" % i), native=True) == py, options
        conv._native_kept = lambda: ObjectsJsonCache(1)
        try:
            assert _converted(src, tmp_path / ("one%d" % i), native=True) == py, options
        finally:
            conv._native_kept = kept
