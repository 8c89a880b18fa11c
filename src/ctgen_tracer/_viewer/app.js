// ctgen-tracer view: the page. Plain JavaScript, no build step: every call goes
// to the server's JSON API (viewer.py) relative to this page's URL, which
// carries the per-run token.
"use strict";

const $ = (sel) => document.querySelector(sel);
// the server's time for a screen (ms) within which it fills in what a lazy screen leaves out
const BUDGET = 40;
const S = { moves: 0, t: "", info: null, n: 0, frame: 0, step: null, sources: {}, tab: null, tabs: [],
            target: null, busy: false, queued: null };

function params(obj) {
  return Object.entries(obj).map(([k, v]) => encodeURIComponent(k) + "=" + encodeURIComponent(v)).join("&");
}

async function api(name, args, T) {
  // T: an array given to take the times (performance.now()) of the request's start, its answer's
  // headers and its JSON read (for a move's data-phases)
  if (T) T.push(performance.now());
  const r = await fetch("api/" + name + "?" + params(Object.assign({ t: S.t }, args || {})));
  if (T) T.push(performance.now());
  const body = await r.json();
  if (T) T.push(performance.now());
  if (body.error) throw new Error(body.error);
  return body;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function status(msg) { $("#status").textContent = msg || ""; }

// Whether pane `box` shows what `key` (the JSON of the data it is drawn from) describes already: a
// move redraws only the panes whose data changed (the output, the threads, often the stack, stay)
function same(box, ...data) {
  const key = JSON.stringify(data);
  if (box.dataset.key === key) return true;
  box.dataset.key = key;
  return false;
}

// ---- moving ----

async function go(n, frame, t0, how) {
  if (n === null || n === undefined) { status("no such step"); return; }
  if (S.busy) { S.queued = [n, frame, t0, how]; return; }
  S.busy = true;
  const mine = ++S.moves;
  t0 = t0 || performance.now();
  delete document.body.dataset.fullMs;
  let st = null, extra = null;
  try {
    // lazy: the server decodes only the chunks the screen needs, and those for what needs others
    // (the lines run earlier, the selected frame's arguments, the output, the other threads' places)
    // as long as it is within its budget; what it left out (pending) is asked for at once, while
    // the screen is drawn (extra).
    // how: a debugger's move from step n, and the screen where it lands, in one request
    const T = [];
    const r = await api("step", how ? { n: n, how: how, lazy: 1, budget: BUDGET }
                                    : { n: n, frame: frame || 0, lazy: 1, budget: BUDGET }, T);
    if (r.n === null) status("no step there: " + how.replace("back_", "reverse "));
    else {
      st = r;
      S.step = st; S.n = st.n; S.frame = st.frame;
      if (st.pending) { extra = api("extra", { n: st.n, frame: st.frame }); extra.catch(() => {}); }
      status("");
      T.push(performance.now());
      await render();
      T.push(performance.now());
      saveHash();
      // where the move's time went (bench/viewer.py): to the request, to the answer's headers, its
      // JSON read, to the drawing, the drawing
      document.body.dataset.phases = [T[0] - t0, T[1] - T[0], T[2] - T[1], T[3] - T[2], T[4] - T[3]]
        .map((x) => x.toFixed(1)).join(",");
      document.body.dataset.ms = (performance.now() - t0).toFixed(1);   // the last move, from the action to the screen
    }
  } catch (e) {
    status(String(e.message || e));
  } finally {
    S.busy = false;
    document.body.dataset.step = S.n;
  }
  if (S.queued) { const q = S.queued; S.queued = null; go(q[0], q[1], q[2], q[3]); return; }   // a newer move first
  // a move made while this asks for what comes after goes first (the server gives way to it)
  if (st && st.pending) {
    try { await fillIn(st, extra); } catch (e) { status(String(e.message || e)); }
  }
  if (S.moves === mine) {
    document.body.dataset.fullMs = (performance.now() - t0).toFixed(1);   // ... to the screen with what came after
    if (!st) document.body.dataset.ms = document.body.dataset.fullMs;
  }
}

let hashTimer = null, hashShown = location.hash;
function saveHash() {
  // the step in the URL (for a reload or a bookmark), once the moves pause: history.replaceState
  // costs the page a few ms, and up to 25 under load, so it is kept off the moves' path; a URL
  // changed meanwhile by someone else (a new #n= typed, then a reload) is theirs: not written over
  clearTimeout(hashTimer);
  hashTimer = setTimeout(() => {
    if (location.hash !== hashShown) return;
    history.replaceState(null, "", "#" + params({ t: S.t, n: S.n }));
    hashShown = location.hash;
  }, 300);
}

async function fillIn(st, first) {
  let ex;
  for (;;) {
    ex = await (first || api("extra", { n: st.n, frame: st.frame }));
    first = null;
    if (!ex.interrupted) break;
    // another request went first: ask again once no move is on its way, unless one showed another step
    while (S.busy) await new Promise((resolve) => setTimeout(resolve, 10));
    if (S.step !== st) return;
  }
  if (S.step !== st) return;
  st.lines_run = ex.lines_run; st.lines_partial = ex.lines_partial;
  if (st.frames.length) st.frames[st.frame].args = ex.args;
  st.output = ex.output; st.output_earlier = ex.output_earlier; st.threads = ex.threads;
  renderWhere();
  renderOutput();
  renderThreads();
  const fn = st.shown.fn;
  if (S.tab === (fn.src === undefined ? fn.path : fn.src)) await renderSource(S.tab, st.shown.line, new Set(st.lines_run), fn.path);
  renderStack();
  scrollSource();
}

async function move(how) {
  const t0 = performance.now();
  if (how === "next" || how === "prev") { go(how === "next" ? S.n + 1 : S.n - 1, 0, t0); return; }
  go(S.n, 0, t0, how);
}

async function runToLine(forward) {
  if (!S.target) { status("click a line number first"); return; }
  const r = await api("line", { n: S.n, path: S.target.path, line: S.target.line, dir: forward ? "fwd" : "back" });
  if (r.n === null) status("line " + S.target.line + " does not run " + (forward ? "after" : "before") + " this step");
  else go(r.n);
}

async function varJump(name, forward) {
  const n = S.step.frame ? S.step.shown.n : S.n;
  const r = await api("var", { n: n, name: name, dir: forward ? "fwd" : "back" });
  if (r.n === null) status(name + " does not change " + (forward ? "later" : "earlier") + " in this activation");
  else go(r.n);
}

// ---- the source ----

async function source(key) {
  if (!(key in S.sources)) {
    try { S.sources[key] = (await api("source", { id: key })).text.split("\n"); }
    catch (e) { S.sources[key] = null; }
  }
  return S.sources[key];
}

function tabName(fn) {
  if (typeof fn.src === "string") return fn.name + " (kept text)";
  const p = S.info.paths[fn.path] || "?";
  return p.split("/").pop();
}

async function render() {
  const st = S.step;
  $("#step-input").value = st.n;
  if (st.time !== null && st.time !== undefined) $("#time-input").value = st.time.toFixed(3);
  const fn = st.shown.fn;
  const key = fn.src === undefined ? fn.path : fn.src;
  if (!S.tabs.some((t) => t.key === key)) S.tabs.push({ key: key, name: tabName(fn), path: fn.path });
  S.tab = key;
  renderTabs();
  renderWhere();
  await renderSource(key, st.shown.line, new Set(st.lines_run), fn.path);
  renderStack(); renderVars(); renderEvents(); renderThreads(); renderOutput(); drawTimeline();
  scrollSource();     // the one layout a move needs, once everything is written
}

function renderWhere() {
  const st = S.step, fn = st.shown.fn;
  $("#where").textContent = "step " + st.n + " \u00b7 thread " + st.thread + " \u00b7 " + fn.name + " \u00b7 " +
    (S.info.paths[fn.path] || "?") + ":" + st.shown.line + (st.frame ? "  (frame " + st.frame + " selected)" : "") +
    (st.lines_partial ? "  \u00b7 lines run: the latest part of this activation" : "");
}

function renderTabs() {
  const box = $("#tabs");
  if (same(box, S.tabs, S.tab)) return;
  box.textContent = "";
  for (const t of S.tabs) {
    const e = el("span", "tab" + (t.key === S.tab ? " active" : ""), t.name);
    e.onclick = async () => {
      S.tab = t.key; renderTabs();
      const here = S.step && (S.step.shown.fn.src === undefined ? S.step.shown.fn.path : S.step.shown.fn.src) === t.key;
      await renderSource(t.key, here ? S.step.shown.line : null, here ? new Set(S.step.lines_run) : new Set(), t.path);
      scrollSource();
    };
    box.appendChild(e);
  }
}

async function renderSource(key, current, ran, pathId) {
  const lines = await source(key);
  const box = $("#source");
  if (S.rendered === key && lines) {     // the same file: move the marks only
    box.querySelectorAll(".line.current, .line.run").forEach((x) => x.classList.remove("current", "run"));
    for (const no of ran) { const r = document.getElementById("line-" + no); if (r) r.classList.add("run"); }
    const cur = current === null ? null : document.getElementById("line-" + current);
    if (cur) { cur.classList.add("current"); S.scroll = [cur, "nearest"]; }
    return;
  }
  S.rendered = key;
  box.textContent = "";
  if (!lines) { box.appendChild(el("div", "muted", "  no source: the file is not readable here and the recorder kept no text")); return; }
  const frag = document.createDocumentFragment();
  let cur = null;
  lines.forEach((text, i) => {
    const no = i + 1;
    const row = el("div", "line");
    row.id = "line-" + no;
    row.dataset.line = no;
    if (no === current) { row.classList.add("current"); cur = row; }
    if (ran.has(no)) row.classList.add("run");
    if (S.target && S.target.path === pathId && S.target.line === no) row.classList.add("target");
    const num = el("span", "no", String(no));
    num.title = "select as the target of run to line (c / C)";
    num.onclick = () => {
      S.target = { path: pathId, line: no };
      box.querySelectorAll(".line.target").forEach((x) => x.classList.remove("target"));
      row.classList.add("target");
    };
    row.append(num, el("span", "ran"), el("span", "code", text));
    frag.appendChild(row);
  });
  box.appendChild(frag);
  if (cur) S.scroll = [cur, "center"];
}

function scrollSource() {
  // the current line brought into view (renderSource): after the other panes are written, so that
  // the page lays itself out once per move rather than once per pane
  if (S.scroll) { S.scroll[0].scrollIntoView({ block: S.scroll[1] }); S.scroll = null; }
}

// ---- panels ----

function renderStack() {
  const box = $("#stack");
  if (same(box, S.step.frames, S.step.frame)) return;
  box.textContent = "";
  S.step.frames.forEach((f, i) => {
    const e = el("div", "frame" + (i === S.step.frame ? " selected" : ""));
    e.dataset.frame = i;
    const args = f.args === null ? "\u2026" : f.args.map((a) => a[0] + "=" + a[1]).join(", ");
    if (f.args === null) e.title = "select the frame to see its arguments";
    e.append(el("span", "fname", f.name), el("span", "args", "(" + args + ")"),
             el("span", "muted", "  line " + (f.line === null ? "?" : f.line) + (f.step === null ? "" : " \u00b7 step " + f.step)));
    e.onclick = () => go(S.n, i);
    box.appendChild(e);
  });
}

function badges(node) {
  const out = [];
  if (node.tr) out.push(["trunc", "truncated: " + node.n + " in all"]);
  if (node.el) out.push(["elided", "elided (beyond the depth limit" + (node.n !== undefined ? ", " + node.n + " items" : "") + ")"]);
  if (node.ref !== undefined) out.push(["ref", "ref \u2192 #" + node.ref]);
  if (node.id !== undefined) out.push(["", "id " + node.id]);
  return out;
}

function valueNode(label, node, cls) {
  const e = el("div", cls || "node");
  const row = el("div", "row");
  const tog = el("span", "toggle", node.c && node.c.length ? "\u25b8" : "");
  row.append(tog, el("span", "vname", label), el("span", "vval", node.s));
  const val = row.lastChild;
  val.title = node.t ? node.t + " (#" + node.i + ")" : "";
  if (node.x !== undefined) {     // a long text: click to see it whole (as recorded)
    val.style.cursor = "pointer";
    val.onclick = () => { const whole = val.textContent === node.s; val.textContent = whole ? node.x : node.s;
                          val.style.whiteSpace = whole ? "pre-wrap" : "nowrap"; };
  }
  for (const [c, text] of badges(node)) row.appendChild(el("span", "badge " + c, text));
  e.appendChild(row);
  if (node.c && node.c.length) {
    let kids = null;
    tog.onclick = () => {
      if (kids) { kids.remove(); kids = null; tog.textContent = "\u25b8"; return; }
      kids = el("div", "kids");
      for (const [l, child] of node.c) kids.appendChild(valueNode(l, child));
      e.appendChild(kids); tog.textContent = "\u25be";
    };
  }
  return e;
}

function renderVars() {
  const box = $("#vars");
  $("#vars-of").textContent = "\u00b7 " + S.step.shown.fn.name + " at step " + S.step.shown.n;
  if (same(box, S.step.vars, S.step.gone)) return;
  box.textContent = "";
  for (const v of S.step.vars) {
    const e = valueNode(v.name, v.tree, "var" + (v.changed ? " changed" : ""));
    e.dataset.name = v.name;
    const row = e.firstChild;
    const back = el("button", "jump prev-change", "\u25c0"); back.title = "previous change of " + v.name;
    const fwd = el("button", "jump next-change", "\u25b6"); fwd.title = "next change of " + v.name;
    back.onclick = () => varJump(v.name, false);
    fwd.onclick = () => varJump(v.name, true);
    row.append(back, fwd);
    box.appendChild(e);
  }
  for (const name of S.step.gone) box.appendChild(el("div", "var changed muted", name + ": unbound at this step"));
  if (!S.step.vars.length) box.appendChild(el("div", "muted", "no variables"));
}

function renderEvents() {
  const box = $("#events");
  if (same(box, S.step.events)) return;
  box.textContent = "";
  for (const ev of S.step.events) box.appendChild(el("div", "event" + (ev.exc ? " exc" : ""), ev.kind + "  " + ev.text));
  if (!S.step.events.length) box.appendChild(el("div", "muted", "no call, return or exception after this step"));
}

function renderThreads() {
  const box = $("#threads");
  if (same(box, S.step.threads, S.step.thread)) return;
  box.textContent = "";
  if (S.step.threads === null) { box.appendChild(el("div", "muted", "\u2026")); return; }   // comes after (extra)
  for (const t of S.step.threads) {
    const e = el("div", "thread" + (t.id === S.step.thread ? " current" : ""),
                 "thread " + t.id + ": " + (t.step === null ? "not started" : t.name + ":" + t.line + " (step " + t.step + ")"));
    if (t.step !== null) e.onclick = () => go(t.step);
    box.appendChild(e);
  }
}

function renderOutput() {
  const box = $("#output");
  if (same(box, S.step.output, S.step.output_earlier)) return;
  box.textContent = "";
  if (S.step.output === null) { box.appendChild(el("span", "muted", "\u2026")); return; }   // comes after (extra)
  if (S.step.output_earlier) box.appendChild(el("span", "muted", "[" + S.step.output_earlier + " bytes of earlier output not shown]\n"));
  for (const [stream, text] of S.step.output) box.appendChild(el("span", stream === "Stderr" ? "err" : "", text));
  if (!S.step.output.length && !S.step.output_earlier) box.appendChild(el("span", "muted", "no output up to this step"));
  box.scrollTop = box.scrollHeight;
}

// ---- the timeline ----

function drawTimeline() {
  // the spans are drawn once (per width) on a canvas of their own; a move copies it and draws the cursor
  const cv = $("#timeline");
  if (!S.timelineWidth) S.timelineWidth = cv.clientWidth;    // read once (and at a resize): no layout per move
  const w = S.timelineWidth;
  if (cv.width !== w) cv.width = w;
  const total = Math.max(S.info.steps, 1);
  if (!S.spans || S.spans.width !== w || S.spans.height !== cv.height || S.spans.info !== S.info) {
    S.spans = document.createElement("canvas");
    S.spans.width = w; S.spans.height = cv.height; S.spans.info = S.info;
    drawSpans(S.spans, total);
  }
  const ctx = cv.getContext("2d");
  ctx.clearRect(0, 0, w, cv.height);
  ctx.drawImage(S.spans, 0, 0);
  const cx = (S.n / total) * w;
  ctx.fillStyle = "#d3302f"; ctx.fillRect(cx, 0, 2, cv.height);
}

function drawSpans(cv, total) {
  const w = cv.width, ctx = cv.getContext("2d");
  const spans = S.info.timeline;
  const maxd = Math.max(1, ...spans.map((s) => s[2] + 1));
  const rowh = Math.max(3, Math.min(14, (cv.height - 12) / maxd));
  ctx.clearRect(0, 0, w, cv.height);
  ctx.font = "10px sans-serif";
  for (const [a, b, d, fid] of spans) {
    const x = (a / total) * w, x2 = ((b + 1) / total) * w;
    ctx.fillStyle = "hsl(" + ((fid * 47) % 360) + ",55%,72%)";
    ctx.fillRect(x, 4 + d * rowh, Math.max(1, x2 - x - 0.5), rowh - 1);
    if (x2 - x > 40 && rowh >= 10) {
      ctx.fillStyle = "#1d2330";
      const f = S.info.functions[fid];
      ctx.fillText(f ? f.name : "?", x + 2, 4 + d * rowh + rowh - 3, x2 - x - 4);
    }
  }
}

$("#timeline").addEventListener("click", (ev) => {
  const r = ev.target.getBoundingClientRect();
  go(Math.floor(((ev.clientX - r.left) / r.width) * S.info.steps));
});

// ---- search ----

async function search(q) {
  const box = $("#results");
  if (!q) { box.hidden = true; return; }
  const r = await api("search", { q: q });
  box.textContent = "";
  box.appendChild(el("h2", "", "functions"));
  for (const f of r.functions) {
    const e = el("div", "hit", f.name + "  \u00b7 " + f.calls + " calls \u00b7 " + (S.info.paths[f.path] || "") + ":" + f.line);
    e.onclick = async () => {
      const c = await api("calls", { fn: f.fid });
      const list = el("div", "kids");
      for (let k = 0; k < Math.min(c.total, 200); k++) {
        const h = el("div", "hit", "call " + (k + 1));
        h.onclick = async () => {
          const r = await api("call", { fn: f.fid, k: k });
          if (r.n === null) status("call " + (k + 1) + " has no step"); else go(r.n);
        };
        list.appendChild(h);
      }
      if (c.total > 200) list.appendChild(el("div", "muted", "\u2026 " + c.total + " calls in all"));
      e.after(list);
    };
    box.appendChild(e);
  }
  box.appendChild(el("h2", "", "lines that ran"));
  for (const h of r.lines) {
    const e = el("div", "hit", (S.info.paths[h.path] || "?") + ":" + h.line + "  " + h.text);
    e.onclick = async () => {
      S.target = { path: h.path, line: h.line };
      const r = await api("hits", { path: h.path, line: h.line });
      const list = el("div", "kids");
      for (const n of r.steps) {
        const x = el("div", "hit", "step " + n);
        x.onclick = () => go(n);
        list.appendChild(x);
      }
      if (r.steps.length === 200) list.appendChild(el("div", "muted", "\u2026 (the first 200)"));
      e.after(list);
    };
    box.appendChild(e);
  }
  if (!r.functions.length && !r.lines.length) box.appendChild(el("div", "muted", "nothing matches"));
  box.hidden = false;
}

let searchTimer = null;
$("#search").addEventListener("input", (ev) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => search(ev.target.value.trim()), 150);
});
$("#search").addEventListener("keydown", (ev) => { if (ev.key === "Escape") { ev.target.value = ""; search(""); ev.target.blur(); } });

