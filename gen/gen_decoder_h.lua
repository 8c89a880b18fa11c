-- gen/gen_decoder_h.lua: writes generated/decoder.h, the tables the trace
-- decoder (src/decode.c) walks to read and check a chunk: the Chunk table's
-- slots, each record's vector, struct size and fields (offset, scalar type,
-- enum, what the field refers to: an id a definition record defines, or a
-- tree root in a chunk pool, and the sentinel it may hold instead), which
-- records open and close activations, and each value kind's layout. Data
-- only: the decoder knows no record, field or kind by name but through
-- these tables. One function per section of the output; main at the bottom.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local lib = require("lib")

-- The spec language's scalar types, as the decoder's CTQ_S_* codes.
local SCALAR_ORDER = { "bool", "byte", "ubyte", "short", "ushort", "int", "uint", "long", "ulong",
                       "float", "double" }
-- The spec language's value layouts and text encodings (docs/spec-language.md).
local LAYOUTS = { "none", "bool", "int", "float", "complex", "text", "ref", "elided", "object",
                  "items", "tuple", "pairs", "attrs", "fields", "named", "packed" }
local ENCODINGS = { "none", "utf8", "bytes", "int", "name" }

-- id_kinds(model) -> what the definition records define, in record order
-- (once each: Obj and ObjPut both define objects).
local function id_kinds(model)
  local out, seen = {}, {}
  for _, r in ipairs(model.records) do
    if r.defines and not seen[r.defines] then
      out[#out + 1] = r.defines
      seen[r.defines] = true
    end
  end
  return out
end

-- pool_refs(model) -> the chunk pools of structs (a field's `-> POOL`).
local function pool_refs(model)
  local out = {}
  for _, p in ipairs(model.chunk.pools) do
    if model.struct_by_name[p.elem] then out[#out + 1] = p.name end
  end
  return out
end

local function ref_code(model, f)
  if not f.ref then return "CTQ_REF_NONE" end
  for _, k in ipairs(id_kinds(model)) do
    if k == f.ref then return "CTQ_ID_" .. k end
  end
  return "CTQ_POOL_" .. f.ref
end

local function sentinel(model, f)
  if not f.ref_or then return "0, 0" end
  for _, c in ipairs(model.consts) do
    if c.name == f.ref_or then return "1, CTR_" .. c.name end
  end
  error("unknown const " .. f.ref_or)
end

-- records_of(model, action) -> set of records written by events that `do action`.
local function records_of(model, action)
  local set = {}
  for _, r in ipairs(lib.records_doing(model, action)) do set[r] = true end
  return set
end

local function preamble(L)
  L("/* The spec's tables for the trace decoder (src/decode.c): how to find")
  L("   each record's vector in a chunk, lay out and check its fields, and read")
  L("   each value kind's node. Included by src/decode.c only. */")
  L("#ifndef CTGEN_DECODER_H")
  L("#define CTGEN_DECODER_H")
  L("")
  L("#include <stdint.h>")
  L("#include \"records.h\"")
  L("")
end

local function codes_section(L, model)
  L("/* Scalar types of the spec language. */")
  L("enum {")
  for i, s in ipairs(SCALAR_ORDER) do L("    CTQ_S_%s = %d,", s, i - 1) end
  L("};")
  L("")
  L("/* What a field's number refers to: an id a definition record defines")
  L("   (CTQ_ID_*, numbered from 1), or the root of a tree in a chunk pool of")
  L("   structs (CTQ_POOL_*). */")
  L("enum {")
  L("    CTQ_REF_NONE = 0,")
  local kinds = id_kinds(model)
  for i, k in ipairs(kinds) do L("    CTQ_ID_%s = %d,", k, i) end
  for i, p in ipairs(pool_refs(model)) do L("    CTQ_POOL_%s = %d,", p, #kinds + i) end
  L("};")
  L("#define CTQ_N_ID_KINDS %d", #kinds)
  L("static const char *const ctq_id_kind_names[CTQ_N_ID_KINDS + 1] = {")
  L("    \"\",")
  for _, k in ipairs(kinds) do L("    %s,", lib.c_string(k)) end
  L("};")
  L("")
  L("/* Value layouts and text encodings of the spec language. */")
  L("enum {")
  for i, l in ipairs(LAYOUTS) do L("    CTQ_L_%s = %d,", l, i - 1) end
  L("};")
  L("enum {")
  for i, e in ipairs(ENCODINGS) do L("    CTQ_E_%s = %d,", e, i - 1) end
  L("};")
  L("/* How a child of a kind is packed in a `packed` node's entries (format 9 on;")
  L("   docs/trace-format.md, \"Packed children\"): CTQ_P_no, it is a node. */")
  L("enum {")
  L("    CTQ_P_no = 0,")
  for i, f in ipairs(lib.PACK_FORMS) do L("    CTQ_P_%s = %d,", f, i) end
  L("};")
  L("")
end

local function types_section(L)
  L("/* A field of a record or struct, flat: a `text` field is its _off field")
  L("   (text = 1; its _len follows it) and its _len field (text = 2). enum_of:")
  L("   index into ctq_enums + 1 (0: none). has_or: the field may hold `or_value`")
  L("   instead of a reference. */")
  L("typedef struct ctq_field {")
  L("    const char *name;")
  L("    uint16_t offset;")
  L("    uint8_t scalar, ref, has_or;")
  L("    uint32_t or_value;")
  L("    uint8_t text, enum_of;")
  L("} ctq_field;")
  L("")
  L("typedef struct ctq_enum {")
  L("    const char *name;")
  L("    int n;")
  L("    const int64_t *values;")
  L("    const char *const *names;")
  L("} ctq_enum;")
  L("")
  L("/* A record: its name, its vector's name and slot in the Chunk table, its")
  L("   struct size, what it defines (CTQ_ID_*, or 0), whether it opens (1) or")
  L("   closes (2) an activation, its flat fields; for a compact record (`compacts`),")
  L("   the record it stands for, its field holding the inline node's `a` and the")
  L("   node's value kind (else -1, -1, -1); for a record that omits a field of")
  L("   another (`omits R.F`), R and F's flat index in R (else -1, -1); its own")
  L("   field referring to a function (else -1). */")
  L("typedef struct ctq_record {")
  L("    const char *name, *vector;")
  L("    uint16_t slot, size;")
  L("    uint8_t defines, activation;")
  L("    int16_t compacts;")
  L("    int8_t compact_field, compact_kind;")
  L("    int16_t omits;")
  L("    int8_t omit_field, fn_field;")
  L("    int nfields;")
  L("    const ctq_field *fields;")
  L("} ctq_record;")
  L("")
  L("/* A value kind: its name, layout, text encoding, and the exact number of")
  L("   children of a `fields` layout (-1: any); a `named` layout's kind it stands")
  L("   for and its names' kind (else -1) and their type's name (else NULL);")
  L("   pack: how a child of the kind is packed in a `packed` node (CTQ_P_*). */")
  L("typedef struct ctq_layout {")
  L("    const char *kind;")
  L("    uint8_t layout, encoding, pack;")
  L("    int8_t children;")
  L("    int8_t stands, name_kind;")
  L("    const char *name_type;")
  L("} ctq_layout;")
  L("")
end

local function enums_section(L, model)
  L("/* The spec's enums (values in order). */")
  for _, e in ipairs(model.enums) do
    local vals, names = {}, {}
    for i, m in ipairs(e.members) do
      vals[i] = tostring(m.value)
      names[i] = lib.c_string(m.name)
    end
    L("static const int64_t ctq_enum_%s_values[] = { %s };", e.name, table.concat(vals, ", "))
    L("static const char *const ctq_enum_%s_names[] = { %s };", e.name, table.concat(names, ", "))
  end
  L("#define CTQ_N_ENUMS %d", #model.enums)
  L("static const ctq_enum ctq_enums[CTQ_N_ENUMS] = {")
  for _, e in ipairs(model.enums) do
    L("    { %s, %d, ctq_enum_%s_values, ctq_enum_%s_names },", lib.c_string(e.name), #e.members, e.name, e.name)
  end
  L("};")
  L("")
end

local function enum_index(model, t)
  for i, e in ipairs(model.enums) do
    if e.name == t then return i end
  end
  return 0
end

local function fields_table(L, model, cname, fields)
  local laid = lib.layout(model, fields)
  local by_name = {}
  for _, f in ipairs(fields) do by_name[f.name] = f end
  L("static const ctq_field %s[] = {", cname)
  for _, f in ipairs(laid) do
    local src = by_name[f.name] or {}
    local text = f.text and (f.name:match("_off$") and 1 or 2) or 0
    L("    { %s, %d, CTQ_S_%s, %s, %s, %d, %d },", lib.c_string(f.name), f.offset, f.scalar,
      ref_code(model, src), sentinel(model, src), text, enum_index(model, f.type))
  end
  if #laid == 0 then L("    { 0 },") end
  L("};")
  return #laid
end

-- chunk_slots(model) -> the Chunk table's fields in FlatBuffers id order (as
-- gen_records_c.lua lays them out): its scalar fields, kinds, pools, records.
local function chunk_slots(model)
  local c, out = model.chunk, {}
  for _, f in ipairs(c.fields) do out[#out + 1] = { name = f.name, scalar = lib.scalar_of(model, f.type) } end
  out[#out + 1] = { name = "kinds", vector = true }
  for _, p in ipairs(c.pools) do out[#out + 1] = { name = p.name, vector = true, elem = p.elem } end
  return out
end

-- value_pool(model) -> the chunk pool of value tree nodes (its struct has a
-- ValueKind field), and that struct; or nil.
local function value_pool(model)
  for _, p in ipairs(model.chunk.pools) do
    local st = model.struct_by_name[p.elem]
    for _, f in ipairs(st and st.fields or {}) do
      if f.type == "ValueKind" then return p, st end
    end
  end
end

local function chunk_section(L, model)
  local slots = chunk_slots(model)
  L("/* The Chunk table's slots (FlatBuffers field ids): its scalar fields,")
  L("   `kinds`, its pools; the record vectors follow (ctq_records[k].slot). */")
  for i, s in ipairs(slots) do L("#define CTQ_SLOT_%s %d", s.name, i - 1) end
  L("#define CTQ_N_SLOTS %d", #slots + #model.records)
  for _, s in ipairs(slots) do
    if s.scalar then L("#define CTQ_SCALAR_%s CTQ_S_%s", s.name, s.scalar) end
  end
  L("/* Bytes of one element of each slot's vector (0: a scalar slot). */")
  L("static const uint16_t ctq_slot_size[CTQ_N_SLOTS] = {")
  for _, s in ipairs(slots) do
    local size = 0
    if s.name == "kinds" then
      size = 1
    elseif s.elem then
      size = lib.scalars[s.elem] and lib.scalars[s.elem].size
      if not size then
        local _, sz = lib.layout(model, model.struct_by_name[s.elem].fields)
        size = sz
      end
    end
    L("    %d,  /* %s */", size, s.name)
  end
  for _, r in ipairs(model.records) do
    local _, size = lib.layout(model, r.fields)
    L("    %d,  /* %s */", size, lib.snake(r.name))
  end
  L("};")
  local pool = value_pool(model)
  if pool then
    L("/* The pool of value tree nodes. */")
    L("#define CTQ_SLOT_VALUES CTQ_SLOT_%s", pool.name)
    L("#define CTQ_POOL_VALUES CTQ_POOL_%s", pool.name)
  end
  L("")
end

local function structs_section(L, model)
  local _, st = value_pool(model)
  if not st then return end
  L("/* The fields of a value tree node (struct %s; its references are checked per node). */", st.name)
  local n = fields_table(L, model, "ctq_value_fields", st.fields)
  L("#define CTQ_N_VALUE_FIELDS %d", n)
  L("#define CTQ_VALUE_SIZE sizeof(ctr_%s)", st.name)
  L("")
end

local function records_section(L, model)
  local opens, closes = records_of(model, "push"), records_of(model, "pop")
  L("/* Each record's flat fields. */")
  local counts = {}
  for _, r in ipairs(model.records) do
    counts[r.name] = fields_table(L, model, "ctq_fields_" .. r.name, r.fields)
  end
  L("")
  local first = #chunk_slots(model)
  L("static const ctq_record ctq_records[CTR_N_RECORDS] = {")
  for i, r in ipairs(model.records) do
    local _, size = lib.layout(model, r.fields)
    local act = opens[r.name] and 1 or closes[r.name] and 2 or 0
    local compacts, cfield, ckind = "-1", -1, "-1"
    if r.compacts then
      compacts, ckind = "CTR_K_" .. r.compacts, "CTV_" .. r.compact_kind
      local g
      for _, rr in ipairs(model.records) do
        if rr.name == r.compacts then g = rr end
      end
      local pools, flat = {}, 0   -- flat: the field's index among the flat fields (a text is two)
      for _, pl in ipairs(model.chunk.pools) do pools[pl.name] = true end
      for _, f in ipairs(g.fields) do
        if f.ref and pools[f.ref] then cfield = flat end
        flat = flat + (f.type == "text" and 2 or 1)
      end
    end
    local omits, ofield, fnfield = "-1", -1, -1
    local flat = 0
    for _, f in ipairs(r.fields) do
      if f.ref == "function" and not f.ref_or then fnfield = flat end
      flat = flat + (f.type == "text" and 2 or 1)
    end
    if r.omits then
      omits = "CTR_K_" .. r.omits
      flat = 0
      for _, f in ipairs(model.record_by_name[r.omits].fields) do
        if f.name == r.omit_field then ofield = flat end
        flat = flat + (f.type == "text" and 2 or 1)
      end
    end
    L("    { %s, %s, %d, %d, %s, %d, %s, %d, %s, %s, %d, %d, %d, ctq_fields_%s },", lib.c_string(r.name),
      lib.c_string(lib.snake(r.name)), first + i - 1, size, r.defines and ("CTQ_ID_" .. r.defines) or "0", act,
      compacts, cfield, ckind, omits, ofield, fnfield, counts[r.name], r.name)
  end
  L("};")
  L("")
end

-- kinds_section: an X-macro of the record kinds, for code specialised per kind (a switch whose cases
-- read ctq_records[CTR_K_name] as constants: src/decode.c's index scan).
local function kinds_section(L, model)
  L("/* Each record kind, in kind order: X(name), CTR_K_name its kind. */")
  local width = #"#define CTQ_RECORD_KINDS(X)"
  for _, r in ipairs(model.records) do width = math.max(width, 4 + #("X(" .. r.name .. ")")) end
  L("%s \\", lib.pad("#define CTQ_RECORD_KINDS(X)", width))
  for i, r in ipairs(model.records) do
    local item = "    X(" .. r.name .. ")"
    L(i < #model.records and "%s \\" or "%s", i < #model.records and lib.pad(item, width) or item)
  end
  L("")
end

local function layouts_section(L, model)
  L("/* Each value kind's layout (spec `layout`), in ValueKind order. */")
  L("static const ctq_layout ctq_layouts[CTV_N_KINDS] = {")
  local index = {}
  for i, v in ipairs(model.values) do index[v.name] = i - 1 end
  for _, v in ipairs(model.values) do
    if v.layout == "named" then
      L("    { %s, CTQ_L_named, CTQ_E_none, CTQ_P_no, -1, %d, %d, %s },", lib.c_string(v.name),
        index[v.layout_arg], index[v.name_kind], lib.c_string(v.name_type))
    else
      local f = lib.pack_form(v)
      L("    { %s, CTQ_L_%s, CTQ_E_%s, CTQ_P_%s, %d, -1, -1, NULL },", lib.c_string(v.name), v.layout,
        v.layout_arg or "none", f > 0 and lib.PACK_FORMS[f] or "no", v.fields and #v.fields or -1)
    end
  end
  L("};")
  L("")
  L("#endif")
end

local function main(model, gen)
  local lines, L = lib.buffer()
  L(lib.header(model, gen, "/*", " */"))
  preamble(L)
  codes_section(L, model)
  types_section(L)
  enums_section(L, model)
  chunk_section(L, model)
  structs_section(L, model)
  records_section(L, model)
  kinds_section(L, model)
  layouts_section(L, model)
  return lines
end

lib.run("gen/gen_decoder_h.lua", main)
