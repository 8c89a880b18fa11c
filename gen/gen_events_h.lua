-- gen/gen_events_h.lua: writes generated/events.h: the event ids of the spec
-- (version independent), their groups and flags, the event table type and
-- the prototypes of the derivations and actions. One function per section
-- of the output; main at the bottom.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local lib = require("lib")

local function options(model)
  local seen, out = {}, {}
  for _, ev in ipairs(model.events) do
    if ev.option and not seen[ev.option] then
      seen[ev.option] = true
      out[#out + 1] = ev.option
    end
  end
  return out
end

local function prologue(L, model, gen)
  L(lib.header(model, gen, "/*", " */"))
  L("/* The events of the spec, in spec order. Their PEP 669 numbers depend on the")
  L("   CPython version: ctg_events[ev].number (see numbering.h). */")
  L("#ifndef CTGEN_EVENTS_H")
  L("#define CTGEN_EVENTS_H")
  L("")
  L("#include <Python.h>")
  L("#include <stdint.h>")
  L("")
end

local function event_ids(L, model)
  L("enum {")
  local w = 0
  for _, ev in ipairs(model.events) do w = math.max(w, #ev.name) end
  for i, ev in ipairs(model.events) do
    L("    CTG_EV_%s = %2d,  /* %s */", lib.pad(ev.name, w), i - 1, ev.doc)
  end
  L("    CTG_N_EVENTS = %d", #model.events)
  L("};")
  L("")
end

local function groups(L, model)
  L("/* The event groups (ctg_event.group); their names: ctg_group_names. */")
  L("enum {")
  local w = 0
  for _, g in ipairs(model.groups) do w = math.max(w, #g) end
  for i, g in ipairs(model.groups) do
    L("    CTG_GROUP_%s = %d,", lib.pad(g:upper(), w), i - 1)
  end
  L("    CTG_N_GROUPS = %d", #model.groups)
  L("};")
  L("")
  L("extern const char *const ctg_group_names[CTG_N_GROUPS];")
  L("")
end

local function flags_and_options(L, model)
  L("/* ctg_event.flags */")
  L("#define CTG_F_DEFAULT  1   /* recorded unless turned off */")
  L("#define CTG_F_DISCOVER 2   /* enabled globally, to see every code object once */")
  L("")
  L("/* The --events options, in spec order. */")
  L("#define CTG_OPTIONS %s", lib.c_string(table.concat(options(model), ",")))
  L("")
end

local function event_table(L)
  L("typedef struct ctg_event {")
  L("    const char *name;      /* PEP 669 name, e.g. \"LINE\" */")
  L("    const char *option;    /* --events option of an opt-in event, or NULL */")
  L("    int number;            /* PEP 669 number in this CPython, -1 if absent */")
  L("    int requires;          /* event that must be enabled with it, or -1 */")
  L("    uint8_t group;         /* CTG_GROUP_* */")
  L("    uint8_t flags;         /* CTG_F_* */")
  L("    PyMethodDef *def;      /* the METH_FASTCALL callback */")
  L("} ctg_event;")
  L("")
  L("extern const ctg_event ctg_events[CTG_N_EVENTS];")
  L("")
end

local function prototypes(L, model)
  L("/* The derivations and actions the spec declares, implemented in src/derive.c;")
  L("   the `inline` ones are defined in src/derive_inline.h (included by the callbacks). */")
  L("typedef struct ct_ev ct_ev;")
  local ptype = { code = "PyObject *", int = "long ", object = "PyObject *", ["object?"] = "PyObject *" }
  local inlined = {}
  for _, d in ipairs(model.derives) do
    if d.inline then
      inlined[#inlined + 1] = "ctd_" .. d.name
    else
      L("%s ctd_%s(ct_ev *ev, %s%s);  /* %s */", lib.scalars[d.ret].c, d.name, ptype[d.param],
        d.param == "int" and "v" or "o", d.doc)
    end
  end
  for _, a in ipairs(model.actions) do
    if a.inline then
      inlined[#inlined + 1] = "cta_" .. a.name
    else
      L("int cta_%s(ct_ev *ev, %s%s);  /* %s */", a.name, ptype[a.param],
        a.param == "int" and "v" or "o", a.doc)
    end
  end
  if #inlined > 0 then
    L("/* inline, in src/derive_inline.h: %s */", table.concat(inlined, ", "))
  end
  -- ctd_atom (records with `compacts`) and ctd_omit_function (records with `omits`):
  -- inline, in src/derive_inline.h
  L("")
end

local function main(model, gen)
  local lines, L = lib.buffer()
  prologue(L, model, gen)
  event_ids(L, model)
  groups(L, model)
  flags_and_options(L, model)
  event_table(L)
  prototypes(L, model)
  L("#endif")
  return lines
end

lib.run("gen/gen_events_h.lua", main)
