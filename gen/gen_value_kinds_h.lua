-- gen/gen_value_kinds_h.lua: writes generated/value_kinds.h: the value walker's per-kind
-- dispatch, from the spec's `value` declarations: identity checks, then exact
-- type checks, then subclass checks (in spec order), then ctv_enc_other().
-- One function per section of the output; main at the bottom.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local lib = require("lib")

local function prologue(L, model, gen)
  L(lib.header(model, gen, "/*", " */"))
  L("/* Which encoder records a Python object, and as which ValueKind. The")
  L("   encoders (ctv_enc_NAME) are in src/values.c; none of them runs user code. */")
  L("#ifndef CTGEN_VALUE_KINDS_H")
  L("#define CTGEN_VALUE_KINDS_H")
  L("")
  L("#include <Python.h>")
  L("#include \"records.h\"")
  L("")
end

-- A kind whose type is new in some CPython (`since`) is selected only when
-- compiled for that version or a later one.
local function since_if_at(L, v)
  if v.since then L("#if PY_VERSION_HEX >= %s", lib.version_hex(v.since)) end
end
local function since_endif_at(L, v)
  if v.since then L("#endif") end
end

local function encoders(L, model)
  L("typedef struct ctv_walk ctv_walk;")
  L("")
  local seen = {}
  for _, v in ipairs(model.values) do
    if v.encode and not seen[v.encode] then
      seen[v.encode] = true
      L("int ctv_enc_%s(ctv_walk *w, PyObject *o, int kind, int flags);", v.encode)
    end
  end
  L("int ctv_enc_other(ctv_walk *w, PyObject *o);")
  L("")
end

