-- gen/gen_trace_fbs.lua: writes generated/trace.fbs, the FlatBuffers schema of
-- one chunk of the event file: enums, the Value struct, one struct per record
-- and the Chunk root table. One function per section of the output; main at
-- the bottom.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local lib = require("lib")

local function doc_lines(L, doc, indent)
  if doc and doc ~= "" then L("%s/// %s", indent, doc) end
end

local function emit_enum(L, e)
  doc_lines(L, e.doc, "")
  L("enum %s : %s {", e.name, e.type)
  for i, m in ipairs(e.members) do
    local sep = i < #e.members and "," or ""
    L("  %s = %d%s%s", m.name, m.value, sep, m.doc and m.doc ~= "" and ("  // " .. m.doc) or "")
  end
  L("}")
  L("")
end

local function emit_struct(L, model, name, doc, fields)
  doc_lines(L, doc, "")
  L("struct %s {", name)
  for _, f in ipairs(lib.flat_fields(fields)) do
    doc_lines(L, f.doc, "  ")
    L("  %s:%s;", f.name, f.type)
  end
  L("}")
  L("")
end

local function prologue(L, model, gen)
  L(lib.header(model, gen, "//"))
  L("// The schema of one chunk of a ctgen-tracer event file (docs/trace-format.md).")
  L("")
  L("namespace %s;", model.trace.namespace)
  L("")
  L("file_identifier \"%s\";", model.trace.identifier)
  L("")
end

local function enums(L, model)
  for _, e in ipairs(model.enums) do emit_enum(L, e) end
  emit_enum(L, model.value_kind)
  emit_enum(L, model.record_kind)
end

local function structs(L, model)
  for _, s in ipairs(model.structs) do emit_struct(L, model, s.name, s.doc, s.fields) end
  for _, r in ipairs(model.records) do emit_struct(L, model, r.name .. "Rec", r.doc, r.fields) end
end

local function chunk_table(L, model)
  local c = model.chunk
  doc_lines(L, c.doc, "")
  L("table %s {", c.name)
  for _, f in ipairs(c.fields) do
    doc_lines(L, f.doc, "  ")
    L("  %s:%s;", f.name, f.type)
  end
  L("  /// the record kinds in stream order; the n-th record of kind K is K's n-th vector element")
  L("  kinds:[RecordKind];")
  for _, p in ipairs(c.pools) do
    doc_lines(L, p.doc, "  ")
    L("  %s:[%s];", p.name, p.elem)
  end
  for _, r in ipairs(model.records) do
    L("  %s:[%sRec];", lib.snake(r.name), r.name)
  end
  L("}")
  L("")
  L("root_type %s;", c.name)
end

local function main(model, gen)
  local lines, L = lib.buffer()
  prologue(L, model, gen)
  enums(L, model)
  structs(L, model)
  chunk_table(L, model)
  return lines
end

lib.run("gen/gen_trace_fbs.lua", main)
