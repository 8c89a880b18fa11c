-- gen/gen_trace_tables_py.lua: writes generated/trace_tables.py (installed as
-- ctgen_tracer.trace_tables): the spec's tables for the hand-written Python
-- reader, src/ctgen_tracer/reader.py -- the file framing and sentinels, enums
-- and flags by name, value kinds, the chunk's fields with their struct
-- layouts, records, definitions and events. Data only: no logic.
--
-- One function per section of the output, in output order; main at the bottom.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local lib = require("lib")

local function py_string(s)
  return '"' .. s:gsub('[\\"]', "\\%0") .. '"'
end

local function py_bytes(s)
  return "b" .. py_string(s)
end

-- py_tuple({"a", "b"}) -> '("a", "b")'; a one-element tuple gets its comma.
local function py_tuple(items)
  return "(" .. table.concat(items, ", ") .. (#items == 1 and "," or "") .. ")"
end

local function quoted(list)
  local out = {}
  for i, s in ipairs(list) do out[i] = py_string(s) end
  return out
end

-- struct_fmt(laid, size) -> the struct module format of a laid-out struct.
local function struct_fmt(laid, size)
  local fmt = "<"
  for _, f in ipairs(laid) do
    if f.pad_before > 0 then fmt = fmt .. f.pad_before .. "x" end
    fmt = fmt .. lib.scalars[f.scalar].fmt
  end
  local last = laid[#laid]
  local tail = last and size - (last.offset + last.size) or size
  if tail > 0 then fmt = fmt .. tail .. "x" end
  return fmt
end

-- upper_snake("ValueFlag") -> "VALUE_FLAG"
local function upper_snake(name)
  return lib.snake(name):upper()
end

local function docstring(L)
  L('"""The spec\'s tables for the trace reader (ctgen_tracer.reader), as data.')
  L("")
  L("Nothing here decodes anything: src/ctgen_tracer/reader.py walks these")
  L('tables. See docs/trace-format.md."""')
  L("")
end

local function format_section(L, model)
  L("# The event file: magic, format version; every chunk's FlatBuffers file_identifier.")
  L("MAGIC = %s", py_bytes(model.trace.magic))
  L("FORMAT_VERSION = %d", model.trace.version)
  L("IDENTIFIER = %s", py_bytes(model.trace.identifier))
  L("")
end

local function consts_section(L, model)
  L("# Constants of the spec (`const`): framing and sentinels.")
  for _, c in ipairs(model.consts or {}) do
    local v = c.value
    local text = v >= 4096 and string.format("0x%X", v) or tostring(v)
    L("%s = %s  # %s", c.name, text, c.doc)
  end
  L("")
end

local function enums_section(L, model)
  for _, e in ipairs(model.enums) do
    L("# %s: %s", e.name, e.doc or "")
    L("%s = {", e.name)
    for _, m in ipairs(e.members) do L("    %d: %s,", m.value, py_string(m.name)) end
    L("}")
    for _, m in ipairs(e.members) do
      L("%s_%s = %d%s", upper_snake(e.name), upper_snake(m.name), m.value, m.doc and ("  # " .. m.doc) or "")
    end
    L("")
  end
end

local function value_kinds_section(L, model)
  L("# ValueKind: what a Value node holds (spec `value` declarations, in order)")
  L("VALUE_KINDS = (")
  for _, v in ipairs(model.values) do L("    %s,  # %s", py_string(v.name), v.doc) end
  L(")")
  L("")
end

local function py_opt(s)
  return s and py_string(s) or "None"
end

-- value_layouts_section: one row per value kind, in ValueKind order.
local function value_layouts_section(L, model)
  L("# How a reader reads and shows each value kind's node, in ValueKind order (spec")
  L("# `layout`, `render`, `codetracer`: docs/spec-language.md, \"Value layouts\"):")
  L("# (layout, text encoding or None, fields ((name, name when the child is text),")
  L("# ...) or None, render strings, empty, one, CodeTracer type). A `named` layout:")
  L("# (\"named\", the kind it stands for, ((its names' kind, their type's name),), ...).")
  L("VALUE_LAYOUTS = (")
  for _, v in ipairs(model.values) do
    local fields = "None"
    if v.layout == "named" then
      fields = py_tuple({ py_tuple({ py_string(v.name_kind), py_string(v.name_type) }) })
    elseif v.fields then
      local fs = {}
      for i, f in ipairs(v.fields) do
        fs[i] = py_tuple({ py_string(f.name), py_string(f.text_name or f.name) })
      end
      fields = py_tuple(fs)
    end
    L("    (%s, %s, %s, %s, %s, %s, %s),  # %s", py_string(v.layout), py_opt(v.layout_arg), fields,
      py_tuple(quoted(v.render)), py_opt(v.empty), py_opt(v.one), py_string(v.codetracer), v.name)
  end
  L(")")
  L("")
end

-- value_packing_section: how a child of each kind is packed in a `packed` node.
local function value_packing_section(L, model)
  L("# How a child of each value kind is packed in a `packed` node's entries, in")
  L("# ValueKind order (format 9 on; docs/trace-format.md, \"Packed children\"):")
  L("# %s, or None: it stays a node.", table.concat(lib.PACK_FORMS, ", "))
  L("VALUE_PACKING = (")
  for _, v in ipairs(model.values) do
    local f = lib.pack_form(v)
    L("    %s,  # %s", f > 0 and py_string(lib.PACK_FORMS[f]) or "None", v.name)
  end
  L(")")
  L("")
end

local function chunk_fields_section(L, model)
  L("# The chunk table's fields in FlatBuffers id order: (name, element struct")
  L("# format or None for a scalar, element size).")
  L("CHUNK_FIELDS = (")
  for _, f in ipairs(model.chunk.fields) do
    local sc = lib.scalar_of(model, f.type)
    L("    (%s, %s, %d),", py_string(f.name), py_string("<" .. lib.scalars[sc].fmt), 0)
  end
  L('    ("kinds", "<B", 1),')
  for _, p in ipairs(model.chunk.pools) do
    if lib.scalars[p.elem] then
      L("    (%s, %s, %d),", py_string(p.name), py_string("<" .. lib.scalars[p.elem].fmt), lib.scalars[p.elem].size)
    else
      local laid, size = lib.layout(model, model.struct_by_name[p.elem].fields)
      L("    (%s, %s, %d),", py_string(p.name), py_string(struct_fmt(laid, size)), size)
    end
  end
  for _, r in ipairs(model.records) do
    local laid, size = lib.layout(model, r.fields)
    L("    (%s, %s, %d),", py_string(lib.snake(r.name)), py_string(struct_fmt(laid, size)), size)
  end
  L(")")
  L("")
end

local function struct_fields_section(L, model)
  L("# Value struct fields, in order.")
  for _, s in ipairs(model.structs) do
    local names = {}
    for _, f in ipairs(lib.flat_fields(s.fields)) do names[#names + 1] = f.name end
    L("%s_FIELDS = %s", s.name:upper(), py_tuple(quoted(names)))
  end
  L("")
end

local function records_section(L, model)
  L("# Records in RecordKind order: (name, fields, text fields, doc).")
  L("RECORDS = (")
  for _, r in ipairs(model.records) do
    local names, texts = {}, {}
    for _, f in ipairs(lib.flat_fields(r.fields)) do names[#names + 1] = f.name end
    for _, f in ipairs(r.fields) do
      if f.type == "text" then texts[#texts + 1] = f.name end
    end
    L("    (%s, %s, %s, %s),", py_string(r.name), py_tuple(quoted(names)), py_tuple(quoted(texts)),
      py_string(r.doc or ""))
  end
  L(")")
  L("")
end

local function enum_fields_section(L, model)
  L("# Record fields whose type is an enum: record -> ((field, enum), ...).")
  L("# A value outside the enum is corruption.")
  L("ENUM_FIELDS = {")
  local enum_names = {}
  for _, e in ipairs(model.enums) do enum_names[e.name] = true end
  for _, r in ipairs(model.records) do
    local fs = {}
    for _, f in ipairs(r.fields) do
      if enum_names[f.type] then fs[#fs + 1] = string.format("(%s, %s)", py_string(f.name), f.type) end
    end
    if #fs > 0 then L("    %s: %s,", py_string(r.name), py_tuple(fs)) end
  end
  L("}")
  L("")
end

local function definitions_section(L, model)
  L("# Definition records (`defines`): record -> what its `id` defines.")
  L("DEFINITIONS = {")
  for _, r in ipairs(model.records) do
    if r.defines then L("    %s: %s,", py_string(r.name), py_string(r.defines)) end
  end
  L("}")
  L("")
end

local function compact_section(L, model)
  L("# Compact records (`compacts R as KIND \"TYPE\"`): record -> (R, the field")
  L("# holding the inline node's `a`, KIND, TYPE): read as record R whose value is")
  L("# that node (no flags, no children).")
  L("COMPACT = {")
  local pools = {}
  for _, pl in ipairs(model.chunk.pools) do pools[pl.name] = true end
  for _, r in ipairs(model.records) do
    if r.compacts then
      local field
      for _, g in ipairs(model.records) do
        if g.name == r.compacts then
          for _, f in ipairs(g.fields) do
            if f.ref and pools[f.ref] then field = f.name end
          end
        end
      end
      L("    %s: (%s, %s, %s, %s),", py_string(r.name), py_string(r.compacts), py_string(field),
        py_string(r.compact_kind), py_string(r.compact_type))
    end
  end
  L("}")
  L("")
end

local function omits_section(L, model)
  L("# Records that omit a field (`omits R.F`): record -> (R, F): read as record R")
  L("# whose F is the function of its thread's current activation as the chunk")
  L("# tells it (docs/trace-format.md, \"Records that omit a field\").")
  L("OMITS = {")
  for _, r in ipairs(model.records) do
    if r.omits then
      L("    %s: (%s, %s),", py_string(r.name), py_string(r.omits), py_string(r.omit_field))
    end
  end
  L("}")
  L("")
end

local function refs_of(fields)
  local fs = {}
  for _, f in ipairs(fields) do
    if f.ref then
      fs[#fs + 1] = string.format("(%s, %s, %s)", py_string(f.name), py_string(f.ref), f.ref_or or "None")
    end
  end
  return fs
end

local function refs_section(L, model)
  L("# Fields that refer to something (`-> WHAT or CONST`): record -> ((field,")
  L("# what: an id kind of DEFINITIONS or a chunk pool, the const it may hold")
  L("# instead or None), ...); VALUE_REFS: the same for the Value struct's fields.")
  L("FIELD_REFS = {")
  for _, r in ipairs(model.records) do
    local fs = refs_of(r.fields)
    if #fs > 0 then L("    %s: %s,", py_string(r.name), py_tuple(fs)) end
  end
  L("}")
  local node = {}
  for _, st in ipairs(model.structs) do
    for _, f in ipairs(st.fields) do
      if f.type == "ValueKind" then node = refs_of(st.fields) end
    end
  end
  L("VALUE_REFS = %s", py_tuple(node))
  L("")
end

local function events_section(L, model)
  L("# Events of the spec: name -> (records written, default, option).")
  L("EVENTS = {")
  for _, ev in ipairs(model.events) do
    local recs = {}
    for _, s in ipairs(ev.steps) do
      if s.op == "emit" then recs[#recs + 1] = s.record end
    end
    L("    %s: (%s, %s, %s),", py_string(ev.name), py_tuple(quoted(recs)),
      ev.default and "True" or "False", ev.option and py_string(ev.option) or "None")
  end
  L("}")
  L("")
end

-- records_of(model, action) -> the records written by events that `do action`, as a frozenset.
local function records_of(model, action)
  local out = quoted(lib.records_doing(model, action))
  return #out > 0 and ("frozenset({" .. table.concat(out, ", ") .. "})") or "frozenset()"
end

local function activations_section(L, model)
  L("# Records that open an activation (their events `do push`) and close one (`do pop`).")
  L("OPENS = %s", records_of(model, "push"))
  L("CLOSES = %s", records_of(model, "pop"))
end

local function main(model, gen)
  local lines, L = lib.buffer()
  L(lib.header(model, gen, "#"))
  docstring(L)
  format_section(L, model)
  consts_section(L, model)
  enums_section(L, model)
  value_kinds_section(L, model)
  value_layouts_section(L, model)
  value_packing_section(L, model)
  chunk_fields_section(L, model)
  struct_fields_section(L, model)
  records_section(L, model)
  enum_fields_section(L, model)
  definitions_section(L, model)
  compact_section(L, model)
  omits_section(L, model)
  refs_section(L, model)
  events_section(L, model)
  activations_section(L, model)
  return lines
end

lib.run("gen/gen_trace_tables_py.lua", main)
