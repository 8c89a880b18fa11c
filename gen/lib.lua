-- gen/lib.lua: shared helpers of the Lua generators (gen/gen_*.lua).
--
-- Every generator is run as `lua gen/gen_X.lua build/model.lua generated/FILE`:
-- it loads the model written by gen/ctgen-front, builds the file's text with
-- small pure functions, and writes it only when the bytes change.

local M = {}

-- Scalar types of the spec: FlatBuffers name -> { C type, size, struct format }.
-- lo, hi: an integer type's range as C expressions (a narrower field's check)
M.scalars = {
  bool   = { c = "uint8_t",  size = 1, fmt = "?" },
  byte   = { c = "int8_t",   size = 1, fmt = "b", lo = "INT8_MIN",  hi = "INT8_MAX" },
  ubyte  = { c = "uint8_t",  size = 1, fmt = "B", lo = "0",         hi = "UINT8_MAX" },
  short  = { c = "int16_t",  size = 2, fmt = "h", lo = "INT16_MIN", hi = "INT16_MAX" },
  ushort = { c = "uint16_t", size = 2, fmt = "H", lo = "0",         hi = "UINT16_MAX" },
  int    = { c = "int32_t",  size = 4, fmt = "i", lo = "INT32_MIN", hi = "INT32_MAX" },
  uint   = { c = "uint32_t", size = 4, fmt = "I", lo = "0",         hi = "UINT32_MAX" },
  long   = { c = "int64_t",  size = 8, fmt = "q", lo = "INT64_MIN", hi = "INT64_MAX" },
  ulong  = { c = "uint64_t", size = 8, fmt = "Q", lo = "0",         hi = "UINT64_MAX" },
  float  = { c = "float",    size = 4, fmt = "f" },
  double = { c = "double",   size = 8, fmt = "d" },
}

-- Packed children (format 9 on, a `packed` layout: docs/trace-format.md, "Packed
-- children"): how a child node of each leaf layout is packed, by its layout: "none"
-- (kind and type only; its a is 0), "varint" (a as zigzag ULEB128), "word" (a as 8
-- bytes); a child of another layout stays a node. PACK_FORMS: the forms' order (0:
-- not packed) in the generated tables.
M.PACK_FORMS = { "none", "varint", "word" }
M.PACKING = { none = "none", bool = "varint", int = "varint", object = "varint", float = "word" }

-- pack_form(v) -> the index in PACK_FORMS of value kind v's packing, 0 when none.
function M.pack_form(v)
  local f = M.PACKING[v.layout]
  for i, n in ipairs(M.PACK_FORMS) do if n == f then return i end end
  return 0
end

-- load(path) -> model table; also indexes enums, structs and records by name.
function M.load(path)
  local model = assert(dofile(path), "model file returned nothing")
  model.enum_by_name, model.struct_by_name, model.record_by_name = {}, {}, {}
  for _, e in ipairs(model.enums) do model.enum_by_name[e.name] = e end
  for _, s in ipairs(model.structs) do model.struct_by_name[s.name] = s end
  for _, r in ipairs(model.records) do model.record_by_name[r.name] = r end
  -- ValueKind and RecordKind are enums the spec implies: values and records in order.
  local vk = { name = "ValueKind", type = "ubyte", doc = "what a Value node holds", members = {} }
  for i, v in ipairs(model.values) do vk.members[i] = { name = v.name, value = i - 1, doc = v.doc } end
  local rk = { name = "RecordKind", type = "ubyte", doc = "the record kinds, in stream order via Chunk.kinds", members = {} }
  for i, r in ipairs(model.records) do rk.members[i] = { name = r.name, value = i - 1, doc = r.doc } end
  model.enum_by_name.ValueKind, model.enum_by_name.RecordKind = vk, rk
  model.value_kind, model.record_kind = vk, rk
  return model
end

-- scalar_of(model, type) -> the scalar a field type is stored as (enums: their base).
function M.scalar_of(model, t)
  if M.scalars[t] then return t end
  local e = model.enum_by_name[t]
  assert(e, "unknown type " .. t)
  return e.type
end

