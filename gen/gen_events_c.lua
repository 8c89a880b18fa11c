-- gen/gen_events_c.lua: writes generated/events.c: one METH_FASTCALL callback
-- per event (registered with sys.monitoring.register_callback by the recorder),
-- running the event's `do` and `emit` clauses in order, the event table and
-- the group names. One function per section of the output; main at the bottom.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local lib = require("lib")

-- arg_index(ev) -> name -> 0-based position in the callback's arguments.
local function arg_index(ev)
  local idx = {}
  for i, a in ipairs(ev.args) do idx[a.name] = i - 1 end
  return idx
end

-- operand(model, ev, param, x) -> C expression passing argument or constant
-- x to a derivation or action whose parameter kind is `param`.
local function operand(idx, param, x)
  if x.const ~= nil then return tostring(x.const) end
  local a = string.format("args[%d]", idx[x.arg])
  if param == "int" then return "cte_long(&ev, " .. a .. ")" end
  return a
end

-- clean: whether every derivation and action of the event is declared
-- `clean` (it never leaves a Python exception set without noting its failure
-- in ev.err): its end then need not ask PyErr_Occurred (cte_end_clean).
local function is_clean(ev, derives, actions)
  for _, s in ipairs(ev.steps) do
    if s.op == "do" then
      if not actions[s.action].clean then return false end
    else
      for _, f in ipairs(s.fields) do
        if not derives[f.derive].clean then return false end
      end
    end
  end
  return true
end

