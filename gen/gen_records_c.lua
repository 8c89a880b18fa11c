-- gen/gen_records_c.lua: writes generated/records.c, the tables the chunk
-- serializer (src/chunk.c) walks: the Chunk table always has every field, so
-- its inline layout is computed here, once; vectors follow the table in
-- field order. One function per section of the output; main at the bottom.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local lib = require("lib")

-- table_fields(model) -> the Chunk fields in FlatBuffers id order, each with
-- .size (inline bytes), .at (its member of ct_chunk), and .scalar (the C
-- size of a scalar) or .elem (the C element type of a vector).
local function table_fields(model)
  local c, out = model.chunk, {}
  for _, f in ipairs(c.fields) do
    local sc = lib.scalar_of(model, f.type)
    out[#out + 1] = { name = f.name, size = lib.scalars[sc].size, at = f.name,
                      scalar = "sizeof(" .. lib.scalars[sc].c .. ")" }
  end
  out[#out + 1] = { name = "kinds", size = 4, at = "kinds", elem = "uint8_t" }
  for _, p in ipairs(c.pools) do
    local elem = lib.scalars[p.elem] and lib.scalars[p.elem].c or "ctr_" .. p.elem
    out[#out + 1] = { name = p.name, size = 4, at = p.name, elem = elem }
  end
  for _, r in ipairs(model.records) do
    out[#out + 1] = { name = lib.snake(r.name), size = 4, at = "rec[CTR_K_" .. r.name .. "]",
                      elem = "ctr_" .. r.name }
  end
  return out
end

-- place(fields) -> inline table size; sets .offset (from the table start,
-- after its 4-byte soffset), largest fields first, each aligned to its size.
local function place(fields)
  local order = {}
  for i, f in ipairs(fields) do order[i] = f end
  table.sort(order, function(a, b)
    if a.size ~= b.size then return a.size > b.size end
    return a.name < b.name
  end)
  local pos = 4
  for _, f in ipairs(order) do
    pos = pos + (f.size - pos % f.size) % f.size
    f.offset = pos
    pos = pos + f.size
  end
  return pos
end

local function prologue(L, model, gen, fields, tsize)
  L(lib.header(model, gen, "/*", " */"))
  L("/* The layout of one %s, for the serializer in src/chunk.c: a size-prefixed", model.chunk.name)
  L("   FlatBuffer whose root table always has all %d fields; the file", #fields)
  L("   identifier is %s. In bytes from the start of the size prefix:", lib.c_string(model.trace.identifier))
  L("       0  uint32  size of the rest of the chunk")
  L("       4  uint32  root offset -> the table (8-aligned, after the vtable)")
  L("       8  char[4] file identifier")
  L("      12  vtable  %d bytes: its size, the table's, one offset per field", 4 + 2 * #fields)
  L("   then the table (%d bytes: soffset to the vtable, then the fields), then one", tsize)
  L("   vector per vector field, in field order, elements aligned to their struct;")
  L("   the chunk is padded to a multiple of 8 bytes. */")
  L("#include \"records.h\"")
  L("")
end

local function field_table(L, fields, tsize)
  local rows, w = {}, { 0, 0, 0, 0 }
  for i, f in ipairs(fields) do
    local r = { string.format("\"%s\",", f.name), string.format("%d,", f.offset),
                string.format("offsetof(ct_chunk, %s),", f.at),
                f.scalar and string.format("%s, 0, 0", f.scalar)
                  or string.format("0, sizeof(%s), _Alignof(%s)", f.elem, f.elem),
                i - 1 }
    for k = 1, 3 do w[k] = math.max(w[k], #r[k]) end
    rows[i] = r
  end
  L("const ctr_chunk_field ctr_chunk_fields[] = {")
  for _, r in ipairs(rows) do
    L("    { %s %s %s %s },  /* %2d */", lib.pad(r[1], w[1]), lib.pad(r[2], w[2]), lib.pad(r[3], w[3]), r[4], r[5])
  end
  L("};")
  L("const int ctr_n_chunk_fields = %d;", #fields)
  L("const uint16_t ctr_chunk_table_size = %d;", tsize)
  L("")
end

local function record_sizes(L, model)
  local w = 0
  for _, r in ipairs(model.records) do w = math.max(w, #r.name) end
  L("const uint8_t ctr_record_size[CTR_N_RECORDS] = {")
  for _, r in ipairs(model.records) do
    L("    %s /* CTR_K_%s */", lib.pad("sizeof(ctr_" .. r.name .. "),", w + 13), r.name)
  end
  L("};")
  L("")
  L("const uint8_t ctr_record_defines[CTR_N_RECORDS] = {")
  for _, r in ipairs(model.records) do
    L("    %s /* CTR_K_%s */", lib.pad((r.defines and "1" or "0") .. ",", 3), r.name)
  end
  L("};")
  L("")
  L("const uint8_t ctr_record_as[CTR_N_RECORDS] = {")
  for _, r in ipairs(model.records) do
    L("    %s /* CTR_K_%s */", lib.pad("CTR_K_" .. (r.compacts or r.omits or r.name) .. ",", w + 7), r.name)
  end
  L("};")
end

local function main(model, gen)
  local lines, L = lib.buffer()
  local fields = table_fields(model)
  local tsize = place(fields)
  prologue(L, model, gen, fields, tsize)
  field_table(L, fields, tsize)
  record_sizes(L, model)
  return lines
end

lib.run("gen/gen_records_c.lua", main)