-- The kinds a subclass is recorded as (`subclass`), in spec order: the first
-- whose match type the object's type subclasses names its encoder.
local function subkinds(model)
  local t = {}
  for _, v in ipairs(model.values) do
    if v.match and v.subclass then t[#t + 1] = v end
  end
  return t
end

-- subkind: the subclass test of a type that is none of the matched types, as
-- an index into subkinds() (0: none, ctv_enc_other), computed once per type
-- and version tag. The tag is unique to the type in the process and changes
-- when its bases or MRO change (PyType_Modified), so a cached answer is never
-- read for another type at a dead one's address or for changed bases; a type
-- without a tag (a class just modified, tags exhausted) is tested every time.
local function subkind(L, model)
  L("/* ctv_subkind_test: the first kind that type t subclasses, as ctv_dispatch's")
  L("   case (0: none). */")
  L("static inline int")
  L("ctv_subkind_test(PyTypeObject *t)")
  L("{")
  for i, v in ipairs(subkinds(model)) do
    since_if_at(L, v)
    L("    if (PyType_IsSubtype(t, &%s))", v.match)
    L("        return %d;", i)
    since_endif_at(L, v)
  end
  L("    return 0;")
  L("}")
  L("")
  L("/* ctv_subkind: ctv_subkind_test(t), remembered per type and version tag in a")
  L("   direct-mapped table (a tag is never given to two types, and a type whose")
  L("   bases change gets a new one); one table per interpreter process, written")
  L("   under the GIL. */")
  L("static inline int")
  L("ctv_subkind(PyTypeObject *t)")
  L("{")
  L("    static struct { PyTypeObject *t; unsigned int tag; int kind; } cache[256];")
  L("    unsigned int tag = t->tp_version_tag;")
  L("    unsigned int i = (unsigned int)((uintptr_t)t >> 6) & 255u;")
  L("    if (tag != 0 && cache[i].t == t && cache[i].tag == tag)")
  L("        return cache[i].kind;")
  L("    int kind = ctv_subkind_test(t);")
  L("    /* (a static type's tag is given here when it has none: its bases never")
  L("       change; a class's is left to the interpreter, which gives a class a")
  L("       bounded number of them) */")
  L("    if (tag == 0 && !(t->tp_flags & Py_TPFLAGS_HEAPTYPE) && PyUnstable_Type_AssignVersionTag(t))")
  L("        tag = t->tp_version_tag;")
  L("    if (tag != 0) {")
  L("        cache[i].t = t;")
  L("        cache[i].tag = tag;")
  L("        cache[i].kind = kind;")
  L("    }")
  L("    return kind;")
  L("}")
  L("")
end

local function dispatch(L, model)
  L("/* ctv_dispatch: record `o` with the encoder its kind names. */")
  L("static inline int")
  L("ctv_dispatch(ctv_walk *w, PyObject *o)")
  L("{")
  L("    PyTypeObject *t = Py_TYPE(o);")
  for _, v in ipairs(model.values) do
    if v.identity then
      L("    if (o == %s)", v.identity)
      L("        return ctv_enc_%s(w, o, CTV_%s, 0);", v.encode, v.name)
    end
  end
  -- Every matched type is a static (built-in) type: a class made at run
  -- time (a heap type, the common case of an instance) skips the compares.
  L("    if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE)) {")
  for _, v in ipairs(model.values) do
    if v.match then
      since_if_at(L, v)
      L("        if (t == &%s)", v.match)
      L("            return ctv_enc_%s(w, o, CTV_%s, 0);", v.encode, v.name)
      since_endif_at(L, v)
    end
  end
  L("    }")
  L("    /* a class whose chain of layout bases reaches object through classes")
  L("       made at run time only (class statements) subclasses no built-in kind:")
  L("       each of them has a layout of its own, so it would be in the chain */")
  L("    PyTypeObject *b = t;")
  L("    while (b != NULL && (b->tp_flags & Py_TPFLAGS_HEAPTYPE))")
  L("        b = b->tp_base;")
  L("    if (b == &PyBaseObject_Type)")
  L("        return ctv_enc_other(w, o);")
  L("    /* subclasses of built-in kinds, read through their built-in storage, and")
  L("       the built-in types of no kind (weakref, deque, a lock, ...): which, by")
  L("       the type's cached answer (ctv_subkind) */")
  L("    switch (ctv_subkind(t)) {")
  for i, v in ipairs(subkinds(model)) do
    since_if_at(L, v)
    L("    case %d:", i)
    L("        return ctv_enc_%s(w, o, CTV_%s, CTR_ValueFlag_Subclass);", v.encode, v.name)
    since_endif_at(L, v)
  end
  L("    default:")
  L("        return ctv_enc_other(w, o);")
  L("    }")
  L("}")
  L("")
end

-- packing: per kind, how the writer packs a child node of it in a `packed` node
-- (format 9 on) and whether its node's len counts children.
local function packing(L, model)
  L("/* Packed children (format 9 on: docs/trace-format.md, \"Packed children\"):")
  L("   per ValueKind, how a child node of it is packed in a Packed node (CTV_PACK_NO:")
  L("   it stays a node), and whether its len counts children (a container). */")
  L("enum { CTV_PACK_NO = 0%s };", (function()
    local t = {}
    for i, f in ipairs(lib.PACK_FORMS) do t[i] = string.format(", CTV_PACK_%s = %d", f:upper(), i) end
    return table.concat(t)
  end)())
  local packs, kids = {}, {}
  local containers = { items = 1, tuple = 1, pairs = 1, attrs = 1, fields = 1, named = 1, packed = 1 }
  for i, v in ipairs(model.values) do
    packs[i] = tostring(lib.pack_form(v))
    kids[i] = containers[v.layout] and "1" or "0"
  end
  L("static const uint8_t ctv_pack[CTV_N_KINDS] = { %s };", table.concat(packs, ", "))
  L("static const uint8_t ctv_container[CTV_N_KINDS] = { %s };", table.concat(kids, ", "))
  L("")
end

local function deaths(L, model)
  L("/* Death signals (spec: `lifetime dealloc`): X(KIND, TYPE) for each kind whose")
  L("   match type's deallocator (or the type named after `dealloc`) the recorder")
  L("   wraps while it records, so that an object made later at a dead one's")
  L("   address gets a fresh id (src/deaths.c). */")
  local names = {}
  for _, v in ipairs(model.values) do
    if v.lifetime == "dealloc" then
      local m = "CTV_DEALLOC_" .. v.name
      names[#names + 1] = m .. "(X)"
      if v.since then
        L("#if PY_VERSION_HEX >= %s", lib.version_hex(v.since))
        L("#define %s(X) X(%s, %s)", m, v.name, v.dealloc or v.match)
        L("#else")
        L("#define %s(X)", m)
        L("#endif")
      else
        L("#define %s(X) X(%s, %s)", m, v.name, v.dealloc or v.match)
      end
    end
  end
  L("#define CTV_DEALLOC_TYPES(X) %s", table.concat(names, " "))
  L("")
end

local function main(model, gen)
  local lines, L = lib.buffer()
  prologue(L, model, gen)
  encoders(L, model)
  subkind(L, model)
  dispatch(L, model)
  packing(L, model)
  deaths(L, model)
  L("#endif")
  return lines
end

lib.run("gen/gen_value_kinds_h.lua", main)
