-- gen/gen_reader_py.lua: writes generated/reader.py, the pure-Python reader
-- (installed as ctgen_tracer.reader): the record and value tables of the spec
-- followed by the hand-written decoding logic of gen/reader_tail.py.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local lib = require("lib")

local function py_string(s)
  return '"' .. s:gsub('[\\"]', "\\%0") .. '"'
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

local function read_tail()
  local dir = arg[0]:gsub("[^/]*$", "")
  local f = assert(io.open(dir .. "reader_tail.py", "rb"))
  local text = f:read("a")
  f:close()
  return text
end

local function build(model, gen)
  local lines, L = lib.buffer()
  L(lib.header(model, gen, "#"))
  L('"""Read ctgen-tracer traces (pure Python, no third-party dependency).')
  L("")
  L("    for rec in Trace(DIR).records():  # ids resolved: rec.kind, rec.fields, rec.thread")
  L("        ...")
  L("")
  L('The tables below come from the spec; the decoding logic after them is')
  L('gen/reader_tail.py. See docs/trace-format.md."""')
  L("")
  L("import struct as _struct")
  L("")
  L("MAGIC = %s", py_string(model.trace.magic):gsub('^"', 'b"'))
  L("FORMAT_VERSION = %d", model.trace.version)
  L("IDENTIFIER = %s", py_string(model.trace.identifier):gsub('^"', 'b"'))
  L("")
  for _, e in ipairs(model.enums) do
    L("# %s: %s", e.name, e.doc or "")
    L("%s = {", e.name)
    for _, m in ipairs(e.members) do L("    %d: %s,", m.value, py_string(m.name)) end
    L("}")
    L("")
  end
  L("# ValueKind: what a Value node holds (spec `value` declarations, in order)")
  L("VALUE_KINDS = (")
  for _, v in ipairs(model.values) do L("    %s,  # %s", py_string(v.name), v.doc) end
  L(")")
  L("")
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
  L("# Value struct fields, in order.")
  for _, s in ipairs(model.structs) do
    local names = {}
    for _, f in ipairs(lib.flat_fields(s.fields)) do names[#names + 1] = py_string(f.name) end
    L("%s_FIELDS = (%s,)", s.name:upper(), table.concat(names, ", "))
  end
  L("")
  L("# Records in RecordKind order: (name, fields, text fields, doc).")
  L("RECORDS = (")
  for _, r in ipairs(model.records) do
    local names, texts = {}, {}
    for _, f in ipairs(lib.flat_fields(r.fields)) do names[#names + 1] = py_string(f.name) end
    for _, f in ipairs(r.fields) do
      if f.type == "text" then texts[#texts + 1] = py_string(f.name) end
    end
    L("    (%s, (%s%s), (%s%s), %s),", py_string(r.name), table.concat(names, ", "),
      #names == 1 and "," or "", table.concat(texts, ", "), #texts == 1 and "," or "",
      py_string(r.doc or ""))
  end
  L(")")
  L("")
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
    if #fs > 0 then L("    %s: (%s,),", py_string(r.name), table.concat(fs, ", ")) end
  end
  L("}")
  L("")
  L("# Events of the spec: name -> (records written, default, option).")
  L("EVENTS = {")
  for _, ev in ipairs(model.events) do
    local recs = {}
    for _, s in ipairs(ev.steps) do
      if s.op == "emit" then recs[#recs + 1] = py_string(s.record) end
    end
    L("    %s: ((%s%s), %s, %s),", py_string(ev.name), table.concat(recs, ", "), #recs == 1 and "," or "",
      ev.default and "True" or "False", ev.option and py_string(ev.option) or "None")
  end
  L("}")
  L("")
  -- records written by events that push / pop an activation (do push / do pop)
  local function records_of(action)
    local set, out = {}, {}
    for _, ev in ipairs(model.events) do
      local acts = false
      for _, s in ipairs(ev.steps) do
        if s.op == "do" and s.action == action then acts = true end
      end
      for _, s in ipairs(ev.steps) do
        if acts and s.op == "emit" and not set[s.record] then
          set[s.record] = true
          out[#out + 1] = py_string(s.record)
        end
      end
    end
    return #out > 0 and ("frozenset({" .. table.concat(out, ", ") .. "})") or "frozenset()"
  end
  L("# Records that open an activation (their events `do push`) and close one (`do pop`).")
  L("OPENS = %s", records_of("push"))
  L("CLOSES = %s", records_of("pop"))
  L("")
  local tail = read_tail()
  for line in (tail:gsub("\n$", "") .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
  return lines
end

lib.run("gen/gen_reader_py.lua", build)
