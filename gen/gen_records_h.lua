-- gen/gen_records_h.lua: writes generated/records.h: the C mirror of the
-- FlatBuffers structs (layout pinned by static asserts), the enums, the chunk
-- being built, and one inline emitter per record.
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
  local npad = 0
  for _, f in ipairs(laid) do
    if f.pad_before > 0 then
      L("    uint8_t _pad%d[%d];", npad, f.pad_before)
      npad = npad + 1
    end
    L("    %s %s;%s", lib.pad(c_type(model, f.type), 8), f.name,
      f.doc and f.doc ~= "" and ("  /* " .. f.doc .. " */") or "")
  end
  if tail > 0 then L("    uint8_t _pad%d[%d];", npad, tail) end
  L("} %s;", cname)
  L("_Static_assert(sizeof(%s) == %d, \"%s: FlatBuffers struct size\");", cname, size, cname)
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
      L("    uint32_t %s_off = ctr_text(c, %s, %s_len);", f.name, f.name, f.name)
      inits[#inits + 1] = string.format(".%s_off = %s_off", f.name, f.name)
      inits[#inits + 1] = string.format(".%s_len = %s_len", f.name, f.name)
    else
      inits[#inits + 1] = string.format(".%s = %s", f.name, f.name)
    end
  end
  L("    ctr_%s *r = ctr_push(c, CTR_K_%s, sizeof *r);", r.name, r.name)
  L("    if (r != NULL)")
  L("        *r = (ctr_%s){ %s };", r.name, table.concat(inits, ", "))
  L("}")
  L("")
end

local function build(model, gen)
  local lines, L = lib.buffer()
  L(lib.header(model, gen, "/*", " */"))
  L("/* The trace records of the spec as C structs with FlatBuffers struct layout,")
  L("   and their emitters: each appends its kind to the chunk's `kinds` and the")
  L("   record to the chunk's vector of that kind. */")
  L("#ifndef CTGEN_RECORDS_H")
  L("#define CTGEN_RECORDS_H")
  L("")
  L("#include <stddef.h>")
  L("#include <stdint.h>")
  L("#include <string.h>")
  L("#include \"vec.h\"")
  L("")
  L("#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__")
  L("#error \"records are written in host order: a little-endian host is required\"")
  L("#endif")
  L("")
  L("#define CTR_MAGIC      %s", lib.c_string(model.trace.magic))
  L("#define CTR_IDENTIFIER %s", lib.c_string(model.trace.identifier))
  L("#define CTR_VERSION    %d", model.trace.version)
  L("")
  for _, e in ipairs(model.enums) do emit_enum(L, "CTR_" .. e.name .. "_", e) end
  emit_enum(L, "CTV_", model.value_kind)
  emit_enum(L, "CTR_K_", model.record_kind)
  L("#define CTR_N_RECORDS %d", #model.records)
  L("#define CTV_N_KINDS   %d", #model.values)
  L("")
  for _, s in ipairs(model.structs) do emit_struct(L, model, "ctr_" .. s.name, s.doc, s.fields) end
  for _, r in ipairs(model.records) do emit_struct(L, model, "ctr_" .. r.name, r.doc, r.fields) end
  local c = model.chunk
  L("/* The %s being built: its scalar fields, the kind sequence, the pools and", c.name)
  L("   one vector of records per kind. */")
  L("typedef struct ct_chunk {")
  for _, f in ipairs(c.fields) do L("    %s %s;", c_type(model, f.type), f.name) end
  L("    ct_vec kinds;")
  for _, p in ipairs(c.pools) do L("    ct_vec %s;  /* of %s */", p.name, p.elem) end
  L("    ct_vec rec[CTR_N_RECORDS];")
  L("    int failed;           /* an allocation failed: the chunk is incomplete */")
  L("} ct_chunk;")
  L("")
  L("/* ctr_push: reserve one record of `kind`; NULL (and c->failed) when out of memory. */")
  L("static inline void *")
  L("ctr_push(ct_chunk *c, int kind, size_t size)")
  L("{")
  L("    uint8_t *k = ct_vec_push(&c->kinds, 1);")
  L("    if (k == NULL) { c->failed = 1; return NULL; }")
  L("    void *r = ct_vec_push(&c->rec[kind], size);")
  L("    if (r == NULL) { c->kinds.len--; c->failed = 1; return NULL; }")
  L("    *k = (uint8_t)kind;")
  L("    return r;")
  L("}")
  L("")
  L("/* ctr_text: copy n bytes into the data pool; returns their offset. */")
  L("static inline uint32_t")
  L("ctr_text(ct_chunk *c, const char *s, uint32_t n)")
  L("{")
  L("    uint32_t off = (uint32_t)c->data.len;")
  L("    char *p = ct_vec_push(&c->data, n);")
  L("    if (p == NULL) { c->failed = 1; return 0; }")
  L("    memcpy(p, s, n);")
  L("    return off;")
  L("}")
  L("")
  for _, r in ipairs(model.records) do emit_emitter(L, model, r) end
  L("/* Lay out chunk `c` as one size-prefixed FlatBuffer appended to `out`;")
  L("   0 on success, -1 when out of memory. */")
  L("int ctr_chunk_serialize(const ct_chunk *c, ct_vec *out);")
  L("")
  L("/* Empty `c` for reuse, keeping its buffers. */")
  L("void ctr_chunk_reset(ct_chunk *c);")
  L("")
  L("/* Free the buffers of `c`. */")
  L("void ctr_chunk_free(ct_chunk *c);")
  L("")
  L("/* Size in bytes of each record kind. */")
  L("extern const uint8_t ctr_record_size[CTR_N_RECORDS];")
  L("")
  L("#endif")
  return lines
end

lib.run("gen/gen_records_h.lua", build)