// ---- wiring ----

for (const how of ["next", "prev", "into", "over", "out", "back_into", "back_over", "back_out"]) {
  $("#btn-" + how).onclick = () => move(how);
}
$("#btn-line-fwd").onclick = () => runToLine(true);
$("#btn-line-back").onclick = () => runToLine(false);
$("#step-input").addEventListener("change", (ev) => go(parseInt(ev.target.value, 10) || 0));
$("#time-input").addEventListener("change", async (ev) => {
  const t0 = performance.now();
  try {
    const r = await api("time", { s: ev.target.value });
    if (r.n === null) status("no step at or after " + ev.target.value + " s"); else go(r.n, 0, t0);
  } catch (e) {
    status(String(e.message || e));
  }
});

const KEYS = {
  ArrowRight: "next", j: "next", ArrowLeft: "prev", k: "prev",
  s: "into", S: "back_into", F11: "into", n: "over", N: "back_over", F10: "over",
  o: "out", O: "back_out", F12: "out",
};
document.addEventListener("keydown", (ev) => {
  if (ev.target.tagName === "INPUT") return;
  let key = ev.key;
  if (ev.shiftKey && key === "F11") key = "S";
  if (ev.shiftKey && key === "F10") key = "N";
  if (ev.shiftKey && key === "F12") key = "O";
  if (KEYS[key]) { ev.preventDefault(); move(KEYS[key]); }
  else if (key === "c" || key === "C") { ev.preventDefault(); runToLine(key === "c"); }
  else if (key === "g") { ev.preventDefault(); $("#step-input").focus(); $("#step-input").select(); }
  else if (key === "t" && S.info.clock) { ev.preventDefault(); $("#time-input").focus(); $("#time-input").select(); }
  else if (key === "/") { ev.preventDefault(); $("#search").focus(); }
  else if (key === "Escape") { $("#results").hidden = true; }
});
window.addEventListener("resize", () => { S.timelineWidth = 0; if (S.step) drawTimeline(); });

