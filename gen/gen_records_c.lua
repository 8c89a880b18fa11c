-- gen/gen_records_c.lua: writes generated/records.c, the chunk serializer.
-- The Chunk table always has every field, so its vtable and inline layout are
-- constants computed here; vectors follow the table in field order.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local lib = require("lib")

-- table_fields(model) -> the Chunk fields in FlatBuffers id order, each with
-- .size (inline bytes), .vec (element source), .elem_size, .elem_align.
local function table_fields(model)
  local c, out = model.chunk, {}
  for _, f in ipairs(c.fields) do
    local sc = lib.scalar_of(model, f.type)
    out[#out + 1] = { name = f.name, size = lib.scalars[sc].size, scalar = sc }
  end
  out[#out + 1] = { name = "kinds", size = 4, vec = "c->kinds", elem_size = 1, elem_align = 1 }
  for _, p in ipairs(c.pools) do
    local size, align
    if lib.scalars[p.elem] then
      size = lib.scalars[p.elem].size
      align = size
    else
      local s = model.struct_by_name[p.elem]
      local _
      _, size, align = lib.layout(model, s.fields)
    end
    out[#out + 1] = { name = p.name, size = 4, vec = "c->" .. p.name, elem_size = size, elem_align = align }
  end
  for _, r in ipairs(model.records) do
    local _, size, align = lib.layout(model, r.fields)
    out[#out + 1] = { name = lib.snake(r.name), size = 4, vec = "c->rec[CTR_K_" .. r.name .. "]",
                      elem_size = size, elem_align = align }
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

local function build(model, gen)
  local lines, L = lib.buffer()
  local fields = table_fields(model)
  local tsize = place(fields)
  local vt_pos = 12
  local vt_size = 4 + 2 * #fields
  local t_pos = vt_pos + vt_size
  t_pos = t_pos + (8 - t_pos % 8) % 8
  local head = t_pos + tsize
  L(lib.header(model, gen, "/*", " */"))
  L("/* The chunk serializer: writes one %s as a size-prefixed FlatBuffer.", model.chunk.name)
  L("")
  L("   Layout, in bytes from the start of the size prefix (every chunk starts")
  L("   8-aligned in the file, so these alignments hold in the file too):")
  L("       0  uint32  size of the rest of the chunk")
  L("       4  uint32  root offset -> table at %d", t_pos)
  L("       8  char[4] file identifier %s", lib.c_string(model.trace.identifier))
  L("      %2d  vtable  %d bytes, %d fields", vt_pos, vt_size, #fields)
  L("      %2d  table   %d bytes: soffset to the vtable, then the fields", t_pos, tsize)
  L("   then one vector per vector field, in field order, elements aligned to")
  L("   their struct; the chunk is padded to a multiple of 8 bytes. */")
  L("#include \"records.h\"")
  L("")
  L("#include <stdlib.h>")
  L("")
  L("enum {")
  L("    VT_POS = %d,   /* vtable */", vt_pos)
  L("    VT_SIZE = %d,", vt_size)
  L("    T_POS = %d,    /* table */", t_pos)
  L("    T_SIZE = %d,", tsize)
  L("    HEAD = %d,     /* bytes before the first vector */", head)
  L("};")
  L("")
  L("/* Field offsets inside the table, in FlatBuffers field-id order. */")
  L("static const uint16_t field_offset[%d] = {", #fields)
  local w = 0
  for _, f in ipairs(fields) do w = math.max(w, #f.name) end
  for i, f in ipairs(fields) do
    L("    %s /* %2d %s */", lib.pad(tostring(f.offset) .. ",", 5), i - 1, f.name)
  end
  L("};")
  L("")
  L("const uint8_t ctr_record_size[CTR_N_RECORDS] = {")
  for _, r in ipairs(model.records) do
    local _, size = lib.layout(model, r.fields)
    L("    %s /* %s */", lib.pad(tostring(size) .. ",", 4), r.name)
  end
  L("};")
  L("")
  L("static void")
  L("put_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }")
  L("")
  L("static void")
  L("put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }")
  L("")
  L("/* put_vector: append a vector of n elements of `size` bytes aligned to")
  L("   `align`, and point the table field at `field` (from base) to it. */")
  L("static int")
  L("put_vector(ct_vec *out, size_t base, size_t field, const ct_vec *v, size_t size, size_t align)")
  L("{")
  L("    size_t pos = out->len - base;")
  L("    size_t a = align < 4 ? 4 : align;")
  L("    size_t pad = (a - (pos + 4) % a) % a;")
  L("    uint8_t *p = ct_vec_push(out, pad + 4 + v->len);")
  L("    if (p == NULL)")
  L("        return -1;")
  L("    memset(p, 0, pad);")
  L("    put_u32(p + pad, (uint32_t)(v->len / size));")
  L("    if (v->len)")
  L("        memcpy(p + pad + 4, v->p, v->len);")
  L("    put_u32((uint8_t *)out->p + base + field, (uint32_t)(pos + pad - field));")
  L("    return 0;")
  L("}")
  L("")
  L("int")
  L("ctr_chunk_serialize(const ct_chunk *c, ct_vec *out)")
  L("{")
  L("    size_t base = out->len;")
  L("    uint8_t *h = ct_vec_push(out, HEAD);")
  L("    if (h == NULL)")
  L("        return -1;")
  L("    memset(h, 0, HEAD);")
  L("    put_u32(h + 4, T_POS - 4);")
  L("    memcpy(h + 8, CTR_IDENTIFIER, 4);")
  L("    put_u16(h + VT_POS, VT_SIZE);")
  L("    put_u16(h + VT_POS + 2, T_SIZE);")
  L("    for (int i = 0; i < %d; i++)", #fields)
  L("        put_u16(h + VT_POS + 4 + 2 * i, field_offset[i]);")
  L("    put_u32(h + T_POS, T_POS - VT_POS);")
  for i, f in ipairs(fields) do
    if not f.vec then
      L("    memcpy(h + T_POS + field_offset[%d], &c->%s, %d);", i - 1, f.name, f.size)
    end
  end
  for i, f in ipairs(fields) do
    if f.vec then
      L("    if (put_vector(out, base, T_POS + field_offset[%d], &%s, %d, %d) < 0)",
        i - 1, f.vec, f.elem_size, f.elem_align)
      L("        return -1;")
    end
  end
  L("    size_t tail = (8 - (out->len - base) % 8) % 8;")
  L("    uint8_t *t = ct_vec_push(out, tail);")
  L("    if (t == NULL)")
  L("        return -1;")
  L("    memset(t, 0, tail);")
  L("    put_u32((uint8_t *)out->p + base, (uint32_t)(out->len - base - 4));")
  L("    return 0;")
  L("}")
  L("")
  L("void")
  L("ctr_chunk_reset(ct_chunk *c)")
  L("{")
  L("    c->kinds.len = 0;")
  for _, p in ipairs(model.chunk.pools) do L("    c->%s.len = 0;", p.name) end
  L("    for (int i = 0; i < CTR_N_RECORDS; i++)")
  L("        c->rec[i].len = 0;")
  L("    c->failed = 0;")
  L("}")
  L("")
  L("void")
  L("ctr_chunk_free(ct_chunk *c)")
  L("{")
  L("    ct_vec_free(&c->kinds);")
  for _, p in ipairs(model.chunk.pools) do L("    ct_vec_free(&c->%s);", p.name) end
  L("    for (int i = 0; i < CTR_N_RECORDS; i++)")
  L("        ct_vec_free(&c->rec[i]);")
  L("}")
  return lines
end

lib.run("gen/gen_records_c.lua", build)
