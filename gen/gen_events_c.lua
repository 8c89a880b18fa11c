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

-- operand(idx, param, x, fast) -> C expression passing argument or constant
-- x to a derivation or action whose parameter kind is `param`; `fast`: on
-- the no-values fast path, whose entry checked that every int argument is
-- one cte_long reads at once (cte_small).
local function operand(idx, param, x, fast)
  if x.const ~= nil then return tostring(x.const) end
  local a = string.format("args[%d]", idx[x.arg])
  if param == "int" then
    return fast and ("cte_small_value(" .. a .. ")") or ("cte_long(&ev, " .. a .. ")")
  end
  return a
end

-- every(ev, derives, actions, flag): whether every derivation and action
-- of the event is declared with `flag` ("clean", "inline").
local function every(ev, derives, actions, flag)
  for _, s in ipairs(ev.steps) do
    if s.op == "do" then
      if not actions[s.action][flag] then return false end
    else
      for _, f in ipairs(s.fields) do
        if not derives[f.derive][flag] then return false end
      end
    end
  end
  return true
end

-- clean: whether every derivation and action of the event is declared
-- `clean` (it never leaves a Python exception set without noting its failure
-- in ev.err): its end then need not ask PyErr_Occurred (cte_end_clean).
local function is_clean(ev, derives, actions)
  return every(ev, derives, actions, "clean")
end

-- the short records that stand for record r without its function field
-- (`omits R.F`), smallest first, or nil
local function shorts_of(model, r)
  local out = lib.standing_for(model, r, "omits")
  if #out > 0 then return out end
end