// ---- a trace never indexed: shown while its index is built ----

function indexing() {
  const x = S.info.indexing;
  $("#step-total").textContent = x ? Math.max(S.info.steps - 1, 0) + "+" : Math.max(S.info.steps - 1, 0);
  $("#indexing").hidden = !x;
  if (x) $("#indexing").textContent = "indexing: " + Math.floor((100 * x.chunks) / Math.max(x.of, 1)) + "% of the trace";
}

async function poll() {
  // the info of the chunks indexed so far, then of the whole trace (its steps, timeline, threads)
  while (S.info.indexing) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    try { S.info = await api("info"); } catch (e) { status(String(e.message || e)); return; }
    indexing();
  }
  if (S.step) { renderWhere(); drawTimeline(); }
}

async function start() {
  const h = new URLSearchParams(location.hash.slice(1));
  S.t = h.get("t") || "";
  try {
    S.info = await api("info");
  } catch (e) {
    status(String(e.message || e)); document.body.dataset.ready = "error"; return;
  }
  document.title = "ctgen-tracer view \u00b7 " + (S.info.program || S.info.dir);
  $("#title").textContent = "ctgen-tracer \u00b7 " + (S.t ? S.t + " \u00b7 " : "") + (S.info.program || "");
  indexing();
  const kids = $("#children");
  for (const c of S.info.children) {
    const a = el("a", "", c.dir + "  pid " + c.pid + " (" + (c.how || "?") + ") " + (c.program || ""));
    a.href = "#" + params({ t: c.dir, n: 0 });
    a.target = "_blank";
    a.onclick = (ev) => { ev.preventDefault(); window.open(location.pathname + "#" + params({ t: c.dir, n: 0 }), "_blank"); };
    kids.appendChild(el("div")).appendChild(a);
  }
  if (!S.info.children.length) $("#children-panel").hidden = true;
  $("#time-box").hidden = !S.info.clock;
  if (S.info.truncation) status("truncated: " + S.info.truncation);
  if (!S.info.steps) { status("the trace has no steps"); document.body.dataset.ready = "1"; return; }
  await go(parseInt(h.get("n") || "0", 10) || 0);
  document.body.dataset.ready = "1";
  if (S.info.indexing) poll();
}

start();