local function emit_step(L, model, ev, idx, derives, actions, s, last, finish)
  if s.op == "do" then
    local act = actions[s.action]
    if last then   -- nothing follows: its result only matters through ev.err
      L("    cta_%s(&ev, %s);", s.action, operand(idx, act.param, s))
    else           -- 1 or -1: the event ends here
      L("    if (cta_%s(&ev, %s) != 0)", s.action, operand(idx, act.param, s))
      L("        return %s(&ev);", finish)
    end
    return
  end
  local r = model.record_by_name[s.record]
  local vals = {}
  for _, f in ipairs(s.fields) do
    local d = derives[f.derive]
    vals[#vals + 1] = string.format("ctd_%s(&ev, %s)", f.derive, operand(idx, d.param, f))
  end
  -- a record that another one stands for without its function field
  -- (`omits R.F`): that one when the reader knows F from the chunk
  -- (ctd_omit_function), else the record with F
  local short
  for _, orr in ipairs(model.records) do
    if orr.omits == r.name then short = orr end
  end
  if short then
    local full, rest = {}, {}
    L("    {")
    for i, f in ipairs(s.fields) do
      L("        %s %s = %s;", lib.scalars[lib.scalar_of(model, derives[f.derive].ret)].c, f.field, vals[i])
    end
    for _, f in ipairs(r.fields) do
      full[#full + 1] = f.name
      if f.name ~= short.omit_field then rest[#rest + 1] = f.name end
    end
    L("        if (ctd_omit_function(&ev, %s))", short.omit_field)
    L("            ctr_emit_%s(ev.chunk, %s);", short.name, table.concat(rest, ", "))
    L("        else")
    L("            ctr_emit_%s(ev.chunk, %s);", r.name, table.concat(full, ", "))
    L("    }")
    return
  end
  -- a record with compact forms (`compacts`) whose value field the object
  -- derivation `value` gives: the compact record when the value is an atom
  -- one fits (ctd_atom, ctr_emit_compact_R), else the record with its tree
  local has_compact, vf = false, nil
  for _, cr in ipairs(model.records) do
    if cr.compacts == r.name then has_compact = true end
  end
  for i, f in ipairs(s.fields) do
    if f.derive == "value" and derives[f.derive].param == "object" then vf = i end
  end
  if has_compact and vf then
    local plain, compact = {}, {}
    L("    {")
    for i, f in ipairs(s.fields) do
      if i == vf then
        plain[#plain + 1] = vals[i]
        compact[#compact + 1] = "kind"
        compact[#compact + 1] = "a"
      else
        L("        %s %s = %s;", lib.scalars[lib.scalar_of(model, derives[f.derive].ret)].c, f.field, vals[i])
        plain[#plain + 1] = f.field
        compact[#compact + 1] = f.field
      end
    end
    L("        int kind;")
    L("        int64_t a;")
    L("        if (!ctd_atom(&ev, %s, &kind, &a) || !ctr_emit_compact_%s(ev.chunk, %s))",
      operand(idx, "object", s.fields[vf]), r.name, table.concat(compact, ", "))
    L("            ctr_emit_%s(ev.chunk, %s);", r.name, table.concat(plain, ", "))
    L("    }")
    return
  end
  local call = string.format("    ctr_emit_%s(ev.chunk, %s);", r.name, table.concat(vals, ", "))
  if #call <= 100 then
    L(call)
  else
    L("    ctr_emit_%s(ev.chunk,", r.name)
    for i, v in ipairs(vals) do L("        %s%s", v, i < #vals and "," or ");") end
  end
end

local function emit_callback(L, model, ev, derives, actions)
  local idx = arg_index(ev)
  local names = {}
  for _, a in ipairs(ev.args) do names[#names + 1] = a.name end
  L("/* %s(%s) -- %s */", ev.name, table.concat(names, ", "), ev.doc)
  L("static PyObject *")
  L("ctg_cb_%s(PyObject *self, PyObject *const *args, Py_ssize_t nargs)", ev.name)
  L("{")
  L("    ct_ev ev;")
  L("    if (!cte_begin(&ev, CTG_EV_%s, args, nargs, %d))", ev.name, #ev.args)
  L("        return cte_skip(&ev);")
  local finish = is_clean(ev, derives, actions) and "cte_end_clean" or "cte_end"
  for i, s in ipairs(ev.steps) do emit_step(L, model, ev, idx, derives, actions, s, i == #ev.steps, finish) end
  L("    return %s(&ev);", finish)
  L("}")
  L("")
end

local function prologue(L, model, gen)
  L(lib.header(model, gen, "/*", " */"))
  L("/* The sys.monitoring callbacks: each runs its event's clauses of the spec")
  L("   through the recorder (cte_*), the derivations (ctd_*), the actions (cta_*) and")
  L("   the record emitters (ctr_emit_*); the event table and the group names. */")
  L("#include \"recorder.h\"")
  L("#include \"events.h\"")
  L("#include \"numbering.h\"")
  L("#include \"records.h\"")
  L("#include \"derive_inline.h\"   /* the derivations and actions the spec marks inline */")
  L("")
end

local function callbacks(L, model)
  local derives, actions = {}, {}
  for _, d in ipairs(model.derives) do derives[d.name] = d end
  for _, a in ipairs(model.actions) do actions[a.name] = a end
  for _, ev in ipairs(model.events) do emit_callback(L, model, ev, derives, actions) end
end

local function method_defs(L, model)
  local w1, w2 = 0, 0
  for _, ev in ipairs(model.events) do
    w1 = math.max(w1, #lib.c_string(ev.name) + 1)
    w2 = math.max(w2, #ev.name + 1)
  end
  L("static PyMethodDef defs[CTG_N_EVENTS] = {")
  for _, ev in ipairs(model.events) do
    L("    {%s (PyCFunction)(void (*)(void))ctg_cb_%s METH_FASTCALL, %s},",
      lib.pad(lib.c_string(ev.name) .. ",", w1), lib.pad(ev.name .. ",", w2), lib.c_string(ev.doc))
  end
  L("};")
  L("")
end

-- group_macros: for each event whose group changes from one CPython on,
-- CTG_GROUP_OF_<EVENT>, chosen when compiled.
local function group_macros(L, model)
  local changing = false
  for _, ev in ipairs(model.events) do
    if ev.group_from then
      changing = true
      L("#if PY_VERSION_HEX >= %s   /* CPython %s+ */", lib.version_hex(ev.group_from.version),
        ev.group_from.version)
      L("#  define CTG_GROUP_OF_%s CTG_GROUP_%s", ev.name, ev.group_from.group:upper())
      L("#else")
      L("#  define CTG_GROUP_OF_%s CTG_GROUP_%s", ev.name, ev.group:upper())
      L("#endif")
    end
  end
  if changing then L("") end
end

local function event_table(L, model)
  group_macros(L, model)
  local rows = {}
  for i, ev in ipairs(model.events) do
    local flags = {}
    if ev.default then flags[#flags + 1] = "CTG_F_DEFAULT" end
    if ev.discover then flags[#flags + 1] = "CTG_F_DISCOVER" end
    rows[i] = {
      "{" .. lib.c_string(ev.name) .. ",",
      (ev.option and lib.c_string(ev.option) or "NULL") .. ",",
      "CTG_NUM_" .. ev.name .. ",",
      (ev.requires and ("CTG_EV_" .. ev.requires) or "-1") .. ",",
      (ev.group_from and ("CTG_GROUP_OF_" .. ev.name) or ("CTG_GROUP_" .. ev.group:upper())) .. ",",
      (#flags > 0 and table.concat(flags, " | ") or "0") .. ",",
      string.format("&defs[%d]},", i - 1),
    }
  end
  local heads = { "/* name", "option", "number", "requires", "group", "flags", "callback */" }
  local widths = {}
  for c = 1, #heads do
    widths[c] = #heads[c]
    for _, r in ipairs(rows) do widths[c] = math.max(widths[c], #r[c]) end
  end
  local function row(cells)
    local out = {}
    for c, cell in ipairs(cells) do
      out[c] = c < #cells and lib.pad(cell, widths[c]) or cell
    end
    return table.concat(out, " ")
  end
  L("const ctg_event ctg_events[CTG_N_EVENTS] = {")
  L("    %s", row(heads))
  for _, r in ipairs(rows) do L("    %s", row(r)) end
  L("};")
  L("")
end

local function group_names(L, model)
  local names = {}
  for i, g in ipairs(model.groups) do names[i] = lib.c_string(g) end
  L("const char *const ctg_group_names[CTG_N_GROUPS] = { %s };", table.concat(names, ", "))
end

local function main(model, gen)
  local lines, L = lib.buffer()
  prologue(L, model, gen)
  callbacks(L, model)
  method_defs(L, model)
  event_table(L, model)
  group_names(L, model)
  return lines
end

lib.run("gen/gen_events_c.lua", main)