-- fits(model, short, r, vars) -> a C condition that the values (vars[name],
-- in record r's types) fit short's fields where short declares one narrower
-- than r (`narrows` in the front end), or nil when none is
local function fits(model, short, r, vars)
  local wide, conds = {}, {}
  for _, f in ipairs(r.fields) do wide[f.name] = f.type end
  for _, f in ipairs(short.fields) do
    conds[#conds + 1] = lib.fits(model, f.type, wide[f.name], vars[f.name])
  end
  if #conds == 0 then return nil end
  return table.concat(conds, " && ")
end

-- emit(r, args, fast) -> C statement appending record r with field values
-- `args` (in r's field order): its emitter; on the fast path (`fast`),
-- CTG_PUT, whose room the entry checked.
local function emit(r, args, fast)
  if not fast then
    return string.format("ctr_emit_%s(ev.chunk, %s);", r.name, table.concat(args, ", "))
  end
  local inits = {}
  for i, f in ipairs(r.fields) do inits[i] = string.format(".%s = %s", f.name, args[i]) end
  return string.format("CTG_PUT(ev.chunk, %s, %s);", r.name, table.concat(inits, ", "))
end

-- emit_step: one clause. `small`: the entry checked that every int argument
-- is one cte_long reads at once (both fast paths); `put`: the records are
-- appended by CTG_PUT, without a test for room (the no-values fast path).
local function emit_step(L, model, ev, idx, derives, actions, s, last, finish, small, put)
  if s.op == "do" then
    local act = actions[s.action]
    if last then   -- nothing follows: its result only matters through ev.err
      L("    cta_%s(&ev, %s);", s.action, operand(idx, act.param, s, small))
    else           -- 1 or -1: the event ends here
      L("    if (cta_%s(&ev, %s) != 0)", s.action, operand(idx, act.param, s, small))
      L("        return %s;", finish)
    end
    return
  end
  local r = model.record_by_name[s.record]
  local vals = {}
  for _, f in ipairs(s.fields) do
    local d = derives[f.derive]
    vals[#vals + 1] = string.format("ctd_%s(&ev, %s)", f.derive, operand(idx, d.param, f, small))
  end
  -- a record that another one stands for without its function field
  -- (`omits R.F`): that one when the reader knows F from the chunk
  -- (ctd_omit_function), else the record with F
  -- (several: the smallest whose narrower fields hold the values)
  local shorts = shorts_of(model, r)
  if shorts then
    local full, vars = {}, {}
    L("    {")
    for i, f in ipairs(s.fields) do
      L("        %s %s = %s;", lib.scalars[lib.scalar_of(model, derives[f.derive].ret)].c, f.field, vals[i])
    end
    for _, f in ipairs(r.fields) do
      full[#full + 1] = f.name
      vars[f.name] = f.name
    end
    L("        if (ctd_omit_function(&ev, %s)) {", shorts[1].omit_field)
    for i, short in ipairs(shorts) do
      local rest = {}
      for _, f in ipairs(short.fields) do rest[#rest + 1] = f.name end
      local cond = fits(model, short, r, vars)
      assert(cond or i == #shorts, "record " .. short.name .. " fits every value: no record after it is written")
      if cond then
        L("            %sif (%s)", i > 1 and "else " or "", cond)
        L("                %s", emit(short, rest, put))
      elseif i > 1 then
        L("            else")
        L("                %s", emit(short, rest, put))
      else
        L("            %s", emit(short, rest, put))
      end
    end
    L("        } else {")
    L("            %s", emit(r, full, put))
    L("        }")
    L("    }")
    return
  end
  -- a record with compact forms (`compacts`) whose value field the object
  -- derivation `value` gives: the compact record when the value is an atom
  -- one fits (ctd_atom, ctr_emit_compact_R), else the record with its tree
  -- (always, on the no-values fast path: no value is an atom there)
  local has_compact, vf = false, nil
  for _, cr in ipairs(model.records) do
    if cr.compacts == r.name then has_compact = true end
  end
  for i, f in ipairs(s.fields) do
    if f.derive == "value" and derives[f.derive].param == "object" then vf = i end
  end
  if has_compact and vf and not put then
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
      operand(idx, "object", s.fields[vf], small), r.name, table.concat(compact, ", "))
    L("            %s", emit(r, plain, false))
    L("    }")
    return
  end
  local call = "    " .. emit(r, vals, put)
  if #call <= 100 or put then
    L(call)
  else
    L("    ctr_emit_%s(ev.chunk,", r.name)
    for i, v in ipairs(vals) do L("        %s%s", v, i < #vals and "," or ");") end
  end
end

-- fast_path(model, ev, derives, actions) -> the records its no-values fast
-- path appends (record -> how many), or nil when it has none: every
-- derivation and action of the event is declared `inline` (defined in
-- src/derive_inline.h), and no record it appends has a text field. The
-- callback then tries that path first (cte_begin_novalues): the event's
-- state stays in registers, the values paths fold away, and the room for
-- its records and its int arguments are checked at its entry, so that
-- nothing on it calls out of line in the usual case.
local function fast_path(model, ev, derives, actions)
  local recs = {}
  local function add(r)
    for _, f in ipairs(r.fields) do
      if f.type == "text" then return false end
    end
    recs[r] = (recs[r] or 0) + 1
    return true
  end
  if not every(ev, derives, actions, "inline") then return nil end
  for _, s in ipairs(ev.steps) do
    if s.op == "emit" then
      local r = model.record_by_name[s.record]
      if not add(r) then return nil end
      for _, short in ipairs(shorts_of(model, r) or {}) do
        if not add(short) then return nil end
      end
    end
  end
  return recs
end

-- body: the event's clauses after its entry, and its end. `mode`: "full",
-- the general path; "novalues", the no-values fast path (its records put
-- by CTG_PUT, its end cte_end_fast); "values", the fast path with values
-- (the int arguments checked at its entry, the records appended by their
-- emitters, which test for room: the values paths append records too).
-- Every path but a no-values fast path ends through cte_out, which sets
-- the fast paths' bound of room again (cte_fast_room) for what it appended
-- to the chunk's values and data.
local function body(L, model, ev, derives, actions, mode)
  local idx = arg_index(ev)
  local clean = is_clean(ev, derives, actions)
  local finish = (clean and "cte_end_clean" or "cte_end") .. "(&ev)"
  if mode ~= "novalues" then
    finish = "cte_out(" .. finish .. ")"
  elseif clean then
    finish = "cte_end_fast(&ev)"
  end
  for i, s in ipairs(ev.steps) do
    emit_step(L, model, ev, idx, derives, actions, s, i == #ev.steps, finish,
              mode ~= "full", mode == "novalues")
  end
  L("    return %s;", finish)
end

-- fast_entry: the conditions of the fast path's entry besides
-- cte_begin_novalues: the int arguments small. The room for its records is
-- not tested: ctg_fast_reserve (below) reserved it at start, and
-- cte_begin_fast's test of the chunk's record count bounds every vector.
local function fast_entry(model, ev, derives, actions)
  local idx, conds, seen = arg_index(ev), {}, {}
  local function int_arg(param, x)
    if param == "int" and x.const == nil and not seen[x.arg] then
      seen[x.arg] = true
      conds[#conds + 1] = string.format("cte_small(args[%d])", idx[x.arg])
    end
  end
  for _, s in ipairs(ev.steps) do
    if s.op == "do" then
      int_arg(actions[s.action].param, s)
    else
      for _, f in ipairs(s.fields) do int_arg(derives[f.derive].param, f) end
    end
  end
  return conds
end

-- emits(ev): how many records the event's clauses append at most.
local function emits(ev)
  local n = 0
  for _, s in ipairs(ev.steps) do
    if s.op == "emit" then n = n + 1 end
  end
  return n
end

-- entry_test(L, conds, fallback, unseen): the fast path's entry: `conds`
-- all true, else a tail call of `fallback`; with `unseen` (a discovering
-- event's path with values), first cte_unseen's answer for code not
-- recorded whose event stays on (the pure-line epoch, src/recorder.h).
local function entry_test(L, conds, fallback, unseen)
  L("    if (!(%s", conds[1])
  for i = 2, #conds do L("          && %s%s", conds[i], i == #conds and (unseen and ")) {" or "))") or "") end
  if unseen then
    L("        if (cte_unseen(%s, args, nargs))", unseen)
    L("            Py_RETURN_NONE;")
    L("        return %s(self, args, nargs);", fallback)
    L("    }")
  else
    L("        return %s(self, args, nargs);", fallback)
  end
end

-- emit_callback: the event's callback. An event with a no-values fast path
-- (fast_path) gets three functions: ctg_cb_EVENT, the no-values fast path,
-- which passes anything else to ctg_values_EVENT, the fast path with values
-- (the same entry's tests, at the gate CT_ACTIVE_VALUES, by
-- cte_begin_values: the event's state in registers, not in memory for
-- cte_begin_full), which passes anything else to ctg_full_EVENT, the
-- general path (cte_begin). Any other event has the general path only.
local function emit_callback(L, model, ev, derives, actions)
  local names = {}
  for _, a in ipairs(ev.args) do names[#names + 1] = a.name end
  local proto = "(PyObject *self, PyObject *const *args, Py_ssize_t nargs)"
  L("/* %s(%s) -- %s */", ev.name, table.concat(names, ", "), ev.doc)
  local entry = "ctg_cb_" .. ev.name
  local recs = fast_path(model, ev, derives, actions)
  if recs then
    local values = "ctg_values_" .. ev.name
    entry = "ctg_full_" .. ev.name
    L("static PyObject *%s%s;", values, proto)
    L("static PyObject *%s%s;", entry, proto)
    L("")
    -- a fast path: the gate first (the other recording leaves at once), then
    -- the int arguments and the entry; anything else tail-calls `fallback`
    local function fast_fn(head, name, gate, begin, fallback, mode)
      L(head)
      L("%s%s", name, proto)
      L("{")
      L("    ct_ev ev;")
      local conds = fast_entry(model, ev, derives, actions)
      table.insert(conds, 1, string.format("nargs == %d", #ev.args))
      table.insert(conds, 1, gate)
      conds[#conds + 1] = string.format("%s(&ev, CTG_EV_%s, args, nargs, %d)", begin, ev.name, #ev.args)
      entry_test(L, conds, fallback, mode == "values" and ev.discover and ("CTG_EV_" .. ev.name) or nil)
      body(L, model, ev, derives, actions, mode)
      L("}")
      L("")
    end
    fast_fn("static PyObject *", "ctg_cb_" .. ev.name, "ct_R.active == CT_ACTIVE_NOVALUES",
            "cte_begin_novalues", values, "novalues")
    L("/* %s with values: its fast path (cte_begin_values), else the general one */", ev.name)
    fast_fn("static __attribute__((noinline)) PyObject *", values, "ct_R.active == CT_ACTIVE_VALUES",
            "cte_begin_values", entry, "values")
    L("/* %s past its fast paths: cte_begin's slow path */", ev.name)
    L("static __attribute__((noinline)) PyObject *")
  else
    L("static PyObject *")
  end
  L("%s%s", entry, proto)
  L("{")
  L("    ct_ev ev;")
  L("    if (!cte_begin(&ev, CTG_EV_%s, args, nargs, %d))", ev.name, #ev.args)
  L("        return cte_out(cte_skip(&ev));")
  body(L, model, ev, derives, actions, "full")
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
  L("/* CTG_PUT(c, R, fields...): append record R to chunk c on a fast path, with")
  L("   no test for room (ctg_fast_reserve). */")
  L("#define CTG_PUT(c, R, ...) \\")
  L("    (*(ctr_##R *)ctk_put(&(c)->kinds, &(c)->rec[CTR_K_##R], CTR_K_##R, sizeof(ctr_##R)) = (ctr_##R){ __VA_ARGS__ })")
  L("")
end

local function callbacks(L, model)
  local derives, actions = {}, {}
  for _, d in ipairs(model.derives) do derives[d.name] = d end
  for _, a in ipairs(model.actions) do actions[a.name] = a end
  for _, ev in ipairs(model.events) do emit_callback(L, model, ev, derives, actions) end
end

-- fast_reserve: ctg_fast_reserve, the room the fast paths append into
-- without a test: for each record they append, CT_CHUNK_RECORDS records
-- plus the most one event appends, and as many kinds.
local function fast_reserve(L, model)
  local derives, actions = {}, {}
  for _, d in ipairs(model.derives) do derives[d.name] = d end
  for _, a in ipairs(model.actions) do actions[a.name] = a end
  local most, n, names = {}, 0, {}
  for _, ev in ipairs(model.events) do
    local recs = fast_path(model, ev, derives, actions)
    if recs then
      n = math.max(n, emits(ev))
      for r, k in pairs(recs) do
        if most[r.name] == nil then names[#names + 1] = r.name end
        most[r.name] = math.max(most[r.name] or 0, k)
      end
    end
  end
  table.sort(names)
  L("/* ctg_fast_reserve: room in chunk c for what the no-values fast paths append")
  L("   without testing for room: CT_CHUNK_RECORDS records of each kind they append,")
  L("   plus the most one event appends, and their kinds. The fast path's entry")
  L("   (cte_begin_fast) sees fewer than CT_CHUNK_RECORDS records in the chunk, a")
  L("   chunk's vectors never shrink (ctk_reset keeps them), and each record has")
  L("   its kind: none of these vectors can be full there. 0, or -1 when out of")
  L("   memory (called by cte_start for a recording without values). */")
  L("int")
  L("ctg_fast_reserve(ct_chunk *c)")
  L("{")
  L("    int e = ct_vec_reserve(&c->kinds, CT_CHUNK_RECORDS + %d);", n)
  for _, name in ipairs(names) do
    L("    e |= ct_vec_reserve(&c->rec[CTR_K_%s], (CT_CHUNK_RECORDS + %d) * sizeof(ctr_%s));",
      name, most[name], name)
  end
  L("    return e;")
  L("}")
  L("")
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
  fast_reserve(L, model)
  method_defs(L, model)
  event_table(L, model)
  group_names(L, model)
  return lines
end

lib.run("gen/gen_events_c.lua", main)