-- flat_fields(fields) -> fields with each `text` field split into NAME_off, NAME_len.
function M.flat_fields(fields)
  local out = {}
  for _, f in ipairs(fields) do
    if f.type == "text" then
      out[#out + 1] = { name = f.name .. "_off", type = "uint", doc = f.doc, text = f.name }
      out[#out + 1] = { name = f.name .. "_len", type = "uint", text = f.name }
    else
      out[#out + 1] = f
    end
  end
  return out
end

-- layout(model, fields) -> fields with .offset, .size, .scalar; struct size; align.
-- FlatBuffers lays struct fields out in order, each aligned to its size, and
-- pads the struct to its largest alignment; the C structs must match.
function M.layout(model, fields)
  local out, off, align = {}, 0, 1
  for _, f in ipairs(M.flat_fields(fields)) do
    local sc = M.scalar_of(model, f.type)
    local size = M.scalars[sc].size
    local pad = (size - off % size) % size
    off = off + pad
    out[#out + 1] = { name = f.name, type = f.type, scalar = sc, size = size,
                      offset = off, pad_before = pad, doc = f.doc, text = f.text }
    off = off + size
    if size > align then align = size end
  end
  local tail = (align - off % align) % align
  return out, off + tail, align, tail
end

-- standing_for(model, r, how) -> the records that stand for record r by
-- clause `how` ("omits" or "compacts"), smallest first (in the spec's order
-- between equals): a writer takes the first whose fields hold the values.
function M.standing_for(model, r, how)
  local out, size, order = {}, {}, {}
  for i, sr in ipairs(model.records) do
    if sr[how] == r.name then
      out[#out + 1] = sr
      local _, sz = M.layout(model, sr.fields)
      size[sr], order[sr] = sz, i
    end
  end
  table.sort(out, function(a, b)
    if size[a] ~= size[b] then return size[a] < size[b] end
    return order[a] < order[b]
  end)
  return out
end

-- fits(model, narrow, wide, x) -> a C condition that x, of integer type
-- `wide` (a field of the record stood for), fits integer type `narrow` (the
-- narrower field of a record standing for it), or nil when the types are the
-- same. The low bound is checked only where `wide` is signed.
function M.fits(model, narrow, wide, x)
  if narrow == wide then return nil end
  local n, w = M.scalars[M.scalar_of(model, narrow)], M.scalars[M.scalar_of(model, wide)]
  if w.lo == "0" then return string.format("%s <= %s", x, n.hi) end
  return string.format("%s >= %s && %s <= %s", x, n.lo, x, n.hi)
end

-- snake("FunctionDef") -> "function_def"
function M.snake(name)
  return (name:gsub("(%l)(%u)", "%1_%2"):gsub("(%u)(%u%l)", "%1_%2"):lower())
end

-- header(model, gen, c1, c2) -> first line of a generated file: its stamp,
-- naming every input that shapes its bytes (the generator, this library and
-- the spec files), between comment delimiters c1 and c2.
function M.header(model, gen, c1, c2)
  return string.format("%s Generated by %s with gen/lib.lua from %s and %s. DO NOT EDIT.%s", c1,
    gen, model.spec, model.numbering_spec, c2 or "")
end

-- write(path, text): replace path only when its bytes change.
function M.write(path, text)
  local f = io.open(path, "rb")
  if f then
    local old = f:read("a")
    f:close()
    if old == text then return end
  end
  local tmp = path .. ".tmp"
  f = assert(io.open(tmp, "wb"))
  f:write(text)
  f:close()
  assert(os.rename(tmp, path))
end

-- run(gen_name, build): the driver every generator ends with.
function M.run(gen_name, build)
  local model_path, out = arg[1], arg[2]
  if not model_path or not out then
    io.stderr:write("usage: lua " .. gen_name .. " MODEL.lua OUTPUT\n")
    os.exit(2)
  end
  local model = M.load(model_path)
  local lines = build(model, gen_name)
  M.write(out, table.concat(lines, "\n") .. "\n")
end

-- A tiny line buffer: L(fmt, ...) appends a formatted line.
function M.buffer()
  local lines = {}
  local function L(fmt, ...)
    lines[#lines + 1] = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  end
  return lines, L
end

-- pad(s, n) -> s padded with spaces to n columns (for aligned tables).
function M.pad(s, n)
  return s .. string.rep(" ", n - #s)
end

-- version_hex("3.12") -> "0x030C0000"
function M.version_hex(v)
  local maj, min = v:match("^(%d+)%.(%d+)$")
  return string.format("0x%02X%02X0000", tonumber(maj), tonumber(min))
end

-- version_key("3.12") -> 312, for comparisons.
function M.version_key(v)
  local maj, min = v:match("^(%d+)%.(%d+)$")
  return tonumber(maj) * 100 + tonumber(min)
end

-- event_in(ev, version) -> true when the spec says `ev` exists in `version`.
function M.event_in(ev, version)
  local k = M.version_key(version)
  if k < M.version_key(ev.since) then return false end
  return ev.upto == nil or k <= M.version_key(ev.upto)
end

-- records_doing(model, action) -> the records written by events that `do action`
-- (push: they open an activation; pop: they close one), in first-seen order.
-- (with the compact records of those: `compacts`)
function M.records_doing(model, action)
  local set, out = {}, {}
  for _, ev in ipairs(model.events) do
    local acts = false
    for _, s in ipairs(ev.steps) do
      if s.op == "do" and s.action == action then acts = true end
    end
    for _, s in ipairs(ev.steps) do
      if acts and s.op == "emit" and not set[s.record] then
        set[s.record] = true
        out[#out + 1] = s.record
      end
    end
  end
  for _, r in ipairs(model.records) do   -- a compact record is written in place of the one it compacts
    if r.compacts and set[r.compacts] and not set[r.name] then
      set[r.name] = true
      out[#out + 1] = r.name
    end
  end
  return out
end

-- c_string(s) -> a C string literal.
function M.c_string(s)
  return '"' .. s:gsub('[\\"]', "\\%0") .. '"'
end

return M
