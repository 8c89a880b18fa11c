-- gen/gen_numbering_h.lua: writes generated/numbering.h: the PEP 669 event
-- numbers of the CPython being compiled for (CTG_NUM_<EVENT>, -1 where the
-- event does not exist or is superseded), pinned by static asserts against the
-- interpreter's public header where it has one (3.13+). One function per
-- section of the output; main at the bottom.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local lib = require("lib")

local function superseded_in(ev, version)
  return ev.superseded and lib.version_key(version) >= lib.version_key(ev.superseded.version)
end

local function emit_version(L, model, block, first)
  local numbers = {}
  for _, e in ipairs(block.events) do numbers[e.name] = e.value end
  L("#%s (PY_VERSION_HEX & 0xFFFF0000) == %s   /* CPython %s, %s */",
    first and "if" or "elif", lib.version_hex(block.version), block.version, block.header)
  L("#  define CTG_PY_VERSION %s", lib.c_string(block.version))
  local w = 0
  for _, ev in ipairs(model.events) do w = math.max(w, #ev.name) end
  for _, ev in ipairs(model.events) do
    local n, why = numbers[ev.name], ""
    if not lib.event_in(ev, block.version) then
      n = -1
      why = superseded_in(ev, block.version)
        and ("  /* superseded by " .. table.concat(ev.superseded.by, ", ") .. " */")
        or "  /* not in this version */"
    end
    L("#  define CTG_NUM_%s %3d%s", lib.pad(ev.name, w), n, why)
  end
  L("#  define CTG_MASK_LEGEND \\")
  local sorted = {}
  for _, e in ipairs(block.events) do sorted[#sorted + 1] = e end
  table.sort(sorted, function(a, b) return a.value < b.value end)
  for i, e in ipairs(sorted) do
    L("    \"%s=0x%05x%s\"%s", e.name, 1 << e.value, i < #sorted and " " or "", i < #sorted and " \\" or "")
  end
  L("#  ifdef PY_MONITORING_EVENT_PY_START   /* public header (3.13+): pin the numbers */")
  for _, e in ipairs(block.events) do
    L("_Static_assert(PY_MONITORING_EVENT_%s == %d, \"spec/numbering.spec: %s in CPython %s\");",
      e.name, e.value, e.name, block.version)
  end
  L("#  endif")
end

local function prologue(L, model, gen)
  L(lib.header(model, gen, "/*", " */"))
  L("/* PEP 669 event numbers per CPython version (bit = 1 << number). For 3.12,")
  L("   whose numbers live in an internal header, the recorder checks them")
  L("   against sys.monitoring.events when the module starts (src/recorder.c). */")
  L("#ifndef CTGEN_NUMBERING_H")
  L("#define CTGEN_NUMBERING_H")
  L("")
  L("#include <Python.h>")
  L("")
end

local function versions(L, model)
  for i, block in ipairs(model.numbering) do emit_version(L, model, block, i == 1) end
  L("#else")
  L("#  error \"this CPython is not covered by spec/numbering.spec: run ./configure.py --python X.Y to scan its header and regenerate\"")
  L("#endif")
  L("")
end

local function main(model, gen)
  local lines, L = lib.buffer()
  prologue(L, model, gen)
  versions(L, model)
  L("#endif")
  return lines
end

lib.run("gen/gen_numbering_h.lua", main)
