-- gen/gen_records_h.lua: writes generated/records.h: the C mirror of the
-- FlatBuffers structs (layout pinned by static asserts), the enums, the
-- framing constants, the chunk being built and the shape of the Chunk
-- table's field list (the tables themselves: generated/records.c; the code
-- that walks them: src/chunk.c), and one inline emitter per record.
-- One function per section of the output; main at the bottom.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local lib = require("lib")

local function c_type(model, t)
  return lib.scalars[lib.scalar_of(model, t)].c
end

local function emit_enum(L, prefix, e)
  L("/* %s (%s): %s */", e.name, e.type, e.doc or "")
  L("enum {")
  local w = 0
  for _, m in ipairs(e.members) do w = math.max(w, #(prefix .. m.name)) end
  for _, m in ipairs(e.members) do
    L("    %s = %d,%s", lib.pad(prefix .. m.name, w), m.value,
      m.doc and m.doc ~= "" and ("  /* " .. m.doc .. " */") or "")
  end
  L("};")
  L("")
end

-- emit_struct: a C struct with explicit padding members and static asserts.
local function emit_struct(L, model, cname, doc, fields)
  local laid, size, align, tail = lib.layout(model, fields)
  L("/* %s */", doc or "")
  L("typedef struct %s {", cname)
  local rows, npad = {}, 0
  local function pad_row(n)
    rows[#rows + 1] = { "uint8_t", string.format("_pad%d[%d];", npad, n) }
    npad = npad + 1
  end
  for _, f in ipairs(laid) do
    if f.pad_before > 0 then pad_row(f.pad_before) end
    rows[#rows + 1] = { c_type(model, f.type), f.name .. ";", f.doc ~= "" and f.doc or nil }
  end
  if tail > 0 then pad_row(tail) end
  local w1, w2 = 8, 0
  for _, r in ipairs(rows) do
    w1 = math.max(w1, #r[1])
    if r[3] then w2 = math.max(w2, #r[2]) end
  end
  for _, r in ipairs(rows) do
    if r[3] then
      L("    %s %s  /* %s */", lib.pad(r[1], w1), lib.pad(r[2], w2), r[3])
    else
      L("    %s %s", lib.pad(r[1], w1), r[2])
    end
  end
  L("} %s;", cname)
  L("_Static_assert(sizeof(%s) == %d, \"%s: FlatBuffers struct size\");", cname, size, cname)
  L("_Static_assert(_Alignof(%s) == %d, \"%s: FlatBuffers struct alignment\");", cname, align, cname)
  for _, f in ipairs(laid) do
    L("_Static_assert(offsetof(%s, %s) == %d, \"%s.%s: FlatBuffers offset\");",
      cname, f.name, f.offset, cname, f.name)
  end
  L("")
end

-- emitter parameters: a text field takes (const char *, uint32_t).
local function params(model, r)
  local ps = { "ct_chunk *c" }
  for _, f in ipairs(r.fields) do
    if f.type == "text" then
      ps[#ps + 1] = "const char *" .. f.name
      ps[#ps + 1] = "uint32_t " .. f.name .. "_len"
    else
      ps[#ps + 1] = c_type(model, f.type) .. " " .. f.name
    end
  end
  return table.concat(ps, ", ")
end

local function emit_emitter(L, model, r)
  L("/* %s */", r.doc or r.name)
  L("static inline void")
  L("ctr_emit_%s(%s)", r.name, params(model, r))
  L("{")
  local inits = {}
  for _, f in ipairs(r.fields) do
    if f.type == "text" then
      L("    uint32_t %s_off = ctk_text(&c->data, %s, %s_len, &c->failed);", f.name, f.name, f.name)
      inits[#inits + 1] = string.format(".%s_off = %s_off", f.name, f.name)
      inits[#inits + 1] = string.format(".%s_len = %s_len", f.name, f.name)
    else
      inits[#inits + 1] = string.format(".%s = %s", f.name, f.name)
    end
  end
  L("    ctr_%s *r = ctk_push(&c->kinds, &c->rec[CTR_K_%s], CTR_K_%s, sizeof *r, &c->failed);",
    r.name, r.name, r.name)
  L("    if (r != NULL)")
  L("        *r = (ctr_%s){ %s };", r.name, table.concat(inits, ", "))
  L("}")
  L("")
end

local function prologue(L, model, gen)
  L(lib.header(model, gen, "/*", " */"))
  L("/* The trace records of the spec as C structs with FlatBuffers struct layout,")
  L("   the enums, the framing constants, the chunk being built, and the record")
  L("   emitters: each appends its kind to the chunk's `kinds` and the record to")
  L("   the chunk's vector of that kind (through src/chunk.h). */")
  L("#ifndef CTGEN_RECORDS_H")
  L("#define CTGEN_RECORDS_H")
  L("")
  L("#include <stddef.h>")
  L("#include <stdint.h>")
  L("#include <string.h>")
  L("#include \"chunk.h\"")
  L("#include \"vec.h\"")
  L("")
  L("#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__")
  L("#error \"records are written in host order: a little-endian host is required\"")
  L("#endif")
  L("")
end

local function framing(L, model)
  local t = model.trace
  L("#define CTR_MAGIC      %s", lib.c_string(t.magic))
  L("#define CTR_IDENTIFIER %s", lib.c_string(t.identifier))
  L("#define CTR_VERSION    %d", t.version)
  L("")
end

-- consts: the spec's named constants (sentinels, framing) as CTR_NAME.
local function consts(L, model)
  if #model.consts == 0 then return end
  local suffix = { uint = "u", ulong = "ull", ubyte = "u", ushort = "u" }
  local rows, w1, w2 = {}, 0, 0
  for i, c in ipairs(model.consts) do
    rows[i] = { "CTR_" .. c.name:upper(), tostring(c.value) .. (suffix[c.type] or ""), c.doc }
    w1 = math.max(w1, #rows[i][1])
    w2 = math.max(w2, #rows[i][2])
  end
  for _, r in ipairs(rows) do
    L("#define %s %s  /* %s */", lib.pad(r[1], w1), lib.pad(r[2], w2), r[3])
  end
  L("")
end

local function enums(L, model)
  for _, e in ipairs(model.enums) do emit_enum(L, "CTR_" .. e.name .. "_", e) end
  emit_enum(L, "CTV_", model.value_kind)
  emit_enum(L, "CTR_K_", model.record_kind)
  L("#define CTR_N_RECORDS %d", #model.records)
  L("#define CTV_N_KINDS   %d", #model.values)
  L("")
end

local function structs(L, model)
  for _, s in ipairs(model.structs) do emit_struct(L, model, "ctr_" .. s.name, s.doc, s.fields) end
  for _, r in ipairs(model.records) do emit_struct(L, model, "ctr_" .. r.name, r.doc, r.fields) end
end

local function chunk(L, model)
  local c = model.chunk
  local rows = {}
  for _, f in ipairs(c.fields) do rows[#rows + 1] = { c_type(model, f.type), f.name .. ";" } end
  rows[#rows + 1] = { "ct_vec", "kinds;" }
  for _, p in ipairs(c.pools) do rows[#rows + 1] = { "ct_vec", p.name .. ";", "/* of " .. p.elem .. " */" } end
  rows[#rows + 1] = { "ct_vec", "rec[CTR_N_RECORDS];" }
  rows[#rows + 1] = { "int", "failed;", "/* an allocation failed: the chunk is incomplete */" }
  local w1, w2 = 0, 0
  for _, r in ipairs(rows) do
    w1 = math.max(w1, #r[1])
    if r[3] then w2 = math.max(w2, #r[2]) end
  end
  L("/* The %s being built: its scalar fields, the kind sequence, the pools and", c.name)
  L("   one vector of records per kind. */")
  L("typedef struct ct_chunk {")
  for _, r in ipairs(rows) do
    local line = "    " .. lib.pad(r[1], w1) .. " " .. (r[3] and (lib.pad(r[2], w2) .. "  " .. r[3]) or r[2])
    L("%s", line)
  end
  L("} ct_chunk;")
  L("")
end

local function chunk_fields(L, model)
  L("/* One field of the %s table, in FlatBuffers field-id order: its offset in", model.chunk.name)
  L("   the table and where its bytes are in ct_chunk (src/chunk.c walks them). */")
  L("typedef struct ctr_chunk_field {")
  L("    const char *name;")
  L("    uint16_t offset;       /* in the table, from its start (the soffset) */")
  L("    uint16_t at;           /* offsetof in ct_chunk */")
  L("    uint8_t scalar;        /* a scalar of this many bytes; 0: a vector (a ct_vec at `at`) */")
  L("    uint8_t elem_size;     /* a vector's element size and alignment */")
  L("    uint8_t elem_align;")
  L("} ctr_chunk_field;")
  L("")
  L("/* The %s table: its fields, the vtable and the table's inline size", model.chunk.name)
  L("   (generated/records.c). */")
  L("extern const ctr_chunk_field ctr_chunk_fields[];")
  L("extern const int ctr_n_chunk_fields;")
  L("extern const uint16_t ctr_chunk_table_size;")
  L("")
  L("/* Size in bytes of each record kind. */")
  L("extern const uint8_t ctr_record_size[CTR_N_RECORDS];")
  L("/* Whether each record kind is a definition (the spec's `defines`). */")
  L("extern const uint8_t ctr_record_defines[CTR_N_RECORDS];")
  L("/* The record kind each is read as: the one it compacts or omits a field of, else itself. */")
  L("extern const uint8_t ctr_record_as[CTR_N_RECORDS];")
  L("")
end

-- the range of `a` a compact record's value field holds (nil: any int64_t).
local FIELD_RANGE = {
  bool = { "0", "1" }, byte = { "INT8_MIN", "INT8_MAX" }, ubyte = { "0", "UINT8_MAX" },
  short = { "INT16_MIN", "INT16_MAX" }, ushort = { "0", "UINT16_MAX" },
  int = { "INT32_MIN", "INT32_MAX" }, uint = { "0", "UINT32_MAX" }, ulong = { "0", nil },
}

-- emit_compact: for a record that compact records stand for (`compacts`),
-- ctr_emit_compact_R: R with a value of one node (value kind and `a`) as
-- the compact record of that kind when `a` fits its field.
local function emit_compact(L, model, r, compacts)
  local pools = {}
  for _, pl in ipairs(model.chunk.pools) do pools[pl.name] = true end
  local ps, value = { "ct_chunk *c" }, nil
  for _, f in ipairs(r.fields) do
    if f.ref and pools[f.ref] then
      value = f.name
      ps[#ps + 1] = "int kind"
      ps[#ps + 1] = "int64_t a"
    else
      assert(f.type ~= "text", "a record with compact records has no text field")
      ps[#ps + 1] = c_type(model, f.type) .. " " .. f.name
    end
  end
  L("/* ctr_emit_compact_%s: a %s whose %s is one node of value kind `kind` with", r.name, r.name, value)
  L("   `a` (its type the one the compact record names, no flags, no children),")
  L("   written as the compact record of that kind when `a` fits its field: 1;")
  L("   else 0, nothing written (write the %s with the node). */", r.name)
  L("static inline int")
  L("ctr_emit_compact_%s(%s)", r.name, table.concat(ps, ", "))
  L("{")
  -- per value kind its compact records, smallest first (in the spec's order
  -- between equals): the first whose fields hold the values is written
  local wide, kinds, of_kind = {}, {}, {}
  for _, f in ipairs(r.fields) do wide[f.name] = f.type end
  for _, cr in ipairs(compacts) do
    if not of_kind[cr.compact_kind] then
      of_kind[cr.compact_kind] = {}
      kinds[#kinds + 1] = cr.compact_kind
    end
    table.insert(of_kind[cr.compact_kind], cr)
  end
  L("    switch (kind) {")
  for _, kind in ipairs(kinds) do
    local crs = of_kind[kind]
    L("    case CTV_%s:", kind)
    local open = true   -- whether the last record written had conditions (else the case returned)
    for i, cr in ipairs(crs) do
      local args, conds = { "c" }, {}
      for _, f in ipairs(cr.fields) do
        if f.name == value then
          local range = FIELD_RANGE[lib.scalar_of(model, f.type)]
          if range then
            conds[#conds + 1] = "a >= " .. range[1]
            if range[2] then conds[#conds + 1] = "a <= " .. range[2] end
          end
          args[#args + 1] = string.format("(%s)a", c_type(model, f.type))
        else
          conds[#conds + 1] = lib.fits(model, f.type, wide[f.name], f.name)   -- a narrower field, or nil
          args[#args + 1] = string.format("(%s)%s", c_type(model, f.type), f.name)
        end
      end
      if #conds > 0 then
        L("        if (%s) {", table.concat(conds, " && "))
        L("            ctr_emit_%s(%s);", cr.name, table.concat(args, ", "))
        L("            return 1;")
        L("        }")
      else
        assert(i == #crs, "compact record " .. cr.name .. " holds every value: no record after it is written")
        L("        ctr_emit_%s(%s);", cr.name, table.concat(args, ", "))
        L("        return 1;")
        open = false
      end
    end
    if open then L("        return 0;") end
  end
  L("    default:")
  L("        return 0;")
  L("    }")
  L("}")
  L("")
end

-- count_of: for a record that other records stand for without a field
-- (`omits`), ctr_count_R: how many of it chunk c holds, theirs included.
local function count_of(L, model, r, shorts)
  local parts = { string.format("c->rec[CTR_K_%s].len / sizeof(ctr_%s)", r.name, r.name) }
  for _, sr in ipairs(shorts) do
    parts[#parts + 1] = string.format("c->rec[CTR_K_%s].len / sizeof(ctr_%s)", sr.name, sr.name)
  end
  L("/* ctr_count_%s: the %s records of chunk c, with those that stand for one (%s). */",
    r.name, r.name, (function()
      local n = {}
      for _, sr in ipairs(shorts) do n[#n + 1] = sr.name end
      return table.concat(n, ", ")
    end)())
  L("static inline uint64_t")
  L("ctr_count_%s(const ct_chunk *c)", r.name)
  L("{")
  L("    return %s;", table.concat(parts, "\n           + "))
  L("}")
  L("")
end

local function emitters(L, model)
  for _, r in ipairs(model.records) do emit_emitter(L, model, r) end
  for _, how in ipairs({ "omits", "compacts" }) do
    for _, r in ipairs(model.records) do
      local by = lib.standing_for(model, r, how)   -- smallest first
      if #by > 0 then (how == "omits" and count_of or emit_compact)(L, model, r, by) end
    end
  end
end

local function main(model, gen)
  local lines, L = lib.buffer()
  prologue(L, model, gen)
  framing(L, model)
  consts(L, model)
  enums(L, model)
  structs(L, model)
  chunk(L, model)
  chunk_fields(L, model)
  emitters(L, model)
  L("#endif")
  return lines
end

lib.run("gen/gen_records_h.lua", main)
